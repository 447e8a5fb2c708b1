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

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Tuple

import h5py
import numpy as np

from ..errors import Location, SpecError, error, reason
from ..fileio import atomic_path

# The NIR release whose reader the files we write are tested against (tests/test_nir_interop.py).
NIR_VERSION = "1.0.8"
# No chip layer needs more parameters than this in one dataset; refuse before reading.
MAX_DATASET_ELEMENTS = 1 << 26


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


def _decode(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.ndarray) and value.dtype.kind in "SO":
        return np.vectorize(_decode, otypes=[object])(value)
    return value


def _read_dataset(ds: h5py.Dataset, file: str) -> Any:
    if ds.size > MAX_DATASET_ELEMENTS:
        raise _fail(file, f"dataset has {ds.size} elements; no chip layer needs more than {MAX_DATASET_ELEMENTS}", ds.name)
    try:
        return _decode(ds[()])
    except (OSError, ValueError) as exc:  # e.g. a compression filter this HDF5 build lacks
        raise _fail(file, f"cannot read dataset: {reason(exc)}", ds.name) from None


def _members(group: h5py.Group, file: str) -> List[Tuple[str, Any]]:
    out = []
    for key in group:
        link = group.get(key, getlink=True)
        if isinstance(link, h5py.ExternalLink):
            raise _fail(file, "external links are not followed; dynapspec reads only self-contained files", f"{group.name}/{key}")
        out.append((key, group[key]))
    return out


def _node_type(group: h5py.Group, file: str) -> str:
    if "type" not in group or not isinstance(group["type"], h5py.Dataset):
        raise _fail(file, "node has no 'type' dataset", group.name)
    value = _read_dataset(group["type"], file)
    if isinstance(value, np.ndarray):
        value = value.item() if value.size == 1 else None
    if not isinstance(value, str):
        raise _fail(file, "node 'type' is not a string", group.name)
    return value


def _read_plain(group: h5py.Group, file: str) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for key, item in _members(group, file):
        if isinstance(item, h5py.Dataset):
            out[key] = _read_dataset(item, file)
        else:
            out[key] = _read_plain(item, file)
    return out


class _Flattener:
    """Walks nested NIRGraph groups and produces one flat node table and edge list."""

    def __init__(self, file: str):
        self.file = file
        self.nodes: Dict[str, RawNode] = {}
        self.edges: List[Tuple[str, str]] = []
        self.subgraphs: Dict[str, Tuple[List[str], List[str]]] = {}  # name -> (Inputs, Outputs)

    def graph(self, group: h5py.Group, prefix: str) -> Tuple[List[str], List[str]]:
        """Flatten one graph; returns the full names of its Input and Output nodes."""
        if "nodes" not in group or not isinstance(group["nodes"], h5py.Group):
            raise _fail(self.file, "graph has no 'nodes' group", group.name)
        inputs: List[str] = []
        outputs: List[str] = []
        for key, item in _members(group["nodes"], self.file):
            if not isinstance(item, h5py.Group):
                raise _fail(self.file, "a node must be a group", item.name)
            full = prefix + key
            kind = _node_type(item, self.file)
            if kind == "NIRGraph":
                self.subgraphs[full] = self.graph(item, full + ".")
                continue
            params: Dict[str, Any] = {}
            metadata: Dict[str, Any] = {}
            for pkey, pitem in _members(item, self.file):
                if pkey == "type":
                    continue
                if pkey == "metadata" and isinstance(pitem, h5py.Group):
                    metadata = _read_plain(pitem, self.file)
                elif isinstance(pitem, h5py.Dataset):
                    params[pkey] = _read_dataset(pitem, self.file)
            if prefix and kind in ("Input", "Output"):
                (inputs if kind == "Input" else outputs).append(full)
                kind = "Identity"  # a subgraph's boundary passes data through
            self.nodes[full] = RawNode(full, kind, params, metadata, item.name)
        for src, dst in self._edge_pairs(group):
            for a in self._resolve(src, prefix, "source", group.name):
                for b in self._resolve(dst, prefix, "target", group.name):
                    self.edges.append((a, b))
        return inputs, outputs

    def _edge_pairs(self, group: h5py.Group) -> List[Tuple[str, str]]:
        if "edges" not in group:
            raise _fail(self.file, "graph has no 'edges' dataset", group.name)
        raw = _read_dataset(group["edges"], self.file)
        arr = np.asarray(raw, dtype=object)
        if arr.size == 0:
            return []
        if arr.ndim != 2 or arr.shape[1] != 2:
            raise _fail(self.file, f"edges must be pairs of node names, found shape {arr.shape}", group["edges"].name)
        return [(str(a), str(b)) for a, b in arr]

    def _resolve(self, name: str, prefix: str, role: str, where: str) -> List[str]:
        """Full node names an edge end means: a node, a subgraph's boundary, or a dotted path."""
        full = prefix + name
        if full in self.nodes:
            return [full]
        if full in self.subgraphs:
            sub_in, sub_out = self.subgraphs[full]
            ends = sub_in if role == "target" else sub_out
            if not ends:
                raise _fail(self.file, f"edge {role} {name!r} is a subgraph without an {'Input' if role == 'target' else 'Output'} node", where, "nir-graph")
            return list(ends)
        raise _fail(self.file, f"an edge names {name!r}, which is not a node of this graph", where, "nir-graph")


def read(path) -> RawGraph:
    """Read a NIR file into a flat graph. Raises SpecError (nir-format, nir-graph, file-not-found)."""
    file = str(path)
    if not Path(path).is_file():
        raise SpecError([error("file-not-found", f"{file} does not exist or is not a file", Location(file))])
    try:
        handle = h5py.File(path, "r")
    except OSError as exc:
        raise _fail(file, f"not an HDF5 file ({reason(exc)})") from None
    with handle:
        version = ""
        if "version" in handle and isinstance(handle["version"], h5py.Dataset):
            value = _read_dataset(handle["version"], file)
            version = str(value.item() if isinstance(value, np.ndarray) else value)
        root = handle.get("node")
        if not isinstance(root, h5py.Group):
            raise _fail(file, "no '/node' group: this HDF5 file is not a NIR graph")
        if _node_type(root, file) != "NIRGraph":
            raise _fail(file, "the '/node' group is not of type NIRGraph", root.name)
        flat = _Flattener(file)
        flat.graph(root, "")
    return RawGraph(version, flat.nodes, tuple(flat.edges), file)


def contract_identities(graph: RawGraph) -> RawGraph:
    """Remove pass-through nodes (subgraph boundaries), connecting their sources to their targets."""
    nodes = dict(graph.nodes)
    edges = list(graph.edges)
    for name in [n for n, node in graph.nodes.items() if node.type == "Identity"]:
        ins = [a for a, b in edges if b == name and a != name]
        outs = [b for a, b in edges if a == name and b != name]
        edges = [e for e in edges if name not in e]
        edges += [(a, b) for a in ins for b in outs]
        del nodes[name]
    unique = tuple(dict.fromkeys(edges))  # order kept, duplicates dropped
    return RawGraph(graph.version, nodes, unique, graph.file)


def write(path, nodes: Mapping[str, Tuple[str, Mapping[str, Any], Mapping[str, Any]]], edges) -> None:
    """Write a flat NIR graph atomically: ``nodes`` maps name -> (type, params, metadata)."""
    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w", track_order=True) as f:
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
