"""Hostile inputs and faults, built by code: the regression corpus of issue 11.

Each :class:`Case` builds its files in an empty directory and returns the command line to run
there. The command must end with exactly the expected diagnostic code and exit status, one
located line per problem (``lines`` of them), no ``internal error``, no traceback, no signal, no
hang, and no output written: the paths in ``outputs`` must be as they were before the run
(missing, or byte-identical). The cases follow the issue's classes: every file dynapspec reads
(spec YAML, weight HDF5, event HDF5, compiled config JSON, NIR HDF5) with HDF5 objects that are
not what a reader assumes, sizes beyond the limits, pathological structure, numbers, special
files and output faults.
"""
from __future__ import annotations

import json
import os
import stat
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, List, Optional, Tuple

import h5py
import numpy as np

SPEC = """\
dynapspec: 1
name: tiny
target: speck2fdevkit
weights: net.h5
input: {shape: [1, 8, 8]}
layers:
  - name: conv1
    conv: {channels: 4, kernel: 3}
  - name: out
    dense: {features: 2}
"""
SHAPES = {"/conv1/weight": (4, 1, 3, 3), "/out/weight": (2, 144)}  # what SPEC's layers need


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[Path], List[str]]  # makes the files in a directory, returns the command line
    code: str
    status: int
    says: str  # words the (first) message must contain
    outputs: Tuple[str, ...] = ()  # must be unchanged (missing, or as before) after the run
    lines: int = 1  # problems reported (each one line)
    process: bool = False  # run in a real process: the input could block or crash a test process
    root: Optional[bool] = None  # True: needs root (mknod); False: needs an unprivileged reader


# ---------------------------------------------------------------- builders


def valid_weights(path: Path, **replace) -> None:
    """SPEC's weights, with datasets replaced: ``replace[name](file)`` builds ``/name/weight`` itself."""
    with h5py.File(path, "w") as f:
        for dataset, shape in SHAPES.items():
            layer = dataset.split("/")[1]
            if layer in replace:
                replace[layer](f)
            else:
                f.create_dataset(dataset, data=np.full(shape, 0.1, dtype=np.float32))


def network(directory: Path, spec: str = SPEC, **replace) -> List[str]:
    (directory / "net.yaml").write_text(spec, encoding="utf-8")
    valid_weights(directory / "net.h5", **replace)
    return ["validate", "net.yaml"]


def corrupt(path: Path, signature: bytes = b"SNOD") -> None:
    """Overwrite the first HDF5 metadata block with this signature: the file's structure is damaged."""
    raw = bytearray(path.read_bytes())
    at = raw.index(signature)
    raw[at + 4 : at + 28] = b"\xff" * 24
    path.write_bytes(bytes(raw))


def chunked_zeros(f, name: str, shape, dtype="f4") -> None:
    """A dataset declaring ``shape`` whose chunks are never written: a few bytes on disk ("zip bomb")."""
    chunks = tuple(min(n, 64) for n in shape)
    f.create_dataset(name, shape=shape, dtype=dtype, chunks=chunks, compression="gzip")


def events(directory: Path, build=None, name: str = "events.h5") -> List[str]:
    """SPEC, its weights and an event file made by ``build(f)`` (default: 3 valid input events)."""
    network(directory)
    with h5py.File(directory / name, "w") as f:
        f.attrs["format"] = "dynapspec-events"
        f.attrs["format_version"] = 1
        f.attrs["time_unit"] = "us"
        if build is None:
            group = f.create_group("input")
            group.attrs["kind"] = "spikes"
            for field, values in (("t", [0, 1, 2]), ("c", [0, 0, 0]), ("x", [1, 2, 3]), ("y", [1, 1, 1])):
                group.create_dataset(field, data=np.array(values, dtype="u8" if field == "t" else "u2"))
        else:
            build(f)
    return ["simulate", "net.yaml", "-i", name, "-o", "out.h5"]


def input_columns(f, n: int = 3, **replace) -> None:
    group = f.create_group("input")
    for field in ("t", "c", "x", "y"):
        if field in replace:
            replace[field](group)
        else:
            group.create_dataset(field, data=np.zeros(n, dtype="u8" if field == "t" else "u2"))


def nir(directory: Path, nodes: dict, edges, extra=None) -> List[str]:
    """A NIR file of ``nodes`` (name -> (type, {param: array}) or a callable(group)) and ``edges``."""
    with h5py.File(directory / "model.nir", "w") as f:
        f.create_dataset("version", data="1.0.8", dtype=h5py.string_dtype())
        root = f.create_group("node")
        root.create_dataset("type", data="NIRGraph", dtype=h5py.string_dtype())
        root.create_dataset("edges", data=np.array(edges, dtype=h5py.string_dtype()).reshape(-1, 2))
        group = root.create_group("nodes")
        for name, node in nodes.items():
            if callable(node):
                node(group, name)
                continue
            kind, params = node
            sub = group.create_group(name)
            sub.create_dataset("type", data=kind, dtype=h5py.string_dtype())
            for key, value in params.items():
                sub.create_dataset(key, data=value)
        if extra is not None:
            extra(f)
    return ["import", "model.nir", "-o", "out.yaml"]


def small_net(weight=None, stride=None, kernel=None) -> dict:
    """A valid NIR chain Input -> Conv2d -> IF -> SumPool2d -> Linear -> IF -> Output."""
    conv = {"weight": np.full((2, 1, 3, 3), 0.1, "f4") if weight is None else weight,
            "stride": np.array([1, 1]) if stride is None else stride, "padding": np.array([0, 0])}
    pool_kernel = np.array([2, 2]) if kernel is None else kernel
    return {
        "input": ("Input", {"shape": np.array([1, 8, 8])}),
        "conv": ("Conv2d", conv),
        "if1": ("IF", {"v_threshold": np.ones(1, "f4"), "r": np.ones(1, "f4"), "v_reset": np.zeros(1, "f4")}),
        "pool": ("SumPool2d", {"kernel_size": pool_kernel, "stride": pool_kernel, "padding": np.array([0, 0])}),
        "flat": ("Flatten", {}),
        "fc": ("Linear", {"weight": np.full((2, 18), 0.1, "f4")}),
        "if2": ("IF", {"v_threshold": np.ones(1, "f4"), "r": np.ones(1, "f4"), "v_reset": np.zeros(1, "f4")}),
        "output": ("Output", {}),
    }


SMALL_EDGES = [["input", "conv"], ["conv", "if1"], ["if1", "pool"], ["pool", "flat"], ["flat", "fc"], ["fc", "if2"],
               ["if2", "output"]]


def compiled(directory: Path, edit=None) -> List[str]:
    """A valid compiled config of SPEC (edited by ``edit(doc)``) and an event file to play."""
    import dynapspec

    events(directory)
    doc = json.loads(dynapspec.compile(directory / "net.yaml").to_json())
    if edit is not None:
        doc = edit(doc) or doc
    text = doc if isinstance(doc, str) else json.dumps(doc)
    (directory / "net.config.json").write_text(text, encoding="utf-8")
    return ["simulate", "net.config.json", "-i", "events.h5", "-o", "out.h5"]


def _nested(depth: int, inner="1") -> str:
    return "[" * depth + inner + "]" * depth


def fifo(directory: Path, name: str) -> None:
    os.mkfifo(directory / name)


# ---------------------------------------------------------------- the cases


def _weights_cases() -> List[Case]:
    W = "net.h5"

    def named_type(f):
        f["conv1/weight"] = np.dtype("f4")

    def soft(target):
        return lambda f: f.__setitem__("conv1/weight", h5py.SoftLink(target))

    def cycle(f):
        f["conv1/weight"] = h5py.SoftLink("/loop")
        f["loop"] = h5py.SoftLink("/conv1/weight")

    def hard_cycle(f):
        group = f.create_group("conv1/kernel")
        group["again"] = f["conv1"]  # a hard link back up: the walk listing the file must end

    def external_link(directory):
        def build(f):
            with h5py.File(directory / "other.h5", "w") as g:
                g.create_dataset("w", data=np.ones(SHAPES["/conv1/weight"], "f4"))
            f["conv1/weight"] = h5py.ExternalLink("other.h5", "/w")
        return build

    def external_storage(directory):
        def build(f):
            secret = directory / "secret.txt"
            secret.write_bytes(b"root:x:0:0:root:/root:/bin/bash\n" * 5)
            f.create_dataset("conv1/weight", shape=SHAPES["/conv1/weight"], dtype="u1", external=[(str(secret), 0, 36)])
        return build

    def virtual(f):
        store = f.create_dataset("store", data=np.ones(SHAPES["/conv1/weight"], "f4"))
        layout = h5py.VirtualLayout(shape=store.shape, dtype="f4")
        layout[...] = h5py.VirtualSource(store)
        f.create_virtual_dataset("conv1/weight", layout)

    nine = SPEC.split("layers:")[0] + "layers:\n" + "".join(
        f"  - name: l{i}\n    conv: {{channels: 4, kernel: 3, padding: 1}}\n    weight: /big\n" for i in range(9)
    )

    def shared(directory):
        (directory / "net.yaml").write_text(nine, encoding="utf-8")
        with h5py.File(directory / W, "w") as f:
            chunked_zeros(f, "big", (2048, 4097, 1, 1), dtype="i1")  # 2^23 + 2048 values
        return ["validate", "net.yaml"]

    def unreadable(directory):
        out = network(directory)
        os.chmod(directory / W, 0)
        return out

    return [
        Case("weights_null_dataspace", lambda d: network(d, conv1=lambda f: f.create_dataset("conv1/weight", data=h5py.Empty("f4"))),
             "weights-file", 1, "holds no data (a null HDF5 dataspace)"),
        Case("weights_scalar_dataspace", lambda d: network(d, conv1=lambda f: f.create_dataset("conv1/weight", data=1.5)),
             "weights-shape", 1, "has shape () (0-D)"),
        Case("weights_named_datatype", lambda d: network(d, conv1=named_type), "weights-missing", 1, "is a named datatype, not a dataset"),
        Case("weights_dangling_soft_link", lambda d: network(d, conv1=soft("/nowhere")), "weights-missing", 1, "no dataset /conv1/weight"),
        Case("weights_soft_link_to_root", lambda d: network(d, conv1=soft("/")), "weights-missing", 1, "is a group, not a dataset"),
        Case("weights_soft_link_cycle", lambda d: network(d, conv1=cycle), "weights-file", 1, "soft links that form a cycle"),
        Case("weights_hard_link_cycle", lambda d: network(d, conv1=hard_cycle), "weights-missing", 1, "no dataset /conv1/weight"),
        Case("weights_corrupt_metadata", lambda d: network(d) and corrupt(d / W) or ["validate", "net.yaml"], "weights-file", 1,
             "the file is damaged", lines=2),
        Case("weights_external_link", lambda d: network(d, conv1=external_link(d)), "weights-external", 1, "is an external link to other.h5:/w"),
        Case("weights_external_storage", lambda d: network(d, conv1=external_storage(d)), "weights-external", 1,
             "keeps its data in external raw files"),
        Case("weights_virtual_dataset", lambda d: network(d, conv1=virtual), "weights-external", 1, "is a virtual dataset"),
        Case("weights_zip_bomb", lambda d: network(d, conv1=lambda f: chunked_zeros(f, "conv1/weight", (4096, 4096, 3, 3))),
             "weights-too-large", 1, "has 150994944 values"),
        Case("weights_shared_dataset_budget", shared, "weights-too-large", 1, "a dataset shared by several layers counts for each",
             lines=8),
        Case("weights_nul_in_file_name", lambda d: network(d, spec=SPEC.replace("weights: net.h5", 'weights: "net.h5\\0.x"')),
             "file-type", 1, "holds a NUL character"),
        Case("weights_nul_in_dataset_name",
             lambda d: network(d, spec=SPEC.replace("dense: {features: 2}", 'dense: {features: 2}\n    weight: "/out/weight\\0junk"')),
             "weights-file", 1, "holds a NUL character"),
        # found by the weights fuzzer: h5py gives a name that is not UTF-8 as bytes (the listing for the message crashed)
        Case("weights_name_not_utf8", lambda d: network(d, conv1=lambda f: f.create_group(b"co\xcbv1")), "weights-missing", 1,
             "no dataset /conv1/weight"),
        Case("weights_fifo", lambda d: (network(d), os.remove(d / W), fifo(d, W))[0], "file-type", 1, "is a FIFO (named pipe)",
             process=True),
        Case("weights_directory", lambda d: (network(d), os.remove(d / W), os.mkdir(d / W))[0], "weights-file", 1, "is a directory"),
        Case("weights_unreadable", unreadable, "weights-file", 1, "cannot be read (Permission denied)", root=False),
        Case("weights_not_hdf5", lambda d: (network(d), (d / W).write_bytes(b"\x89HDF junk" * 100))[0], "weights-file", 1,
             "cannot be opened as HDF5"),
    ]


def _spec_cases() -> List[Case]:
    def write(text):
        def build(directory):
            (directory / "net.yaml").write_text(text, encoding="utf-8")
            valid_weights(directory / "net.h5")
            return ["validate", "net.yaml"]
        return build

    many = SPEC.split("layers:")[0] + "layers:\n" + "".join(
        f"  - name: layer{i}\n    conv: {{channels: 4, kernel: 3}}\n    to: [nowhere{i}]\n" for i in range(7000)
    )
    sixty = SPEC.split("layers:")[0] + "layers:\n" + "".join(
        f"  - name: layer{i}\n    conv: {{channels: 4, kernel: 3}}\n    to: [nowhere{i}, elsewhere{i}]\n" for i in range(60)
    )
    one_line_list = SPEC.replace("input: {shape: [1, 8, 8]}", "input: {shape: [" + "1," * (3 << 19) + "1]}")
    return [
        Case("spec_integer_of_5000_digits", write(SPEC.replace("kernel: 3", "kernel: 1" + "0" * 5000)), "yaml-too-complex", 1,
             "a number written with 5001 characters"),
        Case("spec_7000_layers_naming_unknown_layers", write(many), "too-many-layers", 1,
             "7000 layers > 9 cores; the chip runs one layer per core (merge layers, or drop one); a spec of more than 64 layers is not checked further"),
        Case("spec_60_layers_naming_unknown_layers", write(sixty), "too-many-layers", 1, "60 layers > 9 cores", lines=101),
        Case("spec_3mib_single_line_list", write(one_line_list), "yaml-too-complex", 1, "more than 100000 values"),
        Case("spec_fifo", lambda d: (fifo(d, "net.yaml"), ["validate", "net.yaml"])[1], "file-type", 1, "is a FIFO (named pipe)",
             process=True),
        Case("spec_character_device", lambda d: ["validate", "/dev/zero"], "file-type", 1, "is a character device"),
    ]


def _event_cases() -> List[Case]:
    out = ("out.h5",)

    def huge_input(f):
        group = f.create_group("input")
        for field in ("t", "c", "x", "y"):
            chunked_zeros(group, field, (10**8,), dtype="u8" if field == "t" else "u2")

    def attr(name, value):
        def build(f):
            input_columns(f)
            f.attrs[name] = value
        return build

    def external_storage(directory):
        def build(f):
            secret = directory / "secret.bin"
            secret.write_bytes(bytes(64))
            group = f.create_group("input")
            group.create_dataset("t", shape=(3,), dtype="u8", external=[(str(secret), 0, 24)])
            for field in "cxy":
                group.create_dataset(field, data=np.zeros(3, "u2"))
        return build

    def external_link(directory):
        def build(f):
            with h5py.File(directory / "other.h5", "w") as g:
                input_columns(g)
            f["input"] = h5py.ExternalLink("other.h5", "/input")
        return build

    def cycle(f):
        f["input"] = h5py.SoftLink("/input")

    def with_kind(value):
        def build(f):
            input_columns(f)
            f["input"].attrs["kind"] = value
        return build

    return [
        Case("events_declare_1e8_events", lambda d: events(d, huge_input), "input-too-large", 1,
             "declares 100000000 values", out),
        Case("events_null_dataspace", lambda d: events(d, lambda f: input_columns(f, t=lambda g: g.create_dataset("t", data=h5py.Empty("u8")))),
             "events-format", 1, "holds no data (a null HDF5 dataspace)", out),
        Case("events_input_is_a_named_datatype", lambda d: events(d, lambda f: f.__setitem__("input", np.dtype("u8"))), "events-format",
             1, "not a named datatype", out),
        Case("events_soft_link_cycle", lambda d: events(d, cycle), "events-format", 1, "soft links that form a cycle", out),
        Case("events_external_link", lambda d: events(d, external_link(d)), "hdf5-unsafe", 1, "is an external link", out),
        Case("events_external_storage", lambda d: events(d, external_storage(d)), "hdf5-unsafe", 1, "external raw files", out),
        Case("events_time_unit_not_utf8", lambda d: events(d, attr("time_unit", np.bytes_(b"\xff\xfe"))), "events-format", 1,
             "not UTF-8 text", out),
        Case("events_duration_is_text", lambda d: events(d, attr("duration_s", "long")), "events-format", 1,
             "it must be a number", out),
        Case("events_format_version_is_text", lambda d: events(d, attr("format_version", "one")), "events-format", 1,
             "it must be an integer", out),
        Case("events_kind_is_an_array", lambda d: events(d, with_kind(np.array([1, 2]))), "events-format", 1, "it must be text", out),
        Case("events_corrupt_metadata", lambda d: (events(d), corrupt(d / "events.h5"))[0], "events-format", 1, "the file is damaged", out),
        Case("events_fifo", lambda d: (events(d), os.remove(d / "events.h5"), fifo(d, "events.h5"))[0], "file-type", 1,
             "is a FIFO (named pipe)", out, process=True),
    ]


def _config_cases() -> List[Case]:
    out = ("out.h5",)

    def core0(**dims):
        def edit(doc):
            core = doc["chip"]["cnn_layers"][0]
            for key, value in dims.items():
                core["dimensions"]["output_shape" if key != "kernel_size" else key] = value
            core["neurons_initial_value"] = []
        return edit

    def deep(doc):
        return '{"header": ' + _nested(100_000) + "}"

    def overflow(doc):
        doc["chip"]["cnn_layers"][0]["threshold_high"] = 10**30

    def wrong_type(doc):
        doc["header"]["weights_sha256"] = [1, 2]

    return [
        Case("config_nested_100000_deep", lambda d: compiled(d, deep), "config-format", 1, "nests far too deeply", out),
        Case("config_integer_overflows_int64", lambda d: compiled(d, overflow), "config-format", 1, "outside int64", out),
        Case("config_list_where_an_object_belongs", lambda d: compiled(d, wrong_type), "config-format", 1, "expected an object", out),
        Case("config_state_array_of_2_31_entries",
             lambda d: compiled(d, core0(output_shape={"feature_count": 1 << 16, "size": {"x": 1 << 8, "y": 1 << 7}})),
             "config-format", 1, "outside 1..1024", out),
        Case("config_fifo", lambda d: (compiled(d), os.remove(d / "net.config.json"), fifo(d, "net.config.json"))[0], "file-type", 1,
             "is a FIFO (named pipe)", out, process=True),
        Case("config_check_against_a_fifo", lambda d: (network(d), fifo(d, "net.config.json"), ["compile", "--check", "net.yaml"])[2],
             "file-type", 1, "the committed configuration net.config.json is a FIFO", ("net.config.json",), process=True),
        Case("config_65_mib", lambda d: (compiled(d), os.truncate(d / "net.config.json", 65 << 20))[0], "input-too-large", 1,
             "a configuration document is at most", out),
    ]


def _nir_cases() -> List[Case]:
    out = ("out.yaml", "out.h5")

    def with_node(name, build):
        nodes = small_net()
        nodes[name] = build
        return nodes

    def external_storage(directory):
        secret = directory / "secret.txt"
        secret.write_bytes(b"root:x:0:0:root:/root:/bin/bash\n" * 5)

        def conv(group, name):
            sub = group.create_group(name)
            sub.create_dataset("type", data="Conv2d", dtype=h5py.string_dtype())
            sub.create_dataset("weight", shape=(2, 1, 3, 3), dtype="u1", external=[(str(secret), 0, 18)])
            sub.create_dataset("stride", data=np.array([1, 1]))
        return nir(directory, with_node("conv", conv), SMALL_EDGES)

    def external_link(directory):
        with h5py.File(directory / "other.h5", "w") as g:
            g.create_dataset("w", data=np.ones((2, 1, 3, 3), "f4"))

        def conv(group, name):
            sub = group.create_group(name)
            sub.create_dataset("type", data="Conv2d", dtype=h5py.string_dtype())
            sub["weight"] = h5py.ExternalLink("other.h5", "/w")
        return nir(directory, with_node("conv", conv), SMALL_EDGES)

    def virtual(group, name):
        sub = group.create_group(name)
        sub.create_dataset("type", data="Conv2d", dtype=h5py.string_dtype())
        store = sub.create_dataset("store", data=np.ones((2, 1, 3, 3), "f4"))
        layout = h5py.VirtualLayout(shape=store.shape, dtype="f4")
        layout[...] = h5py.VirtualSource(store)
        sub.create_virtual_dataset("weight", layout)

    def deep_graphs(group, name):
        for _ in range(200):
            group = group.create_group(name)
            group.create_dataset("type", data="NIRGraph", dtype=h5py.string_dtype())
            group.create_dataset("edges", data=np.zeros((0, 2), dtype=h5py.string_dtype()))
            group = group.create_group("nodes")

    def self_containing(directory):
        def extra(f):
            f["node/nodes/again"] = f["node"]  # a hard link to the graph inside itself
        return nir(directory, small_net(), SMALL_EDGES, extra)

    def soft_to_root(directory):
        def extra(f):
            f["node/nodes/again"] = h5py.SoftLink("/node")
        return nir(directory, small_net(), SMALL_EDGES, extra)

    def deep_metadata(directory):
        def extra(f):
            group = f["node/nodes/if1"].create_group("metadata")
            for _ in range(200):
                group = group.create_group("m")
        return nir(directory, small_net(), SMALL_EDGES, extra)

    def lattice(directory):
        nodes = small_net()
        edges = [e for e in SMALL_EDGES if e != ["flat", "fc"]]
        previous = ["flat"]
        for level in range(40):
            names = [f"f{level}a", f"f{level}b"]
            for name in names:
                nodes[name] = ("Flatten", {})
                edges += [[p, name] for p in previous]
            previous = names
        edges += [[p, "fc"] for p in previous]
        return nir(directory, nodes, edges)

    def many_nodes(directory):
        nodes = small_net()
        for i in range(1_001):
            nodes[f"n{i}"] = ("Flatten", {})
        return nir(directory, nodes, SMALL_EDGES)

    def many_edges(directory):
        edges = SMALL_EDGES + [[f"ghost{i}", f"ghost{i + 1}"] for i in range(10_001)]
        return nir(directory, small_net(), edges)

    def non_utf8_type(group, name):
        sub = group.create_group(name)
        sub.create_dataset("type", data=np.bytes_(b"\xffConv2d"))

    def refused_huge(group, name):
        sub = group.create_group(name)
        sub.create_dataset("type", data="LIF", dtype=h5py.string_dtype())
        chunked_zeros(sub, "tau", (1 << 14, 1 << 14))

    def string_length(directory):
        """/version's stored string length says 3 GiB: HDF5 would allocate that much before failing."""
        argv = nir(directory, small_net(), SMALL_EDGES)
        raw = bytearray((directory / "model.nir").read_bytes())
        heap = raw.index(b"GCOL")
        at = raw.index(struct.pack("<IQI", len("1.0.8"), heap, 1))
        struct.pack_into("<I", raw, at, 3 << 30)
        (directory / "model.nir").write_bytes(bytes(raw))
        return argv

    return [
        Case("nir_damaged_string_length_of_3_gib", string_length, "nir-format", 1, "memory allocation failed", out),
        Case("nir_external_storage_copies_a_local_file", external_storage, "hdf5-unsafe", 1, "keeps its data in external raw files", out),
        Case("nir_external_link", external_link, "hdf5-unsafe", 1, "is an external link to other.h5:/w", out),
        Case("nir_virtual_dataset", lambda d: nir(d, with_node("conv", virtual), SMALL_EDGES), "hdf5-unsafe", 1, "is a virtual dataset",
             out),
        Case("nir_subgraphs_200_deep", lambda d: nir(d, with_node("sub", deep_graphs), SMALL_EDGES), "input-too-large", 1,
             "subgraphs nest deeper than 32 levels", out),
        Case("nir_graph_contains_itself_hard_link", self_containing, "nir-graph", 1, "a subgraph contains itself", out),
        Case("nir_graph_contains_itself_soft_link", soft_to_root, "nir-graph", 1, "a subgraph contains itself", out),
        Case("nir_metadata_200_deep", deep_metadata, "input-too-large", 1, "metadata nests deeper than 32 levels", out),
        Case("nir_lattice_of_flatten_nodes", lattice, "input-too-large", 1, "more than 10000 paths", out),
        Case("nir_1009_nodes", many_nodes, "input-too-large", 1, "more than 1000 nodes", out),
        Case("nir_10008_edges_naming_unknown_nodes", many_edges, "input-too-large", 1, "10008 edges; dynapspec reads at most 10000", out),
        Case("nir_nan_stride", lambda d: nir(d, small_net(stride=np.array([np.nan, 1.0])), SMALL_EDGES), "nir-format", 1,
             "stride must be one or two integers in 1..65536, found [nan, 1.0]", out),
        Case("nir_zero_pool_kernel", lambda d: nir(d, small_net(kernel=np.array([0, 0])), SMALL_EDGES), "nir-format", 1,
             "kernel_size must be one or two integers in 1..65536", out, lines=2),
        Case("nir_stride_overflows_c_long", lambda d: nir(d, small_net(stride=np.array([1e30, 1e30])), SMALL_EDGES), "nir-format", 1,
             "stride must be one or two integers", out),
        Case("nir_zip_bomb_tensor", lambda d: nir(d, with_node("conv", lambda g, n: _conv_with(g, n, lambda s: chunked_zeros(
            s, "weight", (1 << 13, 1 << 13, 1, 1)))), SMALL_EDGES), "input-too-large", 1, "declares 67108864 values", out),
        Case("nir_refused_node_with_huge_tensor_is_not_read", lambda d: nir(d, with_node("leaky", refused_huge), SMALL_EDGES),
             "nir-unsupported", 1, "a leaky integrate-and-fire neuron", out),
        Case("nir_type_not_utf8", lambda d: nir(d, with_node("conv", non_utf8_type), SMALL_EDGES), "nir-format", 1,
             "holds bytes that are not UTF-8 text", out),
        Case("nir_corrupt_metadata", lambda d: (nir(d, small_net(), SMALL_EDGES), corrupt(d / "model.nir", b"HEAP"))[0], "nir-format", 1,
             "the file is damaged", out),
        Case("nir_fifo", lambda d: (fifo(d, "model.nir"), ["import", "model.nir", "-o", "out.yaml"])[1], "file-type", 1,
             "is a FIFO (named pipe)", out, process=True),
    ]


def _conv_with(group, name, weight):
    sub = group.create_group(name)
    sub.create_dataset("type", data="Conv2d", dtype=h5py.string_dtype())
    weight(sub)


def _output_cases() -> List[Case]:
    def compile_to(target_builder):
        def build(directory):
            network(directory)
            target = target_builder(directory)
            return ["compile", "net.yaml", "-o", target]
        return build

    def device(directory):
        os.mknod(directory / "null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
        return "null"

    def link_to_device(directory):
        device(directory)
        os.symlink("null", directory / "link")
        return "link"

    return [
        Case("output_onto_a_device_node", compile_to(device), "output-write", 3, "it is a character device", ("null",), root=True),
        Case("output_onto_a_symlink_to_a_device", compile_to(link_to_device), "output-write", 3,
             "it is a symbolic link to", ("null", "link"), root=True),
        Case("output_onto_a_fifo", compile_to(lambda d: (fifo(d, "pipe"), "pipe")[1]), "output-write", 3, "it is a FIFO (named pipe)",
             ("pipe",), process=True),
        Case("output_onto_a_dangling_symlink", compile_to(lambda d: (os.symlink("gone/x.json", d / "link"), "link")[1]), "output-write",
             3, "which does not exist", ("link",)),
        Case("output_limit_setting_not_a_number", lambda d: events(d), "limit-setting", 2, "DYNAPSPEC_MAX_EVENTS='many'", ("out.h5",)),
    ]


CASES = _weights_cases() + _spec_cases() + _event_cases() + _config_cases() + _nir_cases() + _output_cases()
ENVIRONMENT = {"output_limit_setting_not_a_number": {"DYNAPSPEC_MAX_EVENTS": "many"}}
