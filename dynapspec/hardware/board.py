"""An open board: the simulator's API on real hardware (docs/chip.md §8).

``apply`` writes a Config, ``send`` streams events with their timestamps, ``read`` drains what the
chip sent back, ``run`` plays a finite input start to finish, ``live`` runs from the on-die sensor,
and every path out of a failure or Ctrl-C leaves the board closed. Results are the simulator's
:class:`~dynapspec.events.RunResult`, so switching engines is changing one name.
"""
from __future__ import annotations

import contextlib
import dataclasses
import sys
import time
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np

from .. import chips
from ..config import Config
from ..errors import Diagnostic, DynapspecError, Location, SpecError, reason, warning
from ..events import CHIP_SPIKE_DTYPE, RunResult, as_events, check_range, split_by_core
from . import configure, sdk
from . import monitor as monitors
from .devices import Attached

SENSOR_RUN_S = 1.0  # how long a sensor-fed run records when no duration is given
STAMP_LIMIT_US = 2**32  # U18: timestamps are assumed 32-bit on the board


class Board:
    """A board opened through samna. Use as a context manager, or call :meth:`close`."""

    def __init__(self, samna: Any, attached: Attached, handle: Any, settle_s: float = 1.0,
                 slow_clock_hz: Optional[int] = None):
        self.device = attached.device
        self.profile = chips.profile(attached.target)
        self.settle_s = settle_s
        # UnifirmModule.set_slow_clk_rate(self, arg0: int): pybind11 refuses a float there
        self.slow_clock_hz = int(slow_clock_hz if slow_clock_hz is not None else sdk.facts()["slow_clock_hz"])
        self.warnings: List[Diagnostic] = sdk.version_warnings(samna)
        sdk.log.info("%s: samna %s", self.device, sdk.version(samna))
        self._samna, self._handle = samna, handle
        self._chip = sdk.chip_module(samna, self.profile.samna_module, attached.target)
        self._closed = False
        self._config: Optional[Config] = None
        self._request: monitors.Monitor = None
        self._names: Sequence[str] = ()
        self._pending: List[tuple] = []
        self._values: List[tuple] = []
        self._sent = 0
        self._since = time.monotonic()
        with self._guard("connecting to the chip model"):
            self._model = sdk.call(handle, ("get_model", "get_device_model"))
            if sdk.has(handle, "get_model_sink_node"):  # samna 0.48's shortcuts
                model_sink, model_source = handle.get_model_sink_node(), handle.get_model_source_node()
            else:
                model_sink, model_source = self._model.get_sink_node(), self._model.get_source_node()
            self._source = sdk.node(samna, self.profile.chip, "source")
            self._sink = sdk.node(samna, self.profile.chip, "sink")
            self._graph = samna.graph.EventFilterGraph()
            self._graph.sequential([self._source, model_sink])
            self._graph.sequential([model_source, self._sink])
            self._graph.start()

    # ---------------------------------------------------------------- lifecycle

    def __enter__(self) -> "Board":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Stop the event graph and release the board; safe to call twice and after a failure."""
        if self._closed:
            return
        self._closed = True
        for step in (lambda: self._graph.stop(), lambda: self._samna.device.close_device(self._handle)):
            try:
                step()
            except Exception as exc:  # the board may be gone already; closing must not raise
                sdk.log.info("%s: while closing: %s", self.device, exc)

    # ---------------------------------------------------------------- configuration

    def apply(self, config: Config) -> None:
        """Write ``config`` (with the monitors chosen by :meth:`monitor`) and let it settle."""
        self._open_or_fail()
        check_target(config, self.profile.target, self.device)
        names = monitors.resolve(config, self._request)
        effective = config if self._request is None else monitors.with_monitors(config, names)
        samna_config = configure.to_samna(self._chip, effective, self.profile)
        try:
            self._model.apply_configuration(samna_config)
        except Exception as exc:
            raise sdk.fail("device-rejected", f"applying the configuration failed: {reason(exc)}", self.device) from None
        time.sleep(self.settle_s)  # U15: the reference waits 1 s after applying
        chip = effective.chip
        if any(core.leak_enable for core in chip.cnn_layers) or (chip.readout is not None and chip.readout.enable):
            with self._guard("starting the slow clock"):
                io = self._handle.get_io_module()
                io.set_slow_clk_rate(self.slow_clock_hz)
                io.set_slow_clk(True)
        self._config, self._names, self._applied = config, names, samna_config
        self.warnings += monitors.notes(effective, names)

    def monitor(self, layers: monitors.Monitor) -> None:
        """Choose what the host sees (``"all"``, names, ``"dvs"``); re-applies if already configured."""
        self._request = layers
        if self._config is not None:
            self.apply(self._config)

    def reset_states(self) -> None:
        """Every neuron back to ``neurons_initial_value``: the last configuration is written again."""
        self._require_config()
        with self._guard("resetting neuron states"):
            self._model.apply_configuration(self._applied)
        time.sleep(self.settle_s)

    # ---------------------------------------------------------------- events

    def send(self, events) -> int:
        """Write host events (DVS or spike events, per the network's input); returns how many."""
        config = self._require_config()
        array = self._host_events(config, events)
        with self._guard("sending events"):
            self._source.write(self._to_samna(config, array))
        self._sent += len(array)
        return len(array)

    def read(self) -> RunResult:
        """Everything the chip sent since the last read (or run), without waiting."""
        self._require_config()
        self._drain()
        return self._result(time.monotonic() - self._since)

    def states(self, timeout_s: float = 10.0) -> Dict[str, np.ndarray]:
        """Neuron states per layer in samna's ``[f][x][y]``, read one neuron at a time.

        ``ReadNeuronValue`` addresses follow the datasheet: ``(y << (bf+bx)) | (x << bf) | f`` with
        bf, bx the bit widths of features and x (U17, unconfirmed on silicon when x and y differ).
        """
        config = self._require_config()
        event = self._chip.event
        wanted: Dict[tuple, tuple] = {}
        out: Dict[str, np.ndarray] = {}
        for record in config.header.layers:
            shape = config.chip.cnn_layers[record.core].dimensions.output_shape
            features, width, height = shape.feature_count, shape.size.x, shape.size.y
            out[record.name] = np.zeros((features, width, height), dtype=np.int16)
            bf, bx = (features - 1).bit_length(), (width - 1).bit_length()
            for y in range(height):
                for x in range(width):
                    for f in range(features):
                        wanted[(record.core, (y << (bf + bx)) | (x << bf) | f)] = (record.name, f, x, y)
        self._values = []
        with self._guard("reading neuron states"):
            self._source.write([_make(event.ReadNeuronValue, layer=core, address=a) for core, a in wanted])
            deadline = time.monotonic() + timeout_s
            while len(self._values) < len(wanted) and time.monotonic() < deadline:
                if not self._drain():
                    time.sleep(0.01)
        for core, address, value in self._values:
            name, f, x, y = wanted[(core, address)]
            out[name][f, x, y] = value
        if len(self._values) < len(wanted):
            raise sdk.fail("device-lost", f"{len(wanted) - len(self._values)} neuron reads unanswered after "
                           f"{timeout_s:g} s", self.device)
        return out

    def run(self, events=None, monitor: monitors.Monitor = None, duration_s: Optional[float] = None,
            quiet_s: float = 0.3, timeout_s: float = 60.0, record_states: bool = False) -> RunResult:
        """Play a finite input and collect the answer (docs/chip.md §8, "Running a finite input").

        Records until the last input timestamp has passed and then nothing new arrived for
        ``quiet_s``, or for exactly ``duration_s`` when given; a chip still busy ``timeout_s``
        after the input ends is cut off with a warning.
        """
        if monitor is not None and monitor != self._request:
            self.monitor(monitor)
        config = self._require_config()
        array = self._host_events(config, events) if events is not None else None
        payload = self._to_samna(config, array) if array is not None else []
        if duration_s is None and array is None:
            if config.header.input.source != "sensor":
                raise SpecError.single("events-format", f"{config.header.name} takes its input from the host: give "
                                       "events to play (--input events.h5), or a duration to record without input")
            duration_s = SENSOR_RUN_S
        last_s = float(array["t"][-1]) / 1e6 if array is not None and len(array) else 0.0
        poll_s = min(0.1, quiet_s)
        with self._guard("running the input"):
            self._sink.get_events()  # stale events from before this run
            self._pending, self._sent = [], 0
            self._timestamps(True)
            start = self._since = time.monotonic()
            self._source.write(payload)
            self._sent = 0 if array is None else len(array)
            end = None if duration_s is None else start + duration_s
            time.sleep(max(0.0, min(start + last_s, end or np.inf) - time.monotonic()))
            last_news = time.monotonic()
            while True:
                time.sleep(poll_s)
                now = time.monotonic()
                if self._drain():
                    last_news = now
                if end is not None:
                    if now >= end:
                        break
                elif now - last_news >= quiet_s:
                    break
                elif now - start > last_s + timeout_s:
                    self.warnings.append(warning("run-not-quiet", f"still spiking {timeout_s:g} s after the input "
                                                 "ended; stopped recording (give --duration to bound the run)",
                                                 Location(self.device)))
                    break
            self._timestamps(False)
        result = self._result(time.monotonic() - start)
        return dataclasses.replace(result, states=self.states()) if record_states else result

    def live(self, duration_s: Optional[float] = None, interval_s: float = 0.5,
             printer: Callable[[str], None] = print) -> RunResult:
        """Run from the on-die sensor, printing spike counts per feature every ``interval_s``.

        Stops after ``duration_s`` or at Ctrl-C, which is the normal way out here.
        """
        config = self._require_config()
        if config.header.input.kind != "dvs" or not self.profile.has_sensor:
            raise SpecError.single("live-input", f"--live needs a network whose input is the DVS layer on a board with a "
                                   f"sensor; {config.header.name} takes {config.header.input.kind} input on {self.device}")
        if not config.chip.dvs_layer.pass_sensor_events:
            dvs = dataclasses.replace(config.chip.dvs_layer, pass_sensor_events=True)
            self.apply(dataclasses.replace(config, chip=dataclasses.replace(config.chip, dvs_layer=dvs)))
        shown = [r for r in config.header.layers if r.name in self._names]
        start = time.monotonic()
        with self._guard("running live"):
            self._pending, self._sent = [], 0
            self._timestamps(True)
            try:
                seen = 0
                while duration_s is None or time.monotonic() - start < duration_s:
                    time.sleep(interval_s)
                    self._drain()
                    printer(_counts_line(time.monotonic() - start, shown, self._pending[seen:]))
                    seen = len(self._pending)
            except KeyboardInterrupt:
                pass
            self._timestamps(False)
        return self._result(time.monotonic() - start)

    # ---------------------------------------------------------------- internals

    def _open_or_fail(self) -> None:
        if self._closed:
            raise sdk.fail("device-lost", "the board is closed", self.device)

    def _require_config(self) -> Config:
        self._open_or_fail()
        if self._config is None:
            raise sdk.fail("device-rejected", "apply a configuration first", self.device)
        return self._config

    @contextlib.contextmanager
    def _guard(self, what: str):
        """samna failures mid-run mean the board is gone: close it and say so in one line."""
        try:
            yield
        except DynapspecError:
            raise
        except Exception as exc:
            self.close()
            raise sdk.fail("device-lost", f"{what} failed ({type(exc).__name__}: {reason(exc)}); is the board still "
                           "plugged in?", self.device) from None

    def _host_events(self, config: Config, events) -> np.ndarray:
        array = as_events(events, config.header.input.kind)
        check_range(array, config.header.input.shape)
        if len(array) and int(array["t"][-1]) >= STAMP_LIMIT_US:
            raise SpecError.single("events-range", f"the last event is at t={int(array['t'][-1])} us; keep board runs "
                                   f"under 2^32 us (about 71 min), the time stamper's assumed width (U18)")
        return array

    def _to_samna(self, config: Config, array: np.ndarray) -> list:
        """Host events as samna events: spikes go to every input core, DVS events to the DVS layer."""
        event = self._chip.event
        columns = {name: array[name].tolist() for name in array.dtype.names}
        if config.header.input.kind == "dvs":
            return [_make(event.DvsEvent, x=x, y=y, p=bool(p), timestamp=t)
                    for x, y, p, t in zip(columns["x"], columns["y"], columns["p"], columns["t"])]
        cores = config.header.input.cores
        return [_make(event.Spike, layer=core, feature=c, x=x, y=y, timestamp=t)
                for t, c, x, y in zip(columns["t"], columns["c"], columns["x"], columns["y"]) for core in cores]

    def _drain(self) -> int:
        """Move the sink's spikes into ``_pending`` and neuron values into ``_values``; returns how many arrived."""
        event = self._chip.event
        with self._guard("reading events"):
            raw = self._sink.get_events()
        self._pending += [(e.timestamp, e.layer, e.feature, e.x, e.y) for e in raw if isinstance(e, event.Spike)]
        self._values += [(e.layer, e.address, e.neuron_state) for e in raw if isinstance(e, event.NeuronValue)]
        return len(raw)

    def _timestamps(self, on: bool) -> None:
        """Reset and start (or stop) the board's time stamper; timestamps are µs from the start."""
        handle = self._handle
        if sdk.has(handle, "get_stop_watch"):
            watch = handle.get_stop_watch()
            if on:
                watch.reset()
            if sdk.has(watch, "start"):
                watch.start() if on else watch.stop()
            else:  # older samna
                watch.set_enable_value(on)
        else:  # the DYNAP-CNN kit: a register of the IO module; off then on resets it
            io, register = handle.get_io_module(), sdk.facts()["timestamp_register"]
            if on:
                io.write_config(register, 0)
            io.write_config(register, 1 if on else 0)

    def _result(self, duration_s: float) -> RunResult:
        output = np.array(self._pending, dtype=CHIP_SPIKE_DTYPE)
        names = monitors.core_names(self._config)
        watched = {core: name for core, name in names.items() if name in self._names}
        layers = split_by_core(output, watched)
        result = RunResult(
            output=output, layers=layers, spike_counts={name: len(layers[name]) for name in watched.values()},
            input_count=self._sent, duration_s=duration_s, device=self.device,
        )
        self._pending, self._sent, self._since = [], 0, time.monotonic()
        return result


def _make(cls: Any, **fields) -> Any:
    event = cls()
    for name, value in fields.items():
        setattr(event, name, value)
    return event


def _counts_line(elapsed: float, shown: Sequence, rows: Sequence[tuple]) -> str:
    """``2.5s  out: 0:3 1:0 ...`` for the spikes of one interval (every feature if few, else non-zero)."""
    parts = [f"{elapsed:6.1f}s"]
    for record in shown:
        features = record.output_shape[0]
        counts: Dict[int, int] = {}
        for _, core, c, _, _ in rows:
            if core == record.core:
                counts[c] = counts.get(c, 0) + 1
        keys = range(features) if features <= 16 else sorted(counts)
        parts.append(f"{record.name}: " + (" ".join(f"{f}:{counts.get(f, 0)}" for f in keys) or "-"))
    return "  ".join(parts)


def check_target(config: Config, target: Optional[str], device: str) -> None:
    """The board must carry the chip the configuration was compiled for (any board of that chip)."""
    wanted = chips.profile(config.header.target)
    if target is None:
        raise sdk.fail("target-mismatch", "not a board dynapspec has a profile for", device)
    chip = chips.profile(target).chip
    if chip != wanted.chip:
        raise sdk.fail("target-mismatch", f"{config.header.name} was compiled for {config.header.target} "
                       f"({wanted.chip}); this is a {chip} board: compile for it with `dynapspec compile <spec> --target {target} "
                       f"-o <spec>.{target}.json` and deploy that file", device)


def open_board(samna: Any, attached: Attached, **options) -> Board:
    """Open ``attached`` and wrap it; ``device-busy`` when another process holds it."""
    if attached.target is None:
        raise sdk.fail("target-mismatch", f"a {attached.device_type_name}, which dynapspec has no profile for",
                       attached.device)
    sdk.chip_module(samna, chips.profile(attached.target).samna_module, attached.target)
    if not attached.available:
        raise sdk.fail("device-busy", "already open (samna lets one process hold a board); close the other "
                       "program or notebook using it", attached.device)
    try:
        handle = samna.device.open_device(attached.info)
    except Exception as exc:
        raise sdk.fail("device-busy", f"could not be opened ({reason(exc)})", attached.device) from None
    try:
        return Board(samna, attached, handle, **options)
    except BaseException:
        with contextlib.suppress(Exception):
            samna.device.close_device(handle)
        raise


def emit(diagnostics: Sequence[Diagnostic]) -> None:
    """Warnings to stderr, one line each (the CLI's way; API users read ``Board.warnings``)."""
    for diag in diagnostics:
        sys.stderr.write(diag.render() + "\n")
