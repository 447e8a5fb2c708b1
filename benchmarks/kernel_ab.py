"""Two (or more) builds of the simulator's C kernel compared on one workload, taking turns.

For work on dynapspec/sim/_kernel.c on a shared machine: build the old extension aside (copy the
.so before rebuilding), then

    python benchmarks/kernel_ab.py lenet05 300 old/_kernel.so dynapspec/sim/_kernel.*.so

runs each build in turn, ROUNDS times (CPU time; best, 10th and 25th percentile and median per
build), and checks that all builds record the same spikes. ``--portable`` uses their portable
update instead of AVX2. ``--once`` runs each build once, untimed, for instruction counts:

    valgrind --tool=callgrind --toggle-collect=kernel_run python benchmarks/kernel_ab.py --once lenet05 0 X.so

Workloads: lenet05 / lenet30 (benchmarks/reference_lenet, p = 0.05 / 0.30), wide (as bench_sim.py).
"""
from __future__ import annotations

import argparse
import importlib.util
import tempfile
import time
from importlib.machinery import ExtensionFileLoader
from pathlib import Path

import numpy as np

import dynapspec
from dynapspec.events import read_event_file
from dynapspec.sim import Simulator, kernel

HERE = Path(__file__).resolve().parent
INPUTS = {"lenet05": "input_p05.h5", "lenet30": "input_p30.h5"}


def load(path: str, portable: bool):
    """The extension module at ``path`` (any name, any directory)."""
    loader = ExtensionFileLoader("_kernel", path)
    module = importlib.util.module_from_spec(importlib.util.spec_from_file_location("_kernel", path, loader=loader))
    loader.exec_module(module)
    if portable:
        module.select(False)
    return module


def workload(name: str):
    if name in INPUTS:
        config = dynapspec.compile(HERE / "reference_lenet" / "net.yaml")
        return config, read_event_file(HERE / "reference_lenet" / INPUTS[name]).input
    from bench_sim import wide_network  # same directory

    return wide_network(Path(tempfile.mkdtemp()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", choices=[*INPUTS, "wide"])
    parser.add_argument("rounds", type=int)
    parser.add_argument("builds", nargs="+", help="paths of _kernel extension modules")
    parser.add_argument("--portable", action="store_true", help="the portable update, not AVX2")
    parser.add_argument("--once", action="store_true", help="one untimed run per build (for callgrind)")
    args = parser.parse_args()
    modules = [load(path, args.portable) for path in args.builds]
    config, events = workload(args.workload)
    sim = Simulator(config)
    if args.once:
        for path, module in zip(args.builds, modules):
            kernel.run_events = module.run
            sim.reset()
            print(f"{Path(path).name}: {sum(sim.run(events).spike_counts.values())} spikes")
        return
    times = [[] for _ in modules]
    outputs = []
    for module in modules:  # warm-up, and what each build records
        kernel.run_events = module.run
        sim.reset()
        outputs.append(sim.run(events, monitor="all").output.tobytes())
    if any(out != outputs[0] for out in outputs):
        raise SystemExit("the builds record different spikes")
    for _ in range(args.rounds):
        for module, spent in zip(modules, times):
            kernel.run_events = module.run
            sim.reset()
            t0 = time.process_time()
            sim.run(events)
            spent.append(time.process_time() - t0)
    for path, t in zip(args.builds, times):
        ms = np.array(t) * 1e3
        print(f"{args.workload:8} {Path(path).name:40} best {ms.min():7.2f} ms  p10 {np.percentile(ms, 10):7.2f}  "
              f"p25 {np.percentile(ms, 25):7.2f}  median {np.median(ms):7.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
