"""Test controls of the double (not part of samna): attach, hold, unplug boards; pick a release.

``reset(version)`` plays a samna release: before 0.46 the ``dynapcnn`` module exists, and
``legacy=True`` plays the older spellings (``get_device_model``, no ``get_all_devices``, no
``get_model_sink_node``), ``copies=True`` a samna whose nested structs come back as copies. ``trickle`` hands out at most that many events per ``get_events`` call;
``interrupt_after_polls`` raises KeyboardInterrupt from the n-th poll (Ctrl-C mid-run),
``unplug_after_polls`` pulls every open board's cable at the n-th poll;
``sensor`` holds DVS events the on-die sensor produces, ``sensor_chunk`` of them per poll.
"""
from __future__ import annotations

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
        self.interrupt_after_polls: Optional[int] = None
        self.unplug_after_polls: Optional[int] = None
        self.polls = 0
        self.sensor = None
        self.sensor_chunk = 50


state = State()


def reset(version: str = "0.48.5", legacy: bool = False, copies: bool = False) -> State:
    global state
    state = State(version, legacy)
    _struct.COPIES[0] = copies
    samna = sys.modules["samna"]
    samna.__version__ = version
    samna._install_chips(with_dynapcnn=tuple(int(p) for p in version.split(".")[:2]) < (0, 46))
    return state


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


def on_poll(sink) -> None:
    state.polls += 1
    if state.interrupt_after_polls is not None and state.polls >= state.interrupt_after_polls:
        state.interrupt_after_polls = None
        raise KeyboardInterrupt
    if state.unplug_after_polls is not None and state.polls >= state.unplug_after_polls:
        state.unplugged |= set(state.opened)
    if state.sensor is not None and len(state.sensor):
        chunk, state.sensor = state.sensor[: state.sensor_chunk], state.sensor[state.sensor_chunk:]
        for board in list(state.opened.values()):
            model = board.model
            if model.passes_sensor():
                ev = model._module.event
                model._process([ev.DvsEvent(x=int(e["x"]), y=int(e["y"]), p=bool(e["p"]), timestamp=int(e["t"]))
                                for e in chunk], from_sensor=True)
