"""Dataset evaluation throughput: 1 worker, every local core, and a local Dask cluster of that size.

Workload: the trained mnist example (examples/mnist: conv 8@5x5, conv 16@5x5, dense 64, dense 10)
on the first --samples samples of its test split (rate-coded MNIST digits, about 1,600 input
events per sample), chip simulator only (no float model), rule count. Each configuration runs
--repeat times, interleaved, and the best run is reported (the machine may be shared).

Prints samples/s per configuration, the scaling efficiency of N processes against 1 worker, the
Dask cluster against plain processes, where one sample's time goes, and what it takes to evaluate
10^5 samples in a minute. Figures only, no assertions.

    python benchmarks/bench_evaluate.py [--samples 400] [--repeat 2] [--workers N]
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from dynapspec.evaluate import evaluate
from dynapspec.evaluate.datasets import SampleFile
from dynapspec.evaluate.evaluation import _job
from dynapspec.evaluate.job import _chip_trace, _engines
from dynapspec.evaluate.decide import decide
from dynapspec.evaluate.runner import local_cores

ROOT = Path(__file__).resolve().parent.parent
NETWORK = ROOT / "examples" / "mnist" / "net.yaml"
DATASET = ROOT / "examples" / "mnist" / "test.h5"
TARGET_SAMPLES, TARGET_SECONDS = 100_000, 60.0


def subset(n: int):
    data = SampleFile(DATASET)
    return [(s.events, s.label) for s in data.read(0, min(n, len(data)))]


def timed(label: str, run) -> float:
    start = time.perf_counter()
    result = run()
    seconds = time.perf_counter() - start
    return len(result.samples) / seconds, result


def breakdown(samples, repeat: int = 3):
    """Seconds per sample in the simulator kernel call, and in evaluate's own per-sample work."""
    job = _job(NETWORK, "count", None, False)
    sim, _ = _engines(job)
    best_sim, best_rest = float("inf"), float("inf")
    for _ in range(repeat):
        t_sim = t_rest = 0.0
        for events, _label in samples:
            a = time.perf_counter()
            sim.reset()
            result = sim.run(events, monitor="all")
            b = time.perf_counter()
            decide(_chip_trace(job, result, events), job.classes, job.rule, int(events["t"][0]))
            t_rest += time.perf_counter() - b
            t_sim += b - a
        best_sim, best_rest = min(best_sim, t_sim / len(samples)), min(best_rest, t_rest / len(samples))
    return best_sim, best_rest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--workers", type=int, default=local_cores())
    args = parser.parse_args()
    from distributed import Client, LocalCluster

    samples = subset(args.samples)
    n = args.workers
    events = np.mean([len(e) for e, _ in samples])
    print(f"network {NETWORK.relative_to(ROOT)}; {len(samples)} samples of {DATASET.relative_to(ROOT)}, "
          f"{events:.0f} input events per sample on average; {n} local cores")
    evaluate(NETWORK, samples[:16], workers=1)  # numba's compile cache warm before anything is timed
    rates = {"1 worker": [], f"{n} processes": [], f"Dask {n} workers": []}
    with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(cluster) as client:
        evaluate(NETWORK, samples[: 4 * n], client=client)  # workers import dynapspec and load numba's cache once
        for _ in range(args.repeat):
            rates["1 worker"].append(timed("1", lambda: evaluate(NETWORK, samples, workers=1))[0])
            rates[f"{n} processes"].append(timed("n", lambda: evaluate(NETWORK, samples, workers=n))[0])
            rates[f"Dask {n} workers"].append(timed("d", lambda: evaluate(NETWORK, samples, client=client))[0])
    best = {k: max(v) for k, v in rates.items()}
    one, procs, dask = best["1 worker"], best[f"{n} processes"], best[f"Dask {n} workers"]
    for name, rate in best.items():
        print(f"{name:>18}: {rate:8.1f} samples/s  (runs: {', '.join(f'{r:.1f}' for r in rates[name])})")
    print(f"scaling efficiency, {n} processes vs 1 worker: {procs / (n * one):.0%}  ({procs / one:.2f}x)")
    print(f"Dask cluster vs plain processes: {dask / procs:.2f}x the throughput "
          f"({100 * (procs / dask - 1):+.0f}% time per sample)")
    print("(the process figures include starting the worker processes, every run; the Dask workers were started once)")

    kernel, rest = breakdown(samples[:100])
    data = SampleFile(DATASET)
    start = time.perf_counter()
    for first in range(0, len(data), 16):
        data.read(first, min(first + 16, len(data)))
    reading = (time.perf_counter() - start) / len(data)
    per_sample = 1 / one
    print(f"one sample on 1 worker: {1e3 * per_sample:.2f} ms = simulator {1e3 * kernel:.2f} ms "
          f"({kernel / per_sample:.0%}) + verdict and synaptic-op count {1e3 * rest:.2f} ms ({rest / per_sample:.0%}) "
          f"+ the rest {1e3 * max(per_sample - kernel - rest, 0):.2f} ms; reading it from the dataset file "
          f"(16 per read) {1e3 * reading:.3f} ms, i.e. one reader feeds {1 / reading:.0f} samples/s")
    size = DATASET.stat().st_size * TARGET_SAMPLES / len(SampleFile(DATASET))
    per_core = one
    needed = TARGET_SAMPLES / TARGET_SECONDS
    print(f"10^5 samples: {TARGET_SAMPLES / procs / 60:.1f} min on this machine ({n} cores); "
          f"dataset file ~{size / 1e6:.0f} MB; {TARGET_SAMPLES / 16:.0f} tasks of 16 samples")
    print(f"in {TARGET_SECONDS:.0f} s: {needed:.0f} samples/s = {needed / per_core:.0f} cores at {per_core:.1f} samples/s per core "
          f"(1-worker figure; at the measured {procs / (n * one):.0%} efficiency, "
          f"{needed / (procs / n):.0f} cores of this machine's kind)")


if __name__ == "__main__":
    main()
