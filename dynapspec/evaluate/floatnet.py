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

It builds only on the lowered network, never on the chip simulator's internals. Its event loop
exists twice, bit for bit the same (the tests compare them): ``_floatloop.run``, compiled from
``_floatloop.c`` when dynapspec is installed (setup.py; optional), and :func:`run_float` below in
plain Python, the readable statement of what the C code does and the fallback where it was not
built (``DYNAPSPEC_SIM_KERNEL=python`` selects it; :data:`COMPILED` and :data:`FALLBACK_REASON`
say which runs).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import compiled
from ..events import as_events, check_range
from ..compiler.network import DvsEntry, Network
from .trace import Trace

# columns of the per-layer geometry table (the C loop checks its own against these names)
COLUMNS = ("f", "oh", "ow", "k", "sy", "sx", "py", "px", "c", "h", "w", "to_zero", "w_off", "v_off")
F, OH, OW, K, SY, SX, PY, PX, C, H, W, TO_ZERO, W_OFF, V_OFF = range(len(COLUMNS))


class FloatNetwork:
    """``run(events)`` -> :class:`Trace` of the ``output`` layer for one sample, from a fresh state."""

    def __init__(self, network: Network, output: str):
        layers = network.layers
        names = [layer.name for layer in layers]
        self.input = network.input
        self.input_shape = ((2, self.input.settings.size.y, self.input.settings.size.x) if isinstance(self.input, DvsEntry)
                            else self.input.shape)
        self.targets = np.array([names.index(t) for t in network.input.targets], dtype=np.int64)
        self.output = names.index(output)
        self.geometry = np.zeros((len(layers), len(COLUMNS)), dtype=np.int64)
        self.thresholds = np.zeros((len(layers), 2))  # high, low (-inf: no floor)
        self.routes = np.full((len(layers), 2, 3), -1, dtype=np.int64)  # (target, pooling, shift) per slot
        weights, w_off, v_off = [], 0, 0
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
        self.weights = np.concatenate(weights)
        self.v = np.zeros(v_off)

    def run(self, events, source: str = "<events>") -> Trace:
        c, x, y, t = self._entering(events, source)
        self.v[:] = 0.0
        out = bytearray()
        spikes, synops = run_loop(
            c, x, y, self.targets, self.output, self.geometry, self.thresholds, self.routes, self.weights, self.v, out
        )
        rows = np.frombuffer(out, dtype=np.int64).reshape(-1, 2)  # (input event, feature) per output spike
        return Trace(np.asarray(t)[rows[:, 0]].astype(np.uint64), rows[:, 1].copy(), spikes, synops)

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


def run_float(in_c, in_x, in_y, targets, output, geometry, thresholds, routes, weights, v, out: bytearray):
    """Play input events (in_c, in_x, in_y) into the layers ``targets``; returns (spikes, synops) of
    every layer, and appends the spikes of layer ``output`` to ``out`` as int64 pairs (input event
    index, feature). ``v`` (float64 states) is updated in place.

    Deliveries (layer, c, x, y) wait on a stack. A layer applies all updates of one delivery, then
    pushes its spikes' deliveries in reverse, so they are taken in the chip's order: spike by spike
    (oy, ox, f ascending), slot 0 with all its consequences before slot 1 (U23). Routes go only to
    later layers (the network is in topological order), so every event's propagation ends.
    """
    layers, limits, slots = geometry.tolist(), thresholds.tolist(), routes.tolist()
    w, state = weights.tolist(), v.tolist()  # Python floats are float64: the same arithmetic
    rows, spikes, synops = [], 0, 0
    for e, (c0, x0, y0) in enumerate(zip(in_c.tolist(), in_x.tolist(), in_y.tolist())):
        stack = [(n, c0, x0, y0) for n in reversed(targets.tolist())]
        while stack:
            n, c, x, y = stack.pop()
            g, (high, low) = layers[n], limits[n]
            k, nf, ow, iy, ix = g[K], g[F], g[OW], y + g[PY], x + g[PX]  # (iy, ix): the padded input position
            # the output positions whose kernel covers it: 0 <= iy - oy*sy < k, 0 <= ix - ox*sx < k
            oy_lo, oy_hi = max(0, -(-(iy - k + 1) // g[SY])), min(g[OH] - 1, iy // g[SY])
            ox_lo, ox_hi = max(0, -(-(ix - k + 1) // g[SX])), min(ow - 1, ix // g[SX])
            pushed = []
            for oy in range(oy_lo, oy_hi + 1):
                i = iy - oy * g[SY]
                for ox in range(ox_lo, ox_hi + 1):
                    j = ix - ox * g[SX]
                    wb = g[W_OFF] + ((c * k + i) * k + j) * nf
                    vb = g[V_OFF] + (oy * ow + ox) * nf
                    for f in range(nf):
                        value = state[vb + f] + w[wb + f]
                        if value >= high:
                            value = 0.0 if g[TO_ZERO] else value - high
                            spikes += 1
                            if n == output:
                                rows.append((e, f))
                            for m, pool, shift in slots[n]:
                                cc, xx, yy = f + shift, ox // pool, oy // pool
                                if m >= 0 and cc < layers[m][C] and xx < layers[m][W] and yy < layers[m][H]:  # else dropped (U04)
                                    pushed.append((m, cc, xx, yy))
                        state[vb + f] = max(value, low)
                    synops += nf
            stack.extend(reversed(pushed))  # the first spike's slot 0 is taken next
    v[:] = state
    out += np.array(rows, dtype=np.int64).tobytes()
    return spikes, synops


def _compiled(source: Path = Path(__file__).with_name("_floatloop.c")):
    """The compiled ``run_float`` and "", or None and why it cannot be used (dynapspec/compiled.py)."""
    module, why = compiled.load("dynapspec.evaluate._floatloop", source, lambda m: m.COLUMNS == COLUMNS)
    return (module.run if module else None), why


compiled_run, FALLBACK_REASON = _compiled()
COMPILED = compiled_run is not None
run_loop = compiled_run if COMPILED else run_float  # what FloatNetwork.run calls
