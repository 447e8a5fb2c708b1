"""NIR graph -> :class:`ImportedNetwork`: layers from the graph's edges (never node order), own shape inference.

A chip layer is one IF node and the Conv2d/Linear/Affine node(s) feeding it. Between layers, paths
of SumPool2d / AvgPool2d / Scale / Flatten nodes become the pooling of a spec edge. A Conv that
receives several sources sums them (``merge: add``); an IF fed by several Conv nodes stacks their
sources' features (``merge: concat``), which is how dynapspec's exporter writes concatenation.
"""
from __future__ import annotations

import heapq
import re
from collections import Counter, defaultdict
from dataclasses import replace
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from .. import limits
from ..errors import Diagnostic, SpecError, error
from ..spec.model import XY, Conv, Dense, PoolStep
from . import nodes as nd
from .hdf5 import RawGraph, param
from .net import DvsIn, ImportedNetwork, NetEdge, NetInput, NetLayer, Shape, shape_text

NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*\Z")
MAX_NAME = 64  # the schema's limit for names


def _natural(name: str):
    """Sort key: digit runs compare as numbers (``conv2`` < ``conv10``), without converting them
    (a name may hold thousands of digits)."""
    return [(0, (len(t.lstrip("0")), t.lstrip("0")), "") if t.isdigit() else (1, (0, ""), t) for t in re.split(r"(\d+)", name) if t]


class _Builder:
    def __init__(self, graph: RawGraph, parts: dict, reset: Optional[str]):
        self.graph = graph
        self.parts = parts
        self.reset_option = reset
        self.succ: Dict[str, List[str]] = defaultdict(list)
        self.pred: Dict[str, List[str]] = defaultdict(list)
        for a, b in graph.edges:
            self.succ[a].append(b)
            self.pred[b].append(a)
        self.diags: List[Diagnostic] = []
        self.notes: List[str] = []
        self.input_paths: List[tuple] = []  # (layer position, layer name, steps, feature shift)

    # -- diagnostics --------------------------------------------------------------------------
    def fail(self, node: str, message: str, code: str = "nir-graph") -> None:
        self.diags.append(error(code, f"node {node!r}: {message}", self.graph.where(node)))

    def stop_if_failed(self) -> None:
        if self.diags:
            raise SpecError(self.diags)

    def kind(self, node: str) -> str:
        return self.graph.nodes[node].type

    # -- graph checks -------------------------------------------------------------------------
    def check_graph(self) -> Tuple[str, List[str]]:
        """The single Input and a topological order; refuses cycles (recurrence) naming them."""
        inputs = [n for n, p in self.parts.items() if isinstance(p, nd.Boundary) and p.kind == "input"]
        if len(inputs) != 1:
            where = inputs[1] if inputs else next(iter(self.graph.nodes), "")
            self.fail(where, f"the graph has {len(inputs)} Input nodes; dynapspec needs exactly one")
            self.stop_if_failed()
        for a, b in self.graph.edges:
            if b == inputs[0]:
                self.fail(a, f"sends to the Input node {b!r}")
            if a == b:
                self.fail(a, "sends to itself (a recurrent edge): the chip runs acyclic networks only; unroll "
                          "the recurrence or drop it")
        self.stop_if_failed()
        order = self.topological()
        return inputs[0], order

    def topological(self) -> List[str]:
        """Kahn's algorithm, taking the ready node that comes first in natural order each time."""
        indeg = {n: len(self.pred[n]) for n in self.graph.nodes}
        ready = [(_natural(n), n) for n, d in indeg.items() if d == 0]
        heapq.heapify(ready)
        order: List[str] = []
        while ready:
            n = heapq.heappop(ready)[1]
            order.append(n)
            for m in self.succ[n]:
                indeg[m] -= 1
                if indeg[m] == 0:
                    heapq.heappush(ready, (_natural(m), m))
        if len(order) < len(self.graph.nodes):
            placed = set(order)
            cyclic = sorted((n for n in self.graph.nodes if n not in placed), key=_natural)
            self.fail(cyclic[0], f"the nodes {limits.listing([repr(c) for c in cyclic])} form or follow a cycle "
                      "(recurrent edges): the chip runs acyclic networks only; unroll the recurrence or drop it")
            self.stop_if_failed()
        return order

    # -- shapes -------------------------------------------------------------------------------
    def infer_shapes(self, input_name: str, order: Sequence[str]) -> Dict[str, Tuple[int, ...]]:
        shapes: Dict[str, Tuple[int, ...]] = {}
        for name in order:
            part = self.parts[name]
            if name == input_name:
                shapes[name] = self.input_shape(name)
                continue
            incoming = [shapes[p] for p in self.pred[name] if p in shapes]
            if not incoming:
                continue  # unreachable from the input: reported when layers are built
            if len({_chw(s) for s in incoming}) > 1:
                self.fail(name, f"receives inputs of different shapes {limits.listing(sorted(set(incoming)))}; NIR adds "
                          "its inputs, which needs one shape")
                continue
            out = self.node_shape(name, part, incoming[0])
            if out is not None:
                shapes[name] = out
        self.stop_if_failed()
        return shapes

    def input_shape(self, name: str) -> Tuple[int, ...]:
        shape = self.parts[name].shape
        if len(shape) == 4 and shape[0] == 1:  # a batch dimension some exporters keep
            shape = shape[1:]
        if len(shape) in (1, 3) and all(v > 0 for v in shape):
            return shape
        if not shape:  # exporter left it empty: take it from the first convolution
            for nxt in self.succ[name]:
                hw = nd.integers(param(self.graph.nodes[nxt], "input_shape"), 1)
                syn = self.parts.get(nxt)
                if isinstance(syn, nd.Synapse) and isinstance(syn.op, Conv) and hw is not None and len(hw) >= 2:
                    h, w = hw[:2]
                    self.notes.append(f"The Input node has no shape; took {syn.in_features}x{h}x{w} from "
                                      f"Conv2d {nxt!r}.")
                    return (syn.in_features, h, w)
        self.fail(name, f"input shape {list(shape)} is not (channels, height, width) or (features,)", "nir-format")
        self.stop_if_failed()
        return shape

    def node_shape(self, name: str, part, shape: Tuple[int, ...]) -> Optional[Tuple[int, ...]]:
        if isinstance(part, nd.Synapse):
            if isinstance(part.op, Dense):
                n = int(np.prod(shape))
                if n != part.in_features:
                    self.fail(name, f"weight takes {part.in_features} inputs but receives {shape_text(shape)} = {n}")
                    return None
                return (part.op.features,)
            c, h, w = _chw(shape)
            if c != part.in_features:
                self.fail(name, f"weight takes {part.in_features} input channels but receives {shape_text(shape)}")
                return None
            op = part.op
            oh, ow = op.output_size(h, w)
            if oh < 1 or ow < 1:
                self.fail(name, f"a {op.kernel}x{op.kernel} kernel does not fit the {h}x{w} input", "nir-graph")
                return None
            return (op.channels, oh, ow)
        if isinstance(part, nd.Step) and part.kind in ("sum", "avg"):
            if len(shape) != 3:
                self.fail(name, f"pools a flat input {shape_text(shape)}; pooling needs (channels, height, width)")
                return None
            c, h, w = shape
            return (c, h // part.kernel[0], w // part.kernel[1])
        if isinstance(part, nd.Step) and part.kind == "flatten":
            return (int(np.prod(shape)),)
        return shape

    # -- structure ----------------------------------------------------------------------------
    def paths(self, source: str) -> List[Tuple[str, Tuple[nd.Step, ...]]]:
        """Every (end node, steps) reachable from ``source`` through pooling/scale/flatten nodes.

        Depth first, in edge order, with an explicit stack: a chain of thousands of Flatten nodes
        needs no recursion, and a lattice of them (exponentially many paths) stops at ``nir_paths``.
        """
        found: List[Tuple[str, Tuple[nd.Step, ...]]] = []
        budget = limits.get("nir_paths")
        stack: List[Tuple[str, Tuple[nd.Step, ...], Iterator[str]]] = [(source, (), iter(self.succ[source]))]
        while stack:
            node, steps, pending = stack[-1]
            nxt = next(pending, None)
            if nxt is None:
                stack.pop()
                continue
            budget -= 1
            if budget < 0:
                self.fail(source, f"more than {limits.get('nir_paths')} paths through pooling, scale and flatten "
                          "nodes leave it; dynapspec follows at most that many", "input-too-large")
                self.stop_if_failed()
            part = self.parts[nxt]
            if isinstance(part, nd.Step):
                stack.append((nxt, steps + (part,), iter(self.succ[nxt])))
            elif isinstance(part, (nd.Synapse, nd.Boundary)):
                found.append((nxt, steps))
            else:
                self.fail(nxt, f"receives from {node!r} without weights in between; every IF needs a "
                          "Conv2d, Linear or Affine node before it")
        return found

    def pool_chain(self, steps: Sequence[nd.Step]) -> Tuple[PoolStep, ...]:
        """Pooling between layers; a Scale must complete an adjacent sum pooling into an average one."""
        chain: List[PoolStep] = []
        pending: Optional[nd.Step] = None  # a Scale waiting for the sum pool after it
        for step in steps:
            if step.kind == "flatten":
                continue
            if step.kind == "scale":
                last = chain[-1] if chain else None
                if last is not None and last.mode == "sum" and _completes(step.scale, (last.factor, last.factor)):
                    chain[-1] = PoolStep(last.factor, "avg")
                elif pending is None:
                    pending = step
                else:
                    self.scale_refused(pending)
                    pending = step
                continue
            kh, kw = step.kernel
            if kh != kw:
                self.fail(step.node, f"kernel {step.kernel} is not square; pooling between chip layers is k x k "
                          "(only the DVS input layer pools each axis on its own)", "nir-unsupported")
                continue
            if pending is not None and step.kind == "sum" and _completes(pending.scale, step.kernel):
                chain.append(PoolStep(kh, "avg"))
                pending = None
                continue
            if pending is not None:
                self.scale_refused(pending)
                pending = None
            chain.append(PoolStep(kh, step.kind))
        if pending is not None:
            self.scale_refused(pending)
        return tuple(chain)

    def scale_refused(self, step: nd.Step) -> None:
        self.fail(step.node, f"Scale {step.scale:g} does not complete an average pooling (a SumPool2d of k x k "
                  "next to a Scale of 1/k^2); fold the factor into the next layer's weights", "nir-unsupported")

    def check_layers(self) -> Dict[str, str]:
        """Each weight node feeds exactly one IF node and each IF node hears only weight nodes."""
        owner: Dict[str, str] = {}  # synapse node -> its IF node
        for n, part in self.parts.items():
            if isinstance(part, nd.Synapse):
                after = self.succ[n]
                if len(after) != 1 or not isinstance(self.parts[after[0]], nd.Spiking):
                    shown = limits.listing([f"{a!r} ({self.kind(a)})" for a in after]) or "nothing"
                    self.fail(n, f"feeds {shown}; each Conv2d/Linear/Affine must feed exactly one IF node "
                              "(a chip layer always spikes)")
                else:
                    owner[n] = after[0]
            elif isinstance(part, nd.Spiking):
                if not self.pred[n]:
                    self.fail(n, "receives nothing; an IF node needs a Conv2d, Linear or Affine node before it")
                for p in self.pred[n]:
                    if not isinstance(self.parts[p], nd.Synapse):
                        self.fail(n, f"receives from {p!r} ({self.kind(p)}); an IF node must receive from "
                                  "Conv2d, Linear or Affine nodes only")
        self.stop_if_failed()
        return owner

    def network(self, name: str) -> ImportedNetwork:
        input_name, order = self.check_graph()
        owner = self.check_layers()
        shapes = self.infer_shapes(input_name, order)
        rank = {n: i for i, n in enumerate(order)}
        spiking = [n for n in order if isinstance(self.parts[n], nd.Spiking)]

        # incoming[(IF)] = list of (synapse, source, steps); exits = IF nodes that reach an Output
        incoming: Dict[str, List[Tuple[str, str, Tuple[nd.Step, ...]]]] = defaultdict(list)
        exits: Dict[str, bool] = {}
        for source in [input_name] + spiking:
            for end, steps in self.paths(source):
                part = self.parts[end]
                if isinstance(part, nd.Boundary):
                    if source == input_name:
                        self.fail(end, "receives the Input directly; the chip needs at least one layer")
                    elif any(s.kind != "flatten" for s in steps):
                        self.fail(end, f"receives pooled spikes of {source!r}; the host sees a layer's spikes "
                                  "before pooling, so drop that pooling or move it in front of a next layer",
                                  "nir-unsupported")
                    exits[source] = True
                    continue
                incoming[owner[end]].append((end, source, steps))
        self.stop_if_failed()

        names = self.layer_names(spiking, owner)
        layer_order = self.layer_order(input_name, spiking, incoming, rank)
        position = {n: i for i, n in enumerate(layer_order)}
        position[input_name] = -1

        edges: Dict[str, List[Tuple[int, NetEdge]]] = defaultdict(list)
        layers: Dict[str, NetLayer] = {}
        for n in layer_order:
            # None only for a layer that failed, and stop_if_failed raises below
            layers[n] = self.make_layer(n, names, incoming[n], shapes, position, edges, exits.get(n, False))  # type: ignore[assignment]
        self.stop_if_failed()

        dvs, in_edges = self.input_route(input_name, sorted(self.input_paths, key=lambda p: p[0]), shapes[input_name])
        final = []
        for n in layer_order:
            out = tuple(e for _, e in sorted(edges.get(n, []), key=lambda e: e[0]))
            final.append(replace(layers[n], edges=out))
        self.stop_if_failed()
        self.decision_notes()
        net_input = NetInput(_chw(shapes[input_name]), in_edges, dvs, input_name)
        return ImportedNetwork(name, net_input, tuple(final), self.graph.file, self.graph.version, tuple(self.notes))

    def layer_order(self, input_name, spiking, incoming, rank) -> List[str]:
        """Layers in a topological order of the layer graph (ties: the graph's own order, ``rank``)."""
        deps = {n: {src for _, src, _ in incoming[n] if src != input_name} for n in spiking}
        for n in spiking:
            if not incoming[n]:
                self.fail(n, "receives nothing from the Input, so it can never spike")
        self.stop_if_failed()
        waiting = {n: len(deps[n]) for n in spiking}
        after: Dict[str, List[str]] = defaultdict(list)
        for n in spiking:
            for dep in deps[n]:
                after[dep].append(n)
        ready = [(rank[n], n) for n in spiking if not waiting[n]]
        heapq.heapify(ready)
        order: List[str] = []
        while ready:
            n = heapq.heappop(ready)[1]
            order.append(n)
            for m in after[n]:
                waiting[m] -= 1
                if not waiting[m]:
                    heapq.heappush(ready, (rank[m], m))
        return order

    def layer_names(self, spiking: Sequence[str], owner: Dict[str, str]) -> Dict[str, str]:
        taken: set = set()
        names: Dict[str, str] = {}
        owned: Dict[str, List[str]] = defaultdict(list)
        for syn, spike in owner.items():
            owned[spike].append(syn)
        for n in spiking:
            syns = owned[n]
            base = syns[0] if len(syns) == 1 else n
            prefix = "dense_" if isinstance(self.parts[syns[0]].op, Dense) else "conv_"
            names[n] = unique_name(_sanitize(base, prefix), taken)
        return names

    def unflattened(self, node: str, shapes) -> Tuple[int, ...]:
        """The shape arriving at ``node`` before any Flatten: a dense layer's input map."""
        while True:
            pred = next(p for p in self.pred[node] if p in shapes)
            part = self.parts[pred]
            if not (isinstance(part, nd.Step) and part.kind == "flatten"):
                return shapes[pred]
            node = pred

    def make_layer(self, n, names, sources, shapes, position, edges, monitor) -> Optional[NetLayer]:
        spike: nd.Spiking = self.parts[n]
        sources = sorted(sources, key=lambda t: (position[t[1]], _natural(t[0])))
        syn_names = list(dict.fromkeys(s for s, _, _ in sources))
        syns: List[nd.Synapse] = [self.parts[s] for s in syn_names]
        seen_sources = [src for _, src, _ in sources]
        if len(set(seen_sources)) != len(seen_sources):
            self.fail(n, "receives one source along two paths; the chip has one connection per pair of layers")
            return None
        stacked = len(syns) > 1  # one weight node per source: their features are concatenated
        merge = "add" if not stacked and len(sources) > 1 else "concat"
        if stacked:
            if any(count != 1 for count in Counter(s for s, _, _ in sources).values()):
                self.fail(n, "sums several Conv/Linear nodes of which one has several sources; write either "
                          "one node with several sources (added) or one node per source (stacked)")
                return None
            if len({s.op for s in syns}) != 1:
                self.fail(n, "sums Conv/Linear nodes with different kernels, strides or paddings; a chip layer "
                          "has one")
                return None
        # input shape of the layer: the (pooled) shape each source delivers
        delivered = []
        for syn_name, _, _ in sources:
            delivered.append(_chw(self.unflattened(syn_name, shapes)))
        if len({d[1:] for d in delivered}) > 1:
            self.fail(n, f"its sources deliver maps of different sizes {sorted({d[1:] for d in delivered})}")
            return None
        op = syns[0].op
        if stacked:
            in_shape = (sum(d[0] for d in delivered), delivered[0][1], delivered[0][2])
            weight = np.concatenate([_as_chw_columns(s, d) for s, d in zip(syns, delivered)], axis=1)
            if isinstance(op, Dense):
                weight = weight.reshape(weight.shape[0], -1)
        else:
            in_shape, weight = delivered[0], syns[0].weight
        if spike.r != 1.0:
            weight = np.asarray(weight, dtype=np.float64) * spike.r
        shift = 0
        for (_, src, steps), d in zip(sources, delivered):
            fs = shift if stacked else None
            if position[src] < 0:  # the Input: its pooling, if any, is the DVS layer's
                self.input_paths.append((position[n], names[n], steps, fs))
            else:
                edges[src].append((position[n], NetEdge(names[n], self.pool_chain(steps), fs)))
            shift += d[0]
        out_shape = _chw(shapes[n])
        origin = " + ".join(f"{self.kind(s)} {s!r}" for s in syn_names) + f" + IF {n!r}"
        reset = self.reset_option or spike.reset or "zero"
        return NetLayer(names[n], op, weight, spike.threshold, spike.threshold_text, reset, spike.low_threshold,
                        (), merge, monitor, in_shape, out_shape, origin)

    def input_route(self, name: str, paths: List[tuple], shape) -> Tuple[Optional[DvsIn], Tuple[NetEdge, ...]]:
        """Plain external input, or the DVS layer when the graph pools before its first layer."""
        boundary: nd.Boundary = self.parts[name]
        edges = tuple(NetEdge(target, (), fs) for _, target, _, fs in paths)
        pools = {tuple(s for s in steps if s.kind != "flatten") for _, _, steps, _ in paths}
        recorded = boundary.dvs.split() if boundary.dvs else None
        if pools == {()} and recorded is None:
            return None, edges
        c = _chw(shape)[0]
        if len(pools) != 1 or c > 2 or any(s.kind != "sum" for s in next(iter(pools))):
            self.fail(name, "pools before the first layer; the chip can pool there only in its DVS input layer, "
                      "which takes 1 or 2 channels and sum-pools the same way for all its destinations",
                      "nir-unsupported")
            return None, ()
        steps = next(iter(pools))
        pool = XY(int(np.prod([s.kernel[1] for s in steps])), int(np.prod([s.kernel[0] for s in steps])))
        source, polarity = recorded if recorded and len(recorded) == 2 else ("host", "both" if c == 2 else "merge")
        return DvsIn(source, polarity, pool), edges

    def decision_notes(self) -> None:
        spikes = [p for p in self.parts.values() if isinstance(p, nd.Spiking)]
        if self.reset_option is None and any(s.reset is None for s in spikes):
            old = " (the file predates nir 1.0.6 and has no v_reset: zero is implied)" if any(
                not s.has_v_reset for s in spikes) else ""
            self.notes.append(
                f"reset: NIR's IF sets v to v_reset = 0 after a spike, so the layers use `reset: zero`{old}. "
                "If the network was trained with a subtractive reset (sinabs' IAF default), import again with "
                "--reset subtract.")
        if any(s.r != 1.0 for s in spikes):
            self.notes.append("IF resistances r != 1 were multiplied into the weights of their layers.")


def _completes(scale: float, kernel: Tuple[int, int]) -> bool:
    return bool(np.isclose(scale * kernel[0] * kernel[1], 1.0, rtol=1e-6, atol=0.0))


def _as_chw_columns(syn: nd.Synapse, delivered: Shape) -> np.ndarray:
    if isinstance(syn.op, Dense):
        return np.asarray(syn.weight).reshape(syn.weight.shape[0], *delivered)
    return np.asarray(syn.weight)


def _chw(shape: Tuple[int, ...]) -> Shape:
    return (shape[0], 1, 1) if len(shape) == 1 else tuple(shape)  # type: ignore[return-value]


def _sanitize(name: str, prefix: str) -> str:
    """A valid spec layer name: allowed characters, a letter or '_' first, not 'input', <= 64 long."""
    clean = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
    if not NAME_RE.match(clean) or clean == "input":
        clean = prefix + clean
    return clean[:MAX_NAME - 4]  # room for a _2.. suffix


def unique_name(name: str, taken: set) -> str:
    """``name``, or ``name_2``, ``name_3``... if taken; the result is added to ``taken``."""
    candidate, k = name, 2
    while candidate in taken:
        candidate, k = f"{name}_{k}", k + 1
    taken.add(candidate)
    return candidate


def network_from_graph(graph: RawGraph, name: str, reset: Optional[str] = None) -> ImportedNetwork:
    """Interpret every node, then assemble the layers; all refusals are raised together."""
    parts, diags = nd.interpret(graph)
    if diags:
        raise SpecError(diags)
    return _Builder(graph, parts, reset).network(name)
