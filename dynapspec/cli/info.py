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
    """List every diagnostic code with one sentence each.

    Example: dynapspec rules | grep pool
    """
    from ..errors import CODES, EXIT_STATUSES

    width = max(len(code) for code in CODES)
    for code in sorted(CODES):
        typer.echo(f"{code:<{width}}  {CODES[code][1]}")
    typer.echo(f"\nExit status: {EXIT_STATUSES}.")


@handles_errors
def explain(code: str = typer.Argument(..., help="A diagnostic code, e.g. kernel-range.")) -> None:
    """Explain one diagnostic code.

    Example: dynapspec explain bias-nonzero
    """
    from ..errors import CODES

    if code not in CODES:
        typer.echo(f"unknown code {code!r}; `dynapspec rules` lists them", err=True)
        raise typer.Exit(2)
    status, sentence = CODES[code]
    typer.echo(f"{code}: {sentence}\n(exit status {status} when it is an error)")
