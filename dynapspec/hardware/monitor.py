"""What monitoring means on a board: the configuration with the chosen layers monitored
(:func:`dynapspec.monitoring.resolve` chooses them), and what the host then sees. A board only
reports monitored layers, in the producer's own pre-pooling, unshifted coordinates (docs/chip.md
U16), so monitoring a layer that pools on its way out is warned about.
"""
from __future__ import annotations

import dataclasses
from typing import Dict, List, Sequence

from ..config import Config
from ..errors import Diagnostic, Location, warning
from ..events import DVS_CORE, DVS_NAME, READOUT_NAME

def core_names(config: Config) -> Dict[int, str]:
    """Core (13 = DVS layer) -> the name its spikes are reported under."""
    names = {record.core: record.name for record in config.header.layers}
    names[DVS_CORE] = DVS_NAME
    return names


def with_monitors(config: Config, names: Sequence[str]) -> Config:
    """The configuration with exactly ``names`` monitored."""
    cores = {r.core for r in config.header.layers if r.name in names}
    chip = config.chip
    layers = tuple(
        dataclasses.replace(core, monitor_enable=(n in cores)) if core.monitor_enable != (n in cores) else core
        for n, core in enumerate(chip.cnn_layers)
    )
    dvs = dataclasses.replace(chip.dvs_layer, monitor_enable=DVS_NAME in names)
    readout = chip.readout if chip.readout is None else dataclasses.replace(chip.readout,
                                                                            monitor_enable=READOUT_NAME in names)
    return dataclasses.replace(config, chip=dataclasses.replace(chip, cnn_layers=layers, dvs_layer=dvs, readout=readout))


def notes(config: Config, names: Sequence[str]) -> List[Diagnostic]:
    """Warnings about what the host will (not) see with these monitors."""
    out = []
    targets = core_names(config)
    for record in config.header.layers:
        if record.name not in names:
            continue
        pooled = [d for d in config.chip.cnn_layers[record.core].destinations if d.enable and d.pooling > 1]
        for dest in pooled:
            out.append(warning("monitor-pooled", f"{record.name}: monitored spikes are in its own coordinates, before "
                               f"the {dest.pooling}x{dest.pooling} pooling on the way to "
                               f"{targets.get(dest.layer, f'core {dest.layer}')}",
                               Location(config.header.spec_file, record.spec_line, layer=record.name)))
    readout = config.chip.readout
    if readout is not None and readout.monitor_enable:
        out.append(warning("readout-monitor", "readout.monitor_enable is set: the host receives ReadoutValue "
                           "events only, no spikes"))
    return out
