"""What the chip map shows, as plain data: no matplotlib here.

A :class:`ChipView` is built from a compiled :class:`~dynapspec.config.Config`
(:func:`from_config`), or from a spec through the compiler's own stages (:func:`from_spec`). The
second also works for a network that does not fit: the compiler's placement errors name the
layers that found no core (each diagnostic's ``location.layer``), those layers are set aside with
the error as their reason, and the rest are placed by the same :func:`~dynapspec.place.place`, so
the picture shows where everything else would go. The report's summary table is read from the
same view.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

from .. import chips
from ..config import Config
from ..errors import Diagnostic, SpecError
from ..memory import Memory

Shape = Tuple[int, ...]  # (C, H, W)
INPUT = "input"  # the source name of host spikes, as in a layer's ``sources``
READOUT = "readout"


@dataclass(frozen=True)
class LayerBox:
    """One spec layer: on a core, or on none (``core`` None) with the compiler's reason."""

    name: str
    core: Optional[int]
    input_shape: Shape  # (C, H, W) the core receives
    output_shape: Shape  # (F, OH, OW) before pooling
    kernel: int
    stride: Tuple[int, int]  # (x, y)
    padding: Tuple[int, int]  # (x, y)
    memory: Memory
    scale: float
    threshold_high: int
    threshold_low: int
    monitor: bool
    problem: Optional[str] = None  # the placement error's message when the layer has no core


@dataclass(frozen=True)
class Link:
    """An edge on the chip: spikes of ``source`` go to ``target`` pooled, then shifted in features."""

    source: str  # a layer name, INPUT, or DVS_NAME
    target: str  # a layer name or READOUT
    pooling: int = 1
    feature_shift: int = 0


@dataclass(frozen=True)
class DvsBox:
    """The DVS layer's settings (origin and cut in pooled pixels, cut inclusive)."""

    source: str  # "sensor" | "host"
    sensor: Tuple[int, ...]  # (x, y) pixels
    polarity: str  # "both" | "merge" | "on" | "off"
    pool: Tuple[int, int]
    origin: Tuple[int, int]
    cut: Tuple[int, int]
    mirror: Tuple[bool, bool]
    mirror_diagonal: bool
    output_shape: Shape  # (C, H, W) delivered to its targets


@dataclass(frozen=True)
class ReadoutBox:
    source: str  # the layer feeding it
    classes: int
    threshold: int


@dataclass(frozen=True)
class ChipView:
    name: str
    target: str
    chip: str
    capacities: Tuple[Memory, ...]  # per core
    has_readout: bool  # the chip has one (Speck 2e/2f)
    input_kind: str  # "spikes" | "dvs"
    input_shape: Shape  # what the host sends (spikes) or the sensor size (dvs: 2 x H x W)
    layers: Tuple[LayerBox, ...]  # spec order
    links: Tuple[Link, ...]
    dvs: Optional[DvsBox] = None
    readout: Optional[ReadoutBox] = None  # None: off (or no readout on the chip)
    problems: Tuple[Diagnostic, ...] = ()  # placement errors: why some layers have no core
    warnings: Tuple[Diagnostic, ...] = ()

    @property
    def fits(self) -> bool:
        return not self.problems

    def on_core(self, core: int) -> Optional[LayerBox]:
        return next((layer for layer in self.layers if layer.core == core), None)

    @property
    def outputs(self) -> Tuple[str, ...]:
        """Exit layers: those that send to no other layer (the readout does not count)."""
        senders = {link.source for link in self.links if link.target != READOUT}
        return tuple(layer.name for layer in self.layers if layer.name not in senders)

    @property
    def unplaced(self) -> Tuple[LayerBox, ...]:
        return tuple(layer for layer in self.layers if layer.core is None)


def readout_classes(features: int, profile: chips.ChipProfile) -> int:
    """Classes of a readout-fed layer, whose features were widened to stride*(classes-1)+1 (docs/spec.md)."""
    return (features - 1) // profile.readout_channel_stride + 1


# ---------------------------------------------------------------- from a compiled configuration


def from_config(config: Config) -> ChipView:
    header, chip = config.header, config.chip
    profile = chips.profile(header.target)
    name_of = {record.core: record.name for record in header.layers}
    layers, links, readout = [], [], None
    for record in header.layers:
        core = chip.cnn_layers[record.core]
        dims = core.dimensions
        layers.append(LayerBox(
            name=record.name, core=record.core, input_shape=tuple(record.input_shape),
            output_shape=tuple(record.output_shape), kernel=dims.kernel_size,
            stride=(dims.stride.x, dims.stride.y), padding=(dims.padding.x, dims.padding.y),
            memory=record.memory, scale=record.scale, threshold_high=record.threshold_high,
            threshold_low=record.threshold_low, monitor=record.monitor,
        ))
        for dest in core.destinations:
            if not dest.enable:
                continue
            if dest.layer == profile.readout_layer:
                links.append(Link(record.name, READOUT))
                if chip.readout is not None and chip.readout.enable:
                    readout = ReadoutBox(record.name, readout_classes(record.output_shape[0], profile), chip.readout.threshold)
            else:
                links.append(Link(record.name, name_of[dest.layer], dest.pooling, dest.feature_shift))
    dvs = None
    if header.input.kind == "dvs":
        dvs = _dvs_from_config(chip.dvs_layer, profile, header.input.source)
        from ..events import DVS_NAME

        entry = [Link(DVS_NAME, name_of[d.layer]) for d in chip.dvs_layer.destinations if d.enable]
    else:
        entry = [Link(INPUT, name_of[core]) for core in header.input.cores]
    return ChipView(
        name=header.name, target=header.target, chip=header.chip, capacities=profile.cores,
        has_readout=profile.has_readout, input_kind=header.input.kind, input_shape=tuple(header.input.shape),
        layers=tuple(layers), links=tuple(entry + links), dvs=dvs, readout=readout,
    )


def _dvs_from_config(layer, profile: chips.ChipProfile, source: str) -> DvsBox:
    if not layer.merge:
        polarity = "both"
    elif layer.on_channel and layer.off_channel:
        polarity = "merge"
    else:
        polarity = "on" if layer.on_channel else "off"
    return DvsBox(
        source=source, sensor=tuple(profile.sensor_size), polarity=polarity,
        pool=(layer.pooling.x, layer.pooling.y), origin=(layer.origin.x, layer.origin.y),
        cut=(layer.cut.x, layer.cut.y), mirror=(layer.mirror.x, layer.mirror.y),
        mirror_diagonal=layer.mirror_diagonal, output_shape=layer.output_shape,
    )


# ---------------------------------------------------------------- from a spec (fitting or not)


def from_spec(source, target: Optional[str] = None) -> ChipView:
    """Run the compiler's stages up to placement; layers that fit no core are kept, with the reason.

    Errors before placement (a spec that is invalid, shapes the chip refuses) raise ``SpecError``
    as ``dynapspec compile`` would: there is no network to draw.
    """
    from ..compiler.lower import lower
    from ..compiler.network import DvsEntry
    from ..compiler.quantize import quantize
    from ..spec import load

    spec = source if not isinstance(source, (str, Path)) else load(source)
    if target is not None and target not in chips.targets():
        raise SpecError.single("unknown-target", f"unknown target {target!r}; known targets: {', '.join(chips.targets())}")
    profile = chips.profile(target or spec.target)
    network, lower_warnings = lower(spec, profile.target)
    network, quant_warnings = quantize(network)
    cores, problems = _place_what_fits(network, profile)
    reason = {d.location.layer: d.message for d in problems}
    layers, links = [], []
    for layer in sorted(network.layers, key=lambda layer: layer.index):
        layers.append(LayerBox(
            name=layer.name, core=cores.get(layer.name), input_shape=tuple(layer.input_shape),
            output_shape=tuple(layer.output_shape), kernel=layer.kernel,
            stride=(layer.stride.x, layer.stride.y), padding=(layer.padding.x, layer.padding.y),
            memory=layer.memory, scale=float(layer.scale), threshold_high=int(layer.threshold_high),  # type: ignore[arg-type]
            threshold_low=int(layer.threshold_low), monitor=layer.monitor, problem=reason.get(layer.name),  # type: ignore[arg-type]
        ))
        links += [Link(layer.name, route.target, route.pooling, route.feature_shift) for route in layer.routes]
        if layer.feeds_readout:
            links.append(Link(layer.name, READOUT))
    entry = network.input
    readout = None
    shape: Shape
    if spec.readout is not None:
        features = network.layer(spec.readout.layer).output_shape[0]
        readout = ReadoutBox(spec.readout.layer, readout_classes(features, profile), spec.readout.threshold)
    if isinstance(entry, DvsEntry):
        from ..events import DVS_NAME

        d = entry.settings
        dvs = DvsBox(
            source=d.source, sensor=(d.size.x, d.size.y), polarity=d.polarity, pool=(d.pool.x, d.pool.y),
            origin=(d.origin.x, d.origin.y), cut=(d.cut.x, d.cut.y), mirror=(bool(d.mirror.x), bool(d.mirror.y)),
            mirror_diagonal=d.mirror_diagonal, output_shape=tuple(entry.output_shape),
        )
        kind, shape, head = "dvs", (2, d.size.y, d.size.x), [Link(DVS_NAME, t) for t in entry.targets]
    else:
        dvs, kind, shape, head = None, "spikes", tuple(entry.shape), [Link(INPUT, t) for t in entry.targets]
    return ChipView(
        name=spec.name, target=profile.target, chip=profile.chip, capacities=profile.cores,
        has_readout=profile.has_readout, input_kind=kind, input_shape=shape, layers=tuple(layers),
        links=tuple(head + links), dvs=dvs, readout=readout, problems=problems,
        warnings=tuple(lower_warnings) + tuple(quant_warnings),
    )


def _place_what_fits(network, profile: chips.ChipProfile) -> Tuple[Dict[str, int], Tuple[Diagnostic, ...]]:
    """The compiler's placement of every layer it can place, and its errors for the others.

    Each round sets aside the layers the errors name and places the rest again; a network that
    fits takes one round, and every further round removes at least one layer.
    """
    from ..compiler.place import place

    problems: List[Diagnostic] = []
    layers = network.layers
    while True:
        try:
            return dict(place(replace(network, layers=layers), profile).cores), tuple(problems)
        except SpecError as exc:
            named = {d.location.layer for d in exc.diagnostics}
            rest = tuple(layer for layer in layers if layer.name not in named)
            if len(rest) == len(layers):
                raise  # an error that names no layer: nothing to set aside
            problems += exc.diagnostics
            layers = rest


def load_view(path: Union[str, Path], target: Optional[str] = None) -> ChipView:
    """A view of ``net.yaml`` (compiled on the fly, fitting or not) or of a compiled ``*.json``."""
    if Path(path).suffix.lower() == ".json":
        return from_config(load_config(path))
    return from_spec(path, target)


def load_config(network, target: Optional[str] = None) -> Config:
    """The compiled Config of ``network``: a Config as is, a ``*.json`` read, a spec compiled."""
    if isinstance(network, Config):
        return network
    if Path(network).suffix.lower() == ".json":
        from ..compiler import load_network

        return load_network(network)
    from ..compiler import compile_spec

    return compile_spec(network, target).config
