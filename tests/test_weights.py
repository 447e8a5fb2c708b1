"""The HDF5 weight reader (dynapspec.spec.weights): what is read, what is refused, the fingerprint."""
from __future__ import annotations

import hashlib

import h5py
import numpy as np
import pytest

import weightfiles
from dynapspec import errors
from dynapspec.spec import weights
from dynapspec.spec.model import XY, Conv, Dense, LayerSpec, Locator, Neuron

LOCATOR = Locator("net.yaml", {"layers[0]": (7, 5), "layers[1]": (9, 5), "layers[1].weight": (11, 13), "weights": (4, 10)})


def layer(name="conv1", conv=True, quantize=True, dataset=None, index=0):
    op = Conv(8, 3, XY(1, 1), XY(0, 0)) if conv else Dense(10)
    return LayerSpec(name, index, op, Neuron(1.0, None, "subtract"), (), "concat", None, None, quantize,
                     dataset or f"/{name}/weight", np.zeros(0), "", f"layers[{index}]")


def read(tmp_path, description, *layers_):
    path = tmp_path / "net.h5"
    weightfiles.write(path, description)
    return weights.read(str(path), layers_ or (layer(),), LOCATOR)


def problem(tmp_path, description, *layers_):
    found, problems = read(tmp_path, description, *layers_)
    assert len(problems) == 1, [p.render() for p in problems]
    return problems[0]


def test_sha256_definition():
    array = np.arange(6, dtype="<f4").reshape(2, 3)
    expected = hashlib.sha256(b"<f4:2,3:" + array.tobytes()).hexdigest()
    assert weights.dataset_sha256(array) == expected
    assert weights.dataset_sha256(array.astype(">f4")) == expected  # byte order does not matter
    assert weights.dataset_sha256(array.astype("<f8")) != expected  # the stored type does
    assert weights.dataset_sha256(array.reshape(3, 2)) != expected  # and the shape
    assert weights.dataset_sha256(np.asfortranarray(array)) == expected  # C order, whatever the memory layout
    assert weights.dataset_sha256(np.zeros(3, dtype=np.int8)) == hashlib.sha256(b"|i1:3:" + bytes(3)).hexdigest()


def test_reads_float64_read_only_with_the_stored_fingerprint(tmp_path):
    found, problems = read(tmp_path, "conv1/weight=8,1,3,3")
    assert problems == []
    got = found["conv1"]
    with h5py.File(tmp_path / "net.h5", "r") as f:
        stored = f["conv1/weight"][()]
    assert got.weight.dtype == np.float64 and np.array_equal(got.weight, stored)
    assert not got.weight.flags.writeable
    assert got.sha256 == weights.dataset_sha256(stored)


def test_integer_datasets_and_soft_links_inside_the_file(tmp_path):
    found, problems = read(tmp_path, "conv1/weight=8,1,3,3:int fc/weight=10,72:soft", layer(), layer("fc", conv=False, index=1))
    assert problems == []
    assert found["conv1"].weight.dtype == np.float64


def test_missing_dataset_names_the_closest(tmp_path):
    diag = problem(tmp_path, "conv1/weights=8,1,3,3 fc/weight=10,72")
    assert diag.code == "weights-missing" and "closest: /conv1/weights" in diag.message
    assert (diag.location.line, diag.location.layer) == (7, "conv1")


def test_missing_dataset_lists_the_file(tmp_path):
    diag = problem(tmp_path, "zzz/kernel=8,1,3,3")
    assert "the file has: /zzz/kernel" in diag.message


def test_weight_path_location_when_given(tmp_path):
    diag = problem(tmp_path, "conv1/weight=8,1,3,3", layer(), layer("fc", conv=False, index=1, dataset="/dense/kernel"))
    assert (diag.code, diag.location.line, diag.location.path) == ("weights-missing", 11, "layers[1].weight")


@pytest.mark.parametrize("kind", ["group", "dangling"])
def test_groups_and_dangling_links_are_missing(tmp_path, kind):
    assert problem(tmp_path, f"conv1/weight=1:{kind}").code == "weights-missing"


@pytest.mark.parametrize("kind, words", [("ext", "external link"), ("extstore", "external raw files"), ("virtual", "virtual")])
def test_data_outside_the_file_is_refused(tmp_path, kind, words):
    diag = problem(tmp_path, f"conv1/weight=8,1,3,3:{kind}")
    assert diag.code == "weights-external" and words in diag.message


def test_external_link_is_refused_without_touching_its_target(tmp_path):
    weightfiles.write(tmp_path / "net.h5", "conv1/weight=8,1,3,3:ext")
    (tmp_path / "net_other.h5").unlink()
    _, problems = weights.read(str(tmp_path / "net.h5"), (layer(),), LOCATOR)
    assert [p.code for p in problems] == ["weights-external"]


def test_soft_link_through_an_external_link_is_refused(tmp_path):
    weightfiles.write(tmp_path / "net.h5", "ext/w=8,1,3,3:ext")
    with h5py.File(tmp_path / "net.h5", "a") as f:
        f["conv1/weight"] = h5py.SoftLink("/ext/w")
    _, problems = weights.read(str(tmp_path / "net.h5"), (layer(),), LOCATOR)
    assert [p.code for p in problems] == ["weights-external"]


@pytest.mark.parametrize("kind", ["str", "complex"])
def test_non_numeric_dtypes(tmp_path, kind):
    diag = problem(tmp_path, f"conv1/weight=8,1,3,3:{kind}")
    assert diag.code == "weights-dtype" and "real numbers" in diag.message


def test_boolean_dataset_is_not_a_weight(tmp_path):
    with h5py.File(tmp_path / "net.h5", "w") as f:
        f["conv1/weight"] = np.ones((8, 1, 3, 3), dtype=bool)
    _, problems = weights.read(str(tmp_path / "net.h5"), (layer(),), LOCATOR)
    assert [p.code for p in problems] == ["weights-dtype"]


def test_oversized_dataset_is_refused_before_reading(tmp_path):
    diag = problem(tmp_path, "conv1/weight=2,2,2049,2048:huge")
    assert diag.code == "weights-too-large" and "65536" in diag.message


@pytest.mark.parametrize("conv, description",
                         [(True, "conv1/weight=8,9"), (False, "conv1/weight=8,1,3,3"), (True, "conv1/weight=8,1,3,3,1")])
def test_number_of_dimensions(tmp_path, conv, description):
    diag = problem(tmp_path, description, layer(conv=conv))
    assert diag.code == "weights-shape" and ("4-D" if conv else "2-D") in diag.message


@pytest.mark.parametrize("kind, value", [("nan", "nan"), ("inf", "inf")])
def test_non_finite_values_name_dataset_and_index(tmp_path, kind, value):
    diag = problem(tmp_path, f"conv1/weight=8,1,3,3:{kind}")
    assert diag.code == "weights-nonfinite"
    assert f"/conv1/weight holds 1 non-finite value(s), the first {value} at [0, 0, 0, 1]" in diag.message


@pytest.mark.parametrize("kind, ok", [("int", True), ("zeros", True), ("ones", True), ("half", False), ("big", False)])
def test_integer_weights_without_quantization(tmp_path, kind, ok):
    found, problems = read(tmp_path, f"conv1/weight=8,1,3,3:{kind}", layer(quantize=False))
    if ok:
        assert problems == []
    else:
        assert [p.code for p in problems] == ["weights-not-integer"] and "-128..127" in problems[0].message


def test_int8_bounds_are_inclusive(tmp_path):
    with h5py.File(tmp_path / "net.h5", "w") as f:
        f["conv1/weight"] = np.array([-128, 127, 0, 5.0]).reshape(4, 1, 1, 1)
    _, problems = weights.read(str(tmp_path / "net.h5"), (layer(quantize=False),), LOCATOR)
    assert problems == []


def test_fractional_weights_are_fine_when_quantized(tmp_path):
    assert read(tmp_path, "conv1/weight=8,1,3,3:half")[1] == []


def test_zero_bias_is_accepted_and_non_zero_refused(tmp_path):
    assert read(tmp_path, "conv1/weight=8,1,3,3 conv1/bias=8:zeros")[1] == []
    diag = problem(tmp_path, "conv1/weight=8,1,3,3 conv1/bias=8:ones")
    assert diag.code == "bias-nonzero" and "leak" in diag.message and "/conv1/bias" in diag.message
    assert problem(tmp_path, "conv1/weight=8,1,3,3 conv1/bias=8:nan").code == "bias-nonzero"


def test_bias_beside_a_custom_weight_path(tmp_path):
    diag = problem(tmp_path, "net/c1/kernel=8,1,3,3 net/c1/bias=8:ones", layer(dataset="/net/c1/kernel"))
    assert diag.code == "bias-nonzero" and "/net/c1/bias" in diag.message
    assert read(tmp_path, "kernel=8,1,3,3 bias=8:ones", layer(dataset="/kernel"))[1] == []  # no folder: no sibling


def test_every_layer_is_checked(tmp_path):
    _, problems = read(tmp_path, "conv1/weight=8,1,3,3:nan", layer(), layer("fc", conv=False, index=1))
    assert [p.code for p in problems] == ["weights-nonfinite", "weights-missing"]


def test_file_problems(tmp_path):
    _, problems = weights.read(str(tmp_path / "none.h5"), (layer(),), LOCATOR)
    assert [(p.code, p.location.line) for p in problems] == [("weights-file", 4)]
    assert "does not exist" in problems[0].message
    weightfiles.write(tmp_path / "bad.h5", "garbage")
    _, problems = weights.read(str(tmp_path / "bad.h5"), (layer(),), LOCATOR)
    assert [p.code for p in problems] == ["weights-file"]
    assert problems[0].message == f"the weight file {tmp_path / 'bad.h5'} cannot be opened as HDF5 (file signature not found)"
    _, problems = weights.read(str(tmp_path), (layer(),), LOCATOR)
    assert [p.code for p in problems] == ["weights-file"]
    assert problems[0].message == f"the weight file {tmp_path} is a directory, not an HDF5 file"


@pytest.mark.parametrize(
    "exc, reason",
    [
        (IsADirectoryError(21, "Unable to synchronously open file (file read failed: time = Fri Nov 27\n, errno = 21)"), "Is a directory"),
        (PermissionError(13, "Unable to open file (unable to open file: name = 'x.h5', errno = 13,\n flags = 0)"), "Permission denied"),
        (OSError("Unable to synchronously open file (file signature not found)"), "file signature not found"),
        (OSError("Can't read data (inflate() failed)"), "Can't read data (inflate() failed)"),
        (OSError("one\n  two"), "one two"),
        (ValueError(""), "ValueError"),
    ],
)
def test_library_errors_are_condensed_to_a_few_words(exc, reason):
    assert errors.reason(exc) == reason


def test_file_is_opened_read_only(tmp_path):
    weightfiles.write(tmp_path / "net.h5", "conv1/weight=8,1,3,3")
    before = (tmp_path / "net.h5").read_bytes()
    (tmp_path / "net.h5").chmod(0o444)
    assert weights.read(str(tmp_path / "net.h5"), (layer(),), LOCATOR)[1] == []
    assert (tmp_path / "net.h5").read_bytes() == before
