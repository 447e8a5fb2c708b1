"""`dynapspec summary`: the tables of :mod:`dynapspec.overview`, then the errors if any."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .build import SPEC_ARG, TARGET_OPT
from .common import handles_errors, report


@handles_errors
def summary(spec: Path = SPEC_ARG, target: Optional[str] = TARGET_OPT) -> None:
    """Show a network's shapes, memory, cores and edges.

    Per layer: shapes, kernel, memory, core, the cores it fits, scale and thresholds; then each
    core's use against its capacity, and every edge with its pooling and feature shift.

    A network that does not fit still gets the table for every layer that can be lowered, the
    failing ones marked, followed by the errors (exit status 1).

    \b
    Examples:
      dynapspec summary examples/lenet/net.yaml
      dynapspec summary net.yaml --target speck2edevkit
    """
    from ..errors import SpecError
    from ..overview import summarize

    result = summarize(spec, target)
    report(result.warnings)
    typer.echo(result.text())
    if result.errors:
        typer.echo(f"\n{len(result.errors)} error{'s' if len(result.errors) != 1 else ''}:", err=True)
        raise SpecError(result.errors)
