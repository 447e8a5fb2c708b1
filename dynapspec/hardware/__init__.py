"""Deploying to real DYNAP-CNN and Speck boards through samna (docs/hardware.md).

samna is imported lazily, inside these functions only. The public surface:

* :func:`open` -> :class:`Board` (a context manager): ``apply``, ``monitor``, ``send``, ``read``,
  ``run``, ``live``, ``reset_states``, ``states``, ``close``; results are the simulator's ``RunResult``.
* :func:`boards` lists attached boards with their ``--device`` strings.
* :func:`find_board` and :func:`deploy` are what ``dynapspec deploy`` calls.
"""
from __future__ import annotations

import sys
from typing import Callable, List, Optional, Tuple

from ..config import Config
from ..errors import DeviceError, SpecError
from ..events import RunResult
from . import sdk
from .board import Board, IntervalCounts, check_target, open_board
from .devices import Attached, attached, find, parse, resolve

__all__ = ["Attached", "Board", "boards", "deploy", "find_board", "free_board", "open"]


def open(device: str, settle_s: Optional[float] = None, slow_clock_hz: Optional[int] = None) -> Board:  # noqa: A001
    """Open the board a device string names (``speck2fdevkit:0``); raises ``DeviceError``.

    ``settle_s`` (default 1 s) and ``slow_clock_hz`` (default 20 Hz): docs/hardware.md, "Timing".
    """
    parse(device)  # a malformed string is a usage error, whether or not samna is installed
    samna = sdk.load()
    return open_board(samna, resolve(samna, device), settle_s=settle_s, slow_clock_hz=slow_clock_hz)


def boards() -> List[Attached]:
    """Every board samna sees, in ``--device`` order; raises ``samna-missing`` / ``samna-shim``."""
    return attached(sdk.load())


def find_board(config: Config) -> Optional[str]:
    """A free attached board that can run ``config``, or None (also when samna is missing)."""
    try:
        samna = sdk.load()
        board = find(samna, config.header.target)
    except DeviceError:
        return None
    except Exception as exc:  # noqa: BLE001 - a USB or SDK hiccup while listing means "no board", not a crash
        sdk.log.info("listing boards failed: %s", exc)
        return None
    return board.device if board else None


def free_board(config: Config) -> Tuple[Optional[str], str]:
    """A free board for the network, or None and why (one short line for the simulator-fallback notice)."""
    trouble = sdk.problem()
    if trouble is not None:
        if trouble.diagnostics[0].code == "samna-shim":
            return None, ("samna is only PyPI's installer shim, so no board is used; install the SDK with: "
                          f"{sdk.install_hint(sdk.shim_version() or '')}")
        return None, "samna is not installed, so no board is used"
    return find_board(config), f"no free board for {config.header.target} attached"


def deploy(config: Config, device: str, events=None, monitor=None, duration_s: Optional[float] = None,
           quiet_s: Optional[float] = None, live: bool = False, settle_s: Optional[float] = None,
           states: bool = False, slow_clock_hz: Optional[int] = None, keep_time: bool = False,
           raw_dvs: bool = False, on_interval: Optional[Callable[[float, IntervalCounts], None]] = None) -> RunResult:
    """Open ``device``, apply ``config``, play ``events`` (or run live, handing ``on_interval`` each
    interval's counts: :meth:`Board.live`), close the board on every path.

    ``monitor``: None (the configuration's choice), ``"all"`` or layer names and ``"dvs"``;
    ``raw_dvs``: also record the DVS layer's raw input; ``states``: also read every neuron's final
    state; ``keep_time``: report times in the input's own time base instead of from its first event.
    Warnings go to stderr. Raises ``DeviceError`` (exit status 3) with the board closed.
    """
    parse(device)
    if raw_dvs and config.header.input.kind != "dvs":
        raise SpecError.single("raw-dvs-input", f"{config.header.name} takes {config.header.input.kind} input; raw DVS "
                               "events exist only for a network whose input is the DVS layer")
    samna = sdk.load()
    target = resolve(samna, device)
    check_target(config, target.target, target.device)
    board = open_board(samna, target, settle_s=settle_s, slow_clock_hz=slow_clock_hz)
    try:
        board.monitor(monitor, raw_dvs=raw_dvs)
        board.apply(config)
        if live:
            if events is not None:
                raise SpecError.single("live-input", "--live runs from the board's sensor; drop --input")
            result = board.live(duration_s=duration_s, on_interval=on_interval)
        else:
            result = board.run(events, duration_s=duration_s, quiet_s=quiet_s, record_states=states,
                               keep_time=keep_time)
        return result
    finally:
        for warning in board.warnings:  # one line each on stderr; Board users read Board.warnings
            sys.stderr.write(warning.render() + "\n")
        board.close()
