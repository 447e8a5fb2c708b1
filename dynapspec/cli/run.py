"""Commands that run a network: simulate, deploy (simulator or board)."""
from __future__ import annotations

from pathlib import Path

import typer

from .common import handles_errors


@handles_errors
def simulate(spec: Path = typer.Argument(..., help="net.yaml or a compiled config.json.")) -> None:
    """Run a network in the bit-accurate chip simulator."""
    raise NotImplementedError("simulate: in progress")


@handles_errors
def deploy(spec: Path = typer.Argument(..., help="net.yaml or a compiled config.json.")) -> None:
    """Deploy a network to a board, or to the simulator when none is attached."""
    raise NotImplementedError("deploy: in progress")
