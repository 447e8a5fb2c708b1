"""A spec-level numerical oracle: the network as the spec says it, in plain numpy.

It reads only the :class:`~dynapspec.spec.model.Spec` (the user's words: layer ops, edges,
pooling, neurons, DVS settings, the weights as stored) and runs the quantized network in the
spec's own orientation: weights (F, C, kH, kW) or dense (F, N); maps (C, H, W). Nothing comes
from the configuration document, the compiler's lowered Network or the simulator's tables, so a
compiler that swaps x and y, mis-sizes a map or mis-routes an edge disagrees with it.

Rules, written from the docs (docs/spec.md, docs/compiler.md, docs/simulator.md), not the code:
- a conv output is ``(I + 2p - k) // s + 1`` per axis, cross-correlation with zero padding:
  ``out[f, oy, ox] += W[f, c, y + py - oy*sy, x + px - ox*sx]`` for an input spike (c, y, x);
- a dense layer reads its input map directly: column ``(c*H + h)*W + w`` (chw) or
  ``(h*W + w)*C + c`` (hwc) of its (F, C*H*W) weight;
- an edge pools by the product of its steps (a spike (f, y, x) arrives as (f + shift, y // p,
  x // p), dropped outside the receiver's map); each avg step scales the receiver's weights for
  that source's channels by 1/k^2 before quantization;
- concat stacks sources in order (input first, then spec order), an unshifted source starting right
  after the previous one's range; add lands every source on features 0..;
- quantization: per layer, ``s = min(s(W, 8), s(thresholds, 16))`` with
  ``s(T, b) = |qmax / max T|`` if ``|min T| <= |max T| * |qmin| / qmax`` else ``|qmin / min T|``;
  thresholds are [high] without a floor (the floor is then -32768), else [low, high]; values are
  rounded half to even; ``quantize: false`` uses the integers as given;
- a neuron: ``V = sat16(V + w)``; ``V >= high`` emits one spike and subtracts ``high`` (or sets 0);
  then ``V = max(V, low)``. On DYNAP-CNN a zero weight is killed (skipped), elsewhere it is an
  update (U21). Order (U23): input events in file order, one core event updates oy, then ox, then f,
  and every spike is followed depth-first, destination by destination, before the next one;
- the DVS layer: polarity (both: feature p; merge: 0; "on"/"off": only p = 1 / p = 0, as feature
  0) -> pool x // px, y // py -> keep origin <= (x, y) <= cut, minus origin -> mirror within the
  crop -> diagonal swap (U06-U08); its spikes go to its targets unpooled and unshifted;
- the readout (Speck 2e/2f) widens its n-class exit layer: class k is feature 4(k - 1).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import numpy as np

from dynapspec.spec.model import Conv, Dense, DvsInput, Spec

INPUT = "input"
STATE_MIN, STATE_MAX = -(2**15), 2**15 - 1
READOUT_CLASS_STRIDE = 4  # docs/spec.md "The readout layer is widened"
KILLS_ZERO_WEIGHTS = {"dynapcnndevkit"}  # targets whose zero weights are killed, not updates (U21)


def scale_of(values, bits: int) -> float:
    """The docs' scale rule for one tensor (+inf when every value is 0)."""
    qmax, qmin = 2 ** (bits - 1) - 1, -(2 ** (bits - 1))
    values = np.asarray(values, dtype=np.float64)
    top, bottom = float(values.max()), float(values.min())
    if top == 0.0 and bottom == 0.0:
        return float("inf")
    if abs(bottom) <= abs(top) * abs(qmin) / qmax:
        return abs(qmax / top)
    return abs(qmin / bottom)


@dataclass
class Arrival:
    source: str
    features: int
    pooling: int
    avg_factor: float  # product of 1/k^2 over the edge's avg steps
    shift: Optional[int] = None  # None: assigned when the receiver is built (concatenation order)


@dataclass
class Layer:
    name: str
    op: object
    in_shape: Tuple[int, int, int]  # (C, H, W)
    out_shape: Tuple[int, int, int]  # (F, OH, OW) before pooling
    weight: np.ndarray  # integer; conv (F, C, kH, kW), dense (F, C*H*W) in the spec's column order
    high: int
    low: int
    reset_zero: bool
    scale: float
    routes: List[Tuple[str, int, int]]  # (target, pooling, shift) in edge order
    monitor: bool
    readout: bool = False
    v: np.ndarray = field(default=None)


class Oracle:
    """``run(events)`` returns (rows, counts, states) for the network the spec describes."""

    def __init__(self, spec: Spec):
        self.spec = spec
        self.kill_zero = spec.target in KILLS_ZERO_WEIGHTS
        inp = spec.input
        if isinstance(inp, DvsInput):
            width = inp.cut.x - inp.origin.x + 1
            height = inp.cut.y - inp.origin.y + 1
            if inp.mirror_diagonal:
                width, height = height, width
            self.entry_shape = (2 if inp.polarity == "both" else 1, height, width)
        else:
            self.entry_shape = (inp.channels, inp.height, inp.width)
        arrivals: Dict[str, List[Arrival]] = {layer.name: [] for layer in spec.layers}
        for edge in inp.edges:
            arrivals[edge.target].append(Arrival(INPUT, self.entry_shape[0], 1, 1.0, edge.feature_shift))
        self.entry_targets = [edge.target for edge in inp.edges]
        self.delivered: Dict[Tuple[str, str], Tuple[int, int]] = {
            (INPUT, t): self.entry_shape[1:] for t in self.entry_targets
        }
        self.remainders: List[Tuple[str, str]] = []  # edges whose map is not a multiple of the pooling
        self.layers: Dict[str, Layer] = {}
        self.incoming: Dict[str, List[Tuple[str, int, int]]] = {}  # layer -> (source, shift, features)
        shifts: Dict[Tuple[str, str], int] = {}
        order = {INPUT: -1, **{layer.name: layer.index for layer in spec.layers}}
        pending = list(spec.layers)
        while pending:  # build each layer once all its sources are built (the graph is acyclic)
            ready = next(layer for layer in pending if self._sources_built(layer.name))
            pending.remove(ready)
            incoming = sorted(arrivals[ready.name], key=lambda a: order[a.source])
            layer = self._build(ready, incoming)
            self.incoming[ready.name] = [(a.source, a.shift, a.features) for a in incoming]
            for a in incoming:
                shifts[(a.source, ready.name)] = a.shift
            self.layers[ready.name] = layer
            F, OH, OW = layer.out_shape
            for edge in ready.edges:
                pooling, avg = 1, 1.0
                for step in edge.pool:
                    pooling *= step.factor
                    if step.mode == "avg":
                        avg /= step.factor**2
                if OH % pooling or OW % pooling:
                    self.remainders.append((ready.name, edge.target))
                arrivals[edge.target].append(Arrival(ready.name, self._spec_features(ready), pooling, avg,
                                                     edge.feature_shift))
                self.delivered[(ready.name, edge.target)] = (OH // pooling, OW // pooling)
                layer.routes.append((edge.target, pooling, None))
        for layer in self.layers.values():
            layer.routes = [(t, p, shifts[(layer.name, t)]) for t, p, _ in layer.routes]
        self.input_shifts = {t: shifts[(INPUT, t)] for t in self.entry_targets}
        self.reset()

    def _spec_features(self, layer) -> int:
        return layer.op.channels if isinstance(layer.op, Conv) else layer.op.features

    def _sources_built(self, name: str) -> bool:
        feeding = [layer.name for layer in self.spec.layers if any(e.target == name for e in layer.edges)]
        return all(src in self.layers for src in feeding)

    def _build(self, spec_layer, incoming: List[Arrival]) -> Layer:
        name = spec_layer.name
        sizes = {self.delivered[(a.source, name)] for a in incoming}
        assert len(sizes) == 1, f"{name}: sources deliver different sizes {sizes} (not a valid spec)"
        H, W = sizes.pop()
        factor_of_channel: Dict[int, float] = {}
        if spec_layer.merge == "add":
            C = incoming[0].features
            for a in incoming:
                a.shift = 0
                factor_of_channel.update({c: a.avg_factor for c in range(C)})
        else:
            offset = 0
            for a in incoming:
                a.shift = offset if a.shift is None else a.shift
                offset = a.shift + a.features
                factor_of_channel.update({a.shift + c: a.avg_factor for c in range(a.features)})
            C = max(a.shift + a.features for a in incoming)
        weight = np.asarray(spec_layer.weight, dtype=np.float64)
        op = spec_layer.op
        if isinstance(op, Conv):
            k = op.kernel
            assert weight.shape == (op.channels, C, k, k), (name, weight.shape)
            OH = (H + 2 * op.padding.y - k) // op.stride.y + 1
            OW = (W + 2 * op.padding.x - k) // op.stride.x + 1
            per_channel = np.array([factor_of_channel.get(c, 1.0) for c in range(C)])
            weight = weight * per_channel[None, :, None, None]
            F = op.channels
        else:
            assert weight.shape == (op.features, C * H * W), (name, weight.shape)
            columns = np.empty(C * H * W)
            for c in range(C):
                for h in range(H):
                    for w in range(W):
                        columns[self._column(op, C, H, W, c, h, w)] = factor_of_channel.get(c, 1.0)
            weight = weight * columns[None, :]
            F, OH, OW = op.features, 1, 1
        neuron = spec_layer.neuron
        if spec_layer.quantize:
            thresholds = [neuron.threshold] if neuron.low_threshold is None else [neuron.low_threshold, neuron.threshold]
            scale = min(scale_of(weight, 8), scale_of(thresholds, 16))
            q = np.rint(weight * scale)
            high = int(np.rint(neuron.threshold * scale))
            low = STATE_MIN if neuron.low_threshold is None else int(np.rint(neuron.low_threshold * scale))
        else:
            scale, q = 1.0, weight
            high = int(neuron.threshold)
            low = STATE_MIN if neuron.low_threshold is None else int(neuron.low_threshold)
        assert np.array_equal(q, np.rint(q)) and -128 <= q.min() and q.max() <= 127, f"{name}: not int8"
        readout = self.spec.readout is not None and self.spec.readout.layer == name
        monitor = spec_layer.monitor if spec_layer.monitor is not None else not spec_layer.edges
        return Layer(name, op, (C, H, W), (F, OH, OW), q.astype(np.int64), high, low, neuron.reset == "zero",
                     float(scale), [], monitor, readout)

    @staticmethod
    def _column(op: Dense, C: int, H: int, W: int, c: int, h: int, w: int) -> int:
        if op.input_order == "hwc":
            return (h * W + w) * C + c
        return (c * H + h) * W + w

    # -- running
    def reset(self) -> None:
        for layer in self.layers.values():
            layer.v = np.zeros(layer.out_shape, dtype=np.int64)

    def run(self, events) -> Tuple[List[tuple], Dict[str, int], Dict[str, np.ndarray]]:
        """Rows (t, layer, f, x, y) of every spike in emission order (monitored or not; the DVS
        layer as "dvs"), spikes per layer, and the final states (F, H, W) per layer."""
        self.rows: List[tuple] = []
        self.counts = {name: 0 for name in self.layers}
        dvs = isinstance(self.spec.input, DvsInput)
        if dvs:
            self.counts["dvs"] = 0
        for e in events:
            self.t = int(e["t"])
            if dvs:
                self._dvs_event(int(e["x"]), int(e["y"]), int(e["p"]))
            else:
                for target in self.entry_targets:
                    self._deliver(target, int(e["c"]) + self.input_shifts[target], int(e["y"]), int(e["x"]))
        states = {name: self._widened(layer, layer.v) for name, layer in self.layers.items()}
        return self.rows, self.counts, states

    def monitored(self) -> set:
        """Layers whose spikes the chip sends to the host by default (and "dvs" if asked)."""
        names = {name for name, layer in self.layers.items() if layer.monitor}
        if isinstance(self.spec.input, DvsInput) and self.spec.input.monitor:
            names.add("dvs")
        return names

    def _dvs_event(self, x: int, y: int, p: int) -> None:
        d = self.spec.input
        if d.polarity == "on" and p != 1 or d.polarity == "off" and p != 0:
            return
        c = p if d.polarity == "both" else 0
        x, y = x // d.pool.x, y // d.pool.y
        if not (d.origin.x <= x <= d.cut.x and d.origin.y <= y <= d.cut.y):
            return
        x, y = x - d.origin.x, y - d.origin.y
        if d.mirror.x:
            x = (d.cut.x - d.origin.x) - x
        if d.mirror.y:
            y = (d.cut.y - d.origin.y) - y
        if d.mirror_diagonal:
            x, y = y, x
        self.counts["dvs"] += 1
        self.rows.append((self.t, "dvs", c, x, y))
        for target in self.entry_targets:
            self._deliver(target, c + self.input_shifts[target], y, x)

    def _deliver(self, name: str, c: int, y: int, x: int) -> None:
        """One spike (c, y, x) arriving at layer ``name``: update, then follow each new spike.

        One event touches each neuron at most once, so its updates are done together; spikes are
        then followed in the chip's order: oy, then ox, then f (U23)."""
        layer = self.layers[name]
        C, H, W = layer.in_shape
        if not (c < C and y < H and x < W):
            return  # pooled or shifted past the receiver's input (U04)
        F, OH, OW = layer.out_shape
        if isinstance(layer.op, Conv):
            op = layer.op
            i = y + op.padding.y - np.arange(OH) * op.stride.y  # kernel row for each oy
            j = x + op.padding.x - np.arange(OW) * op.stride.x  # kernel column for each ox
            oy, ox = np.nonzero(((i >= 0) & (i < op.kernel))[:, None] & ((j >= 0) & (j < op.kernel))[None, :])
            w = layer.weight[:, c, i[oy], j[ox]]  # (F, positions); nonzero() lists oy, then ox, ascending
        else:
            oy, ox = np.zeros(1, dtype=int), np.zeros(1, dtype=int)
            w = layer.weight[:, [self._column(layer.op, C, H, W, c, y, x)]]
        before = layer.v[:, oy, ox]
        v = np.clip(before + w, STATE_MIN, STATE_MAX)
        spike = v >= layer.high
        v = np.where(spike, 0 if layer.reset_zero else v - layer.high, v)
        v = np.maximum(v, layer.low)
        if self.kill_zero:  # a killed (zero) weight is no update at all
            spike &= w != 0
            v = np.where(w != 0, v, before)
        layer.v[:, oy, ox] = v
        for p, f in zip(*np.nonzero(spike.T)):  # by position, then feature
            self._spike(layer, int(f), int(oy[p]), int(ox[p]))

    def _spike(self, layer: Layer, f: int, oy: int, ox: int) -> None:
        self.counts[layer.name] += 1
        shown = READOUT_CLASS_STRIDE * f if layer.readout else f
        self.rows.append((self.t, layer.name, shown, ox, oy))
        for target, pooling, shift in layer.routes:
            self._deliver(target, f + shift, oy // pooling, ox // pooling)

    @staticmethod
    def _widened(layer: Layer, v: np.ndarray) -> np.ndarray:
        if not layer.readout:
            return v.copy()
        wide = np.zeros(((v.shape[0] - 1) * READOUT_CLASS_STRIDE + 1,) + v.shape[1:], dtype=np.int64)
        wide[::READOUT_CLASS_STRIDE] = v
        return wide


# -- the comparison ----------------------------------------------------------------------------------

def assert_matches_oracle(spec: Spec, events):
    """Compile ``spec``, run ``events`` on the simulator, and compare everything with the oracle:
    shapes, scales and thresholds in the header, pool-remainder warnings, every spike in emission
    order (all layers monitored), spike counts, final states, and what is monitored by default.
    Returns the compile result and the oracle's rows (t, layer, f, x, y)."""
    from dynapspec.compiler import compile_spec
    from dynapspec.sim import Simulator

    result = compile_spec(spec)
    oracle = Oracle(spec)
    header = result.config.header
    for record in header.layers:
        layer = oracle.layers[record.name]
        F, OH, OW = layer.out_shape
        if layer.readout:
            F = (F - 1) * READOUT_CLASS_STRIDE + 1
        assert (record.name, record.input_shape) == (record.name, layer.in_shape), "input shape (C, H, W)"
        assert (record.name, record.output_shape) == (record.name, (F, OH, OW)), "output shape (F, OH, OW)"
        assert abs(record.scale - layer.scale) <= 1e-12 * layer.scale, f"{record.name}: scale"
        assert (record.threshold_high, record.threshold_low) == (layer.high, layer.low), f"{record.name}: thresholds"
    remainders = sorted(w.message.split(":")[0] for w in result.warnings if w.code == "pool-remainder")
    assert remainders == sorted(f"{s} -> {t}" for s, t in oracle.remainders), "pool-remainder warnings"

    rows, counts, states = oracle.run(events)
    names = {record.core: record.name for record in header.layers}
    names[13] = "dvs"  # the DVS layer's spikes are reported as core 13 (docs/simulator.md)
    sim = Simulator(result.config)
    got = sim.run(events, monitor="all", record_states=True)
    out = got.output
    got_rows = [(int(t), names[int(core)], int(c), int(x), int(y))
                for t, core, c, x, y in zip(out["t"], out["core"], out["c"], out["x"], out["y"])]
    assert got_rows == rows, "every spike, in emission order"
    assert got.spike_counts == counts
    for name, v in states.items():  # the simulator reports samna's [f][x][y]
        np.testing.assert_array_equal(got.states[name].transpose(0, 2, 1), v, err_msg=f"{name}: final states")
    sim.reset()
    default = sim.run(events)  # what the chip sends the host: monitored layers only
    watched = oracle.monitored()
    assert [(int(t), names[int(core)]) for t, core in zip(default.output["t"], default.output["core"])] == \
        [(t, name) for t, name, *_ in rows if name in watched], "monitored layers"
    return result, rows
