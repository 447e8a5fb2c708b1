"""`dynapspec summary`: the layer table, also for a network that does not fit, and the edges."""
from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import CliRunner

import weightfiles
from dynapspec.cli.main import app

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


def invoke(*args):
    result = runner.invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.output
    return result


def rows(output: str, first_cell: str):
    """The first table row (the layer table comes first) whose first cell is ``first_cell``."""
    for line in output.splitlines():
        cells = line.split()
        if cells and cells[0] == first_cell:
            return cells
    return None


def write(tmp_path, body: str, weights: str) -> Path:
    spec = tmp_path / "net.yaml"
    spec.write_text("dynapspec: 1\nname: net\ntarget: speck2fdevkit\n" + body, encoding="utf-8")
    weightfiles.write(tmp_path / "net.h5", weights)
    return spec


NOT_FITTING = """\
input:
  shape: [2, 64, 64]
layers:
  - name: stem
    conv: {channels: 16, kernel: 3, padding: 1}
  - name: big
    conv: {channels: 32, kernel: 3, padding: 1}
  - name: head
    conv: {channels: 10, kernel: 3, stride: 2}
"""


def test_a_network_that_does_not_fit_gets_its_table_then_its_errors(tmp_path):
    spec = write(tmp_path, NOT_FITTING, "stem/weight=16,2,3,3 big/weight=32,16,3,3 head/weight=10,32,3,3")
    result = invoke("summary", spec)
    assert result.exit_code == 1
    out = result.output
    assert "does not compile" in out
    # every layer's shapes and memory are there, the failing one marked; the error comes after the table
    assert rows(out, "stem")[1:7] == ["2x64x64", "16x64x64", "3x3", "p1,1", "512", "65536"]
    assert rows(out, "big")[1:3] == ["16x64x64", "32x64x64"] and "131072" in rows(out, "big")
    assert rows(out, "big")[-1] == "layer-fits-no-core"
    assert "0-2" in rows(out, "stem")  # the cores stem fits
    assert out.index("error[layer-fits-no-core]") > out.index("head")
    assert "1 error:" in out


def test_missing_weights_do_not_hide_the_table(tmp_path):
    spec = write(tmp_path, NOT_FITTING, "none")
    result = invoke("summary", spec)
    assert result.exit_code == 1
    assert rows(result.output, "big")[-5:] == ["-", "none", "fits", "no", "core"]
    assert "error[weights-file]" in result.output


def test_layers_downstream_of_a_shape_error_are_listed_as_not_lowered(tmp_path):
    body = """\
input:
  shape: [1, 16, 16]
layers:
  - name: a
    conv: {channels: 4, kernel: 3, stride: 2}
  - name: b
    conv: {channels: 4, kernel: 9}
  - name: c
    dense: {features: 2}
"""
    spec = write(tmp_path, body, "a/weight=4,1,3,3 b/weight=4,4,9,9 c/weight=2,4")
    result = invoke("summary", spec)
    assert result.exit_code == 1
    assert rows(result.output, "a")[1:3] == ["1x16x16", "4x7x7"]
    assert rows(result.output, "b")[-1] == "kernel-too-large"
    assert "upstream" in " ".join(rows(result.output, "c"))


def test_edges_show_pooling_and_feature_shifts_of_a_branching_network():
    result = invoke("summary", ROOT / "examples" / "branching" / "net.yaml")
    assert result.exit_code == 0, result.output
    edges = [line.split() for line in result.output.splitlines() if " -> " in f" {line} " and "->" in line.split()]
    as_text = {(e[0], e[2]): " ".join(e[3:]) for e in edges}
    assert as_text[("stem", "left")] == "sum 2 0"
    assert as_text[("right", "cat")] == "- 8"   # concatenated after left's 8 features
    assert as_text[("input", "stem")] == "- 0"


def test_the_ten_layer_case_still_gets_every_layer(tmp_path):
    body = "input:\n  shape: [16, 8, 8]\nlayers:\n" + "".join(
        f"  - name: l{i}\n    conv: {{channels: 16, kernel: 1}}\n" for i in range(10))
    spec = write(tmp_path, body, " ".join(f"l{i}/weight=16,16,1,1" for i in range(10)))
    result = invoke("summary", spec)
    assert result.exit_code == 1 and "error[too-many-layers]" in result.output
    assert all(rows(result.output, f"l{i}")[1] == "16x8x8" for i in range(10))


def test_summary_of_a_network_that_fits_is_unchanged_in_substance(tmp_path):
    for name in ("net.yaml", "net.h5"):
        shutil.copy(ROOT / "examples" / "lenet" / name, tmp_path / name)
    result = invoke("summary", tmp_path / "net.yaml")
    assert result.exit_code == 0
    assert rows(result.output, "conv3")[1:6] == ["32x4x4", "128x2x2", "3x3", "65536", "512"]
    assert rows(result.output, "fc1")[6:8] == ["6", "5-6"]
    assert "error" not in result.output
