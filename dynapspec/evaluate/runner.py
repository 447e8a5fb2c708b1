"""Where chunks of samples run: in this process, in local worker processes, or on a Dask cluster.

Every backend takes chunks in dataset order and the caller collects results by sample index, so
the result never depends on the backend or the number of workers. At most ``window`` chunks are in
flight, which bounds memory on datasets of any length. A chunk whose worker dies is reported as
failed samples; Ctrl-C (KeyboardInterrupt) stops submitting, keeps every finished chunk and
returns, marked interrupted.
"""
from __future__ import annotations

import concurrent.futures
import os
import signal
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Deque, Dict, Iterable, Optional, Tuple

from .job import Chunk, Job, SampleResult, chunk_indices, run_chunk

_worker_job: Optional[Job] = None  # set in each local worker process by its initializer


def local_cores() -> int:
    """Cores this process may run on (the affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


@dataclass(frozen=True)
class Outcome:
    results: Dict[int, SampleResult]
    interrupted: bool


class InProcess:
    """Runs each chunk when it is submitted (one worker, no pickling)."""

    description = "1 worker (this process)"
    window = 1  # chunks run as they are submitted: collect each at once

    def __init__(self, job: Job):
        self.job = job

    def submit(self, chunk: Chunk):
        future: concurrent.futures.Future = concurrent.futures.Future()
        future.set_result(run_chunk(self.job, chunk))
        return future

    def close(self) -> None:
        pass


class LocalProcesses:
    """A pool of worker processes that each receive the job once, at start."""

    def __init__(self, job: Job, workers: int):
        self.description = f"{workers} local worker processes"
        self.window = 4 * workers  # enough queued work that no worker waits for the next chunk
        self.pool = concurrent.futures.ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(job,))

    def submit(self, chunk: Chunk):
        return self.pool.submit(_run_local, chunk)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def _init_worker(job: Job) -> None:
    global _worker_job
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _worker_job = job


def _run_local(chunk: Chunk):
    assert _worker_job is not None, "the pool's initializer sets it"
    return run_chunk(_worker_job, chunk)


class DaskCluster:
    """A ``dask.distributed.Client``: the job is scattered to every worker once."""

    def __init__(self, job: Job, client):
        self.client = client
        self.job = client.scatter(job, broadcast=True, hash=False)
        workers = client.scheduler_info().get("workers", {})
        threads = sum(w.get("nthreads", 1) for w in workers.values())
        self.description = f"Dask cluster {client.scheduler.address} ({len(workers)} workers, {threads} threads)"
        self.window = 4 * max(threads, 1)

    def submit(self, chunk: Chunk):
        return self.client.submit(run_chunk, self.job, chunk, pure=False)

    def close(self) -> None:
        self.client.cancel([self.job], force=True)


def run(
    backend,
    chunks: Iterable[Chunk],
    window: int,
    progress: Optional[Callable[[int], None]] = None,
) -> Outcome:
    """Submit ``chunks`` with at most ``window`` in flight; collect results by sample index."""
    results: Dict[int, SampleResult] = {}
    pending: Deque[Tuple[Chunk, Any]] = deque()  # (chunk, its future)

    def collect(chunk: Chunk, future, report: bool = True) -> None:
        try:
            done = future.result()
        except Exception as exc:  # noqa: BLE001 - a lost worker fails its chunk, not the run
            why = f"worker failed: {type(exc).__name__}: {exc}"
            done = [SampleResult(i, None, name, 0, None, None, why) for i, name in chunk_indices(chunk)]
        for result in done:
            results[result.index] = result
        if report and progress is not None:
            progress(len(done))

    try:
        for chunk in chunks:
            pending.append((chunk, backend.submit(chunk)))
            while len(pending) >= window:
                collect(*pending[0])  # popped only once collected: Ctrl-C while waiting keeps it pending
                pending.popleft()
        while pending:
            collect(*pending[0])
            pending.popleft()
    except KeyboardInterrupt:
        for chunk, future in pending:
            if future.done() and not future.cancelled():
                collect(chunk, future, report=False)
            else:
                future.cancel()
        return Outcome(results, True)
    finally:
        backend.close()
    return Outcome(results, False)
