"""Write input.h5 for the lenet example: seeded random spikes, 28x28, 100 steps of 1 ms, p = 0.05.

This is also the benchmark input (benchmarks/bench_sim.py). Run from anywhere:
python examples/lenet/make_input.py
"""
from pathlib import Path

import numpy as np

from dynapspec.events import EventFile, raster_to_events, write_event_file

SEED = 4
STEPS, DT_US, PROBABILITY = 100, 1000, 0.05


def main() -> None:
    rng = np.random.default_rng(SEED)
    raster = (rng.random((STEPS, 1, 28, 28)) < PROBABILITY).astype(np.int32)
    events = raster_to_events(raster, DT_US)  # spike events t, c, x, y; t in microseconds
    write_event_file(Path(__file__).with_name("input.h5"), EventFile(network="lenet", input=events))


if __name__ == "__main__":
    main()
