"""Fuzz the event-file reader: structurally varied HDF5 event files, read whole and as `simulate` reads them."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import h5plans
from harness import PROFILE, holds, workdir
from dynapspec.events import read_event_file

FIELDS = {"spikes": ("t", "c", "x", "y"), "dvs": ("x", "y", "t", "p")}
PATHS = [f"/input/{name}" for name in ("t", "c", "x", "y", "p")] + [
    "/input", "/output", "/output/t", "/output/core", "/layers", "/layers/conv1", "/layers/conv1/t", "/spike_counts",
    "/states", "/states/conv1", "/x",
]
ROOT_ATTRS = ["format", "format_version", "time_unit", "network", "device", "duration_s", "kind", "conv1", "spike_count"]


def valid(kind: str, compound: bool):
    def write(f) -> None:
        f.attrs["format"] = "dynapspec-events"
        f.attrs["format_version"] = 1
        f.attrs["time_unit"] = "us"
        n = 5
        columns = {"t": np.arange(n, dtype="<u8"), "c": np.zeros(n, "<u2"), "p": np.ones(n, "u1"),
                   "x": np.arange(n, dtype="<u2"), "y": np.arange(n, dtype="<u2")}
        if compound:
            dtype = [(name, columns[name].dtype) for name in FIELDS[kind]]
            data = np.zeros(n, dtype=dtype)
            for name in FIELDS[kind]:
                data[name] = columns[name]
            f.create_dataset("input", data=data)
        else:
            group = f.create_group("input")
            group.attrs["kind"] = kind
            for name in FIELDS[kind]:
                group.create_dataset(name, data=columns[name])
        out = f.create_group("output")
        for name, dtype in (("t", "<u8"), ("core", "u1"), ("c", "<u2"), ("x", "<u2"), ("y", "<u2")):
            out.create_dataset(name, data=np.zeros(2, dtype))
        f.create_group("spike_counts").attrs["conv1"] = 2
        f.create_dataset("states/conv1", data=np.zeros((2, 3, 3), "i2"))
    return write


BASES = {f"{kind}-{'compound' if compound else 'group'}": valid(kind, compound) for kind in FIELDS for compound in (False, True)}


@settings(PROFILE)
@given(st.one_of(*[h5plans.plans(base, PATHS, ROOT_ATTRS) for base in sorted(BASES)]), st.booleans())
def test_event_reader_never_fails_otherwise(plan, input_only):
    with workdir() as directory:
        path = directory / "events.h5"
        h5plans.build(path, plan, BASES)
        holds(lambda: read_event_file(path, parts=("input",) if input_only else None))
