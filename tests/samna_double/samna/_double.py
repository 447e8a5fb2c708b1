"""Test controls of the double (not part of samna): attach, hold, unplug boards; pick a release.

``reset(version)`` plays a samna release: before 0.46 the ``dynapcnn`` module exists, and
``legacy=True`` plays the older spellings (``get_device_model``, no ``get_all_devices``, no
``get_model_sink_node``), ``copies=True`` a samna whose nested structs come back as copies,
``arrays="tuple"`` one whose array fields come back as nested tuples.

Board behaviour, set on ``state``: ``trickle`` hands out at most that many events per
``get_events`` call; ``latency_polls`` holds every output back until that many polls after it was
produced; ``interrupt_after_polls`` raises KeyboardInterrupt from the n-th poll (Ctrl-C mid-run),
``unplug_after_polls`` pulls every open board's cable at the n-th poll; ``sensor`` holds DVS events
the on-die sensor produces, ``sensor_chunk`` of them per poll; ``write_cost_us`` is the board time
one written event takes to arrive; ``drop_outputs`` makes the IO module drop that many output
events once and report them in a ``DroppedEventsNum``; ``stuck`` makes the next opened board time
out in ``apply_configuration`` ("soft": until ``reset_board_soft``, "hard": until unplugged);
``firmware`` is the version the next attached board reports.
"""
from __future__ import annotations

import re
import sys
from typing import Optional

from . import _struct


class State:
    def __init__(self, version: str = "0.48.5", legacy: bool = False):
        self.version = version
        self.legacy = legacy
        self.devices = []
        self.opened = {}  # key -> Board
        self.foreign = set()  # keys held by another process
        self.unplugged = set()
        self.closed = []  # boards closed so far, in order
        self.trickle: Optional[int] = None
        self.latency_polls = 0
        self.interrupt_after_polls: Optional[int] = None
        self.unplug_after_polls: Optional[int] = None
        self.polls = 0
        self.sensor = None
        self.sensor_chunk = 50
        self.write_cost_us = 0
        self.drop_outputs = 0
        self.stuck: Optional[str] = None
        self.firmware_rejected = set()  # keys whose firmware this samna refuses at open


state = State()


def reset(version: str = "0.48.5", legacy: bool = False, copies: bool = False, arrays: str = "list") -> State:
    global state
    state = State(version, legacy)
    _struct.COPIES[0] = copies
    _struct.ARRAYS[0] = arrays
    samna = sys.modules["samna"]
    samna.__version__ = version
    samna._install_chips(with_dynapcnn=version_key() < (0, 46))
    return state


def version_key() -> tuple:
    return tuple(int(part) for part in re.findall(r"\d+", state.version)[:3])


def attach(device_type_name: str, bus: int = 1, address: Optional[int] = None, serial: str = ""):
    from .device import DeviceInfo

    address = address if address is not None else 10 + len(state.devices)
    info = DeviceInfo(device_type_name, serial or f"SN{len(state.devices):04d}", bus, address)
    state.devices.append(info)
    return info


def hold(info) -> None:
    """Another process opens the board."""
    state.foreign.add(info.key())


def unplug(info) -> None:
    state.unplugged.add(info.key())


def reject_firmware(info) -> None:
    """samna >= 0.46.1 checks the board's firmware when opening it and raises for an unsupported one."""
    state.firmware_rejected.add(info.key())


def drop_some(events: list, board) -> list:
    """The IO module drops output events when overloaded and says how many (unifirm DroppedEventsNum)."""
    if not state.drop_outputs or not events:
        return events
    from .unifirm.modules.events import DroppedEventsNum

    n = min(state.drop_outputs, len(events))
    state.drop_outputs = 0
    return events[n:] + [DroppedEventsNum(num=n)]


def on_poll(sink) -> None:
    state.polls += 1
    if state.interrupt_after_polls is not None and state.polls >= state.interrupt_after_polls:
        state.interrupt_after_polls = None
        raise KeyboardInterrupt
    if state.unplug_after_polls is not None and state.polls >= state.unplug_after_polls:
        state.unplugged |= set(state.opened)
    for board in list(state.opened.values()):
        if board.info.key() in state.unplugged or board.model.chip_config is None:
            continue
        board.model.on_poll()
        if state.sensor is not None and len(state.sensor) and board.model.passes_sensor():
            chunk, state.sensor = state.sensor[: state.sensor_chunk], state.sensor[state.sensor_chunk:]
            ev = board.model._module.event
            board.model._process([ev.DvsEvent(x=int(e["x"]), y=int(e["y"]), p=bool(e["p"]), timestamp=int(e["t"]))
                                  for e in chunk], from_sensor=True)
