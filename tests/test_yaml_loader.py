"""The safe, position-keeping YAML reader (dynapspec.spec.yamlload)."""
from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings, strategies as st

from dynapspec.errors import SpecError
from dynapspec.spec import schema, yamlload


def parse(text: str):
    return yamlload.parse(text.encode("utf-8"), "net.yaml")


def fatal(text) -> SpecError:
    raw = text if isinstance(text, bytes) else text.encode("utf-8")
    with pytest.raises(SpecError) as info:
        yamlload.parse(raw, "net.yaml")
    assert len(info.value.diagnostics) == 1
    return info.value


def codes(doc):
    return [(d.code, d.location.line, d.location.path) for d in doc.diagnostics]


def test_builds_plain_values_only():
    doc = parse("a: 1\nb: [1.5, -2, true, false, ~, text, 'q']\nc: {d: .inf, e: 0x1F, f: 1.0e+3, g: True}\n")
    assert doc.data == {
        "a": 1,
        "b": [1.5, -2, True, False, None, "text", "q"],
        "c": {"d": float("inf"), "e": 31, "f": 1000.0, "g": True},
    }
    assert not doc.diagnostics
    assert type(doc.data["b"]) is list and type(doc.data["c"]) is dict


def test_positions_of_values_keys_and_items():
    doc = parse(
        "layers:\n"
        "  - name: conv1\n"
        "    conv: {channels: 8, kernel: 3}\n"
        "    to:\n"
        "      - conv2\n"
        "      - {layer: fc, feature_shift: 4}\n"
        "input:\n"
        "  dvs:\n"
        "    pool: {x: 2, y: 4}\n"
    )
    pos = doc.positions
    assert pos["layers"] == (1, 1)  # a collection value: where its key is
    assert pos["layers[0]"] == (2, 5)
    assert pos["layers[0].name"] == (2, 11)  # a scalar: the value itself
    assert pos["layers[0].conv"] == (3, 5)
    assert pos["layers[0].conv.kernel"] == (3, 33)
    assert pos["layers[0].to[0]"] == (5, 9)
    assert pos["layers[0].to[1].feature_shift"] == (6, 36)
    assert pos["input.dvs.pool.y"] == (9, 21)


def test_duplicate_key_points_at_the_second_and_names_the_first():
    doc = parse("a: 1\nb:\n  kernel: 3\n  stride: 1\n  kernel: 5\n")
    [diag] = doc.diagnostics
    assert (diag.code, diag.location.line, diag.location.column, diag.location.path) == ("yaml-duplicate-key", 5, 3, "b.kernel")
    assert "line 3" in diag.message
    assert doc.data["b"]["kernel"] == 5


TRAPS = [
    ("no", "write `false`"),
    ("No", "write `false`"),
    ("NO", "write `false`"),
    ("yes", "write `true`"),
    ("on", "write `true`"),
    ("Off", "write `false`"),
    ("y", "write `true`"),
    ("n", "write `false`"),
    ("1e3", "write `1000`"),
    ("1.5e3", "write `1500`"),
    ("2E-1", "write `0.2`"),
    ("1e-9", "write `1.0e-09`"),
    ("-2.5e20", "write `-2.5e+20`"),
    ("1e999", "write `.inf`"),
    ("0777", "octal number 511"),
    ("010", "octal number 8"),
    ("0o17", "octal number 15"),
    ("1:20", "base-60 number 80"),
    ("-1:20.5", "base-60 number -80.5"),
    ("1_000", "write `1000`"),
    ("1_000.5", "write `1000.5`"),
    ("0b101", "write `5`"),
    ("2024-01-02", "date"),
    ("=", "write `\"=\"`"),
]


@pytest.mark.parametrize("value, hint", TRAPS)
def test_yaml11_traps_are_refused_with_advice(value, hint):
    doc = parse(f"neuron:\n  reset: {value}\n")
    [diag] = doc.diagnostics
    assert (diag.code, diag.location.line, diag.location.column, diag.location.path) == ("yaml-ambiguous", 2, 10, "neuron.reset")
    assert hint in diag.message
    assert value in diag.message
    assert "neuron.reset" in doc.flagged


def suggestions(message: str):
    """(kind, text) of every value a yaml-ambiguous message tells the user to write."""
    found = re.findall(r"(?:write|, or) `([^`]+)` for the (\w+)", message)
    found += [(text, kind) for kind, text in re.findall(r"takes an? (\w+): write `([^`]+)`$", message)]
    return [(kind, text) for text, kind in found]


def reading(text: str):
    """The value this reader gives a plain scalar, asserting that it accepts it."""
    doc = parse(f"a: {text}\n")
    assert not doc.diagnostics, (text, [d.message for d in doc.diagnostics])
    return doc.data["a"]


@pytest.mark.parametrize("value", [value for value, _ in TRAPS])
def test_every_suggestion_is_accepted_as_it_is_written(value):
    [diag] = parse(f"a: {value}\n").diagnostics
    offered = suggestions(diag.message)
    assert offered and {kind for kind, _ in offered} <= {"boolean", "number", "string"}
    for kind, text in offered:
        got = reading(text)
        assert type(got) is {"boolean": bool, "string": str}.get(kind, type(got))
        if kind == "string":
            assert got == value
    key_diags = parse(f"{value}: 1\n").diagnostics
    if value in ("y", "n"):
        assert not key_diags  # `x` and `y` are axis keys, and plain strings as keys
    else:
        [key_diag] = key_diags
        assert suggestions(key_diag.message) == [("string", json.dumps(value))]  # a key is a string


@settings(max_examples=400, deadline=None)
@given(st.from_regex(yamlload._YAML12_NUMBER, fullmatch=True))
def test_numbers_read_as_yaml_1_2_reads_them_or_come_with_a_number_that_does(text):
    doc = parse(f"a: {text}\n")
    if not doc.diagnostics:
        assert float(doc.data["a"]) == float(text)
        return
    [diag] = doc.diagnostics
    [(kind, number), (_, quoted)] = suggestions(diag.message)
    assert kind == "number"
    assert float(reading(number)) == float(text)
    assert reading(quoted) == text


@pytest.mark.parametrize(
    "text, offered",
    [
        ("input:\n  dvs:\n    polarity: on\n", [("string", '"on"')]),
        ("neuron:\n  reset: no\n", [("string", '"no"')]),
        ("layers:\n  - monitor: yes\n", [("boolean", "true")]),
        ("neuron:\n  threshold: 1e-9\n", [("number", "1.0e-09")]),
        ("neuron:\n  low_threshold: -1e3\n", [("number", "-1000")]),
        ("readout:\n  threshold: 0777\n", [("number", "777")]),
        ("x-note: yes\n", [("boolean", "true"), ("string", '"yes"')]),  # anything goes here: both
        ("layers:\n  - conv: {kernel: on}\n", [("boolean", "true"), ("string", '"on"')]),  # neither fits: both
    ],
)
def test_advice_offers_only_what_the_key_takes(text, offered):
    [diag] = yamlload.parse(text.encode(), "net.yaml", schema.expects).diagnostics
    assert suggestions(diag.message) == offered
    if len(offered) == 1:
        assert "takes" in diag.message


@pytest.mark.parametrize("value", ['"no"', "'1e3'", '"0777"', "true", "false", "FALSE", "0", "-7", "1.0", "0x10", "subtract"])
def test_unambiguous_scalars_pass(value):
    assert not parse(f"a: {value}\n").diagnostics


def test_axis_keys_x_and_y_are_plain_strings_but_on_is_not():
    assert not parse("stride: {x: 1, y: 2}\n").diagnostics
    doc = parse("on: 1\n")
    assert codes(doc) == [("yaml-ambiguous", 1, "on")]


def test_merge_keys_are_refused():
    doc = parse("base: &b {threshold: 1}\nneuron:\n  <<: *b\n")
    assert [d.code for d in doc.diagnostics] == ["yaml-ambiguous"]
    assert "merge" in doc.diagnostics[0].message


@pytest.mark.parametrize("text", ["a: !!python/object/apply:os.system [ls]\n", "a: !!str 5\n", "a: !custom x\n", "a: ! x\n",
                                  "a: !!map {b: 1}\n"])
def test_tags_are_refused(text):
    doc = parse(text)
    assert [d.code for d in doc.diagnostics] == ["yaml-tag"]
    assert doc.diagnostics[0].location.line == 1


def test_all_problems_of_the_text_at_once():
    doc = parse("a: yes\nb: 1\nb: 2\nc: !x 1\n")
    assert sorted(d.code for d in doc.diagnostics) == ["yaml-ambiguous", "yaml-duplicate-key", "yaml-tag"]


def test_aliases_expand_and_keep_a_position():
    doc = parse("n: &n {threshold: 2.0, reset: zero}\nlayers:\n  - neuron: *n\n")
    assert doc.data["layers"][0]["neuron"] == {"threshold": 2.0, "reset": "zero"}
    assert doc.positions["layers[0].neuron"] == (3, 13)


def billion_laughs() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{name}: &{name} [" + ", ".join(f"*{prev}" for _ in range(10)) + "]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_without_expanding_it(monkeypatch):
    """Work, not time: the loader builds one value per node of the text (about 110 here), never one
    per value of the expansion (10^9), and stops at the first alias past the limit."""
    delivered = []
    real = yamlload._Composer._deliver
    monkeypatch.setattr(yamlload._Composer, "_deliver", lambda self, value, *rest: (delivered.append(value), real(self, value, *rest))[1])
    err = fatal(billion_laughs())
    assert err.diagnostics[0].code == "yaml-too-complex"
    assert err.diagnostics[0].location.line == 5  # the first alias that pushes past the limit
    nodes_in_text = billion_laughs().count(",") + billion_laughs().count("[") + 2 * billion_laughs().count(":")
    assert 0 < len(delivered) <= nodes_in_text


def test_wide_documents_are_counted_too():
    assert fatal("a: [" + ", ".join(["1"] * (yamlload.MAX_NODES + 1)) + "]\n").diagnostics[0].code == "yaml-too-complex"


def test_nesting_limit():
    ok = "a: " + "[" * (yamlload.MAX_DEPTH - 1) + "]" * (yamlload.MAX_DEPTH - 1) + "\n"
    parse(ok)
    deep = "a: " + "[" * yamlload.MAX_DEPTH + "]" * yamlload.MAX_DEPTH + "\n"
    assert fatal(deep).diagnostics[0].code == "yaml-too-complex"
    block = "".join("  " * i + f"k{i}:\n" for i in range(70)) + "  " * 70 + "v\n"
    assert fatal(block).diagnostics[0].code == "yaml-too-complex"


def test_very_deep_nesting_never_overflows_a_stack():
    assert fatal("a: " + "[" * 100_000).diagnostics[0].code == "yaml-too-complex"


def test_deep_alias_counts_its_own_height():
    base = "b: &b " + "[" * 40 + "]" * 40 + "\n"
    assert fatal(base + "c: " + "[" * 30 + "*b" + "]" * 30 + "\n").diagnostics[0].code == "yaml-too-complex"


def test_recursive_and_undefined_aliases():
    assert fatal("a: &a [1, *a]\n").diagnostics[0].code == "yaml-too-complex"
    err = fatal("a: *nothing\n")
    assert err.diagnostics[0].code == "yaml-syntax" and "nothing" in err.diagnostics[0].message


def test_syntax_error_carries_the_parser_position():
    diag = fatal("a: 1\nb: [1, 2\nc: 3\n").diagnostics[0]
    assert diag.code == "yaml-syntax"
    assert diag.location.line == 3
    assert diag.render().startswith("net.yaml:3:")


def test_one_document_only():
    diag = fatal("a: 1\n---\nb: 2\n").diagnostics[0]
    assert (diag.code, diag.location.line) == ("yaml-syntax", 2)


def test_bad_bytes():
    assert fatal(b"a: 1\nb: \xff\xfe\n").diagnostics[0].location.line == 2
    assert fatal("a: \x07\n").diagnostics[0].code == "yaml-syntax"
    assert fatal(b"a: 1\n" * (yamlload.MAX_BYTES // 5 + 1)).diagnostics[0].code == "yaml-too-complex"


def test_empty_file_and_bom():
    assert parse("").data is None
    assert yamlload.parse("\ufeffa: 1\n".encode("utf-8"), "net.yaml").data == {"a": 1}


def test_complex_keys_are_refused():
    assert fatal("? [1, 2]\n: x\n").diagnostics[0].code == "spec-type"


_SPEC_ALPHABET = st.sampled_from(list("abxy019-_:,[]{}&*!|>'\"#%@`?~.<= \n\t") + ["  ", "- ", ": ", "yes", "1e3", "<<"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_SPEC_ALPHABET, max_size=60).map("".join))
def test_any_text_gives_data_or_a_spec_error(text):
    try:
        doc = yamlload.parse(text.encode("utf-8"), "net.yaml")
    except SpecError as err:
        assert all(d.location.file == "net.yaml" for d in err.diagnostics)
    else:
        assert all(d.code.startswith("yaml-") for d in doc.diagnostics)


def _doc_rows():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "spec.md").read_text(encoding="utf-8")
    table = text.split("## How the file is read", 1)[1].split("## Diagnostics", 1)[0]
    return [row.strip("| ").split(" | ") for row in table.splitlines() if row.startswith("|") and "`yaml-ambiguous`" in row]


def test_the_docs_table_of_traps_is_true():
    """Every value docs/spec.md lists as ambiguous is refused; every value it says to write is accepted."""
    rows = _doc_rows()
    assert len(rows) >= 5
    checked = 0
    for what, _, advice in rows:
        for value in re.findall(r"`([^`]+)`", what):
            doc = parse(value.replace("*base", "{}") + "\n" if value.startswith("<<") else f"a: {value}\n")
            assert [d.code for d in doc.diagnostics] == ["yaml-ambiguous"], value
        for sentence in re.findall(r"(?:write|accepted:) (.*?)(?:\. |$)", advice):
            for value in re.findall(r"`([^`]+)`", sentence):
                doc = parse(value + "\n" if ": " in value else f"a: {value}\n")
                assert not doc.diagnostics, value
                checked += 1
    assert checked >= 8
