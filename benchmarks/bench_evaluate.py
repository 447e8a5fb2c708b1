"""Dataset evaluation throughput: 1 worker, every local core, and a local Dask cluster of that size.

Workload: the trained mnist example (examples/mnist: conv 8@5x5, conv 16@5x5, dense 64, dense 10)
on the first --samples samples of its test split (rate-coded MNIST digits, about 1,600 input
events per sample), chip simulator only (no float model), rule count. Each configuration runs
--repeat times, interleaved, and the best run is reported (the machine may be shared).

Prints samples/s per configuration, the scaling efficiency of N processes against 1 worker, the
Dask cluster against plain processes, where one sample's time goes, and what it takes to evaluate
10^5 samples in a minute. Then what --float adds: the float model's CPU time per sample with its
compiled loop (all samples) against the simulator's, and against its plain-Python twin (on the
first --python-samples samples, the same samples for both). Figures only, no assertions.

    python benchmarks/bench_evaluate.py [--samples 400] [--repeat 2] [--workers N] [--python-samples 5]
"""
from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import numpy as np

from dynapspec.evaluate import evaluate, floatnet, write_dataset
from dynapspec.evaluate.datasets import SampleFile
from dynapspec.evaluate.evaluation import _job
from dynapspec.evaluate.job import _chip_trace, _engines
from dynapspec.evaluate.decide import decide
from dynapspec.evaluate.runner import local_cores

ROOT = Path(__file__).resolve().parent.parent
NETWORK = ROOT / "examples" / "mnist" / "net.yaml"
DATASET = ROOT / "examples" / "mnist" / "test.h5"
TARGET_SAMPLES, TARGET_SECONDS = 100_000, 60.0


def subset(path: Path, n: int) -> Path:
    """The first ``n`` samples of the dataset, as a dataset file of their own."""
    data = SampleFile(DATASET)
    write_dataset(path, ((s.events, s.label) for s in data.read(0, min(n, len(data)))))
    return path


def cpu_seconds() -> float:
    """CPU time of this process, its reaped children and its live descendants (Dask workers)."""
    import psutil  # a dependency of dask.distributed

    used = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        used += usage.ru_utime + usage.ru_stime
    for child in psutil.Process().children(recursive=True):
        try:
            times = child.cpu_times()
            used += times.user + times.system
        except psutil.Error:
            pass
    return used


def timed(run):
    """(samples/s of wall-clock time, CPU seconds per sample over every process involved)."""
    cpu, start = cpu_seconds(), time.perf_counter()
    result = run()
    seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    return len(result.samples) / seconds, cpu / len(result.samples)


def breakdown(path: Path, repeat: int = 3):
    """CPU seconds per sample: reading it (16 per read), the simulator's run, evaluate's own work."""
    job = _job(NETWORK, "count", None, False)
    sim = _engines(job)[0]
    data = SampleFile(path)
    best = [float("inf")] * 3
    for _ in range(repeat):
        spent = [0.0] * 3
        for first in range(0, len(data), 16):
            a = time.process_time()
            samples = data.read(first, min(first + 16, len(data)))
            spent[0] += time.process_time() - a
            for sample in samples:
                a = time.process_time()
                sim.reset()
                result = sim.run(sample.events, monitor="all")
                b = time.process_time()
                decide(_chip_trace(job, result, sample.events), job.classes, job.rule, int(sample.events["t"][0]))
                spent[1] += b - a
                spent[2] += time.process_time() - b
        best = [min(x, s / len(data)) for x, s in zip(best, spent)]
    return best


def float_model_cost(path: Path, python_samples: int, repeat: int = 3):
    """CPU seconds per sample of the float model as --float runs it (FloatNetwork.run): with the
    compiled loop on every sample (best of ``repeat``), then the compiled and the plain-Python
    loop on the first ``python_samples``."""
    model = _engines(_job(NETWORK, "count", None, True))[1]
    data = SampleFile(path)
    samples = data.read(0, len(data))

    def per_sample(loop, some) -> float:
        floatnet.run_loop = loop  # what FloatNetwork.run calls
        start = time.process_time()
        for sample in some:
            model.run(sample.events)
        return (time.process_time() - start) / len(some)

    chosen = floatnet.run_loop
    try:
        every = min(per_sample(floatnet.compiled_run, samples) for _ in range(repeat))
        first = samples[:python_samples]
        return every, min(per_sample(floatnet.compiled_run, first) for _ in range(repeat)), per_sample(floatnet.run_float, first)
    finally:
        floatnet.run_loop = chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--workers", type=int, default=local_cores())
    parser.add_argument("--python-samples", type=int, default=5, help="samples for the float model's plain-Python loop")
    args = parser.parse_args()
    from distributed import Client, LocalCluster

    import tempfile

    folder = tempfile.TemporaryDirectory()
    samples = subset(Path(folder.name) / "subset.h5", args.samples)
    data = SampleFile(samples)
    n = args.workers
    events = np.mean(np.diff(data.offsets.astype(np.int64)))
    print(f"network {NETWORK.relative_to(ROOT)}; the first {len(data)} samples of {DATASET.relative_to(ROOT)}, "
          f"{events:.0f} input events per sample on average; {n} local cores")
    evaluate(NETWORK, samples, workers=1)  # imports done and the dataset in the page cache before anything is timed
    names = ["1 worker", f"{n} processes", f"Dask {n} workers", f"Dask {n}, workers read"]
    rates, cpus = {k: [] for k in names}, {k: [] for k in names}
    with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(cluster) as client:
        evaluate(NETWORK, samples, client=client)  # workers start and import dynapspec once, before anything is timed
        runs = {
            names[0]: lambda: evaluate(NETWORK, samples, workers=1),
            names[1]: lambda: evaluate(NETWORK, samples, workers=n),
            names[2]: lambda: evaluate(NETWORK, samples, client=client),
            names[3]: lambda: evaluate(NETWORK, samples, client=client, shared_files=True),
        }
        for _ in range(args.repeat):
            for name, job in runs.items():
                rate, cpu = timed(job)
                rates[name].append(rate)
                cpus[name].append(cpu)
    best = {k: max(v) for k, v in rates.items()}
    cpu = {k: min(v) for k, v in cpus.items()}
    one, procs, dask, _ = (best[k] for k in names)
    for name in names:
        print(f"{name:>18}: {best[name]:8.1f} samples/s wall clock (runs: {', '.join(f'{r:.1f}' for r in rates[name])}); "
              f"{1e3 * cpu[name]:.1f} ms CPU per sample, all processes")
    print(f"scaling, wall clock: {n} processes = {procs / one:.2f}x 1 worker ({procs / (n * one):.0%} efficiency)")
    print(f"scaling, CPU time: {n} processes spend {cpu[names[1]] / cpu[names[0]]:.2f}x the CPU per sample of 1 worker, "
          f"so on {n} idle cores they would reach {cpu[names[0]] / cpu[names[1]]:.0%} efficiency "
          f"(~{n / cpu[names[1]]:.0f} samples/s)")
    print(f"Dask vs plain processes: {dask / procs:.2f}x the wall-clock throughput; "
          f"{cpu[names[2]] / cpu[names[1]]:.2f}x the CPU per sample ({cpu[names[3]] / cpu[names[1]]:.2f}x when workers read the file)")
    print("(process-pool runs include starting the worker processes each time; the Dask workers were started once)")

    reading, simulating, verdict = breakdown(samples)
    total = cpu[names[0]]
    print(f"one sample, CPU on 1 worker: {1e3 * total:.2f} ms = reading {1e3 * reading:.2f} ms ({reading / total:.0%}) "
          f"+ simulator {1e3 * simulating:.2f} ms ({simulating / total:.0%}) + verdict and synaptic-op count "
          f"{1e3 * verdict:.2f} ms ({verdict / total:.0%}) + the rest {1e3 * max(total - reading - simulating - verdict, 0):.2f} ms")
    size = DATASET.stat().st_size * TARGET_SAMPLES / len(SampleFile(DATASET))
    needed = TARGET_SAMPLES / TARGET_SECONDS
    per_core = 1 / cpu[names[3]]  # samples/s one dedicated core sustains inside a Dask cluster whose workers read
    print(f"10^5 samples: {TARGET_SAMPLES / procs / 60:.1f} min on this machine as it is ({n} cores, shared); "
          f"{TARGET_SAMPLES * cpu[names[0]] / 60:.0f} CPU-minutes; dataset file ~{size / 1e6:.0f} MB; "
          f"{TARGET_SAMPLES / 16:.0f} tasks of 16 samples")
    print(f"in {TARGET_SECONDS:.0f} s: {needed:.0f} samples/s = {needed / per_core:.0f} dedicated cores at {per_core:.1f} samples/s "
          f"per core (Dask, workers read) = {needed / per_core / n:.0f} machines of {n} cores; a client that reads the "
          f"dataset itself feeds at most {1 / reading:.0f} samples/s")
    if not floatnet.COMPILED:
        print(f"float model: no compiled loop ({floatnet.FALLBACK_REASON})")
        return
    every, first, python = float_model_cost(samples, args.python_samples)
    print(f"--float, CPU per sample on 1 worker: float model {1e3 * every:.2f} ms (compiled loop; "
          f"{every / simulating:.2f}x the simulator's {1e3 * simulating:.2f} ms); on the first {args.python_samples} samples "
          f"the plain-Python loop takes {python:.2f} s per sample, {python / first:.0f}x the compiled loop's {1e3 * first:.2f} ms")


if __name__ == "__main__":
    main()
