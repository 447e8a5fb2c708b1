"""The JSON schema: well-formed, documented, in step with the chips and the code, and its messages."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft7Validator
from typer.testing import CliRunner

from dynapspec import chips
from dynapspec.cli.main import app
from dynapspec.errors import CODES
from dynapspec.spec import build, schema, yamlload
from dynapspec.spec.model import Locator

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(ROOT.glob("examples/*/net.yaml"))


def walk(node, path=""):
    """Every subschema with its path."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk(value, f"{path}/{i}")


def check(text: str):
    doc = yamlload.parse(text.encode("utf-8"), "net.yaml")
    assert not doc.diagnostics
    return schema.check(doc.data, Locator("net.yaml", doc.positions))


BASE = """dynapspec: 1
name: t
target: speck2fdevkit
input:
  shape: [1, 16, 16]
layers:
  - name: conv1
    conv: {channels: 8, kernel: 3}
"""


def test_schema_is_valid_draft07():
    Draft7Validator.check_schema(schema.schema())
    assert schema.schema()["$schema"] == "http://json-schema.org/draft-07/schema#"


def test_the_package_ships_the_editors_schema_by_a_link():
    """schema/dynapspec.schema.json is what editors load; the package's copy is a link to it, so the
    two cannot drift (a copy could; the built wheel's file is compared in test_wheel.py)."""
    packaged = ROOT / "dynapspec" / "data" / "dynapspec.schema.json"
    assert packaged.is_symlink()
    assert packaged.resolve() == (ROOT / "schema" / "dynapspec.schema.json").resolve()


@pytest.mark.parametrize("change, path", [
    ("    conv: {channels: 8, kernel: 17}", "layers[0].conv.kernel"),
    ("    conv: {channels: 8, kernel: 3, stride: {x: 3, y: 1}}", "layers[0].conv.stride"),
    ("    conv: {channels: 8, kernel: 3, paddin: 1}", "layers[0].conv"),
])
def test_the_editors_schema_refuses_what_dynapspec_refuses(change, path):
    """The file an editor validates with (read here with jsonschema, not through dynapspec) and
    dynapspec's own check reject the same spec, at the same place."""
    text = BASE.replace("    conv: {channels: 8, kernel: 3}", change)
    doc = yamlload.parse(text.encode("utf-8"), "net.yaml")
    editors = Draft7Validator(json.loads((ROOT / "schema" / "dynapspec.schema.json").read_text(encoding="utf-8")))
    places = {".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in e.absolute_path).replace(".[", "[")
              for e in editors.iter_errors(doc.data)}
    assert any(place.startswith(path) for place in places), places
    assert any(d.location.path.startswith(path) for d in check(text))
    assert check(BASE) == [] and not list(editors.iter_errors(yamlload.parse(BASE.encode("utf-8"), "net.yaml").data))


def test_every_property_has_a_description():
    missing = [
        f"{path}/properties/{key}"
        for path, node in walk(schema.schema())
        for key, sub in node.get("properties", {}).items()
        if not isinstance(sub, dict) or not sub.get("description")
    ]
    assert not missing


def test_every_mapping_is_closed_but_allows_extensions():
    for path, node in walk(schema.schema()):
        if node.get("type") == "object":
            assert node.get("additionalProperties") is False, path
            assert "^x-" in node.get("patternProperties", {}), path


def test_codes_in_the_schema_are_registered():
    used = {node["x-code"] for _, node in walk(schema.schema()) if "x-code" in node}
    assert used <= set(CODES)
    assert {"kernel-range", "stride-value", "padding-range", "pool-value", "features-range", "too-many-destinations",
            "unknown-target", "bias-key", "spec-version", "pool-input"} <= used


def test_target_enum_is_the_chip_profiles():
    assert schema.schema()["properties"]["target"]["enum"] == list(chips.targets())


def test_chip_limits_match_the_profiles():
    limits = chips.profile("speck2fdevkit").limits
    definitions = schema.schema()["definitions"]
    kernel = definitions["conv"]["properties"]["kernel"]
    assert (kernel["minimum"], kernel["maximum"]) == limits.kernel
    assert definitions["stride_value"]["enum"] == list(limits.strides)
    assert (definitions["padding_value"]["minimum"], definitions["padding_value"]["maximum"]) == limits.padding
    assert definitions["pool_factor"]["enum"] == list(limits.pooling)
    assert (definitions["features"]["minimum"], definitions["features"]["maximum"]) == limits.features
    assert (definitions["map_size"]["minimum"], definitions["map_size"]["maximum"]) == limits.input_size
    assert definitions["destinations"]["maxItems"] == limits.destinations
    assert definitions["layer"]["properties"]["core"]["maximum"] == len(chips.profile("speck2fdevkit").cores) - 1


def test_schema_defaults_are_the_loader_defaults():
    neuron = schema.schema()["definitions"]["neuron"]["properties"]
    assert {key: neuron[key]["default"] for key in build.NEURON_DEFAULTS} == build.NEURON_DEFAULTS


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.parent.name)
def test_examples_are_schema_valid(path):
    doc = yamlload.parse(path.read_bytes(), str(path))
    assert not doc.diagnostics
    assert schema.check(doc.data, Locator(str(path), doc.positions)) == []
    assert not list(Draft7Validator(schema.schema()).iter_errors(doc.data))


def test_cli_prints_the_schema():
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == schema.schema()


def test_schema_and_extension_keys_are_allowed():
    text = "$schema: ../schema.json\nx-owner: me\n" + BASE.replace("    conv:", "    x-note: {any: [thing]}\n    conv:")
    assert check(text) == []


def only(diags):
    assert len(diags) == 1, [d.render() for d in diags]
    return diags[0]


def test_kernel_17_reads_like_a_sentence():
    diag = only(check(BASE.replace("kernel: 3", "kernel: 17")))
    assert diag.render().startswith("net.yaml:8:33: error[kernel-range] layers[0].conv.kernel:")
    assert diag.message == "kernel 17 is above the maximum 16; the chip allows square kernels 1..16"
    assert diag.location.layer == "conv1"


@pytest.mark.parametrize(
    "replacement, code, path, words",
    [
        ("kernel: 3, stride: 3", "stride-value", "layers[0].conv.stride", "strides 1, 2, 4 or 8"),
        ("kernel: 3, stride: {x: 2, y: 3}", "stride-value", "layers[0].conv.stride.y", "stride"),
        ("kernel: 3, stride: \"2\"", "spec-type", "layers[0].conv.stride", "an integer or a mapping {x, y}"),
        ("kernel: 3, padding: 8", "padding-range", "layers[0].conv.padding", "0..7"),
        ("kernel: 3, padding: {x: 1}", "spec-missing-key", "layers[0].conv.padding", "`y`"),
        ("kernel: 3.5", "spec-type", "layers[0].conv.kernel", "must be an integer"),
        ("kernel: 3, bias: false", "bias-key", "layers[0].conv.bias", "leak"),
        ("kernel: 3, kernal: 3", "spec-unknown-key", "layers[0].conv.kernal", "did you mean `kernel`"),
        ("kernel: 3}\n    pool: [2, 3]\n    x-: {", "pool-value", "layers[0].pool[1]", "1, 2 or 4"),
        ("kernel: 3}\n    pool: {kernel: 2, mode: max}\n    x-: {", "spec-invalid", "layers[0].pool.mode", "sum or avg"),
        ("kernel: 3}\n    pool: {mode: avg}\n    x-: {", "spec-missing-key", "layers[0].pool", "`kernel`"),
        ("kernel: 3}\n    to: [a, b, c]\n    x-: {", "too-many-destinations", "layers[0].to", "at most 2"),
        ("kernel: 3}\n    to: [{layer: a, pol: 2}]\n    x-: {", "spec-unknown-key", "layers[0].to[0].pol", "did you mean `pool`"),
        ("kernel: 3}\n    to: [\"con v2\"]\n    x-: {", "spec-invalid", "layers[0].to[0]", "letter or underscore"),
        ("kernel: 3}\n    merge: sum\n    x-: {", "spec-invalid", "layers[0].merge", "concat or add"),
        ("kernel: 3}\n    core: -1\n    x-: {", "core-range", "layers[0].core", "0..8"),
        ("kernel: 3}\n    neuron: {reset: none}\n    x-: {", "spec-invalid", "layers[0].neuron.reset", "subtract or zero"),
    ],
)
def test_messages_pick_the_specific_failure(replacement, code, path, words):
    diag = only(check(BASE.replace("kernel: 3", replacement)))
    assert (diag.code, diag.location.path) == (code, path), diag.render()
    assert words in diag.message, diag.message


def test_top_level_failures():
    diag = only(check(BASE.replace("target: speck2fdevkit", "target: speck2fdevkt")))
    assert diag.code == "unknown-target" and "did you mean `speck2fdevkit`" in diag.message
    diag = only(check(BASE.replace("dynapspec: 1", "dynapspec: 2")))
    assert diag.code == "spec-version" and "`dynapspec: 1`" in diag.message
    diag = only(check(BASE.replace("input:\n  shape: [1, 16, 16]\n", "")))
    assert (diag.code, diag.location.line, diag.message.split(" (")[0]) == ("spec-missing-key", 1, "missing key `input`")
    diag = only(check(BASE.replace("  shape: [1, 16, 16]\n", "  shape: [1, 16, 16]\n  dvs: {}\n")))
    assert diag.code == "spec-invalid" and "exactly one of `shape`" in diag.message
    diag = only(check(BASE.replace("  shape: [1, 16, 16]\n", "  shape: [1, 16, 16]\n  to: [{layer: conv1, pool: 2}]\n")))
    assert diag.code == "pool-input" and "DVS layer" in diag.message
    diag = only(check(BASE.replace("conv: {channels: 8, kernel: 3}", "monitor: true")))
    assert diag.code == "spec-missing-key" and "exactly one of `conv` or `dense`" in diag.message


def test_wrong_root_type():
    doc = yamlload.parse(b"- 1\n- 2\n", "net.yaml")
    diag = only(schema.check(doc.data, Locator("net.yaml", doc.positions)))
    assert diag.code == "spec-type" and "mapping" in diag.message
    doc = yamlload.parse(b"", "net.yaml")
    assert only(schema.check(doc.data, Locator("net.yaml", doc.positions))).code == "spec-type"


def test_all_errors_at_once_in_file_order():
    text = BASE.replace("kernel: 3", "kernel: 0, stride: 5, padding: 9").replace("target: speck2fdevkit", "target: x")
    diags = check(text)
    assert [d.code for d in sorted(diags, key=lambda d: d.location.sort_key())] == [
        "unknown-target", "kernel-range", "stride-value", "padding-range"]


def test_paths_flagged_by_the_yaml_reader_are_not_reported_twice():
    doc = yamlload.parse(BASE.replace("layers:", "neuron: {reset: no}\nlayers:").encode(), "net.yaml")
    assert [d.code for d in doc.diagnostics] == ["yaml-ambiguous"]
    assert schema.check(doc.data, Locator("net.yaml", doc.positions), doc.flagged) == []


@pytest.mark.parametrize(
    "given, meant",
    [
        ("speck2f", ["speck2fmodule", "speck2fdevkit"]),  # the boards of the same chip, not speck2e
        ("Speck2E", ["speck2e", "speck2edevkit"]),
        ("dynapcnn", ["dynapcnndevkit"]),
        ("speck2fdevkt", ["speck2fdevkit"]),
    ],
)
def test_target_suggestions_stay_on_the_same_chip(given, meant):
    diag = only(check(BASE.replace("target: speck2fdevkit", f"target: {given}")))
    assert diag.code == "unknown-target"
    assert f"did you mean {' or '.join(f'`{m}`' for m in meant)}?" in diag.message, diag.message
    assert all(target in diag.message.split("known targets: ")[1] for target in chips.targets())


def test_target_suggestions_step_aside_for_the_list_when_many_fit():
    diag = only(check(BASE.replace("target: speck2fdevkit", "target: speck")))
    assert "did you mean" not in diag.message and "known targets: dynapcnndevkit, speck2e" in diag.message


@pytest.mark.parametrize(
    "old, new, path",
    [
        ("dynapspec: 1", "dynapspec: 1\nbase: 1", "base"),
        ("kernel: 3", "kernel: 3, bas: 0", "layers[0].conv.bas"),
        ("    conv:", "    biass: 0\n    conv:", "layers[0].biass"),
        ("conv: {channels: 8, kernel: 3}", "dense: {features: 8, baise: 0}", "layers[0].dense.baise"),
    ],
)
def test_refused_keys_are_never_offered(old, new, path):
    """`bias` is refused wherever it is written, so it is neither "allowed here" nor a suggestion."""
    diag = only(check(BASE.replace(old, new)))
    assert (diag.code, diag.location.path) == ("spec-unknown-key", path)
    assert "`bias`" not in diag.message, diag.message
    assert "bias" not in diag.message.split("allowed here: ")[1], diag.message


@pytest.mark.parametrize("old, new, path", [("name: t", "name: " + "n" * 70, "name"),
                                           ("name: conv1", "name: " + "c" * 65, "layers[0].name")])
def test_a_long_name_is_told_the_limit(old, new, path):
    diag = only(check(BASE.replace(old, new)))
    assert diag.location.path == path
    assert "has " + str(len(new) - 6) + " characters; at most 64 are allowed" in diag.message, diag.message
    assert len(diag.message) < 120  # a long value is cut short
    assert check(BASE.replace(old, "name: " + "n" * 64)) == []


def test_strings_in_messages_keep_to_one_line():
    diag = only(check(BASE.replace("name: t", 'name: "a\\nb\\tc"')))
    assert diag.message == 'name "a\\nb\\tc" is not allowed; an ASCII letter or underscore, then ASCII letters, digits, `_`, `.` or `-`'


@pytest.mark.parametrize(
    "path, types",
    [
        ("input.dvs.polarity", {"string"}),
        ("neuron.reset", {"string"}),
        ("layers[3].neuron.threshold", {"number"}),
        ("neuron.low_threshold", {"number", "null"}),
        ("layers[0].monitor", {"boolean"}),
        ("input.dvs.mirror.y", {"boolean"}),
        ("layers[1].conv.kernel", {"integer"}),
        ("layers[1].conv.stride", {"integer", "object"}),
        ("layers[0].to[1]", {"string", "object"}),
        ("layers[0].to[1].feature_shift", {"integer"}),
        ("input.shape[2]", {"integer"}),
        ("dynapspec", {"number"}),
        ("x-notes", None),  # extension keys take anything
        ("layers[0].x-a.b", None),
        ("nonsense", None),  # unknown keys: nothing to say
        ("layers[0].conv.kernel.x", None),
    ],
)
def test_expected_types_at_a_path(path, types):
    assert schema.expects(path) == (frozenset(types) if types else None)
