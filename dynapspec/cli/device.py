"""Commands about boards: devices."""
from __future__ import annotations

import typer

from .common import handles_errors


@handles_errors
def devices() -> None:
    """List attached boards and the --device string for each."""
    raise NotImplementedError("devices: in progress")
