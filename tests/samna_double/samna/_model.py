"""The fake chip model: a board's configuration runs on dynapspec's own simulator.

``apply_configuration`` validates like samna, then reads the samna object back into a dynapspec
ChipConfig (a straight field-by-field read: whatever the adapter wrote, right or wrong, is what
runs). Host events written to the model's sink node are fed to ``dynapspec.sim``; the spikes of
monitored cores come out of the model's source node as ``Spike`` events.
"""
from __future__ import annotations

import dataclasses
import typing

import numpy as np

from dynapspec import config as ds_config
from dynapspec.events import dvs_events, spike_events
from dynapspec.sim import Simulator

from . import _chips
from .graph import Node


def read_chip(cfg) -> ds_config.ChipConfig:
    """The samna object as the document's ChipConfig (fields the chip lacks become None)."""
    return _read(ds_config.ChipConfig, cfg)


def _read(cls, obj):
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):
        if not hasattr(obj, f.name):
            kwargs[f.name] = None
            continue
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
        self.echo_input = False
        self.applied = 0
        self._sim = None
        self._route = None

    # -- samna's model API
    def apply_configuration(self, cfg, timeout: float = 10.0) -> None:
        self._board._alive()
        wanted = getattr(self._module.configuration, _chips.CHIPS[self._chip]["config"])
        if not isinstance(cfg, wanted):
            raise TypeError(f"apply_configuration: expected {wanted.__module__}.{wanted.__name__}")
        ok, text = _chips.validate(self._chip, cfg)  # samna validates again, whatever the caller did
        if not ok:
            raise RuntimeError(text)
        self.chip_config = read_chip(cfg)
        factory = getattr(cfg, "factory_settings", None)  # DYNAP-CNN: echo host input to the host?
        self.echo_input = bool(factory is not None and factory.monitor_input_enable)
        self.applied += 1
        self._sim, self._route = None, None

    def get_configuration(self):
        return self.chip_config

    def get_sink_node(self) -> Node:
        self._board._alive()
        return self._sink

    def get_source_node(self) -> Node:
        self._board._alive()
        return self._source

    def reset(self) -> None:
        if self._sim is not None:
            self._sim.reset()

    # -- the chip
    def passes_sensor(self) -> bool:
        dvs = self.chip_config.dvs_layer if self.chip_config else None
        return bool(dvs and (dvs.pass_sensor_events or dvs.monitor_enable or dvs.raw_monitor_enable))

    def _process(self, events: list, from_sensor: bool) -> None:
        self._board._alive()
        if self.chip_config is None or not events:
            return
        ev = self._module.event
        if all(isinstance(e, ev.ReadNeuronValue) for e in events):
            states = self._sim.states() if self._sim is not None else None
            self._source._emit([self._neuron_value(e, states) for e in events])
            return
        if all(isinstance(e, ev.DvsEvent) for e in events):
            route = ("dvs", ())
            array = dvs_events([e.x for e in events], [e.y for e in events], [e.timestamp for e in events],
                               [int(e.p) for e in events])
        elif all(isinstance(e, ev.Spike) for e in events):
            cores, array = _group_spikes(events)
            route = ("spikes", cores)
            if self.echo_input:
                self._source._emit(list(events))
        else:
            raise NotImplementedError("the double takes batches of only Spike or only DvsEvent events")
        sim = self._simulator(route)
        result = sim.run(array)
        running = self._board._watch.running
        out = []
        for row in result.output:
            out.append(ev.Spike(layer=int(row["core"]), feature=int(row["c"]), x=int(row["x"]), y=int(row["y"]),
                                timestamp=int(row["t"]) if running else 0))
        self._source._emit(out)

    def _neuron_value(self, request, states):
        """Decode the datasheet address ``(y << (bf+bx)) | (x << bf) | f`` and answer with the state."""
        shape = self.chip_config.cnn_layers[request.layer].dimensions.output_shape
        bf, bx = (shape.feature_count - 1).bit_length(), (shape.size.x - 1).bit_length()
        f = request.address & ((1 << bf) - 1)
        x = (request.address >> bf) & ((1 << bx) - 1)
        y = request.address >> (bf + bx)
        if states is None:
            values = self.chip_config.cnn_layers[request.layer].neurons_initial_value
        else:
            values = states[f"core{request.layer}"]
        return self._module.event.NeuronValue(layer=request.layer, address=request.address,
                                              neuron_state=int(values[f][x][y]))

    def _simulator(self, route) -> Simulator:
        if self._route is not None and route != self._route:
            raise NotImplementedError(f"the double models one input route per configuration ({self._route} then {route})")
        if self._sim is None:
            kind, cores = route
            if kind == "dvs":
                record = ds_config.InputRecord(kind="dvs", shape=(2, 128, 128), source="host")
            else:
                dims = self.chip_config.cnn_layers[cores[0]].dimensions.input_shape
                record = ds_config.InputRecord(kind="spikes", shape=(dims.feature_count, dims.size.y, dims.size.x),
                                               cores=cores)
            header = ds_config.Header(name="double", target="double", chip=self._chip, dynapspec_version="0",
                                      spec_version=1, spec_file="", spec_sha256="", weights_file=None,
                                      weights_sha256={}, input=record, layers=())
            self._sim = Simulator(ds_config.Config(header=header, chip=self.chip_config))
            self._route = route
        return self._sim


def _group_spikes(events: list):
    """Host spikes arrive once per input core; fold each group back into one network input event."""
    keys = [(e.timestamp, e.feature, e.x, e.y) for e in events]
    cores = []
    for key, event in zip(keys, events):
        if key != keys[0] or event.layer in cores:
            break
        cores.append(event.layer)
    n = len(cores)
    if len(events) % n:
        raise NotImplementedError("every host spike must go to the same set of cores")
    for i in range(0, len(events), n):
        group = events[i:i + n]
        if [e.layer for e in group] != cores or len({keys[j] for j in range(i, i + n)}) != 1:
            raise NotImplementedError("every host spike must go to the same set of cores, in one order")
    firsts = events[::n]
    array = spike_events([e.timestamp for e in firsts], [e.feature for e in firsts], [e.x for e in firsts],
                         [e.y for e in firsts])
    return tuple(cores), array

