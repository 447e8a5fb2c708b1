"""The chip modules of the double: ``samna.<chip>.configuration``, ``.event`` and
``validate_configuration``, with samna's class names per chip.

Sources: samna 0.48.5's reference pages ``speck2f/configuration``, ``speck2f/event`` and
``speck2e/...`` (class and field names, defaults, documented side effects), sinabs'
``chips/dynapcnn.py`` (the only evidence of DYNAP-CNN's DVS fields) and the Speck 2e/2f datasheet
("Memory configuration": per-core memory). The validator knows the chip independently of dynapspec
(its own memory table and limits), so a configuration dynapspec got wrong is caught here, the way
the real SDK would catch it.
"""
from __future__ import annotations

import types
from typing import List, Tuple

from ._struct import INT8, INT16, UINT8, UINT16, UINT32, UINT64, A, B, I, L, S, struct

# Speck 2e/2f datasheet, "Memory configuration": kernel and neuron memory entries per core
KERNEL_MEM = [16384, 16384, 16384, 32768, 32768, 65536, 65536, 16384, 16384]
NEURON_MEM = [65536, 65536, 65536, 32768, 32768, 16384, 16384, 16384, 16384]
READOUT_LAYER = 12  # samna: destination layer 12 is the readout (sinabs' using_readout_layer)


def _monitor_passes_sensor(dvs, on: bool) -> None:
    """samna 0.48.5, DvsLayerConfig.pass_sensor_events: "This will be automatically set by setting
    raw_monitor_enable and monitor_enable". The double sets it when a monitor flag is set True and
    leaves it when one is set False (the reading under which writing the flag last leaks the sensor)."""
    if on:
        object.__getattribute__(dvs, "_values")["pass_sensor_events"] = True

# chip -> class names and what the chip has
CHIPS = {
    "dynapcnn": dict(config="DynapcnnConfiguration", core="CNNLayerConfig", dest="CNNLayerDestination",
                     dims="CNNLayerDimensions", dvs="DVSLayerConfig", dvs_dest="DVSLayerDestination",
                     kill_bits=True, readout=False, speck_extras=False,
                     source="BasicSourceNode_dynapcnn_event_input_event",
                     sink="BasicSinkNode_dynapcnn_event_output_event"),
    "speck2e": dict(config="SpeckConfiguration", core="CnnLayerConfig", dest="CnnLayerDestination",
                    dims="CnnLayerDimensions", dvs="DvsLayerConfig", dvs_dest="DvsLayerDestination",
                    kill_bits=False, readout=True, speck_extras=True,
                    source="BasicSourceNode_speck2e_event_speck2e_input_event",
                    sink="BasicSinkNode_speck2e_event_output_event"),
    "speck2f": dict(config="SpeckConfiguration", core="CnnLayerConfig", dest="CnnLayerDestination",
                    dims="CnnLayerDimensions", dvs="DvsLayerConfig", dvs_dest="DvsLayerDestination",
                    kill_bits=False, readout=True, speck_extras=True,
                    source="BasicSourceNode_speck2f_event_input_event",
                    sink="BasicSinkNode_speck2f_event_output_event"),
}


def _configuration_module(chip: str) -> types.ModuleType:
    facts = CHIPS[chip]
    name = f"samna.{chip}.configuration"
    mod = types.ModuleType(name)
    vec2 = struct(name, "Vec2", {"x": I(0, UINT8), "y": I(0, UINT8)})
    mirror = struct(name, "Vec2_bool", {"x": B(), "y": B()})
    ioshape = struct(name, "IOShape", {"size": S(vec2, x=1, y=1), "feature_count": I(1, UINT16)})
    dest = struct(name, facts["dest"], {"layer": I(0, UINT8), "enable": B(), "pooling": I(1, UINT8),
                                        "feature_shift": I(0, INT16)})
    dims = struct(name, facts["dims"], {"input_shape": S(ioshape), "output_shape": S(ioshape), "padding": S(vec2),
                                        "stride": S(vec2, x=1, y=1), "kernel_size": I(1, UINT8)})
    core_fields = {
        "weights": A(4, INT8), "biases": A(1, INT16), "neurons_initial_value": A(3, INT16),
        "threshold_high": I(0, INT16), "threshold_low": I(-1, INT16), "return_to_zero": B(),
        "leak_enable": B(), "monitor_enable": B(), "destinations": L(dest, 2), "dimensions": S(dims),
    }
    if facts["speck_extras"]:
        core_fields.update(leak_internal_slow_clk_enable=B(), input_congestion_balancer_enable=B(),
                           output_decimator_enable=B(), output_decimator_interval=I(0, UINT8))
    if facts["kill_bits"]:
        core_fields.update(weights_kill_bit=A(4, element="bool"), biases_kill_bit=A(1, element="bool"),
                           neurons_value_kill_bit=A(3, element="bool"))
    core = struct(name, facts["core"], core_fields)
    dvs_dest = struct(name, facts["dvs_dest"], {"layer": I(0, UINT8), "enable": B()})
    dvs_fields = {
        "origin": S(vec2), "cut": S(vec2, x=127, y=127), "pooling": S(vec2, x=1, y=1), "merge": B(), "on_channel": B(True),
        "off_channel": B(True), "mirror": S(mirror), "mirror_diagonal": B(), "pass_sensor_events": B(),
        "monitor_enable": B(), "raw_monitor_enable": B(), "destinations": L(dvs_dest, 2),
    }
    if not facts["speck_extras"]:
        # DYNAP-CNN: sinabs writes only merge, mirror, mirror_diagonal, cut, origin, pooling,
        # pass_sensor_events, monitor_enable and destinations; nothing shows the other three exist
        for missing in ("on_channel", "off_channel", "raw_monitor_enable"):
            del dvs_fields[missing]
    effects = {flag: _monitor_passes_sensor for flag in ("monitor_enable", "raw_monitor_enable") if flag in dvs_fields}
    dvs = struct(name, facts["dvs"], dvs_fields, effects)
    top = {"cnn_layers": L(core, 9), "dvs_layer": S(dvs)}
    classes = [vec2, mirror, ioshape, dest, dims, core, dvs_dest, dvs]
    if facts["readout"]:
        readout = struct(name, "ReadoutConfig", {
            "enable": B(), "threshold": I(0, UINT16), "low_pass_filter_disable": B(),
            "low_pass_filter32_not16": B(), "output_mode_sel": I(0, UINT8), "output_neuron_num": I(0, UINT8),
            "readout_configuration_sel": I(0, UINT8), "readout_pin_monitor_enable": B(),
            "override_threshold_max": B(), "internal_slow_clk": B(), "monitor_enable": B()})
        dvs_filter = struct(name, "DvsFilterConfig", {
            "enable": B(), "filter_size": S(vec2, x=1, y=1), "hot_pixel_filter_enable": B(True),
            "low_pass_mode_enable": B(), "threshold": I(5, UINT16), "internal_slow_clk": B()})
        factory = struct(name, "FactoryConfig", {"io_sel": I(0, UINT8), "internal_slow_clk_divider": I(17, UINT8),
                                                 "monitor_dual_channel": B(), "fast_output": B()})
        debug = struct(name, "DebugConfig", {"monitor_enable": B()})
        top.update(readout=S(readout), dvs_filter=S(dvs_filter), factory_config=S(factory), debug_config=S(debug))
        classes += [readout, dvs_filter, factory, debug]
    else:
        # True plays the echo sinabs once switched off (commit 3338c80, line removed in b31ddd1);
        # samna's real default is not documented
        factory = struct(name, "FactorySettings", {"monitor_input_enable": B(True)})
        top.update(factory_settings=S(factory))
        classes.append(factory)
    classes.append(struct(name, facts["config"], top))
    for cls in classes:
        setattr(mod, cls.__name__, cls)
    return mod


def _event_module(chip: str) -> types.ModuleType:
    """samna 0.48.5 ``speck2f/event``: ReadoutValue has only ``value`` (no timestamp; sinabs'
    readout tutorial numbers them by slow-clock tick), ReadoutPinValue ``index`` and ``timestamp``,
    ReadNeuronValue no timestamp (sinabs issue #259)."""
    name = f"samna.{chip}.event"
    mod = types.ModuleType(name)
    # p converts: sinabs' tutorials assign ints (random.randint, numpy) to DvsEvent.p
    dvs_fields = {"x": I(0, UINT16), "y": I(0, UINT16), "p": B(convert=True), "timestamp": I(0, UINT64)}
    if chip == "dynapcnn":
        dvs_fields["layer"] = I(0, UINT8)  # present on DYNAP-CNN, ignored by the chip
    for cls in (
        struct(name, "Spike", {"layer": I(0, UINT8), "feature": I(0, UINT16), "x": I(0, UINT16),
                               "y": I(0, UINT16), "timestamp": I(0, UINT64)}),
        struct(name, "DvsEvent", dvs_fields),
        struct(name, "ReadNeuronValue", {"layer": I(0, UINT8), "address": I(0, UINT32)}),
        struct(name, "NeuronValue", {"layer": I(0, UINT8), "address": I(0, UINT32), "neuron_state": I(0, INT16)}),
        struct(name, "WriteNeuronValue", {"layer": I(0, UINT8), "address": I(0, UINT32),
                                          "neuron_state": I(0, INT16)}),
        struct(name, "ReadoutValue", {"value": I(0, UINT32)}),
        struct(name, "ReadoutPinValue", {"index": I(0, UINT8), "timestamp": I(0, UINT64)}),
    ):
        setattr(mod, cls.__name__, cls)
    return mod


def chip_module(chip: str) -> types.ModuleType:
    mod = types.ModuleType(f"samna.{chip}")
    mod.configuration = _configuration_module(chip)
    mod.event = _event_module(chip)
    mod.validate_configuration = lambda cfg: validate(chip, cfg)
    return mod


# ---------------------------------------------------------------- validation


def _clog2(n: int) -> int:
    return (n - 1).bit_length()


def active_cores(cfg) -> List[int]:
    """Cores that take part: they send, are monitored, hold weights, or receive from someone."""
    targets = {d.layer for c in cfg.cnn_layers for d in c.destinations if d.enable}
    targets |= {d.layer for d in cfg.dvs_layer.destinations if d.enable}
    return [n for n, c in enumerate(cfg.cnn_layers)
            if n in targets or c.monitor_enable or c.weights or any(d.enable for d in c.destinations)]


def dvs_output(cfg) -> Tuple[int, int, int]:
    """(features, x size, y size) of the DVS layer's output (docs/chip.md §4). The double's own on
    purpose, not ``dynapspec.config.dvs_output_shape``: its validator models samna's, independently of
    the code it checks."""
    dvs = cfg.dvs_layer
    sx, sy = dvs.cut.x - dvs.origin.x + 1, dvs.cut.y - dvs.origin.y + 1
    if dvs.mirror_diagonal:
        sx, sy = sy, sx
    return (1 if dvs.merge else 2), sx, sy


def _shape(array) -> tuple:
    shape = []
    while isinstance(array, list):
        shape.append(len(array))
        array = array[0] if array else None
    return tuple(shape)


def _core_problems(chip: str, n: int, core, cfg) -> List[str]:
    d = core.dimensions
    ins, outs, k = d.input_shape, d.output_shape, d.kernel_size
    out: List[str] = []
    if not 1 <= k <= 16:
        out.append(f"layer {n}: kernel_size {k} outside [1, 16]")
    for axis in ("x", "y"):
        s, p = getattr(d.stride, axis), getattr(d.padding, axis)
        i, o = getattr(ins.size, axis), getattr(outs.size, axis)
        if s not in (1, 2, 4, 8):
            out.append(f"layer {n}: stride.{axis} {s} not in {{1, 2, 4, 8}}")
        if p > 7:
            out.append(f"layer {n}: padding.{axis} {p} > 7")
        if not 1 <= i <= 128:
            out.append(f"layer {n}: input size.{axis} {i} outside [1, 128]")
        if not 1 <= o <= 64:
            out.append(f"layer {n}: output size.{axis} {o} outside [1, 64]")
        if s in (1, 2, 4, 8) and o != (i + 2 * p - k) // s + 1:
            out.append(f"layer {n}: output size.{axis} {o} != (in + 2 pad - kernel) / stride + 1")
    c, f = ins.feature_count, outs.feature_count
    for what, count in (("input", c), ("output", f)):
        if not 1 <= count <= 1024:
            out.append(f"layer {n}: {what} feature_count {count} outside [1, 1024]")
    w_shape = (f, c, k, k)
    if _shape(core.weights) != w_shape:
        out.append(f"layer {n}: weights shape {_shape(core.weights)} != {w_shape} [feature][channel][x][y]")
    v_shape = (f, outs.size.x, outs.size.y)
    if _shape(core.neurons_initial_value) != v_shape:
        out.append(f"layer {n}: neurons_initial_value shape {_shape(core.neurons_initial_value)} != {v_shape}")
    if len(core.biases) not in (0, f):
        out.append(f"layer {n}: {len(core.biases)} biases for {f} features")
    if core.threshold_high < 0:
        out.append(f"layer {n}: threshold_high {core.threshold_high} < 0")
    if core.threshold_low > -1:
        out.append(f"layer {n}: threshold_low {core.threshold_low} > -1")
    if CHIPS[chip]["kill_bits"]:
        for name, shape in (("weights_kill_bit", w_shape), ("neurons_value_kill_bit", v_shape)):
            if _shape(getattr(core, name)) not in ((), shape):
                out.append(f"layer {n}: {name} shape {_shape(getattr(core, name))} != {shape}")
    if CHIPS[chip]["speck_extras"] and core.output_decimator_interval > 7:
        out.append(f"layer {n}: output_decimator_interval {core.output_decimator_interval} > 7")
    kernel = c * 2 ** (_clog2(k * k) + _clog2(f))
    neuron = f * 2 ** (_clog2(outs.size.x) + _clog2(outs.size.y))
    if kernel > KERNEL_MEM[n]:
        out.append(f"layer {n}: kernel memory {kernel} > {KERNEL_MEM[n]}")
    if neuron > NEURON_MEM[n]:
        out.append(f"layer {n}: neuron memory {neuron} > {NEURON_MEM[n]}")
    for slot, dest in enumerate(core.destinations):
        if dest.enable:
            out += _destination_problems(chip, f"layer {n} destination {slot}", dest, cfg,
                                         (f, outs.size.x, outs.size.y))
    return out


def _destination_problems(chip, where, dest, cfg, source) -> List[str]:
    pooling = getattr(dest, "pooling", 1)
    shift = getattr(dest, "feature_shift", 0)
    if dest.layer == READOUT_LAYER:
        return [] if CHIPS[chip]["readout"] else [f"{where}: this chip has no readout layer 12"]
    if dest.layer > 8:
        return [f"{where}: layer {dest.layer} is not a core (0..8) or the readout (12)"]
    if pooling not in (1, 2, 4):
        return [f"{where}: pooling {pooling} not in {{1, 2, 4}}"]
    target = cfg.cnn_layers[dest.layer].dimensions.input_shape
    f, sx, sy = source
    out = []
    if (sx // pooling, sy // pooling) != (target.size.x, target.size.y):
        out.append(f"{where}: delivers {sx // pooling}x{sy // pooling} (x, y) but layer {dest.layer} "
                   f"expects {target.size.x}x{target.size.y}")
    if shift < 0 or shift + f > target.feature_count:
        out.append(f"{where}: features [{shift}, {shift + f}) outside layer {dest.layer}'s "
                   f"{target.feature_count} input features")
    return out


def validate(chip: str, cfg) -> Tuple[bool, str]:
    """samna's verdict and analysis: ``(ok, text)`` (samna's reference: ``validate_configuration``
    returns a bool and a text). samna's rules are undocumented (U13): these are the chip's documented
    limits (docs/chip.md §2-§3, from the datasheet's layer sizing and memory pages)."""
    problems: List[str] = []
    for n in active_cores(cfg):
        problems += _core_problems(chip, n, cfg.cnn_layers[n], cfg)
    dvs = cfg.dvs_layer
    for axis in ("x", "y"):
        if getattr(dvs.pooling, axis) not in (1, 2, 4):
            problems.append(f"dvs_layer: pooling.{axis} not in {{1, 2, 4}}")
        if not getattr(dvs.origin, axis) <= getattr(dvs.cut, axis) <= 127:
            problems.append(f"dvs_layer: origin.{axis} <= cut.{axis} <= 127 violated")
    for slot, dest in enumerate(dvs.destinations):
        if dest.enable:
            problems += _destination_problems(chip, f"dvs_layer destination {slot}", dest, cfg, dvs_output(cfg))
    if CHIPS[chip]["readout"]:
        r = cfg.readout
        if r.output_mode_sel > 3 or r.readout_configuration_sel > 3:
            problems.append("readout: output_mode_sel and readout_configuration_sel are 0..3")
    if problems:
        return False, "Configuration is invalid:\n" + "\n".join(problems)
    return True, "Configuration is valid."
