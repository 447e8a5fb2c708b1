"""`dynapspec export`: a spec -> a NIR graph other frameworks load (nir, sinabs, snnTorch, Norse).

Each layer becomes a Conv2d or Linear node (zero bias left out: Linear, not Affine; a dense layer
that sends to a Conv2d is the Conv2d it is on the chip, as NIR cannot reshape (F,) into a map)
followed by an IF node with the layer's threshold in every neuron and ``v_reset = 0``; pooling on an edge becomes
SumPool2d / AvgPool2d nodes, and a Flatten precedes a Linear that receives a map. Shapes come from
the compiler's lower stage, so every node carries complete types (nir's type check passes).

Node names: a layer with one source keeps its name on the weight node and ``<name>__if`` on its
IF node; a layer stacking several sources (``merge: concat``) is written as one weight node per
source (``<name>__from__<source>``, its slice of the weight columns) into the IF node ``<name>``,
because NIR sums a node's inputs and has no concatenation. The importer reads both back exactly.

What NIR cannot say and dynapspec keeps in node metadata (other readers ignore it): the reset mode
and the floor of each IF node, and the DVS input's source and polarity. DVS crop and mirroring,
core pins, the readout and ``quantize`` have no NIR form and are not exported.
"""
from __future__ import annotations

import functools
from typing import Any, Dict, List, Tuple

import numpy as np

from ..errors import SpecError, error
from ..compiler.lower import dense_as_conv, lower, square_dense
from ..compiler.network import ChipLayer, DvsEntry
from ..spec import load
from ..spec.model import Dense, DvsInput, LayerSpec, Spec
from . import hdf5
from .from_graph import unique_name
from .nodes import META_DVS, META_LOW_THRESHOLD, META_RESET

NodeTable = Dict[str, Tuple[str, Dict[str, Any], Dict[str, Any]]]


def _compact(weight: np.ndarray) -> np.ndarray:
    """float32 when that loses nothing (the usual case), else float64: the import must be exact."""
    w32 = weight.astype(np.float32)
    return w32 if np.array_equal(w32, weight) else weight.astype(np.float64)


class _Exporter:
    def __init__(self, spec: Spec):
        self.spec = spec
        network, _ = lower(spec)
        self.chip: Dict[str, ChipLayer] = {layer.name: layer for layer in network.layers}
        self.entry = network.input
        self.nodes: NodeTable = {}
        self.edges: List[Tuple[str, str]] = []
        self.names = functools.partial(unique_name, taken=set())  # first come first served
        self.synapse: Dict[Tuple[str, str], str] = {}  # (source, layer) -> weight node
        self.neuron: Dict[str, str] = {}  # layer -> IF node

    def shape_out(self, name: str) -> Tuple[int, ...]:
        """Shape of a layer's spikes as NIR sees them: (F,) for a Linear node, (F, OH, OW) for a Conv2d."""
        layer = self.spec.layer(name)
        _, oh, ow = self.chip[name].output_shape
        if isinstance(layer.op, Dense) and self.linear(layer):
            return (layer.op.features,)
        return (layer.op.features if isinstance(layer.op, Dense) else layer.op.channels, oh, ow)

    def linear(self, layer: LayerSpec) -> bool:
        """A dense layer is a Linear node unless it sends to a Conv2d node: a Conv2d reads a (C, H, W)
        map and NIR cannot reshape a Linear's (F,) output into one, so it is written as the Conv2d it
        is on the chip (a kernel covering its input map, output F x 1 x 1)."""
        return isinstance(layer.op, Dense) and all(self.linear(self.spec.layer(edge.target)) for edge in layer.edges)

    def sources(self, layer: LayerSpec) -> List[Tuple[str, int, Tuple[int, int, int]]]:
        """(source, feature shift, delivered (C, H, W)) for each source of ``layer``, in feature order."""
        chip = self.chip[layer.name]
        out = []
        for src in chip.sources:
            if src == "input":
                edge = next(e for e in self.spec.input.edges if e.target == layer.name)
                shift, delivered = edge.feature_shift or 0, self.entry_shape()
            else:
                route = next(r for r in self.chip[src].routes if r.target == layer.name)
                _, oh, ow = self.chip[src].output_shape  # its features may be widened for the readout
                f = self.shape_out(src)[0]
                shift, delivered = route.feature_shift, (f, oh // route.pooling, ow // route.pooling)
            out.append((src, shift, delivered))
        return sorted(out, key=lambda s: s[1])

    def entry_shape(self) -> Tuple[int, int, int]:
        if isinstance(self.entry, DvsEntry):
            return self.entry.output_shape
        return self.entry.shape

    def layer(self, layer: LayerSpec) -> None:
        chip = self.chip[layer.name]
        sources = self.sources(layer)
        stacked = layer.merge == "concat" and len(sources) > 1
        weight = _columns_chw(layer, chip.input_shape)
        if stacked:
            for src, shift, (c, h, w) in sources:
                node = self.names(f"{layer.name}__from__{src}")
                self.synapse[(src, layer.name)] = node
                self.nodes[node] = self.weight_node(layer, weight[:, shift:shift + c], (h, w))
        else:  # one source, or several added into the same channels: NIR sums a node's inputs
            if layer.merge == "concat":  # one source, maybe shifted: the weight columns it reaches
                _, shift, (c, _, _) = sources[0]
                weight = weight[:, shift:shift + c]
            node = self.names(layer.name)
            self.nodes[node] = self.weight_node(layer, weight, chip.input_shape[1:])
            self.synapse.update({(src, layer.name): node for src, _, _ in sources})
        neuron = self.names(layer.name if stacked else f"{layer.name}__if")
        self.neuron[layer.name] = neuron
        shape = self.shape_out(layer.name)
        n = layer.neuron
        meta: Dict[str, Any] = {META_RESET: n.reset}
        if n.low_threshold is not None:
            meta[META_LOW_THRESHOLD] = float(n.low_threshold)
        params = {
            "r": np.ones(shape, dtype=np.float32),
            "v_threshold": _compact(np.full(shape, n.threshold, dtype=np.float64)),
            "v_reset": np.zeros(shape, dtype=np.float32),
        }
        self.nodes[neuron] = ("IF", params, meta)
        for node in dict.fromkeys(self.synapse[(src, layer.name)] for src, _, _ in sources):
            self.edges.append((node, neuron))

    def weight_node(self, layer: LayerSpec, weight: np.ndarray, hw: Tuple[int, int]):
        if self.linear(layer):
            return ("Linear", {"weight": _compact(weight.reshape(weight.shape[0], -1))}, {})
        op, chip = layer.op, self.chip[layer.name]
        stride, padding = chip.stride, chip.padding  # a dense layer's: the chip's square form (lower.square_dense)
        if isinstance(op, Dense):  # nir infers a Conv2d's output from a k x k kernel (weight.shape[2] only)
            weight = square_dense(weight, max(stride.x, stride.y))[0]  # the kernel only; stride and padding as above
        return ("Conv2d", {
            "weight": _compact(weight),
            "stride": np.array([stride.y, stride.x]),
            "padding": np.array([padding.y, padding.x]),
            "dilation": np.array([1, 1]),
            "groups": np.array(1),
            "bias": np.zeros(weight.shape[0], dtype=np.float32),
            "input_shape": np.array(hw),
        }, {})

    def connect(self, tail: str, source: str, layer: LayerSpec, pool, delivered: Tuple[int, ...]) -> None:
        """Nodes on the way from ``tail`` (the source's last node) into ``layer``'s weight node."""
        for i, step in enumerate(pool):
            node = self.names(f"{source}__to__{layer.name}__pool{i}")
            self.nodes[node] = _pool_node(step.mode, step.factor, step.factor)
            self.edges.append((tail, node))
            tail = node
        if self.linear(layer) and len(delivered) == 3:
            node = self.names(f"{source}__to__{layer.name}__flatten")
            self.nodes[node] = ("Flatten", {"start_dim": np.array(0), "end_dim": np.array(-1),
                                            "input_type": np.array(delivered)}, {})
            self.edges.append((tail, node))
            tail = node
        self.edges.append((tail, self.synapse[(source, layer.name)]))

    def input_node(self) -> str:
        inp = self.spec.input
        if not isinstance(inp, DvsInput):
            self.nodes[self.names("input")] = ("Input", {"shape": np.array(self.entry_shape())}, {})
            return "input"
        self.refuse_dvs_extras(inp)
        channels = 2 if inp.polarity == "both" else 1
        meta = {META_DVS: f"{inp.source} {inp.polarity}"}
        self.nodes[self.names("input")] = ("Input", {"shape": np.array([channels, inp.size.y, inp.size.x])}, meta)
        if (inp.pool.x, inp.pool.y) == (1, 1):
            return "input"
        node = self.names("input__pool")
        self.nodes[node] = _pool_node("sum", inp.pool.y, inp.pool.x)
        self.edges.append(("input", node))
        return node

    def refuse_dvs_extras(self, inp: DvsInput) -> None:
        full = (inp.size.x // inp.pool.x - 1, inp.size.y // inp.pool.y - 1)
        extras = []
        if (inp.origin.x, inp.origin.y) != (0, 0) or (inp.cut.x, inp.cut.y) != full:
            extras.append("crop")
        if inp.mirror.x or inp.mirror.y or inp.mirror_diagonal:
            extras.append("mirroring")
        if extras:
            raise SpecError([error(
                "nir-unsupported",
                f"the DVS input uses {' and '.join(extras)}, which NIR cannot express; export a copy of the spec "
                "without them (and crop/mirror the events before they reach the network)",
                self.spec.locator.at(inp.path),
            )])

    def run(self) -> Tuple[NodeTable, List[Tuple[str, str]]]:
        tail = self.input_node()
        for layer in self.spec.layers:
            self.layer(layer)
        for edge in self.spec.input.edges:
            layer = self.spec.layer(edge.target)
            self.connect(tail, "input", layer, (), self.entry_shape())
        outputs = [layer for layer in self.spec.layers if self.chip[layer.name].monitor]
        for layer in self.spec.layers:
            for edge in layer.edges:
                target = self.spec.layer(edge.target)
                delivered = next(d for s, _, d in self.sources(target) if s == layer.name)
                shape = delivered if len(self.shape_out(layer.name)) == 3 else self.shape_out(layer.name)
                self.connect(self.neuron[layer.name], layer.name, target, edge.pool, shape)
        for layer in outputs:
            node = self.names("output" if len(outputs) == 1 else f"{layer.name}__output")
            self.nodes[node] = ("Output", {"shape": np.array(self.shape_out(layer.name))}, {})
            self.edges.append((self.neuron[layer.name], node))
        return self.nodes, self.edges


def _pool_node(mode: str, kh: int, kw: int):
    """A SumPool2d or AvgPool2d node over non-overlapping kh x kw windows."""
    k = np.array([kh, kw])
    kind = "SumPool2d" if mode == "sum" else "AvgPool2d"
    return (kind, {"kernel_size": k, "stride": k, "padding": np.array([0, 0])}, {})


def _columns_chw(layer: LayerSpec, input_shape: Tuple[int, int, int]) -> np.ndarray:
    """The weight with input features first: conv (F, C, k, k); dense (F, C, H, W) in C,H,W order."""
    weight = np.asarray(layer.weight)
    if not isinstance(layer.op, Dense):
        return weight
    return dense_as_conv(weight, *input_shape, layer.op.input_order)


def to_graph(spec: Spec) -> Tuple[NodeTable, List[Tuple[str, str]]]:
    """The NIR nodes (name -> (type, params, metadata)) and edges of a loaded spec."""
    return _Exporter(spec).run()


def write(spec_path, nir_path) -> Spec:
    """Load ``spec_path`` (with its weights) and write it as NIR to ``nir_path``, atomically."""
    spec = load(spec_path)
    nodes, edges = to_graph(spec)
    hdf5.write(nir_path, nodes, edges)
    return spec
