"""Commands that exchange networks with other frameworks through NIR: import, export."""
from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from .common import handles_errors, report


class Reset(str, Enum):
    zero = "zero"
    subtract = "subtract"


@handles_errors
def import_cmd(
    model: Path = typer.Argument(..., help="A NIR file (model.nir).", metavar="MODEL", show_default=False),
    output: Optional[Path] = typer.Option(
        None, "-o", "--output", help="The spec to write (default: <model>.yaml); its weights go beside it (.h5)."
    ),
    target: str = typer.Option("speck2fdevkit", "--target", "-t", help="Target board written into the spec."),
    reset: Optional[Reset] = typer.Option(
        None, "--reset", help="Neuron reset for every layer. Default: zero, as NIR's IF resets to v_reset."
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing spec or weight file."),
) -> None:
    """Turn a NIR graph into a spec and a weight file.

    Both are written for editing and checked for the chip; what does not fit yet is listed.

    \b
    Examples:
      dynapspec import model.nir -o net.yaml
      dynapspec import model.nir -o net.yaml --target speck2edevkit --reset subtract --force
    """
    from .. import chips
    from ..errors import DynapspecError
    from ..nirio import import_file

    if target not in chips.targets():
        raise typer.BadParameter(f"unknown target {target!r}; known: {', '.join(chips.targets())}",
                                 param_hint="--target")
    spec_path = output or model.with_suffix(".yaml")
    if spec_path.suffix.lower() == ".h5":
        raise typer.BadParameter("the output is the spec (.yaml); its weights are written beside it (.h5)",
                                 param_hint="--output")
    existing = [p for p in (spec_path, spec_path.with_suffix(".h5")) if p.exists()]
    if existing and not force:
        raise typer.BadParameter(f"{existing[0]} exists; pass --force to overwrite it", param_hint="--output")
    result = import_file(model, spec_path, target=target, reset=reset.value if reset else None)
    typer.echo(f"wrote {result.spec_path} and {result.weights_path} ({result.layers} layers)", err=True)
    report(result.decisions + result.warnings)
    if result.problems:
        typer.echo(f"{result.spec_path} needs changes before it compiles for {target}:", err=True)
        report(result.problems)
        raise typer.Exit(DynapspecError(result.problems).exit_status)


@handles_errors
def export_cmd(
    spec: Path = typer.Argument(..., help="The spec file (net.yaml).", metavar="SPEC", show_default=False),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="The NIR file to write (default: <spec>.nir)."),
) -> None:
    """Write a spec as a NIR graph for other frameworks.

    Nodes: Conv2d/Linear, IF, sum or average pooling, Flatten.

    \b
    Examples:
      dynapspec export examples/lenet/net.yaml
      dynapspec export net.yaml -o model.nir
    """
    from ..nirio import write

    out = output or spec.with_suffix(".nir")
    loaded = write(spec, out)
    typer.echo(f"wrote {out} ({len(loaded.layers)} layers)", err=True)
