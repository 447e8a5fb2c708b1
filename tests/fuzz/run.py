"""Long fuzzing runs, for local use: each target for a while, random seeds, bounded memory.

    python tests/fuzz/run.py                      # every target, 10 minutes each
    python tests/fuzz/run.py --minutes 2 nir      # one target

Each target runs in batches (a pytest process of ``--batch`` examples with a fresh random seed)
until its time is up (the last batch finishes), under ``nice`` and an address-space limit
(``--memory`` GiB), so a memory blow-up fails as MemoryError instead of swapping the machine. An
example that outlives its alarm fails in the harness; a batch that outlives BATCH_TIMEOUT_S is a
hang the alarm could not reach. Failing examples are kept in ``.hypothesis/`` and replayed first by later runs;
the report gives the number of examples run per target and every failure with its reproduction.
The normal test command runs the same tests as a short derandomized slice (``harness.py``).
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGETS = ("yaml", "weights", "events", "config", "nir")
# Each example has its own alarm (harness.py); a batch that outlives this hung where the alarm cannot
# reach (inside HDF5's C code). Examples take 0.05-1 s on a loaded machine.
BATCH_TIMEOUT_S = 600


def _limits(memory_gib: float):
    def apply() -> None:
        os.nice(10)
        size = int(memory_gib * (1 << 30))
        resource.setrlimit(resource.RLIMIT_AS, (size, size))
    return apply


def run_target(target: str, minutes: float, batch: int, memory_gib: float) -> dict:
    deadline = time.monotonic() + minutes * 60
    counter = Path(tempfile.mkstemp(prefix=f"fuzz-{target}-")[1])
    batches, failures = 0, []
    while time.monotonic() < deadline and not failures:  # the last batch may run past the deadline
        env = {**os.environ, "DYNAPSPEC_FUZZ": "long", "DYNAPSPEC_FUZZ_EXAMPLES": str(batch), "DYNAPSPEC_FUZZ_COUNTER": str(counter)}
        command = [sys.executable, "-m", "pytest", str(HERE / f"test_fuzz_{target}.py"), "-q", "-x", "-p", "no:cacheprovider"]
        try:
            proc = subprocess.run(command, cwd=HERE.parent.parent, env=env, capture_output=True, text=True,
                                  timeout=BATCH_TIMEOUT_S, preexec_fn=_limits(memory_gib))
        except subprocess.TimeoutExpired as expired:
            failures.append(f"a batch hung (killed after {expired.timeout:.0f} s)")
            break
        batches += 1
        if proc.returncode not in (0, 5):
            failures.append(proc.stdout[-6000:] + proc.stderr[-2000:])
    examples = len(counter.read_text()) if counter.exists() else 0
    counter.unlink(missing_ok=True)
    if batches and not examples and not failures:
        failures.append("no example ran: the batches counted nothing (is DYNAPSPEC_FUZZ_COUNTER read at import?)")
    return {"target": target, "examples": examples, "batches": batches, "failures": failures}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("targets", nargs="*", help=f"some of {', '.join(TARGETS)} (default: all)")
    parser.add_argument("--minutes", type=float, default=10.0, help="time per target (default 10)")
    parser.add_argument("--batch", type=int, default=100, help="examples per pytest process (default 100)")
    parser.add_argument("--memory", type=float, default=4.0, help="address-space limit in GiB (default 4)")
    args = parser.parse_args()
    unknown = set(args.targets) - set(TARGETS)
    if unknown:
        parser.error(f"unknown target {', '.join(sorted(unknown))}; choose from {', '.join(TARGETS)}")
    worst = 0
    for target in args.targets or TARGETS:
        started = time.monotonic()
        found = run_target(target, args.minutes, args.batch, args.memory)
        took = time.monotonic() - started
        print(f"{target}: {found['examples']} examples in {took / 60:.1f} min ({found['batches']} batches), "
              f"{len(found['failures'])} failure(s)", flush=True)
        for failure in found["failures"]:
            print(failure, flush=True)
            worst = 1
    return worst


if __name__ == "__main__":
    sys.exit(main())
