"""Fuzz the compiled-config reader: mutated configuration documents, then the simulator built from them."""
from __future__ import annotations

import copy
import functools
import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from harness import PROFILE, holds, workdir
from dynapspec.config import read_config
from dynapspec.events import dvs_events, spike_events

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

JSON_VALUES = st.one_of(
    st.sampled_from([0, -1, 1, 2, 7, 12, 13, 127, 128, 1024, 1025, 2**31, 2**63, -(2**63) - 1, 10**30]),
    st.sampled_from([0.5, -0.0, 1e308, float("nan"), float("inf")]),
    st.sampled_from(["", "speck2fdevkit", "dynapcnndevkit", "x" * 300, "\u0000", "dvs"]),
    st.booleans(), st.none(),
    st.sampled_from([[], [[]], [1, 2], [[[[1]]]], [[0] * 3] * 3, {}, {"x": 1, "y": 1}, {"unknown": 1}]),
)
MUTATION = st.tuples(st.lists(st.integers(0, 50), min_size=1, max_size=8),
                     st.sampled_from(["replace", "delete", "add", "wrap", "empty"]), JSON_VALUES)


@functools.lru_cache(maxsize=None)
def documents():
    import dynapspec

    return tuple(json.loads(dynapspec.compile(EXAMPLES / name / "net.yaml").to_json()) for name in ("branching", "dvs_gesture"))


def mutate(doc, steps, kind, value):
    """Walk ``steps`` (indices into keys or items) from the root, then change what is there."""
    value = copy.deepcopy(value)  # each insertion its own object: no shared or circular parts
    parent, key, node = None, None, doc
    for step in steps:
        children = sorted(node) if isinstance(node, dict) else range(len(node)) if isinstance(node, list) else []
        if not children:
            break
        parent, key = node, list(children)[step % len(children)]
        node = node[key]
    if parent is None:
        return value if kind == "replace" else doc
    if kind == "replace":
        parent[key] = value
    elif kind == "delete":
        del parent[key]
    elif kind == "add" and isinstance(parent, dict):
        parent["x_added"] = value
    elif kind == "add":
        parent.append(value)
    elif kind == "wrap":
        parent[key] = [parent[key]]
    elif kind == "empty":
        parent[key] = [] if isinstance(node, list) else {}
    return doc


@settings(PROFILE)
@given(st.integers(0, 1), st.lists(MUTATION, max_size=4), st.sampled_from(["json", "nan-text", "deep", "digits", "bytes"]))
def test_config_reader_never_fails_otherwise(which, mutations, form):
    from dynapspec.sim import Simulator

    doc = json.loads(json.dumps(documents()[which]))
    for steps, kind, value in mutations:
        doc = mutate(doc, steps, kind, value)
    text = json.dumps(doc)
    if form == "deep":
        text = text.replace('"weights": [', '"weights": ' + "[" * 5000, 1)
    elif form == "nan-text":
        text = text.replace(": 0,", ": NaN,", 1).replace(": 1,", ": -Infinity,", 1)
    elif form == "digits":
        text = text.replace(": 1,", ": 1" + "0" * 5000 + ",", 1)
    with workdir() as directory:
        path = directory / "net.config.json"
        path.write_bytes(text.encode("utf-8") if form != "bytes" else b"\xff" + text.encode("utf-8"))
        config = holds(lambda: read_config(path))
        if config is None:
            return
        kind = config.header.input.kind
        events = dvs_events([1, 2], [1, 2], [0, 5], [1, 0]) if kind == "dvs" else spike_events([0, 5], [0, 0], [1, 2], [1, 2])
        holds(lambda: Simulator(config, str(path)).run(events, monitor="all", record_states=True))
