"""What every command shares: error reporting, exit statuses, output of diagnostics."""
from __future__ import annotations

import functools
import os
import sys
from typing import Callable, Iterable

import typer

from ..errors import EXIT_INTERNAL, Diagnostic, DynapspecError


def report(diagnostics: Iterable[Diagnostic]) -> None:
    for diag in diagnostics:
        typer.echo(diag.render(), err=True)


def handles_errors(func: Callable) -> Callable:
    """Turn dynapspec errors into their lines on stderr and their exit status; never a traceback."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except DynapspecError as exc:
            report(exc.diagnostics)
            raise typer.Exit(exc.exit_status)
        except BrokenPipeError:  # `dynapspec rules | head`: the reader left, nothing to report
            sys.stderr.close()
            raise typer.Exit(0)
        except KeyboardInterrupt:
            typer.echo("interrupted", err=True)
            raise typer.Exit(130)
        except (typer.BadParameter, typer.Exit, typer.Abort, SystemExit):
            raise  # usage errors (exit 2) and deliberate exits
        except Exception as exc:  # a bug in dynapspec, not the user's fault
            if os.environ.get("DYNAPSPEC_DEBUG"):
                raise
            typer.echo(
                f"internal error: {type(exc).__name__}: {exc}\n"
                "This is a bug in dynapspec; rerun with DYNAPSPEC_DEBUG=1 for a traceback and report it.",
                err=True,
            )
            raise typer.Exit(EXIT_INTERNAL)

    return wrapper


def is_tty() -> bool:
    return sys.stderr.isatty()
