"""The network as the NIR importer understands it, between the NIR graph and the spec text.

It uses the spec's own vocabulary (:class:`Conv`, :class:`Dense`, :class:`PoolStep`) so that the
emitter only formats, and carries where each layer came from for the comments of the spec.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple, Union

import numpy as np

from ..spec.model import XY, Conv, Dense, PoolStep

Shape = Tuple[int, int, int]  # channels, height, width


def shape_text(shape: Tuple[int, ...]) -> str:
    """``(1, 28, 28)`` -> ``1x28x28``, as messages and spec comments write shapes."""
    return "x".join(str(v) for v in shape)


@dataclass(frozen=True)
class NetEdge:
    target: str  # layer name
    pool: Tuple[PoolStep, ...] = ()
    feature_shift: Optional[int] = None  # set only where several sources are stacked (concat)


@dataclass(frozen=True)
class DvsIn:
    """Input through the DVS layer: needed when the NIR graph pools before its first layer."""

    source: str  # "host" | "sensor"
    polarity: str  # "both" | "merge" | "on" | "off"
    pool: XY  # per axis


@dataclass(frozen=True)
class NetInput:
    shape: Shape
    edges: Tuple[NetEdge, ...]
    dvs: Optional[DvsIn]
    origin: str  # NIR node name


@dataclass(frozen=True, eq=False)
class NetLayer:
    name: str
    op: Union[Conv, Dense]
    weight: np.ndarray  # conv (F, C, k, k), dense (F, C*H*W) in C,H,W order
    threshold: float
    threshold_text: str  # how the YAML writes it
    reset: str  # "zero" | "subtract"
    low_threshold: Optional[float]
    edges: Tuple[NetEdge, ...]  # in layer order; () for an exit
    merge: str  # "concat" | "add"
    monitor: bool  # the NIR graph sends this layer's spikes to an Output
    in_shape: Shape
    out_shape: Shape  # before pooling
    origin: str  # e.g. "Conv2d '0' + IF '1'"


@dataclass(frozen=True, eq=False)
class ImportedNetwork:
    name: str
    input: NetInput
    layers: Tuple[NetLayer, ...]
    source_file: str
    nir_version: str
    notes: Tuple[str, ...]  # decisions a human should confirm (also written as comments)
