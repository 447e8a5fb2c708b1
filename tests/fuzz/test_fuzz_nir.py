"""Fuzz the NIR reader: valid graphs (dynapspec's own export of the examples, a small chain, a nested
graph) changed node by node and link by link, read and translated into a spec."""
from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import h5py
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import h5plans
from harness import PROFILE, holds, workdir
from dynapspec.nirio import read
from dynapspec.spec import yamlload

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
KEYS = ["weight", "bias", "stride", "padding", "dilation", "groups", "kernel_size", "v_threshold", "r", "v_reset",
        "scale", "shape", "input_shape", "type", "metadata"]
TYPES = ["Input", "Output", "Conv2d", "Linear", "Affine", "IF", "LIF", "SumPool2d", "AvgPool2d", "Scale", "Flatten",
         "NIRGraph", "Identity", "Delay", "", "if", "Conv2d\u0000"]
PARAM_VALUES = ["nan", "inf", "zero", "negative", "huge", "string", "empty", "matrix", "bool", "one", "pair", "float-pair",
                "five", "bytes-bad"]


def _param(kind: str):
    return {
        "nan": np.array([np.nan, 1.0]), "inf": np.array([np.inf]), "zero": np.array([0, 0]), "negative": np.array([-2, -2]),
        "huge": np.array([1e30, 2**62]), "string": "same", "empty": np.zeros((0,), "f4"), "matrix": np.ones((3, 3, 3, 3), "f4"),
        "bool": np.array([True, False]), "one": np.ones(1, "f4"), "pair": np.array([2, 2]), "float-pair": np.array([1.5, 2.0]),
        "five": np.arange(5), "bytes-bad": np.bytes_(b"\xff\xfe"),
    }[kind]


def _small(f) -> None:
    f.create_dataset("version", data="1.0.8", dtype=h5py.string_dtype())
    root = f.create_group("node")
    root.create_dataset("type", data="NIRGraph", dtype=h5py.string_dtype())
    nodes = {
        "input": ("Input", {"shape": np.array([1, 8, 8])}),
        "conv": ("Conv2d", {"weight": np.full((2, 1, 3, 3), 0.1, "f4"), "stride": np.array([1, 1]), "padding": np.array([0, 0])}),
        "if1": ("IF", {"v_threshold": np.ones(2, "f4"), "r": np.ones(2, "f4"), "v_reset": np.zeros(2, "f4")}),
        "pool": ("SumPool2d", {"kernel_size": np.array([2, 2]), "stride": np.array([2, 2]), "padding": np.array([0, 0])}),
        "flat": ("Flatten", {}),
        "fc": ("Linear", {"weight": np.full((2, 18), 0.1, "f4")}),
        "if2": ("IF", {"v_threshold": np.ones(2, "f4"), "r": np.ones(2, "f4"), "v_reset": np.zeros(2, "f4")}),
        "output": ("Output", {}),
    }
    edges = [("input", "conv"), ("conv", "if1"), ("if1", "pool"), ("pool", "flat"), ("flat", "fc"), ("fc", "if2"), ("if2", "output")]
    group = root.create_group("nodes")
    for name, (kind, params) in nodes.items():
        sub = group.create_group(name)
        sub.create_dataset("type", data=kind, dtype=h5py.string_dtype())
        for key, value in params.items():
            sub.create_dataset(key, data=value)
    root.create_dataset("edges", data=np.array(edges, dtype=h5py.string_dtype()))


def _nested(f) -> None:
    """The small chain with its middle wrapped in a subgraph ``sub`` (Input/Output boundaries inside)."""
    _small(f)
    sub = f["node/nodes"].create_group("sub")
    sub.create_dataset("type", data="NIRGraph", dtype=h5py.string_dtype())
    inner = sub.create_group("nodes")
    for name in ("conv", "if1"):
        f["node/nodes"].move(name, f"sub/nodes/{name}")
    for name, kind in (("input", "Input"), ("output", "Output")):
        inner.create_group(name).create_dataset("type", data=kind, dtype=h5py.string_dtype())
    sub.create_dataset("edges", data=np.array([("input", "conv"), ("conv", "if1"), ("if1", "output")], dtype=h5py.string_dtype()))
    del f["node/edges"]
    edges = [("input", "sub"), ("sub", "pool"), ("pool", "flat"), ("flat", "fc"), ("fc", "if2"), ("if2", "output")]
    f["node"].create_dataset("edges", data=np.array(edges, dtype=h5py.string_dtype()))


@functools.lru_cache(maxsize=None)
def _exported(example: str) -> bytes:
    from dynapspec.nirio import write

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "model.nir"
        write(EXAMPLES / example / "net.yaml", path)
        return path.read_bytes()


def _copy_of(example: str):
    def build(f) -> None:
        with tempfile.TemporaryDirectory() as directory:
            source = Path(directory) / "model.nir"
            source.write_bytes(_exported(example))
            with h5py.File(source, "r") as src:
                for key in src:
                    src.copy(key, f)
    return build


BASES = {"small": _small, "nested": _nested, "lenet": _copy_of("lenet")}


def _nodes(f):
    """Paths of the nodes in the file (top level and one subgraph level), in a fixed order."""
    found = []
    for prefix in ("node/nodes", "node/nodes/sub/nodes"):
        if isinstance(f.get(prefix), h5py.Group):
            found += [f"{prefix}/{name}" for name in f[prefix]]
    return found or ["node/nodes/x"]


def _node_path(f, index: int) -> str:
    nodes = _nodes(f)
    return nodes[index % len(nodes)]


def _node_name(f, index: int) -> str:
    return _node_path(f, index).rsplit("/", 1)[1]


def special(f, op) -> None:
    kind = op[0]
    if kind == "nir-param":
        path = f"{_node_path(f, op[1])}/{op[2]}"
        if path in f:
            del f[path]
        value = _param(op[3])
        f.create_dataset(path, data=value, dtype=h5py.string_dtype() if isinstance(value, str) else None)
    elif kind == "nir-type":
        path = f"{_node_path(f, op[1])}/type"
        if path in f:
            del f[path]
        f.create_dataset(path, data=op[2], dtype=h5py.string_dtype())
    elif kind == "nir-edges":
        edges = [tuple(e) for e in f["node/edges"][()].astype(str).tolist()] if f["node/edges"].ndim == 2 else []
        if op[1] == "add":
            edges.append((_node_name(f, op[2]), _node_name(f, op[3])))
        elif op[1] == "drop" and edges:
            edges.pop(op[2] % len(edges))
        del f["node/edges"]
        if op[1] == "ints":
            f["node"].create_dataset("edges", data=np.arange(6).reshape(3, 2))
        elif op[1] == "three":
            f["node"].create_dataset("edges", data=np.array([["a", "b", "c"]], dtype=h5py.string_dtype()))
        else:
            f["node"].create_dataset("edges", data=np.array(edges or [], dtype=h5py.string_dtype()).reshape(-1, 2))
    elif kind == "nir-delete":
        del f[_node_path(f, op[1])]
    elif kind == "nir-metadata":
        group = f.require_group(f"{_node_path(f, op[1])}/metadata")
        value = _param(op[3]) if op[3] in PARAM_VALUES else op[3]
        group.create_dataset(op[2], data=value, dtype=h5py.string_dtype() if isinstance(value, str) else None)
    elif kind == "nir-inside":  # a generic operation on a path inside the n-th node
        where = f"/{_node_path(f, op[1])}/{op[2]}"
        inner = op[3]
        h5plans.apply(f, (inner[0],) + tuple(where if part == "@" else part for part in inner[1:]), Path(f.filename).parent)
    else:
        raise LookupError(kind)


NODE = st.integers(0, 40)  # the n-th node of the file (modulo their number)
SPECIAL = st.one_of(
    st.tuples(st.just("nir-param"), NODE, st.sampled_from(KEYS), st.sampled_from(PARAM_VALUES)),
    st.tuples(st.just("nir-type"), NODE, st.sampled_from(TYPES)),
    st.tuples(st.just("nir-edges"), st.sampled_from(["add", "drop", "ints", "three"]), NODE, NODE),
    st.tuples(st.just("nir-delete"), NODE),
    st.tuples(st.just("nir-metadata"), NODE, st.sampled_from(["dynapspec_reset", "dynapspec_low_threshold", "dynapspec_dvs"]),
              st.sampled_from(PARAM_VALUES + ["zero", "subtract", "host both", "sensor", "x"])),
)
PATHS = ["/version", "/node/edges", "/node/type", "/node/nodes", "/node/nodes/x", "/node"]
INSIDE = st.one_of(h5plans.dataset_op(["@"]), h5plans.link_ops(["@", "/node", "/node/nodes"]), h5plans.attr_op(["@"], ["a"]))
SPECIAL = st.one_of(SPECIAL, st.tuples(st.just("nir-inside"), NODE, st.sampled_from(KEYS), INSIDE))


@settings(PROFILE)
@given(st.one_of(*[h5plans.plans(base, PATHS, ["a"], extra=SPECIAL, max_ops=10) for base in sorted(BASES)]))
def test_nir_reader_never_fails_otherwise(plan):
    with workdir() as directory:
        path = directory / "model.nir"
        h5plans.build(path, plan, BASES, special)
        imported = holds(lambda: read(path))
        if imported is not None:  # the spec written from it must be YAML dynapspec reads back
            holds(lambda: yamlload.parse(imported.text.encode("utf-8"), "net.yaml"))
