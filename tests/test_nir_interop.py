"""dynapspec's NIR reader and writer against the reference `nir` package (test extra, no torch)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dynapspec import spec as specmod
from dynapspec.compiler import compile_spec
from dynapspec.nirio import hdf5, import_file, write

nir = pytest.importorskip("nir")

FIXTURES = Path(__file__).parent / "fixtures" / "nir"
LENET = Path(__file__).parent.parent / "examples" / "lenet" / "net.yaml"


def test_reference_reader_loads_exported_files_with_type_checks(tmp_path):
    write(LENET, tmp_path / "lenet.nir")
    graph = nir.read(tmp_path / "lenet.nir", type_check=True)
    kinds = {name: type(node).__name__ for name, node in graph.nodes.items()}
    assert kinds["conv1"] == "Conv2d" and kinds["conv1__if"] == "IF" and kinds["fc1"] == "Linear"
    assert kinds["conv1__to__conv2__pool0"] == "AvgPool2d" and kinds["conv3__to__fc1__flatten"] == "Flatten"
    assert graph.nodes["conv1__if"].metadata["dynapspec_reset"] in ("subtract", b"subtract")
    assert graph.nodes["out__if"].v_threshold.shape == (10,)
    assert list(graph.nodes["conv1"].output_type["output"]) == [20, 24, 24]


@pytest.mark.parametrize("fixture", sorted(FIXTURES.glob("*.nir")), ids=lambda p: p.name)
def test_own_reader_agrees_with_reference_reader(fixture):
    ours = hdf5.read(fixture)
    theirs = nir.read(fixture, type_check=False)
    assert set(ours.edges) == {tuple(e) for e in theirs.edges}
    for name, node in ours.nodes.items():
        ref = theirs.nodes[name]
        assert node.type == type(ref).__name__
        for key, value in node.params.items():
            if isinstance(value, np.ndarray) and hasattr(ref, key) and isinstance(getattr(ref, key), np.ndarray):
                np.testing.assert_array_equal(value, getattr(ref, key))


def test_files_written_by_reference_writer_import(tmp_path):
    """nir.write: gzip by default, v_reset present, metadata groups, AvgPool2d, Affine with zero bias."""
    rng = np.random.default_rng(1)
    graph = nir.NIRGraph(
        nodes={
            "in": nir.Input(input_type=np.array([2, 16, 16])),
            "c": nir.Conv2d(input_shape=(16, 16), weight=rng.normal(size=(4, 2, 3, 3)), stride=1, padding=1,
                            dilation=1, groups=1, bias=np.zeros(4)),
            "s": nir.IF(r=np.ones((4, 16, 16)), v_threshold=np.full((4, 16, 16), 2.0),
                        v_reset=np.zeros((4, 16, 16)), metadata={"note": "from nir"}),
            "p": nir.AvgPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]), padding=np.array([0, 0])),
            "f": nir.Flatten(input_type={"input": np.array([4, 8, 8])}, start_dim=0, end_dim=-1),
            "fc": nir.Affine(weight=rng.normal(size=(10, 256)), bias=np.zeros(10)),
            "s2": nir.IF(r=np.ones(10), v_threshold=np.full(10, 2.0)),
            "out": nir.Output(output_type=np.array([10])),
        },
        edges=[("in", "c"), ("c", "s"), ("s", "p"), ("p", "f"), ("f", "fc"), ("fc", "s2"), ("s2", "out")],
        type_check=False,
    )
    nir.write(tmp_path / "ref.nir", graph)
    report = import_file(tmp_path / "ref.nir", tmp_path / "net.yaml")
    assert not report.problems
    spec = specmod.load(tmp_path / "net.yaml")
    assert spec.layer("c").edges[0].pool == (specmod.model.PoolStep(2, "avg"),)
    assert spec.layer("c").neuron.threshold == 2.0 and spec.layer("c").neuron.reset == "zero"
    np.testing.assert_array_equal(spec.layer("fc").weight, graph.nodes["fc"].weight)
    compile_spec(spec)
