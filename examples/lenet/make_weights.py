"""Write net.h5 for the lenet example: seeded random weights, no biases.

Run from anywhere: python examples/lenet/make_weights.py
"""
from pathlib import Path

import h5py
import numpy as np

SHAPES = {
    "conv1": (20, 1, 5, 5),
    "conv2": (32, 20, 5, 5),
    "conv3": (128, 32, 3, 3),
    "fc1": (500, 128),
    "out": (10, 500),
}


def main() -> None:
    rng = np.random.default_rng(20261127)
    path = Path(__file__).with_name("net.h5")
    with h5py.File(path, "w", track_order=True) as f:
        for name, shape in SHAPES.items():
            fan_in = int(np.prod(shape[1:]))
            weight = rng.normal(0.0, 1.0 / np.sqrt(fan_in), size=shape).astype(np.float32)
            f.create_dataset(f"{name}/weight", data=weight)


if __name__ == "__main__":
    main()
