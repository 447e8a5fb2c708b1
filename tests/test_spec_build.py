"""spec.load: defaults, shorthands, inheritance, `to:` resolution, names, thresholds, DVS, files."""
from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

import weightfiles
from dynapspec.errors import SpecError
from dynapspec.spec import load
from dynapspec.spec.model import XY, Conv, Dense, DvsInput, Edge, ExternalInput, Neuron, PoolStep, Readout

ROOT = Path(__file__).resolve().parents[1]
HEAD = "dynapspec: 1\nname: t\ntarget: speck2fdevkit\n"


def write(tmp_path: Path, body: str, h5: str, name: str = "net.yaml", head: str = HEAD) -> Path:
    spec = tmp_path / name
    spec.write_text(head + body)
    weightfiles.write(tmp_path / (Path(name).stem + ".h5"), h5)
    return spec


def errors(spec_path) -> list:
    with pytest.raises(SpecError) as info:
        load(spec_path)
    return [(d.code, d.location.line, d.location.path) for d in info.value.diagnostics]


CHAIN = """input:
  shape: [2, 16, 16]
layers:
  - name: a
    conv: {channels: 4, kernel: 3}
  - name: b
    conv: {channels: 4, kernel: 3, stride: {x: 1, y: 2}, padding: 1}
    pool: {kernel: 2, mode: avg}
  - name: c
    dense: {features: 3, input_order: hwc}
"""
CHAIN_H5 = "a/weight=4,2,3,3 b/weight=4,4,3,3 c/weight=3,112"


def test_lenet_example():
    spec = load(ROOT / "examples" / "lenet" / "net.yaml")
    assert [layer.name for layer in spec.layers] == ["conv1", "conv2", "conv3", "fc1", "out"]
    assert spec.input == ExternalInput(1, 28, 28, (Edge("conv1", (), None, "input"),))
    conv1 = spec.layers[0]
    assert conv1.op == Conv(20, 5, XY(1, 1), XY(0, 0))
    assert conv1.edges == (Edge("conv2", (PoolStep(2, "avg"),), None, "layers[0]"),)
    assert conv1.weight.shape == (20, 1, 5, 5) and conv1.weight.dtype == np.float64
    assert spec.layers[-1].edges == () and spec.layers[-1].op == Dense(10, "chw")
    assert spec.weights_file == str(ROOT / "examples" / "lenet" / "net.h5")
    assert spec.spec_sha256 == hashlib.sha256((ROOT / "examples" / "lenet" / "net.yaml").read_bytes()).hexdigest()
    assert spec.readout is None


@pytest.mark.parametrize("name", ["lenet", "dvs_gesture", "branching"])
def test_examples_load(name):
    spec = load(ROOT / "examples" / name / "net.yaml")
    assert all(len(layer.weight_sha256) == 64 for layer in spec.layers)


def test_defaults_and_shorthands(tmp_path):
    spec = load(write(tmp_path, CHAIN, CHAIN_H5))
    a, b, c = spec.layers
    assert a.op == Conv(4, 3, XY(1, 1), XY(0, 0))
    assert b.op == Conv(4, 3, XY(1, 2), XY(1, 1))
    assert c.op == Dense(3, "hwc")
    assert a.neuron == Neuron(1.0, None, "subtract")
    assert (a.merge, a.monitor, a.core, a.quantize) == ("concat", None, None, True)
    assert [layer.weight_dataset for layer in spec.layers] == ["/a/weight", "/b/weight", "/c/weight"]
    assert a.edges == (Edge("b", (), None, "layers[0]"),)
    assert b.edges == (Edge("c", (PoolStep(2, "avg"),), None, "layers[1]"),)
    assert c.edges == ()
    assert spec.weights_file == str(tmp_path / "net.h5")  # <spec stem>.h5 beside the spec
    assert [layer.index for layer in spec.layers] == [0, 1, 2]
    assert [layer.path for layer in spec.layers] == ["layers[0]", "layers[1]", "layers[2]"]


def test_weights_default_follows_the_spec_name(tmp_path):
    spec = load(write(tmp_path, CHAIN, CHAIN_H5, name="other.yaml"))
    assert spec.weights_file == str(tmp_path / "other.h5")


def test_neuron_inheritance_is_key_by_key(tmp_path):
    body = CHAIN.replace("layers:\n", "neuron: {threshold: 2.5, low_threshold: -1.5}\nlayers:\n")
    body = body.replace("    conv: {channels: 4, kernel: 3}\n", "    conv: {channels: 4, kernel: 3}\n    neuron: {reset: zero}\n")
    body = body.replace("input_order: hwc}\n", "input_order: hwc}\n    neuron: {threshold: 7, low_threshold: null}\n")
    a, b, c = load(write(tmp_path, body, CHAIN_H5)).layers
    assert a.neuron == Neuron(2.5, -1.5, "zero")
    assert b.neuron == Neuron(2.5, -1.5, "subtract")
    assert c.neuron == Neuron(7.0, None, "subtract")


def test_quantize_monitor_core_weight_inherit_and_override(tmp_path):
    body = CHAIN.replace("layers:\n", "quantize: false\nlayers:\n").replace(
        "  - name: b\n", "  - name: b\n    quantize: true\n    monitor: true\n    core: 4\n    weight: store/b_kernel\n")
    a, b, c = load(write(tmp_path, body, "a/weight=4,2,3,3:int store/b_kernel=4,4,3,3 c/weight=3,112:int")).layers
    assert (a.quantize, b.quantize, c.quantize) == (False, True, False)
    assert (b.monitor, b.core, b.weight_dataset) == (True, 4, "/store/b_kernel")


def test_pooling_forms(tmp_path):
    body = """input:
  shape: [1, 32, 32]
layers:
  - name: a
    conv: {channels: 2, kernel: 1}
    pool: [2, {kernel: 2, mode: avg}]
    to:
      - b
      - {layer: c, pool: 4}
  - name: b
    conv: {channels: 2, kernel: 1}
    pool: {kernel: 2}
    to: [{layer: c, feature_shift: 2}]
  - name: c
    conv: {channels: 2, kernel: 1}
"""
    a, b, c = load(write(tmp_path, body, "a/weight=2,1,1,1 b/weight=2,2,1,1 c/weight=2,4,1,1")).layers
    assert a.edges == (
        Edge("b", (PoolStep(2, "sum"), PoolStep(2, "avg")), None, "layers[0].to[0]"),
        Edge("c", (PoolStep(4, "sum"),), None, "layers[0].to[1]"),
    )
    assert b.edges == (Edge("c", (PoolStep(2, "sum"),), 2, "layers[1].to[0]"),)


def test_explicit_exit_and_input_destinations(tmp_path):
    body = CHAIN.replace("  shape: [2, 16, 16]\n", "  shape: [2, 16, 16]\n  to: [a, {layer: b}]\n").replace(
        "    conv: {channels: 4, kernel: 3}\n", "    conv: {channels: 4, kernel: 3}\n    to: []\n")
    spec = load(write(tmp_path, body, CHAIN_H5))
    assert spec.input.edges == (Edge("a", (), None, "input.to[0]"), Edge("b", (), None, "input.to[1]"))
    assert spec.layers[0].edges == ()


def test_locator_points_into_the_file(tmp_path):
    spec = load(write(tmp_path, CHAIN, CHAIN_H5))
    loc = spec.locator.at("layers[1].conv.stride.y", "b")
    assert (loc.line, loc.column, loc.layer) == (10, 54, "b")
    assert spec.locator.at("layers[2]").line == 12
    assert spec.locator.at("layers[1].to").line == 9  # implicit: falls back to the layer


def test_spec_and_weights_are_immutable(tmp_path):
    spec = load(write(tmp_path, CHAIN, CHAIN_H5))
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.name = "x"
    with pytest.raises(ValueError):
        spec.layers[0].weight[0, 0, 0, 0] = 1.0


DVS = """input:
  dvs: {}
layers:
  - name: a
    conv: {channels: 4, kernel: 3}
"""


def test_dvs_defaults(tmp_path):
    spec = load(write(tmp_path, DVS, "a/weight=4,2,3,3"))
    assert spec.input == DvsInput(
        source="host", size=XY(128, 128), polarity="both", pool=XY(1, 1), origin=XY(0, 0), cut=XY(127, 127),
        mirror=XY(0, 0), mirror_diagonal=False, monitor=False, edges=(Edge("a", (), None, "input.dvs"),),
    )


def test_dvs_settings(tmp_path):
    body = DVS.replace("  dvs: {}\n", """  dvs:
    source: sensor
    polarity: merge
    pool: {x: 2, y: 4}
    crop: {origin: {x: 4, y: 2}}
    mirror: {y: true}
    mirror_diagonal: true
    monitor: true
    to: [a]
""")
    dvs = load(write(tmp_path, body, "a/weight=4,1,3,3")).input
    assert (dvs.source, dvs.polarity, dvs.pool, dvs.origin, dvs.cut) == ("sensor", "merge", XY(2, 4), XY(4, 2), XY(63, 31))
    assert (dvs.mirror, dvs.mirror_diagonal, dvs.monitor) == (XY(0, 1), True, True)
    assert dvs.edges == (Edge("a", (), None, "input.dvs.to[0]"),)


def test_dvs_host_size(tmp_path):
    body = DVS.replace("  dvs: {}\n", "  dvs: {size: {x: 64, y: 48}, pool: 2}\n")
    dvs = load(write(tmp_path, body, "a/weight=4,2,3,3")).input
    assert (dvs.size, dvs.cut) == (XY(64, 48), XY(31, 23))


def test_dvs_sensor_checks(tmp_path):
    body = DVS.replace("  dvs: {}\n", "  dvs: {source: sensor, size: 64}\n")
    assert errors(write(tmp_path, body, "a/weight=4,2,3,3")) == [("dvs-config", 5, "input.dvs.size")]
    head = HEAD.replace("speck2fdevkit", "dynapcnndevkit")
    body = DVS.replace("  dvs: {}\n", "  dvs: {source: sensor}\n")
    assert errors(write(tmp_path, body, "a/weight=4,2,3,3", head=head)) == [("dvs-config", 5, "input.dvs.source")]


def test_readout(tmp_path):
    spec = load(write(tmp_path, CHAIN + "readout: {layer: c}\n", CHAIN_H5))
    assert spec.readout == Readout("c", 0)
    spec = load(write(tmp_path, CHAIN + "readout: {layer: c, threshold: 9}\n", CHAIN_H5))
    assert spec.readout.threshold == 9


def test_name_problems_all_at_once_with_suggestions(tmp_path):
    body = CHAIN.replace("  - name: b\n", "  - name: a\n    to: [cc, a]\n") + "readout: {layer: q}\n"
    with pytest.raises(SpecError) as info:
        load(write(tmp_path, body, CHAIN_H5))
    found = [(d.code, d.location.path) for d in info.value.diagnostics]
    assert found == [
        ("duplicate-name", "layers[1].name"),
        ("unknown-layer", "layers[1].to[0]"),
        ("self-loop", "layers[1].to[1]"),
        ("unknown-layer", "readout.layer"),
    ]
    messages = [d.message for d in info.value.diagnostics]
    assert "line 7" in messages[0]
    assert "did you mean `c`?" in messages[1]


def test_name_and_weight_problems_come_together(tmp_path):
    body = CHAIN.replace("  - name: b\n", "  - name: b\n    to: [x]\n")
    found = errors(write(tmp_path, body, "a/weight=4,2,3,3 c/weight=3,112"))
    assert found == [("weights-missing", 9, "layers[1]"), ("unknown-layer", 10, "layers[1].to[0]")]


def test_pool_on_an_exit_layer(tmp_path):
    body = CHAIN + "    pool: 2\n"
    assert errors(write(tmp_path, body, CHAIN_H5)) == [("pool-exit", 14, "layers[2].pool")]
    assert load(write(tmp_path, CHAIN + "    pool: 1\n", CHAIN_H5))  # pool 1 pools nothing


@pytest.mark.parametrize(
    "neuron, ok",
    [
        ("{threshold: 5}", True),
        ("{threshold: 5.0, low_threshold: -3}", True),
        ("{threshold: 32767, low_threshold: -32768}", True),
        ("{threshold: 1.5}", False),
        ("{threshold: 40000}", False),
        ("{threshold: 5, low_threshold: -0.5}", False),
        ("{threshold: 5, low_threshold: -40000}", False),
    ],
)
def test_integer_thresholds_without_quantization(tmp_path, neuron, ok):
    body = CHAIN.replace("layers:\n", f"quantize: false\nneuron: {neuron}\nlayers:\n")
    path = write(tmp_path, body, "a/weight=4,2,3,3:int b/weight=4,4,3,3:int c/weight=3,112:int")
    if ok:
        load(path)
    else:
        found = errors(path)
        assert len(found) == 1 and found[0][:2] == ("threshold-range", 7)  # once, where the value is written


def test_integer_thresholds_only_matter_without_quantization(tmp_path):
    body = CHAIN.replace("layers:\n", "neuron: {threshold: 1.5}\nlayers:\n").replace(
        "  - name: c\n", "  - name: c\n    quantize: false\n    neuron: {threshold: 2}\n")
    load(write(tmp_path, body, "a/weight=4,2,3,3 b/weight=4,4,3,3 c/weight=3,112:int"))


def test_missing_spec_file(tmp_path):
    with pytest.raises(SpecError) as info:
        load(tmp_path / "nope.yaml")
    [diag] = info.value.diagnostics
    assert diag.code == "file-not-found" and "does not exist" in diag.message
    with pytest.raises(SpecError) as info:
        load(tmp_path)  # a directory
    assert info.value.diagnostics[0].code == "file-type" and "is a directory, not a regular file" in info.value.diagnostics[0].message


def test_structure_errors_stop_before_names_and_weights(tmp_path):
    body = CHAIN.replace("kernel: 3}\n  - name: b", "kernel: 17}\n  - name: b\n    to: [zz]")
    assert [code for code, _, _ in errors(write(tmp_path, body, "none"))] == ["kernel-range"]


def test_the_annotated_example_in_the_docs_compiles(tmp_path):
    import re

    from dynapspec.compiler import compile_spec

    text = (ROOT / "docs" / "spec.md").read_text(encoding="utf-8")
    example = next(block for block in re.findall(r"```yaml\n(.*?)```", text, re.S) if "dynapspec: 1" in block)
    (tmp_path / "net.yaml").write_text(example)
    weightfiles.write(tmp_path / "net.h5", "conv1/weight=16,2,3,3 left/weight=16,16,3,3 right/weight=16,16,1,1 "
                      "cat/weight=32,32,3,3 classifier/kernel=11,288")
    result = compile_spec(tmp_path / "net.yaml")
    spec = result.spec
    assert spec.input.cut.x == 55 and spec.layers[3].core == 5
    assert [layer.name for layer in spec.layers] == ["conv1", "left", "right", "cat", "out"]


_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 1100), st.floats(allow_nan=False, width=32),
                     st.sampled_from(["", "a", "b", "c", "input", "avg", "sensor", "x-y", "a\nb", "x-\u2028", "/a/\tb"]))
_VALUES = st.recursive(_SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                        st.dictionaries(st.sampled_from(["x", "y", "layer", "kernel", "pool", "to"]),
                                                                        inner, max_size=3)),
                       max_leaves=6)
_KEYS = ["name", "conv", "dense", "pool", "to", "merge", "neuron", "monitor", "core", "weight", "quantize", "stride",
         "channels", "kernel", "padding", "features", "threshold", "low_threshold", "reset", "feature_shift", "layer", "ker\nnel", "x-\r"]
_SMALL = """dynapspec: 1
name: t
target: speck2fdevkit
input: {shape: [2, 8, 8]}
layers:
  - {name: a, conv: {channels: 4, kernel: 3, padding: 1}, pool: 2, to: [b, {layer: c, pool: 2}]}
  - {name: b, conv: {channels: 4, kernel: 1}, to: [{layer: c, feature_shift: 4}]}
  - {name: c, dense: {features: 3}}
"""


def _edit(data, choices, value, new_key):
    """Replace, delete or add one value somewhere in ``data`` (choices pick the place)."""
    node = data
    for pick in choices:
        children = list(node.items()) if isinstance(node, dict) else list(enumerate(node)) if isinstance(node, list) else []
        if not children:
            break
        key, child = children[pick % len(children)]
        if not isinstance(child, (dict, list)) or pick % 3 == 0:
            if isinstance(node, dict) and pick % 5 == 0:
                del node[key]
            elif isinstance(node, dict) and pick % 7 == 0:
                node[new_key] = value
            else:
                node[key] = value
            return
        node = child


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(0, 50), min_size=1, max_size=5), _VALUES, st.sampled_from(_KEYS))
def test_any_edit_of_a_valid_spec_loads_or_is_a_spec_error(tmp_path, choices, value, new_key):
    from dynapspec.compiler import compile_spec

    data = yaml.safe_load(_SMALL)
    _edit(data, choices, value, new_key)
    (tmp_path / "net.yaml").write_text(yaml.safe_dump(data))
    if not (tmp_path / "net.h5").exists():
        weightfiles.write(tmp_path / "net.h5", "a/weight=4,2,3,3 b/weight=4,4,1,1 c/weight=3,128")
    try:
        compile_spec(tmp_path / "net.yaml")
    except SpecError as err:
        assert all(d.location.file for d in err.diagnostics)
        assert all(len(d.render().splitlines()) == 1 for d in err.diagnostics), [d.render() for d in err.diagnostics]


def test_whole_floats_become_integers(tmp_path):
    body = CHAIN.replace("{channels: 4, kernel: 3}", "{channels: 4.0, kernel: 3.0, stride: 1.0}").replace(
        "  - name: b\n", "  - name: b\n    core: 2.0\n    to: [{layer: c, feature_shift: 0.0}]\n")
    a, b, _ = load(write(tmp_path, body, CHAIN_H5)).layers
    assert type(a.op.channels) is int and type(a.op.kernel) is int and type(a.op.stride.x) is int
    assert type(b.core) is int and type(b.edges[0].feature_shift) is int


@pytest.mark.parametrize("neuron", ["{threshold: .inf}", "{threshold: .nan}", "{low_threshold: -.inf}"])
@pytest.mark.parametrize("quantize", ["true", "false"])
def test_non_finite_thresholds_are_refused_once(tmp_path, neuron, quantize):
    body = CHAIN.replace("layers:\n", f"quantize: {quantize}\nneuron: {neuron}\nlayers:\n")
    found = errors(write(tmp_path, body, "a/weight=4,2,3,3:int b/weight=4,4,3,3:int c/weight=3,112:int"))
    assert [code for code, _, _ in found] == ["threshold-range"]


def test_every_diagnostic_is_one_line(tmp_path):
    body = (
        'input: {shape: [2, 16, 16]}\n"x\\ny": 1\n"x\\ny": 2\n"ba\\tse": 1\n'
        'layers:\n  - name: a\n    conv: {channels: 4, kernel: 3}\n    weight: "/a/we\\night"\n'
    )
    with pytest.raises(SpecError) as info:
        load(write(tmp_path, body, "a/weight=4,2,3,3"))
    lines = [d.render() for d in info.value.diagnostics]
    assert [d.code for d in info.value.diagnostics] == ["yaml-duplicate-key", "spec-unknown-key"], lines
    assert all(len(line.splitlines()) == 1 for line in lines), lines
    assert "key `x\\ny` appears twice" in lines[0] and "unknown key `ba\\tse`" in lines[1]
    with pytest.raises(SpecError) as info:
        load(write(tmp_path, body.replace('"x\\ny": 1\n"x\\ny": 2\n"ba\\tse": 1\n', ""), "a/weight=4,2,3,3"))
    [diag] = info.value.diagnostics
    assert diag.code == "weights-missing" and "no dataset /a/we\\night in" in diag.render()


def test_a_weight_path_that_is_a_directory_is_one_clear_line(tmp_path):
    (tmp_path / "w.h5").mkdir()
    body = CHAIN.replace("input:", "weights: w.h5\ninput:")
    with pytest.raises(SpecError) as info:
        load(write(tmp_path, body, "none"))
    [diag] = info.value.diagnostics
    assert (diag.code, diag.location.path) == ("weights-file", "weights")
    assert diag.message == f"the weight file {tmp_path / 'w.h5'} is a directory, not an HDF5 file"


def test_an_oversized_spec_reports_its_real_size_and_the_limit(tmp_path):
    from dynapspec.spec import yamlload

    spec = tmp_path / "net.yaml"
    spec.write_bytes(b"# padding\n" * 550_000)  # 5.5 MB
    with pytest.raises(SpecError) as info:
        load(spec)
    [diag] = info.value.diagnostics
    assert diag.code == "yaml-too-complex"
    assert diag.message == f"the file is 5500000 bytes; a spec is limited to {yamlload.MAX_BYTES} bytes (4 MiB)"
    with pytest.raises(SpecError) as info:  # the size is unknown (a pipe): say what is known
        yamlload.parse(b"#" * (yamlload.MAX_BYTES + 1), "net.yaml", size=0)
    assert info.value.diagnostics[0].message.startswith(f"the file is more than {yamlload.MAX_BYTES} bytes;")


SPEC_WITH = HEAD + CHAIN


@pytest.mark.parametrize(
    "old, new",
    [
        ("  shape: [2, 16, 16]\n", "  dvs: {polarity: on}\n"),
        ("  shape: [2, 16, 16]\n", "  dvs: {polarity: off}\n"),
        ("  shape: [2, 16, 16]\n", "  dvs: {polarity: both, mirror: {x: no, y: off}}\n"),
        ("layers:\n", "neuron: {threshold: 1e-9}\nlayers:\n"),
        ("layers:\n", "neuron: {low_threshold: -1E3}\nlayers:\n"),
        ("  - name: c\n", "  - name: c\n    monitor: yes\n    core: 0b10\n"),
    ],
)
def test_following_the_advice_gives_a_spec_that_loads(tmp_path, old, new):
    """Each yaml-ambiguous hint names one value to write (the key's type picks it); writing it works."""
    import re

    text = SPEC_WITH.replace(old, new).replace("shape: [2, 16, 16]\n  dvs", "dvs")
    spec = tmp_path / "net.yaml"
    spec.write_text(text)
    weightfiles.write(tmp_path / "net.h5", "a/weight=4,1,3,3 b/weight=4,4,3,3 c/weight=3,112" if "dvs" in text else CHAIN_H5)
    with pytest.raises(SpecError) as info:
        load(spec)
    lines = text.splitlines(keepends=True)
    for diag in sorted(info.value.diagnostics, key=lambda d: -d.location.column):
        assert diag.code == "yaml-ambiguous", diag.render()
        [fix] = re.findall(r"takes an? \w+: write `([^`]+)`$", diag.message)
        line, column = diag.location.line - 1, diag.location.column - 1
        found = re.match(r"[^,}\s]+", lines[line][column:]).group()
        lines[line] = lines[line][:column] + fix + lines[line][column + len(found):]
    spec.write_text("".join(lines))
    load(spec)


def test_every_polarity_as_the_docs_write_it_loads(tmp_path):
    """docs/spec.md shows each polarity as it must be written (`"on"` quoted), and each loads as shown."""
    import re

    text = (ROOT / "docs" / "spec.md").read_text(encoding="utf-8")
    [row] = [line for line in text.splitlines() if line.startswith("| `polarity` |")]
    written = re.findall(r"`([^`]+)`", row.split(" | ")[1])
    assert written == ["both", "merge", '"on"', '"off"']
    [comment] = [line for line in text.splitlines() if line.strip().startswith("polarity:")]
    assert '"on" | "off"' in comment
    for value in written:
        body = DVS.replace("  dvs: {}\n", f"  dvs: {{polarity: {value}}}\n")
        spec = load(write(tmp_path, body, "a/weight=4,2,3,3" if value == "both" else "a/weight=4,1,3,3"))
        assert spec.input.polarity == value.strip('"')


@pytest.mark.parametrize("target", ["speck2e", "speck2fdevkit"])
def test_the_readout_widening_the_docs_describe(tmp_path, target):
    """docs/spec.md: class k of an n-class readout layer is its feature 4(k-1); the layer has 4(n-1)+1 features."""
    from dynapspec import chips
    from dynapspec.compiler import compile_spec

    text = (ROOT / "docs" / "spec.md").read_text(encoding="utf-8")
    assert "class k (1..n) is fed by feature\n4(k−1)" in text and "a 4-class layer is `13x1x1`" in text
    assert chips.profile(target).readout_channel_stride == 4
    head = HEAD.replace("speck2fdevkit", target)
    body = "input: {shape: [2, 8, 8]}\nlayers:\n  - {name: a, conv: {channels: 4, kernel: 3, padding: 1}}\n" \
        "  - {name: c, dense: {features: 4}}\nreadout: {layer: c}\n"
    layer = compile_spec(write(tmp_path, body, "a/weight=4,2,3,3 c/weight=4,256", head=head)).network.layer("c")
    assert layer.output_shape == (13, 1, 1)
    assert [f for f in range(13) if layer.weight[f].any()] == [0, 4, 8, 12]
