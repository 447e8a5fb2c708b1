"""The guarded HDF5 layer (dynapspec.h5guard): lookups, walks, typed attributes, in-memory writing."""
from __future__ import annotations

import h5py
import numpy as np
import pytest

from dynapspec import h5guard


def _file(path, build):
    with h5py.File(path, "w") as f:
        build(f)
    return h5guard.Reader(path)


def test_soft_links_are_followed_up_to_a_bound(tmp_path):
    def chain(length):
        def build(f):
            f.create_dataset("data", data=np.arange(3))
            f["l0"] = h5py.SoftLink("/data")
            for i in range(1, length):
                f[f"l{i}"] = h5py.SoftLink(f"/l{i - 1}")
        return build

    with _file(tmp_path / "ok.h5", chain(h5guard.SOFT_LINK_HOPS)) as reader:
        assert reader.read(reader.lookup(f"/l{h5guard.SOFT_LINK_HOPS - 1}"), "/x").tolist() == [0, 1, 2]
    with _file(tmp_path / "long.h5", chain(h5guard.SOFT_LINK_HOPS + 1)) as reader:
        with pytest.raises(h5guard.Refused) as info:
            reader.lookup(f"/l{h5guard.SOFT_LINK_HOPS}")
    assert info.value.kind == h5guard.FORMAT and "a chain of more than 16 links" in info.value.text


def test_relative_soft_links_and_names_with_nul(tmp_path):
    def build(f):
        f.create_dataset("g/data", data=np.ones(2))
        f["g/rel"] = h5py.SoftLink("data")
    with _file(tmp_path / "f.h5", build) as reader:
        assert isinstance(reader.lookup("/g/rel"), h5py.Dataset)
        assert reader.lookup("/g/missing") is None and reader.lookup("/g/data/below") is None
        with pytest.raises(h5guard.Refused) as info:
            reader.lookup("/g/data\0junk")  # h5py would open /g/data
    assert "holds a NUL character" in info.value.text


def test_a_walk_visits_each_object_once_and_stops_at_the_object_limit(tmp_path):
    def build(f):
        group = f.create_group("a/b")
        group["up"] = f["a"]  # a hard-link cycle
        group["root"] = f["/"]
        f.create_dataset("a/b/data", data=np.ones(2))
    with _file(tmp_path / "f.h5", build) as reader:
        paths = [path for path, _ in reader.walk()]
    assert sorted(paths) == ["/a", "/a/b", "/a/b/data", "/a/b/root", "/a/b/up"]
    with _file(tmp_path / "many.h5", lambda f: [f.create_group(f"g{i}") for i in range(30)]) as reader:
        reader.max_objects = 20
        with pytest.raises(h5guard.Refused) as info:
            list(reader.walk())
    assert info.value.kind == h5guard.TOO_LARGE


def test_attributes_are_read_as_the_expected_type(tmp_path):
    def build(f):
        f.attrs.update({"text": "us", "bytes": np.bytes_(b"us"), "bad": np.bytes_(b"\xff"), "int": 3, "float": 2.0,
                        "arr": np.arange(3), "flag": True})
        f.attrs.create("empty", h5py.Empty("f4"))
    with _file(tmp_path / "f.h5", build) as reader:
        root = reader.lookup("/")
        assert reader.text_attribute(root, "text", "/") == reader.text_attribute(root, "bytes", "/") == "us"
        assert reader.int_attribute(root, "int", "/") == 3 and reader.int_attribute(root, "float", "/") == 2
        assert reader.number_attribute(root, "int", "/") == 3.0 and reader.text_attribute(root, "missing", "/") is None
        for name, method, words in [("bad", reader.text_attribute, "not UTF-8 text"), ("arr", reader.int_attribute, "an array of 3"),
                                    ("flag", reader.number_attribute, "the boolean True"), ("empty", reader.text_attribute, "no value"),
                                    ("int", reader.text_attribute, "it must be text")]:
            with pytest.raises(h5guard.Refused) as info:
                method(root, name, "/")
            assert words in info.value.text


def test_a_dataset_of_a_named_datatype_reads_like_any_other(tmp_path):
    def build(f):
        f["kind"] = np.dtype("<f4")
        f.create_dataset("data", data=np.arange(4, dtype="f4"), dtype=f["kind"])
    with _file(tmp_path / "f.h5", build) as reader:
        assert reader.read(reader.lookup("/data"), "/data").tolist() == [0, 1, 2, 3]
        assert h5guard.kind_of(reader.lookup("/kind")) == "a named datatype"


def test_create_writes_the_bytes_hdf5_would_and_nothing_on_failure(tmp_path):
    def fill(f):
        f.attrs["format"] = "x"
        f.create_dataset("a/b", data=np.arange(1000), compression="gzip", track_times=False)

    with h5py.File(tmp_path / "disk.h5", "w", track_order=True) as f:
        fill(f)
    with h5guard.create(tmp_path / "memory.h5", track_order=True) as f:
        fill(f)
    assert (tmp_path / "memory.h5").read_bytes() == (tmp_path / "disk.h5").read_bytes()
    with pytest.raises(ZeroDivisionError):
        with h5guard.create(tmp_path / "never.h5") as f:
            fill(f)
            raise ZeroDivisionError("a failure while writing")
    assert not (tmp_path / "never.h5").exists()
