"""Structurally varied HDF5 files for the fuzzers: hypothesis strategies of *plans*, and their builder.

A plan is a list of plain operations (``("dataset", "/conv1/weight", ...)``, ``("soft", ...)``,
``("attr", ...)``, ``("corrupt", ...)``), so hypothesis can shrink a failing file to the few
operations that matter and print it readably. Each target starts from a valid file (weights, an
event file, a NIR graph) and applies operations drawn from what HDF5 allows: dataspaces (null,
scalar, simple, zero-sized), datatypes (every numeric width and byte order, strings fixed and
variable, compound, enum, array, opaque, references, committed types), storage (contiguous,
chunked, gzip/lzf/shuffle/fletcher32/scaleoffset, declared but never written, external raw files,
virtual), links (hard, soft, dangling, cyclic, to the root, external), attributes of every kind,
and damaged bytes.
"""
from __future__ import annotations

from pathlib import Path
from typing import List, Sequence

import h5py
import numpy as np
from hypothesis import strategies as st

# ---------------------------------------------------------------- datatypes and values

NUMERIC = ["i1", "u1", "i2", "u2", "<i4", ">i4", "u4", "<i8", "u8", "f2", "<f4", ">f4", "f8", "c8", "bool"]
TEXTUAL = ["S4", "vlen-str", "vlen-bytes"]
STRUCTURED = ["compound-events", "compound-other", "enum", "array", "opaque", "ref"]
DTYPES = NUMERIC + TEXTUAL + STRUCTURED


def dtype_of(name: str):
    if name == "vlen-str":
        return h5py.string_dtype("utf-8")
    if name == "vlen-bytes":
        return h5py.string_dtype("ascii")
    if name == "compound-events":
        return np.dtype([("t", "<u8"), ("c", "<u2"), ("x", "<u2"), ("y", "<u2"), ("p", "u1")])
    if name == "compound-other":
        return np.dtype([("a", "<f4"), ("t", "S2")])
    if name == "enum":
        return h5py.enum_dtype({"off": 0, "on": 1}, basetype="i1")
    if name == "array":
        return np.dtype(("<f4", (2,)))
    if name == "opaque":
        return np.dtype("V8")
    if name == "ref":
        return h5py.ref_dtype
    return np.dtype(name)


FILLS = ["zeros", "ones", "small", "random", "nan", "inf", "big", "negative", "int-edges"]


def values(dtype_name: str, shape, fill: str, seed: int):
    """Data of ``shape`` for a dtype name (None where the builder cannot make such data)."""
    rng = np.random.default_rng(seed)
    count = int(np.prod(shape)) if shape else 1
    if count > 1 << 16:
        return None  # large datasets are declared, never filled
    dtype = dtype_of(dtype_name)
    if dtype_name in ("vlen-str", "vlen-bytes", "S4"):
        words = ["a", "conv", "\u00e9t\u00e9", "", "x" * 40, "in", "NIRGraph", "IF"]
        data = np.array([words[i % len(words)] for i in rng.integers(0, 99, size=count)], dtype=object)
        if dtype_name != "vlen-str":
            data = np.array([w.encode("utf-8")[:4] if dtype_name == "S4" else w.encode("utf-8") for w in data], dtype=object)
            if dtype_name == "S4":
                data = data.astype("S4")
        return data.reshape(shape) if shape else data.reshape(()).item()
    if dtype_name == "ref":
        return None
    if dtype.names or dtype_name in ("array", "opaque"):
        return np.zeros(shape, dtype=dtype)
    base = {"zeros": 0.0, "ones": 1.0, "small": 0.1, "negative": -3.0}.get(fill)
    if base is not None:
        data = np.full(shape, base)
    elif fill == "big":
        data = np.full(shape, 1e30)
    elif fill == "nan":
        data = np.full(shape, np.nan)
    elif fill == "inf":
        data = np.full(shape, -np.inf)
    elif fill == "int-edges":
        data = rng.choice([0, 1, 127, 128, 255, 32767, 65535, 2**31, 2**53], size=shape).astype(np.float64)
    else:
        data = rng.normal(0, 2, size=shape)
    if dtype.kind in "iub":
        with np.errstate(invalid="ignore", over="ignore"):
            info = np.iinfo(dtype) if dtype.kind != "b" else None
            data = np.nan_to_num(data, nan=0, posinf=0, neginf=0)
            if info is not None:
                data = np.clip(np.round(data), info.min, info.max)
    with np.errstate(invalid="ignore", over="ignore"):
        return data.astype(dtype)


# ---------------------------------------------------------------- strategies

SHAPE_DIM = st.sampled_from([0, 1, 2, 3, 4, 5, 8, 144, 1 << 12, 1 << 20, 1 << 31])
SHAPES = st.one_of(
    st.just("null"), st.just("scalar"), st.lists(SHAPE_DIM, min_size=1, max_size=5).map(tuple),
)
STORAGE = st.sampled_from(["contiguous", "chunked", "gzip", "lzf", "shuffle-gzip", "fletcher32", "scaleoffset", "sparse"])
ATTR_VALUES = st.sampled_from([
    "text", "bytes-utf8", "bytes-bad", "int", "big-int", "float", "nan", "array-int", "array-text", "empty",
    "bool", "compound", "long-text", "one",
])


def dataset_op(paths: Sequence[str], dtypes=st.sampled_from(DTYPES)):
    return st.tuples(st.just("dataset"), st.sampled_from(paths), dtypes, SHAPES, STORAGE, st.sampled_from(FILLS),
                     st.integers(0, 2**16))


def link_ops(paths: Sequence[str]):
    where = st.sampled_from(paths)
    return st.one_of(
        st.tuples(st.just("group"), where),
        st.tuples(st.just("soft"), where, st.sampled_from(list(paths) + ["/", "/nowhere", "..", "loop", "/loop"])),
        st.tuples(st.just("hard"), where, where),
        st.tuples(st.just("external"), where, st.sampled_from(["other.h5", "/etc/passwd", "missing.h5"]), where),
        st.tuples(st.just("named-type"), where, st.sampled_from(DTYPES[:16])),
        st.tuples(st.just("typed-by-named"), where, st.sampled_from(NUMERIC), st.sampled_from([(3,), (4, 1, 3, 3), ()])),
        st.tuples(st.just("external-storage"), where, st.sampled_from(["<f4", "u1", "<u8"]),
                  st.sampled_from([(4,), (4, 1, 3, 3), (2, 144)])),
        st.tuples(st.just("virtual"), where, st.sampled_from([(3,), (4, 1, 3, 3), (2, 144)])),
        st.tuples(st.just("delete"), where),
    )


def attr_op(paths: Sequence[str], names: Sequence[str]):
    return st.tuples(st.just("attr"), st.sampled_from(list(paths) + ["/"]), st.sampled_from(names), ATTR_VALUES)


DAMAGE = st.one_of(
    st.tuples(st.just("corrupt"), st.sampled_from([b"SNOD", b"HEAP", b"TREE", b"OHDR", b"GCOL", b"BTHD", b"FRHP"]),
              st.integers(0, 3), st.integers(4, 64), st.sampled_from([0x00, 0xFF, 0x7F])),
    st.tuples(st.just("flip"), st.floats(0, 1), st.integers(1, 32)),
    st.tuples(st.just("truncate"), st.floats(0.05, 0.99)),
)


def plans(base: str, paths: Sequence[str], attr_names: Sequence[str], extra=None, max_ops: int = 8):
    """(base, operations, damage): a valid file of kind ``base`` changed by up to ``max_ops`` operations,
    its bytes damaged in one of four plans. A target's own operations (``extra``) are drawn as often as
    the generic ones together, so most files stay close enough to valid to reach the deeper checks."""
    ops = [dataset_op(paths), link_ops(paths), attr_op(paths, attr_names)]
    if extra is not None:
        ops = [st.one_of(*ops), extra]
    operations = st.lists(st.one_of(*ops), max_size=max_ops)
    damage = st.one_of(st.just(()), st.just(()), st.just(()), st.tuples(DAMAGE))
    return st.tuples(st.just(base), operations, damage)


# ---------------------------------------------------------------- building


def _attr_value(kind: str):
    return {
        "text": "us", "bytes-utf8": np.bytes_(b"dynapspec-events"), "bytes-bad": np.bytes_(b"\xff\xfe\x00"),
        "int": 1, "big-int": np.uint64(2**63 + 5), "float": 2.5, "nan": np.nan, "array-int": np.arange(3),
        "array-text": np.array([b"a", b"b"]), "empty": h5py.Empty("f4"), "bool": np.bool_(True),
        "compound": np.zeros(1, dtype=[("a", "i4"), ("b", "f4")])[0], "long-text": "x" * 70_000, "one": np.ones(1),
    }[kind]


def _make_dataset(f, path, dtype_name, shape, storage, fill, seed):
    dtype = dtype_of(dtype_name)
    if shape == "null":
        f.create_dataset(path, data=h5py.Empty(dtype))
        return
    dims = () if shape == "scalar" else shape
    data = values(dtype_name, dims, fill, seed)
    options = {}
    if dims and storage != "contiguous":
        options["chunks"] = tuple(max(1, min(n, 64)) for n in dims)
        if storage in ("gzip", "shuffle-gzip"):
            options["compression"] = "gzip"
        if storage == "lzf":
            options["compression"] = "lzf"
        if storage == "shuffle-gzip":
            options["shuffle"] = True
        if storage == "fletcher32":
            options["fletcher32"] = True
        if storage == "scaleoffset" and np.dtype(dtype).kind in "iu":
            options["scaleoffset"] = 0
    if data is None or storage == "sparse" and dims:
        if not options.get("chunks") and int(np.prod(dims, dtype=object)) > 1 << 20:
            options["chunks"] = tuple(max(1, min(n, 64)) for n in dims)
        f.create_dataset(path, shape=dims, dtype=dtype, **options)
    else:
        f.create_dataset(path, data=data, dtype=dtype, **options)


def apply(f, op, directory: Path) -> None:
    kind, path = op[0], op[1]
    if kind == "dataset":
        _make_dataset(f, path, *op[2:])
    elif kind == "group":
        f.require_group(path)
    elif kind == "soft":
        f[path] = h5py.SoftLink(op[2])
    elif kind == "hard":
        f[path] = f[op[2]]
    elif kind == "external":
        other = directory / "other.h5"
        if op[2] == "other.h5" and not other.exists():
            with h5py.File(other, "w") as g:
                g.create_dataset("data", data=np.ones((4, 1, 3, 3), "f4"))
        f[path] = h5py.ExternalLink(op[2], op[3])
    elif kind == "named-type":
        f[path] = dtype_of(op[2]) if op[2] not in ("ref",) else np.dtype("f4")
    elif kind == "typed-by-named":
        named = f.require_group("/types")
        if "t" not in named:
            named["t"] = np.dtype(op[2])
        f.create_dataset(path, shape=op[3], dtype=named["t"])
    elif kind == "external-storage":
        raw = directory / "raw.bin"
        raw.write_bytes(b"root:x:0:0:root:/root:/bin/bash\n" * 64)
        count = int(np.prod(op[3]))
        f.create_dataset(path, shape=op[3], dtype=op[2], external=[(str(raw), 0, count * np.dtype(op[2]).itemsize)])
    elif kind == "virtual":
        store = f.require_dataset("/store", shape=op[2], dtype="f4")
        layout = h5py.VirtualLayout(shape=op[2], dtype="f4")
        layout[...] = h5py.VirtualSource(store)
        f.create_virtual_dataset(path, layout)
    elif kind == "delete":
        del f[path]
    elif kind == "attr":
        target = f[op[1]] if op[1] in f or op[1] == "/" else f.require_group(op[1])
        target.attrs[op[2]] = _attr_value(op[3])
    else:
        raise LookupError(kind)


def _damage(path: Path, op) -> None:
    raw = bytearray(path.read_bytes())
    if op[0] == "corrupt":
        found = [i for i in range(len(raw)) if raw.startswith(op[1], i)]
        if found:
            at = found[op[2] % len(found)] + 4
            raw[at : at + op[3]] = bytes([op[4]]) * len(raw[at : at + op[3]])
    elif op[0] == "flip":
        at = int(op[1] * (len(raw) - 1))
        for i in range(at, min(len(raw), at + op[2])):
            raw[i] ^= 0xA5
    elif op[0] == "truncate":
        raw = raw[: max(1, int(op[1] * len(raw)))]
    path.write_bytes(bytes(raw))


BUILDERS = {}  # base name -> function(h5py.File) writing a valid file of that kind


def build(path: Path, plan, builders=None, special=None) -> List[str]:
    """Write the plan's file at ``path``; returns the operations that could not be applied (for the log).

    ``special(f, op)`` applies operations of a target's own kinds (NIR parameters, edges...).
    """
    base, operations, damage = plan
    skipped = []
    with h5py.File(path, "w") as f:
        (builders or BUILDERS)[base](f)
        for op in operations:
            try:
                try:
                    apply(f, op, path.parent)
                except LookupError as unknown:
                    if special is None or unknown.args != (op[0],):
                        raise
                    special(f, op)
            except (ValueError, KeyError, TypeError, OSError, RuntimeError, AttributeError, IndexError) as exc:
                skipped.append(f"{op[:2]}: {type(exc).__name__}")
    for op in damage:
        _damage(path, op)
    return skipped
