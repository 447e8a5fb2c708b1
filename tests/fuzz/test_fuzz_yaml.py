"""Fuzz the spec reader (YAML loader, schema, build, weights): the examples' specs changed token by token and byte by byte."""
from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from harness import PROFILE, holds, workdir
from test_fuzz_config import JSON_VALUES, mutate
from dynapspec.spec import load

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
BASES = ["lenet", "branching", "dvs_gesture"]
TOKENS = [
    "yes", "on", "off", "y", "0777", "0o17", "1e3", "1.5e-3", "1:20", "1_000", "0b101", "0x1F", "2024-01-01", "<<: *a", "&a",
    "*a", "*undefined", "!!python/object/apply:os.system ['true']", "!foo", "!!str", "{", "}", "[", "]", "- ", "\t", "\x00",
    "\ufeff", "---", "...", "? [a]", "|", ">", "'", '"', "1" * 5000, "-" + "9" * 400, "0." + "1" * 300, "~", ".nan", ".inf",
    "-.inf", "null", "\U0001F600", "\u2028", "\x85", "\r", "#", ": ", "&b [*b]", "%YAML 1.1", "[" * 100, "{a: " * 80,
    "name: x\n  - ", "\n", "    ", "to: [" + ", ".join(f"n{i}" for i in range(200)) + "]", "x-ext: {deep: [[[1]]]}",
    "threshold: 1e400", "channels: 1025", "kernel: -1", "weight: /../../x", "weights: /dev/zero", "weights: ../../etc",
    "core: 99", "merge: add", "feature_shift: 4294967296", "pool: [2, 2, 2, 2]",
]
EDITS = st.lists(st.tuples(st.integers(0, 200), st.sampled_from(["replace-value", "insert", "append", "delete-line"]),
                           st.sampled_from(TOKENS)), max_size=4)
FLIPS = st.one_of(st.just(()), st.just(()), st.just(()), st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), min_size=1, max_size=2))


def edit(text: str, edits, flips) -> bytes:
    lines = text.split("\n")
    for line, kind, token in edits:
        at = line % len(lines)
        if kind == "replace-value" and ":" in lines[at]:
            lines[at] = lines[at].split(":", 1)[0] + ": " + token
        elif kind == "insert":
            lines.insert(at, token)
        elif kind == "append":
            lines[at] += token
        elif kind == "delete-line" and len(lines) > 1:
            del lines[at]
    raw = bytearray("\n".join(lines).encode("utf-8", "surrogatepass"))
    for where, value in flips:
        if raw:
            raw[int(where * (len(raw) - 1))] = value
    return bytes(raw)


VALUES = st.one_of(JSON_VALUES, st.sampled_from(["conv1", "fc1", "out", "input", "avg", "sum", "add", "concat", "host",
                                                  "sensor", "merge", "both", "zero", "subtract", "speck2edevkit", "x-y"]))
DATA_EDITS = st.lists(st.tuples(st.lists(st.integers(0, 50), min_size=1, max_size=6),
                                st.sampled_from(["replace", "delete", "add", "wrap", "empty"]), VALUES), min_size=1, max_size=4)


def rewritten(text: str, edits, flow: bool) -> bytes:
    """The spec's data changed value by value, written back as (valid) YAML."""
    data = yaml.safe_load(text)
    for steps, kind, value in edits:
        data = mutate(data, steps, kind, value)
    return yaml.safe_dump(data, default_flow_style=flow, allow_unicode=True, width=1 << 16).encode("utf-8")


@settings(PROFILE)
@given(st.sampled_from(BASES), st.one_of(st.tuples(st.just("text"), EDITS, FLIPS), st.tuples(st.just("data"), DATA_EDITS, st.booleans())))
def test_spec_reader_never_fails_otherwise(base, change):
    source = EXAMPLES / base
    text = (source / "net.yaml").read_text(encoding="utf-8")
    with workdir() as directory:
        for h5 in source.glob("*.h5"):
            shutil.copy(h5, directory / h5.name)
        path = directory / "net.yaml"
        path.write_bytes(edit(text, *change[1:]) if change[0] == "text" else rewritten(text, *change[1:]))
        holds(lambda: load(path))
