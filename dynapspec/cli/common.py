"""What every command shares: error reporting, exit statuses, output of diagnostics."""
from __future__ import annotations

import contextlib
import errno
import functools
import os
import sys
from typing import Callable, Iterable

import typer

from .. import errors
from ..errors import EXIT_DEVICE, EXIT_INTERNAL, Diagnostic, DynapspecError

# errno values of a failed write: a full disk, an I/O error, a read-only file system, a quota, a size limit
_OUTPUT_FAULTS = {errno.ENOSPC, errno.EIO, errno.EROFS, errno.EDQUOT, errno.EFBIG}


def report(diagnostics: Iterable[Diagnostic]) -> None:
    """One line per problem; at most ``limits.reported`` lines, each cut at ``limits.message_chars``."""
    from .. import limits

    shown, width = limits.get("reported"), limits.get("message_chars")
    diagnostics = list(diagnostics)
    for diag in diagnostics[:shown]:
        typer.echo(cut(diag.render(), width), err=True)
    if len(diagnostics) > shown:
        typer.echo(f"... and {len(diagnostics) - shown} more problems (`dynapspec validate --format json` lists them all)", err=True)


def one_line(text: str) -> str:
    """Text on one line of at most ``limits.message_chars`` characters."""
    from .. import limits

    return cut(" ".join(text.split()), limits.get("message_chars"))


def _output_failed(exc: OSError) -> None:
    with contextlib.suppress(OSError):
        report([errors.error("output-write", f"cannot write the output ({errors.reason(exc)})", errors.Location("<stdout>"))])
    raise typer.Exit(EXIT_DEVICE)


def cut(line: str, width: int) -> str:
    """``line``, or its start and how long it was when it is longer than ``width`` characters."""
    if len(line) <= width:
        return line
    return f"{line[:width - 40]}... ({len(line)} characters, cut)"


def handles_errors(func: Callable) -> Callable:
    """Turn dynapspec errors into their lines on stderr and their exit status; never a traceback."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except DynapspecError as exc:
            report(exc.diagnostics)
            raise typer.Exit(exc.exit_status) from None
        except BrokenPipeError:  # `dynapspec rules | head`: the reader left, nothing to report
            sys.stderr.close()
            raise typer.Exit(0) from None
        except KeyboardInterrupt:
            typer.echo("interrupted", err=True)
            raise typer.Exit(130) from None
        except (typer.BadParameter, typer.Exit, typer.Abort, SystemExit):
            raise  # usage errors (exit 2) and deliberate exits
        except Exception as exc:  # a bug in dynapspec, not the user's fault
            if isinstance(exc, OSError) and exc.errno in _OUTPUT_FAULTS and not os.environ.get("DYNAPSPEC_DEBUG"):
                _output_failed(exc)  # writing to stdout failed (`compile -o - > /dev/full`): I/O, not a bug
            if os.environ.get("DYNAPSPEC_DEBUG"):
                raise
            typer.echo(
                f"internal error: {one_line(f'{type(exc).__name__}: {exc}')}\n"
                "This is a bug in dynapspec; rerun with DYNAPSPEC_DEBUG=1 for a traceback and report it.",
                err=True,
            )
            raise typer.Exit(EXIT_INTERNAL) from None

    return wrapper


def is_tty() -> bool:
    return sys.stderr.isatty()
