"""Attached boards and the ``name:index`` device strings that pick one.

``name`` is a dynapspec target (``speck2fdevkit``) or samna's ``device_type_name``
(``Speck2fDevKit``), case-insensitive; ``index`` ranks boards of one type by USB bus, then
address, and defaults to 0. The type name maps to a target through the chip profiles.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from .. import chips
from ..errors import reason
from . import sdk


@dataclass(frozen=True)
class Attached:
    """One board samna sees."""

    device: str  # the --device string: "<target>:<index>", or "<DeviceTypeName>:<index>" if unsupported
    target: Optional[str]  # None: a board dynapspec has no profile for
    device_type_name: str
    serial_number: str
    usb_bus: int
    usb_address: int
    available: bool  # False: opened (by this or another process)
    info: Any = field(default=None, compare=False, repr=False)  # samna's DeviceInfo


@functools.lru_cache(maxsize=None)
def targets_by_type() -> Dict[str, str]:
    """samna ``device_type_name`` -> dynapspec target."""
    return {chips.profile(t).device_type_name: t for t in chips.targets()}


def parse(device: str) -> Tuple[str, int]:
    """``"speck2fdevkit:1"`` -> ``("speck2fdevkit", 1)``; ``name`` alone means index 0.

    Needs no samna, so a typo is reported as ``device-string`` (exit status 2) before samna is
    imported: ``name`` must be a target or a board type with a chip profile.
    """
    name, sep, index = device.strip().partition(":")
    if not name or (sep and not index.isdigit()):
        raise sdk.fail(
            "device-string", f"{device!r} is not name[:index], e.g. speck2fdevkit:0 (`dynapspec devices` lists them)",
            "--device",
        )
    known = {t.lower() for t in chips.targets()} | {n.lower() for n in targets_by_type()}
    if name.lower() not in known:
        raise sdk.fail(
            "device-string", f"{name!r} is not a board dynapspec knows; use a target ({', '.join(chips.targets())}) "
            "or `dynapspec devices` to list attached boards", "--device",
        )
    return name, int(index) if sep else 0


def _key(info: Any) -> tuple:
    return (info.device_type_name, str(getattr(info, "serial_number", "")), int(info.usb_bus_number),
            int(info.usb_device_address))


def attached(samna: Any) -> List[Attached]:
    """Every board samna sees, in --device order (type, then bus, then address)."""
    device_module = samna.device
    try:
        if sdk.has(device_module, "get_all_devices"):
            everything = list(device_module.get_all_devices())
        else:  # older samna: the two halves
            everything = list(device_module.get_unopened_devices()) + list(device_module.get_opened_devices())
        free = {_key(info) for info in device_module.get_unopened_devices()}
    except Exception as exc:  # noqa: BLE001 - USB trouble inside samna (no common error type)
        raise sdk.fail("device-not-found", f"samna could not list the attached boards: {reason(exc)}") from None
    everything.sort(key=lambda info: (info.device_type_name, int(info.usb_bus_number), int(info.usb_device_address)))
    boards: List[Attached] = []
    seen: Dict[str, int] = {}  # boards of each type so far
    for info in everything:
        type_name = info.device_type_name
        target = targets_by_type().get(type_name)
        index = seen.get(type_name, 0)
        seen[type_name] = index + 1
        boards.append(Attached(
            device=f"{target or type_name}:{index}",
            target=target,
            device_type_name=type_name,
            serial_number=str(getattr(info, "serial_number", "")),
            usb_bus=int(info.usb_bus_number),
            usb_address=int(info.usb_device_address),
            available=_key(info) in free,
            info=info,
        ))
    return boards


def resolve(samna: Any, device: str) -> Attached:
    """The attached board a device string names, or ``device-not-found`` saying what is attached."""
    name, index = parse(device)
    wanted = name.lower()
    boards = attached(samna)
    same_type = [b for b in boards if wanted in ((b.target or "").lower(), b.device_type_name.lower())]
    if index < len(same_type):
        return same_type[index]
    if same_type:
        what = f"only {len(same_type)} {name} board(s) attached (indices 0..{len(same_type) - 1})"
    else:
        what = f"no {name} board is attached"
    listing = ", ".join(b.device for b in boards) or "none"
    raise sdk.fail("device-not-found", f"{what}; attached: {listing}", device)


def find(samna: Any, target: str) -> Optional[Attached]:
    """A free board for ``target``: that exact board type first, then any board with the same chip."""
    chip = chips.profile(target).chip
    free = [b for b in attached(samna) if b.available and b.target is not None]
    for board in free:
        if board.target == target:
            return board
    for board in free:
        if chips.profile(board.target).chip == chip:
            return board
    return None
