"""The NIR file format, read and written with h5py directly.

Why not the `nir` package: its readers differ between versions (which keys a node may carry, type
checks that fail on exporters' empty shapes, asserts instead of messages), while the HDF5 layout has
stayed the same since nir 0.2: ``/version``, and a ``/node`` group of type ``NIRGraph`` holding
``nodes/<name>/{type, <parameters>, metadata/}`` and an ``edges`` dataset of name pairs. Reading
that layout ourselves accepts files of every version (no ``v_reset`` before 1.0.6, gzip or lzf
datasets, nested graphs with dotted edge names) and turns every defect into a ``nir-format`` or
``nir-graph`` diagnostic that names the node.

Nested graphs are flattened here: inner nodes get dotted names (``sub.lif``), an edge end naming a
subgraph means its Input (as a target) or its Output (as a source), and the subgraph's own Input
and Output nodes become pass-through ``Identity`` nodes that :func:`contract_identities` removes.
"""
from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Collection, Dict, List, Mapping, Optional, Tuple

import h5py
import numpy as np

from .. import h5guard, limits
from ..errors import Location, SpecError, error
from ..fileio import atomic_path, check_input, printable

# The NIR release whose reader the files we write are tested against (tests/test_nir_interop.py).
NIR_VERSION = "1.0.8"
_CODES = {h5guard.FORMAT: "nir-format", h5guard.UNSAFE: "hdf5-unsafe", h5guard.TOO_LARGE: "input-too-large"}


@dataclass(frozen=True, eq=False)
class RawNode:
    """One NIR node as stored: its type, parameters (numpy arrays or str) and metadata."""

    name: str  # full dotted name in the flattened graph
    type: str
    params: Mapping[str, Any]
    metadata: Mapping[str, Any]
    h5path: str  # where it is in the file, for messages


@dataclass(frozen=True, eq=False)
class RawGraph:
    version: str
    nodes: Mapping[str, RawNode]
    edges: Tuple[Tuple[str, str], ...]
    file: str

    def where(self, node: str) -> Location:
        found = self.nodes.get(node)
        return Location(self.file, path=found.h5path if found else node)


def _fail(file: str, message: str, path: str = "", code: str = "nir-format") -> SpecError:
    return SpecError([error(code, message, Location(file, path=path))])


class _Flattener:
    """Walks nested NIRGraph groups and produces one flat node table and edge list.

    Nesting is bounded by ``limits.nir_depth`` and the nodes of all graphs together by
    ``limits.nir_nodes``; a graph that contains itself (through a link) is refused. Parameters are
    read only for nodes whose type is in ``params_of``: a node that will be refused for its type
    costs no reading, however large its tensors.
    """

    def __init__(self, reader: h5guard.Reader, file: str, params_of: Optional[Collection[str]]):
        self.reader, self.file, self.params_of = reader, file, params_of
        self.nodes: Dict[str, RawNode] = {}
        self.edges: List[Tuple[str, str]] = []
        self.subgraphs: Dict[str, Tuple[List[str], List[str]]] = {}  # name -> (Inputs, Outputs)
        self.max_nodes, self.max_edges, self.max_depth = limits.get("nir_nodes"), limits.get("nir_edges"), limits.get("nir_depth")
        self.open_graphs: List[int] = []  # identities of the graph groups being flattened (cycle check)
        self.objects = 0  # objects visited (metadata included)

    def count(self, path: str) -> None:
        self.objects += 1
        if self.objects > self.reader.max_objects:
            raise _fail(self.file, f"the file holds more than {self.reader.max_objects} objects; dynapspec reads at most that many",
                        path, "input-too-large")

    def members(self, group, path: str) -> List[Tuple[str, Any]]:
        found = self.reader.members(group, path)
        for name, _item in found:
            self.count(f"{path}/{name}")
        return found

    def text(self, dataset, path: str, what: str) -> str:
        value = self.value(dataset, path)
        return self.reader.text(value, path, what)

    def value(self, dataset, path: str) -> Any:
        """A dataset's contents: text as str (UTF-8 checked), numbers as a numpy array."""
        if not isinstance(dataset, h5py.Dataset):
            raise _fail(self.file, f"must be a dataset, not {h5guard.kind_of(dataset)}", path)
        value = self.reader.read(dataset, path, limits.get("nir_values"), "nir_values")
        if value.dtype.kind in "SO":
            try:
                return np.vectorize(_utf8, otypes=[object])(value) if value.ndim else _utf8(value.item())
            except UnicodeDecodeError:
                raise _fail(self.file, "holds bytes that are not UTF-8 text", path) from None
        return value

    def node_type(self, group, path: str) -> str:
        item = self.reader.lookup(f"{path}/type")
        if item is None:
            raise _fail(self.file, "node has no 'type' dataset", path)
        return self.text(item, f"{path}/type", "a 'type'")

    def plain(self, group, path: str, depth: int) -> Dict[str, Any]:
        """A metadata group as nested dicts of values, at most ``nir_depth`` levels deep."""
        if depth > self.max_depth:
            raise _fail(self.file, f"metadata nests deeper than {self.max_depth} levels", path, "input-too-large")
        out: Dict[str, Any] = {}
        for key, item in self.members(group, path):
            where = f"{path}/{key}"
            if isinstance(item, h5py.Dataset):
                out[key] = self.value(item, where)
            elif isinstance(item, h5py.Group):
                out[key] = self.plain(item, where, depth + 1)
        return out

    def graph(self, group, path: str, prefix: str) -> Tuple[List[str], List[str]]:
        """Flatten one graph; returns the full names of its Input and Output nodes."""
        if len(self.open_graphs) >= self.max_depth:
            raise _fail(self.file, f"subgraphs nest deeper than {self.max_depth} levels", path, "input-too-large")
        identity = self.reader.identity(group, path)
        if identity in self.open_graphs:
            raise _fail(self.file, "a subgraph contains itself (through a link)", path, "nir-graph")
        self.open_graphs.append(identity)
        nodes = self.reader.lookup(f"{path}/nodes")
        if not isinstance(nodes, h5py.Group):
            raise _fail(self.file, "graph has no 'nodes' group", path)
        inputs: List[str] = []
        outputs: List[str] = []
        for key, item in self.members(nodes, f"{path}/nodes"):
            where = f"{path}/nodes/{key}"
            if item is None:
                raise _fail(self.file, "the node is a link to nothing", where)
            if not isinstance(item, h5py.Group):
                raise _fail(self.file, f"a node must be a group, not {h5guard.kind_of(item)}", where)
            full = prefix + key
            kind = self.node_type(item, where)
            if kind == "NIRGraph":
                self.subgraphs[full] = self.graph(item, where, full + ".")
                continue
            params: Dict[str, Any] = {}
            metadata: Dict[str, Any] = {}
            wanted = self.params_of is None or kind in self.params_of
            for pkey, pitem in self.members(item, where) if wanted else ():
                if pkey == "type":
                    continue
                if pkey == "metadata" and isinstance(pitem, h5py.Group):
                    metadata = self.plain(pitem, f"{where}/metadata", 1)
                elif isinstance(pitem, h5py.Dataset):
                    params[pkey] = self.value(pitem, f"{where}/{pkey}")
            if prefix and kind in ("Input", "Output"):
                (inputs if kind == "Input" else outputs).append(full)
                kind = "Identity"  # a subgraph's boundary passes data through
            self.nodes[full] = RawNode(full, kind, params, metadata, where)
            if len(self.nodes) > self.max_nodes:
                raise _fail(self.file, f"the graph has more than {self.max_nodes} nodes (nested graphs included); "
                            "dynapspec reads at most that many", where, "input-too-large")
        for src, dst in self.edge_pairs(path):
            for a in self.resolve(src, prefix, "source", path):
                for b in self.resolve(dst, prefix, "target", path):
                    self.edges.append((a, b))
            if len(self.edges) > self.max_edges:
                raise _fail(self.file, f"the graph has more than {self.max_edges} edges (nested graphs flattened); "
                            "dynapspec reads at most that many", path, "input-too-large")
        self.open_graphs.pop()
        return inputs, outputs

    def edge_pairs(self, path: str) -> List[Tuple[str, str]]:
        where = f"{path}/edges"
        item = self.reader.lookup(where)
        if item is None:
            raise _fail(self.file, "graph has no 'edges' dataset", path)
        if isinstance(item, h5py.Dataset):
            shape = self.reader.declared(item, where)[0]
            if len(shape) == 2 and shape[0] > self.max_edges:
                raise _fail(self.file, f"{shape[0]} edges; dynapspec reads at most {self.max_edges}", where, "input-too-large")
        arr = np.asarray(self.value(item, where), dtype=object)
        if arr.size == 0:
            return []
        if arr.ndim != 2 or arr.shape[1] != 2:
            raise _fail(self.file, f"edges must be pairs of node names, found shape {arr.shape}", where)
        if not all(isinstance(v, str) for v in arr.reshape(-1)):
            raise _fail(self.file, "edges must be pairs of node names (text)", where)
        return [(a, b) for a, b in arr.tolist()]

    def resolve(self, name: str, prefix: str, role: str, where: str) -> List[str]:
        """Full node names an edge end means: a node, a subgraph's boundary, or a dotted path."""
        full = prefix + name
        if full in self.nodes:
            return [full]
        if full in self.subgraphs:
            sub_in, sub_out = self.subgraphs[full]
            ends = sub_in if role == "target" else sub_out
            if not ends:
                node = "Input" if role == "target" else "Output"
                raise _fail(self.file, f"edge {role} {name[:80]!r} is a subgraph without an {node} node", where, "nir-graph")
            return list(ends)
        raise _fail(self.file, f"an edge names {name[:80]!r}, which is not a node of this graph", where, "nir-graph")


def _utf8(value: Any) -> Any:
    return bytes(value).decode("utf-8") if isinstance(value, (bytes, np.bytes_)) else value


def read(path, params_of: Optional[Collection[str]] = None) -> RawGraph:
    """Read a NIR file into a flat graph. Raises SpecError (nir-format, nir-graph, file-not-found...).

    ``params_of``: the node types whose parameters and metadata are read (None: every type).
    """
    file = printable(path)
    check_input(path, "NIR file")
    try:
        with h5guard.Reader(path) as reader:
            flat = _Flattener(reader, file, params_of)
            version = ""
            item = reader.lookup("/version")
            if isinstance(item, h5py.Dataset):
                value = flat.value(item, "/version")
                version = value if isinstance(value, str) else str(np.asarray(value).reshape(-1)[:1].tolist())[:40]
            root = reader.lookup("/node")
            if not isinstance(root, h5py.Group):
                raise _fail(file, "no '/node' group: this HDF5 file is not a NIR graph")
            if flat.node_type(root, "/node") != "NIRGraph":
                raise _fail(file, "the '/node' group is not of type NIRGraph", "/node")
            flat.graph(root, "/node", "")
    except h5guard.Refused as refused:
        raise _fail(file, refused.text, refused.path, _CODES[refused.kind]) from None
    return RawGraph(version, flat.nodes, tuple(flat.edges), file)


def contract_identities(graph: RawGraph) -> RawGraph:
    """Remove pass-through nodes (subgraph boundaries), connecting their sources to their targets.

    Edges keep their order (those added for a removed node come after the others, as if appended);
    the work is linear in the edges, plus the edges each removal adds (at most ``nir_edges`` in all).
    """
    max_edges = limits.get("nir_edges")
    live: Dict[int, Tuple[str, str]] = {}  # insertion number -> edge
    touching: Dict[str, set] = defaultdict(set)  # node -> numbers of the live edges at it
    numbers = itertools.count()

    def add(a: str, b: str) -> None:
        number = next(numbers)
        live[number] = (a, b)
        touching[a].add(number)
        touching[b].add(number)
        if len(live) > max_edges:
            raise _fail(graph.file, f"removing the subgraphs' Input/Output nodes connects more than {max_edges} pairs of "
                        "nodes; dynapspec reads at most that many edges", "/node", "input-too-large")

    for a, b in graph.edges:
        add(a, b)
    nodes = dict(graph.nodes)
    for name in [n for n, node in graph.nodes.items() if node.type == "Identity"]:
        at = sorted(touching.pop(name, ()))
        ins = [live[i][0] for i in at if live[i][1] == name and live[i][0] != name]
        outs = [live[i][1] for i in at if live[i][0] == name and live[i][1] != name]
        for i in at:
            a, b = live.pop(i)
            touching[a if a != name else b].discard(i)
        for a in ins:
            for b in outs:
                add(a, b)
        del nodes[name]
    unique = tuple(dict.fromkeys(live[i] for i in sorted(live)))  # order kept, duplicates dropped
    return RawGraph(graph.version, nodes, unique, graph.file)


def write(path, nodes: Mapping[str, Tuple[str, Mapping[str, Any], Mapping[str, Any]]], edges) -> None:
    """Write a flat NIR graph atomically: ``nodes`` maps name -> (type, params, metadata)."""
    with atomic_path(path) as tmp:
        with h5guard.create(tmp, track_order=True) as f:
            _string(f, "version", NIR_VERSION)
            root = f.create_group("node", track_order=True)
            _string(root, "type", "NIRGraph")
            pairs = np.array([[a, b] for a, b in edges], dtype=h5py.string_dtype()).reshape(-1, 2)
            root.create_dataset("edges", data=pairs, track_times=False)
            group = root.create_group("nodes", track_order=True)
            for name, (kind, params, metadata) in nodes.items():
                node = group.create_group(name, track_order=True)
                _string(node, "type", kind)
                for key, value in params.items():
                    _value(node, key, value)
                if metadata:
                    meta = node.create_group("metadata", track_order=True)
                    for key, value in metadata.items():
                        _value(meta, key, value)


def _string(group: h5py.Group, key: str, value: str) -> None:
    group.create_dataset(key, data=value, dtype=h5py.string_dtype(), track_times=False)


def _value(group: h5py.Group, key: str, value: Any) -> None:
    if isinstance(value, str):
        _string(group, key, value)
        return
    arr = np.asarray(value)
    compress = {"compression": "gzip"} if arr.ndim and arr.size > 1 else {}
    group.create_dataset(key, data=arr, track_times=False, **compress)


def param(node: RawNode, key: str) -> Any:
    """A parameter of ``node``, or None when the exporter left it out."""
    return node.params.get(key)
