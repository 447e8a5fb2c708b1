"""`dynapspec summary`: the tables a user reads to decide what to shrink.

A network that compiles gets its layers (shapes, memory, cores, scales), each core's use against
its capacity, and its edges. A network that does not compile gets the same layer table for every
layer that can be lowered (shapes and memory need no weights, so a missing weight file does not
hide them), each row marked with the problems found at that layer, the edges, and then the
errors, one line each, with exit status 1.
"""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional, Sequence

import typer

from .build import SPEC_ARG, TARGET_OPT
from .common import handles_errors, report

LAYER_HEADER = ("layer", "input CxHxW", "output FxHxW", "kernel", "kernel mem", "neuron mem", "core", "fits cores")


@handles_errors
def summary(
    spec: Path = SPEC_ARG,
    target: Optional[str] = TARGET_OPT,
) -> None:
    """Per-layer shapes, memory, cores, scales and thresholds, each core's use, and the edges.

    A network that does not fit still gets the table for every layer that can be lowered, the
    failing ones marked, followed by the errors (exit status 1).

    \b
    Examples:
      dynapspec summary examples/lenet/net.yaml
      dynapspec summary net.yaml --target speck2edevkit
    """
    from .. import chips
    from ..compiler import compile_spec
    from ..errors import SpecError
    from ..lower import lower_partially

    try:
        result = compile_spec(spec, target=target)
    except SpecError as failure:
        raise SpecError(_failed(spec, target, failure.diagnostics)) from None
    report(result.warnings)
    header = result.config.header
    profile = chips.profile(header.target)
    chip_layers = {layer.name: layer for layer in result.network.layers}
    rows = [LAYER_HEADER + ("scale", "θH", "θL", "monitor")]
    for record in header.layers:
        layer = chip_layers[record.name]
        rows.append(_layer_cells(layer, profile, str(record.core)) + (
            f"{record.scale:.6g}", str(record.threshold_high), str(record.threshold_low), "yes" if record.monitor else "",
        ))
    table(rows)
    typer.echo("")
    by_core = {r.core: r for r in header.layers}
    rows = [("core", "layer", "kernel used/capacity", "neuron used/capacity")]
    for core, cap in enumerate(profile.cores):
        r = by_core.get(core)
        kernel = f"{r.memory.kernel}/{cap.kernel} ({100 * r.memory.kernel / cap.kernel:.0f}%)" if r else f"-/{cap.kernel}"
        neuron = f"{r.memory.neuron}/{cap.neuron} ({100 * r.memory.neuron / cap.neuron:.0f}%)" if r else f"-/{cap.neuron}"
        rows.append((str(core), r.name if r else "(free)", kernel, neuron))
    table(rows)
    _edges(result.spec, lower_partially(result.spec, header.target))
    typer.echo(f"\ntarget {header.target} ({header.chip}); input {header.input.kind} {'x'.join(map(str, header.input.shape))}")


def _failed(spec_path: Path, target: Optional[str], diagnostics) -> list:
    """Print the layer table of a network that does not compile, as far as it can be built, and
    return every error: compilation's, and lowering's on the spec without its weights (which finds
    shape problems that a weight-file error hides). Nothing is printed for an invalid structure."""
    from .. import chips
    from ..errors import SpecError
    from ..lower import lower_partially
    from ..spec import load

    try:
        spec = load(spec_path, read_weights=False)
    except SpecError:
        return diagnostics
    if (target or spec.target) not in chips.targets():
        return diagnostics
    profile = chips.profile(target or spec.target)
    partial = lower_partially(spec, profile.target)
    errors = list({d.render(): d for d in list(diagnostics) + list(partial.diagnostics) if d.severity == "error"}.values())
    lowered = {layer.name: layer for layer in partial.layers}
    rows = [LAYER_HEADER + ("problems",)]
    for layer_spec in spec.layers:
        codes = sorted({d.code for d in errors if d.location.layer == layer_spec.name})
        layer = lowered.get(layer_spec.name)
        if layer is None:
            rows.append((layer_spec.name, "-", "-", "-", "-", "-", "-", "-", ", ".join(codes) or "not lowered (upstream error)"))
            continue
        fits = _fitting_cores(layer, profile)
        problems = codes + (["fits no core"] if not fits and "layer-fits-no-core" not in codes else [])
        rows.append(_layer_cells(layer, profile, "-") + (", ".join(problems),))
    typer.echo(f"{spec.name} does not compile for {profile.target}; what could be worked out:\n")
    table(rows)
    _edges(spec, partial)
    typer.echo(f"\n{len(errors)} error{'s' if len(errors) != 1 else ''}:", err=True)
    return errors


def _fitting_cores(layer, profile) -> List[int]:
    from ..place import fits

    return [n for n, capacity in enumerate(profile.cores) if fits(layer.memory, capacity)]


def _layer_cells(layer, profile, core: str) -> tuple:
    from ..place import core_list

    fits = _fitting_cores(layer, profile)
    return (
        layer.name, _shape(layer.input_shape), _shape(layer.output_shape), _kernel(layer),
        str(layer.memory.kernel), str(layer.memory.neuron), core,
        "all" if len(fits) == len(profile.cores) else core_list(fits),
    )


def _kernel(layer) -> str:
    """``5x5``, plus stride and padding (x,y) when they are not 1 and 0."""
    text = f"{layer.kernel}x{layer.kernel}"
    if (layer.stride.x, layer.stride.y) != (1, 1):
        text += f" s{layer.stride.x},{layer.stride.y}"
    if (layer.padding.x, layer.padding.y) != (0, 0):
        text += f" p{layer.padding.x},{layer.padding.y}"
    return text


def _edges(spec, partial) -> None:
    """Every connection: source -> destination, the pooling on the way and the feature shift."""
    from ..lower import INPUT
    from ..spec.model import DvsInput

    entry = "dvs" if isinstance(spec.input, DvsInput) else INPUT
    rows = [("source", "", "destination", "pooling", "feature shift")]
    for source, edges in [(INPUT, spec.input.edges)] + [(layer.name, layer.edges) for layer in spec.layers]:
        for edge in edges:
            shift = partial.shifts.get((source, edge.target))
            rows.append((
                entry if source == INPUT else source, "->", edge.target, _pooling(edge.pool),
                "?" if shift is None else str(shift),
            ))
    if spec.readout is not None:
        rows.append((spec.readout.layer, "->", "readout", "-", "-"))
    typer.echo("")
    table(rows)


def _pooling(steps: Sequence) -> str:
    if not steps:
        return "-"
    text = " then ".join(f"{step.mode} {step.factor}" for step in steps)
    if len(steps) > 1:
        factor = 1
        for step in steps:
            factor *= step.factor
        text += f" (= {factor})"
    return text


def _shape(shape) -> str:
    return "x".join(map(str, shape))


def table(rows) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        typer.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
        if n == 0:
            typer.echo("  ".join("-" * w for w in widths))
