"""The fuzzers' invariant, timeout, memory bound and hypothesis profiles.

Invariant: a reader given any input either succeeds or raises dynapspec's own error
(:class:`~dynapspec.errors.DynapspecError`) whose every diagnostic is located (names a file),
registered and one line. Nothing else: no other exception, no hang (each example runs under an
alarm), no memory blow-up (the peak resident memory during one example may exceed the memory
before it by at most ``MEMORY_GROWTH``; on Linux the peak is reset before each example, so a
failure reproduces; the long run also sets an address-space limit).

Profiles (``DYNAPSPEC_FUZZ=<name>``): ``ci`` (default: derandomized, a few seconds per target, part
of the normal test command), ``long`` (random, thousands of examples per batch; what
``tests/fuzz/run.py`` uses for timed local runs).
"""
from __future__ import annotations

import contextlib
import os
import resource
import signal
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, Phase, settings

from dynapspec.errors import CODES, DynapspecError

EXAMPLE_TIMEOUT_S = int(os.environ.get("DYNAPSPEC_FUZZ_TIMEOUT", "20"))
READ_BUDGET = 256 << 20  # DYNAPSPEC_MAX_READ_BYTES during an example: generated files need far less
MEMORY_GROWTH = 2 * READ_BUDGET + (256 << 20)  # peak resident memory one example may add: what it read, once
# converted, plus what one HDF5 call may use beyond the budget (h5guard.CALL_SLACK_BYTES)

settings.register_profile(
    "dynapspec-ci", max_examples=int(os.environ.get("DYNAPSPEC_FUZZ_EXAMPLES", "25")), derandomize=True, deadline=None,
    database=None, print_blob=True, phases=(Phase.explicit, Phase.generate),
    suppress_health_check=list(HealthCheck),
)
settings.register_profile(
    "dynapspec-long", max_examples=int(os.environ.get("DYNAPSPEC_FUZZ_EXAMPLES", "2000")), derandomize=False, deadline=None,
    print_blob=True, suppress_health_check=list(HealthCheck),
)
PROFILE = settings.get_profile("dynapspec-" + os.environ.get("DYNAPSPEC_FUZZ", "ci"))
# Read at import, like the profile: tests/conftest.py clears DYNAPSPEC_* for every test it runs.
STATS_FILE = os.environ.get("DYNAPSPEC_FUZZ_STATS")
COUNTER_FILE = os.environ.get("DYNAPSPEC_FUZZ_COUNTER")


class Hang(Exception):
    """An example ran longer than EXAMPLE_TIMEOUT_S."""


def _status(field: str) -> int:
    """A ``/proc/self/status`` memory field in bytes (Linux)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise OSError(field)


def _start_peak() -> int:
    """Reset the peak resident memory to the current one (so each example is measured on its own,
    reproducibly); returns it. Falls back to the process's lifetime peak where that is not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
        return _status("VmRSS")
    except OSError:
        return _peak_rss()


def _peak_rss() -> int:
    try:
        return _status("VmHWM")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB


@contextlib.contextmanager
def bounded(seconds: int = EXAMPLE_TIMEOUT_S):
    """Run the block under an alarm and check that it did not grow the process's peak memory much."""
    def expired(signum, frame):
        raise Hang(f"the example ran longer than {seconds} s")

    before = _start_peak()
    previous = signal.signal(signal.SIGALRM, expired)
    budget = os.environ.get("DYNAPSPEC_MAX_READ_BYTES")
    os.environ["DYNAPSPEC_MAX_READ_BYTES"] = str(READ_BUDGET)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if budget is None:
            del os.environ["DYNAPSPEC_MAX_READ_BYTES"]
        else:
            os.environ["DYNAPSPEC_MAX_READ_BYTES"] = budget
    grown = _peak_rss() - before
    assert grown <= MEMORY_GROWTH, f"peak memory grew by {grown >> 20} MiB in one example"
    _count()


def check_error(error: DynapspecError) -> None:
    """The error is dynapspec's own, located, registered and one line per problem."""
    assert error.diagnostics
    for diag in error.diagnostics:
        assert diag.code in CODES
        assert diag.location.file, f"not located: {diag.render()}"
        assert "\n" not in diag.render(), f"not one line: {diag.render()!r}"


def holds(call):
    """Call ``call()``; return its result, or None after checking a DynapspecError it raised."""
    with bounded():
        try:
            result = call()
        except DynapspecError as error:
            check_error(error)
            _record(",".join(sorted({d.code for d in error.diagnostics})) + "\t" + error.diagnostics[0].message[:60])
            return None
    _record("ok")
    return result


def _record(outcome: str) -> None:
    """Tally outcomes (``ok`` or the codes raised) when DYNAPSPEC_FUZZ_STATS names a file: what the fuzzer reaches."""
    if STATS_FILE:
        with open(STATS_FILE, "a") as stats:
            stats.write(outcome + "\n")


@contextlib.contextmanager
def workdir():
    with tempfile.TemporaryDirectory(prefix="dynapspec-fuzz-") as directory:
        yield Path(directory)


def _count() -> None:
    """Count examples for the long run's report (tests/fuzz/run.py sets the file)."""
    if COUNTER_FILE:
        with open(COUNTER_FILE, "a") as counter:
            counter.write(".")
