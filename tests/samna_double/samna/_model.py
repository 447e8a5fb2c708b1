"""The fake chip model: a board's configuration runs on the slow reference in ``tests/simnet.py``.

The reference follows the chip's documented update rule one neuron at a time and shares nothing
with ``dynapspec.sim`` (no tables, no kernel), so a change to the simulator's firing rule shows up
as a board/simulator disagreement in the hardware tests.

``apply_configuration`` validates like samna, then reads the samna object back into a dynapspec
ChipConfig (a straight field-by-field read: whatever the adapter wrote, right or wrong, is what
runs). Host events written to the model's sink node are played in order; what the chip sends back
(spikes of monitored cores, the DVS layer's raw input, neuron values, readout events, dropped-event
counts) comes out of the model's source node. Timing follows samna's StopWatch reference: while the
watch runs, an event waits until the watch reaches its timestamp; one that arrives late (the write
takes ``state.write_cost_us`` of board time per event) is processed, and its output stamped, late.
"""
from __future__ import annotations

import dataclasses
import types
import typing
from typing import List

import numpy as np

from dynapspec import config as ds_config

from . import _chips, _double
from .graph import Node

CLASSES = 15  # readout channels 1..15 (sinabs' using_readout_layer)
CLASS_STRIDE = 4  # Speck 2e/2f erratum: readout class k counts feature 4(k-1) (same tutorial)
VALID_BIT, CLASS_SHIFT = 20, 16  # ReadoutValue.value layout (same tutorial's output_mode_sel table)


def read_chip(cfg) -> ds_config.ChipConfig:
    """The samna object as the document's ChipConfig; a field the chip lacks reads as its default."""
    return _read(ds_config.ChipConfig, cfg)


def _read(cls, obj):
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):
        if not hasattr(obj, f.name):
            continue  # the dataclass default: None for chip-specific fields, the chip's behaviour otherwise
        hint, value = hints[f.name], getattr(obj, f.name)
        if typing.get_origin(hint) is typing.Union:
            hint = [a for a in typing.get_args(hint) if a is not type(None)][0]
        if dataclasses.is_dataclass(hint):
            kwargs[f.name] = _read(hint, value)
        elif typing.get_origin(hint) is tuple:
            inner = typing.get_args(hint)[0]
            kwargs[f.name] = tuple(_read(inner, v) for v in value)
        elif hint is np.ndarray:
            array = np.array(value, dtype=np.int64)
            kwargs[f.name] = array.reshape((0,) * ds_config._ARRAY_NDIM[f.name]) if array.size == 0 else array
        else:
            kwargs[f.name] = value
    return cls(**kwargs)


def _reference():
    import simnet  # tests/simnet.py: the independent, literal reference of the chip's numerics

    class Chip(simnet.Reference):
        """The reference, remembering what each core sends to the readout."""

        def __init__(self, chip: ds_config.ChipConfig, monitored):
            super().__init__(types.SimpleNamespace(chip=chip))
            self.out, self.counts, self.monitored, self.t = [], {n: 0 for n in self.v}, set(monitored), 0
            self.to_readout: List[tuple] = []

        def spike(self, n, f, x, y):
            super().spike(n, f, x, y)
            if any(d.enable and d.layer == _chips.READOUT_LAYER for d in self.cores[n].destinations):
                self.to_readout.append((self.t, f))

    return Chip


class ModelSink(Node):
    def __init__(self, model):
        super().__init__()
        self._model = model

    def _receive(self, events: list) -> None:
        self._model._process(events, from_sensor=False)


class Model:
    def __init__(self, board, chip: str):
        self._board, self._chip = board, chip
        self._module = getattr(__import__("samna"), chip)
        self._sink, self._source = ModelSink(self), Node()
        self.chip_config = None  # the applied configuration, as a dynapspec ChipConfig
        self.applied_object = None  # the samna object as applied (get_configuration)
        self.echo_input = False
        self.applied = 0
        self._ref = None
        self._ticks = 0  # readout slow-clock ticks emitted since the last apply
        self._counts: List[np.ndarray] = []  # per tick, spikes per readout class

    # -- samna's model API
    def apply_configuration(self, cfg, timeout: float = 10.0) -> None:
        self._board._alive()
        if self._board.stuck:  # sinabs issue #269: "Apply configuration timeout" until the board is reset
            raise RuntimeError("Apply configuration timeout")
        wanted = getattr(self._module.configuration, _chips.CHIPS[self._chip]["config"])
        if not isinstance(cfg, wanted):
            raise TypeError(f"apply_configuration: expected {wanted.__module__}.{wanted.__name__}")
        ok, text = _chips.validate(self._chip, cfg)  # samna validates again, whatever the caller did
        if not ok:
            raise RuntimeError(text)
        self.chip_config = read_chip(cfg)
        self.applied_object = cfg._clone()
        factory = getattr(cfg, "factory_settings", None)  # DYNAP-CNN: echo host input to the host?
        self.echo_input = bool(factory is not None and factory.monitor_input_enable)
        self.applied += 1
        self.reset()

    def get_configuration(self):
        """samna: the last applied configuration (not a read from the hardware)."""
        self._board._alive()
        return self.applied_object

    def get_sink_node(self) -> Node:
        self._board._alive()
        return self._sink

    def get_source_node(self) -> Node:
        self._board._alive()
        return self._source

    def reset(self) -> None:
        monitored = [n for n, core in enumerate(self.chip_config.cnn_layers) if core.monitor_enable]
        self._ref = _reference()(self.chip_config, monitored)
        self._ticks, self._counts = 0, []

    # -- the chip
    def passes_sensor(self) -> bool:
        dvs = self.chip_config.dvs_layer if self.chip_config else None
        if not (dvs and dvs.pass_sensor_events):
            return False
        if self._chip == "speck2f" and (0, 46) <= _double.version_key() < (0, 48, 3):
            # samna changelog 0.48.3: before it, Speck 2f cores got no sensor events unless a DVS
            # monitor flag was on
            return bool(dvs.monitor_enable or dvs.raw_monitor_enable)
        return True

    def _process(self, events: list, from_sensor: bool) -> None:
        self._board._alive()
        if self.chip_config is None or not events:
            return
        ev, watch, ref = self._module.event, self._board._watch, self._ref
        dvs, readout = self.chip_config.dvs_layer, self.chip_config.readout
        out: list = []
        for event in events:
            if isinstance(event, ev.ReadNeuronValue):
                out.append(self._neuron_value(event))
                continue
            if not isinstance(event, (ev.Spike, ev.DvsEvent)):
                raise NotImplementedError(f"the double does not play {type(event).__name__}")
            when = self._when(event, watch, from_sensor)
            stamp = when if watch.running else 0
            ref.t, first = stamp, len(ref.out)
            if isinstance(event, ev.DvsEvent):
                if dvs.raw_monitor_enable:
                    out.append(ev.DvsEvent(x=event.x, y=event.y, p=event.p, timestamp=stamp))
                ref.dvs_event(event.x, event.y, int(event.p), dvs.monitor_enable)
            else:
                if self.echo_input:
                    out.append(event)
                ref.deliver(event.layer, event.feature, event.x, event.y)
            if not (readout is not None and readout.monitor_enable):  # readout monitoring silences spikes
                out += [ev.Spike(layer=core, feature=c, x=x, y=y, timestamp=t) for t, core, c, x, y in ref.out[first:]]
            out += self._readout(upto=when)
        self._source._emit(_double.drop_some(out, self._board))

    def _when(self, event, watch, from_sensor: bool) -> int:
        """Board time at which the event is processed: its timestamp, or its arrival if that is later."""
        if from_sensor or not watch.running:
            return int(event.timestamp) if watch.running else watch.elapsed_us
        watch.elapsed_us += _double.state.write_cost_us
        return max(int(event.timestamp), watch.elapsed_us)

    def _neuron_value(self, request):
        """Decode the datasheet's neuron address [zero fill | y | x | feature] and answer with the state.

        Speck 2e/2f datasheet, "Memory configuration": the fields are ceil(log2(fy)), ceil(log2(fx))
        and ceil(log2(f)) bits wide. An address outside the layer is refused (a wrong encoder).
        """
        shape = self.chip_config.cnn_layers[request.layer].dimensions.output_shape
        f_bits = int(np.ceil(np.log2(shape.feature_count))) if shape.feature_count > 1 else 0
        x_bits = int(np.ceil(np.log2(shape.size.x))) if shape.size.x > 1 else 0
        f = request.address % 2**f_bits
        x = (request.address // 2**f_bits) % 2**x_bits
        y = request.address // 2**(f_bits + x_bits)
        if f >= shape.feature_count or x >= shape.size.x or y >= shape.size.y:
            raise NotImplementedError(f"ReadNeuronValue address {request.address} is outside layer {request.layer}")
        value = self._ref.v[request.layer][f][x][y]
        return self._module.event.NeuronValue(layer=request.layer, address=request.address, neuron_state=int(value))

    # -- the readout (sinabs' using_readout_layer tutorial and samna's ReadoutConfig reference)
    def _readout(self, upto: int = 0, trailing: bool = False) -> list:
        """Readout events of every slow-clock tick that ended by board time ``upto`` (or, with
        ``trailing``, the ticks of one averaging window past the last one)."""
        readout, io = self.chip_config.readout, self._board.io
        if readout is None or not readout.enable or not io.slow_clk or readout.readout_configuration_sel != 3:
            return []
        period = 1_000_000 // io.slow_clk_rate
        window = 1 if readout.low_pass_filter_disable else (32 if readout.low_pass_filter32_not16 else 16)
        if trailing:  # the averages decay over one window after the last readout input
            last = max(t for t, _ in self._ref.to_readout) // period + 1 + window if self._ref.to_readout else 0
        else:
            last = upto // period
        ev, events = self._module.event, []
        while self._ticks < last:
            start = self._ticks * period
            counts = np.zeros(CLASSES + 1, dtype=np.int64)
            for t, f in self._ref.to_readout:
                if start <= t < start + period and f % CLASS_STRIDE == 0 and f // CLASS_STRIDE < CLASSES:
                    counts[f // CLASS_STRIDE + 1] += 1
            self._counts.append(counts)
            self._ticks += 1
            average = sum(self._counts[-window:]) // window
            best = int(np.argmax(average[1:])) + 1
            above = [k for k in range(1, CLASSES + 1) if average[k] > readout.threshold]
            if readout.readout_pin_monitor_enable and above:
                stamp = self._ticks * period if self._board._watch.running else 0
                events.append(ev.ReadoutPinValue(index=best, timestamp=stamp))
            if readout.monitor_enable:
                selected = self.applied_object.readout.output_neuron_num  # not in the document: samna's default
                data = {0: 0, 1: sum(1 << (k - 1) for k in above), 2: int(average[selected]),
                        3: int(average[best])}[readout.output_mode_sel]
                events.append(ev.ReadoutValue(value=(1 << VALID_BIT) | (best << CLASS_SHIFT) | data))
        return events

    def on_poll(self) -> None:
        """A poll after the input: the readout keeps ticking for one more averaging window."""
        if self.chip_config is not None and self._ref is not None and self._ref.to_readout:
            late = self._readout(trailing=True)
            if late:
                self._source._emit(late)
