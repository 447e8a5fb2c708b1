"""Peak memory of a simulation against what it must hold: its input and its recorded output.

Each size runs in a fresh subprocess: compile the reference LeNet (benchmarks/reference_lenet),
note its RSS, make N input events (28x28, each pixel on with probability 0.05 per 1-ms step,
seeded), reset the kernel's peak-RSS counter (so the input's making does not count), run
``Simulator.run`` and read the peak back. Printed: the input array's bytes, the recorded output's
bytes (``RunResult.output``, 15 B per spike), the peak RSS above the RSS noted before the input
existed, and that over input + output (target, issue 9 goal 4: <= 1.5), and the run's CPU seconds.
Linux only (it reads /proc/self/status). Figures only, no assertions.

    python benchmarks/bench_memory.py [--sizes 1e5 1e6 1e7] [--monitor out all]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

CHILD = r"""
import json, sys, time
import numpy as np
import dynapspec
from dynapspec.events import SPIKE_DTYPE
from dynapspec.sim import Simulator

def status(field):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(field + ":"))

n, monitor, spec = int(sys.argv[1]), sys.argv[2], sys.argv[3]
sim = Simulator(dynapspec.compile(spec))
base = status("VmRSS")  # the interpreter, numpy, dynapspec and the compiled network
events = np.zeros(n, dtype=SPIKE_DTYPE)  # filled step by step: no full-length temporaries here either
rng, step, filled = np.random.default_rng(4), 0, 0
while filled < n:
    on = np.flatnonzero(rng.random(784 * 100) < 0.05)[: n - filled]  # 100 steps of 28x28
    part = events[filled : filled + len(on)]
    part["t"], part["y"], part["x"] = (step + on // 784) * 1000, on % 784 // 28, on % 28
    filled += len(on)
    step += 100
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset the peak RSS (VmHWM) to the current RSS
t0 = time.process_time()
result = sim.run(events, monitor=None if monitor == "out" else monitor)
seconds = time.process_time() - t0
print(json.dumps(dict(peak=status("VmHWM") - base, input=events.nbytes, output=result.output.nbytes,
                      spikes=len(result.output), seconds=seconds)))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=float, default=[1e5, 1e6, 1e7], help="input events per run")
    parser.add_argument("--monitor", nargs="+", default=["out", "all"], help="'out' (as configured) and/or 'all'")
    args = parser.parse_args()
    spec = str(HERE / "reference_lenet" / "net.yaml")
    print("reference_lenet, input 28x28 at p = 0.05 per 1-ms step (about 10 spikes per input event downstream)")
    print(f"{'monitor':8} {'events':>11} {'input MB':>9} {'spikes kept':>12} {'output MB':>10} {'peak MB':>8} "
          f"{'peak/(in+out)':>13} {'CPU s':>7}")  # fmt: skip
    for monitor in args.monitor:
        for size in args.sizes:
            ran = subprocess.run([sys.executable, "-c", CHILD, str(int(size)), monitor, spec], capture_output=True, text=True)
            if ran.returncode:
                print(f"{monitor:8} {int(size):11,} failed: {ran.stderr.strip().splitlines()[-1:]}")
                continue
            r = json.loads(ran.stdout)
            mb = 1 << 20
            print(f"{monitor:8} {int(size):11,} {r['input'] / mb:9.1f} {r['spikes']:12,} {r['output'] / mb:10.1f} "
                  f"{r['peak'] / mb:8.1f} {r['peak'] / (r['input'] + r['output']):13.2f} {r['seconds']:7.1f}")  # fmt: skip
    print(f"(peak: the highest RSS during Simulator.run above the RSS before the input was made; {time.strftime('%Y-%m-%d')})")


if __name__ == "__main__":
    main()
