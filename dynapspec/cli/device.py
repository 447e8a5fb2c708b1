"""Commands about boards: devices."""
from __future__ import annotations

from typing import List, Sequence

import typer

from .common import handles_errors


@handles_errors
def devices(
    targets: bool = typer.Option(False, "--targets", help="List the targets dynapspec knows instead (no samna needed)."),
) -> None:
    """List attached boards and the --device string for each.

    \b
    Examples:
      dynapspec devices              # DEVICE, BOARD, CHIP, USB, SERIAL, STATUS
      dynapspec devices --targets    # every target: chip, samna module, board, status
    """
    if targets:
        _print_targets()
        return
    from .. import chips
    from ..hardware import boards, sdk

    found = boards()  # raises samna-missing with the install hint
    version = sdk.version(sdk.load())
    if not found:
        typer.echo(f"no boards attached (samna {version}); check the USB 3 cable and the udev rules (docs/hardware.md)")
        return
    rows = [["DEVICE", "BOARD", "CHIP", "USB", "SERIAL", "STATUS"]]
    for board in found:
        chip = chips.profile(board.target).chip if board.target else "-"
        status = "unsupported" if board.target is None else ("free" if board.available else "in use")
        rows.append([board.device, board.device_type_name, chip, f"bus {board.usb_bus} addr {board.usb_address}",
                     board.serial_number or "-", status])
    _table(rows)
    typer.echo(f"samna {version}; use the DEVICE column with --device, e.g. dynapspec deploy net.yaml --device {found[0].device}")


def _print_targets() -> None:
    from .. import chips

    rows = [["TARGET", "CHIP", "SAMNA MODULE", "BOARD", "USB ID", "STATUS"]]
    for target in chips.targets():
        p = chips.profile(target)
        rows.append([target, p.chip, f"samna.{p.samna_module}", p.device_type_name, p.usb_id or "-", p.status])
    _table(rows)


def _table(rows: Sequence[List[str]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        typer.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
