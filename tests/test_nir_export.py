"""NIR export, and import(export(spec)) reproducing the spec's network exactly."""
from __future__ import annotations

import textwrap
from dataclasses import replace
from pathlib import Path

import h5py
import numpy as np
import pytest

from dynapspec import spec as specmod
from dynapspec.errors import SpecError
from dynapspec.compiler.lower import lower
from dynapspec.nirio import hdf5, import_file, write
from dynapspec.nirio.exporter import to_graph

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*/*.yaml"))


def make(tmp_path, yaml_text, weights, name="net"):
    """A spec file and its weight file (``weights``: layer -> shape, seeded normal values)."""
    rng = np.random.default_rng(3)
    with h5py.File(tmp_path / f"{name}.h5", "w") as f:
        for layer, shape in weights.items():
            f.create_dataset(f"{layer}/weight", data=rng.normal(0, 0.3, size=shape).astype(np.float32))
    path = tmp_path / f"{name}.yaml"
    path.write_text(textwrap.dedent(yaml_text))
    return path


def round_trip(tmp_path, spec_path):
    """export, then import: the re-imported spec, loaded."""
    out = tmp_path / "rt"
    out.mkdir(exist_ok=True)
    write(spec_path, out / "model.nir")
    report = import_file(out / "model.nir", out / "back.yaml", target=specmod.load(spec_path).target)
    assert not report.problems, [d.render() for d in report.problems]
    assert not report.decisions, "dynapspec's own files need no decisions"
    return specmod.load(out / "back.yaml")


def spec_view(spec):
    """What a spec says about its network (not: name, cores, readout, quantize, dataset paths)."""
    inp = spec.input
    entry = (inp.channels, inp.height, inp.width) if isinstance(inp, specmod.model.ExternalInput) else (
        inp.source, inp.size, inp.polarity, inp.pool)
    layers = [(layer.name, type(layer.op).__name__, layer.op if isinstance(layer.op, specmod.model.Conv) else layer.op.features,
               layer.neuron, [(e.target, e.pool) for e in layer.edges], layer.merge,
               layer.monitor if layer.monitor is not None else not layer.edges) for layer in spec.layers]
    return entry, [e.target for e in inp.edges], layers


def chip_view(spec):
    """The lowered network: shapes, dense-as-conv weights, routes with resolved feature shifts."""
    network, _ = lower(replace(spec, readout=None))
    return [(layer.name, layer.input_shape, layer.output_shape, layer.kernel, layer.stride, layer.padding, layer.threshold_high,
             layer.threshold_low, layer.return_to_zero, layer.routes, layer.sources, layer.monitor, layer.weight.tobytes())
            for layer in network.layers]


def neuron_view(spec):
    """Every layer's neuron, field by field: threshold, floor (None: no floor) and reset."""
    return {layer.name: (layer.neuron.threshold, layer.neuron.low_threshold, layer.neuron.reset) for layer in spec.layers}


def assert_same_network(a, b):
    assert neuron_view(a) == neuron_view(b)
    assert spec_view(a) == spec_view(b)
    assert chip_view(a) == chip_view(b)
    for la, lb in zip(a.layers, b.layers):
        if la.op == lb.op:
            np.testing.assert_array_equal(la.weight, lb.weight)


def without_dvs_crop(example, tmp_path):
    """A copy of ``example`` whose DVS layer neither crops nor mirrors but delivers the same map:
    a host sensor of exactly the cropped size (so every layer after it is unchanged)."""
    import shutil

    import yaml

    data = yaml.safe_load(example.read_text())
    dvs = data["input"]["dvs"]
    pool = dvs.get("pool", 1)
    pool = pool if isinstance(pool, dict) else {"x": pool, "y": pool}
    crop = dvs.pop("crop")
    assert not dvs.pop("mirror_diagonal", False), "a swapped crop has no unswapped equal"
    dvs.pop("mirror", None)
    dvs["size"] = {a: (crop["cut"][a] - crop.get("origin", {}).get(a, 0) + 1) * pool[a] for a in ("x", "y")}
    dvs["source"] = "host"
    copy = tmp_path / "plain" / example.name
    copy.parent.mkdir()
    copy.write_text(yaml.safe_dump(data, sort_keys=False))
    shutil.copy(example.with_suffix(".h5"), copy.with_suffix(".h5"))
    return copy


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.parent.name)
def test_every_example_round_trips(tmp_path, example):
    original = specmod.load(example)
    inp = original.input
    whole = lambda d: (d.origin.x, d.origin.y, d.cut.x, d.cut.y) == (0, 0, d.size.x // d.pool.x - 1, d.size.y // d.pool.y - 1)  # noqa: E731
    if isinstance(inp, specmod.model.DvsInput) and (inp.mirror.x or inp.mirror.y or inp.mirror_diagonal or not whole(inp)):
        # only what NIR cannot say may stop an export (docs/nir.md); the rest of the network must still round-trip
        with pytest.raises(SpecError) as info:
            write(example, tmp_path / "refused.nir")
        assert [d.code for d in info.value.diagnostics] == ["nir-unsupported"]
        assert "the DVS input uses" in str(info.value) and "which NIR cannot express" in str(info.value)
        assert not (tmp_path / "refused.nir").exists()
        shapes = [(layer.input_shape, layer.output_shape) for layer in lower(original)[0].layers]
        example = without_dvs_crop(example, tmp_path)
        original = specmod.load(example)
        assert [(layer.input_shape, layer.output_shape) for layer in lower(original)[0].layers] == shapes
    back = round_trip(tmp_path, example)
    assert_same_network(original, back)


BRANCHY = """\
    dynapspec: 1
    name: branchy
    target: speck2fdevkit
    input:
      shape: [2, 16, 16]
      to: [a, b]
    neuron: {threshold: 1.5}
    layers:
      - name: a
        conv: {channels: 4, kernel: 3, padding: 1}
        to: [{layer: cat, pool: 2}]
        neuron: {threshold: 0.5, low_threshold: -1.0, reset: zero}
      - name: b
        conv: {channels: 3, kernel: 3, stride: {x: 1, y: 1}, padding: {x: 1, y: 1}}
        to: [{layer: cat, pool: {kernel: 2, mode: avg}}, {layer: tail, pool: [2, {kernel: 2, mode: avg}]}]
        monitor: true
      - name: cat
        conv: {channels: 5, kernel: 3, padding: 1}
        pool: 2
      - name: fc
        dense: {features: 10}
        to: []
      - name: tail
        dense: {features: 6, input_order: hwc}
    """
BRANCHY_WEIGHTS = {"a": (4, 2, 3, 3), "b": (3, 2, 3, 3), "cat": (5, 7, 3, 3), "fc": (10, 80), "tail": (6, 48)}


def neurons_spec(top, per_layer):
    """A 4-layer chain (conv, conv, conv, dense) with a top-level neuron and per-layer overrides."""
    text = "dynapspec: 1\nname: neurons\ntarget: speck2fdevkit\ninput: {shape: [2, 8, 8]}\n"
    if top is not None:
        text += f"neuron: {top}\n"
    text += "layers:\n"
    ops = ["conv: {channels: 4, kernel: 3, padding: 1}"] * 3 + ["dense: {features: 3}"]
    for name, op, neuron in zip("abcd", ops, per_layer):
        text += f"  - name: {name}\n    {op}\n" + (f"    neuron: {neuron}\n" if neuron else "")
    return text


NEURON_WEIGHTS = {"a": (4, 2, 3, 3), "b": (4, 4, 3, 3), "c": (4, 4, 3, 3), "d": (3, 256)}
NEURON_CASES = {
    # QA finding: the top level has a floor, one layer removes it; the importer used to drop the null
    "null-floor-under-top-floor": ("{threshold: 1.0, low_threshold: -1.0}",
                                   [None, None, None, "{low_threshold: null}"]),
    "most-layers-without-floor": ("{threshold: 1.0, low_threshold: -1.0}",
                                  ["{low_threshold: null}", "{low_threshold: null}", None, "{low_threshold: null}"]),
    "different-floors": ("{low_threshold: -2.0}",
                         ["{low_threshold: -0.5}", None, "{low_threshold: null}", "{low_threshold: -0.25}"]),
    "different-resets": ("{reset: zero}", [None, "{reset: subtract}", None, "{reset: subtract}"]),
    "different-thresholds": ("{threshold: 2.0}", ["{threshold: 0.5}", None, "{threshold: 0.1}", "{threshold: 3.25}"]),
    "every-field-per-layer": ("{threshold: 1.5, low_threshold: -1.0, reset: zero}", [
        "{threshold: 0.75}", "{reset: subtract, low_threshold: null}",
        "{threshold: 3.0, low_threshold: -4.0, reset: subtract}", None]),
    "top-level-used-by-no-layer": ("{threshold: 5.0, low_threshold: -5.0, reset: zero}", [
        "{threshold: 1.0, low_threshold: null, reset: subtract}", "{threshold: 2.0, low_threshold: null}",
        "{threshold: 1.0, low_threshold: -0.5, reset: subtract}", "{threshold: 2.0, reset: subtract}"]),
    "no-top-level": (None, [None, "{low_threshold: -1.0}", "{threshold: 0.5, reset: zero}", None]),
}


@pytest.mark.parametrize("case", sorted(NEURON_CASES))
def test_per_layer_neurons_round_trip_exactly(tmp_path, case):
    top, per_layer = NEURON_CASES[case]
    path = make(tmp_path, neurons_spec(top, per_layer), NEURON_WEIGHTS)
    original = specmod.load(path)
    back = round_trip(tmp_path, path)
    assert neuron_view(back) == neuron_view(original)
    assert_same_network(original, back)


def test_imported_layer_keeps_no_floor_under_a_top_level_floor(tmp_path):
    """The written spec says `low_threshold: null` for the layer, and the chip layer has no floor."""
    top, per_layer = NEURON_CASES["null-floor-under-top-floor"]
    back = round_trip(tmp_path, make(tmp_path, neurons_spec(top, per_layer), NEURON_WEIGHTS))
    assert back.layer("d").neuron.low_threshold is None and back.layer("a").neuron.low_threshold == -1.0
    assert "neuron: {low_threshold: null}" in (tmp_path / "rt" / "back.yaml").read_text()
    network, _ = lower(back)
    assert network.layers[-1].threshold_low is None and network.layers[0].threshold_low == -1.0


def test_branches_concat_avg_pool_hwc_dense_round_trip(tmp_path):
    path = make(tmp_path, BRANCHY, BRANCHY_WEIGHTS)
    original = specmod.load(path)
    back = round_trip(tmp_path, path)
    assert_same_network(original, back)
    assert back.layer("tail").op.input_order == "chw"  # columns reordered, same network
    assert back.layer("b").monitor is True


def test_concat_is_written_as_one_weight_node_per_source(tmp_path):
    nodes, edges = to_graph(specmod.load(make(tmp_path, BRANCHY, BRANCHY_WEIGHTS)))
    assert nodes["cat"][0] == "IF"
    assert nodes["cat__from__a"][1]["weight"].shape == (5, 4, 3, 3)
    assert nodes["cat__from__b"][1]["weight"].shape == (5, 3, 3, 3)
    assert ("b__if", "b__to__cat__pool0") in edges and nodes["b__to__cat__pool0"][0] == "AvgPool2d"
    assert nodes["cat__to__fc__flatten"][1]["input_type"].tolist() == [5, 4, 4]
    assert sorted(n for n, v in nodes.items() if v[0] == "Output") == ["b__output", "fc__output", "tail__output"]


def test_add_merge_round_trip(tmp_path):
    path = make(tmp_path, """\
        dynapspec: 1
        name: added
        target: speck2edevkit
        input: {shape: [1, 8, 8], to: [a, b]}
        layers:
          - {name: a, conv: {channels: 4, kernel: 3, padding: 1}, to: [c]}
          - {name: b, conv: {channels: 4, kernel: 3, padding: 1}, to: [c]}
          - {name: c, conv: {channels: 2, kernel: 3, padding: 1}, merge: add}
        """, {"a": (4, 1, 3, 3), "b": (4, 1, 3, 3), "c": (2, 4, 3, 3)})
    nodes, edges = to_graph(specmod.load(path))
    assert ("a__if", "c") in edges and ("b__if", "c") in edges
    assert_same_network(specmod.load(path), round_trip(tmp_path, path))


def test_dense_stacking_two_maps_round_trip(tmp_path):
    path = make(tmp_path, """\
        dynapspec: 1
        name: densecat
        target: speck2fdevkit
        input: {shape: [2, 8, 8], to: [a, b]}
        layers:
          - {name: a, conv: {channels: 3, kernel: 3, padding: 1}, to: [{layer: fc, pool: 2}]}
          - {name: b, conv: {channels: 2, kernel: 3, padding: 1}, to: [{layer: fc, pool: 2}]}
          - {name: fc, dense: {features: 5}}
        """, {"a": (3, 2, 3, 3), "b": (2, 2, 3, 3), "fc": (5, 80)})
    back = round_trip(tmp_path, path)
    assert [(e.target, e.feature_shift) for e in back.layer("b").edges] == [("fc", 3)]
    assert_same_network(specmod.load(path), back)


def test_dvs_input_round_trip(tmp_path):
    path = make(tmp_path, """\
        dynapspec: 1
        name: dvsnet
        target: speck2fdevkit
        input:
          dvs: {source: sensor, size: 128, polarity: merge, pool: 4}
        layers:
          - {name: c1, conv: {channels: 4, kernel: 3, padding: 1}}
        """, {"c1": (4, 1, 3, 3)})
    nodes, edges = to_graph(specmod.load(path))
    assert nodes["input"][1]["shape"].tolist() == [1, 128, 128]
    assert nodes["input__pool"][0] == "SumPool2d"
    assert_same_network(specmod.load(path), round_trip(tmp_path, path))


def test_dvs_input_with_per_axis_pooling_round_trip(tmp_path):
    path = make(tmp_path, """\
        dynapspec: 1
        name: dvsnet
        target: speck2fdevkit
        input:
          dvs: {size: {x: 64, y: 32}, pool: {x: 4, y: 2}}
        layers:
          - {name: c1, conv: {channels: 4, kernel: 3, padding: 1}}
        """, {"c1": (4, 2, 3, 3)})
    back = round_trip(tmp_path, path)
    assert (back.input.pool.x, back.input.pool.y, back.input.size.x, back.input.size.y) == (4, 2, 64, 32)
    assert_same_network(specmod.load(path), back)


def test_dvs_crop_refused(tmp_path):
    path = make(tmp_path, """\
        dynapspec: 1
        name: dvsnet
        target: speck2fdevkit
        input:
          dvs: {size: 64, pool: 2, crop: {origin: {x: 2, y: 2}, cut: {x: 29, y: 29}}}
        layers:
          - {name: c1, conv: {channels: 4, kernel: 3, padding: 1}}
        """, {"c1": (4, 2, 3, 3)})
    with pytest.raises(SpecError) as exc:
        write(path, tmp_path / "x.nir")
    assert [d.code for d in exc.value.diagnostics] == ["nir-unsupported"]
    assert "crop" in str(exc.value) and not (tmp_path / "x.nir").exists()


def test_exported_if_nodes_carry_threshold_reset_and_metadata(tmp_path):
    nodes, _ = to_graph(specmod.load(make(tmp_path, BRANCHY, BRANCHY_WEIGHTS)))
    kind, params, meta = nodes["a__if"]
    assert kind == "IF" and params["v_threshold"].shape == (4, 16, 16)
    assert np.all(params["v_threshold"] == 0.5) and np.all(params["v_reset"] == 0) and np.all(params["r"] == 1)
    assert meta == {"dynapspec_reset": "zero", "dynapspec_low_threshold": -1.0}
    assert nodes["fc__if"][1]["v_threshold"].shape == (10,)
    conv = nodes["b"][1]
    assert conv["stride"].tolist() == [1, 1] and conv["input_shape"].tolist() == [16, 16]
    assert not np.any(conv["bias"])


def test_export_is_deterministic_and_atomic(tmp_path):
    path = make(tmp_path, BRANCHY, BRANCHY_WEIGHTS)
    write(path, tmp_path / "a.nir")
    write(path, tmp_path / "b.nir")
    assert (tmp_path / "a.nir").read_bytes() == (tmp_path / "b.nir").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.nir", "b.nir", "net.h5", "net.yaml"]


def test_exported_file_reads_back_through_own_reader(tmp_path):
    path = make(tmp_path, BRANCHY, BRANCHY_WEIGHTS)
    write(path, tmp_path / "m.nir")
    graph = hdf5.read(tmp_path / "m.nir")
    assert graph.version == hdf5.NIR_VERSION
    assert graph.nodes["a"].type == "Conv2d" and graph.nodes["fc"].type == "Linear"


def test_invalid_spec_is_not_exported(tmp_path):
    path = make(tmp_path, """\
        dynapspec: 1
        name: bad
        target: speck2fdevkit
        input: {shape: [1, 8, 8]}
        layers:
          - {name: c1, conv: {channels: 4, kernel: 3}}
        """, {"c1": (4, 2, 3, 3)})
    with pytest.raises(SpecError) as exc:
        write(path, tmp_path / "x.nir")
    assert "weights-shape" in [d.code for d in exc.value.diagnostics]
    assert not (tmp_path / "x.nir").exists()
