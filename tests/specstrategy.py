"""Hypothesis strategies for small valid specs that exercise each axis on its own.

Maps are non-square, stride and padding are drawn per axis, the DVS layer has a non-square sensor,
per-axis pooling, an off-centre crop, mirroring and the diagonal swap; layers branch, concatenate
(with and without explicit feature shifts) and add, pool on edges (sum, avg, chains), read dense
weights in chw or hwc order, and run quantized (float weights) or as given (integers). Every spec
drawn is valid by the rules of docs/spec.md and docs/compiler.md, so a compile error is a failure.
"""
from __future__ import annotations

from dataclasses import replace
from typing import List, Optional, Tuple

import numpy as np
from hypothesis import strategies as st

from dynapspec.events import dvs_events, spike_events
from dynapspec.spec.model import XY, Conv, Dense, DvsInput, Edge, Neuron, PoolStep, Readout

from specfactory import make_spec

POOLS = [1, 2, 4]
READOUT_TARGETS = ("speck2fdevkit", "speck2edevkit")  # chips with a readout (docs/spec.md, `readout`)


def _pool_chain(draw, factor: int, avg_ok: bool) -> Tuple[PoolStep, ...]:
    """A pooling chain that multiplies to ``factor``: one step, or 2 then 2 for 4; avg steps if allowed."""
    if factor == 1:
        return draw(st.sampled_from([(), (PoolStep(1, "sum"),)]))
    mode = (lambda: draw(st.sampled_from(["sum", "avg"]))) if avg_ok else (lambda: "sum")
    if factor == 4 and draw(st.booleans()):
        return (PoolStep(2, mode()), PoolStep(2, mode()))
    return (PoolStep(factor, mode()),)


def _concat_shifts(draw, features: List[int], fixed: List[bool]) -> List[Optional[int]]:
    """Explicit feature shifts now and then (maybe leaving a gap); None where the compiler assigns.

    ``features`` and ``fixed`` are in source order (input first, then spec order); a fixed source
    takes no explicit shift.
    """
    shifts = [None if f else draw(st.one_of(st.none(), st.none(), st.integers(0, 4))) for f in fixed]
    ranges, offset = [], 0
    for shift, f in zip(shifts, features):
        start = offset if shift is None else shift
        ranges.append((start, start + f))
        offset = start + f
    ranges.sort()
    if any(b[0] < a[1] for a, b in zip(ranges, ranges[1:])):
        return [None] * len(features)  # would overlap: let the compiler stack them
    return shifts


def _concat_channels(features: List[int], shifts: List[Optional[int]]) -> int:
    """Input features of a concatenating layer: the end of the highest source range."""
    offset, end = 0, 0
    for f, shift in zip(features, shifts):
        offset = (offset if shift is None else shift) + f
        end = max(end, offset)
    return end


def _neuron(draw, quantize: bool, weight: np.ndarray) -> Neuron:
    reset = draw(st.sampled_from(["subtract", "zero"]))
    if not quantize:
        low = draw(st.one_of(st.none(), st.integers(-12, -1)))
        return Neuron(draw(st.integers(1, 12)), low, reset)
    top = float(np.abs(weight).max())
    ratio = st.one_of(st.floats(0.3, 3.0), st.floats(300.0, 3000.0))  # large: the thresholds set the scale
    high = top * draw(ratio)
    low = draw(st.one_of(st.none(), ratio.map(lambda r: -top * r)))
    return Neuron(high, low, reset)


def _weight(draw, shape, quantize: bool) -> np.ndarray:
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if quantize:
        w = rng.normal(draw(st.sampled_from([0.0, 0.2, 0.5])), 1.0, size=shape) * draw(st.sampled_from([0.01, 1.0, 30.0]))
    else:
        w = rng.integers(-6, 10, size=shape).astype(np.float64)
    if not w.any():
        w.flat[0] = 1.0
    if quantize and w.size > 1 and w.max() > 0 and draw(st.integers(0, 3)) == 0:
        # the band |max| < |min| <= |max| * 128/127, where the maximum still sets the 8-bit scale
        w.flat[int(np.argmin(w))] = -w.max() * draw(st.floats(1.0, 128 / 127))
    return w


def _dvs_input(draw, crop: bool = True) -> Tuple[DvsInput, Tuple[int, int, int]]:
    """A DVS layer on a host sensor; ``crop=False``: the whole pooled frame, unmirrored (NIR can say that)."""
    size = XY(draw(st.integers(2, 20)), draw(st.integers(2, 20)))
    pool = XY(draw(st.sampled_from([p for p in POOLS if p <= size.x])), draw(st.sampled_from([p for p in POOLS if p <= size.y])))
    pooled = XY(size.x // pool.x, size.y // pool.y)
    if crop:
        origin = XY(draw(st.integers(0, pooled.x - 1)), draw(st.integers(0, pooled.y - 1)))
        cut = XY(draw(st.integers(origin.x, pooled.x - 1)), draw(st.integers(origin.y, pooled.y - 1)))
        mirror, diagonal = XY(int(draw(st.booleans())), int(draw(st.booleans()))), draw(st.booleans())
    else:
        origin, cut, mirror, diagonal = XY(0, 0), XY(pooled.x - 1, pooled.y - 1), XY(0, 0), False
    polarity = draw(st.sampled_from(["both", "merge", "on", "off"]))
    dvs = DvsInput("host", size, polarity, pool, origin, cut, mirror, diagonal, draw(st.booleans()), ())
    width, height = cut.x - origin.x + 1, cut.y - origin.y + 1
    if diagonal:
        width, height = height, width
    return dvs, (2 if polarity == "both" else 1, height, width)


@st.composite
def specs(draw, dvs: Optional[bool] = None, max_layers: int = 4, target: Optional[str] = None, nir: bool = False):
    """A small valid Spec (spike or DVS input, 1..max_layers layers).

    ``nir=True``: only what NIR can express (no DVS crop or mirroring, no readout).
    """
    target = target or draw(st.sampled_from(["speck2fdevkit", "speck2fdevkit", "speck2edevkit", "dynapcnndevkit"]))
    use_dvs = draw(st.booleans()) if dvs is None else dvs
    if use_dvs:
        dvs_input, entry = _dvs_input(draw, crop=not nir)
    else:
        dvs_input, entry = None, (draw(st.integers(1, 3)), draw(st.integers(1, 11)), draw(st.integers(1, 11)))
    # nodes: name -> output (F, H, W) before pooling; outgoing edges are collected per source
    shapes = {"input": entry}
    out_edges = {"input": []}
    layers = []
    for i in range(draw(st.integers(1, max_layers))):
        name = f"l{i}"
        quantize = draw(st.booleans())
        free = [n for n in shapes if len(out_edges[n]) < 2]
        first = draw(st.sampled_from(free[::-1]))  # the newest node first: mostly chains
        options = []  # (source, pooling factor, delivered H, W)
        for source in free:
            F, H, W = shapes[source]
            for p in ([1] if source == "input" else [p for p in POOLS if p <= min(H, W)]):
                options.append((source, p, H // p, W // p))
        p1 = draw(st.sampled_from([o for o in options if o[0] == first]))
        sources = [p1]
        merge = "concat"
        partners = [o for o in options if o[0] != first and o[2:] == p1[2:]]
        if partners and draw(st.booleans()):
            sources.append(draw(st.sampled_from(partners)))
            same_features = shapes[sources[0][0]][0] == shapes[sources[1][0]][0]
            merge = draw(st.sampled_from(["concat", "add"])) if same_features else "concat"
        sources.sort(key=lambda o: list(shapes).index(o[0]))  # source order: input first, then spec order
        features = [shapes[s][0] for s, _, _, _ in sources]
        fixed = [s == "input" for s, _, _, _ in sources]  # the input's edges take no feature_shift
        shifts = _concat_shifts(draw, features, fixed) if merge == "concat" else [None] * len(sources)
        for (source, p, _, _), shift in zip(sources, shifts):
            chain = () if source == "input" else _pool_chain(draw, p, avg_ok=quantize and merge == "concat")
            out_edges[source].append(Edge(name, chain, shift))
        C = _concat_channels(features, shifts) if merge == "concat" else features[0]
        H, W = p1[2], p1[3]
        # a dense kernel covers the map (square: max side, padding <= 7)
        if max(H, W) <= 16 and abs(H - W) <= 14 and draw(st.integers(0, 3)) == 0:
            F = draw(st.integers(1, 4))
            op = Dense(F, draw(st.sampled_from(["chw", "hwc"])))
            weight = _weight(draw, (F, C * H * W), quantize)
            shapes[name] = (F, 1, 1)
        else:
            k = draw(st.integers(1, 4))
            padding = XY(draw(st.integers(0, 2)), draw(st.integers(0, 2)))
            padding = XY(max(padding.x, (k - W + 1) // 2), max(padding.y, (k - H + 1) // 2))  # the kernel must fit
            stride = XY(draw(st.sampled_from([1, 1, 2, 4])), draw(st.sampled_from([1, 1, 2, 4])))
            F = draw(st.integers(1, 3))
            op = Conv(F, k, stride, padding)
            weight = _weight(draw, (F, C, k, k), quantize)
            shapes[name] = (F, (H + 2 * padding.y - k) // stride.y + 1, (W + 2 * padding.x - k) // stride.x + 1)
        out_edges[name] = []
        layers.append(dict(name=name, op=op, weight=weight, neuron=_neuron(draw, quantize, weight), merge=merge,
                           monitor=draw(st.sampled_from([None, None, True, False])), core=None, quantize=quantize))
    for layer in layers:
        layer["to"] = [(e.target, e.feature_shift, e.pool) for e in out_edges[layer["name"]]]
        layer["pool"] = ()
    inputs = [e.target for e in out_edges["input"]]
    if dvs_input is not None:
        dvs_input = replace(dvs_input, edges=tuple(Edge(t) for t in inputs))
    spec = make_spec(entry, layers, target=target, input_to=inputs, dvs=dvs_input)
    exits = [layer for layer in layers if not layer["to"] and shapes[layer["name"]][1:] == (1, 1) and shapes[layer["name"]][0] <= 15]
    if target in READOUT_TARGETS and exits and not nir and draw(st.integers(0, 3)) == 0:
        spec = replace(spec, readout=Readout(draw(st.sampled_from(exits))["name"], 0))
    return spec


@st.composite
def events_for(draw, spec, max_events: int = 60):
    """Seeded random input events covering the spec's whole input (the DVS sensor, or C x H x W)."""
    n = draw(st.integers(0, max_events))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    t = np.sort(rng.integers(0, 1000, n))
    inp = spec.input
    if isinstance(inp, DvsInput):
        return dvs_events(rng.integers(0, inp.size.x, n), rng.integers(0, inp.size.y, n), t, rng.integers(0, 2, n))
    return spike_events(t, rng.integers(0, inp.channels, n), rng.integers(0, inp.width, n), rng.integers(0, inp.height, n))
