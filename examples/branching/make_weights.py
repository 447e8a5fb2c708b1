"""Write net.h5 for the branching example: seeded random weights, no biases.

Run from anywhere: python examples/branching/make_weights.py
"""
from pathlib import Path

import h5py
import numpy as np

SHAPES = {
    "stem": (8, 2, 3, 3),
    "left": (8, 8, 3, 3),
    "right": (8, 8, 1, 1),
    "cat": (16, 16, 3, 3),
    "deep": (16, 16, 3, 3),
    "sum": (16, 16, 3, 3),
    "out": (10, 16 * 4 * 4),
}


def main() -> None:
    rng = np.random.default_rng(20261129)
    path = Path(__file__).with_name("net.h5")
    with h5py.File(path, "w", track_order=True) as f:
        for name, shape in SHAPES.items():
            fan_in = int(np.prod(shape[1:]))
            weight = rng.normal(0.0, 1.0 / np.sqrt(fan_in), size=shape).astype(np.float32)
            f.create_dataset(f"{name}/weight", data=weight)


if __name__ == "__main__":
    main()
