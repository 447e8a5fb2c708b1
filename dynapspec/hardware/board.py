"""An open board: the simulator's API on real hardware (docs/hardware.md).

``apply`` writes a Config, ``send`` streams events with their timestamps, ``read`` drains what the
chip sent back, ``run`` plays a finite input start to finish, ``live`` runs from the on-die sensor,
and every path out of a failure or Ctrl-C leaves the board closed. Results are the simulator's
:class:`~dynapspec.events.RunResult` plus what only a board says (readout events, dropped-event
counts, the DVS layer's raw input), so switching engines is changing one name.
"""
from __future__ import annotations

import contextlib
import dataclasses
import time
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np

from .. import chips, monitoring
from ..config import CHIP, Config
from ..errors import Diagnostic, DynapspecError, Location, SpecError, reason, warning
from ..events import (
    CHIP_SPIKE_DTYPE,
    DVS_DTYPE,
    PIN_DTYPE,
    READOUT_DTYPE,
    RunResult,
    as_events,
    check_range,
    field_names,
    split_by_core,
)
from . import configure, sdk
from . import monitor as monitors
from .devices import Attached

SENSOR_RUN_S = 1.0  # how long a sensor-fed run records when no duration is given
STAMP_LIMIT_US = 2**32  # U18: timestamps are assumed 32-bit on the board


def neuron_address(features: int, width: int, f: int, x: int, y: int) -> int:
    """A ReadNeuronValue address: [zero fill | y | x | feature], fields ceil(log2) of each size wide.

    Speck 2e/2f datasheet, "Memory configuration" (worked example: 16x16x128, feature 63, x 3, y 11
    -> 0b1011_0011_0111111). sinabs' ``calculate_neuron_address`` shifts y by the y width instead of
    the x width, which agrees only on square maps (U17).
    """
    f_bits, x_bits = (features - 1).bit_length(), (width - 1).bit_length()
    return (y << (f_bits + x_bits)) | (x << f_bits) | f


def lead_us(count: int) -> int:
    """Board time before the first input event, so the write is done before the watch reaches it."""
    lead = sdk.facts()["lead_us"]
    return int(lead["base"] + lead["per_event"] * count)


IntervalCounts = Dict[str, Dict[int, int]]  # layer -> feature -> spikes in one interval of a live run


class Board:
    """A board opened through samna. Use as a context manager, or call :meth:`close`."""

    def __init__(self, samna: Any, attached: Attached, handle: Any, settle_s: Optional[float] = None,
                 slow_clock_hz: Optional[int] = None):
        facts = sdk.facts()
        self.device = attached.device
        self.profile = chips.profile(attached.target)
        self.settle_s = facts["settle_s"] if settle_s is None else settle_s
        # UnifirmModule.set_slow_clk_rate(self, arg0: int): pybind11 refuses a float there
        self.slow_clock_hz = int(facts["slow_clock_hz"] if slow_clock_hz is None else slow_clock_hz)
        if self.slow_clock_hz < 1:
            raise SpecError.single("slow-clock", f"the slow clock rate must be a whole number of Hz >= 1, got {slow_clock_hz}")
        self.warnings: List[Diagnostic] = sdk.version_warnings(samna)
        sdk.log.info("%s: samna %s", self.device, sdk.version(samna))
        self._samna, self._handle = samna, handle
        self._chip = sdk.chip_module(samna, self.profile.samna_module, attached.target)
        self._dropped_class = _dropped_class(samna)
        self._closed = False
        self._config: Optional[Config] = None
        self._request: monitoring.Monitor = None
        self._raw_dvs = False
        self._names: Sequence[str] = ()
        self._slow_clock_on = False
        self.dropped_total = 0  # DroppedEventsNum over the board's whole session
        self._clear()
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
            except Exception as exc:  # noqa: BLE001 - the board may be gone already; closing must not raise
                sdk.log.info("%s: while closing: %s", self.device, exc)

    # ---------------------------------------------------------------- configuration

    def apply(self, config: Config) -> None:
        """Write ``config`` (with the monitors chosen by :meth:`monitor`) and let it settle."""
        self._open_or_fail()
        check_target(config, self.profile.target, self.device)
        names = monitoring.resolve(config, self._request, readout=True)
        effective = config if self._request is None else monitors.with_monitors(config, names)
        if self._raw_dvs:
            effective = _with_dvs(effective, raw_monitor_enable=True)
        self._check_sensor_release(effective)
        samna_config = configure.to_samna(self._chip, effective, self.profile)
        self._apply(samna_config)
        time.sleep(self.settle_s)  # U15: sinabs' DynapcnnNetwork.to sleeps 1 s after applying
        self._check_applied(effective)
        self._slow_clock(_needs_slow_clock(effective))
        self._config, self._names, self._applied = config, names, samna_config
        self.warnings += monitors.notes(effective, names)

    def monitor(self, layers: monitoring.Monitor, raw_dvs: bool = False) -> None:
        """Choose what the host sees (``"all"``, names, ``"dvs"``; ``raw_dvs``: the DVS layer's raw
        input too); re-applies if already configured."""
        self._request, self._raw_dvs = layers, raw_dvs
        if self._config is not None:
            self.apply(self._config)

    def reset_states(self) -> None:
        """Every neuron back to ``neurons_initial_value``: the last configuration is written again."""
        self._require_config()
        self._apply(self._applied)
        time.sleep(self.settle_s)

    # ---------------------------------------------------------------- events

    def send(self, events) -> int:
        """Write host events (DVS or spike events, per the network's input) as they are; returns how many."""
        config = self._require_config()
        array = self._host_events(config, events)
        with self._guard("sending events"):
            self._source.write(self._to_samna(config, array, 0))
        self._sent += len(array)
        return len(array)

    def read(self) -> RunResult:
        """Everything the chip sent since the last read (or run), without waiting."""
        self._require_config()
        self._drain()
        return self._result(time.monotonic() - self._since, 0)

    def states(self, timeout_s: float = 10.0) -> Dict[str, np.ndarray]:
        """Neuron states per layer in samna's ``[f][x][y]``, read one neuron at a time (:func:`neuron_address`)."""
        config = self._require_config()
        event = self._chip.event
        wanted: Dict[tuple, tuple] = {}
        out: Dict[str, np.ndarray] = {}
        for record in config.header.layers:
            shape = config.chip.cnn_layers[record.core].dimensions.output_shape
            features, width, height = shape.feature_count, shape.size.x, shape.size.y
            out[record.name] = np.zeros((features, width, height), dtype=CHIP.state.dtype)
            for y in range(height):
                for x in range(width):
                    for f in range(features):
                        wanted[(record.core, neuron_address(features, width, f, x, y))] = (record.name, f, x, y)
        self._values: List[tuple] = []
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

    def run(self, events=None, monitor: monitoring.Monitor = None, duration_s: Optional[float] = None,
            quiet_s: Optional[float] = None, timeout_s: float = 60.0, record_states: bool = False,
            keep_time: bool = False) -> RunResult:
        """Play a finite input and collect the answer (docs/hardware.md, "Timing").

        The input is played from its first event: that event gets a lead (:func:`lead_us`) so the
        write is finished before the stop watch reaches it, and the recorded times are rebased to
        the first input event (``keep_time``: to the input's own time base). Records until the last
        input event has been played and then nothing new arrived for ``quiet_s``, or for exactly
        ``duration_s`` when given; a chip still busy ``timeout_s`` later is cut off with a warning.
        """
        if monitor is not None and monitor != self._request:
            self.monitor(monitor, self._raw_dvs)
        config = self._require_config()
        quiet_s = sdk.facts()["quiet_s"] if quiet_s is None else quiet_s
        array = self._host_events(config, events) if events is not None else None
        if duration_s is None and array is None:
            if config.header.input.source != "sensor":
                raise SpecError.single("events-format", f"{config.header.name} takes its input from the host: give "
                                       "events to play (--input events.h5), or a duration to record without input")
            duration_s = SENSOR_RUN_S
        played = array if array is not None and len(array) > 0 else None
        first = int(played["t"][0]) if played is not None else 0
        lead = lead_us(len(played)) if played is not None else 0
        self._warn_far_start(first, keep_time)
        payload = self._to_samna(config, played, lead - first) if played is not None else []
        last_s = (lead + int(played["t"][-1]) - first) / 1e6 if played is not None else 0.0
        poll_s = min(sdk.facts()["poll_s"], quiet_s)
        with self._guard("running the input"):
            self._sink.get_events()  # stale events from before this run
            self._clear()
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
        result = self._result(time.monotonic() - start, (first if keep_time else 0) - lead)
        return dataclasses.replace(result, states=self.states()) if record_states else result

    def live(self, duration_s: Optional[float] = None, interval_s: float = 0.5,
             on_interval: Optional[Callable[[float, IntervalCounts], None]] = None) -> RunResult:
        """Run from the on-die sensor; every ``interval_s`` hand ``on_interval`` the seconds since the
        start and that interval's spikes per monitored layer and feature (the caller shows them).

        Stops after ``duration_s`` or at Ctrl-C, which is the normal way out here.
        """
        config = self._require_config()
        if config.header.input.kind != "dvs" or not self.profile.has_sensor:
            raise SpecError.single("live-input", f"--live needs a network whose input is the DVS layer on a board with a "
                                   f"sensor; {config.header.name} takes {config.header.input.kind} input on {self.device}")
        if not config.chip.dvs_layer.pass_sensor_events:
            self.apply(_with_dvs(config, pass_sensor_events=True))
        shown = [r for r in config.header.layers if r.name in self._names]
        start = time.monotonic()
        with self._guard("running live"):
            self._clear()
            self._timestamps(True)
            try:
                seen = 0
                while duration_s is None or time.monotonic() - start < duration_s:
                    time.sleep(interval_s)
                    self._drain()
                    if on_interval is not None:
                        on_interval(time.monotonic() - start, _interval_counts(shown, self._pending[seen:]))
                    seen = len(self._pending)
            except KeyboardInterrupt:
                pass
            self._timestamps(False)
        return self._result(time.monotonic() - start, 0)

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
        except Exception as exc:  # noqa: BLE001 - samna raises its own types: any failure mid-run is a lost board
            self.close()
            raise sdk.fail("device-lost", f"{what} failed ({type(exc).__name__}: {reason(exc)}); is the board still "
                           "plugged in?", self.device) from None

    def _apply(self, samna_config: Any) -> None:
        """``apply_configuration``, with one soft reset and retry when it times out (sinabs issue #269)."""
        try:
            self._model.apply_configuration(samna_config)
            return
        except Exception as exc:  # noqa: BLE001 - samna's errors have no common type; a timeout is told by its text
            if not _timed_out(exc):
                raise sdk.fail("device-rejected", f"applying the configuration failed: {reason(exc)}", self.device) from None
            first = reason(exc)
        if not sdk.has(self._handle, "reset_board_soft"):
            raise sdk.fail("device-timeout", f"applying the configuration timed out ({first}); {RESET_HINT}", self.device)
        self.warnings.append(warning("device-soft-reset", f"applying the configuration timed out ({first}); soft-reset the "
                                     "board (reset_board_soft) and tried once more", Location(self.device)))
        with self._guard("soft-resetting the board"):
            self._handle.reset_board_soft(True)
        time.sleep(self.settle_s)
        self._slow_clock_on = False  # the reset restarted the FPGA
        try:
            self._model.apply_configuration(samna_config)
        except Exception as exc:  # noqa: BLE001 - samna's errors have no common type; a timeout is told by its text
            if _timed_out(exc):
                raise sdk.fail("device-timeout", f"applying the configuration timed out again after a soft reset "
                               f"({reason(exc)}); {RESET_HINT}", self.device) from None
            raise sdk.fail("device-rejected", f"applying the configuration failed: {reason(exc)}", self.device) from None

    def _check_sensor_release(self, config: Config) -> None:
        """Refuse a sensor-fed run that the installed samna would leave without sensor events."""
        bug = sdk.facts()["sensor_needs_monitor"]
        dvs = config.chip.dvs_layer
        if (self.profile.chip != bug["chip"] or not dvs.pass_sensor_events or dvs.monitor_enable
                or dvs.raw_monitor_enable or not sdk.older_than(self._samna, bug["fixed"])):
            return
        raise sdk.fail("samna-version", f"samna {sdk.version(self._samna)} has a {bug['chip']} bug (fixed in "
                       f"{bug['fixed']}): the cores get no sensor events unless the DVS layer is monitored; upgrade "
                       f"with `{sdk.install_hint(bug['fixed'])}`, or monitor the DVS layer (--monitor dvs,...)",
                       self.device)

    def _check_applied(self, config: Config) -> None:
        """samna keeps the last applied configuration: make sure the sensor is let in only if meant to be."""
        if not sdk.has(self._model, "get_configuration"):
            return
        with self._guard("reading the applied configuration back"):
            passed = configure.sensor_passed(self._model.get_configuration())
        wanted = config.chip.dvs_layer.pass_sensor_events
        if passed != wanted:
            raise sdk.fail("samna-version", f"samna applied dvs_layer.pass_sensor_events = {passed}, not {wanted}: the "
                           "on-die sensor's events would " + ("mix with the host's" if passed else "not reach the network"),
                           self.device)

    def _slow_clock(self, on: bool) -> None:
        """Start the slow clock at ``slow_clock_hz`` (an int) when a core leaks or the readout runs."""
        if on == self._slow_clock_on:
            return
        with self._guard("setting the slow clock"):
            io = self._handle.get_io_module()
            if on:  # sinabs' using_readout_layer: the rate first, then enable
                io.set_slow_clk_rate(self.slow_clock_hz)
            io.set_slow_clk(on)
        self._slow_clock_on = on

    def _warn_far_start(self, first: int, keep_time: bool) -> None:
        if first > sdk.facts()["far_start_us"]:
            kept = "kept in the input's time base (--keep-time)" if keep_time else \
                "counted from it (--keep-time keeps the input's time base)"
            self.warnings.append(warning("events-rebased", f"the input starts at t = {first / 1e6:g} s; the board plays "
                                         f"it from its first event and recorded times are {kept}", Location(self.device)))

    def _host_events(self, config: Config, events) -> np.ndarray:
        array = as_events(events, config.header.input.kind)
        check_range(array, config.header.input.shape)
        if len(array) and int(array["t"][-1]) - int(array["t"][0]) + lead_us(len(array)) >= STAMP_LIMIT_US:
            raise SpecError.single("events-range", f"the input spans {int(array['t'][-1]) - int(array['t'][0])} us; keep "
                                   f"board runs under 2^32 us (about 71 min), the time stamper's assumed width (U18)")
        return array

    def _to_samna(self, config: Config, array: np.ndarray, shift: int) -> list:
        """Host events as samna events at their time + ``shift``: spikes to every input core, DVS events to the DVS layer."""
        event = self._chip.event
        columns = {name: array[name].tolist() for name in field_names(array.dtype)}
        stamps = [t + shift for t in columns["t"]]
        if config.header.input.kind == "dvs":
            return [_make(event.DvsEvent, x=x, y=y, p=bool(p), timestamp=t)
                    for x, y, p, t in zip(columns["x"], columns["y"], columns["p"], stamps)]
        cores = config.header.input.cores
        return [_make(event.Spike, layer=core, feature=c, x=x, y=y, timestamp=t)
                for t, c, x, y in zip(stamps, columns["c"], columns["x"], columns["y"]) for core in cores]

    def _clear(self) -> None:
        self._pending: List[tuple] = []
        self._values = []
        self._readout: List[int] = []
        self._pins: List[tuple] = []
        self._raw: List[tuple] = []
        self._dropped = 0
        self._sent = 0

    def _drain(self) -> int:
        """Sort what the sink holds into spikes, neuron values, readout, raw DVS and dropped counts.

        Returns how many events carry news; the readout's per-tick ReadoutValue stream does not
        (it never stops while the slow clock runs).
        """
        event = self._chip.event
        readout_value = getattr(event, "ReadoutValue", None)
        pin_value = getattr(event, "ReadoutPinValue", None)
        with self._guard("reading events"):
            raw = self._sink.get_events()
        news = 0
        for e in raw:
            if isinstance(e, event.Spike):
                self._pending.append((e.timestamp, e.layer, e.feature, e.x, e.y))
            elif isinstance(e, event.NeuronValue):
                self._values.append((e.layer, e.address, e.neuron_state))
            elif readout_value is not None and isinstance(e, readout_value):
                self._readout.append(e.value)
                continue
            elif pin_value is not None and isinstance(e, pin_value):
                self._pins.append((e.timestamp, e.index))
            elif isinstance(e, event.DvsEvent):
                self._raw.append((e.x, e.y, e.timestamp, int(e.p)))
            elif self._dropped_class is not None and isinstance(e, self._dropped_class):
                self._dropped += int(e.num)
            else:
                sdk.log.info("%s: ignored %s", self.device, type(e).__name__)
            news += 1
        return news

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

    def _result(self, duration_s: float, shift: int) -> RunResult:
        """What arrived since the last result, board times moved by ``shift`` µs (never below 0)."""
        def moved(rows, column, dtype):
            array = np.array(rows, dtype=dtype)
            array[column] = np.maximum(array[column].astype(np.int64) + shift, 0)
            return array

        config = self._config
        assert config is not None, "results follow an applied configuration"
        output = moved(self._pending, "t", CHIP_SPIKE_DTYPE)
        names = monitors.core_names(config)
        watched = {core: name for core, name in names.items() if name in self._names}
        layers = split_by_core(output, watched)
        readout_on = config.chip.readout is not None and config.chip.readout.enable
        result = RunResult(
            output=output, layers=layers, spike_counts={name: len(layers[name]) for name in watched.values()},
            input_count=self._sent, duration_s=duration_s, device=self.device,
            readout=np.array(list(enumerate(self._readout)), dtype=READOUT_DTYPE) if readout_on else None,
            readout_pins=moved(self._pins, "t", PIN_DTYPE) if readout_on else None,
            dropped=self._dropped,
            raw_dvs=moved(self._raw, "t", DVS_DTYPE) if self._raw_dvs else None,
        )
        self.dropped_total += self._dropped
        if self._dropped:
            self.warnings.append(warning("events-dropped", f"the board's IO module dropped {self._dropped} events "
                                         "(samna DroppedEventsNum): the output is incomplete; slow the input down or "
                                         "monitor fewer layers", Location(self.device)))
        self._clear()
        self._since = time.monotonic()
        return result


RESET_HINT = "press the board's reset button (or unplug and replug it) and run again"


def _timed_out(exc: Exception) -> bool:
    """samna reports a stuck board as "Apply configuration timeout" (sinabs issue #269)."""
    text = str(exc).lower()
    return isinstance(exc, TimeoutError) or "timeout" in text or "timed out" in text


def _dropped_class(samna: Any) -> Any:
    """``samna.unifirm.modules.events.DroppedEventsNum`` (``num``: events the IO module dropped), if present."""
    found = samna
    for name in ("unifirm", "modules", "events", "DroppedEventsNum"):
        found = getattr(found, name, None)
        if found is None:
            return None
    return found


def _with_dvs(config: Config, **fields) -> Config:
    dvs = dataclasses.replace(config.chip.dvs_layer, **fields)
    return dataclasses.replace(config, chip=dataclasses.replace(config.chip, dvs_layer=dvs))


def _needs_slow_clock(config: Config) -> bool:
    chip = config.chip
    return any(core.leak_enable for core in chip.cnn_layers) or (chip.readout is not None and chip.readout.enable)


def _make(cls: Any, **fields) -> Any:
    event = cls()
    for name, value in fields.items():
        setattr(event, name, value)
    return event


def _interval_counts(shown: Sequence, rows: Sequence[tuple]) -> IntervalCounts:
    """Spikes of one interval per layer and feature (features without spikes left out)."""
    counts: IntervalCounts = {record.name: {} for record in shown}
    names = {record.core: record.name for record in shown}
    for _, core, c, _, _ in rows:
        if core in names:
            layer = counts[names[core]]
            layer[c] = layer.get(c, 0) + 1
    return counts


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
    """Open ``attached`` and wrap it; each way opening fails has its own code and remedy."""
    if attached.target is None:
        raise sdk.fail("target-mismatch", f"a {attached.device_type_name}, which dynapspec has no profile for",
                       attached.device)
    sdk.chip_module(samna, chips.profile(attached.target).samna_module, attached.target)
    if not attached.available:
        raise sdk.fail("device-busy", "already open (samna lets one process hold a board); close the other "
                       "program or notebook using it", attached.device)
    try:
        handle = samna.device.open_device(attached.info)
    except Exception as exc:  # noqa: BLE001 - samna's errors have no common type
        raise _open_failure(samna, exc, attached.device) from None
    try:
        return Board(samna, attached, handle, **options)
    except BaseException:
        with contextlib.suppress(Exception):
            samna.device.close_device(handle)
        raise


def _open_failure(samna: Any, exc: Exception, device: str) -> DynapspecError:
    """samna >= 0.46.1 refuses a board whose firmware it does not support (changelog 0.46.1)."""
    text = reason(exc)
    if "firmware" in text.lower():
        version = sdk.version(samna)
        return sdk.fail("device-firmware", f"samna {version} refused the board's firmware ({text}); flash the firmware "
                        f"that matches samna {version} (samna's Flasher page), or install the samna release that "
                        "matches the board", device)
    if _timed_out(exc):
        return sdk.fail("device-timeout", f"opening the board timed out ({text}); {RESET_HINT}", device)
    return sdk.fail("device-open", f"samna could not open it ({text}); unplug and replug it, and check the udev "
                    "rules (docs/hardware.md)", device)

