"""The float model: the spec's float network through the chip's neuron rules, without quantization.

It runs the *lowered* network (``lower.py``: dense layers as convs, average pooling folded into
the receiving weights, routes with pooling and feature shifts) with float64 weights and thresholds
exactly as written in the spec, event by event, under the same rules and in the same order as the
chip (docs/simulator.md): receptive field and cross-correlation, ``V += w``, at most one spike per
update with reset to zero or by subtraction, the ``low_threshold`` floor after every update,
depth-first routing, sum pooling on edges, coordinates outside a destination dropped.

What it is not: no 8-bit weights or 16-bit thresholds (the quantization dynapspec evaluates), no
16-bit saturation of V, no per-layer scale. It is also not the trained network (a ReLU network
computes activations, not spike counts) and not a time-stepped simulator: like the chip it has no
time steps and no leak. With integer weights (``quantize: false``) and V that stays in 16 bits it
produces the chip's spikes exactly (tested).

It builds only on the lowered network, never on the chip simulator's internals. The event loop is
compiled by numba when it is installed (the ``sim-fast`` extra) and runs as plain Python otherwise.
"""
from __future__ import annotations

import numpy as np

from ..events import as_events, check_range
from ..network import DvsEntry, Network
from .trace import Trace

try:  # numba is optional: the `sim-fast` extra
    from numba import njit
except ImportError:  # pragma: no cover - exercised by installs without numba

    def njit(*args, **kwargs):
        return lambda func: func


# columns of the per-layer geometry table
F, OH, OW, K, SY, SX, PY, PX, C, H, W, TO_ZERO, W_OFF, V_OFF = range(14)
GEOMETRY_COLUMNS = 14


class FloatNetwork:
    """``run(events)`` -> :class:`Trace` of the ``output`` layer for one sample, from a fresh state."""

    def __init__(self, network: Network, output: str):
        layers = network.layers
        names = [layer.name for layer in layers]
        self.input = network.input
        self.input_shape = (2, self.input.settings.size.y, self.input.settings.size.x) if isinstance(self.input, DvsEntry) else self.input.shape
        self.targets = np.array([names.index(t) for t in network.input.targets], dtype=np.int64)
        self.output = names.index(output)
        self.geometry = np.zeros((len(layers), GEOMETRY_COLUMNS), dtype=np.int64)
        self.thresholds = np.zeros((len(layers), 2))  # high, low (-inf: no floor)
        self.routes = np.full((len(layers), 2, 3), -1, dtype=np.int64)  # (target, pooling, shift) per slot
        weights, w_off, v_off, stack = [], 0, 0, len(layers)
        for n, layer in enumerate(layers):
            f, oh, ow = layer.output_shape
            c, h, w = layer.input_shape
            self.geometry[n] = (f, oh, ow, layer.kernel, layer.stride.y, layer.stride.x, layer.padding.y,
                                layer.padding.x, c, h, w, layer.return_to_zero, w_off, v_off)  # fmt: skip
            weight = np.asarray(layer.weight, dtype=np.float64).transpose(1, 2, 3, 0)  # (C, kH, kW, F)
            weights.append(weight.ravel())
            w_off += weight.size
            v_off += f * oh * ow
            low = -np.inf if layer.threshold_low is None else float(layer.threshold_low)
            self.thresholds[n] = (float(layer.threshold_high), low)
            for slot, route in enumerate(layer.routes):
                self.routes[n, slot] = (names.index(route.target), route.pooling, route.feature_shift)
            window = (-(-layer.kernel // layer.stride.y)) * (-(-layer.kernel // layer.stride.x))
            stack += window * f * len(layer.routes)  # deliveries one event of this layer can push
        self.weights = np.concatenate(weights)
        self.v = np.zeros(v_off)
        self.stack = np.zeros((stack + len(self.targets), 4), dtype=np.int64)

    def run(self, events, source: str = "<events>") -> Trace:
        c, x, y, t = self._entering(events, source)
        self.v[:] = 0.0
        out, n_out, spikes, synops = run_float(
            c, x, y, self.targets, self.output, self.geometry, self.thresholds, self.routes, self.weights, self.v, self.stack
        )
        out = out[:n_out]
        return Trace(np.asarray(t)[out[:, 0]].astype(np.uint64), out[:, 1].copy(), int(spikes), int(synops))

    def _entering(self, events, source: str):
        """(c, x, y, t) of the events entering the first layers; DVS events pass the DVS stage first."""
        if not isinstance(self.input, DvsEntry):
            events = as_events(events, "spikes", source)
            check_range(events, self.input_shape, source)
            return (*(events[n].astype(np.int64) for n in ("c", "x", "y")), events["t"])
        dvs = self.input.settings
        events = as_events(events, "dvs", source)
        check_range(events, self.input_shape, source)
        p = events["p"].astype(np.int64)
        x = events["x"].astype(np.int64) // dvs.pool.x
        y = events["y"].astype(np.int64) // dvs.pool.y
        keep = {"both": p >= 0, "merge": p >= 0, "on": p == 1, "off": p == 0}[dvs.polarity]
        keep &= (x >= dvs.origin.x) & (x <= dvs.cut.x) & (y >= dvs.origin.y) & (y <= dvs.cut.y)
        feature = p[keep] if dvs.polarity == "both" else np.zeros(int(keep.sum()), dtype=np.int64)
        x, y = x[keep] - dvs.origin.x, y[keep] - dvs.origin.y
        if dvs.mirror.x:
            x = (dvs.cut.x - dvs.origin.x) - x
        if dvs.mirror.y:
            y = (dvs.cut.y - dvs.origin.y) - y
        if dvs.mirror_diagonal:
            x, y = y, x
        return feature, x, y, events["t"][keep]


def output_window(position, kernel: int, stride: int, size: int):
    """Output indices o in [0, size) with 0 <= position - o*stride < kernel, as an inclusive range.

    ``position`` is the input coordinate plus padding: an int, or an array of them.
    """
    low = np.maximum(0, -(-(position - kernel + 1) // stride))
    high = np.minimum(size - 1, position // stride)
    return low, high


@njit(cache=True)
def run_float(in_c, in_x, in_y, targets, output, geometry, thresholds, routes, weights, v, stack):
    """All events, depth-first; returns (rows, n, spikes, synops): rows[:n] = (input index, output feature).

    The stack holds deliveries (layer, c, x, y). A layer applies all updates of one event, then
    pushes its spikes' deliveries in reverse, so they are taken in the chip's order: spike by spike
    (oy, ox, f ascending), slot 0 with all its consequences before slot 1.
    """
    out = np.empty((256, 2), dtype=np.int64)
    n_out, spikes, synops = 0, 0, 0
    for e in range(in_c.shape[0]):
        top = 0
        for i in range(targets.shape[0] - 1, -1, -1):
            stack[top, 0], stack[top, 1], stack[top, 2], stack[top, 3] = targets[i], in_c[e], in_x[e], in_y[e]
            top += 1
        while top > 0:
            top -= 1
            n, c, x, y = stack[top, 0], stack[top, 1], stack[top, 2], stack[top, 3]
            g = geometry[n]
            k, n_f, ow = g[K], g[F], g[OW]
            oy_lo = max(0, -(-(y + g[PY] - k + 1) // g[SY]))
            oy_hi = min(g[OH] - 1, (y + g[PY]) // g[SY])
            ox_lo = max(0, -(-(x + g[PX] - k + 1) // g[SX]))
            ox_hi = min(ow - 1, (x + g[PX]) // g[SX])
            high, low = thresholds[n, 0], thresholds[n, 1]
            first = top
            for oy in range(oy_lo, oy_hi + 1):
                i = y + g[PY] - oy * g[SY]
                for ox in range(ox_lo, ox_hi + 1):
                    j = x + g[PX] - ox * g[SX]
                    wb = g[W_OFF] + ((c * k + i) * k + j) * n_f
                    vb = g[V_OFF] + (oy * ow + ox) * n_f
                    for f in range(n_f):
                        value = v[vb + f] + weights[wb + f]
                        if value >= high:
                            value = 0.0 if g[TO_ZERO] else value - high
                            spikes += 1
                            if n == output:
                                if n_out == out.shape[0]:
                                    bigger = np.empty((2 * n_out, 2), dtype=np.int64)
                                    bigger[:n_out] = out
                                    out = bigger
                                out[n_out, 0], out[n_out, 1] = e, f
                                n_out += 1
                            for slot in range(2):  # collected in order, reversed below
                                m = routes[n, slot, 0]
                                if m < 0:
                                    continue
                                p = routes[n, slot, 1]
                                cc, xx, yy = f + routes[n, slot, 2], ox // p, oy // p
                                if cc < geometry[m, C] and xx < geometry[m, W] and yy < geometry[m, H]:  # else dropped (U04)
                                    stack[top, 0], stack[top, 1], stack[top, 2], stack[top, 3] = m, cc, xx, yy
                                    top += 1
                        v[vb + f] = max(value, low)
                    synops += n_f
            # reverse this event's deliveries so the first spike's slot 0 is taken first
            a, b = first, top - 1
            while a < b:
                for col in range(4):
                    stack[a, col], stack[b, col] = stack[b, col], stack[a, col]
                a += 1
                b -= 1
    return out, n_out, spikes, synops
