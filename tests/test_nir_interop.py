"""dynapspec's NIR reader and writer against the reference `nir` package (test extra, no torch)."""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from dynapspec import spec as specmod
from dynapspec.compiler import compile_spec
from dynapspec.events import spike_events
from dynapspec.nirio import hdf5, import_file, write
from dynapspec.nirio.exporter import to_graph
from dynapspec.spec.model import XY, Conv, DvsInput

from oracle import Oracle
from specfactory import conv, dense, make_spec, rand
from specstrategy import specs

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
    shapes = [(r.input_shape, r.output_shape) for r in compile_spec(spec).config.header.layers]
    assert shapes == [((2, 16, 16), (4, 16, 16)), ((4, 8, 8), (10, 1, 1))]  # as the graph above says


# -- the exporter read back by the nir package, against the spec-level oracle -----------------------

def read_by_nir(spec, path):
    """Export ``spec`` and read the file with the nir package, its type inference and checks on."""
    nodes, edges = to_graph(spec)
    hdf5.write(path, nodes, edges)
    return nir.read(path, type_check=True)


def assert_nir_reads_the_spec(spec, path):
    """Every node as nir reads it carries the spec's geometry in NIR's (H, W) order, and nir's own
    shape inference from the file's stride, padding and pooling gives the oracle's map sizes."""
    graph = read_by_nir(spec, path)
    oracle = Oracle(spec)
    inp = spec.input
    if isinstance(inp, DvsInput):
        channels = 2 if inp.polarity == "both" else 1
        assert list(graph.nodes["input"].input_type["input"]) == [channels, inp.size.y, inp.size.x]
        if (inp.pool.x, inp.pool.y) != (1, 1):
            pool = graph.nodes["input__pool"]
            assert list(pool.kernel_size) == [inp.pool.y, inp.pool.x]
            assert list(pool.output_type["output"]) == list(oracle.entry_shape)
    else:
        assert list(graph.nodes["input"].input_type["input"]) == list(oracle.entry_shape)
    for layer in spec.layers:
        expected = oracle.layers[layer.name]
        C, H, W = expected.in_shape
        F, OH, OW = expected.out_shape
        weights = {n: node for n, node in graph.nodes.items()
                   if n == layer.name and not isinstance(node, nir.IF) or n.startswith(f"{layer.name}__from__")}
        assert weights, f"{layer.name}: no weight node"
        on_chip = written_as_conv(spec, layer)
        for name, node in weights.items():
            if on_chip:  # a conv, or a dense layer feeding one: the Conv2d it is on the chip
                assert isinstance(node, nir.Conv2d), name
                if isinstance(layer.op, Conv):  # (a dense one's stride and padding show in nir's output shape)
                    assert list(node.stride) == [layer.op.stride.y, layer.op.stride.x], f"{name}: stride (H, W)"
                    assert list(node.padding) == [layer.op.padding.y, layer.op.padding.x], f"{name}: padding (H, W)"
                assert list(node.input_type["input"][1:]) == [H, W], f"{name}: input map (H, W)"
                assert list(node.output_type["output"]) == [F, OH, OW], f"{name}: nir's output shape"
            else:
                assert isinstance(node, nir.Linear) and node.weight.shape[0] == layer.op.features, name
        if len(weights) == 1 and (isinstance(layer.op, Conv) or not on_chip):  # the columns its sources reach
            (node,) = weights.values()
            ours = layer.weight if isinstance(layer.op, Conv) else dense_columns_chw(layer, C, H, W).reshape(F, C, H, W)
            if layer.merge == "concat":
                (_, shift, features), = oracle.incoming[layer.name]
                ours = ours[:, shift:shift + features]
            np.testing.assert_array_equal(np.asarray(node.weight, dtype=np.float64).reshape(ours.shape), ours)
        neuron = graph.nodes[layer.name if len(weights) > 1 else f"{layer.name}__if"]
        assert neuron.v_threshold.shape == ((F, OH, OW) if on_chip else (F,))


def written_as_conv(spec, layer):
    """A conv layer, or a dense layer whose spikes reach a conv through dense layers (docs/nir.md)."""
    return isinstance(layer.op, Conv) or any(written_as_conv(spec, spec.layer(e.target)) for e in layer.edges)


def dense_columns_chw(layer, C, H, W):
    """The spec's dense weight with its columns in C,H,W order (as NIR's Linear reads a flattened map)."""
    if layer.op.input_order == "chw":
        return layer.weight
    F = layer.weight.shape[0]
    return layer.weight.reshape(F, H, W, C).transpose(0, 3, 1, 2).reshape(F, C * H * W)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs(nir=True))
def test_nir_reads_exported_geometry_as_the_spec_says(spec):
    with tempfile.TemporaryDirectory() as tmp:
        assert_nir_reads_the_spec(spec, Path(tmp) / "model.nir")


def test_nir_reads_per_axis_stride_and_padding_in_h_w_order(tmp_path):
    """Guards the exporter's stride and padding order on a non-square map (a swap changes nir's shapes)."""
    spec = make_spec((2, 7, 11), [
        conv("wide", 3, 3, rand(3, 2, 3, 3), stride={"x": 2, "y": 1}, padding={"x": 0, "y": 2}),
        conv("tall", 2, 2, rand(2, 3, 2, 2, seed=1), stride={"x": 1, "y": 2}, padding={"x": 1, "y": 0}),
    ])
    assert_nir_reads_the_spec(spec, tmp_path / "model.nir")
    graph = nir.read(tmp_path / "model.nir")
    assert list(graph.nodes["wide"].output_type["output"]) == [3, 9, 5]  # by hand: H (7+4-3)/1+1, W (11-3)//2+1
    assert list(graph.nodes["tall"].output_type["output"]) == [2, 4, 6]  # H (9-2)//2+1, W (5+2-2)/1+1


def reimported(spec, tmp_path):
    """export -> dynapspec import: the spec read back (the file passes nir's type check first)."""
    read_by_nir(spec, tmp_path / "model.nir")
    report = import_file(tmp_path / "model.nir", tmp_path / "back.yaml", target=spec.target)
    assert not report.problems, [d.render() for d in report.problems]
    return specmod.load(tmp_path / "back.yaml")


def spikes_of(spec, events):
    """The oracle's spikes as (t, feature, x, y) per layer position, names left out."""
    rows, _, _ = Oracle(spec).run(events)
    order = [layer.name for layer in spec.layers]
    return [(t, order.index(name), c, x, y) for t, name, c, x, y in rows]


@pytest.mark.parametrize("height, width, op", [
    (3, 3, Conv(4, 3, XY(1, 1), XY(0, 0))),
    (3, 5, Conv(4, 5, XY(1, 1), XY(0, 1))),  # 5x5 kernel, rows padded by (5 - 3) / 2 = 1
    (2, 5, Conv(4, 5, XY(1, 2), XY(0, 2))),  # (5 - 2) odd: padding 2 and stride 2 keep one output row
], ids=["square", "wide", "wide-odd"])
def test_dense_layer_feeding_a_conv_exports_as_the_conv_it_is_on_the_chip(tmp_path, height, width, op):
    """NIR cannot reshape a Linear's (F,) output into the (C, H, W) map a Conv2d reads; nir infers a
    Conv2d's output from a square kernel, so a dense layer on a non-square map is written square."""
    spec = make_spec((2, height, width), [
        dense("fc", 4, rand(4, 2 * height * width, seed=1) + 0.3, threshold=0.5),
        conv("head", 2, 1, rand(2, 4, 1, 1, seed=2) + 0.3, threshold=0.2),
    ])
    back = reimported(spec, tmp_path)
    graph = nir.read(tmp_path / "model.nir")
    assert isinstance(graph.nodes["fc"], nir.Conv2d) and list(graph.nodes["fc"].output_type["output"]) == [4, 1, 1]
    assert back.layer("fc").op == op
    events = spike_events(np.arange(300), *np.random.default_rng(0).integers(0, [2, width, height], (300, 3)).T)
    assert spikes_of(back, events) == spikes_of(spec, events) != []


def test_a_single_source_with_a_feature_shift_exports_the_columns_it_reaches(tmp_path):
    spec = make_spec((1, 4, 4), [
        conv("a", 2, 1, rand(2, 1, 1, 1, seed=3) + 0.5, to=[("b", 3)], threshold=0.3),
        conv("b", 2, 3, rand(2, 5, 3, 3, seed=4) + 0.3, padding=1, threshold=0.5),
    ])
    back = reimported(spec, tmp_path)
    assert nir.read(tmp_path / "model.nir").nodes["b"].weight.shape == (2, 2, 3, 3)
    events = spike_events(np.arange(200), np.zeros(200, int), *np.random.default_rng(1).integers(0, 4, (2, 200)))
    assert spikes_of(back, events) == spikes_of(spec, events) != []
