"""The Network: the spec lowered to chip layers, before and after quantization.

Lowering (``lower.py``) produces it with float weights; quantization (``quantize.py``) returns a
copy with integer weights and thresholds and each layer's scale. Placement and emission read it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple, Union

import numpy as np

from ..errors import Location
from ..memory import Memory
from ..spec.model import XY, DvsInput, named


@dataclass(frozen=True)
class Route:
    """A chip destination: spikes leave the source, are pooled by ``pooling`` and shifted."""

    target: str  # layer name
    pooling: int  # 1, 2 or 4 (sum pooling on the way)
    feature_shift: int


@dataclass(frozen=True, eq=False)
class ChipLayer:
    """One spec layer as a chip core runs it: a conv with square kernel and no bias."""

    name: str
    index: int  # position in the spec
    input_shape: Tuple[int, int, int]  # (C, H, W) the core receives
    output_shape: Tuple[int, int, int]  # (F, OH, OW) before pooling
    kernel: int
    stride: XY
    padding: XY
    weight: np.ndarray  # (F, C, kH, kW) in spec orientation; float before quantization, int after
    threshold_high: float  # int after quantization
    threshold_low: Optional[float]  # None: no floor requested; int after quantization
    return_to_zero: bool
    routes: Tuple[Route, ...]
    sources: Tuple[str, ...]  # "input" or layer names, in feature order
    monitor: bool
    core_pin: Optional[int]
    quantize: bool
    memory: Memory
    location: Location
    scale: Optional[float] = None  # set by quantization
    feeds_readout: bool = False  # sends to the readout (destination 12); features widened for the erratum

    @property
    def is_exit(self) -> bool:
        return not self.routes

    def __repr__(self) -> str:
        from ..display import short_repr

        return short_repr(self)


@dataclass(frozen=True)
class SpikeInput:
    """Host spikes go straight into these layers, unpooled."""

    shape: Tuple[int, int, int]  # (C, H, W)
    targets: Tuple[str, ...]


@dataclass(frozen=True)
class DvsEntry:
    """The DVS layer: its spec settings and the shape it delivers to its targets."""

    settings: DvsInput
    output_shape: Tuple[int, int, int]  # (C, H, W) after merge, pooling, crop and swap
    targets: Tuple[str, ...]


@dataclass(frozen=True, eq=False)
class Network:
    name: str
    target: str
    input: Union[SpikeInput, DvsEntry]
    layers: Tuple[ChipLayer, ...]  # in topological order (sources before destinations)

    def layer(self, name: str) -> ChipLayer:
        return named(self.layers, name)

    def __repr__(self) -> str:
        from ..display import short_repr

        return short_repr(self)
