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

``_lower`` is the driver: it walks the layers in topological order and passes each rule's result
to the next. Each rule is a function that takes what it needs and returns a value (None where it
refused the layer); what it finds goes to the ``_Report`` it is given.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Dict, List, Optional, Sequence, Set, Tuple, Union

import numpy as np

from .. import chips, memory
from ..config import dvs_output_shape
from ..errors import Diagnostic, Location, SpecError, error, warning
from .network import ChipLayer, DvsEntry, Network, Route, SpikeInput
from ..spec.build import NO_WEIGHT, too_many_layers
from ..spec.model import XY, Conv, Dense, DvsInput, Edge, ExternalInput, LayerSpec, Locator, Readout, Spec

INPUT = "input"

Entry = Union[SpikeInput, DvsEntry]
WeightShape = Tuple[tuple, str]  # (the weight shape a layer's input implies, its meaning)


def lower(spec: Spec, target: Optional[str] = None) -> Tuple[Network, Tuple[Diagnostic, ...]]:
    """Lower a Spec to chip layers for ``target`` (default: the spec's own).

    Returns the network and its warnings; raises SpecError with every error found.
    """
    network, partial = _lower(spec, chips.profile(target or spec.target))
    errors = tuple(d for d in partial.diagnostics if d.severity == "error")
    if errors:
        raise SpecError(errors)
    assert network is not None, "no network only when there are errors"
    return network, tuple(d for d in partial.diagnostics if d.severity != "error")


@dataclass(frozen=True)
class Partial:
    """What lowering got to before it failed: every layer it lowered and every edge it routed."""

    layers: Tuple[ChipLayer, ...]  # no routes attached; the readout layer not yet widened
    pooling: Dict[Tuple[str, str], int]  # (source, target) -> pooling of the edges lowered
    shifts: Dict[Tuple[str, str], int]  # (source, target) -> feature shift, where the target was reached
    weight_shapes: Dict[str, WeightShape]  # layer -> (the weight shape its input implies, its meaning)
    diagnostics: Tuple[Diagnostic, ...]  # errors, then warnings


def lower_partially(spec: Spec, target: Optional[str] = None) -> Partial:
    """Lower as far as possible without raising: what `summary` shows of a network that does not fit,
    and (for a spec loaded without weights) the weight shapes `dynapspec weights` lists."""
    return _lower(spec, chips.profile(target or spec.target))[1]


class _Report:
    """Where the rules put what they find, in the order found: errors fail the compile, warnings do not."""

    def __init__(self, locator: Locator):
        self.locator = locator
        self.errors: List[Diagnostic] = []
        self.warnings: List[Diagnostic] = []

    def error(self, code: str, message: str, path: str, layer: Optional[str] = None) -> None:
        self.errors.append(error(code, message, self.locator.at(path, layer)))

    def warning(self, code: str, message: str, path: str, layer: Optional[str] = None) -> None:
        self.warnings.append(warning(code, message, self.locator.at(path, layer)))


@dataclass(frozen=True)
class _Arrival:
    """What one edge delivers into a layer."""

    source: str
    source_index: int  # the source's position in the spec (-1 for the input): merges go in this order
    features: int
    height: int
    width: int
    weight_factor: float  # product of 1/k^2 over the edge's avg-pool steps
    shift: Optional[int]
    edge: Edge


@dataclass(frozen=True)
class _Merged:
    """A layer's input once its sources are merged."""

    shape: Tuple[int, int, int]  # (C, H, W)
    factors: np.ndarray  # (C,) weight factor of each input feature (average pooling upstream)
    shifts: Dict[str, int]  # source -> the first feature it lands on


@dataclass(frozen=True)
class _Sent:
    """Where a lowered layer's output goes: what each edge delivers, and the edges refused."""

    arrivals: Tuple[Tuple[str, _Arrival], ...]  # (target, what arrives there)
    pooling: Dict[str, int]  # target -> pooling factor of that edge
    failed: Tuple[str, ...]  # targets of edges whose pooling the chip cannot do


@dataclass(frozen=True)
class _Kernel:
    """How a core computes a layer: its (F, C, k, k) weight, stride, padding and output size."""

    weight: np.ndarray
    size: int
    stride: XY
    padding: XY
    output: Tuple[int, int]  # (OH, OW) before pooling


@dataclass(frozen=True)
class _LayerOutcome:
    """A layer lowered (``chip`` is None where it was refused) and the weight shape its input implies
    (None where the input was refused before the weights could be judged)."""

    chip: Optional[ChipLayer]
    weight_shape: Optional[WeightShape]


# ---------------------------------------------------------------- the stage


def _lower(spec: Spec, profile: chips.ChipProfile) -> Tuple[Optional[Network], Partial]:
    """The whole stage: the network (None if any error was found) and what was lowered on the way."""
    report = _Report(spec.locator)
    if len(spec.layers) > len(profile.cores):
        report.error("too-many-layers", too_many_layers(len(spec.layers), len(profile.cores)), "layers")
    order = _topological_order(spec.layers, report)
    entry = None if order is None else _lower_input(spec.input, profile.limits, report)
    if entry is None or order is None:  # every layer's shape depends on the input's
        lowered = Partial((), {}, {}, {}, ())
    else:
        lowered = _lower_layers(spec, order, entry, profile, report)
    network = None if report.errors or entry is None else _connect(spec, lowered, entry, profile, report)
    return network, replace(lowered, diagnostics=tuple(report.errors) + tuple(report.warnings))


def _lower_layers(
    spec: Spec, order: List[LayerSpec], entry: Entry, profile: chips.ChipProfile, report: _Report
) -> Partial:
    """Each layer in topological order: merge what reaches it, lower it, send its output on.

    A layer downstream of one that failed is not judged (no cascades of follow-up errors).
    """
    layers: List[ChipLayer] = []
    pooling: Dict[Tuple[str, str], int] = {}  # (source, target) -> pooling factor of that edge
    shifts: Dict[Tuple[str, str], int] = {}  # (source, target) -> feature shift
    weight_shapes: Dict[str, WeightShape] = {}
    arrivals: Dict[str, List[_Arrival]] = {layer.name: [] for layer in spec.layers}
    for target, arrival in _input_arrivals(spec.input, entry):
        arrivals[target].append(arrival)
    reachable = set(entry.targets)
    blocked: Set[str] = set()  # layers downstream of one that failed: not checked further
    for layer in order:
        if layer.name in blocked:
            blocked.update(edge.target for edge in layer.edges)
            continue
        if layer.name not in reachable:
            _unreachable(layer, report)
            continue
        merged = _merge(layer, arrivals[layer.name], profile.limits, report)
        if merged is None:
            blocked.update(edge.target for edge in layer.edges)
            continue
        shifts.update({(source, layer.name): shift for source, shift in merged.shifts.items()})
        outcome = _lower_layer(layer, merged, profile, spec.spec_file, report)
        if outcome.weight_shape is not None:
            weight_shapes[layer.name] = outcome.weight_shape
        if outcome.chip is None:
            blocked.update(edge.target for edge in layer.edges)
            continue
        layers.append(outcome.chip)
        reachable.update(edge.target for edge in layer.edges)
        sent = _send(layer, outcome.chip, profile.limits, report)
        pooling.update({(layer.name, target): factor for target, factor in sent.pooling.items()})
        for target, arrival in sent.arrivals:
            arrivals[target].append(arrival)
        blocked.update(sent.failed)
    return Partial(tuple(layers), pooling, shifts, weight_shapes, ())


def _connect(spec: Spec, lowered: Partial, entry: Entry, profile: chips.ChipProfile, report: _Report) -> Optional[Network]:
    """The network once every layer is lowered: routes with their shifts, the readout, the monitor check."""
    layers = [replace(layer, routes=_routes(spec.layer(layer.name), lowered.pooling, lowered.shifts))
              for layer in lowered.layers]
    if spec.readout is not None:
        layers = [_feed_readout(layer, spec.readout, profile, report) if layer.name == spec.readout.layer else layer
                  for layer in layers]
    if report.errors:
        return None
    _check_monitored(layers, entry, report)
    return Network(spec.name, profile.target, entry, tuple(layers))


# ---------------------------------------------------------------- graph


def _topological_order(layers: Sequence[LayerSpec], report: _Report) -> Optional[List[LayerSpec]]:
    """Kahn's algorithm, ties broken by spec order; a cycle is reported with its members."""
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
    cycle = _find_cycle(by_name, {n for n, d in indegree.items() if d > 0})
    first = by_name[cycle[0]]
    report.error(
        "cycle",
        f"the layers form a cycle {' -> '.join(cycle + [cycle[0]])}; the chip runs only acyclic networks "
        "(recurrence can deadlock it)",
        first.path,
        first.name,
    )
    return None


def _find_cycle(by_name: Dict[str, LayerSpec], candidates: Set[str]) -> List[str]:
    """A cycle among ``candidates`` (layers left with inputs by Kahn's algorithm), from the first in spec order."""
    start = min(candidates, key=lambda n: by_name[n].index)
    path, seen = [start], {start}
    while True:
        nxt = next(e.target for e in by_name[path[-1]].edges if e.target in candidates)
        if nxt in seen:
            return path[path.index(nxt):]
        path.append(nxt)
        seen.add(nxt)


def _unreachable(layer: LayerSpec, report: _Report) -> None:
    report.error(
        "unreachable",
        f"layer {layer.name} receives nothing from the input, so it can never spike; "
        "add it to some layer's `to:` list or remove it",
        layer.path,
        layer.name,
    )


# ---------------------------------------------------------------- input


def _lower_input(spec_input: Union[ExternalInput, DvsInput], limits: chips.Limits, report: _Report) -> Optional[Entry]:
    """The network's entry (host spikes or the DVS layer), or None if its shape is refused."""
    targets = tuple(edge.target for edge in spec_input.edges)
    if isinstance(spec_input, ExternalInput):
        shape = (spec_input.channels, spec_input.height, spec_input.width)
        if not _map_fits(shape[1], shape[2], limits.input_size, "input-size", "input", spec_input.path + ".shape", report):
            return None
        return SpikeInput(shape, targets)
    if not _dvs_crop_fits(spec_input, report):
        return None
    merge = spec_input.polarity != "both"
    shape = dvs_output_shape(spec_input.origin, spec_input.cut, spec_input.mirror_diagonal, merge)
    return DvsEntry(spec_input, shape, targets)


def _input_arrivals(spec_input: Union[ExternalInput, DvsInput], entry: Entry) -> List[Tuple[str, _Arrival]]:
    """What the input delivers to each of its targets: its whole map, unpooled."""
    C, H, W = entry.shape if isinstance(entry, SpikeInput) else entry.output_shape
    return [(edge.target, _Arrival(INPUT, -1, C, H, W, 1.0, edge.feature_shift, edge)) for edge in spec_input.edges]


def _dvs_crop_fits(dvs: DvsInput, report: _Report) -> bool:
    """Whether the crop lies inside the pooled sensor, on each axis (U06)."""
    pooled = XY(dvs.size.x // dvs.pool.x, dvs.size.y // dvs.pool.y)
    fits = True
    for axis in ("x", "y"):
        origin, cut, size = getattr(dvs.origin, axis), getattr(dvs.cut, axis), getattr(pooled, axis)
        if not 0 <= origin <= cut < size:
            fits = False
            report.error(
                "dvs-config",
                f"crop {axis}: origin {origin}, cut {cut} (inclusive) must satisfy 0 <= origin <= cut < {size}, "
                f"the pooled sensor size along {axis} ({getattr(dvs.size, axis)} pixels / pool "
                f"{getattr(dvs.pool, axis)}; the crop is in pooled pixels, U06)",
                dvs.path + ".crop",
            )
    return fits


def _map_fits(
    height: int, width: int, bounds: Tuple[int, int], code: str, what: str, path: str, report: _Report,
    layer: Optional[str] = None,
) -> bool:
    low, high = bounds
    if low <= height <= high and low <= width <= high:
        return True
    report.error(code, f"{what} is {height}x{width} (HxW); the chip allows {low}..{high} on each axis", path, layer)
    return False


# ---------------------------------------------------------------- merging a layer's sources


def _merge(layer: LayerSpec, arrivals: List[_Arrival], limits: chips.Limits, report: _Report) -> Optional[_Merged]:
    """Combine a layer's arrivals, in source order, into its input map; None if they do not fit together."""
    arrivals = sorted(arrivals, key=lambda a: a.source_index)
    sizes = {(a.height, a.width) for a in arrivals}
    if len(sizes) > 1:
        described = ", ".join(f"{a.source} {a.height}x{a.width}" for a in arrivals)
        report.error(
            "fan-in-shape",
            f"{layer.name} receives maps of different sizes ({described}, HxW after pooling); "
            "every source must deliver the same x/y size (adjust pooling, stride or padding)",
            layer.path,
            layer.name,
        )
        return None
    height, width = sizes.pop()
    if layer.merge == "add":
        return _add_merge(layer, arrivals, height, width, report)
    return _concat_merge(layer, arrivals, height, width, limits.features[1], report)


def _add_merge(layer: LayerSpec, arrivals: List[_Arrival], height: int, width: int, report: _Report) -> Optional[_Merged]:
    """``merge: add``: every source lands on features 0.., so their feature counts and pooling scales agree."""
    for a in arrivals:
        if a.shift not in (None, 0):
            report.error(
                "feature-overlap",
                f"{layer.name} has `merge: add`, so every source lands on features 0..; "
                f"the edge from {a.source} asks for feature_shift {a.shift}",
                a.edge.path,
                layer.name,
            )
    counts = {a.features for a in arrivals}
    if len(counts) > 1:
        described = ", ".join(f"{a.source} {a.features}" for a in arrivals)
        report.error(
            "feature-overlap",
            f"{layer.name} adds its sources channel by channel, but they have different feature counts "
            f"({described}); use `merge: concat` or match the counts",
            layer.path,
            layer.name,
        )
        return None
    if len({a.weight_factor for a in arrivals}) > 1:
        report.error(
            "pool-scale-conflict",
            f"{layer.name} adds sources with different average-pooling factors into the same channels; "
            "no single weight scale is exact (use sum pooling, or `merge: concat`)",
            layer.path,
            layer.name,
        )
        return None
    channels = counts.pop()
    factors = np.full(channels, arrivals[0].weight_factor)
    return _Merged((channels, height, width), factors, {a.source: 0 for a in arrivals})


def _concat_merge(
    layer: LayerSpec, arrivals: List[_Arrival], height: int, width: int, max_features: int, report: _Report
) -> Optional[_Merged]:
    """``merge: concat``: the sources' features stacked, each from its shift (or right after the previous source)."""
    ranges = []
    offset = 0
    for a in arrivals:
        shift = offset if a.shift is None else a.shift
        ranges.append((shift, shift + a.features, a))
        offset = shift + a.features
    ranges.sort(key=lambda r: r[0])
    for (s0, e0, a0), (s1, e1, a1) in zip(ranges, ranges[1:]):
        if s1 < e0:
            report.error(
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
        report.warning(
            "feature-gap",
            f"{layer.name} has {channels} input features but its sources fill only {covered} "
            f"({', '.join(f'{a.source} [{s}, {e})' for s, e, a in ranges)}); the others never receive a spike",
            layer.path,
            layer.name,
        )
    for start, end, a in ranges:
        if start < 0 or end > max_features:
            report.error(
                "feature-shift-range",
                f"{a.source} -> {layer.name}: features land on [{start}, {end}); the chip allows 0..{max_features - 1} (U05)",
                a.edge.path,
                layer.name,
            )
            return None
    factors = np.ones(channels)
    for start, end, a in ranges:
        factors[start:end] = a.weight_factor
    return _Merged((channels, height, width), factors, {a.source: start for start, _, a in ranges})


# ---------------------------------------------------------------- one layer


def _lower_layer(
    layer: LayerSpec, merged: _Merged, profile: chips.ChipProfile, spec_file: str, report: _Report
) -> _LayerOutcome:
    """A layer as a core runs it, from its merged input; the checks in the order a user fixes them."""
    (C, H, W), limits, name, path = merged.shape, profile.limits, layer.name, layer.path
    if not _map_fits(H, W, limits.input_size, "input-size", f"{name}'s input map", path, report, name):
        return _LayerOutcome(None, None)
    if C > limits.features[1]:
        report.error(
            "features-range", f"{name} receives {C} input features; the chip allows at most {limits.features[1]}", path, name
        )
        return _LayerOutcome(None, None)
    if isinstance(layer.op, Dense) and not _dense_kernel_fits(layer, C, H, W, limits, report):
        return _LayerOutcome(None, None)
    expected = _weight_shape(layer.op, C, H, W)
    weight = _checked_weight(layer, expected, spec_file, report)
    if weight is None:
        return _LayerOutcome(None, expected)
    if isinstance(layer.op, Conv):
        kernel = _conv_kernel(layer, layer.op, H, W, weight, report)
    else:
        kernel = _dense_kernel(layer, layer.op, C, H, W, weight, profile, report)
    if kernel is None or not _map_fits(
        *kernel.output, limits.output_size, "output-size", f"{name}'s output map before pooling", path, report, name
    ):
        return _LayerOutcome(None, expected)
    return _LayerOutcome(_chip_layer(layer, merged, kernel, report.locator.at(path, name)), expected)


def _weight_shape(op: Union[Conv, Dense], C: int, H: int, W: int) -> WeightShape:
    """The weight shape a layer's (C, H, W) input implies, and what its axes mean."""
    if isinstance(op, Conv):
        k = op.kernel
        return (op.channels, C, k, k), f"(channels, input features, kernel, kernel) with {C} input features"
    return (op.features, C * H * W), f"(features, {C}*{H}*{W} inputs in {op.input_order.upper()} order)"


def _checked_weight(layer: LayerSpec, expected: WeightShape, spec_file: str, report: _Report) -> Optional[np.ndarray]:
    """The layer's weight if it has the shape its input implies; zeros of that shape for a spec
    loaded without its weights."""
    shape, meaning = expected
    if layer.weight is NO_WEIGHT:
        return np.zeros(shape)
    got = tuple(layer.weight.shape)
    if got == shape:
        return layer.weight
    report.error(
        "weights-shape",
        f"dataset {layer.weight_dataset} has shape {got}; {layer.name} needs {shape} = {meaning} "
        f"(`dynapspec weights {spec_file}` lists every dataset's shape)",
        layer.path,
        layer.name,
    )
    return None


def _conv_kernel(layer: LayerSpec, conv: Conv, H: int, W: int, weight: np.ndarray, report: _Report) -> Optional[_Kernel]:
    OH, OW = conv.output_size(H, W)
    if OH < 1 or OW < 1:
        report.error(
            "kernel-too-large",
            f"{layer.name}: kernel {conv.kernel} with padding ({conv.padding.y}, {conv.padding.x}) does not fit its "
            f"{H}x{W} input; the kernel must be at most input + 2*padding on each axis",
            layer.path + ".conv.kernel",
            layer.name,
        )
        return None
    return _Kernel(weight, conv.kernel, conv.stride, conv.padding, (OH, OW))


def _dense_kernel_fits(layer: LayerSpec, C: int, H: int, W: int, limits: chips.Limits, report: _Report) -> bool:
    """Whether a dense layer's kernel, which covers its whole input map, is within the chip's kernel sizes."""
    k = max(H, W)
    if k <= limits.kernel[1]:
        return True
    report.error(
        "kernel-range",
        f"{layer.name} reads a {C}x{H}x{W} map, so its kernel would be {k}x{k}; the chip allows kernels up to "
        f"{limits.kernel[1]} (pool or stride upstream)",
        layer.path,
        layer.name,
    )
    return False


def _dense_kernel(
    layer: LayerSpec, dense: Dense, C: int, H: int, W: int, columns: np.ndarray, profile: chips.ChipProfile,
    report: _Report,
) -> Optional[_Kernel]:
    """A dense layer as the square conv that reads its whole input map once (output 1x1)."""
    if H != W and not _square_dense_fits(layer, C, dense.features, H, W, profile, report):
        return None
    odd_stride = min(s for s in profile.limits.strides if s > 1)
    weight, stride, padding = square_dense(dense_as_conv(columns, C, H, W, dense.input_order), odd_stride)
    return _Kernel(weight, max(H, W), stride, padding, (1, 1))


def _square_dense_fits(
    layer: LayerSpec, C: int, F: int, H: int, W: int, profile: chips.ChipProfile, report: _Report
) -> bool:
    """Whether the chip can run a dense layer after an H x W map (H != W) as a square conv.

    Two limits bind: the padding on the short axis (``square_dense``) and the kernel memory of
    the k x k kernel, which can be twice that of the H x W one (the area rounds up to a power of 2).
    """
    k = max(H, W)
    axis, pad = ("y (height)", dense_padding(H, W).y) if H < W else ("x (width)", dense_padding(H, W).x)
    max_pad = profile.limits.padding[1]
    needed = memory.layer_memory(C, F, k, 1, 1).kernel
    largest = max(core.kernel for core in profile.cores)
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
        report.error(
            "dense-not-square",
            f"{layer.name} reads a {C}x{H}x{W} map; chip kernels are square, so it runs as a {k}x{k} kernel with zero "
            f"rows or columns and padding on the short axis, but " + "; and ".join(problems),
            layer.path,
            layer.name,
        )
    return not problems


def _chip_layer(layer: LayerSpec, merged: _Merged, kernel: _Kernel, location: Location) -> ChipLayer:
    """The ChipLayer record: the kernel with each input feature's pooling factor folded into its weights."""
    C, H, W = merged.shape
    F = kernel.weight.shape[0]
    OH, OW = kernel.output
    return ChipLayer(
        name=layer.name,
        index=layer.index,
        input_shape=(C, H, W),
        output_shape=(F, OH, OW),
        kernel=kernel.size,
        stride=kernel.stride,
        padding=kernel.padding,
        weight=kernel.weight * merged.factors[None, :, None, None],
        threshold_high=layer.neuron.threshold,
        threshold_low=layer.neuron.low_threshold,
        return_to_zero=layer.neuron.reset == "zero",
        routes=(),
        sources=tuple(sorted(merged.shifts, key=lambda source: merged.shifts[source])),
        monitor=layer.monitor if layer.monitor is not None else not layer.edges,
        core_pin=layer.core,
        quantize=layer.quantize,
        memory=memory.layer_memory(C, F, kernel.size, OH, OW),
        location=location,
    )


# ---------------------------------------------------------------- edges


def _send(layer: LayerSpec, lowered: ChipLayer, limits: chips.Limits, report: _Report) -> _Sent:
    """Deliver a lowered layer's output along its edges, pooled."""
    F, OH, OW = lowered.output_shape
    arrivals, pooling, failed = [], {}, []
    for edge in layer.edges:
        pooled = _edge_pooling(layer, edge, limits, report)
        if pooled is None:
            failed.append(edge.target)
            continue
        factor, weight_factor = pooled
        pooling[edge.target] = factor
        if OH % factor or OW % factor:
            report.warning(
                "pool-remainder",
                f"{layer.name} -> {edge.target}: a {OH}x{OW} map pooled by {factor} keeps "
                f"{OH // factor}x{OW // factor}; spikes in the last {OH % factor} row(s) / {OW % factor} "
                "column(s) are dropped (U04)",
                edge.path or layer.path,
                layer.name,
            )
        arrival = _Arrival(layer.name, layer.index, F, OH // factor, OW // factor, weight_factor, edge.feature_shift, edge)
        arrivals.append((edge.target, arrival))
    if lowered.monitor and any(factor > 1 for factor in pooling.values()):
        report.warning(
            "monitor-pooled",
            f"{layer.name} is monitored and pools on its way out: the host sees its spikes in its own "
            f"{OH}x{OW} coordinates, before pooling (U16)",
            layer.path,
            layer.name,
        )
    return _Sent(tuple(arrivals), pooling, tuple(failed))


def _edge_pooling(layer: LayerSpec, edge: Edge, limits: chips.Limits, report: _Report) -> Optional[Tuple[int, float]]:
    """An edge's pooling chain as (the one factor the chip pools by, the weight factor of its avg steps)."""
    factor, weight_factor = 1, 1.0
    for step in edge.pool:
        factor *= step.factor
        if step.mode == "avg":
            weight_factor /= step.factor * step.factor
    if factor not in limits.pooling:
        steps = " then ".join(f"{s.mode} {s.factor}" for s in edge.pool)
        report.error(
            "pool-product",
            f"pooling {steps} on the edge {layer.name} -> {edge.target} multiplies to {factor}; "
            f"a core destination pools by one factor in {set(limits.pooling)}",
            edge.path or layer.path,
            layer.name,
        )
        return None
    return factor, weight_factor


def _routes(layer: LayerSpec, pooling: Dict[Tuple[str, str], int], shifts: Dict[Tuple[str, str], int]) -> Tuple[Route, ...]:
    """A layer's chip destinations, once every layer's input (so every feature shift) is known."""
    return tuple(
        Route(edge.target, pooling[(layer.name, edge.target)], shifts[(layer.name, edge.target)]) for edge in layer.edges
    )


# ---------------------------------------------------------------- the network's output


def _feed_readout(layer: ChipLayer, readout: Readout, profile: chips.ChipProfile, report: _Report) -> ChipLayer:
    """Route an exit layer to the readout; widen it for the 2e/2f erratum (class k <- feature s(k-1))."""
    if not profile.has_readout:
        report.error("readout-config", f"{profile.target} has no readout layer", readout.path)
        return layer
    classes = layer.output_shape[0]
    if layer.routes or classes > profile.readout_max_classes or layer.output_shape[1:] != (1, 1):
        report.error(
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


def _check_monitored(layers: Sequence[ChipLayer], entry: Entry, report: _Report) -> None:
    """Warn when a run would send nothing back to the host."""
    dvs_monitored = isinstance(entry, DvsEntry) and entry.settings.monitor
    if not any(layer.monitor or layer.feeds_readout for layer in layers) and not dvs_monitored:
        report.warning(
            "nothing-monitored",
            "no layer is monitored and nothing feeds the readout, so a run sends nothing back to the host; "
            "set `monitor: true` on the layer whose spikes you want",
            "layers",
        )


# ---------------------------------------------------------------- dense layers as convs


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
