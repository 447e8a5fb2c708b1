"""Simulator throughput on the lenet example with its fixed seeded input (issue 4).

Prints input events per second and synaptic operations per second on one CPU core, and the ratio
to the reference toolchain's 43,000 input events/s (its time-stepped simulation of the same network
and input). Target: >= 430,000 events/s. Figures only, no assertions.

    python benchmarks/bench_sim.py [--repeat 20]
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

import dynapspec
from dynapspec.events import read_event_file
from dynapspec.sim import COMPILED, Simulator

ROOT = Path(__file__).resolve().parent.parent
REFERENCE_EVENTS_PER_S = 43_000
TARGET_EVENTS_PER_S = 430_000


def synaptic_ops(config, events, monitored) -> int:
    """Neuron updates of one run: each event into a core updates F neurons per output position whose
    kernel covers it. Recomputed exactly from the run's input and every layer's spikes."""
    cores = config.chip.cnn_layers
    names = {r.core: r.name for r in config.header.layers}
    arriving = {n: [] for n in names}  # (x, y) of the events each core receives
    for n in config.header.input.cores:
        arriving[n].append((events["x"].astype(np.int64), events["y"].astype(np.int64)))
    for n, name in names.items():
        spikes = monitored.layers[name]
        for d in cores[n].destinations:
            if d.enable and d.layer in arriving:
                size = cores[d.layer].dimensions.input_shape.size
                x, y = spikes["x"].astype(np.int64) // d.pooling, spikes["y"].astype(np.int64) // d.pooling
                keep = (x < size.x) & (y < size.y)
                arriving[d.layer].append((x[keep], y[keep]))
    total = 0
    for n, parts in arriving.items():
        d = cores[n].dimensions
        k = d.kernel_size
        covered = []
        for axis, stride, pad, out in (
            (0, d.stride.x, d.padding.x, d.output_shape.size.x),
            (1, d.stride.y, d.padding.y, d.output_shape.size.y),
        ):
            v = np.concatenate([p[axis] for p in parts]) + pad
            low = np.maximum(0, -((k - 1 - v) // stride))
            high = np.minimum(out - 1, v // stride)
            covered.append(np.maximum(0, high - low + 1))
        total += int(np.sum(covered[0] * covered[1])) * d.output_shape.feature_count
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="timed runs; the best is reported")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    config = dynapspec.compile(ROOT / "examples/lenet/net.yaml")
    events = read_event_file(ROOT / "examples/lenet/input.h5").input
    sim = Simulator(config)
    t0 = time.perf_counter()
    result = sim.run(events)  # compiles (or loads the cached kernel)
    first = time.perf_counter() - t0
    times = []
    for _ in range(args.repeat):
        sim.reset()
        t0 = time.perf_counter()
        result = sim.run(events)
        times.append(time.perf_counter() - t0)
    best, median = min(times), float(np.median(times))
    sim.reset()
    ops = synaptic_ops(config, events, sim.run(events, monitor="all"))
    rate = len(events) / best
    print(f"lenet, {len(events)} input events (examples/lenet/input.h5), kernel {'compiled (numba)' if COMPILED else 'plain Python + numpy'}")
    print(f"spikes per layer: {dict(result.spike_counts)}")
    print(f"first run (incl. compile/cache load): {first * 1e3:.1f} ms")
    print(f"run time: best {best * 1e3:.2f} ms, median {median * 1e3:.2f} ms over {args.repeat} runs, on one core")
    print(f"input events/s:   {rate:,.0f}  (median {len(events) / median:,.0f})")
    print(f"synaptic ops/s:   {ops / best:,.0f}  ({ops:,} updates per run)")
    print(f"vs reference {REFERENCE_EVENTS_PER_S:,} ev/s: {rate / REFERENCE_EVENTS_PER_S:.1f}x  (target >= 10x)")


if __name__ == "__main__":
    main()
