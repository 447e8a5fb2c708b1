"""Commands that draw: show (chip map), plot (activity of a run), report (one HTML page).

They need the ``plot`` extra (matplotlib). Without it each says which ``pip install`` to run and
exits 3 (``plot-missing``) before doing any work. An output name of the wrong kind (a picture
that is not .svg, .png or .pdf; a report that is not .html) is a usage error (exit 2).
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .build import TARGET_OPT
from .common import handles_errors, report
from .run import NETWORK_ARG

PICTURE_OPT = typer.Option(..., "--output", "-o", help="The picture to write: .svg, .png or .pdf.", show_default=False)


def _ready(output: Path, suffixes, network: Optional[Path] = None, target: Optional[str] = None) -> None:
    """Check what needs no work first: the output's name, option clashes, the extra, a writable output."""
    from ..fileio import ensure_writable
    from ..plot.style import require

    if output.suffix.lower() not in suffixes:
        raise typer.BadParameter(f"{output}: write {', '.join(suffixes[:-1])} or {suffixes[-1]}", param_hint="--output")
    if target is not None and network is not None and network.suffix.lower() == ".json":
        raise typer.BadParameter("a compiled configuration is for its own target; --target applies to a spec", param_hint="--target")
    require()
    ensure_writable(output)


PICTURES = (".svg", ".png", ".pdf")


def _fail_if_unfit(view) -> None:
    """After the output is written: a network that does not fit exits 1 with the compiler's errors."""
    if view.problems:
        from ..errors import SpecError

        report(view.problems)
        raise typer.Exit(SpecError(view.problems).exit_status)


@handles_errors
def show(network: Path = NETWORK_ARG, output: Path = PICTURE_OPT, target: Optional[str] = TARGET_OPT) -> None:
    """Draw the chip map: each core with its layer, shapes and memory against capacity, and the edges.

    A network that does not fit is drawn too: the layers that found no core are marked, with the
    compiler's reason; the picture is written and the command exits 1, as `compile` would.
    Needs the plot extra, pip install 'dynapspec[plot]' (exit 3 without it).

    \b
    Examples:
      dynapspec show examples/lenet/net.yaml -o chip.svg
      dynapspec show net.config.json -o chip.png
    """
    _ready(output, PICTURES, network, target)
    from ..plot import chip_map, save
    from ..plot.model import load_view

    view = load_view(network, target)
    report(view.warnings)
    save(chip_map(view), output)
    typer.echo(f"wrote {output}", err=True)
    _fail_if_unfit(view)


@handles_errors
def plot(
    result: Path = typer.Argument(..., help="A result file of `simulate` or `deploy -o` (HDF5).", show_default=False),
    output: Path = PICTURE_OPT,
    network: Optional[Path] = typer.Option(
        None, "--network", "-n", help="The net.yaml or config.json of the run: panels in network order, its exit layers as outputs."
    ),
    max_points: int = typer.Option(50_000, "--max-points", min=1, help="Draw a layer's spikes one by one up to this many; bin above."),
) -> None:
    """Plot a run: the input's event rate; per monitored layer a raster and its rate; class counts of outputs.

    Layers with more than --max-points spikes are drawn binned, and their panel says so. Needs
    the plot extra, pip install 'dynapspec[plot]' (exit 3 without it).

    \b
    Examples:
      dynapspec simulate examples/lenet/net.yaml -i examples/lenet/input.h5 -m all -o out.h5
      dynapspec plot out.h5 -o activity.png --network examples/lenet/net.yaml
    """
    _ready(output, PICTURES)
    from ..errors import Location, SpecError
    from ..events import read_event_file
    from ..plot import activity, save

    content = read_event_file(result)
    if content.input is None and not content.layers:
        raise SpecError.single(
            "events-format", "nothing to plot: no /input and no /layers (simulate or deploy -o writes them)", Location(str(result))
        )
    save(activity(content, network=network, max_points=max_points), output)
    typer.echo(f"wrote {output}", err=True)


@handles_errors
def report_cmd(
    network: Path = NETWORK_ARG,
    input: Optional[Path] = typer.Option(  # noqa: A002
        None, "--input", "-i", help="Also run this event file (HDF5, docs/events.md) on the simulator, every layer monitored."
    ),
    output: Path = typer.Option(..., "--output", "-o", help="The report to write (.html).", show_default=False),
    target: Optional[str] = TARGET_OPT,
) -> None:
    """Write a one-page, self-contained HTML report: layers, warnings, the chip map and, with --input, a run.

    A network that does not fit is reported with its placement errors (and not run); the report
    is written and the command exits 1. Needs the plot extra, pip install 'dynapspec[plot]' (exit
    3 without it).

    \b
    Examples:
      dynapspec report examples/lenet/net.yaml -o report.html
      dynapspec report examples/lenet/net.yaml --input examples/lenet/input.h5 -o report.html
    """
    _ready(output, (".html", ".htm"), network, target)
    from ..fileio import write_text
    from ..plot.model import load_config, load_view
    from ..plot.report import render
    from .run import _read_input

    view = load_view(network, target)
    report(view.warnings)
    config = events = None
    if input is not None and view.fits:
        config = load_config(network, target)
        events = _read_input(input, config)
    elif input is not None:  # not run (the report says why), but read: a bad file is still an error
        from ..events import read_event_file

        events = read_event_file(input).input
    write_text(output, render(view, config, events, input_name=str(input)))
    typer.echo(f"wrote {output}", err=True)
    _fail_if_unfit(view)
