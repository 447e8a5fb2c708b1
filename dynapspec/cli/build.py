"""Commands that check and compile a spec: validate, compile, summary."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from .common import handles_errors, report

SPEC_ARG = typer.Argument(..., help="The spec file (net.yaml).", show_default=False)
TARGET_OPT = typer.Option(None, "--target", "-t", help="Compile for this board instead of the spec's `target`.")


def default_output(spec: Path) -> Path:
    """Where `compile` writes (and `compile --check` looks) unless told otherwise: net.yaml -> net.config.json."""
    return spec.with_name(spec.stem + ".config.json")


@handles_errors
def validate(
    spec: Path = SPEC_ARG,
    target: Optional[str] = TARGET_OPT,
    fmt: str = typer.Option("text", "--format", help="text (one line per problem) or json."),
) -> None:
    """Check a spec and its weights against the chip: every check of compilation, nothing written.

    Exit status 1 and one line per problem (file:line:col: error[code] path: message) when invalid.

    \b
    Examples:
      dynapspec validate examples/lenet/net.yaml
      dynapspec validate net.yaml --target speck2edevkit --format json
    """
    from ..compiler import compile_spec
    from ..errors import DynapspecError

    if fmt not in ("text", "json"):
        raise typer.BadParameter("must be text or json", param_hint="--format")
    try:
        result = compile_spec(spec, target=target)
    except DynapspecError as exc:
        if fmt == "json":
            typer.echo(json.dumps({"valid": False, "diagnostics": [d.to_dict() for d in exc.diagnostics]}, indent=2))
            raise typer.Exit(exc.exit_status)
        raise
    if fmt == "json":
        typer.echo(json.dumps({"valid": True, "diagnostics": [d.to_dict() for d in result.warnings]}, indent=2))
        return
    report(result.warnings)
    header = result.config.header
    typer.echo(f"{spec}: ok — {len(header.layers)} layers fit {header.target} (cores {', '.join(str(r.core) for r in header.layers)})")


@handles_errors
def compile_cmd(
    spec: Path = SPEC_ARG,
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Output file [default: <spec>.config.json beside the spec]; '-' for stdout."),
    check: bool = typer.Option(False, "--check", help="Write nothing; exit 1 and list the differences if the output file is not what the spec compiles to."),
    target: Optional[str] = TARGET_OPT,
) -> None:
    """Compile a spec into a configuration document (deterministic JSON, written atomically).

    \b
    Examples:
      dynapspec compile examples/lenet/net.yaml
      dynapspec compile net.yaml -o build/lenet.json --target speck2edevkit
      dynapspec compile --check net.yaml      # in CI: is the committed config up to date?
    """
    from ..compiler import compile_spec
    from ..errors import Location, SpecError
    from ..fileio import write_text

    result = compile_spec(spec, target=target)
    report(result.warnings)
    text = result.config.to_json()
    out = default_output(spec) if output is None else output
    if check:
        if str(out) == "-":
            raise typer.BadParameter("--check needs a file to compare with", param_hint="--output")
        try:
            committed = out.read_text(encoding="utf-8")
        except OSError:
            raise SpecError.single("config-stale", f"{out} does not exist; run `dynapspec compile {spec}`", Location(str(out))) from None
        if committed != text:
            raise SpecError.single(
                "config-stale",
                f"{out} is not what {spec} compiles to; run `dynapspec compile {spec}`\n{_short_diff(committed, text)}",
                Location(str(out)),
            )
        typer.echo(f"{out}: up to date")
        return
    if str(out) == "-":
        typer.echo(text, nl=False)
        return
    write_text(out, text)
    typer.echo(f"wrote {out} ({result.config.header.target}, {len(result.config.header.layers)} layers)", err=True)


def _short_diff(committed: str, compiled: str) -> str:
    """What changed, path by path (a weight change is one line, not two rows of numbers)."""
    from ..configdiff import differences

    try:
        old = json.loads(committed)
    except ValueError:
        return "  (the committed file is not JSON)"
    lines = differences(old, json.loads(compiled))
    return "\n".join("  " + line for line in lines) if lines else "  (same content, different layout: formatting was changed by hand)"


@handles_errors
def summary(spec: Path = SPEC_ARG, target: Optional[str] = TARGET_OPT) -> None:
    """Per-layer shapes, memory, cores, scales and thresholds, and each core's use against capacity.

    \b
    Example:
      dynapspec summary examples/lenet/net.yaml
    """
    from .. import chips
    from ..compiler import compile_spec

    result = compile_spec(spec, target=target)
    report(result.warnings)
    header = result.config.header
    profile = chips.profile(header.target)
    rows = [("layer", "input CxHxW", "output FxHxW", "kernel", "neuron", "bias", "core", "scale", "θH", "θL", "monitor")]
    for r in header.layers:
        rows.append((
            r.name, "x".join(map(str, r.input_shape)), "x".join(map(str, r.output_shape)),
            str(r.memory.kernel), str(r.memory.neuron), str(r.memory.bias), str(r.core),
            f"{r.scale:.6g}", str(r.threshold_high), str(r.threshold_low), "yes" if r.monitor else "",
        ))
    _table(rows)
    typer.echo("")
    by_core = {r.core: r for r in header.layers}
    rows = [("core", "layer", "kernel used/capacity", "neuron used/capacity")]
    for core, cap in enumerate(profile.cores):
        r = by_core.get(core)
        kernel = f"{r.memory.kernel}/{cap.kernel} ({100 * r.memory.kernel / cap.kernel:.0f}%)" if r else f"-/{cap.kernel}"
        neuron = f"{r.memory.neuron}/{cap.neuron} ({100 * r.memory.neuron / cap.neuron:.0f}%)" if r else f"-/{cap.neuron}"
        rows.append((str(core), r.name if r else "(free)", kernel, neuron))
    _table(rows)
    typer.echo(f"\ntarget {header.target} ({header.chip}); input {header.input.kind} {'x'.join(map(str, header.input.shape))}")


def _table(rows) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        typer.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
        if n == 0:
            typer.echo("  ".join("-" * w for w in widths))
