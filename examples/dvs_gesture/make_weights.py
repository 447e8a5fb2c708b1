"""Write net.h5 for the dvs_gesture example: seeded random weights, no biases.

Run from anywhere: python examples/dvs_gesture/make_weights.py
"""
from pathlib import Path

import h5py
import numpy as np

SHAPES = {
    "conv1": (16, 2, 3, 3),
    "conv2": (32, 16, 3, 3),
    "conv3": (64, 32, 3, 3),
    "out": (11, 64 * 3 * 3),
}


def main() -> None:
    rng = np.random.default_rng(20261128)
    path = Path(__file__).with_name("net.h5")
    with h5py.File(path, "w", track_order=True) as f:
        for name, shape in SHAPES.items():
            fan_in = int(np.prod(shape[1:]))
            weight = rng.normal(0.0, 1.0 / np.sqrt(fan_in), size=shape).astype(np.float32)
            f.create_dataset(f"{name}/weight", data=weight)


if __name__ == "__main__":
    main()
