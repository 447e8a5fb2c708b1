"""Commands that check and compile a spec: validate, compile, summary."""
from __future__ import annotations

from pathlib import Path

import typer

from .common import handles_errors


@handles_errors
def validate(spec: Path = typer.Argument(..., help="The spec file (net.yaml).")) -> None:
    """Check a spec and its weights against the chip without writing anything."""
    raise NotImplementedError("validate: in progress")


@handles_errors
def compile_cmd(spec: Path = typer.Argument(..., help="The spec file (net.yaml).")) -> None:
    """Compile a spec into a configuration document."""
    raise NotImplementedError("compile: in progress")


@handles_errors
def summary(spec: Path = typer.Argument(..., help="The spec file (net.yaml).")) -> None:
    """Per-layer shapes, memory, cores and scales."""
    raise NotImplementedError("summary: in progress")
