"""Memory and time of `dynapspec plot` on a large result file (issue 15).

Workload: the lenet example on its seeded input (3,877 spike events in 100 ms, each pixel on with
probability 0.05 per 1-ms step), played ``--repeat`` times back to back, every layer monitored;
the result file holds ~29,500 spikes per repetition. Each measurement runs in a fresh process and
reports its peak resident memory (VmHWM of /proc/self/status, Linux; ru_maxrss would count the
parent's memory, inherited across fork and exec):

* ``read``: read_event_file alone, the baseline (the file's arrays in memory);
* ``plot (binned)``: read, draw the activity figure and write a PNG, as `dynapspec plot` does;
* ``plot (every point)``: the same with binning switched off, on a tenth of the repetitions only
  (drawing tens of millions of markers is what binning avoids).

Figures only, no assertions; run on a shared machine, compare the ratios.

    python benchmarks/bench_plot.py [--repeat 400]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

MEASURE = """
import re, sys, time
start = time.perf_counter()
from dynapspec.events import read_event_file
content = read_event_file(sys.argv[1])
if sys.argv[2] != "read":
    import dynapspec.plot as plot
    fig = plot.activity(content, network=sys.argv[3], max_points=int(sys.argv[2]))
    plot.save(fig, sys.argv[1] + ".png")
peak = re.search(r"VmHWM:\\s*(\\d+) kB", open("/proc/self/status").read()).group(1)
print(peak, time.perf_counter() - start)
"""


def make_result(path: Path, repeat: int) -> int:
    """Simulate lenet on its input repeated ``repeat`` times; returns the number of spikes written."""
    import dynapspec
    from dynapspec.events import read_event_file, result_file, spike_events, write_event_file
    from dynapspec.sim import Simulator

    config = dynapspec.compile(ROOT / "examples/lenet/net.yaml")
    one = read_event_file(ROOT / "examples/lenet/input.h5").input
    period = int(one["t"][-1]) + 1000
    shift = np.repeat(np.arange(repeat, dtype=np.uint64) * period, len(one))
    events = spike_events(np.tile(one["t"], repeat) + shift, *(np.tile(one[f], repeat) for f in "cxy"))
    result = Simulator(config).run(events, monitor="all")
    write_event_file(path, result_file(result, "lenet", events))
    return len(result.output)


def measure(path: Path, mode: str) -> tuple:
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path), mode, str(ROOT / "examples/lenet/net.yaml")],
        check=True, capture_output=True, text=True,
    ).stdout.split()
    return int(out[0]) / 1024, float(out[1])  # MiB, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=400, help="times the 100-ms input is played (default 400)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        big, small = Path(tmp) / "big.h5", Path(tmp) / "small.h5"
        spikes = make_result(big, args.repeat)
        few = make_result(small, max(args.repeat // 10, 1))
        print(f"lenet example, input p=0.05 played {args.repeat} times: {spikes:,} spikes monitored "
              f"({big.stat().st_size / 2**20:.0f} MiB file)")
        base, t_base = measure(big, "read")
        binned, t_binned = measure(big, "50000")
        print(f"  read only           {base:8.0f} MiB  {t_base:6.1f} s")
        print(f"  plot (binned)       {binned:8.0f} MiB  {t_binned:6.1f} s   {binned / base:.2f}x the read's memory")
        print(f"{few:,} spikes ({max(args.repeat // 10, 1)} times):")
        base, t_base = measure(small, "read")
        binned, t_binned = measure(small, "50000")
        every, t_every = measure(small, str(10**12))
        print(f"  read only           {base:8.0f} MiB  {t_base:6.1f} s")
        print(f"  plot (binned)       {binned:8.0f} MiB  {t_binned:6.1f} s   {binned / base:.2f}x the read's memory")
        print(f"  plot (every point)  {every:8.0f} MiB  {t_every:6.1f} s   {every / base:.2f}x the read's memory")


if __name__ == "__main__":
    main()
