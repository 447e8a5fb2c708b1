"""The `dynapspec` command: one typer app, one module per command group.

Command modules import only typer at module level; each command imports the pipeline stages it
needs when it runs, which keeps `dynapspec --help` and cold starts fast.
"""
from __future__ import annotations

from typing import Optional

import typer

from .. import __version__
from . import build, device, evaluate, info, nir, plot, run as run_cmds, summary, weights

app = typer.Typer(
    name="dynapspec",
    help="Deploy spiking CNNs onto SynSense DYNAP-CNN and Speck chips from a YAML spec and an HDF5 weight file.",
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dynapspec {__version__}")
        raise typer.Exit(0)


@app.callback()
def _main(
    version: Optional[bool] = typer.Option(
        None, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Exit status: 0 ok, 1 invalid input, 2 usage, 3 device or I/O failure."""


app.command("validate")(build.validate)
app.command("compile")(build.compile_cmd)
app.command("summary")(summary.summary)
app.command("weights")(weights.weights)
app.command("schema")(info.schema)
app.command("rules")(info.rules)
app.command("explain", short_help="Explain a diagnostic code: trigger, example and fix.")(info.explain)
app.command("simulate")(run_cmds.simulate)
app.command("deploy")(run_cmds.deploy)
app.command("evaluate", short_help="Measure a network's accuracy on a labelled dataset.")(evaluate.evaluate)
app.command("devices")(device.devices)
app.command("import")(nir.import_cmd)
app.command("export")(nir.export_cmd)
app.command("show", short_help="Draw the chip map: cores, layers, memory and edges.")(plot.show)
app.command("plot", short_help="Plot a run's activity: input rate, rasters, class counts.")(plot.plot)
app.command("report", short_help="Write a one-page HTML report of a network (and a run).")(plot.report_cmd)



class _Command(typer.core.TyperCommand):
    """Usage lines as man pages write them (``SPEC...``), not typer's ``{SPEC...}`` for required arguments."""

    def collect_usage_pieces(self, ctx):
        pieces = super().collect_usage_pieces(ctx)
        return [p[1:-1] if p.startswith("{") and p.endswith("}") else p for p in pieces]


for _info in app.registered_commands:
    if _info.cls in (None, typer.core.TyperCommand):
        _info.cls = _Command


def run() -> None:
    app()
