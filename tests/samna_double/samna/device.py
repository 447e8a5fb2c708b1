"""``samna.device`` of the double: attached boards, opening and closing them.

One process may hold a board; reopening with the same DeviceInfo or "Name:index" returns the same
handle, a name without index the next free board; after close_device the handle must not be used
(samna 0.48.5 docs, Device Controller). A closed or unplugged board raises RuntimeError on every call.
"""
from __future__ import annotations

from . import _double
from ._model import Model
from ._struct import UINT32, load_bool, load_int

CHIP_OF_TYPE = {
    "DynapcnnDevKit": "dynapcnn",
    "Speck2eTestBoard": "speck2e", "Speck2eDevKit": "speck2e",
    "Speck2fModuleDevKit": "speck2f", "Speck2fDevKit": "speck2f",
}


class DeviceInfo:
    def __init__(self, device_type_name: str, serial_number: str, usb_bus_number: int, usb_device_address: int):
        self.device_type_name = device_type_name
        self.serial_number = serial_number
        self.usb_bus_number = usb_bus_number
        self.usb_device_address = usb_device_address
        self.logic_version = 1

    def key(self) -> tuple:
        return (self.device_type_name, self.serial_number, self.usb_bus_number, self.usb_device_address)

    def __repr__(self) -> str:
        return f"DeviceInfo({self.device_type_name}, bus {self.usb_bus_number}, address {self.usb_device_address})"


class StopWatch:
    """samna 0.48.5 ``unifirm.timestamp.StopWatch``: ``start(reset=True)``, ``stop()``, ``reset()`` and
    the deprecated ``set_enable_value(bool)``, which also resets. ``elapsed_us`` is the board time
    since the last reset that the double has accounted for (writes in transit)."""

    def __init__(self, board):
        self._board = board
        self.running = False
        self.resets = 0
        self.elapsed_us = 0

    def start(self, reset: bool = True) -> None:
        self._board._alive()
        if load_bool("start(): reset", reset):
            self.reset()
        self.running = True

    def stop(self) -> None:
        self._board._alive()
        self.running = False

    def reset(self) -> None:
        self._board._alive()
        self.resets += 1
        self.elapsed_us = 0

    def set_enable_value(self, value: bool) -> None:  # deprecated spelling, still present
        self._board._alive()
        self.reset()
        self.running = load_bool("set_enable_value(): arg0", value)


class IoModule:
    """samna 0.48.5 ``speck2fBoards.UnifirmModule``: ``set_slow_clk_rate(self, arg0: int)`` ("Default
    1000Hz"), ``set_slow_clk(self, arg0: bool)``, ``write_config(self, arg0: int, ...)``; pybind11
    refuses a float for an ``int`` argument."""

    def __init__(self, board):
        self._board = board
        self.slow_clk_rate = 1000
        self.slow_clk = False
        self.registers = {}

    def set_slow_clk_rate(self, hz) -> None:
        self._board._alive()
        self.slow_clk_rate = load_int("set_slow_clk_rate(): arg0", hz, (1, 2**32 - 1))

    def set_slow_clk(self, on) -> None:
        self._board._alive()
        self.slow_clk = load_bool("set_slow_clk(): arg0", on, convert=True)

    def write_config(self, address, value) -> None:  # DYNAP-CNN kit: 0x0003 is the time stamper
        self._board._alive()
        address, value = load_int("write_config(): arg0", address, UINT32), load_int("write_config(): arg1", value, UINT32)
        self.registers[address] = value
        if address == 0x0003:
            if value:
                self._board._watch.reset()
            self._board._watch.running = bool(value)


class Board:
    """A dev kit handle. Method names follow samna 0.48 unless the double plays a legacy samna."""

    def __init__(self, info: DeviceInfo):
        self.info = info
        self.chip = CHIP_OF_TYPE[info.device_type_name]
        self.closed = False
        self.stuck, _double.state.stuck = _double.state.stuck, None
        self.soft_resets = 0
        self.model = Model(self, self.chip)
        self._watch = StopWatch(self)
        self.io = IoModule(self)

    def _alive(self) -> None:
        if self.closed:
            raise RuntimeError("device is closed")
        if self.info.key() in _double.state.unplugged:
            raise RuntimeError(f"{self.info.device_type_name}: device disconnected")

    def __getattr__(self, name):
        legacy = _double.state.legacy
        methods = {
            "get_model": not legacy, "get_device_model": legacy,
            "get_model_sink_node": not legacy, "get_model_source_node": not legacy,
            "get_stop_watch": self.chip != "dynapcnn",
        }
        if not methods.get(name, False):
            raise AttributeError(f"'{self.info.device_type_name}' object has no attribute '{name}'")
        return {
            "get_model": self._model, "get_device_model": self._model,
            "get_model_sink_node": lambda: self._model().get_sink_node(),
            "get_model_source_node": lambda: self._model().get_source_node(),
            "get_stop_watch": self._stop_watch,
        }[name]

    def _model(self) -> Model:
        self._alive()
        return self.model

    def _stop_watch(self) -> StopWatch:
        self._alive()
        return self._watch

    def get_io_module(self) -> IoModule:
        self._alive()
        return self.io

    def reset_board_soft(self, bootFromPc, defaultConfig=None) -> None:  # samna's parameter names
        """speck2fBoards.Speck2fDevKit.reset_board_soft(bootFromPc: bool, defaultConfig=None): resets the FPGA."""
        self._alive()
        load_bool("reset_board_soft(): bootFromPc", bootFromPc)
        self.soft_resets += 1
        if self.stuck == "soft":
            self.stuck = None


def _get_all_devices() -> list:
    return list(_double.state.devices)


def get_unopened_devices() -> list:
    state = _double.state
    busy = set(state.opened) | state.foreign
    return [info for info in state.devices if info.key() not in busy]


def get_opened_devices() -> list:
    state = _double.state
    return [info for info in state.devices if info.key() in set(state.opened) | state.foreign]


def open_device(which, default_config=None) -> Board:
    state = _double.state
    info = _find(which)
    key = info.key()
    if key in state.unplugged:
        raise RuntimeError(f"failed to open {info.device_type_name}: device not found")
    if key in state.foreign:
        raise RuntimeError(f"failed to open {info.device_type_name}: device is in use by another process")
    if key in state.firmware_rejected:  # changelog 0.46.1, Device Controller "Firmware Version Check"
        raise RuntimeError(f"{info.device_type_name}: firmware version 1.0.3 is not supported by samna "
                           f"{state.version}; see the Flasher documentation to upgrade the firmware")
    if key not in state.opened:
        state.opened[key] = Board(info)
    return state.opened[key]


def close_device(board: Board) -> None:
    state = _double.state
    board.closed = True
    state.opened.pop(board.info.key(), None)
    state.closed.append(board)


def _find(which) -> DeviceInfo:
    state = _double.state
    if isinstance(which, DeviceInfo):
        for info in state.devices:
            if info.key() == which.key():
                return info
        raise RuntimeError("failed to open device: device not found")
    name, _, index = str(which).partition(":")
    same = [info for info in state.devices if info.device_type_name == name]
    same.sort(key=lambda i: (i.usb_bus_number, i.usb_device_address))
    if index:
        if int(index) >= len(same):
            raise RuntimeError(f"failed to open {which}: device not found")
        return same[int(index)]
    free = [i for i in same if i.key() not in state.opened and i.key() not in state.foreign]
    if not free:
        raise RuntimeError(f"failed to open {which}: no available device")
    return free[0]


def __getattr__(name):
    if name == "get_all_devices" and not _double.state.legacy:  # older samna lacks it
        return _get_all_devices
    raise AttributeError(f"module 'samna.device' has no attribute '{name}'")
