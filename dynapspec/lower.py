"""Stage 2, lower: the Spec as chip layers — graph checks, shapes, dense -> conv, pooling on edges.

Every problem found is collected and raised at once. Rules (docs/chip.md sections 3 and 4):
- the layer graph is acyclic, every layer is reachable from the input, at most one layer per core;
- a conv output is ``O = (I + 2p - k) // s + 1`` per axis, inputs <= 128 and outputs <= 64;
- a dense layer after a (C, H, W) map is a conv whose kernel covers the map, its weight columns
  read in C,H,W order (or H,W,C when the spec says ``input_order: hwc``); chip kernels are square,
  so a non-square map gets a kernel of its longer side, zero on the short axis (``square_dense``);
- pooling lives on edges; a chain multiplies and must give 1, 2 or 4; average pooling becomes sum
  pooling plus a ``1/k^2`` factor on the receiving layer's weights for that source's channels;
- several sources into one layer must deliver the same x/y size; ``concat`` stacks their features
  (shifts assigned in source order unless given), ``add`` sums them in the same channels.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Dict, List, Optional, Set, Tuple

import numpy as np

from . import chips, memory
from .errors import Diagnostic, SpecError, error, warning
from .network import ChipLayer, DvsEntry, Network, Route, SpikeInput
from .spec.build import NO_WEIGHT, too_many_layers
from .spec.model import XY, Conv, DvsInput, Edge, ExternalInput, LayerSpec, Spec

INPUT = "input"


@dataclass(frozen=True)
class _Arrival:
    """What one edge delivers into a layer."""

    source: str
    features: int
    height: int
    width: int
    pooling: int
    weight_factor: float  # product of 1/k^2 over the edge's avg-pool steps
    shift: Optional[int]
    edge: Edge


def lower(spec: Spec, target: Optional[str] = None) -> Tuple[Network, Tuple[Diagnostic, ...]]:
    """Lower a Spec to chip layers for ``target`` (default: the spec's own).

    Returns the network and its warnings; raises SpecError with every error found.
    """
    lowering = _Lowering(spec, chips.profile(target or spec.target))
    network = lowering.run()
    if lowering.diagnostics:
        raise SpecError(lowering.diagnostics)
    assert network is not None, "no network only when there are errors"
    return network, tuple(lowering.warnings)


@dataclass(frozen=True)
class Partial:
    """What lowering got to before it failed: every layer it lowered and every edge it routed."""

    layers: Tuple[ChipLayer, ...]  # no routes attached; the readout layer not yet widened
    pooling: Dict[Tuple[str, str], int]  # (source, target) -> pooling of the edges lowered
    shifts: Dict[Tuple[str, str], int]  # (source, target) -> feature shift, where the target was reached
    weight_shapes: Dict[str, Tuple[tuple, str]]  # layer -> (the weight shape its input implies, its meaning)
    diagnostics: Tuple[Diagnostic, ...]  # errors, then warnings


def lower_partially(spec: Spec, target: Optional[str] = None) -> Partial:
    """Lower as far as possible without raising: what `summary` shows of a network that does not fit,
    and (for a spec loaded without weights) the weight shapes `dynapspec weights` lists."""
    lowering = _Lowering(spec, chips.profile(target or spec.target))
    lowering.run()
    return Partial(
        tuple(lowering.lowered), dict(lowering.pooling), dict(lowering.shifts), dict(lowering.weight_shapes),
        tuple(lowering.diagnostics) + tuple(lowering.warnings),
    )


class _Lowering:
    def __init__(self, spec: Spec, profile: chips.ChipProfile):
        self.spec = spec
        self.profile = profile
        self.limits = profile.limits
        self.diagnostics: List[Diagnostic] = []
        self.warnings: List[Diagnostic] = []
        self.shifts: Dict[Tuple[str, str], int] = {}  # (source, target) -> feature shift
        self.pooling: Dict[Tuple[str, str], int] = {}  # (source, target) -> pooling factor of that edge
        self.lowered: List[ChipLayer] = []  # every layer lowered so far (lower_partially)
        self.weight_shapes: Dict[str, Tuple[tuple, str]] = {}  # layer -> (weight shape, its meaning)

    # -- helpers
    def _at(self, path: str, layer: Optional[str] = None):
        return self.spec.locator.at(path, layer)

    def _fail(self, code: str, message: str, path: str, layer: Optional[str] = None) -> None:
        self.diagnostics.append(error(code, message, self._at(path, layer)))

    # -- the stage
    def run(self) -> Optional[Network]:
        spec = self.spec
        if len(spec.layers) > len(self.profile.cores):
            self._fail("too-many-layers", too_many_layers(len(spec.layers), len(self.profile.cores)), "layers")
        order = self._topological_order()
        if order is None:
            return None
        before = len(self.diagnostics)
        entry, entry_shape = self._lower_input()
        if len(self.diagnostics) > before:
            return None  # every layer's shape depends on the input's
        arrivals: Dict[str, List[_Arrival]] = {layer.name: [] for layer in spec.layers}
        reachable = set(entry.targets)
        for edge in spec.input.edges:
            arrivals[edge.target].append(
                _Arrival(INPUT, entry_shape[0], entry_shape[1], entry_shape[2], 1, 1.0, edge.feature_shift, edge)
            )
        layers: List[ChipLayer] = []
        blocked: Set[str] = set()  # layers downstream of one that failed: not checked further
        for layer in order:
            if layer.name in blocked:
                blocked.update(edge.target for edge in layer.edges)
                continue
            if layer.name not in reachable:
                self._fail(
                    "unreachable",
                    f"layer {layer.name} receives nothing from the input, so it can never spike; "
                    "add it to some layer's `to:` list or remove it",
                    layer.path,
                    layer.name,
                )
                continue
            lowered = self._lower_layer(layer, arrivals[layer.name])
            if lowered is None:
                blocked.update(edge.target for edge in layer.edges)
                continue
            layers.append(lowered)
            self.lowered.append(lowered)
            reachable.update(edge.target for edge in layer.edges)
            blocked.update(self._send(layer, lowered, arrivals))
        if self.diagnostics:
            return None
        layers = self._attach_routes(layers)
        if spec.readout is not None:
            layers = [self._feed_readout(layer) if layer.name == spec.readout.layer else layer for layer in layers]
        if self.diagnostics:
            return None
        dvs_monitored = isinstance(entry, DvsEntry) and entry.settings.monitor
        if not any(layer.monitor or layer.feeds_readout for layer in layers) and not dvs_monitored:
            self.warnings.append(warning(
                "nothing-monitored",
                "no layer is monitored and nothing feeds the readout, so a run sends nothing back to the host; "
                "set `monitor: true` on the layer whose spikes you want",
                self._at("layers"),
            ))
        return Network(spec.name, self.profile.target, entry, tuple(layers))

    def _send(self, layer: LayerSpec, lowered: ChipLayer, arrivals: Dict[str, List[_Arrival]]) -> List[str]:
        """Deliver a lowered layer's output along its edges; returns the targets of edges that failed."""
        F, OH, OW = lowered.output_shape
        failed = []
        for edge in layer.edges:
            pooled = self._edge_pooling(layer, edge)
            if pooled is None:
                failed.append(edge.target)
                continue
            factor, weight_factor = pooled
            self.pooling[(layer.name, edge.target)] = factor
            if OH % factor or OW % factor:
                self.warnings.append(warning(
                    "pool-remainder",
                    f"{layer.name} -> {edge.target}: a {OH}x{OW} map pooled by {factor} keeps "
                    f"{OH // factor}x{OW // factor}; spikes in the last {OH % factor} row(s) / {OW % factor} "
                    "column(s) are dropped (U04)",
                    self._at(edge.path or layer.path, layer.name),
                ))
            arrivals[edge.target].append(
                _Arrival(layer.name, F, OH // factor, OW // factor, factor, weight_factor, edge.feature_shift, edge)
            )
        if lowered.monitor and any(self.pooling.get((layer.name, e.target), 1) > 1 for e in layer.edges):
            self.warnings.append(warning(
                "monitor-pooled",
                f"{layer.name} is monitored and pools on its way out: the host sees its spikes in its own "
                f"{OH}x{OW} coordinates, before pooling (U16)",
                self._at(layer.path, layer.name),
            ))
        return failed

    def _feed_readout(self, layer: ChipLayer) -> ChipLayer:
        """Route an exit layer to the readout; widen it for the 2e/2f erratum (class k <- feature s(k-1))."""
        readout, profile = self.spec.readout, self.profile
        assert readout is not None, "called for a spec with a readout"
        if not profile.has_readout:
            self._fail("readout-config", f"{profile.target} has no readout layer", readout.path)
            return layer
        classes = layer.output_shape[0]
        if layer.routes or classes > profile.readout_max_classes or layer.output_shape[1:] != (1, 1):
            self._fail(
                "readout-config",
                f"the readout reads an exit layer of at most {profile.readout_max_classes} features on a 1x1 map; "
                f"{layer.name} has {classes} features on {layer.output_shape[1]}x{layer.output_shape[2]}"
                + (" and sends to other layers" if layer.routes else ""),
                readout.path + ".layer",
            )
            return layer
        stride = profile.readout_channel_stride
        F, C = stride * (classes - 1) + 1, layer.input_shape[0]
        weight = np.zeros((F,) + layer.weight.shape[1:])
        weight[::stride] = layer.weight
        return replace(
            layer,
            weight=weight,
            output_shape=(F, 1, 1),
            memory=memory.layer_memory(C, F, layer.kernel, 1, 1),
            feeds_readout=True,
        )

    # -- graph
    def _topological_order(self) -> Optional[List[LayerSpec]]:
        """Kahn's algorithm, ties broken by spec order; a cycle is reported with its members."""
        layers = self.spec.layers
        by_name = {layer.name: layer for layer in layers}
        indegree = {layer.name: 0 for layer in layers}
        for layer in layers:
            for edge in layer.edges:
                if edge.target in indegree:
                    indegree[edge.target] += 1
        ready = [layer.name for layer in layers if indegree[layer.name] == 0]
        order: List[LayerSpec] = []
        while ready:
            ready.sort(key=lambda n: by_name[n].index)
            name = ready.pop(0)
            order.append(by_name[name])
            for edge in by_name[name].edges:
                if edge.target in indegree:
                    indegree[edge.target] -= 1
                    if indegree[edge.target] == 0:
                        ready.append(edge.target)
        if len(order) == len(layers):
            return order
        cycle = self._find_cycle({n for n, d in indegree.items() if d > 0})
        first = by_name[cycle[0]]
        self._fail(
            "cycle",
            f"the layers form a cycle {' -> '.join(cycle + [cycle[0]])}; the chip runs only acyclic networks "
            "(recurrence can deadlock it)",
            first.path,
            first.name,
        )
        return None

    def _find_cycle(self, candidates: set) -> List[str]:
        by_name = {layer.name: layer for layer in self.spec.layers}
        start = min(candidates, key=lambda n: by_name[n].index)
        path, seen = [start], {start}
        while True:
            nxt = next(e.target for e in by_name[path[-1]].edges if e.target in candidates)
            if nxt in seen:
                return path[path.index(nxt):]
            path.append(nxt)
            seen.add(nxt)

    # -- input
    def _lower_input(self):
        spec_input = self.spec.input
        targets = tuple(edge.target for edge in spec_input.edges)
        if isinstance(spec_input, ExternalInput):
            shape = (spec_input.channels, spec_input.height, spec_input.width)
            self._check_map(shape[1], shape[2], self.limits.input_size, "input-size", "input", spec_input.path + ".shape")
            return SpikeInput(shape, targets), shape
        shape = self._dvs_output_shape(spec_input)
        return DvsEntry(spec_input, shape, targets), shape

    def _dvs_output_shape(self, dvs: DvsInput) -> Tuple[int, int, int]:
        pooled = XY(dvs.size.x // dvs.pool.x, dvs.size.y // dvs.pool.y)
        for axis in ("x", "y"):
            origin, cut, size = getattr(dvs.origin, axis), getattr(dvs.cut, axis), getattr(pooled, axis)
            if not 0 <= origin <= cut < size:
                self._fail(
                    "dvs-config",
                    f"crop {axis}: origin {origin}, cut {cut} (inclusive) must satisfy 0 <= origin <= cut < {size}, "
                    f"the pooled sensor size along {axis} ({getattr(dvs.size, axis)} pixels / pool "
                    f"{getattr(dvs.pool, axis)}; the crop is in pooled pixels, U06)",
                    dvs.path + ".crop",
                )
        width = dvs.cut.x - dvs.origin.x + 1
        height = dvs.cut.y - dvs.origin.y + 1
        if dvs.mirror_diagonal:
            width, height = height, width
        features = 2 if dvs.polarity == "both" else 1
        return (features, height, width)

    # -- layers
    def _edge_pooling(self, layer: LayerSpec, edge: Edge) -> Optional[Tuple[int, float]]:
        factor, weight_factor = 1, 1.0
        for step in edge.pool:
            factor *= step.factor
            if step.mode == "avg":
                weight_factor /= step.factor * step.factor
        if factor not in self.limits.pooling:
            steps = " then ".join(f"{s.mode} {s.factor}" for s in edge.pool)
            self._fail(
                "pool-product",
                f"pooling {steps} on the edge {layer.name} -> {edge.target} multiplies to {factor}; "
                f"a core destination pools by one factor in {set(self.limits.pooling)}",
                edge.path or layer.path,
                layer.name,
            )
            return None
        return factor, weight_factor

    def _check_map(self, height: int, width: int, bounds, code: str, what: str, path: str, layer=None) -> bool:
        low, high = bounds
        if low <= height <= high and low <= width <= high:
            return True
        self._fail(code, f"{what} is {height}x{width} (HxW); the chip allows {low}..{high} on each axis", path, layer)
        return False

    def _gather(self, layer: LayerSpec, arrivals: List[_Arrival]):
        """Combine a layer's arrivals: (C, H, W), per-channel weight factors and each source's shift."""
        order = {INPUT: -1, **{layer.name: layer.index for layer in self.spec.layers}}
        arrivals = sorted(arrivals, key=lambda a: order[a.source])
        sizes = {(a.height, a.width) for a in arrivals}
        if len(sizes) > 1:
            described = ", ".join(f"{a.source} {a.height}x{a.width}" for a in arrivals)
            self._fail(
                "fan-in-shape",
                f"{layer.name} receives maps of different sizes ({described}, HxW after pooling); "
                "every source must deliver the same x/y size (adjust pooling, stride or padding)",
                layer.path,
                layer.name,
            )
            return None
        height, width = sizes.pop()
        shifts: Dict[str, int] = {}
        if layer.merge == "add":
            counts = {a.features for a in arrivals}
            for a in arrivals:
                if a.shift not in (None, 0):
                    self._fail(
                        "feature-overlap",
                        f"{layer.name} has `merge: add`, so every source lands on features 0..; "
                        f"the edge from {a.source} asks for feature_shift {a.shift}",
                        a.edge.path,
                        layer.name,
                    )
            if len(counts) > 1:
                described = ", ".join(f"{a.source} {a.features}" for a in arrivals)
                self._fail(
                    "feature-overlap",
                    f"{layer.name} adds its sources channel by channel, but they have different feature counts "
                    f"({described}); use `merge: concat` or match the counts",
                    layer.path,
                    layer.name,
                )
                return None
            channels = counts.pop()
            if len({a.weight_factor for a in arrivals}) > 1:
                self._fail(
                    "pool-scale-conflict",
                    f"{layer.name} adds sources with different average-pooling factors into the same channels; "
                    "no single weight scale is exact (use sum pooling, or `merge: concat`)",
                    layer.path,
                    layer.name,
                )
                return None
            factors = np.full(channels, arrivals[0].weight_factor)
            shifts = {a.source: 0 for a in arrivals}
            self.shifts.update({(a.source, layer.name): 0 for a in arrivals})
            return (channels, height, width), factors, shifts
        offset = 0
        ranges = []
        for a in arrivals:
            shift = offset if a.shift is None else a.shift
            ranges.append((shift, shift + a.features, a))
            shifts[a.source] = shift
            offset = shift + a.features
        ranges.sort(key=lambda r: r[0])
        for (s0, e0, a0), (s1, e1, a1) in zip(ranges, ranges[1:]):
            if s1 < e0:
                self._fail(
                    "feature-overlap",
                    f"{layer.name}: features of {a0.source} [{s0}, {e0}) and {a1.source} [{s1}, {e1}) overlap; "
                    "give disjoint feature_shift values, or write `merge: add` to sum them on purpose",
                    a1.edge.path,
                    layer.name,
                )
                return None
        channels = max(end for _, end, _ in ranges)
        covered = sum(end - start for start, end, _ in ranges)
        if covered < channels:
            self.warnings.append(warning(
                "feature-gap",
                f"{layer.name} has {channels} input features but its sources fill only {covered} "
                f"({', '.join(f'{a.source} [{s}, {e})' for s, e, a in ranges)}); the others never receive a spike",
                self._at(layer.path, layer.name),
            ))
        high = self.limits.features[1]
        for start, end, a in ranges:
            if start < 0 or end > high:
                self._fail(
                    "feature-shift-range",
                    f"{a.source} -> {layer.name}: features land on [{start}, {end}); the chip allows 0..{high - 1} (U05)",
                    a.edge.path,
                    layer.name,
                )
                return None
        factors = np.ones(channels)
        for start, end, a in ranges:
            factors[start:end] = a.weight_factor
            self.shifts[(a.source, layer.name)] = start
        return (channels, height, width), factors, shifts

    def _lower_layer(self, layer: LayerSpec, arrivals: List[_Arrival]) -> Optional[ChipLayer]:
        gathered = self._gather(layer, arrivals)
        if gathered is None:
            return None
        (C, H, W), factors, shifts = gathered
        name, path = layer.name, layer.path
        if not self._check_map(H, W, self.limits.input_size, "input-size", f"{name}'s input map", path, name):
            return None
        if C > self.limits.features[1]:
            self._fail(
                "features-range",
                f"{name} receives {C} input features; the chip allows at most {self.limits.features[1]}",
                path,
                name,
            )
            return None
        if isinstance(layer.op, Conv):
            conv = layer.op
            k, stride, padding = conv.kernel, conv.stride, conv.padding
            F = conv.channels
            weight = self._weight(layer, (F, C, k, k), f"(channels, input features, kernel, kernel) with {C} input features")
            if weight is None:
                return None
            OH, OW = conv.output_size(H, W)
            if OH < 1 or OW < 1:
                self._fail(
                    "kernel-too-large",
                    f"{name}: kernel {k} with padding ({padding.y}, {padding.x}) does not fit its {H}x{W} input; "
                    f"the kernel must be at most input + 2*padding on each axis",
                    path + ".conv.kernel",
                    name,
                )
                return None
        else:
            dense = layer.op
            F = dense.features
            k = max(H, W)
            if k > self.limits.kernel[1]:
                self._fail(
                    "kernel-range",
                    f"{name} reads a {C}x{H}x{W} map, so its kernel would be {k}x{k}; the chip allows kernels up to "
                    f"{self.limits.kernel[1]} (pool or stride upstream)",
                    path,
                    name,
                )
                return None
            columns = self._weight(layer, (F, C * H * W), f"(features, {C}*{H}*{W} inputs in {dense.input_order.upper()} order)")
            if columns is None:
                return None
            if H != W and not self._square_dense_fits(name, path, C, F, H, W):
                return None
            weight, stride, padding = square_dense(
                dense_as_conv(columns, C, H, W, dense.input_order), min(s for s in self.limits.strides if s > 1)
            )
            OH = OW = 1
        if not self._check_map(OH, OW, self.limits.output_size, "output-size", f"{name}'s output map before pooling", path, name):
            return None
        weight = weight * factors[None, :, None, None]
        return ChipLayer(
            name=name,
            index=layer.index,
            input_shape=(C, H, W),
            output_shape=(F, OH, OW),
            kernel=k,
            stride=stride,
            padding=padding,
            weight=weight,
            threshold_high=layer.neuron.threshold,
            threshold_low=layer.neuron.low_threshold,
            return_to_zero=layer.neuron.reset == "zero",
            routes=(),
            sources=tuple(sorted(shifts, key=shifts.get)),
            monitor=layer.monitor if layer.monitor is not None else not layer.edges,
            core_pin=layer.core,
            quantize=layer.quantize,
            memory=memory.layer_memory(C, F, k, OH, OW),
            location=self._at(path, name),
        )

    def _square_dense_fits(self, name: str, path: str, C: int, F: int, H: int, W: int) -> bool:
        """Whether the chip can run a dense layer after an H x W map (H != W) as a square conv.

        Two limits bind: the padding on the short axis (``square_dense``) and the kernel memory of
        the k x k kernel, which can be twice that of the H x W one (the area rounds up to a power of 2).
        """
        k = max(H, W)
        axis, pad = ("y (height)", dense_padding(H, W).y) if H < W else ("x (width)", dense_padding(H, W).x)
        max_pad = self.limits.padding[1]
        needed = memory.layer_memory(C, F, k, 1, 1).kernel
        largest = max(core.kernel for core in self.profile.cores)
        problems = []
        if pad > max_pad:
            problems.append(
                f"it needs padding {pad} on {axis}, the chip allows at most {max_pad} (the map's sides may differ "
                f"by at most {2 * max_pad}; pool, stride or crop the long side upstream)"
            )
        if needed > largest:
            problems.append(
                f"its {k}x{k} kernel needs {needed} kernel entries ({C} input features x area {k * k} rounded up "
                f"to {2 ** memory.clog2(k * k)} x {F} features rounded up to {2 ** memory.clog2(F)}), more than the "
                f"largest core's {largest} (fewer features, or a smaller or square map upstream)"
            )
        if problems:
            self._fail(
                "dense-not-square",
                f"{name} reads a {C}x{H}x{W} map; chip kernels are square, so it runs as a {k}x{k} kernel with zero "
                f"rows or columns and padding on the short axis, but " + "; and ".join(problems),
                path,
                name,
            )
        return not problems

    def _weight(self, layer: LayerSpec, expected: tuple, meaning: str) -> Optional[np.ndarray]:
        """The layer's weight if it has the shape its input implies; zeros of that shape for a spec
        loaded without its weights. Every shape asked for is kept in ``self.weight_shapes``."""
        self.weight_shapes[layer.name] = (expected, meaning)
        if layer.weight is NO_WEIGHT:
            return np.zeros(expected)
        got = tuple(layer.weight.shape)
        if got == expected:
            return layer.weight
        self._fail(
            "weights-shape",
            f"dataset {layer.weight_dataset} has shape {got}; {layer.name} needs {expected} = {meaning} "
            f"(`dynapspec weights {self.spec.spec_file}` lists every dataset's shape)",
            layer.path,
            layer.name,
        )
        return None

    def _attach_routes(self, layers: List[ChipLayer]) -> List[ChipLayer]:
        """Now every layer's input is known, give each source its routes with their feature shifts."""
        out = []
        for layer in layers:
            spec_layer = self.spec.layer(layer.name)
            routes = tuple(
                Route(edge.target, self.pooling[(layer.name, edge.target)], self.shifts[(layer.name, edge.target)])
                for edge in spec_layer.edges
            )
            out.append(replace(layer, routes=routes))
        return out


def square_dense(weight: np.ndarray, odd_stride: int) -> Tuple[np.ndarray, XY, XY]:
    """A dense layer's (F, C, H, W) kernel as the chip's square one: (weight, stride, padding).

    Chip kernels are k x k. With k = max(H, W), the short axis gets padding p = ceil((k - short)/2)
    at both ends and the map's rows (or columns) sit at kernel rows p .. p + short - 1, the rest
    zero: the one output position sees input row h at kernel row h + p, exactly the dense weight.
    The output size is (short + 2p - k) // s + 1, which is 1 with stride 1 when k - short is even;
    when it is odd, 2p - (k - short) = 1 and a stride of ``odd_stride`` (>= 2) keeps it at 1.
    A square map passes through unchanged (stride 1, no padding).
    """
    F, C, H, W = weight.shape
    k, pad = max(H, W), dense_padding(H, W)
    square = np.zeros((F, C, k, k), dtype=weight.dtype)
    square[:, :, pad.y:pad.y + H, pad.x:pad.x + W] = weight
    stride = XY(odd_stride if (k - W) % 2 else 1, odd_stride if (k - H) % 2 else 1)
    return square, stride, pad


def dense_padding(H: int, W: int) -> XY:
    """Padding of a dense layer's square kernel after an H x W map: ceil((k - side) / 2) per axis."""
    k = max(H, W)
    return XY((k - W + 1) // 2, (k - H + 1) // 2)


def dense_as_conv(weight: np.ndarray, C: int, H: int, W: int, order: str) -> np.ndarray:
    """(F, C*H*W) -> (F, C, H, W): conv[o][c][h][w] = dense[o][(c*H + h)*W + w] (chw order)."""
    F = weight.shape[0]
    if order == "hwc":
        return weight.reshape(F, H, W, C).transpose(0, 3, 1, 2)
    return weight.reshape(F, C, H, W)
