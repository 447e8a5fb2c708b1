"""What an engine (the chip simulator or the float model) did with one sample."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class Trace:
    """The output layer's spikes in emission order, and totals over every layer."""

    t: np.ndarray  # uint64 [n]: timestamp (us) of each output spike, that of the input event that caused it
    feature: np.ndarray  # int64 [n]: the output layer's feature that spiked
    spikes: int  # spikes emitted by all layers (the DVS layer excluded)
    synops: int  # synaptic operations: neuron updates caused by input events and spikes
