"""Every size, count and depth limit dynapspec enforces, in one table: what it bounds and why.

Inputs are checked against these limits from what they *declare* (a file's size, a dataset's
shape and type, a list's length) before anything is read or allocated, so no file can make
dynapspec hang or exhaust memory. A limit with an ``env`` variable can be raised for a run where
users legitimately need more (long recordings): ``DYNAPSPEC_MAX_EVENTS=100000000 dynapspec
simulate ...``. The others bound things no valid input comes near. ``docs/limits.md`` lists the
same table (a test keeps the two in step).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Dict, Optional

from .errors import DynapspecError, Location


@dataclass(frozen=True)
class Limit:
    name: str
    default: int
    unit: str
    applies_to: str
    reason: str
    env: Optional[str] = None  # the environment variable that raises it, if users may


_TABLE = (
    # files
    Limit("spec_bytes", 4 << 20, "bytes", "a spec file", "a spec is a page of text; a larger file is not a spec"),
    Limit("config_bytes", 64 << 20, "bytes", "a compiled configuration file",
          "the largest configuration (every core full) is about 10 MiB of JSON"),
    Limit("hdf5_read_bytes", 1 << 30, "bytes", "everything read from one HDF5 file (weights, events, NIR)",
          "counted from declared shapes and types after decompression, before reading; a dataset "
          "read twice (layers sharing it) counts twice", "DYNAPSPEC_MAX_READ_BYTES"),
    Limit("hdf5_objects", 100_000, "objects", "groups, datasets and links one HDF5 reader visits in a file",
          "a weight or NIR file holds tens of objects"),
    Limit("hdf5_attribute_values", 65_536, "values", "one HDF5 attribute", "attributes hold names and numbers"),
    # spec
    Limit("yaml_depth", 64, "levels", "nesting of mappings and lists in a spec", "a spec nests 4 levels deep"),
    Limit("yaml_values", 100_000, "values", "values in a spec after expanding aliases",
          "a spec has hundreds; guards against alias bombs"),
    Limit("spec_layers", 64, "layers", "layers of a spec that are checked",
          "the chip runs one layer per core (9); a longer list is reported by its length alone"),
    Limit("number_chars", 100, "characters", "one number written in a spec",
          "no chip setting needs more digits; Python refuses to convert integers of over 4300 digits"),
    Limit("weight_values", 1 << 24, "values", "one weight dataset, and all weights of one spec together",
          "no chip core holds more than 65536 kernel entries; a dataset shared by several layers counts "
          "once per layer"),
    # events
    Limit("events", 20_000_000, "events", "each event list in an event file (input, output, one layer)",
          "about 0.3 GB as stored and 1 GB while checked; 20 s of a busy 128x128 sensor", "DYNAPSPEC_MAX_EVENTS"),
    Limit("state_values", 1 << 24, "values", "one layer's neuron states (/states) in an event file",
          "no chip core holds more than 65536 neurons"),
    # NIR
    Limit("nir_values", 1 << 24, "values", "one NIR parameter dataset", "as for weights: no chip layer comes near"),
    Limit("nir_nodes", 1_000, "nodes", "nodes of a NIR graph, nested graphs flattened",
          "a network that fits the chip has a few dozen"),
    Limit("nir_edges", 10_000, "edges", "edges of a NIR graph, nested graphs flattened", "as for nodes"),
    Limit("nir_depth", 32, "levels", "nesting of NIR subgraphs and of node metadata", "exporters nest 2 or 3 levels"),
    Limit("nir_paths", 10_000, "paths", "paths through pooling/flatten nodes between two layers",
          "a lattice of such nodes has exponentially many paths"),
    # messages
    Limit("listed_names", 10, "names", "names one message lists (layers, datasets, nodes)",
          "the rest are counted: `... (7000 in all)`"),
    Limit("message_chars", 2_000, "characters", "one printed diagnostic line", "longer lines are cut"),
    Limit("reported", 100, "problems", "problems printed by one command",
          "the rest are counted; `validate --format json` lists every one"),
)

LIMITS: Dict[str, Limit] = {limit.name: limit for limit in _TABLE}


def get(name: str) -> int:
    """The limit's value: its default, or the positive integer its environment variable sets."""
    limit = LIMITS[name]
    text = os.environ.get(limit.env) if limit.env else None
    if text is None or text.strip() == "":
        return limit.default
    try:
        value = int(text.strip().replace("_", ""))
    except ValueError:
        value = 0
    if value < 1:
        raise DynapspecError.single(
            "limit-setting", f"{limit.env}={text[:40]!r} is not a positive integer ({limit.applies_to}; default {limit.default})",
            Location(limit.env),
        )
    return value


def raise_hint(name: str) -> str:
    """How to raise a limit, for the end of a message ("" when it is fixed)."""
    env = LIMITS[name].env
    return f" (raise it with {env}=<{LIMITS[name].unit}>)" if env else ""


def listing(names, limit: Optional[int] = None) -> str:
    """``a, b, c, ... (7000 in all)``: at most ``listed_names`` names of a long sequence."""
    names = list(names) if not isinstance(names, (list, tuple)) else names
    cap = limit or get("listed_names")
    shown = ", ".join(str(n) for n in names[:cap])
    return shown + (f", ... ({len(names)} in all)" if len(names) > cap else "")
