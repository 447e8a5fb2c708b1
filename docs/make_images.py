"""Regenerate the pictures the README shows, with the commands a user would type.

    python docs/make_images.py            # writes docs/images/
    python docs/make_images.py OUTDIR     # elsewhere (tests/test_plot.py compares with docs/images/)

Each picture is written as .png (what the README shows) and .svg (its text is compared by the
test). Rendering is deterministic, so running this again without changes rewrites the same bytes
(with the same matplotlib release; other releases may move pixels, never the text).
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NET = "examples/lenet/net.yaml"


def commands(out: Path, run: Path):
    for suffix in ("png", "svg"):
        yield ["show", NET, "-o", str(out / f"lenet_chip.{suffix}")]
    yield ["simulate", NET, "--input", "examples/lenet/input.h5", "--monitor", "conv1,out", "-o", str(run)]
    for suffix in ("png", "svg"):
        yield ["plot", str(run), "--network", NET, "-o", str(out / f"lenet_activity.{suffix}")]


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for args in commands(out.resolve(), Path(tmp) / "run.h5"):
            print("dynapspec", " ".join(args), flush=True)
            subprocess.run([sys.executable, "-m", "dynapspec", *args], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "images")
