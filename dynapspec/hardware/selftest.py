"""``dynapspec deploy --selftest``: the first-board checklist of docs/hardware.md, run on a board.

Everything the adapter assumes about samna but only a board can settle is measured here with tiny
networks compiled on the spot (integer weights, no quantization), and reported as plain text a user
can paste into an issue: what samna hands back, whether the sensor stays out of a host-fed network,
how late outputs arrive, how fast events are written and neurons read, whether the readout ticks
with the slow clock, and how many events the board dropped.
"""
from __future__ import annotations

import platform
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, List, Optional

import numpy as np

from .. import __version__
from ..config import Config
from ..events import dvs_events, readout_decision, spike_events
from . import configure, sdk
from .board import Board, lead_us, open_board
from .devices import attached, resolve

ECHO_SIDE = 64  # the echo network's map: 4096 neurons to read back


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # "ok" | "warn" | "fail" | "skip"
    detail: str


@dataclass(frozen=True)
class Report:
    header: List[str]
    checks: List[Check]

    @property
    def failed(self) -> bool:
        return any(c.status == "fail" for c in self.checks)

    def lines(self) -> List[str]:
        counts = {s: sum(c.status == s for c in self.checks) for s in ("ok", "warn", "fail", "skip")}
        body = [f"[{c.status:>4}] {c.name}: {c.detail}" for c in self.checks]
        summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
        return ["dynapspec self-test report (paste it into an issue)"] + self.header + body + [f"summary: {summary}"]


def run(device: Optional[str] = None, settle_s: Optional[float] = None,
        progress: Callable[[str], None] = lambda line: None) -> Report:
    """Open ``device`` (default: the first supported board attached) and run every check on it."""
    samna = sdk.load()
    target = resolve(samna, device) if device else _first_board(samna)
    header = [f"dynapspec {__version__}, samna {sdk.version(samna)}, Python {platform.python_version()}, "
              f"{platform.platform()}"]
    board = open_board(samna, target, settle_s=settle_s)
    try:
        header.append(f"board: {target.device} ({target.device_type_name}, serial {target.serial_number or '-'}, "
                      f"USB bus {target.usb_bus} address {target.usb_address}, firmware {_firmware(board)})")
        header += [f"warning: {w.message}" for w in board.warnings]
        checks = []
        with tempfile.TemporaryDirectory() as tmp:
            nets = _Networks(Path(tmp), board.profile.target)
            for check in (_read_back, _apply_time, _slow_clock, _sensor_order, _latency, _throughput, _neuron_reads,
                          _readout):
                progress(f"checking {(check.__doc__ or check.__name__).splitlines()[0].rstrip('.')}...")
                try:
                    found = check(board, nets)
                except Exception as exc:  # noqa: BLE001 - a check that breaks is a finding, and the others still run
                    found = Check(check.__name__.strip("_").replace("_", " "), "fail", f"{type(exc).__name__}: {exc}")
                    if board.closed:
                        checks.append(found)
                        break
                checks.append(found)
        checks.append(Check("dropped events", "ok" if not board.dropped_total else "warn",
                            f"the IO module reported {board.dropped_total} dropped events over the whole self-test"))
        return Report(header, checks)
    finally:
        board.close()


# ---------------------------------------------------------------- the checks


def _read_back(board: Board, nets: "_Networks") -> Check:
    """What samna hands back for arrays and structs (the read-back compares values)."""
    samna_config = configure.to_samna(board._chip, nets.echo, board.profile)
    core = samna_config.cnn_layers[nets.echo.header.layers[0].core]
    weights, dims = core.weights, core.dimensions
    inner = weights
    while isinstance(inner, (list, tuple)) and inner:
        inner = inner[0]
    return Check("read-back types", "ok", f"weights come back as {type(weights).__name__} of {type(inner).__name__}, "
                 f"dimensions as {type(dims).__name__}; every written field read back equal")


def _apply_time(board: Board, nets: "_Networks") -> Check:
    """How long apply_configuration takes (a timeout here is sinabs issue #269)."""
    start = time.monotonic()
    board._apply(configure.to_samna(board._chip, nets.echo, board.profile))
    took = time.monotonic() - start
    return Check("apply time", "ok", f"apply_configuration returned after {took:.3f} s (settle used: {board.settle_s:g} s)")


def _slow_clock(board: Board, nets: "_Networks") -> Check:
    """Whether set_slow_clk_rate takes an int and refuses a float, as samna documents."""
    io = board._handle.get_io_module()
    io.set_slow_clk_rate(board.slow_clock_hz)
    try:
        io.set_slow_clk_rate(float(board.slow_clock_hz))
        floats = "also accepts a float"
    except TypeError:
        floats = "refuses a float (as documented)"
    io.set_slow_clk(False)
    board._slow_clock_on = False
    return Check("slow clock", "ok", f"set_slow_clk_rate({board.slow_clock_hz}) accepted; it {floats}")


def _sensor_order(board: Board, nets: "_Networks") -> Check:
    """Whether a host-fed DVS network with the DVS layer monitored keeps the on-die sensor out."""
    if nets.dvs is None:
        return Check("sensor stays out", "skip", f"{board.profile.target} has no DVS sensor")
    board.monitor("all")
    board.apply(nets.dvs)
    applied = board._model.get_configuration() if sdk.has(board._model, "get_configuration") else None
    passed = "unknown" if applied is None else configure.sensor_passed(applied)
    n = 2000
    rng = np.random.default_rng(1)
    width, height = board.profile.sensor_size
    sent = dvs_events(rng.integers(0, width, n) // 2 * 2, rng.integers(0, height, n) // 2 * 2, np.arange(n) * 50,
                      rng.integers(0, 2, n))
    result = board.run(sent)
    seen = len(result.layers.get("dvs", []))
    board.monitor(None)
    status = "ok" if seen == n and passed is not True else ("fail" if seen > n or passed is True else "warn")
    more = {True: "the sensor leaks in (move something in front of it to see the count grow)",
            False: "events were lost"}.get(seen > n, "")
    return Check("sensor stays out", status, f"pass_sensor_events after apply: {passed}; sent {n} DVS events, the DVS "
                 f"layer reported {seen}" + (f": {more}" if seen != n else ""))


def _latency(board: Board, nets: "_Networks") -> Check:
    """How late outputs arrive after their input, and whether timestamps are filled."""
    board.apply(nets.tiny)
    n = 200
    events = spike_events(np.arange(n) * 1000, np.zeros(n, int), np.zeros(n, int), np.zeros(n, int))
    start = time.monotonic()
    result = board.run(events, quiet_s=1.0)
    wall = time.monotonic() - start
    out = result.output
    if len(out) == 0:
        return Check("output latency", "fail", f"no output for {n} input spikes through an identity layer")
    stamps = out["t"].astype(np.int64)
    delays = [int(a - b) for a, b in zip(np.sort(stamps), events["t"][: len(stamps)].astype(np.int64))]
    zero = bool(np.all(stamps == 0))
    expected = (int(events["t"][-1]) + lead_us(n)) / 1e6
    status = "fail" if zero else ("ok" if len(out) == n else "warn")
    return Check("output latency", status,
                 f"{len(out)} of {n} outputs; timestamps {'all zero (update the firmware)' if zero else 'filled'}; "
                 f"median output minus input time {statistics.median(delays)} us; the run took {wall:.2f} s for "
                 f"{expected:.2f} s of input (the rest is the quiet wait and the tail)")


def _throughput(board: Board, nets: "_Networks") -> Check:
    """How fast events are written (the input's lead must cover the write)."""
    board.apply(nets.tiny)
    n = 20000
    events = spike_events(np.zeros(n, int), np.zeros(n, int), np.zeros(n, int), np.zeros(n, int))
    payload = board._to_samna(nets.tiny, events, 0)
    start = time.monotonic()
    board._source.write(payload)
    took = time.monotonic() - start
    board.read()
    per_event = took / n * 1e6
    budget = sdk.facts()["lead_us"]["per_event"]
    status = "ok" if per_event <= budget else "warn"
    return Check("write throughput", status, f"{n} events written in {took:.3f} s ({per_event:.2f} us per event; the "
                 f"input lead allows {budget} us per event in dynapspec/hardware/samna.yaml)")


def _neuron_reads(board: Board, nets: "_Networks") -> Check:
    """How fast neuron states are read back (ReadNeuronValue)."""
    board.apply(nets.echo)
    start = time.monotonic()
    states = board.states()
    took = time.monotonic() - start
    count = sum(v.size for v in states.values())
    return Check("neuron reads", "ok", f"{count} neurons read in {took:.2f} s ({count / max(took, 1e-9):.0f} per s)")


def _readout(board: Board, nets: "_Networks") -> Check:
    """Whether the readout ticks with the slow clock and names the class that fires."""
    if nets.readout is None:
        return Check("readout", "skip", f"{board.profile.target} has no readout")
    board.apply(nets.readout)
    seconds = 1.0
    ticks = int(seconds * board.slow_clock_hz)
    n = 20 * ticks
    events = spike_events(np.arange(n) * int(seconds * 1e6) // n, np.zeros(n, int), np.zeros(n, int), np.zeros(n, int))
    result = board.run(events)
    decision = readout_decision(result)
    pins = 0 if result.readout_pins is None else len(result.readout_pins)
    named = "none" if decision is None else f"class {decision.cls} in {decision.votes} of {decision.readings}"
    status = "ok" if decision is not None and decision.cls == 1 and pins >= ticks // 2 else "warn"
    return Check("readout", status, f"{pins} ReadoutPinValue events for {seconds:g} s of input at {board.slow_clock_hz} Hz "
                 f"(one per tick: at least {ticks}, plus the averaging window's decay); decision: {named} "
                 "(class 1 expected)")


# ---------------------------------------------------------------- helpers


class _Networks:
    """The self-test's networks for one target, compiled from specs written into ``folder``."""

    def __init__(self, folder: Path, target: str):
        from .. import chips

        profile = chips.profile(target)
        self.tiny = _compile(folder, "tiny", target, "input: {shape: [1, 1, 1]}",
                             [("echo", "conv: {channels: 1, kernel: 1}", np.ones((1, 1, 1, 1)))])
        self.echo = _compile(folder, "echo", target, f"input: {{shape: [1, {ECHO_SIDE}, {ECHO_SIDE}]}}",
                             [("echo", "conv: {channels: 1, kernel: 1}", np.ones((1, 1, 1, 1)))])
        self.dvs = None if not profile.has_sensor else _compile(
            folder, "dvs", target, "input: {dvs: {source: host}}",
            [("merge", "conv: {channels: 1, kernel: 1, stride: 2}", np.ones((1, 2, 1, 1)))])
        self.readout = None if not profile.has_readout else _compile(
            folder, "readout", target, "input: {shape: [1, 1, 1]}",
            [("out", "dense: {features: 2}", np.array([[1.0], [0.0]]))], "readout: {layer: out, threshold: 0}")


def _compile(folder: Path, name: str, target: str, entry: str, layers: list, extra: str = "") -> Config:
    import h5py

    from ..compiler import compile_spec

    lines = ["dynapspec: 1", f"name: selftest_{name}", f"target: {target}", "quantize: false",
             "neuron: {threshold: 1}", entry, "layers:"]
    lines += [f"  - name: {layer}\n    {op}" for layer, op, _ in layers]
    if extra:
        lines.append(extra)
    spec = folder / f"{name}.yaml"
    spec.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with h5py.File(folder / f"{name}.h5", "w") as f:
        for layer, _, weight in layers:
            f.create_dataset(f"{layer}/weight", data=weight)
    return compile_spec(spec).config


def _first_board(samna: Any):
    found = [b for b in attached(samna) if b.target is not None and b.available]
    if not found:
        raise sdk.fail("device-not-found", "no free supported board attached for the self-test "
                       "(`dynapspec devices` lists what samna sees)")
    return found[0]


def _firmware(board: Board) -> str:
    getter = getattr(board._handle, "get_firmware_versions", None)
    if getter is None:
        return "not reported by this samna"
    try:
        return str(getter())
    except Exception as exc:  # noqa: BLE001 - reporting only
        return f"unreadable ({exc})"
