"""NIR import: real files from other tools, every accepted and refused node, files of old versions."""
from __future__ import annotations

import random
from pathlib import Path

import h5py
import numpy as np
import pytest

from dynapspec import spec as specmod
from dynapspec.compiler import compile_spec
from dynapspec.errors import SpecError
from dynapspec.nirio import import_file, read
from nir_files import (
    affine, avgpool, chain, conv, flatten, if_, inp, linear, out, scale, small_cnn, sumpool, write_nir,
)

FIXTURES = Path(__file__).parent / "fixtures" / "nir"
SPECK_TARGETS = ["speck2e", "speck2edevkit", "speck2fmodule", "speck2fdevkit"]


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def codes(exc: SpecError):
    return [d.code for d in exc.value.diagnostics]


def chip_shapes(spec, output=False):
    """Compile: each layer's (input shape, output shape), or only its output shape, in spec order."""
    records = compile_spec(spec).config.header.layers
    return [r.output_shape if output else (r.input_shape, r.output_shape) for r in records]


def imported(tmp_path, nodes, edges, **kw):
    """Write a NIR file, import it, load the written spec."""
    path = write_nir(tmp_path / "model.nir", nodes, edges, **{k: v for k, v in kw.items() if k in ("version", "compression")})
    report = import_file(path, tmp_path / "net.yaml", **{k: v for k, v in kw.items() if k in ("target", "reset")})
    assert not report.problems, [d.render() for d in report.problems]
    return specmod.load(tmp_path / "net.yaml"), report


# -- real files from other tools (tests/fixtures/nir/README.md) ------------------------------

@pytest.mark.parametrize("target", SPECK_TARGETS)
def test_sinabs_nmnist_cnn_imports_and_compiles_for_speck(tmp_path, target):
    report = import_file(FIXTURES / "cnn_sinabs.nir", tmp_path / "net.yaml", target=target)
    assert not report.problems
    spec = specmod.load(tmp_path / "net.yaml")
    assert spec.target == target
    assert [(layer.name, type(layer.op).__name__) for layer in spec.layers] == [
        ("conv_0", "Conv"), ("conv_2", "Conv"), ("conv_5", "Conv"), ("dense_9", "Dense"), ("dense_11", "Dense")]
    first = spec.layers[0].op
    assert (first.channels, first.kernel, first.stride.x, first.padding.x) == (16, 5, 2, 1)
    assert [e.pool for e in spec.layers[1].edges] == [(specmod.model.PoolStep(2, "sum"),)]
    assert all(layer.neuron.reset == "zero" and layer.neuron.threshold == 1.0 for layer in spec.layers)
    with h5py.File(FIXTURES / "cnn_sinabs.nir") as f:
        np.testing.assert_array_equal(spec.layer("conv_0").weight, f["node/nodes/0/weight"][()])
        np.testing.assert_array_equal(spec.layer("dense_9").weight, f["node/nodes/9/weight"][()])
    result = compile_spec(spec)
    assert len(result.network.layers) == 5


@pytest.mark.parametrize("name", ["sinabs313_stride_pad.nir", "sinabs313_sumpool.nir"])
def test_sinabs313_files_import_and_compile(tmp_path, name):
    report = import_file(FIXTURES / name, tmp_path / "net.yaml")
    assert not report.problems
    # every chip layer's output is the shape sinabs gave its IF node (v_threshold holds one per neuron)
    with h5py.File(FIXTURES / name) as f:
        nodes = f["node/nodes"]
        spiking = sorted((int(k) for k in nodes if k.isdigit() and nodes[k]["type"][()] == b"IF"))
        expected = [nodes[str(k)]["v_threshold"].shape for k in spiking]
    assert chip_shapes(tmp_path / "net.yaml", output=True) == expected


def test_sinabs313_stride_pad_shapes(tmp_path):
    net = read(FIXTURES / "sinabs313_stride_pad.nir").net
    assert [layer.out_shape for layer in net.layers] == [(8, 16, 16), (16, 16, 16), (16, 4, 4), (4, 1, 1)]
    assert [layer.op.stride.x for layer in net.layers] == [2, 1, 2, 1]


def test_sinabs313_sumpool_chain(tmp_path):
    net = read(FIXTURES / "sinabs313_sumpool.nir").net
    assert [tuple(p.factor for p in layer.edges[0].pool) for layer in net.layers[:2]] == [(2,), (4,)]


def test_nonzero_biases_refused_naming_nodes(tmp_path):
    with pytest.raises(SpecError) as exc:
        import_file(FIXTURES / "sinabs313_bias_reset.nir", tmp_path / "net.yaml")
    assert codes(exc) == ["bias-nonzero", "bias-nonzero"]
    rendered = str(exc.value)
    assert "node '0' (Conv2d)" in rendered and "node '4' (Conv2d)" in rendered and "leak" in rendered
    assert not list(tmp_path.iterdir()), "a refused import writes nothing"


def test_norse_lif_refused_naming_node(tmp_path):
    with pytest.raises(SpecError) as exc:
        import_file(FIXTURES / "lif_norse.nir", tmp_path / "net.yaml")
    assert codes(exc) == ["nir-unsupported"]
    diag = exc.value.diagnostics[0]
    assert "node '1' (LIF)" in diag.message and "IF neurons" in diag.message
    assert diag.location.path == "/node/nodes/1"


# -- versions and layouts ------------------------------------------------------------------

def test_file_without_v_reset_imports_with_reset_zero(tmp_path, rng):
    nodes, edges = small_cnn(rng, with_reset=False)
    spec, report = imported(tmp_path, nodes, edges, version="1.0.4")
    assert {layer.neuron.reset for layer in spec.layers} == {"zero"}
    assert any("predates nir 1.0.6" in d.message for d in report.decisions)


def test_gzip_compressed_file(tmp_path, rng):
    nodes, edges = small_cnn(rng)
    spec, _ = imported(tmp_path, nodes, edges, compression="gzip")
    with h5py.File(tmp_path / "model.nir") as f:
        assert f["node/nodes/conv/weight"].compression == "gzip"
    np.testing.assert_array_equal(spec.layer("conv").weight, nodes["conv"]["weight"])


def test_lzf_compressed_file(tmp_path, rng):
    nodes, edges = small_cnn(rng)
    spec, _ = imported(tmp_path, nodes, edges, compression="lzf")
    np.testing.assert_array_equal(spec.layer("fc").weight, nodes["fc"]["weight"])


def test_nested_graph_with_dotted_edge_names(tmp_path, rng):
    nodes, _ = small_cnn(rng)
    block = {"type": "NIRGraph",
             "nodes": {"input": inp(4, 16, 16), "conv": nodes["conv"], "spk": nodes["spk1"], "output": out(4, 16, 16)},
             "edges": chain("input", "conv", "spk", "output")}
    nodes["conv"] = conv(rng.normal(size=(4, 2, 3, 3)), padding=1)
    block["nodes"]["conv"] = conv(rng.normal(size=(4, 4, 3, 3)), padding=1)
    graph = {k: v for k, v in nodes.items()}
    graph["block"] = block
    edges = chain("input", "conv", "spk1") + [("spk1", "block.input"), ("block.output", "flat")] + chain(
        "flat", "fc", "spk2", "output")
    spec, _ = imported(tmp_path, graph, edges)
    assert [layer.name for layer in spec.layers] == ["conv", "block.conv", "fc"]
    # an edge may also name the subgraph itself (its Input as a target, its Output as a source)
    (tmp_path / "again").mkdir()
    edges2 = chain("input", "conv", "spk1", "block", "flat", "fc", "spk2", "output")
    spec2, _ = imported(tmp_path / "again", graph, edges2)
    assert [layer.name for layer in spec2.layers] == ["conv", "block.conv", "fc"]


def test_graph_comes_from_edges_not_node_order(tmp_path, rng):
    nodes, edges = small_cnn(rng, pool={"pool": sumpool(2)})
    texts = []
    for seed in range(3):
        order = list(nodes)
        random.Random(seed).shuffle(order)
        shuffled = list(edges)
        random.Random(seed + 10).shuffle(shuffled)
        d = tmp_path / str(seed)
        d.mkdir()
        imported(d, {k: nodes[k] for k in order}, shuffled)
        texts.append((d / "net.yaml").read_text())
    assert texts[0] == texts[1] == texts[2]


def test_scalar_if_parameters(tmp_path, rng):
    """Some exporters write r / v_reset as scalars (nir 1.0.8's own reader asserts equal shapes)."""
    nodes, edges = small_cnn(rng)
    nodes["spk1"] = dict(if_((4, 16, 16), threshold=2.0), r=np.float32(1.0), v_reset=np.float32(0.0))
    spec, _ = imported(tmp_path, nodes, edges)
    assert spec.layer("conv").neuron.threshold == 2.0


def test_exporter_metadata_gaps_are_inferred(tmp_path, rng):
    """Conv input_shape and Output shape left out, a Flatten without input_type: shapes are ours."""
    nodes, edges = small_cnn(rng)
    del nodes["flat"]["input_type"]
    nodes["output"] = {"type": "Output", "shape": np.array([], dtype=np.int64)}
    spec, _ = imported(tmp_path, nodes, edges)
    assert spec.layer("fc").op.features == 10


def test_empty_input_shape_taken_from_first_conv(tmp_path, rng):
    nodes, edges = small_cnn(rng)
    nodes["input"] = {"type": "Input", "shape": np.array([], dtype=np.int64)}
    nodes["conv"] = conv(nodes["conv"]["weight"], padding=1, input_shape=(16, 16))
    spec, report = imported(tmp_path, nodes, edges)
    assert (spec.input.channels, spec.input.height, spec.input.width) == (2, 16, 16)
    assert any("no shape" in n for n in read(tmp_path / "model.nir").net.notes)


# -- accepted nodes and their semantics ---------------------------------------------------

def test_affine_with_zero_bias_and_linear_accepted(tmp_path, rng):
    nodes, edges = small_cnn(rng)
    nodes["fc"] = affine(nodes["fc"]["weight"])
    spec, _ = imported(tmp_path, nodes, edges)
    assert spec.layer("fc").op.features == 10


def test_affine_nonzero_bias_refused(tmp_path, rng):
    nodes, edges = small_cnn(rng)
    nodes["fc"] = affine(nodes["fc"]["weight"], bias=np.arange(10))
    with pytest.raises(SpecError) as exc:
        imported(tmp_path, nodes, edges)
    assert codes(exc) == ["bias-nonzero"] and "node 'fc' (Affine)" in str(exc.value)


def test_avgpool_network(tmp_path, rng):
    nodes, edges = small_cnn(rng, pool={"pool": avgpool(2)})
    spec, _ = imported(tmp_path, nodes, edges)
    assert spec.layer("conv").edges[0].pool == (specmod.model.PoolStep(2, "avg"),)
    assert chip_shapes(spec) == [((2, 16, 16), (4, 16, 16)), ((4, 8, 8), (10, 1, 1))]  # 16x16 pooled by 2


@pytest.mark.parametrize("order", ["sum-scale", "scale-sum"])
def test_sumpool_plus_scale_is_avgpool(tmp_path, rng, order):
    pool = {"sp": sumpool(2), "sc": scale((4, 8, 8), 0.25)} if order == "sum-scale" else {
        "sc": scale((4, 16, 16), 0.25), "sp": sumpool(2)}
    nodes, edges = small_cnn(rng, pool=pool)
    spec, _ = imported(tmp_path, nodes, edges)
    assert spec.layer("conv").edges[0].pool == (specmod.model.PoolStep(2, "avg"),)


def test_scale_that_does_not_complete_avgpool_refused(tmp_path, rng):
    nodes, edges = small_cnn(rng, pool={"sp": sumpool(2), "sc": scale((4, 8, 8), 0.5)})
    with pytest.raises(SpecError) as exc:
        imported(tmp_path, nodes, edges)
    assert codes(exc) == ["nir-unsupported"] and "node 'sc'" in str(exc.value)


def test_uniform_r_is_folded_into_weights(tmp_path, rng):
    nodes, edges = small_cnn(rng)
    nodes["spk1"] = if_((4, 16, 16), r=0.5)
    spec, report = imported(tmp_path, nodes, edges)
    np.testing.assert_allclose(spec.layer("conv").weight, nodes["conv"]["weight"] * 0.5)
    assert any("resistances" in d.message for d in report.decisions)


def test_reset_option_and_exporter_metadata(tmp_path, rng):
    nodes, edges = small_cnn(rng)
    spec, report = imported(tmp_path, nodes, edges, reset="subtract")
    assert {layer.neuron.reset for layer in spec.layers} == {"subtract"}
    assert not report.decisions
    nodes["spk1"] = if_((4, 16, 16), metadata={"dynapspec_reset": "subtract", "dynapspec_low_threshold": -2.0})
    (tmp_path / "b").mkdir()
    spec, _ = imported(tmp_path / "b", nodes, edges)
    assert spec.layer("conv").neuron.reset == "subtract" and spec.layer("conv").neuron.low_threshold == -2.0
    assert spec.layer("fc").neuron.reset == "zero"


def test_thresholds_are_written_as_the_exporter_wrote_them(tmp_path, rng):
    nodes, edges = small_cnn(rng, threshold=0.1)
    spec, _ = imported(tmp_path, nodes, edges)
    assert "threshold: 0.1\n" in (tmp_path / "net.yaml").read_text()
    assert spec.layers[0].neuron.threshold == 0.1


@pytest.mark.parametrize("conv_name, fc_name, expected", [
    ("0", "my fc:1", ["conv_0", "my_fc_1"]),
    ("a b", "a:b", ["a_b", "a_b_2"]),
    ("input", "x" * 100, ["conv_input", "x" * 60]),
])
def test_names_are_sanitised_and_unique(tmp_path, rng, conv_name, fc_name, expected):
    nodes, edges = small_cnn(rng)
    renamed = {"conv": conv_name, "fc": fc_name, "input": "in"}
    nodes = {renamed.get(k, k): v for k, v in nodes.items()}
    edges = [(renamed.get(a, a), renamed.get(b, b)) for a, b in edges]
    spec, _ = imported(tmp_path, nodes, edges)
    assert [layer.name for layer in spec.layers] == expected


def test_spec_text_is_commented_and_names_nir_nodes(tmp_path, rng):
    nodes, edges = small_cnn(rng, pool={"pool": sumpool(2)})
    imported(tmp_path, nodes, edges)
    text = (tmp_path / "net.yaml").read_text()
    assert "# Conv2d 'conv' + IF 'spk1': 2x16x16 -> 4x16x16, pooled to 4x8x8" in text
    assert "weights: net.h5" in text and (tmp_path / "net.h5").exists()


def test_dvs_input_when_graph_pools_before_first_layer(tmp_path, rng):
    w = rng.normal(size=(4, 2, 3, 3))
    nodes = {"input": inp(2, 64, 64), "p": sumpool(2), "c": conv(w, padding=1), "s": if_((4, 32, 32)),
             "output": out(4, 32, 32)}
    spec, _ = imported(tmp_path, nodes, chain("input", "p", "c", "s", "output"))
    assert spec.input.pool.x == 2 and spec.input.polarity == "both" and spec.input.size.x == 64
    assert chip_shapes(spec) == [((2, 32, 32), (4, 32, 32))]  # the DVS layer pools 64x64 by 2


def test_pool_before_first_layer_with_many_channels_refused(tmp_path, rng):
    w = rng.normal(size=(4, 3, 3, 3))
    nodes = {"input": inp(3, 64, 64), "p": sumpool(2), "c": conv(w, padding=1), "s": if_((4, 32, 32)),
             "output": out(4, 32, 32)}
    with pytest.raises(SpecError) as exc:
        imported(tmp_path, nodes, chain("input", "p", "c", "s", "output"))
    assert codes(exc) == ["nir-unsupported"] and "DVS input layer" in str(exc.value)


def test_concat_merge(tmp_path, rng):
    """One weight node per source into one IF: the sources' features are stacked."""
    w = lambda *s: rng.normal(size=s)  # noqa: E731
    nodes = {
        "input": inp(2, 8, 8),
        "a": conv(w(3, 2, 3, 3), padding=1), "sa": if_((3, 8, 8)),
        "b": conv(w(5, 2, 3, 3), padding=1), "sb": if_((5, 8, 8)),
        "ca": conv(w(6, 3, 3, 3), padding=1), "cb": conv(w(6, 5, 3, 3), padding=1), "cat": if_((6, 8, 8)),
        "output": out(6, 8, 8),
    }
    edges = [("input", "a"), ("input", "b"), ("a", "sa"), ("b", "sb"), ("sa", "ca"), ("sb", "cb"),
             ("ca", "cat"), ("cb", "cat"), ("cat", "output")]
    spec, _ = imported(tmp_path, nodes, edges)
    cat = spec.layer("cat")
    assert cat.merge == "concat" and cat.weight.shape == (6, 8, 3, 3)
    np.testing.assert_array_equal(cat.weight[:, :3], nodes["ca"]["weight"])
    np.testing.assert_array_equal(cat.weight[:, 3:], nodes["cb"]["weight"])
    assert [(e.target, e.feature_shift) for e in spec.layer("a").edges] == [("cat", 0)]
    assert [(e.target, e.feature_shift) for e in spec.layer("b").edges] == [("cat", 3)]
    assert chip_shapes(spec)[2] == ((8, 8, 8), (6, 8, 8))  # 3 + 5 features stacked


def test_weight_node_feeding_a_pool_refused(tmp_path, rng):
    nodes, edges = small_cnn(rng)
    nodes["pool"] = sumpool(2)
    edges = [e for e in edges if e != ("conv", "spk1")] + [("conv", "pool"), ("pool", "spk1")]
    with pytest.raises(SpecError) as exc:
        imported(tmp_path, nodes, edges)
    assert "must feed exactly one IF" in str(exc.value)


def test_add_merge(tmp_path, rng):
    w = lambda *s: rng.normal(size=s)  # noqa: E731
    nodes = {"input": inp(2, 8, 8), "a": conv(w(3, 2, 3, 3), padding=1), "sa": if_((3, 8, 8)),
             "b": conv(w(3, 2, 3, 3), padding=1), "sb": if_((3, 8, 8)),
             "c": conv(w(2, 3, 3, 3), padding=1), "sc": if_((2, 8, 8)), "output": out(2, 8, 8)}
    edges = [("input", "a"), ("input", "b"), ("a", "sa"), ("b", "sb"), ("sa", "c"), ("sb", "c"), ("c", "sc"),
             ("sc", "output")]
    spec, _ = imported(tmp_path, nodes, edges)
    assert spec.layer("c").merge == "add"
    assert [e.target for e in spec.input.edges] == ["a", "b"]
    assert chip_shapes(spec)[2] == ((3, 8, 8), (2, 8, 8))  # 3 features each, added


# -- refusals, each naming the node ---------------------------------------------------------

def _conv_net(rng, **conv_kw):
    w = rng.normal(size=(4, 2, 3, 3))
    nodes = {"input": inp(2, 16, 16), "c": conv(w, **conv_kw), "s": if_((4, 16, 16)), "output": out(4, 16, 16)}
    return nodes, chain("input", "c", "s", "output")


@pytest.mark.parametrize("conv_kw, needle", [
    ({"padding": "same"}, "padding 'same' is given as a string"),
    ({"padding": "valid"}, "padding 'valid' is given as a string"),
    ({"dilation": 2}, "dilation (2, 2)"),
    ({"groups": 2}, "groups=2"),
])
def test_conv_refusals(tmp_path, rng, conv_kw, needle):
    nodes, edges = _conv_net(rng, **conv_kw)
    with pytest.raises(SpecError) as exc:
        imported(tmp_path, nodes, edges)
    assert codes(exc) == ["nir-unsupported"]
    assert needle in str(exc.value) and "node 'c' (Conv2d)" in str(exc.value)


def test_nonsquare_kernel_refused(tmp_path, rng):
    nodes = {"input": inp(2, 16, 16), "c": conv(rng.normal(size=(4, 2, 3, 5))), "s": if_((4, 14, 12)),
             "output": out(4, 14, 12)}
    with pytest.raises(SpecError) as exc:
        imported(tmp_path, nodes, chain("input", "c", "s", "output"))
    assert "not square" in str(exc.value)


@pytest.mark.parametrize("kind, extra", [
    ("LIF", {"tau": 0.01, "v_leak": 0.0, "v_threshold": 1.0, "r": 1.0, "v_reset": 0.0}),
    ("LI", {"tau": 0.01, "v_leak": 0.0, "r": 1.0}),
    ("CubaLIF", {"tau_mem": 0.01, "tau_syn": 0.01, "v_leak": 0.0, "v_threshold": 1.0, "r": 1.0, "w_in": 1.0}),
    ("CubaLI", {"tau_mem": 0.01, "tau_syn": 0.01, "v_leak": 0.0, "r": 1.0, "w_in": 1.0}),
    ("I", {"r": 1.0}),
    ("Conv1d", {"weight": 1.0, "stride": 1, "padding": 0, "dilation": 1, "groups": 1, "bias": 0.0}),
    ("Delay", {"delay": 1.0}),
    ("Threshold", {"threshold": 1.0}),
    ("Mystery", {}),
])
def test_neuron_and_other_node_refusals(tmp_path, kind, extra):
    node = {"type": kind, **{k: np.full((3,), v) for k, v in extra.items()}}
    nodes = {"input": inp(2), "fc": linear(np.ones((3, 2))), "n": node, "output": out(3)}
    with pytest.raises(SpecError) as exc:
        imported(tmp_path, nodes, chain("input", "fc", "n", "output"))
    assert codes(exc) == ["nir-unsupported"]
    assert f"node 'n' ({kind})" in str(exc.value)


def test_all_refusals_reported_at_once(tmp_path, rng):
    nodes, edges = _conv_net(rng, padding="same", dilation=2)
    nodes["s"] = {"type": "LIF", "tau": np.ones(3)}
    with pytest.raises(SpecError) as exc:
        imported(tmp_path, nodes, edges)
    assert len(exc.value.diagnostics) == 3


def test_nonuniform_thresholds_refused_naming_node(tmp_path, rng):
    nodes, edges = small_cnn(rng)
    thresholds = np.ones((4, 16, 16), np.float32)
    thresholds[2] = 1.5
    nodes["spk1"] = dict(if_((4, 16, 16)), v_threshold=thresholds)
    with pytest.raises(SpecError) as exc:
        imported(tmp_path, nodes, edges)
    assert codes(exc) == ["nir-nonuniform"]
    assert "node 'spk1' (IF)" in str(exc.value) and "from 1 to 1.5" in str(exc.value)


def test_nonzero_v_reset_refused(tmp_path, rng):
    nodes, edges = small_cnn(rng)
    nodes["spk2"] = if_((10,), v_reset=-0.5)
    with pytest.raises(SpecError) as exc:
        imported(tmp_path, nodes, edges)
    assert codes(exc) == ["nir-unsupported"] and "v_reset" in str(exc.value)


def test_recurrent_edge_refused(tmp_path, rng):
    nodes = {"input": inp(3), "fc": linear(np.ones((3, 3))), "s": if_((3,)), "rec": linear(np.eye(3)),
             "output": out(3)}
    edges = chain("input", "fc", "s", "output") + [("s", "rec"), ("rec", "fc")]
    with pytest.raises(SpecError) as exc:
        imported(tmp_path, nodes, edges)
    assert codes(exc) == ["nir-graph"] and "cycle" in str(exc.value) and "'fc'" in str(exc.value)


def test_self_loop_refused(tmp_path):
    nodes = {"input": inp(3), "fc": linear(np.ones((3, 3))), "s": if_((3,)), "output": out(3)}
    with pytest.raises(SpecError) as exc:
        imported(tmp_path, nodes, chain("input", "fc", "s", "output") + [("s", "s")])
    assert "recurrent" in str(exc.value)


def test_pool_before_output_refused(tmp_path, rng):
    nodes, edges = _conv_net(rng, padding=1)
    nodes["p"] = sumpool(2)
    edges = chain("input", "c", "s", "p", "output")
    with pytest.raises(SpecError) as exc:
        imported(tmp_path, nodes, edges)
    assert codes(exc) == ["nir-unsupported"]


@pytest.mark.parametrize("pool, needle", [(sumpool(2, stride=1), "stride"), (sumpool(2, padding=1), "padding"),
                                          (sumpool((2, 4)), "not square")])
def test_pool_refusals(tmp_path, rng, pool, needle):
    nodes, edges = small_cnn(rng, pool={"pool": pool})
    if needle == "not square":  # 4x16x16 pooled (2, 4) gives 4x8x4
        nodes["flat"], nodes["fc"] = flatten(4, 8, 4), linear(np.ones((10, 128)))
    with pytest.raises(SpecError) as exc:
        imported(tmp_path, nodes, edges)
    assert needle in str(exc.value) and "node 'pool'" in str(exc.value)


def test_weight_shape_mismatch_refused(tmp_path, rng):
    nodes, edges = small_cnn(rng)
    nodes["fc"] = linear(np.ones((10, 99)))
    with pytest.raises(SpecError) as exc:
        imported(tmp_path, nodes, edges)
    assert codes(exc) == ["nir-graph"] and "takes 99 inputs" in str(exc.value)


def test_unknown_edge_name_refused(tmp_path, rng):
    nodes, edges = small_cnn(rng)
    with pytest.raises(SpecError) as exc:
        imported(tmp_path, nodes, edges + [("spk2", "ghost")])
    assert codes(exc) == ["nir-graph"] and "'ghost'" in str(exc.value)


def test_not_a_nir_file(tmp_path):
    bad = tmp_path / "x.nir"
    bad.write_text("hello")
    with pytest.raises(SpecError) as exc:
        read(bad)
    assert codes(exc) == ["nir-format"]
    with h5py.File(tmp_path / "y.nir", "w") as f:
        f.create_dataset("version", data=b"1.0")
    with pytest.raises(SpecError) as exc:
        read(tmp_path / "y.nir")
    assert codes(exc) == ["nir-format"] and "/node" in str(exc.value)
    with pytest.raises(SpecError) as exc:
        read(tmp_path / "missing.nir")
    assert codes(exc) == ["file-not-found"]
