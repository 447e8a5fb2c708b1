"""The chip map: the cores in a grid, the layer on each, memory against capacity, the edges.

Coordinates are inches on one axes that fills the figure, so boxes and text keep their size
whatever the network. Cores are drawn in index order, three to a row (the public documents give
no floor plan); the input or DVS layer stands to the left, the readout to the right, and layers
that fit no core in a band below, each with the compiler's reason.
"""
from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Dict, List, Tuple

from ..events import DVS_NAME
from . import style
from .model import INPUT, READOUT, ChipView, LayerBox

if TYPE_CHECKING:  # matplotlib is imported only when a picture is drawn
    from matplotlib.patches import Patch

COLUMNS = 3
CORE_W, CORE_H = 2.9, 1.75
GAP_X, GAP_Y = 0.75, 0.55
SIDE_W = 2.3  # input / DVS box and readout box
MARGIN, TITLE_H = 0.3, 0.75
PROBLEM_WRAP = 170  # characters per line of a placement error
LABEL_AT = (0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8)  # where on an edge its label may stand, best first
CURVES = (0.2, -0.2, 0.35, -0.35, 0.5, -0.5, 0.7, -0.7)  # bends tried in turn: first to miss every box, else every used core

INK, MUTED, FREE, PLACED, BAR, OVER, EDGE = "#222222", "#8a8a8a", "#efefef", "#eaf2fb", "#4c88c4", "#c83737", "#555555"


def chip_map(view: ChipView):
    """The chip map of ``view`` as a matplotlib Figure."""
    with style.settings():
        return _Drawing(view).figure


def _percent(used: int, capacity: int) -> str:
    return f"{used}/{capacity} ({100 * used / capacity:.0f}%)"


def _shape(shape) -> str:
    return "x".join(map(str, shape))


def _xy_text(pair: Tuple[int, int]) -> str:
    return str(pair[0]) if pair[0] == pair[1] else f"{pair[0]}x{pair[1]}"


def edge_label(pooling: int, feature_shift: int) -> str:
    parts = [f"pool {pooling}"] if pooling > 1 else []
    if feature_shift:
        parts.append(f"shift {feature_shift}")
    return " · ".join(parts)


class _Drawing:
    def __init__(self, view: ChipView):
        from matplotlib.figure import Figure

        self.view = view
        rows = -(-len(view.capacities) // COLUMNS)
        self.grid_x = MARGIN + SIDE_W + GAP_X
        grid_w = COLUMNS * CORE_W + (COLUMNS - 1) * GAP_X
        grid_h = rows * CORE_H + (rows - 1) * GAP_Y
        self.problem_lines = {layer.name: self._wrapped(layer) for layer in view.unplaced}
        band = sum(self._problem_height(name) + GAP_Y for name in self.problem_lines)
        self.width = self.grid_x + grid_w + GAP_X + SIDE_W + MARGIN
        self.height = TITLE_H + grid_h + band + MARGIN + 0.25
        self.grid_top = self.height - TITLE_H
        self.grid_w = grid_w
        self.figure = Figure(figsize=(self.width, self.height))
        ax = self.ax = self.figure.add_axes((0, 0, 1, 1))
        ax.set_xlim(0, self.width)
        ax.set_ylim(0, self.height)
        ax.axis("off")
        self.boxes: Dict[str, "Patch"] = {}  # name -> box patch, for the edges
        self.free: List[object] = []  # boxes of free cores, which edges avoid too
        self._title()
        for core in range(len(view.capacities)):
            self._core(core)
        y = self.grid_top - grid_h - GAP_Y
        for layer in view.unplaced:
            y = self._unplaced(layer, y) - GAP_Y
        self._entry()
        self._readout()
        for link in view.links:
            self._link(link.source, link.target, edge_label(link.pooling, link.feature_shift))
        ax.text(MARGIN, MARGIN * 0.6, "cores in index order · bars: memory used/capacity, in entries",
                fontsize=7, color=MUTED, va="center")

    # -- pieces
    def _text(self, x, y, text, **kw):
        kw.setdefault("fontsize", 8)
        kw.setdefault("color", INK)
        kw.setdefault("va", "top")
        return self.ax.text(x, y, text, **kw)

    def _box(self, x, y, w, h, face, edge=INK, lw=1.0, **kw):
        from matplotlib.patches import FancyBboxPatch

        patch = FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0,rounding_size=0.08", facecolor=face,
                               edgecolor=edge, linewidth=lw, **kw)
        self.ax.add_patch(patch)
        return patch

    def _bar(self, x, y, w, label: str, used: int, capacity: int):
        from matplotlib.patches import Rectangle

        over = used > capacity
        self._text(x, y, f"{label} {_percent(used, capacity)}", fontsize=7, color=OVER if over else INK)
        self.ax.add_patch(Rectangle((x, y - 0.25), w, 0.09, facecolor="white", edgecolor=MUTED, linewidth=0.6))
        self.ax.add_patch(Rectangle((x, y - 0.25), w * min(used / capacity, 1.0), 0.09,
                                    facecolor=OVER if over else BAR, linewidth=0))

    def _title(self):
        v = self.view
        placed = sorted(layer.core for layer in v.layers if layer.core is not None)
        head = f"{v.name} on {v.target} ({v.chip})"
        if v.fits:
            line = f"{len(v.layers)} layers on cores {', '.join(map(str, placed))} of {len(v.capacities)}"
            color = INK
        else:
            n = len(v.unplaced)
            line = (f"does not fit: {n} of {len(v.layers)} layers {'has' if n == 1 else 'have'} no core (below, with "
                    "the reason); the others are placed as the compiler would")
            color = OVER
        self._text(MARGIN, self.height - 0.18, head, fontsize=11, weight="bold")
        self._text(MARGIN, self.height - 0.45, line, fontsize=8.5, color=color)

    def _core_xy(self, core: int) -> Tuple[float, float]:
        row, col = divmod(core, COLUMNS)
        return self.grid_x + col * (CORE_W + GAP_X), self.grid_top - row * (CORE_H + GAP_Y) - CORE_H

    def _core(self, core: int):
        x, y = self._core_xy(core)
        cap = self.view.capacities[core]
        layer = self.view.on_core(core)
        top = y + CORE_H - 0.1
        if layer is None:
            self.free.append(self._box(x, y, CORE_W, CORE_H, FREE, edge=MUTED, lw=0.8))
            self._text(x + 0.12, top, f"core {core}", color=MUTED)
            self._text(x + 0.12, top - 0.3, "free", color=MUTED, fontsize=9)
            self._text(x + 0.12, y + 0.45, f"kernel capacity {cap.kernel}", color=MUTED, fontsize=7)
            self._text(x + 0.12, y + 0.27, f"neuron capacity {cap.neuron}", color=MUTED, fontsize=7)
            return
        self.boxes[layer.name] = self._box(x, y, CORE_W, CORE_H, PLACED)
        self._text(x + 0.12, top, f"core {core}", color=MUTED)
        if layer.monitor:
            self._text(x + CORE_W - 0.12, top, "monitored", color=MUTED, fontsize=7, ha="right")
        self._layer_lines(layer, x + 0.12, top - 0.2)
        self._bar(x + 0.12, y + 0.72, CORE_W - 0.24, "kernel", layer.memory.kernel, cap.kernel)
        self._bar(x + 0.12, y + 0.38, CORE_W - 0.24, "neuron", layer.memory.neuron, cap.neuron)

    def _layer_lines(self, layer: LayerBox, x: float, y: float, color: str = INK):
        self._text(x, y, layer.name, fontsize=10, weight="bold", color=color)
        self._text(x, y - 0.25, f"{_shape(layer.input_shape)} → {_shape(layer.output_shape)}")
        conv = f"kernel {layer.kernel}, stride {_xy_text(layer.stride)}"
        if any(layer.padding):
            conv += f", padding {_xy_text(layer.padding)}"
        self._text(x, y - 0.43, conv, fontsize=7, color=MUTED)

    def _wrapped(self, layer: LayerBox):
        return textwrap.wrap(layer.problem or "", PROBLEM_WRAP)

    def _problem_height(self, name: str) -> float:
        return 1.35 + 0.15 * len(self.problem_lines[name])

    def _unplaced(self, layer: LayerBox, top: float) -> float:
        """A layer with no core, its needs against the largest core and the compiler's reason."""
        h = self._problem_height(layer.name)
        x, y = self.grid_x, top - h
        self.boxes[layer.name] = self._box(x, y, self.grid_w, h, "#fdf0f0", edge=OVER, lw=1.2, linestyle="--")
        self._text(x + 0.12, top - 0.1, "no core", color=OVER, weight="bold")
        self._layer_lines(layer, x + 0.12, top - 0.3, color=OVER)
        largest_kernel = max(c.kernel for c in self.view.capacities)
        largest_neuron = max(c.neuron for c in self.view.capacities)
        bar_x, bar_w = x + 3.0, (self.grid_w - 3.3) / 2
        self._bar(bar_x, top - 0.35, bar_w - 0.2, "kernel vs largest core", layer.memory.kernel, largest_kernel)
        self._bar(bar_x + bar_w, top - 0.35, bar_w - 0.2, "neuron vs largest core", layer.memory.neuron, largest_neuron)
        self._text(x + 0.12, top - 0.95, "\n".join(self.problem_lines[layer.name]), fontsize=7, color=INK,
                   linespacing=1.3)
        return y

    def _entry(self):
        v = self.view
        x, top = MARGIN, self.grid_top
        if v.dvs is None:
            h = 0.7
            self.boxes[INPUT] = self._box(x, top - h, SIDE_W, h, "white")
            self._text(x + 0.12, top - 0.1, "input", fontsize=10, weight="bold")
            self._text(x + 0.12, top - 0.38, f"host spikes {_shape(v.input_shape)}")
            return
        d = v.dvs
        lines = [
            ("on-die sensor" if d.source == "sensor" else "host events") + f" {d.sensor[0]}x{d.sensor[1]}",
            f"polarity {d.polarity} → {2 if d.polarity == 'both' else 1} feature{'s' if d.polarity == 'both' else ''}",
            f"pool {d.pool[0]}x{d.pool[1]} → {d.sensor[0] // d.pool[0]}x{d.sensor[1] // d.pool[1]}",
            f"crop ({d.origin[0]}, {d.origin[1]})–({d.cut[0]}, {d.cut[1]})",
            _mirror_text(d.mirror, d.mirror_diagonal),
            f"out {_shape(d.output_shape)}",
        ]
        h = 0.55 + 0.2 * len(lines)
        self.boxes[DVS_NAME] = self._box(x, top - h, SIDE_W, h, "white")
        self._text(x + 0.12, top - 0.1, "DVS layer", fontsize=10, weight="bold")
        for i, line in enumerate(lines):
            self._text(x + 0.12, top - 0.42 - 0.2 * i, line, fontsize=7.5)

    def _readout(self):
        v = self.view
        if not v.has_readout:
            return
        x, top = self.width - MARGIN - SIDE_W, self.grid_top
        r = v.readout
        if r is None:
            self._box(x, top - 0.7, SIDE_W, 0.7, FREE, edge=MUTED, lw=0.8)
            self._text(x + 0.12, top - 0.1, "readout", fontsize=10, color=MUTED)
            self._text(x + 0.12, top - 0.38, "off", color=MUTED)
            return
        h = 1.05
        self.boxes[READOUT] = self._box(x, top - h, SIDE_W, h, "white")
        self._text(x + 0.12, top - 0.1, "readout", fontsize=10, weight="bold")
        self._text(x + 0.12, top - 0.38, f"classes 1..{r.classes} from {r.source}")
        self._text(x + 0.12, top - 0.58, f"threshold {r.threshold}")

    def _link(self, source: str, target: str, label: str):
        from matplotlib.patches import FancyArrowPatch

        a, b = self.boxes.get(source), self.boxes.get(target)
        if a is None or b is None:
            return
        (x1, y1), (x2, y2) = _centre(a), _centre(b)
        placed = [box for box in self.boxes.values() if box is not a and box is not b]
        rad = next(
            (r for avoid in (placed + self.free, placed) for r in CURVES
             if not any(_crosses(box, (x1, y1), (x2, y2), r) for box in avoid)),
            CURVES[0],
        )
        arrow = FancyArrowPatch((x1, y1), (x2, y2), patchA=a, patchB=b, arrowstyle="-|>", mutation_scale=12,
                                connectionstyle=f"arc3,rad={rad}", color=EDGE, linewidth=1.1, shrinkA=2, shrinkB=2,
                                zorder=3)
        self.ax.add_patch(arrow)
        if label:  # on the curve, as near its middle as a point outside every box is
            boxes = list(self.boxes.values()) + self.free
            x, y = next((p for p in (_on_curve((x1, y1), (x2, y2), rad, s) for s in LABEL_AT)
                         if not any(_inside(box, p) for box in boxes)), _on_curve((x1, y1), (x2, y2), rad, 0.5))
            self._text(x, y, label, fontsize=7, ha="center", va="center", zorder=4,
                       bbox=dict(boxstyle="round,pad=0.15", facecolor="white", edgecolor=EDGE, linewidth=0.5))


def _on_curve(a, b, rad: float, s: float) -> Tuple[float, float]:
    """The point at ``s`` (0..1) of matplotlib's arc3 curve from ``a`` to ``b``: a quadratic Bezier
    whose control point is the chord's midpoint moved by ``rad`` times the chord turned a quarter
    clockwise."""
    (x1, y1), (x2, y2) = a, b
    cx, cy = (x1 + x2) / 2 + rad * (y2 - y1), (y1 + y2) / 2 - rad * (x2 - x1)
    return ((1 - s) ** 2 * x1 + 2 * (1 - s) * s * cx + s ** 2 * x2,
            (1 - s) ** 2 * y1 + 2 * (1 - s) * s * cy + s ** 2 * y2)


def _inside(patch, point, margin: float = 0.05) -> bool:
    x, y = point
    left, bottom = patch.get_x() - margin, patch.get_y() - margin
    return left <= x <= left + patch.get_width() + 2 * margin and bottom <= y <= bottom + patch.get_height() + 2 * margin


def _crosses(patch, a, b, rad: float) -> bool:
    """Whether the curve from ``a`` to ``b`` passes through ``patch`` (sampled at 19 points)."""
    return any(_inside(patch, _on_curve(a, b, rad, i / 20)) for i in range(1, 20))


def _centre(patch) -> Tuple[float, float]:
    x, y = patch.get_x(), patch.get_y()
    return x + patch.get_width() / 2, y + patch.get_height() / 2


def _mirror_text(mirror: Tuple[bool, bool], diagonal: bool) -> str:
    axes = [name for name, on in zip("xy", mirror) if on]
    text = f"mirror {', '.join(axes)}" if axes else "no mirror"
    return text + ", x/y swapped" if diagonal else text

