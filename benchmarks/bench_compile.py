"""Compile speed: cold `dynapspec compile` vs the bare import of its dependencies, and warm compile.

Targets (issue 3): the cold compile of the lenet example costs at most 1.5x the cold time of
`python -c "import numpy, h5py, yaml, jsonschema, typer"` measured in the same run, and the
in-process compile after imports takes under 20 ms.

Usage: python benchmarks/bench_compile.py [--runs 9] [--spec examples/lenet/net.yaml]
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


# Like a user's machine: Python caches bytecode (some sandboxes set PYTHONDONTWRITEBYTECODE, which
# would make every run recompile dynapspec's sources while the dependencies use their installed .pyc).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def wall(commands: dict, runs: int) -> dict:
    """Median wall time of each command; runs are interleaved so drift hits every command alike."""
    for cmd in commands.values():  # warm-up: bytecode caches written, files in the page cache
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    times = {name: [] for name in commands}
    for _ in range(runs):
        for name, cmd in commands.items():
            start = time.perf_counter()
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--spec", default=str(ROOT / "examples" / "lenet" / "net.yaml"))
    args = parser.parse_args()
    exe = shutil.which("dynapspec") or str(Path(sys.executable).with_name("dynapspec"))
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "out.json")
        measured = wall(
            {
                "baseline": [sys.executable, "-c", "import numpy, h5py, yaml, jsonschema, typer"],
                "cold": [exe, "compile", args.spec, "-o", out],
                "module": [sys.executable, "-m", "dynapspec", "compile", args.spec, "-o", out],
            },
            args.runs,
        )
    baseline, cold, module = measured["baseline"], measured["cold"], measured["module"]

    from dynapspec.compiler import compile_spec

    compile_spec(args.spec)  # warm caches (schema, chip profiles)
    warm = []
    for _ in range(max(args.runs, 20)):
        start = time.perf_counter()
        result = compile_spec(args.spec)
        warm.append(time.perf_counter() - start)
    start = time.perf_counter()
    text = result.config.to_json()
    serialise = time.perf_counter() - start

    print(f"import baseline (numpy, h5py, yaml, jsonschema, typer): {baseline * 1000:8.1f} ms (median of {args.runs}, interleaved)")
    print(f"cold `dynapspec compile` (console script):             {cold * 1000:8.1f} ms  ratio {cold / baseline:.2f}x  (target <= 1.5x)")
    print(f"cold `python -m dynapspec compile`:                     {module * 1000:8.1f} ms  ratio {module / baseline:.2f}x")
    print(f"in-process compile after imports:                       {statistics.median(warm) * 1000:8.2f} ms (median; target < 20 ms)")
    print(f"Config.to_json ({len(text)} bytes):                     {serialise * 1000:8.2f} ms")


if __name__ == "__main__":
    main()
