"""The Config document as a samna configuration object: written, read back, validated.

The document's chip part already mirrors samna field by field (``dynapspec/config.py``), so the
mapping is a walk: start from the target's default configuration object, turn sensor events off
first (docs/chip.md §7), write every field the document carries onto the samna object of the same
name, leave unused cores at samna's defaults (asserting they are off) and every vendor-tuned factory
field alone (except DYNAP-CNN's input echo, switched off as the reference did), read every leaf back,
then ask samna's validator. Nested structs are fetched, filled and assigned back, which works whether
samna hands out references or copies; the read-back catches any API drift.
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
    dvs = cfg.dvs_layer
    _store(dvs, "pass_sensor_events", False, "dvs_layer.pass_sensor_events")
    _store(cfg, "dvs_layer", dvs, "dvs_layer", whole=True)

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


# ---------------------------------------------------------------- writing


def _write(obj: Any, value: Any, path: str) -> None:
    """Every field of the dataclass ``value`` that the chip has (not None) onto ``obj``."""
    for f in dataclasses.fields(value):
        item = getattr(value, f.name)
        if item is not None:
            _put(obj, f.name, item, f"{path}.{f.name}")


def _put(obj: Any, name: str, item: Any, path: str) -> None:
    if not hasattr(obj, name):
        raise sdk.fail("samna-version", f"samna's {type(obj).__name__} has no field '{name}' ({path})")
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
    """DYNAP-CNN's factory default echoes host input back to the host; the reference turned it off."""
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
    dvs = config.chip.dvs_layer
    problems += [p for p in _compare(cfg.dvs_layer, dvs, "dvs_layer")
                 if not (p.startswith("dvs_layer.pass_sensor_events:") and (dvs.monitor_enable or dvs.raw_monitor_enable))]
    if config.chip.readout is not None:
        problems += _compare(cfg.readout, config.chip.readout, "readout")
    return problems


def _compare(obj: Any, value: Any, path: str) -> List[str]:
    problems: List[str] = []
    for f in dataclasses.fields(value):
        item = getattr(value, f.name)
        where = f"{path}.{f.name}"
        if item is None:
            continue
        got = getattr(obj, f.name)
        if dataclasses.is_dataclass(item):
            problems += _compare(got, item, where)
        elif isinstance(item, tuple):
            for i, (sub, part) in enumerate(zip(got, item)):
                problems += _compare(sub, part, f"{where}[{i}]")
        else:
            expected = _plain(f.name, item)
            if isinstance(got, np.ndarray):
                got = got.tolist()
            if got != expected:
                problems.append(f"{where}: wrote {_short(expected)}, read back {_short(got)}")
    return problems


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
