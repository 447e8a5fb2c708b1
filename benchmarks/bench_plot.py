"""Memory and time of `dynapspec plot` on a large result file (issue 15).

Workload: the lenet example on its seeded input (3,877 spike events in 100 ms, each pixel on with
probability 0.05 per 1-ms step), played ``--repeat`` times back to back, every layer monitored;
the result file holds ~29,500 spikes per repetition. Each measurement runs in a fresh process and
reads the file (matplotlib imported), notes its resident memory, resets its peak
(/proc/self/clear_refs, Linux) and draws the activity figure to a PNG as `dynapspec plot` does,
then reports the peak while plotting against the memory resident before it. Binned (the default)
on the full file and on a tenth of it, and with every point drawn on the tenth only (drawing tens
of millions of markers is what binning avoids).

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
def status(key):
    return int(re.search(key + r":\\s*(\\d+) kB", open("/proc/self/status").read()).group(1))
start = time.perf_counter()
from dynapspec.events import read_event_file
import matplotlib.figure, dynapspec.plot as plot
content = read_event_file(sys.argv[1])
read_peak, resident, seconds = status("VmHWM"), status("VmRSS"), time.perf_counter() - start
open("/proc/self/clear_refs", "w").write("5")  # reset the peak: from here on it is the plot's
start = time.perf_counter()
fig = plot.activity(content, network=sys.argv[3], max_points=int(sys.argv[2]))
plot.save(fig, sys.argv[1] + ".png")
print(read_peak, resident, seconds, status("VmHWM"), time.perf_counter() - start)
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


def measure(path: Path, max_points: int) -> list:
    """[read peak MiB, resident after reading MiB, read s, peak while plotting MiB, plot s]."""
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path), str(max_points), str(ROOT / "examples/lenet/net.yaml")],
        check=True, capture_output=True, text=True,
    ).stdout.split()
    return [int(out[0]) / 1024, int(out[1]) / 1024, float(out[2]), int(out[3]) / 1024, float(out[4])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=400, help="times the 100-ms input is played (default 400)")
    args = parser.parse_args()
    few_times = max(args.repeat // 10, 1)
    with tempfile.TemporaryDirectory() as tmp:
        big, small = Path(tmp) / "big.h5", Path(tmp) / "small.h5"
        spikes, few = make_result(big, args.repeat), make_result(small, few_times)
        print("lenet example, input p=0.05 (3,877 events per 100 ms), every layer monitored; peak memory per process")
        runs = [(big, spikes, args.repeat, "binned", 50_000), (small, few, few_times, "binned", 50_000),
                (small, few, few_times, "every point", 10**12)]
        for path, count, times, how, max_points in runs:
            read_peak, resident, t_read, plot_peak, t_plot = measure(path, max_points)
            print(f"{count:>12,} spikes ({times} x 100 ms, {path.stat().st_size / 2**20:.0f} MiB file), {how}: "
                  f"reading {read_peak:.0f} MiB peak, {resident:.0f} MiB resident after ({t_read:.1f} s); "
                  f"plotting {plot_peak:.0f} MiB peak = {plot_peak / resident:.2f}x resident ({t_plot:.1f} s)")

if __name__ == "__main__":
    main()
