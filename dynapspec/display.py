"""Short reprs for the objects that hold arrays, so printing one at a prompt shows what it is.

The dataclass default repr prints every array in full (a run's spikes, a layer's weights, nine
cores of configuration); :func:`short_repr` prints each field, with arrays as their length or
shape and fields, mappings and long sequences abbreviated.
"""
from __future__ import annotations

import dataclasses
from typing import Mapping

import numpy as np

ITEMS = 6  # mapping entries and sequence items shown before "..."
LONG = 200  # a nested object's repr longer than this shows as Class(...)


def short_repr(obj) -> str:
    """``Class(field=value, ...)`` with every value abbreviated (use as a dataclass's ``__repr__``)."""
    fields = [f for f in dataclasses.fields(obj) if f.repr]
    return f"{type(obj).__name__}(" + ", ".join(f"{f.name}={_short(getattr(obj, f.name))}" for f in fields) + ")"


def _short(value, nested: bool = False) -> str:
    if isinstance(value, np.ndarray):
        if value.dtype.names:
            return f"<{len(value)} x ({', '.join(value.dtype.names)})>"
        return f"<{value.dtype} array {'x'.join(map(str, value.shape)) or 'scalar'}>"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        text = repr(value)  # its own short repr where it has one
        return text if len(text) <= LONG and not nested else f"{type(value).__name__}(...)"
    if isinstance(value, Mapping):
        items = [f"{k!r}: {_short(v, True)}" for k, v in list(value.items())[:ITEMS]]
        return "{" + ", ".join(items) + (", ..." if len(value) > ITEMS else "") + "}"
    if isinstance(value, (list, tuple)) and (len(value) > ITEMS or any(_bulky(v) for v in value)):
        return f"<{len(value)} {type(value).__name__} items>"
    return repr(value)


def _bulky(value) -> bool:
    return isinstance(value, np.ndarray) or (dataclasses.is_dataclass(value) and not isinstance(value, type))
