"""Commands that exchange networks with other frameworks through NIR: import, export."""
from __future__ import annotations

from pathlib import Path

import typer

from .common import handles_errors


@handles_errors
def import_cmd(model: Path = typer.Argument(..., help="A NIR file (model.nir).")) -> None:
    """Turn a NIR graph into an editable spec and weight file."""
    raise NotImplementedError("import: in progress")


@handles_errors
def export_cmd(spec: Path = typer.Argument(..., help="The spec file (net.yaml).")) -> None:
    """Write a spec as a NIR graph."""
    raise NotImplementedError("export: in progress")
