"""Commands that check and compile a spec: validate, compile, summary."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, List, Optional

import typer

from ..errors import Diagnostic
from .common import handles_errors, report

SPEC_ARG = typer.Argument(..., help="The spec file (net.yaml).", show_default=False, metavar="SPEC")
SPECS_ARG = typer.Argument(
    ..., help="Spec files, directories (every spec below) or quoted glob patterns ('networks/**/*.yaml').",
    show_default=False, metavar="SPEC...",
)
PRE_COMMIT_OPT = typer.Option(
    False, "--pre-commit", help="Arguments are changed files (as pre-commit passes them): skip YAML that is not a spec; "
    "a weight file or compiled config stands for the specs that use it."
)
TARGET_OPT = typer.Option(None, "--target", "-t", help="Compile for this board instead of the spec's `target`.")


def default_output(spec: Path) -> Path:
    """Where `compile` writes (and `compile --check` looks) unless told otherwise: net.yaml -> net.config.json."""
    return spec.with_name(spec.stem + ".config.json")


def _each(specs: List[Path], work: Callable[[Path], None]) -> None:
    """Run ``work`` on every spec and report every problem, as linters do; fail with the worst status."""
    from ..errors import DynapspecError

    failures = []
    for spec in specs:
        try:
            work(spec)
        except DynapspecError as exc:
            if len(specs) == 1:
                raise
            report(exc.diagnostics)
            failures.append(exc.exit_status)
    if failures:
        raise typer.Exit(max(failures))


@handles_errors
def validate(
    specs: List[Path] = SPECS_ARG,
    target: Optional[str] = TARGET_OPT,
    fmt: str = typer.Option("text", "--format", help="text (one line per problem) or json."),
    pre_commit: bool = PRE_COMMIT_OPT,
) -> None:
    """Check specs and their weights against the chip; write nothing.

    Every check of compilation runs.

    Exit status 1 and one line per problem (file:line:col: error[code] path: message) when invalid.

    \b
    Examples:
      dynapspec validate examples/lenet/net.yaml
      dynapspec validate net.yaml --target speck2edevkit --format json
      dynapspec validate networks/               # every spec below: every problem of every file, then exit 1
      dynapspec validate 'networks/**/*.yaml'    # a pattern, expanded by dynapspec (no shell needed)
    """
    from ..compiler import compile_spec
    from ..errors import DynapspecError
    from .specfiles import expand

    if fmt not in ("text", "json"):
        raise typer.BadParameter("must be text or json", param_hint="--format")
    specs = expand(specs, pre_commit)
    if fmt == "json":
        diagnostics: List[Diagnostic] = []
        status = 0
        for spec in specs:
            try:
                diagnostics += compile_spec(spec, target=target).warnings
            except DynapspecError as exc:
                diagnostics += exc.diagnostics
                status = max(status, exc.exit_status)
        typer.echo(json.dumps({"valid": status == 0, "diagnostics": [d.to_dict() for d in diagnostics]}, indent=2))
        raise typer.Exit(status)

    def check(spec: Path) -> None:
        result = compile_spec(spec, target=target)
        report(result.warnings)
        header = result.config.header
        cores = ", ".join(str(r.core) for r in header.layers)
        count = len(header.layers)
        typer.echo(f"{spec}: ok — {count} layer{'s' if count != 1 else ''} fit{'s' if count == 1 else ''} {header.target} (cores {cores})")

    _each(specs, check)


@handles_errors
def compile_cmd(
    specs: List[Path] = SPECS_ARG,
    output: Optional[Path] = typer.Option(
        None, "--output", "-o", help="Output file (one spec only) [default: <spec>.config.json beside each spec]; '-' for stdout."
    ),
    check: bool = typer.Option(
        False, "--check", help="Write nothing; exit 1 and list the differences where an output file is not what its spec compiles to."
    ),
    target: Optional[str] = TARGET_OPT,
    pre_commit: bool = PRE_COMMIT_OPT,
) -> None:
    """Compile specs into configuration documents (JSON).

    The documents are deterministic and written atomically.

    With --check, a spec whose configuration file does not exist fails too, so a network added
    without its compiled configuration cannot pass.

    \b
    Examples:
      dynapspec compile examples/lenet/net.yaml
      dynapspec compile net.yaml -o build/lenet.json --target speck2edevkit
      dynapspec compile --check networks/             # in CI: is every committed config up to date?
    """
    from .. import limits
    from ..compiler import compile_spec
    from ..errors import Location, SpecError
    from ..fileio import input_problem, read_input, write_text
    from .specfiles import expand

    specs = expand(specs, pre_commit)
    if output is not None and len(specs) > 1:
        raise typer.BadParameter("give one spec with -o (several specs each write <spec>.config.json)", param_hint="--output")
    if check and str(output) == "-":
        raise typer.BadParameter("--check needs a file to compare with", param_hint="--output")

    def build(spec: Path) -> None:
        again = " ".join(["dynapspec compile", str(spec)] + (["-o", str(output)] if output else [])
                         + (["--target", target] if target else []))
        result = compile_spec(spec, target=target)
        report(result.warnings)
        text = result.config.to_json()
        out = default_output(spec) if output is None else output
        if check:
            if input_problem(out) == ("file-not-found", "does not exist"):
                raise SpecError.single("config-stale", f"{out} does not exist; run `{again}`", Location(str(out)))
            raw, _ = read_input(out, "committed configuration", limits.get("config_bytes"))  # a FIFO must not block
            committed = raw.decode("utf-8", "replace")
            if committed != text:
                raise SpecError.single(
                    "config-stale",
                    f"{out} is not what {spec} compiles to; run `{again}`\n{_short_diff(committed, text)}",
                    Location(str(out)),
                )
            typer.echo(f"{out}: up to date")
        elif str(out) == "-":
            typer.echo(text, nl=False)
        else:
            write_text(out, text)
            typer.echo(f"wrote {out} ({result.config.header.target}, {len(result.config.header.layers)} layers)", err=True)

    _each(specs, build)


def _short_diff(committed: str, compiled: str) -> str:
    """What changed, path by path (a weight change is one line, not two rows of numbers)."""
    from ..configdiff import differences

    try:
        old = json.loads(committed)
    except ValueError:
        return "  (the committed file is not JSON)"
    lines = differences(old, json.loads(compiled))
    return "\n".join("  " + line for line in lines) if lines else "  (same content, different layout: formatting was changed by hand)"
