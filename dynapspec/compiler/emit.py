"""Stage 5, emit: the quantized, placed network as a samna-shaped configuration document.

Layouts (docs/chip.md §7): spec weights (F, C, kH, kW) become samna's [f][c][x][y], i.e.
``samna_w[f][c][i][j] = spec_w[f][c][j][i]``; neuron states (F, OH, OW) become [f][x][y];
dimensions use x = width and y = height. Unused cores keep samna's defaults.
"""
from __future__ import annotations

import os
from typing import Any, Dict

import numpy as np

from .. import __version__, chips
from ..config import (
    NUM_CORES,
    ChipConfig,
    CnnCore,
    Config,
    Destination,
    Dimensions,
    DvsDestination,
    DvsLayer,
    Header,
    InputRecord,
    IOShape,
    LayerRecord,
    Mirror,
    Readout,
    Vec2,
)
from .network import ChipLayer, DvsEntry, Network
from .place import Placement
from ..spec.model import SPEC_VERSION, Spec

# DVS polarity choice -> (merge, on_channel, off_channel); single polarities only with merge (U07)
_POLARITY = {
    "both": (False, True, True),
    "merge": (True, True, True),
    "on": (True, True, False),
    "off": (True, False, True),
}


def emit(spec: Spec, network: Network, placement: Placement, profile: chips.ChipProfile) -> Config:
    cores = [CnnCore() for _ in range(NUM_CORES)]
    for layer in network.layers:
        cores[placement.core(layer.name)] = _core(layer, placement, profile)
    chip = ChipConfig(
        cnn_layers=tuple(cores),
        dvs_layer=_dvs_layer(network, placement),
        readout=_readout(spec) if profile.has_readout else None,
    )
    return Config(_header(spec, network, placement, profile), chip)


def _core(layer: ChipLayer, placement: Placement, profile: chips.ChipProfile) -> CnnCore:
    assert layer.threshold_low is not None, "quantization sets every threshold"
    C, H, W = layer.input_shape
    F, OH, OW = layer.output_shape
    weights = np.ascontiguousarray(layer.weight.transpose(0, 1, 3, 2))
    biases = np.zeros(F, dtype=np.int64)
    states = np.zeros((F, OW, OH), dtype=np.int64)
    slots = [
        Destination(layer=placement.core(route.target), enable=True, pooling=route.pooling, feature_shift=route.feature_shift)
        for route in layer.routes
    ]
    if layer.feeds_readout:
        slots.append(Destination(layer=profile.readout_layer, enable=True))
    slots += [Destination()] * (2 - len(slots))
    first, second = slots  # lowering allows at most two routes per layer
    speck: Dict[str, Any] = {} if profile.has_kill_bits else dict(
        leak_internal_slow_clk_enable=False,
        input_congestion_balancer_enable=False,
        output_decimator_enable=False,
        output_decimator_interval=0,
    )
    kill: Dict[str, Any] = {} if not profile.has_kill_bits else dict(
        weights_kill_bit=(weights == 0).astype(np.int64),
        biases_kill_bit=(biases == 0).astype(np.int64),
        neurons_value_kill_bit=np.zeros_like(states),
    )
    return CnnCore(
        weights=weights,
        biases=biases,
        neurons_initial_value=states,
        threshold_high=int(layer.threshold_high),
        threshold_low=int(layer.threshold_low),
        return_to_zero=layer.return_to_zero,
        leak_enable=False,
        monitor_enable=layer.monitor,
        destinations=(first, second),
        dimensions=Dimensions(
            input_shape=IOShape(C, Vec2(W, H)),
            output_shape=IOShape(F, Vec2(OW, OH)),
            padding=Vec2(layer.padding.x, layer.padding.y),
            stride=Vec2(layer.stride.x, layer.stride.y),
            kernel_size=layer.kernel,
        ),
        **speck,
        **kill,
    )


def _readout(spec: Spec) -> Readout:
    """Off unless the spec asks; then the vendor examples' settings (config 0b11, mode 0b01, U12)."""
    if spec.readout is None:
        return Readout()
    return Readout(
        enable=True,
        threshold=spec.readout.threshold,
        readout_configuration_sel=3,
        output_mode_sel=1,
        readout_pin_monitor_enable=True,
    )


def _dvs_layer(network: Network, placement: Placement) -> DvsLayer:
    entry = network.input
    if not isinstance(entry, DvsEntry):
        return DvsLayer()
    dvs = entry.settings
    merge, on, off = _POLARITY[dvs.polarity]
    slots = [DvsDestination(layer=placement.core(t), enable=True) for t in entry.targets]
    slots += [DvsDestination()] * (2 - len(slots))
    first, second = slots  # the DVS layer sends to at most two cores
    return DvsLayer(
        origin=Vec2(dvs.origin.x, dvs.origin.y),
        cut=Vec2(dvs.cut.x, dvs.cut.y),
        pooling=Vec2(dvs.pool.x, dvs.pool.y),
        merge=merge,
        on_channel=on,
        off_channel=off,
        mirror=Mirror(bool(dvs.mirror.x), bool(dvs.mirror.y)),
        mirror_diagonal=dvs.mirror_diagonal,
        pass_sensor_events=dvs.source == "sensor",
        monitor_enable=dvs.monitor,
        raw_monitor_enable=False,
        destinations=(first, second),
    )


def _header(spec: Spec, network: Network, placement: Placement, profile: chips.ChipProfile) -> Header:
    entry = network.input
    if isinstance(entry, DvsEntry):
        dvs = entry.settings
        record = InputRecord(kind="dvs", shape=(2, dvs.size.y, dvs.size.x), source=dvs.source)
    else:
        record = InputRecord(kind="spikes", shape=entry.shape, cores=tuple(placement.core(t) for t in entry.targets))
    layers = tuple(
        LayerRecord(
            name=layer.name,
            core=placement.core(layer.name),
            input_shape=layer.input_shape,
            output_shape=layer.output_shape,
            memory=layer.memory,
            scale=float(layer.scale),  # type: ignore[arg-type]  # quantization sets the scale
            threshold_high=int(layer.threshold_high),
            threshold_low=int(layer.threshold_low),  # type: ignore[arg-type]  # and every threshold
            monitor=layer.monitor,
            sources=layer.sources,
            spec_line=layer.location.line,
        )
        for layer in sorted(network.layers, key=lambda layer: layer.index)
    )
    return Header(
        name=spec.name,
        target=profile.target,
        chip=profile.chip,
        dynapspec_version=__version__,
        spec_version=SPEC_VERSION,
        spec_file=os.path.basename(spec.spec_file),
        spec_sha256=spec.spec_sha256,
        weights_file=os.path.basename(spec.weights_file) if spec.weights_file else None,
        weights_sha256={layer.weight_dataset: layer.weight_sha256 for layer in spec.layers},
        input=record,
        layers=layers,
    )
