"""Commands that describe dynapspec itself: the JSON schema and the diagnostic codes."""
from __future__ import annotations

import typer

from .common import handles_errors


@handles_errors
def schema() -> None:
    """Print the JSON schema of the spec language (draft-07).

    Example: dynapspec schema > dynapspec.schema.json
    """
    from ..spec.schema import schema_text

    typer.echo(schema_text(), nl=False)


@handles_errors
def rules() -> None:
    """List every diagnostic code, error or warning.

    One line each: the code, E (an error: the command fails) or W (a warning: reported, the
    command goes on), and what it means. `dynapspec explain CODE` tells more.

    Example: dynapspec rules | grep pool
    """
    from ..errors import CODES, EXIT_STATUSES, explanations

    width = max(len(code) for code in CODES)
    for code in sorted(CODES):
        mark = "W" if explanations()[code]["severity"] == "warning" else "E"
        typer.echo(f"{code:<{width}}  {mark}  {CODES[code][1]}")
    typer.echo(f"\nExit status: {EXIT_STATUSES}.")


@handles_errors
def explain(code: str = typer.Argument(..., help="A diagnostic code, e.g. kernel-range.", metavar="CODE", show_default=False)) -> None:
    """Explain a diagnostic code: what triggers it, an example, the fix.

    Example: dynapspec explain bias-nonzero
    """
    import difflib

    from ..errors import CODES, explanations

    if code not in CODES:
        close = difflib.get_close_matches(code, CODES, n=3)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        typer.echo(f"unknown code {code!r}; {hint}`dynapspec rules` lists them", err=True)
        raise typer.Exit(2)
    status, sentence = CODES[code]
    entry = explanations()[code]
    kind = "warning: reported, the command goes on" if entry["severity"] == "warning" else f"error: exit status {status}"
    typer.echo(f"{code} ({kind})\n\n{sentence}\n")
    for label in ("trigger", "example", "fix"):
        lines = str(entry[label]).splitlines() or [""]
        typer.echo(f"{label + ':':<9}{lines[0]}")
        for line in lines[1:]:
            typer.echo(" " * 9 + line)
