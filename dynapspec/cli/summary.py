"""`dynapspec summary`: the tables of :mod:`dynapspec.summary`, then the errors if any."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .build import SPEC_ARG, TARGET_OPT
from .common import handles_errors, report


@handles_errors
def summary(spec: Path = SPEC_ARG, target: Optional[str] = TARGET_OPT) -> None:
    """Per-layer shapes, memory, cores, scales and thresholds, each core's use, and the edges.

    A network that does not fit still gets the table for every layer that can be lowered, the
    failing ones marked, followed by the errors (exit status 1).

    \b
    Examples:
      dynapspec summary examples/lenet/net.yaml
      dynapspec summary net.yaml --target speck2edevkit
    """
    from ..errors import SpecError
    from ..summary import summarize

    result = summarize(spec, target)
    report(result.warnings)
    typer.echo(result.text())
    if result.errors:
        typer.echo(f"\n{len(result.errors)} error{'s' if len(result.errors) != 1 else ''}:", err=True)
        raise SpecError(result.errors)
