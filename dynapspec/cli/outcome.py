"""What `simulate` and `deploy` print after a run: what ran, what came out, where to look next.

The lines say which network ran where on how many input events; the input's span of chip time
and the wall-clock time of the run, each labelled; spikes per layer; and, for each exit layer, its
most active features (top few, ties stated) or, for a layer feeding the readout, its classes.
When nothing was saved, a last line says how to keep the run.
"""
from __future__ import annotations

from pathlib import Path
from typing import List, Mapping, Optional

import numpy as np

TOP = 5  # features listed per exit layer
LIVE_ALL_FEATURES = 16  # a live line lists every feature of a layer this narrow


def run_lines(config, events, result, output: Optional[Path] = None) -> List[str]:
    header = config.header
    where = "the simulator" if result.device == "sim" else result.device
    lines = [f"{header.name} on {where}: {result.input_count} input events -> {len(result.output)} output events"]
    lines.append("time: " + _times(events, result))
    counts = ", ".join(f"{name} {count}" for name, count in result.spike_counts.items())
    lines.append(f"spikes per layer: {counts or 'none counted'}")
    if result.layers:
        lines.append("monitored: " + ", ".join(f"{name} {len(spikes)}" for name, spikes in result.layers.items()))
    readout_stride = _readout_stride(config)
    for record in header.layers:
        spikes = result.layers.get(record.name)
        if spikes is None or not _is_exit(config, record):
            continue
        feeds_readout = readout_stride is not None and _feeds_readout(config, record)
        lines.append(_ranking(record, spikes, readout_stride if feeds_readout else None))
    if output is None:
        lines.append("not saved: add -o run.h5 to keep the input, every output spike and the counts (docs/events.md)")
    return lines


def _times(events, result) -> str:
    """The input's span in chip time (timestamps; the chip has no clock of its own) and the wall time."""
    wall = f"{result.duration_s:.3f} s wall clock"
    if events is None or not len(events):
        return wall
    first, last = int(events["t"][0]) / 1000, int(events["t"][-1]) / 1000
    return f"input spans {first:g}-{last:g} ms of chip time ({last - first:g} ms); the run took {wall}"


def _ranking(record, spikes, readout_stride: Optional[int]) -> str:
    """``out: feature 7: 2, feature 9: 2, ... (6 spikes); most active: features 7 and 9 tie (2 each)``."""
    features = record.output_shape[0]
    if len(spikes) == 0:
        return f"{record.name}: no spikes"
    counts = np.bincount(spikes["c"].astype(np.int64), minlength=features)
    order = sorted((int(f) for f in np.flatnonzero(counts)), key=lambda f: (-counts[f], f))

    def name(f: int) -> str:
        if readout_stride is None:
            return f"feature {f}"
        return f"class {f // readout_stride + 1} (feature {f})"

    shown = ", ".join(f"{name(f)}: {counts[f]}" for f in order[:TOP])
    more = f", {len(order) - TOP} more" if len(order) > TOP else ""
    best = [f for f in order if counts[f] == counts[order[0]]]
    if len(best) == 1:
        verdict = f"most active: {name(best[0])} with {counts[best[0]]} of {len(spikes)}"
    else:
        names = [name(f) for f in best]
        verdict = f"most active: a tie, {', '.join(names[:-1])} and {names[-1]} with {counts[best[0]]} spikes each"
    return f"{record.name}: {shown}{more} ({len(spikes)} spikes); {verdict}"


def _is_exit(config, record) -> bool:
    """No destination on another core: what the network outputs."""
    readout = _readout_core(config)
    return not any(d.enable and d.layer != readout for d in config.chip.cnn_layers[record.core].destinations)


def _feeds_readout(config, record) -> bool:
    readout = _readout_core(config)
    return any(d.enable and d.layer == readout for d in config.chip.cnn_layers[record.core].destinations)


def _readout_core(config) -> int:
    from .. import chips

    return chips.profile(config.header.target).readout_layer


def _readout_stride(config) -> Optional[int]:
    """The readout's channel stride (class k is fed by feature stride*(k-1)), when the chip has one."""
    from .. import chips

    profile = chips.profile(config.header.target)
    return profile.readout_channel_stride if profile.has_readout else None


def live_line(elapsed: float, counts: Mapping[str, Mapping[int, int]], features: Mapping[str, int]) -> str:
    """``   2.5s  out: 0:3 1:0 ...``: one interval of a live run, every feature of a layer of at most
    16 features (zeros too, so columns stay put), only the active ones of a wider layer, ``-`` for none."""
    parts = [f"{elapsed:6.1f}s"]
    for name, spikes in counts.items():
        keys = range(features[name]) if features[name] <= LIVE_ALL_FEATURES else sorted(spikes)
        parts.append(f"{name}: " + (" ".join(f"{f}:{spikes.get(f, 0)}" for f in keys) or "-"))
    return "  ".join(parts)
