"""Activity plots of a run: the input's event rate, and per monitored layer a raster and a rate.

Output layers also get their per-class spike counts over time and the winning class (ties are
named, never broken). Everything shares one time axis in milliseconds, cut into at most
:data:`TIME_BINS` bins of a round width. A layer with more than ``max_points`` spikes is drawn
binned (counts per time bin and feature, as an image) and the panel says so; counting runs over
fixed-size chunks, so memory stays bounded by the bins, not the spikes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from ..events import DVS_NAME, field_names
from . import style

MAX_POINTS = 50_000  # spikes per layer drawn one by one; more are binned
TIME_BINS = 100  # at most this many bins on the time axis
CHUNK = 1 << 20  # spikes counted per step
TOP_CLASSES = 16  # an output layer with more features shows its most active ones
MS = 1000.0  # microseconds per millisecond
WIDTH, LEFT, RIGHT, TOP, BOTTOM, TITLE_GAP = 10.0, 0.85, 0.25, 0.3, 0.5, 0.32  # figure layout, inches


@dataclass(frozen=True)
class Bins:
    """Time bins ``start + k*width <= t < start + (k+1)*width``, k < count (microseconds)."""

    start: int
    width: int
    count: int

    @property
    def edges_ms(self) -> np.ndarray:
        return (self.start + self.width * np.arange(self.count + 1)) / MS

    @classmethod
    def covering(cls, first: int, last: int, most: int = TIME_BINS) -> "Bins":
        """Round-width bins (1, 2 or 5 times a power of ten, in us) covering ``first..last``."""
        width = 1
        while (last - first // width * width) // width + 1 > most:
            width = _next_round(width)
        start = first // width * width
        return cls(start, width, (last - start) // width + 1)


def _next_round(width: int) -> int:
    """The next of 1, 2, 5, 10, 20, 50, ..."""
    digits = 10 ** (len(str(width)) - 1)
    lead = width // digits
    return {1: 2, 2: 5, 5: 10}[lead] * digits


def binned(t: np.ndarray, rows: Optional[np.ndarray], n_rows: int, bins: Bins) -> np.ndarray:
    """Counts per (time bin, row) as a ``(bins.count, n_rows)`` int64 array, a chunk at a time."""
    counts = np.zeros(bins.count * n_rows, dtype=np.int64)
    for first in range(0, len(t), CHUNK):
        index = (t[first:first + CHUNK].astype(np.int64) - bins.start) // bins.width
        if rows is not None:
            index = index * n_rows + rows[first:first + CHUNK].astype(np.int64)
        counts += np.bincount(index, minlength=counts.size)
    return counts.reshape(bins.count, n_rows)


def winners(totals: np.ndarray) -> Tuple[List[int], int]:
    """The classes with the most spikes (several on a tie; none when nothing spiked) and that count."""
    best = int(totals.max()) if totals.size else 0
    return ([int(k) for k in np.flatnonzero(totals == best)] if best else []), best


def winner_text(name: str, totals: np.ndarray) -> str:
    won, best = winners(totals)
    total = int(totals.sum())
    if not won:
        return f"{name}: no spikes, no class wins"
    if len(won) == 1:
        return f"{name}: class {won[0]} wins ({best} of {total} spikes)"
    return f"{name}: tie between classes {', '.join(map(str, won))} ({best} spikes each, {total} in all)"


def activity(
    layers: Mapping[str, np.ndarray],
    *,
    input_events: Optional[np.ndarray] = None,
    order: Optional[Sequence[str]] = None,
    outputs: Optional[Sequence[str]] = None,
    features: Optional[Mapping[str, int]] = None,
    readout_pins: Optional[np.ndarray] = None,
    title: str = "",
    max_points: int = MAX_POINTS,
):
    """The activity figure of per-layer spikes (``SPIKE_DTYPE`` each) and optional input events.

    ``order`` lists the layers top to bottom (default: by first spike); ``outputs`` names the
    layers that get class counts (default: those whose spikes all lie at x = y = 0, a 1x1 map).
    ``features``: each layer's feature count where known (default: up to the highest that spiked).
    ``readout_pins``: a board's readout decisions (fields ``t`` and ``index``, the class), drawn
    in a last panel when there are any.
    """
    names = list(order) if order is not None else _by_first_spike(layers)
    names = [name for name in names if name in layers]
    if outputs is None:
        outputs = [n for n in names if len(layers[n]) and not (layers[n]["x"].any() or layers[n]["y"].any())]
    pins = readout_pins if readout_pins is not None and len(readout_pins) else None
    times = [s["t"] for s in layers.values() if len(s)] + [
        events["t"] for events in (input_events, pins) if events is not None and len(events)
    ]
    first = min((int(t.min()) for t in times), default=0)
    last = max((int(t.max()) for t in times), default=0)
    bins = Bins.covering(first, last)
    # (height, gap above) of each panel in inches: a titled panel leaves room for its title
    titled, under = (1.1, TITLE_GAP), (0.8, 0.08)
    panels = ([titled] if input_events is not None else []) + [
        p for n in names for p in ([(1.6, TITLE_GAP), under] + ([(1.3, TITLE_GAP)] if n in outputs else []))
    ] + ([titled] if pins is not None else [])
    height = TOP + sum(h + gap for h, gap in panels) + BOTTOM
    with style.settings():
        from matplotlib.figure import Figure

        fig = Figure(figsize=(WIDTH, height))
        if title:
            fig.suptitle(title, x=0.01, y=1 - 0.12 / height, ha="left", va="top", fontsize=10, fontweight="bold")
        if not panels:
            fig.text(0.5, 0.5, "nothing recorded: no input and no monitored layer", ha="center", va="center")
            return fig
        axes: List[Any] = []  # matplotlib Axes
        top = height - TOP
        for h, gap in panels:  # fixed positions, no layout engine: fast and the same every time
            top -= gap + h
            rect = (LEFT / WIDTH, top / height, 1 - (LEFT + RIGHT) / WIDTH, h / height)
            axes.append(fig.add_axes(rect, sharex=axes[0] if axes else None))
        slots = iter(axes)
        if input_events is not None:
            _input_rate(next(slots), input_events, bins)
        for name in names:
            spikes = layers[name]
            spiked = int(spikes["c"].max()) + 1 if len(spikes) else 0
            count = max((features or {}).get(name, 0), spiked)
            _raster(next(slots), name, spikes, bins, max_points, max(count, 1))
            _rate(next(slots), name, spikes, bins)
            if name in outputs:
                _classes(next(slots), name, spikes, bins, count)
        if pins is not None:
            _readout(next(slots), pins)
        for ax in axes[:-1]:
            ax.tick_params(labelbottom=False)
        axes[-1].set_xlabel("time (ms)")
        axes[0].set_xlim(bins.edges_ms[0], bins.edges_ms[-1])
    return fig


def _by_first_spike(layers: Mapping[str, np.ndarray]) -> List[str]:
    """DVS first, then layers in the order they first spiked (upstream layers usually first), silent ones last."""
    def key(name: str):
        spikes = layers[name]
        return (name != DVS_NAME, 0 if len(spikes) else 1, int(spikes["t"].min()) if len(spikes) else 0, name)

    return sorted(layers, key=key)


def _label(ax, kind: str, name: str) -> None:
    ax.set_label(f"{kind}:{name}")  # how tests (and users) find a panel: fig.axes with get_label()


def _per_ms(counts: np.ndarray, bins: Bins) -> np.ndarray:
    return counts / (bins.width / MS)


def _input_rate(ax, events: np.ndarray, bins: Bins) -> None:
    _label(ax, "input", "input")
    if "p" in field_names(events.dtype):  # DVS: one line per polarity
        counts = binned(events["t"], events["p"], 2, bins)
        ax.stairs(_per_ms(counts[:, 1], bins), bins.edges_ms, label="ON", color="#c0504d")
        ax.stairs(_per_ms(counts[:, 0], bins), bins.edges_ms, label="OFF", color="#4f81bd")
        ax.legend(loc="lower right", bbox_to_anchor=(1, 1), ncol=2, fontsize=7, frameon=False)  # on the title's line
    else:
        ax.stairs(_per_ms(binned(events["t"], None, 1, bins)[:, 0], bins), bins.edges_ms, color="#444444")
    ax.set_title(f"input: {len(events):,} events", loc="left")
    ax.set_ylabel("events/ms")


def _raster(ax, name: str, spikes: np.ndarray, bins: Bins, max_points: int, features: int) -> None:
    from matplotlib.ticker import MaxNLocator

    _label(ax, "raster", name)
    n = len(spikes)
    if n <= max_points:
        ax.plot(spikes["t"] / MS, spikes["c"], linestyle="none", marker="|", markersize=3 if n > 1000 else 6, markeredgewidth=0.6,
                color="#1f4e79", rasterized=True, label="spikes")
        how = ""
    else:
        counts = binned(spikes["t"], spikes["c"], features, bins)
        edges = bins.edges_ms
        ax.imshow(counts.T, aspect="auto", origin="lower", cmap="Blues", extent=(edges[0], edges[-1], -0.5, features - 0.5),
                  interpolation="nearest", label="binned spikes")
        how = f" (binned: counts per {bins.width / MS:g} ms and feature; more than {max_points:,} to draw one by one)"
    ax.set_title(f"{name}: {n:,} spikes{how}", loc="left")
    ax.set_ylabel("polarity" if name == DVS_NAME else "feature")
    ax.set_ylim(-0.5, features - 0.5)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if not n:
        ax.text(0.5, 0.5, "no spikes", transform=ax.transAxes, ha="center", va="center", color="#8a8a8a")


def _rate(ax, name: str, spikes: np.ndarray, bins: Bins) -> None:
    _label(ax, "rate", name)
    ax.stairs(_per_ms(binned(spikes["t"], None, 1, bins)[:, 0], bins), bins.edges_ms, color="#1f4e79", fill=True, alpha=0.5)
    ax.set_ylabel("spikes/ms")


def _classes(ax, name: str, spikes: np.ndarray, bins: Bins, features: int) -> None:
    """Cumulative spikes per class (feature) over time; the title names the winner."""
    from matplotlib.ticker import MaxNLocator

    _label(ax, "classes", name)
    cumulative = np.cumsum(binned(spikes["t"], spikes["c"], features, bins), axis=0) if features else np.zeros((bins.count, 0))
    totals = cumulative[-1] if features else np.zeros(0, dtype=np.int64)
    shown = np.argsort(-totals, kind="stable")[:TOP_CLASSES] if features > TOP_CLASSES else np.arange(features)
    won = set(winners(totals)[0])
    for k in sorted(shown):
        ax.stairs(cumulative[:, k], bins.edges_ms, label=f"class {k}", linewidth=2.0 if k in won else 1.0)
    title = winner_text(name, totals)
    if features > TOP_CLASSES:
        title += f"; the {TOP_CLASSES} most active shown"
    ax.set_title(title, loc="left")
    ax.set_ylabel("spikes so far")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if len(shown):
        ax.legend(loc="upper left", fontsize=6.5, frameon=False, ncol=8)


def _readout(ax, pins: np.ndarray) -> None:
    """The class a board's readout put on its pins, over time (class 0: none)."""
    _label(ax, "readout", "readout")
    classes = pins["index"].astype(np.int64)
    ax.plot(pins["t"] / MS, classes, linestyle="none", marker="o", markersize=3, color="#7a3e9d", label="readout")
    named = np.bincount(classes[classes > 0]) if (classes > 0).any() else np.zeros(0, dtype=np.int64)
    won, best = winners(named)
    if not won:
        title = "readout: no class reported"
    elif len(won) == 1:
        title = f"readout: class {won[0]} most often ({best} of {int(named.sum())} readings)"
    else:
        title = f"readout: tie between classes {', '.join(map(str, won))} ({best} readings each)"
    ax.set_title(title, loc="left")
    ax.set_ylabel("class")
