"""The memory a layer occupies in a core (docs/chip.md §2), in entries.

kernel = C * 2^(clog2(k*k) + clog2(F)): the kernel area and F round up to powers of two, C does not.
neuron = F * 2^(clog2(OH) + clog2(OW)): each axis of the output (before pooling) rounds up on its own.
bias   = F if the layer has biases, else 0 (dynapspec refuses non-zero biases, so always 0).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Memory:
    """Entries of each core memory: what a layer needs, or (in a chip profile) what a core has."""

    kernel: int
    neuron: int
    bias: int


def clog2(n: int) -> int:
    """ceil(log2 n), with clog2(1) = 0."""
    return (n - 1).bit_length()


def layer_memory(C: int, F: int, k: int, OH: int, OW: int, has_bias: bool = False) -> Memory:
    return Memory(
        kernel=C * 2 ** (clog2(k * k) + clog2(F)),
        neuron=F * 2 ** (clog2(OH) + clog2(OW)),
        bias=F if has_bias else 0,
    )
