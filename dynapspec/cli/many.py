"""``dynapspec simulate`` of several input files: one file per core, in worker processes.

One run is sequential by nature (each event depends on the states the previous ones left), so a
machine's cores are used by running files side by side. Every file starts from the network's
initial states, as if it were simulated alone, so the results are those of running the files one
by one (tested); they are printed and written in the order the files were given.
"""
from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, Dict, List, NoReturn, Optional, Sequence

import typer

from ..errors import DynapspecError


def input_files(paths: List[Path]) -> List[Path]:
    """The --input files: a directory stands for the event files in it (every suffix
    ``dynapspec.inputs`` reads), sorted by name."""
    from ..inputs import SUFFIXES

    files = []
    for path in paths:
        if path.is_dir():
            inside = sorted(p for p in path.iterdir() if p.suffix.lower() in SUFFIXES and p.is_file())
            if not inside:
                _usage(f"--input {path}: the directory holds no event files ({', '.join(sorted(SUFFIXES))})")
            files.extend(inside)
        else:
            files.append(path)
    return files


def output_files(inputs: List[Path], output: Optional[Path]) -> Sequence[Optional[Path]]:
    """With several inputs, -o is a directory that receives <input name>.h5 for each."""
    if output is None:
        return [None] * len(inputs)
    if output.suffix in (".h5", ".hdf5") and not output.is_dir():
        _usage(f"-o {output}: with {len(inputs)} input files, -o names a directory (each result goes to DIR/<input name>.h5)")
    names = [p.stem for p in inputs]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        _usage(f"several input files are called {', '.join(twice)}; their results would overwrite each other in {output}")
    from ..fileio import ensure_writable

    targets = [output / f"{name}.h5" for name in names]
    for target in targets:
        ensure_writable(target)
    return targets


def usable_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def simulate_files(config, network: Path, inputs: List[Path], outputs: Sequence[Optional[Path]], monitor, states: bool,
                   jobs: Optional[int], polarity: Optional[str] = None) -> None:  # fmt: skip
    """Simulate each input file from the initial states; print and write the results in input order."""
    from .run import _finish

    workers = min(jobs or usable_cores(), len(inputs))
    typer.echo(f"simulating {len(inputs)} input files, {workers} at a time (one per process)", err=True)
    setup = (config, str(network), monitor, states, polarity)
    if workers == 1:
        _start(*setup)
        outcomes = map(_simulate_one, inputs)
        _finish_all(config, inputs, outputs, outcomes, _finish)
        return
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_start, initargs=setup)
    try:
        _finish_all(config, inputs, outputs, pool.map(_simulate_one, inputs), _finish)
    finally:
        pool.shutdown(cancel_futures=True)  # after an error, the files not started are not run


def _finish_all(config, inputs, outputs, outcomes, finish) -> None:
    for path, target, (events, result, error) in zip(inputs, outputs, outcomes):
        if error is not None:
            raise error[0](error[1])  # the file's own diagnostics; the files after it are not run
        typer.echo(f"== {path}")
        finish(config, events, result, target)


# ---------------------------------------------------------------- in each worker

_WORKER: Dict[str, Any] = {}  # what each worker process was given


def _start(config, network: str, monitor, states: bool, polarity: Optional[str]) -> None:
    from ..sim import Simulator

    _WORKER.update(sim=Simulator(config, network), config=config, monitor=monitor, states=states, polarity=polarity)


def _simulate_one(path: Path):
    """(events, result, None), or (None, None, (error class, diagnostics)): errors travel as values."""
    from .run import _read_input

    sim = _WORKER["sim"]
    try:
        events = _read_input(path, _WORKER["config"], _WORKER["polarity"])
        sim.reset()
        return events, sim.run(events, monitor=_WORKER["monitor"], record_states=_WORKER["states"], source=str(path)), None
    except DynapspecError as exc:
        return None, None, (type(exc), exc.diagnostics)


def _usage(message: str) -> NoReturn:
    from .run import _usage as usage

    usage(message)
