"""The Config document as a samna configuration object: written, read back, validated.

The document's chip part already mirrors samna field by field (``dynapspec/config.py``), so the
mapping is a walk: start from the target's default configuration object, turn sensor events off
first (sinabs' ``build_config``), write every field the document carries onto the samna object of
the same name, leave unused cores at samna's defaults (asserting they are off) and every
vendor-tuned factory field alone (except DYNAP-CNN's input echo, switched off if it is on), write
``dvs_layer.pass_sensor_events`` once more at the very end, because samna sets it as a side effect
of the DVS monitor flags (samna 0.48.5 ``DvsLayerConfig.pass_sensor_events``; sinabs'
``nmnist_quick_start`` sets it after them), read every leaf back as a value, then ask samna's
validator. Nested structs are fetched, filled and assigned back, which works whether samna hands out
references or copies; the read-back catches any API drift.
"""
from __future__ import annotations

import dataclasses
from typing import Any, List

import numpy as np

from ..chips import ChipProfile
from ..config import Config
from ..errors import reason
from . import sdk


def to_samna(chip_module: Any, config: Config, profile: ChipProfile) -> Any:
    """A validated samna configuration object for ``config``; raises ``DeviceError``."""
    cls = getattr(chip_module.configuration, profile.configuration_class, None)
    if cls is None:
        raise sdk.fail("samna-version", f"samna has no {profile.samna_module}.configuration."
                                 f"{profile.configuration_class}")
    cfg = cls()
    _pass_sensor_events(cfg, False)

    used = {record.core for record in config.header.layers}
    layers = cfg.cnn_layers
    for n, core in enumerate(config.chip.cnn_layers):
        if n in used:
            _write(layers[n], core, f"cnn_layers[{n}]")
        else:
            _switch_off(layers[n], f"cnn_layers[{n}]")
    _store(cfg, "cnn_layers", layers, "cnn_layers", whole=True)
    _put(cfg, "dvs_layer", config.chip.dvs_layer, "dvs_layer")
    if config.chip.readout is not None:
        _put(cfg, "readout", config.chip.readout, "readout")
    _quiet_input_echo(cfg)
    _pass_sensor_events(cfg, config.chip.dvs_layer.pass_sensor_events)  # last: the monitor flags set it

    problems = _read_back(cfg, config, used)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise sdk.fail("samna-version", f"samna did not keep what was written: {problems[0]}{more}")
    validate(chip_module, cfg)
    return cfg


def validate(chip_module: Any, cfg: Any) -> None:
    """samna's own check; its verdict text becomes the ``device-rejected`` message."""
    check = getattr(chip_module, "validate_configuration", None)
    if check is None:
        sdk.log.info("this samna has no validate_configuration; apply_configuration will check")
        return
    verdict = check(cfg)
    ok, text = verdict if isinstance(verdict, tuple) else (bool(verdict), "")
    if not ok:
        lines = [line.strip() for line in str(text).splitlines() if line.strip()]
        raise sdk.fail("device-rejected", "samna rejected the configuration: " + ("; ".join(lines) or "no reason given"))


def sensor_passed(applied: Any) -> bool:
    """``pass_sensor_events`` of a samna configuration object (e.g. what ``get_configuration`` returns)."""
    return bool(applied.dvs_layer.pass_sensor_events)


# ---------------------------------------------------------------- writing


def _pass_sensor_events(cfg: Any, on: bool) -> None:
    dvs = cfg.dvs_layer
    _store(dvs, "pass_sensor_events", bool(on), "dvs_layer.pass_sensor_events")
    _store(cfg, "dvs_layer", dvs, "dvs_layer", whole=True)


def _write(obj: Any, value: Any, path: str) -> None:
    """Every field of the dataclass ``value`` that the chip has (not None) onto ``obj``."""
    defaults = _defaults(value)
    for f in dataclasses.fields(value):
        item = getattr(value, f.name)
        if item is None:
            continue
        if not hasattr(obj, f.name) and _same(item, defaults.get(f.name)):
            # a switch this chip's samna may not have (DYNAP-CNN's DVS polarity and raw monitor),
            # left at the value the chip behaves as anyway: nothing to write
            sdk.log.info("samna's %s has no field '%s'; its default is kept", type(obj).__name__, f.name)
            continue
        _put(obj, f.name, item, f"{path}.{f.name}")


def _defaults(value: Any) -> dict:
    """The dataclass defaults of ``value``'s type: what a field means when the chip does not have it."""
    out = {}
    for f in dataclasses.fields(value):
        if f.default is not dataclasses.MISSING:
            out[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            out[f.name] = f.default_factory()
    return out


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and np.array_equal(a, b)
    return a == b


def _put(obj: Any, name: str, item: Any, path: str) -> None:
    if not hasattr(obj, name):
        raise sdk.fail("samna-version", f"samna's {type(obj).__name__} has no field '{name}' ({path} = "
                       f"{_short(_plain(name, item))} needs it)")
    if dataclasses.is_dataclass(item):
        sub = getattr(obj, name)
        _write(sub, item, path)
        _store(obj, name, sub, path, whole=True)
    elif isinstance(item, tuple):  # fixed slots of structs: destinations
        subs = getattr(obj, name)
        if len(subs) != len(item):
            raise sdk.fail("samna-version", f"samna has {len(subs)} slots for {path}, the document {len(item)}")
        for i, (sub, part) in enumerate(zip(subs, item)):
            _write(sub, part, f"{path}[{i}]")
        _store(obj, name, subs, path, whole=True)
    else:
        _store(obj, name, _plain(name, item), path)


def _plain(name: str, item: Any) -> Any:
    """Document values as samna takes them: nested lists of int (bool for kill bits)."""
    if isinstance(item, np.ndarray):
        return item.astype(bool).tolist() if name.endswith("_kill_bit") else item.astype(np.int64).tolist()
    return item


def _store(obj: Any, name: str, value: Any, path: str, whole: bool = False) -> None:
    try:
        setattr(obj, name, value)
    except AttributeError:
        if not whole:  # a read-only struct member was filled in place; the read-back confirms it
            raise sdk.fail("samna-version", f"samna does not let {path} be set") from None
    except (TypeError, ValueError) as exc:
        raise sdk.fail("device-rejected", f"samna refused {path} = {_short(value)}: {reason(exc)}") from None


def _quiet_input_echo(cfg: Any) -> None:
    """DYNAP-CNN's ``factory_settings.monitor_input_enable`` would echo host input back to the host,
    where it looks like output of the input core. Switched off when samna's default has it on (sinabs
    did the same in July 2021, commit 3338c80, and dropped the line two weeks later, b31ddd1)."""
    factory = getattr(cfg, "factory_settings", None)
    if factory is not None and getattr(factory, "monitor_input_enable", False):
        _store(factory, "monitor_input_enable", False, "factory_settings.monitor_input_enable")
        _store(cfg, "factory_settings", factory, "factory_settings", whole=True)


def _switch_off(core: Any, path: str) -> None:
    """An unused core keeps samna's defaults, which must leave it silent."""
    if core.monitor_enable:
        _store(core, "monitor_enable", False, f"{path}.monitor_enable")
    destinations = core.destinations
    for i, dest in enumerate(destinations):
        if dest.enable:
            _store(dest, "enable", False, f"{path}.destinations[{i}].enable")
    _store(core, "destinations", destinations, f"{path}.destinations", whole=True)


# ---------------------------------------------------------------- reading back


def _read_back(cfg: Any, config: Config, used: set) -> List[str]:
    problems: List[str] = []
    for n, core in enumerate(config.chip.cnn_layers):
        path = f"cnn_layers[{n}]"
        if n in used:
            problems += _compare(cfg.cnn_layers[n], core, path)
        else:
            samna_core = cfg.cnn_layers[n]
            if samna_core.monitor_enable or any(d.enable for d in samna_core.destinations):
                problems.append(f"{path}: unused core is not off")
    problems += _compare(cfg.dvs_layer, config.chip.dvs_layer, "dvs_layer")
    if config.chip.readout is not None:
        problems += _compare(cfg.readout, config.chip.readout, "readout")
    return problems


def _compare(obj: Any, value: Any, path: str) -> List[str]:
    """Every leaf of ``value`` against ``obj``, as values: samna may hand arrays back as any sequence."""
    problems: List[str] = []
    for f in dataclasses.fields(value):
        item = getattr(value, f.name)
        where = f"{path}.{f.name}"
        if item is None or not hasattr(obj, f.name):  # absent fields were only skipped at their default
            continue
        got = getattr(obj, f.name)
        if dataclasses.is_dataclass(item):
            problems += _compare(got, item, where)
        elif isinstance(item, tuple):
            for i, (sub, part) in enumerate(zip(got, item)):
                problems += _compare(sub, part, f"{where}[{i}]")
        else:
            expected = _plain(f.name, item)
            if isinstance(expected, list):
                same = np.array_equal(np.asarray(got), np.asarray(expected)) and np.shape(got) == np.shape(expected)
                got = np.asarray(got).tolist()
            else:
                same = got == expected
            if not same:
                problems.append(f"{where}: wrote {_short(expected)}, read back {_short(got)}")
    return problems


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
