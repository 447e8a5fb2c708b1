"""Simulator throughput against the single-core bound of its update loop, measured in the same run.

For each workload: input events per second, synaptic updates per second and the spike rate it ran
at, on one CPU core, best of --repeat runs, the workloads taking turns (CPU time, so other
processes on a shared machine count less). The bound is ``update_bound.c``: the same updates (saturate, threshold, reset, floor) with
no events and no routing, compiled here with ``cc -O3 -march=native``; it takes its turn in every
round too, each form and run length for about as long as one workload run, and its best round is
kept like theirs, so that both sample the same load. Target (issue 9, goal 2): bound / simulator <= 3.

Workloads: the reference LeNet (benchmarks/reference_lenet, two input densities), a wide network
(benchmarks/wide: three 64-feature 3x3 convs, seeded weights and input) and examples/lenet (random
weights, an easy workload). Figures only, no assertions.

    python benchmarks/bench_sim.py [--repeat 20]
"""
from __future__ import annotations

import argparse
import ctypes
import os
import platform
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

import numpy as np

import dynapspec
from dynapspec.events import raster_to_events, read_event_file
from dynapspec.sim import COMPILED, FALLBACK_REASON, Simulator

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RUN_LENGTHS = (16, 100, 256, 1000)  # neurons per contiguous run in the bound


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


def wide_network(tmp: Path):
    """benchmarks/wide/net.yaml with seeded weights, and a seeded input: 2x32x32, 50 steps, p = 0.05."""
    import h5py

    shutil.copy(HERE / "wide" / "net.yaml", tmp / "net.yaml")
    rng = np.random.default_rng(9)
    shapes = {"conv1": (64, 2, 3, 3), "conv2": (64, 64, 3, 3), "conv3": (64, 64, 3, 3), "out": (10, 64 * 4 * 4)}
    with h5py.File(tmp / "net.h5", "w") as f:
        for name, shape in shapes.items():
            f[f"{name}/weight"] = (rng.normal(0.0, 1.0, shape) / np.sqrt(np.prod(shape[1:]))).astype(np.float32)
    raster = (np.random.default_rng(4).random((50, 2, 32, 32)) < 0.05).astype(np.int32)
    return dynapspec.compile(tmp / "net.yaml"), raster_to_events(raster, 1000)


def load_bound(tmp: Path):
    """update_bound.c compiled for this CPU, or None (and why) without a C compiler."""
    cc = os.environ.get("CC") or (sysconfig.get_config_var("CC") or "cc").split()[0]
    if not shutil.which(cc):
        return None, f"no C compiler ({cc})"
    lib = tmp / "update_bound.so"
    built = subprocess.run([cc, "-O3", "-march=native", "-shared", "-fPIC", str(HERE / "update_bound.c"), "-o", str(lib)],
                           capture_output=True, text=True)  # fmt: skip
    if built.returncode:
        return None, built.stderr.strip()
    bound = ctypes.CDLL(str(lib)).bound
    bound.restype = ctypes.c_double
    bound.argtypes = [ctypes.c_int, ctypes.c_long, ctypes.c_long, ctypes.c_long]
    return bound, ""


BOUND_UPDATES = 30_000_000  # per measurement: a few ms, about one workload run


def measure_bound(bound, footprint: int) -> dict:
    """Updates/s per (form, run length), one measurement of each."""
    return {(form, length): bound(form, length, BOUND_UPDATES, footprint) for form in (0, 1) for length in RUN_LENGTHS}


def cpu_name() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def time_runs(workloads, repeat: int, bound_round):
    """Best and median CPU seconds of each workload, and the best updates/s of the bound per form and
    run length, all taking turns so that load spikes hit all alike. ``bound_round()``: one
    measurement of each, or {} without a bound."""
    sims = [Simulator(config) for _, _, config, _ in workloads]
    times = [[] for _ in workloads]
    best_bound = {}
    for turn in range(repeat + 1):  # the first round is a warm-up
        for sim, (_, _, _, events), spent in zip(sims, workloads, times):
            sim.reset()
            t0 = time.process_time()
            sim.run(events)
            spent.append(time.process_time() - t0)
        for key, rate in bound_round().items():
            best_bound[key] = max(best_bound.get(key, 0.0), rate) if turn else 0.0
    return [(min(t[1:]), float(np.median(t[1:]))) for t in times], best_bound


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="timed runs per workload; the best is reported")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        lenet = dynapspec.compile(HERE / "reference_lenet" / "net.yaml")
        workloads = [
            ("reference_lenet", "input_p05.h5 (p = 0.05)", lenet, read_event_file(HERE / "reference_lenet" / "input_p05.h5").input),
            ("reference_lenet", "input_p30.h5 (p = 0.30)", lenet, read_event_file(HERE / "reference_lenet" / "input_p30.h5").input),
            ("wide (64-feature convs)", "seeded, p = 0.05", *wide_network(tmp)),
            ("examples/lenet (easy)", "input.h5 (p = 0.05)", dynapspec.compile(ROOT / "examples/lenet/net.yaml"),
             read_event_file(ROOT / "examples/lenet/input.h5").input),
        ]  # fmt: skip
        bound, why = load_bound(tmp)
        footprint = 1 << 16  # neurons cycled through: about the reference lenet's weights and states
        timed, merged = time_runs(workloads, args.repeat, lambda: measure_bound(bound, footprint) if bound else {})
        rows = []
        for (name, what, config, events), (best, median) in zip(workloads, timed):
            result = Simulator(config).run(events, monitor="all")
            rows.append((name, what, len(events), result.spike_counts, best, median, synaptic_ops(config, events, result)))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {cpu_name()}, {os.cpu_count()} cores, load average {load:.1f} "
          f"(shared: compare ratios), Python {platform.python_version()}; all figures on one core, CPU time")  # fmt: skip
    print(f"kernel: {'compiled (C extension)' if COMPILED else 'plain Python + numpy: ' + FALLBACK_REASON}")
    best_bound = 0.0
    if bound:
        for form, label in ((0, "portable C (the kernel's code)"), (1, "AVX2 intrinsics")):
            figures = ", ".join(f"{length}: {merged[form, length] / 1e9:.2f}" for length in RUN_LENGTHS)
            print(f"bound, {label}, G updates/s by run length: {figures}" if merged[form, RUN_LENGTHS[0]] else
                  f"bound, {label}: not available on this CPU")  # fmt: skip
        best_bound = max(v for (form, length), v in merged.items() if length >= 100)
        print(f"single-core bound (best at runs >= 100 neurons): {best_bound / 1e9:.2f} G updates/s")
    else:
        print(f"single-core bound: not measured ({why})")
    print()
    print(f"{'network':24} {'input':24} {'events':>7} {'spikes/ev':>9} {'best ms':>8} {'input ev/s':>11} "
          f"{'G upd/s':>8} {'upd/ev':>7} {'bound/sim':>9}")  # fmt: skip
    for name, what, n, counts, best, _median, ops in rows:
        spikes = sum(counts.values())
        ratio = f"{best_bound / (ops / best):.1f}x" if best_bound else "-"
        print(f"{name:24} {what:24} {n:7,} {spikes / n:9.1f} {best * 1e3:8.2f} {n / best:11,.0f} "
              f"{ops / best / 1e9:8.2f} {ops / n:7,.0f} {ratio:>9}")  # fmt: skip
    print()
    for name, what, _n, counts, *_ in rows:
        print(f"spikes per layer, {name}, {what}: {dict(counts)}")


if __name__ == "__main__":
    sys.exit(main())
