"""A short, readable difference between two configuration documents (for `compile --check`).

A textual diff of a weight change shows rows of hundreds of numbers; this lists what differs by
JSON path instead: scalars as ``old -> new``, and each numeric array as one line saying how many
of its values differ and where the first one is. The header comes first: it names the cause
(a weight file fingerprint, a layer's scale) before the chip fields that follow from it.
"""
from __future__ import annotations

from typing import Iterator, List, Tuple

PART_ORDER = ("header", "chip")


def differences(old: dict, new: dict, limit: int = 20) -> List[str]:
    """Up to ``limit`` lines (plus a count of the rest)."""
    keys = sorted(set(old) | set(new), key=lambda k: (PART_ORDER.index(k) if k in PART_ORDER else len(PART_ORDER), k))
    found = [line for key in keys for line in _walk(old.get(key), new.get(key), key)]
    if len(found) > limit:
        return found[:limit] + [f"... and {len(found) - limit} more differences"]
    return found


def _walk(old, new, path: str) -> Iterator[str]:
    if old is None or new is None:
        if old != new:
            yield f"{path}: {'added' if old is None else 'removed'}"
    elif isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new)):
            yield from _walk(old.get(key), new.get(key), f"{path}.{key}")
    elif _is_array(old) and _is_array(new):
        yield from _array(old, new, path)
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for i, (a, b) in enumerate(zip(old, new)):
            yield from _walk(a, b, f"{path}[{i}]")
    elif old != new:
        yield f"{path}: {_short(old)} -> {_short(new)}"


def _is_array(value) -> bool:
    """A (nested) list of numbers."""
    if not isinstance(value, list):
        return False
    while isinstance(value, list):
        if not value:
            return True
        value = value[0]
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _array(old: list, new: list, path: str) -> Iterator[str]:
    a, b = list(_leaves(old, "")), list(_leaves(new, ""))
    if len(a) != len(b) or [i for i, _ in a] != [i for i, _ in b]:
        yield f"{path}: shape changed ({len(a)} -> {len(b)} values)"
        return
    changed = [(index, x, y) for (index, x), (_, y) in zip(a, b) if x != y]
    if changed:
        index, x, y = changed[0]
        yield f"{path}: {len(changed)} of {len(a)} values differ (first {path}{index}: {x} -> {y})"


def _leaves(value, index: str) -> Iterator[Tuple[str, object]]:
    if isinstance(value, list):
        for i, item in enumerate(value):
            yield from _leaves(item, f"{index}[{i}]")
    else:
        yield index, value


def _short(value, width: int = 70) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."
