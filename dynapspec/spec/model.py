"""The Spec: a validated, normalised network description, as the spec stage hands it on.

Every default is already filled in, every shorthand expanded, and weights are read from HDF5
(shape checks against the inferred graph happen in the lower stage). Locations of every YAML
value stay reachable through :class:`Locator` so later stages can point at the line.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping, Optional, Protocol, Tuple, TypeVar, Union

import numpy as np

from ..errors import Location

SPEC_VERSION = 1


class _HasName(Protocol):
    name: str


Named = TypeVar("Named", bound=_HasName)


def named(items: Iterable[Named], name: str) -> Named:
    """The item called ``name``: layer names are the spec's, and every later stage's records keep them."""
    for item in items:
        if item.name == name:
            return item
    raise KeyError(name)


@dataclass(frozen=True)
class Locator:
    """Maps a JSON path (``layers[1].conv.kernel``) to where it stands in the spec file."""

    file: str
    positions: Mapping[str, Tuple[int, int]]  # path -> (line, column), 1-based

    def at(self, path: str, layer: Optional[str] = None) -> Location:
        """The location of ``path``, or of its nearest ancestor that has one."""
        probe = path
        while True:
            pos = self.positions.get(probe)
            if pos is not None:
                return Location(self.file, pos[0], pos[1], path, layer)
            if not probe:
                return Location(self.file, None, None, path, layer)
            cut = max(probe.rfind("."), probe.rfind("["))
            probe = probe[:cut] if cut > 0 else ""


@dataclass(frozen=True)
class XY:
    """A per-axis pair: x runs along width, y along height (samna's convention)."""

    x: int
    y: int


@dataclass(frozen=True)
class PoolStep:
    """One pooling on an edge; chains multiply (sum 2 then avg 2 = pool 4, scale 1/4)."""

    factor: int
    mode: str  # "sum" | "avg"


@dataclass(frozen=True)
class Edge:
    """An outgoing connection: spikes of the source go to ``target`` after pooling."""

    target: str
    pool: Tuple[PoolStep, ...] = ()
    feature_shift: Optional[int] = None  # None: assigned by the compiler (concatenation order)
    path: str = ""  # JSON path of this edge in the spec, for locations


@dataclass(frozen=True)
class Neuron:
    """Non-leaky integrate-and-fire parameters of one layer (in weight units before quantization)."""

    threshold: float
    low_threshold: Optional[float]  # None: no floor requested (written as -32768)
    reset: str  # "subtract" | "zero"


@dataclass(frozen=True)
class Conv:
    channels: int
    kernel: int
    stride: XY
    padding: XY

    def output_size(self, height: int, width: int) -> Tuple[int, int]:
        """(OH, OW) before pooling: ``O = (I + 2p - k) // s + 1`` per axis (< 1 when the kernel does not fit)."""
        return (
            (height + 2 * self.padding.y - self.kernel) // self.stride.y + 1,
            (width + 2 * self.padding.x - self.kernel) // self.stride.x + 1,
        )


@dataclass(frozen=True)
class Dense:
    features: int
    input_order: str = "chw"  # flatten order of the dense weight columns: "chw" (torch, NIR) | "hwc" (Keras)


@dataclass(frozen=True, eq=False)
class LayerSpec:
    name: str
    index: int  # position in the spec's `layers` list
    op: Union[Conv, Dense]
    neuron: Neuron
    edges: Tuple[Edge, ...]  # resolved: default is the next layer; () for an exit
    merge: str  # how several sources combine: "concat" (disjoint features) | "add"
    monitor: Optional[bool]  # None: monitor if this is an exit layer
    core: Optional[int]
    quantize: bool  # False: weights are integers used as given
    weight_dataset: str  # HDF5 path, e.g. "/conv1/weight"
    weight: np.ndarray  # as stored in the file, float64 (conv (F,C,kH,kW) or dense (F,N))
    weight_sha256: str
    path: str  # JSON path, e.g. "layers[2]"

    def __repr__(self) -> str:
        from ..display import short_repr

        return short_repr(self)


@dataclass(frozen=True)
class ExternalInput:
    """Spikes sent by the host straight into the first layer(s), shape (C, H, W)."""

    channels: int
    height: int
    width: int
    edges: Tuple[Edge, ...]  # resolved; pooling is not allowed here
    path: str = "input"


@dataclass(frozen=True)
class DvsInput:
    """The DVS pre-processing layer: the on-die sensor, or host events routed through it."""

    source: str  # "sensor" | "host"
    size: XY  # sensor size in pixels (128 x 128 on Speck)
    polarity: str  # "both" (2 features) | "merge" (1) | "on" (1) | "off" (1)
    pool: XY
    origin: XY  # ROI top-left, in pooled pixels (U06)
    cut: XY  # ROI bottom-right, inclusive, in pooled pixels
    mirror: XY  # 0/1 flags: flip x, flip y
    mirror_diagonal: bool  # swap x and y
    monitor: bool
    edges: Tuple[Edge, ...]  # resolved; no pooling or shift allowed
    path: str = "input.dvs"


@dataclass(frozen=True)
class Readout:
    """Speck 2e/2f readout fed by one exit layer (classes 1..15)."""

    layer: str
    threshold: int
    path: str = "readout"


@dataclass(frozen=True, eq=False)
class Spec:
    version: int
    name: str
    target: str
    input: Union[ExternalInput, DvsInput]
    layers: Tuple[LayerSpec, ...]
    readout: Optional[Readout]
    spec_file: str  # as given by the user (for messages)
    spec_sha256: str
    weights_file: Optional[str]  # resolved path of the HDF5 file
    locator: Locator = field(repr=False)

    def layer(self, name: str) -> LayerSpec:
        return named(self.layers, name)

    def __repr__(self) -> str:
        from ..display import short_repr

        return short_repr(self)
