"""`dynapspec weights`: the datasets a spec's weight file must hold, and a template to start from."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from .build import SPEC_ARG, TARGET_OPT
from .common import handles_errors


@handles_errors
def weights(
    spec: Path = SPEC_ARG,
    template: Optional[Path] = typer.Option(
        None, "--template", help="Write an HDF5 file with every dataset the spec needs (see --fill), marked as a template."
    ),
    fill: str = typer.Option("zeros", "--fill", help="Template values: zeros, or random (uniform in ±1/sqrt(fan-in))."),
    seed: int = typer.Option(0, "--seed", help="Seed of --fill random; the same seed writes the same values."),
    force: bool = typer.Option(False, "--force", help="Replace an existing --template file."),
    target: Optional[str] = TARGET_OPT,
    fmt: str = typer.Option("text", "--format", help="text (a table) or json."),
) -> None:
    """List the weight datasets a spec needs; write a template.

    Each dataset's HDF5 path, shape, dtype and layout (a dense layer's column order included).

    Shapes follow from the input and every layer before, so they are worked out from the spec
    alone; no weight file is needed. Where the spec's weight file exists, each dataset's status
    (ok, missing, wrong shape) is shown too.

    \b
    Examples:
      dynapspec weights net.yaml
      dynapspec weights net.yaml --template net.h5                 # zeros, right shapes
      dynapspec weights net.yaml --template net.h5 --fill random --seed 1
      dynapspec weights net.yaml --format json
    """
    from .. import chips
    from ..errors import EXIT_USAGE, SpecError
    from ..spec import load
    from ..weightfile import FILLS, needs, write_template

    if fill not in FILLS:
        raise typer.BadParameter(f"must be one of {', '.join(FILLS)}", param_hint="--fill")
    if fmt not in ("text", "json"):
        raise typer.BadParameter("must be text or json", param_hint="--format")
    if target is not None and target not in chips.targets():
        raise typer.BadParameter(f"unknown target; known: {', '.join(chips.targets())}", param_hint="--target")
    if template is not None and template.exists() and not force:
        typer.echo(f"usage error: {template} exists; add --force to replace it", err=True)
        raise typer.Exit(EXIT_USAGE)
    loaded = load(spec, read_weights=False)
    assert loaded.weights_file is not None, "the builder resolves the weight file's path"
    found, errors = needs(loaded, target)
    status = _status(loaded, found) if Path(loaded.weights_file).exists() else {}
    if fmt == "json":
        rows = [dict(need.to_dict(), **({"status": status[need.layer]} if status else {})) for need in found]
        typer.echo(json.dumps({"weights_file": loaded.weights_file, "datasets": rows}, indent=2))
    else:
        _print(loaded, found, status)
    if errors:
        raise SpecError(errors)
    if template is not None:
        note = write_template(template, loaded, found, fill, seed)
        typer.echo(f"wrote {template}: {note}", err=True)
        if fill == "zeros":
            typer.echo(
                "note: all-zero layers never fire, so compiling refuses them (quant-all-zero) until real weights "
                "are in; --fill random gives a file that compiles and runs",
                err=True,
            )
        elif Path(template).resolve() != Path(loaded.weights_file).resolve():
            typer.echo(f"note: the spec reads {loaded.weights_file}; set `weights: {template}` or copy the file there", err=True)


def _print(spec, found, status) -> None:
    from ..overview import table

    rows = [("dataset", "shape", "dtype", "layout") + (("status",) if status else ())]
    for need in found:
        shape = "(" + ", ".join(map(str, need.shape)) + ")" if need.shape else "?"
        rows.append((need.dataset, shape, need.dtype, need.layout) + ((status[need.layer],) if status else ()))
    where = spec.weights_file + ("" if status else " (does not exist yet)")
    typer.echo(f"{spec.name} reads {len(found)} dataset{'s' if len(found) != 1 else ''} from {where}:")
    typer.echo("\n".join(table(rows)))
    typer.echo(
        "\ndtype: float32 (any real type is read) for quantized layers; int8 values, used as given, for layers "
        "with `quantize: false`. A `<layer>/bias` beside a weight is allowed only if all zeros."
    )


def _status(spec, found) -> dict:
    """Per layer: "ok", or what is wrong with the existing file's dataset (the reader's own checks)."""
    from ..spec.weights import read

    read_ok, problems = read(spec.weights_file, spec.layers, spec.locator)
    by_layer = {d.location.layer: d for d in problems}
    if problems and not by_layer.keys() - {None} and len(problems) == 1:  # the file itself is unreadable
        return {need.layer: problems[0].code for need in found}
    status = {}
    for need in found:
        if need.layer in by_layer:
            status[need.layer] = by_layer[need.layer].code
        elif need.shape is not None and read_ok[need.layer].weight.shape != need.shape:
            status[need.layer] = f"shape {read_ok[need.layer].weight.shape}"
        else:
            status[need.layer] = "ok"
    return status
