"""`dynapspec weights`: what a weight file must hold, learnt before one exists, and a template."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import h5py
import numpy as np
from typer.testing import CliRunner

import weightfiles
from dynapspec.cli.main import app

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()

# docs/chip.md §2, example A: the lenet layers' weight shapes, worked out by hand
LENET_SHAPES = {"/conv1/weight": [20, 1, 5, 5], "/conv2/weight": [32, 20, 5, 5], "/conv3/weight": [128, 32, 3, 3],
                "/fc1/weight": [500, 128], "/out/weight": [10, 500]}


def invoke(*args):
    result = runner.invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.output
    return result


def lenet_spec_only(tmp_path) -> Path:
    shutil.copy(ROOT / "examples" / "lenet" / "net.yaml", tmp_path / "net.yaml")
    return tmp_path / "net.yaml"


def test_shapes_are_listed_without_a_weight_file(tmp_path):
    spec = lenet_spec_only(tmp_path)
    result = invoke("weights", spec)
    assert result.exit_code == 0, result.output
    assert "does not exist yet" in result.output
    for dataset, shape in LENET_SHAPES.items():
        line = next(out for out in result.output.splitlines() if out.startswith(dataset + " "))
        assert "(" + ", ".join(map(str, shape)) + ")" in line
    doc = json.loads(invoke("weights", spec, "--format", "json").stdout)
    assert {d["dataset"]: d["shape"] for d in doc["datasets"]} == LENET_SHAPES


def test_dense_column_order_is_spelled_out(tmp_path):
    spec = tmp_path / "net.yaml"
    spec.write_text("""\
dynapspec: 1
name: orders
target: speck2fdevkit
input:
  shape: [2, 4, 6]
  to: [a, k]
layers:
  - name: a
    dense: {features: 8}
    to: [b]
  - name: b
    dense: {features: 3}
    to: []
  - name: k
    dense: {features: 5, input_order: hwc}
""")
    doc = json.loads(invoke("weights", spec, "--format", "json").stdout)
    by_layer = {d["layer"]: d for d in doc["datasets"]}
    assert by_layer["a"]["shape"] == [8, 48] and "C,H,W: column (c*4 + h)*6 + w" in by_layer["a"]["layout"]
    assert by_layer["k"]["shape"] == [5, 48] and "H,W,C: column (h*6 + w)*2 + c" in by_layer["k"]["layout"]
    assert by_layer["b"]["shape"] == [3, 8] and "the 8 input features" in by_layer["b"]["layout"]


def test_random_template_compiles_runs_and_says_it_is_a_template(tmp_path):
    spec = lenet_spec_only(tmp_path)
    result = invoke("weights", spec, "--template", tmp_path / "net.h5", "--fill", "random", "--seed", "3")
    assert result.exit_code == 0, result.output
    assert "not trained weights" in result.output
    with h5py.File(tmp_path / "net.h5") as f:
        assert "not trained weights" in f.attrs["dynapspec_template"]
        assert {name: list(f[name].shape) for name in LENET_SHAPES} == LENET_SHAPES
        assert f["/conv1/weight"].attrs["dynapspec_template"] == "random (seed 3)"
        first = f["/fc1/weight"][()]
        assert np.abs(first).max() <= 1 / np.sqrt(128) and first.std() > 0
    result = invoke("validate", spec)
    assert result.exit_code == 0, result.output
    assert "warning[weights-template]" in result.output
    # the same seed writes the same values
    assert invoke("weights", spec, "--template", tmp_path / "again.h5", "--fill", "random", "--seed", "3").exit_code == 0
    with h5py.File(tmp_path / "again.h5") as f:
        assert np.array_equal(f["/fc1/weight"][()], first)


def test_zeros_template_is_marked_and_its_consequence_stated(tmp_path):
    spec = lenet_spec_only(tmp_path)
    result = invoke("weights", spec, "--template", tmp_path / "net.h5")
    assert result.exit_code == 0 and "quant-all-zero" in result.output
    with h5py.File(tmp_path / "net.h5") as f:
        assert all(not f[name][()].any() for name in LENET_SHAPES)
        assert f.attrs["dynapspec_template"].startswith("zeros")
    assert "error[quant-all-zero]" in invoke("validate", spec).output


def test_an_existing_file_is_not_replaced_without_force(tmp_path):
    spec = lenet_spec_only(tmp_path)
    (tmp_path / "net.h5").write_bytes(b"trained")
    result = invoke("weights", spec, "--template", tmp_path / "net.h5")
    assert result.exit_code == 2 and "--force" in result.output
    assert (tmp_path / "net.h5").read_bytes() == b"trained"
    assert invoke("weights", spec, "--template", tmp_path / "net.h5", "--force").exit_code == 0
    assert h5py.is_hdf5(tmp_path / "net.h5")


def test_status_of_an_existing_file_names_every_wrong_dataset(tmp_path):
    spec = lenet_spec_only(tmp_path)
    weightfiles.write(tmp_path / "net.h5", "conv1/weight=20,1,5,5 conv2/weight=32,20,3,3 conv3/weight=128,32,3,3 fc1/weight=500,128")
    result = invoke("weights", spec)
    status = {row.split()[0]: row.split()[-1] for row in result.output.splitlines() if row.startswith("/")}
    assert status["/conv1/weight"] == "ok"
    assert status["/conv2/weight"] == "3)"  # "shape (32, 20, 3, 3)"
    assert "shape (32, 20, 3, 3)" in result.output
    assert status["/out/weight"] == "weights-missing"


def test_shapes_behind_an_error_are_unknown_and_the_error_is_reported(tmp_path):
    spec = tmp_path / "net.yaml"
    spec.write_text("""\
dynapspec: 1
name: broken
target: speck2fdevkit
input:
  shape: [1, 8, 8]
layers:
  - name: a
    conv: {channels: 4, kernel: 9}
  - name: b
    dense: {features: 2}
""")
    result = invoke("weights", spec)
    assert result.exit_code == 1
    assert "error[kernel-too-large]" in result.output
    line = next(out for out in result.output.splitlines() if out.startswith("/b/weight"))
    assert "?" in line and "unknown" in line


def test_a_missing_weight_file_points_at_the_weights_command(tmp_path):
    spec = lenet_spec_only(tmp_path)
    result = invoke("validate", spec)
    assert result.exit_code == 1
    assert f"`dynapspec weights {spec}` lists the datasets it needs" in result.output
