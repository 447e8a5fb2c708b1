"""`dynapspec evaluate`: accuracy of a network on a labelled dataset, on the chip simulator."""
from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import NoReturn, Optional

import typer

from .common import handles_errors, is_tty

EXIT_INTERRUPTED = 130  # the shell's status for Ctrl-C


@handles_errors
def evaluate(
    network: Path = typer.Argument(..., help="net.yaml (compiled on the fly) or a compiled config.json.", show_default=False),
    dataset: Path = typer.Argument(
        ..., help="A dataset file (HDF5, format dynapspec-dataset) or a folder of event files with labels.csv.", show_default=False
    ),
    labels: Optional[Path] = typer.Option(None, "--labels", help="Labels file for a folder dataset [default: FOLDER/labels.csv]."),
    rule: str = typer.Option("count", "--rule", help="Decision rule: count (most spikes), first (first spike), readout (readout class)."),
    output_layer: Optional[str] = typer.Option(
        None, "--output-layer", help="Layer whose features are the classes [default: the exit layer]."),
    float_model: bool = typer.Option(False, "--float", help="Also run the float model (spec weights, no quantization) and compare."),
    per_layer: bool = typer.Option(False, "--per-layer", help="Also the float model with one layer at a time quantized: "
                                   "each layer's quantization cost (implies --float)."),
    workers: Optional[int] = typer.Option(None, "--workers", "-w", help="Local worker processes [default: every core]."),
    scheduler: Optional[str] = typer.Option(
        None, "--scheduler", help="Run on this Dask scheduler (tcp://host:8786) instead; needs dynapspec[cluster]."),
    shared_files: bool = typer.Option(False, "--shared-files", help="With --scheduler: every worker sees DATASET at the same "
                                      "path and reads its own chunks [default: this process reads and sends the events]."),
    chunk: int = typer.Option(16, "--chunk", help="Samples per task."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write every figure and per-sample verdict to this JSON file."),
    progress: Optional[bool] = typer.Option(None, "--progress/--no-progress", help="Progress bar on stderr [default: on a terminal]."),
) -> None:
    """Run every sample of a labelled dataset through the chip simulator and report accuracy.

    Prints accuracy, ties, time to decision, spikes and synaptic operations per sample, per-class
    precision and recall and the confusion matrix; with --float, the float model side by side.
    Exit status 1 if some samples failed (they are listed; the others are still evaluated), 130
    after Ctrl-C (the -o file is then written and marked partial).

    \b
    Examples:
      dynapspec evaluate examples/mnist/net.yaml examples/mnist/test.h5 --float
      dynapspec evaluate net.yaml recordings/ --labels labels.csv -o result.json --workers 8
      dynapspec evaluate net.yaml test.h5 --scheduler tcp://scheduler:8786 --shared-files
    """
    from ..evaluate import evaluate as run_evaluation
    from ..evaluate.decide import RULES
    from ..evaluate.report import summary_lines, write_json
    from ..fileio import ensure_writable

    if rule not in RULES:
        _usage(f"--rule {rule!r}: choose one of {', '.join(RULES)}")
    if output is not None:
        if output.suffix.lower() != ".json":
            _usage(f"-o {output}: the result file is JSON; name it with a .json suffix")
        ensure_writable(output)
    if workers is not None and workers < 1:
        _usage(f"--workers {workers}: give at least 1")
    if chunk < 1:
        _usage(f"--chunk {chunk}: give at least 1")
    _slow_loop_notes(float_model or per_layer)
    bar = ProgressLine() if (is_tty() if progress is None else progress) else None
    result = run_evaluation(
        network, dataset, rule=rule, output=output_layer, float_model=float_model, per_layer=per_layer, workers=workers,
        scheduler=scheduler, chunk_size=chunk, labels=labels, shared_files=shared_files, progress=bar,
    )  # fmt: skip
    if bar is not None:
        bar.close()
    if output is not None:
        write_json(output, result)
    for line in summary_lines(result):
        typer.echo(line)
    if output is not None:
        typer.echo(f"wrote {output}" + (" (partial)" if result.partial else ""), err=True)
    if result.partial:
        raise typer.Exit(EXIT_INTERRUPTED)
    if result.failed:
        from ..errors import EXIT_INVALID

        raise typer.Exit(EXIT_INVALID)


def _slow_loop_notes(float_model: bool) -> None:
    """Say once why the run will be slow, when a compiled loop is missing (the simulator's, the float model's)."""
    from .run import _kernel_note

    _kernel_note()
    if float_model:
        from ..evaluate.floatnet import COMPILED, FALLBACK_REASON

        if not COMPILED:
            typer.echo(f"note: the float model runs its plain-Python loop, hundreds of times slower: {FALLBACK_REASON}", err=True)


def _usage(message: str) -> NoReturn:
    from ..errors import EXIT_USAGE

    typer.echo(f"usage error: {message}", err=True)
    raise typer.Exit(EXIT_USAGE)


class ProgressLine:
    """One line on stderr, redrawn at most every ``interval`` seconds: done/total, rate, ETA."""

    def __init__(self, interval: float = 0.2, stream=None):
        self.start = time.perf_counter()
        self.last = 0.0
        self.interval = interval
        self.stream = stream or sys.stderr

    def __call__(self, done: int, total: Optional[int]) -> None:
        now = time.perf_counter()
        if now - self.last < self.interval and done != total:
            return
        self.last = now
        self.stream.write("\r" + progress_text(done, total, now - self.start) + "\x1b[K")
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


def progress_text(done: int, total: Optional[int], elapsed: float, width: int = 30) -> str:
    """``[#####.....]  340/1000  34%  28.3 samples/s  ETA 0:23`` (no bar, percentage or ETA without a total)."""
    rate = done / elapsed if elapsed > 0 else 0.0
    if total is None:
        return f"{done} samples  {rate:.1f} samples/s"
    filled = width * done // max(total, 1)
    eta = (total - done) / rate if rate > 0 else None
    eta_text = "--:--" if eta is None else f"{int(eta // 60)}:{int(eta % 60):02d}"
    percent = 100 * done // max(total, 1)
    return f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {percent:3d}%  {rate:.1f} samples/s  ETA {eta_text}"
