"""Fixtures every test module can use by name (pytest finds them here; no test imports a fixture),
and the environment every test runs in."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from hardware_support import DOUBLE, drop_samna

# Variables of the caller's shell that would steer what a test sees: dynapspec's own
# (DYNAPSPEC_DEBUG turns internal errors into tracebacks, DYNAPSPEC_SIM_KERNEL picks the slow
# kernel, DYNAPSPEC_MAX_* move limits), Python's (PYTHONPATH could put another dynapspec first,
# PYTHONWARNINGS=error fails on any warning), numba's, and the terminal width that wraps --help.
STEERING = ("DYNAPSPEC_", "PYTHON", "NUMBA_", "COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR", "TERM")


@pytest.fixture(autouse=True)
def neutral_environment(monkeypatch):
    """Each test, and each process it starts without an explicit ``env``, runs without the caller's
    steering variables; a test that wants one sets it itself (``monkeypatch.setenv``, ``env=``)."""
    for name in [n for n in os.environ if n.startswith(STEERING)]:
        monkeypatch.delenv(name)


@pytest.fixture
def samna(monkeypatch):
    """The samna double, freshly reset (samna 0.48.5, no board attached). It goes on sys.path for
    this test only and every ``samna*`` module is dropped afterwards, so no other test can import
    it, or the real samna, by accident."""
    drop_samna()
    monkeypatch.syspath_prepend(str(DOUBLE))
    import samna as double

    double._double.reset()
    yield double
    drop_samna()


@pytest.fixture
def no_samna(monkeypatch):
    """samna not installed: importing it fails as on a machine without the SDK."""
    drop_samna()
    monkeypatch.setitem(sys.modules, "samna", None)
    yield
    drop_samna()


class FakeClock:
    """Stands in for the ``time`` module of code that only sleeps and reads ``time.monotonic()``:
    a sleep moves the clock on at once, so durations are exact and no test waits or flakes."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += max(0.0, seconds)


@pytest.fixture
def fake_clock(monkeypatch):
    """The board adapter's clock (dynapspec.hardware.board reads time.monotonic and time.sleep)."""
    import dynapspec.hardware.board as board

    clock = FakeClock()
    monkeypatch.setattr(board, "time", clock)
    return clock


@pytest.fixture(scope="session")
def lenet_oracle():
    """What examples/lenet does on its input.h5 according to the spec-level oracle (tests/oracle.py),
    which reads only the spec: (input events, spikes (t, layer, f, x, y) in order, spikes per layer).
    Expected numbers for the CLI and README tests come from here, not from the code under test."""
    import dynapspec
    from dynapspec.events import read_event_file
    from oracle import Oracle

    lenet = Path(__file__).resolve().parent.parent / "examples" / "lenet"
    events = read_event_file(lenet / "input.h5").input
    rows, counts, _ = Oracle(dynapspec.load_spec(lenet / "net.yaml")).run(events)
    return events, rows, counts


def pytest_sessionstart(session):
    """The coverage floor ([tool.coverage.report] fail_under) is a figure for the whole suite: a run
    of one file, a ``-k``/``-m`` selection or ``--lf`` covers less by design, so there it is lifted
    (the coverage is still measured and can be shown with --cov-report=term-missing). Session start,
    not collection: with pytest-xdist the controller, which applies the floor, collects nothing."""
    plugin = session.config.pluginmanager.getplugin("_cov")  # pytest-cov's plugin; None with --no-cov
    if plugin is not None and not _whole_suite(session.config):
        plugin.options.cov_fail_under = None


def _whole_suite(config) -> bool:
    option = config.option
    if option.keyword or option.markexpr or getattr(option, "lf", False) or getattr(option, "deselect", None):
        return False
    if option.collectonly:  # nothing runs, so nothing is covered
        return False
    if config.args_source == pytest.Config.ArgsSource.TESTPATHS:
        return True
    tests = Path(__file__).resolve().parent
    return all((config.invocation_params.dir / arg).resolve() == tests for arg in config.args)
