"""Chip profiles: every fact about a chip family is data in a YAML file beside this module.

Adding a chip is adding a profile file; code never spells a memory size or a samna class name.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from typing import Optional, Tuple

import yaml

from ..memory import Memory

SHARED = "_common"  # the facts every family shares; any other YAML file here is a chip family


@dataclass(frozen=True)
class Limits:
    kernel: Tuple[int, int]
    strides: Tuple[int, ...]
    padding: Tuple[int, int]
    input_size: Tuple[int, int]
    output_size: Tuple[int, int]
    features: Tuple[int, int]
    pooling: Tuple[int, ...]
    destinations: int
    weight_bits: int
    state_bits: int
    threshold_high: Tuple[int, int]
    threshold_low: Tuple[int, int]


@dataclass(frozen=True)
class Word:
    """A signed word of chip memory: weights are 8-bit, neuron states and thresholds 16-bit (U19)."""

    bits: int

    @property
    def min(self) -> int:
        return -(1 << (self.bits - 1))

    @property
    def max(self) -> int:
        return (1 << (self.bits - 1)) - 1

    @property
    def dtype(self) -> str:
        """The numpy integer type of exactly this width."""
        return f"int{self.bits}"


@dataclass(frozen=True)
class Layout:
    """The facts every family shares, on which the configuration document, the event format and the
    simulator are built (one document type serves every chip)."""

    core_count: int
    readout_layer: int  # the destination "layer" that feeds the readout
    dvs_layer: int  # the "layer" the DVS layer's events are reported from
    weight: Word
    state: Word
    threshold_high: Tuple[int, int]
    threshold_low: Tuple[int, int]
    sensor_size: Tuple[int, int]  # x, y: the DVS layer's input plane


@dataclass(frozen=True)
class ChipProfile:
    """One target board: its chip family's facts plus the board's own identity."""

    target: str
    chip: str
    device_type_name: str
    usb_id: Optional[str]
    status: str
    samna_module: str
    configuration_class: str
    core_class: str
    has_sensor: bool
    has_readout: bool
    has_kill_bits: bool
    cores: Tuple[Memory, ...]  # each core's capacity
    limits: Limits
    readout_layer: int
    dvs_layer: int
    sensor_size: Tuple[int, int]
    readout_max_classes: int
    readout_channel_stride: int
    notes: Tuple[str, ...]


def _read(name: str) -> dict:
    text = resources.files(__name__).joinpath(f"{name}.yaml").read_text(encoding="utf-8")
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml when present: faster start


@functools.lru_cache(maxsize=None)
def _families() -> dict:
    common = _read(SHARED)
    names = sorted(f.name[: -len(".yaml")] for f in resources.files(__name__).iterdir() if f.name.endswith(".yaml"))
    return {family: {**common, **_read(family)} for family in names if family != SHARED}


@functools.lru_cache(maxsize=None)
def layout() -> Layout:
    """The shared facts; a profile that overrides one of them breaks the one-document design, so it is refused."""
    found = {
        Layout(
            core_count=len(data["cores"]),
            readout_layer=data["readout_layer"],
            dvs_layer=data["dvs_layer"],
            weight=Word(data["limits"]["weight_bits"]),
            state=Word(data["limits"]["state_bits"]),
            threshold_high=tuple(data["limits"]["threshold_high"]),
            threshold_low=tuple(data["limits"]["threshold_low"]),
            sensor_size=tuple(data["dvs"]["sensor_size"]),
        )
        for data in _families().values()
    }
    if len(found) != 1:
        raise ValueError(f"chip profiles disagree on facts every family must share: {sorted(map(str, found))}")
    return found.pop()


def _tuple(value):
    return tuple(value) if isinstance(value, list) else value


@functools.lru_cache(maxsize=None)
def profile(target: str) -> ChipProfile:
    """The profile of a target board string such as ``speck2fdevkit``; KeyError if unknown."""
    for data in _families().values():
        board = data["targets"].get(target)
        if board is None:
            continue
        readout = data.get("readout") or {}
        return ChipProfile(
            target=target,
            chip=data["chip"],
            device_type_name=board["device_type_name"],
            usb_id=board["usb_id"],
            status=board["status"],
            samna_module=data["samna_module"],
            configuration_class=data["configuration_class"],
            core_class=data["core_class"],
            has_sensor=data["has_sensor"],
            has_readout=data["has_readout"],
            has_kill_bits=data["has_kill_bits"],
            cores=tuple(Memory(**c) for c in data["cores"]),
            limits=Limits(**{k: _tuple(v) for k, v in data["limits"].items()}),
            readout_layer=data["readout_layer"],
            dvs_layer=data["dvs_layer"],
            sensor_size=tuple(data["dvs"]["sensor_size"]),
            readout_max_classes=readout.get("max_classes", 0),
            readout_channel_stride=readout.get("channel_stride", 1),
            notes=tuple(data.get("notes") or ()),
        )
    raise KeyError(target)


def targets() -> Tuple[str, ...]:
    """Every target string, in a fixed order."""
    return tuple(t for data in _families().values() for t in data["targets"])
