"""Start-up: the README's main command against a compile of the same spec, cold processes, same run.

Each round runs, in fresh processes and in alternating order, ``dynapspec compile`` of
examples/lenet and the README's main command (``dynapspec deploy examples/lenet/net.yaml --device
sim --input examples/lenet/input.h5``, 3,877 input events). The first round starts with the
package's __pycache__ removed (what a fresh install runs into); the later ones are what a user sees
every day. Printed per command: wall and CPU (user + system) seconds, and deploy / compile
(targets, issue 9 goal 1: <= 2 on the first run, <= 1.5 later). Figures only, no assertions.

    python benchmarks/bench_startup.py [--rounds 10]
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import dynapspec
from dynapspec.sim import COMPILED, FALLBACK_REASON

ROOT = Path(__file__).resolve().parent.parent
EXE = Path(sys.executable).with_name("dynapspec")


def timed(args) -> tuple:
    """(wall, CPU) seconds of one command in a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # cache bytecode, as usual
    subprocess.run([str(EXE), *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10, help="rounds after the first (cold) one")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        commands = {
            "compile": ["compile", "examples/lenet/net.yaml", "-o", str(Path(tmp) / "net.config.json")],
            "deploy": ["deploy", "examples/lenet/net.yaml", "--device", "sim", "--input", "examples/lenet/input.h5"],
        }
        for cache in Path(dynapspec.__file__).parent.rglob("__pycache__"):
            shutil.rmtree(cache, ignore_errors=True)
        times = {name: [] for name in commands}
        for round_ in range(args.rounds + 1):
            order = list(commands) if round_ % 2 == 0 else list(commands)[::-1]
            for name in order:
                times[name].append(timed(commands[name]))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"examples/lenet; kernel {'compiled (C extension)' if COMPILED else 'plain Python: ' + FALLBACK_REASON}; "
          f"load average {load:.1f} on {os.cpu_count()} cores (shared: compare ratios)")  # fmt: skip
    print(f"{'':32} {'compile':^26} {'deploy --device sim':^26} {'deploy / compile':^22}")
    for label, pick in (("first run (no __pycache__)", lambda t: t[0]), (f"later runs (median of {args.rounds})",
                        lambda t: tuple(np.median(np.array(t[1:]), axis=0)))):  # fmt: skip
        (cw, cc), (dw, dc) = pick(times["compile"]), pick(times["deploy"])
        print(f"{label:32} {cw:6.3f} s wall {cc:5.3f} s CPU  {dw:6.3f} s wall {dc:5.3f} s CPU  "
              f"{dw / cw:5.2f}x wall {dc / cc:5.2f}x CPU")  # fmt: skip


if __name__ == "__main__":
    main()
