"""The limits table (dynapspec/limits.py): documented, raisable where it says so, refusing cleanly."""
from __future__ import annotations

import re
from pathlib import Path

import h5py
import numpy as np
import pytest

from dynapspec import limits
from dynapspec.errors import DynapspecError, SpecError
from dynapspec.events import read_event_file
from dynapspec.suggest import QUERIES, Suggester

DOC = (Path(__file__).resolve().parent.parent / "docs" / "limits.md").read_text(encoding="utf-8")


def _value(cell: str) -> int:
    """``4 MiB`` / ``2^24 (16,777,216) values`` / ``100,000 objects`` -> the number."""
    cell = cell.strip()
    power = re.match(r"2\^(\d+)", cell)
    if power:
        return 1 << int(power.group(1))
    number, unit = re.match(r"([\d,]+)\s*(\S*)", cell).groups()
    return int(number.replace(",", "")) << {"KiB": 10, "MiB": 20, "GiB": 30}.get(unit, 0)


@pytest.mark.parametrize("name", sorted(limits.LIMITS))
def test_every_limit_is_documented_with_its_value_and_variable(name):
    limit = limits.LIMITS[name]
    row = re.search(rf"^\| `{name}` \|(.*)\|$", DOC, re.M)
    assert row, f"docs/limits.md has no row for {name}"
    value, _, _, env = row.group(1).split("|")
    assert _value(value) == limit.default
    assert env.strip() == (f"`{limit.env}`" if limit.env else "fixed")


def test_the_documentation_lists_no_other_limit():
    rows = re.findall(r"^\| `([a-z0-9_]+)` \|", DOC, re.M)
    assert sorted(rows) == sorted(limits.LIMITS)


def test_an_environment_variable_raises_a_limit(monkeypatch):
    assert limits.get("events") == 20_000_000
    monkeypatch.setenv("DYNAPSPEC_MAX_EVENTS", "100_000_000")
    assert limits.get("events") == 100_000_000
    for bad in ("many", "0", "-5", "1e9", "9" * 5000):
        monkeypatch.setenv("DYNAPSPEC_MAX_EVENTS", bad)
        with pytest.raises(DynapspecError) as info:
            limits.get("events")
        (diag,) = info.value.diagnostics
        assert diag.code == "limit-setting" and info.value.exit_status == 2 and len(diag.message) < 200


def _events(path: Path, n: int) -> Path:
    with h5py.File(path, "w") as f:
        group = f.create_group("input")
        for name in ("t", "c", "x", "y"):
            group.create_dataset(name, data=np.arange(n, dtype="<u8" if name == "t" else "<u2"))
    return path


def test_the_event_limit_refuses_before_reading_and_can_be_raised(tmp_path, monkeypatch):
    path = _events(tmp_path / "events.h5", 10)
    monkeypatch.setenv("DYNAPSPEC_MAX_EVENTS", "9")
    with pytest.raises(SpecError) as info:
        read_event_file(path)
    (diag,) = info.value.diagnostics
    assert diag.code == "input-too-large" and diag.location.path == "/input/c"
    assert diag.message == "declares 10 values (shape (10,)); dynapspec reads at most 9 here, so it was not read " \
                           "(raise it with DYNAPSPEC_MAX_EVENTS=<events>)"
    monkeypatch.setenv("DYNAPSPEC_MAX_EVENTS", "10")
    assert len(read_event_file(path).input) == 10


def test_the_read_budget_counts_every_dataset(tmp_path, monkeypatch):
    path = _events(tmp_path / "events.h5", 100)  # 8 * 100 + 3 * 2 * 100 bytes
    monkeypatch.setenv("DYNAPSPEC_MAX_READ_BYTES", "1399")
    with pytest.raises(SpecError) as info:
        read_event_file(path)
    assert info.value.diagnostics[0].code == "input-too-large"
    assert info.value.diagnostics[0].message == "was not read: it would bring the data read from this file to 1,400 bytes, " \
        "above the limit of 1,399 bytes (raise it with DYNAPSPEC_MAX_READ_BYTES=<bytes>)"
    monkeypatch.setenv("DYNAPSPEC_MAX_READ_BYTES", "1400")
    assert len(read_event_file(path).input) == 100


def test_listing_counts_what_it_leaves_out():
    assert limits.listing(["a", "b"]) == "a, b"
    assert limits.listing([f"n{i}" for i in range(7000)]) == "n0, n1, n2, n3, n4, n5, n6, n7, n8, n9, ... (7000 in all)"
    assert limits.listing(range(5), 3) == "0, 1, 2, ... (5 in all)"


def test_suggestions_have_a_bounded_budget():
    suggester = Suggester(["conv1", "conv2", "fc1"])
    assert suggester.closest("cnv1") == ["conv1"]
    for _ in range(QUERIES):
        suggester.closest("fc2")
    assert suggester.closest("fc2") == []  # out of budget: the message lists the names instead
    assert Suggester([f"layer{i}" for i in range(5000)]).closest("Layer7") == ["layer7"]  # many options: exact matches only
    assert Suggester(["a"]).closest("a" * 1000) == []
