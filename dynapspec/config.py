"""The configuration document: the contract between compile time and run time.

A :class:`Config` mirrors the samna configuration of its target field by field, in samna's
array layouts (``weights[feature][channel][x][y]``, ``neurons_initial_value[feature][x][y]``),
plus a header that says where it came from. Both the simulator and the samna adapter consume only
this document, so what is simulated is what is deployed.

The JSON form is deterministic: sorted keys, no timestamps, integers only in the chip part,
innermost arrays on one line (diff-friendly), and ``Config.from_json(c.to_json()).to_json()``
is byte-identical to ``c.to_json()``.
"""
from __future__ import annotations

import dataclasses
import json
import typing
from dataclasses import dataclass, field
from typing import Dict, Optional, Tuple

import numpy as np

from . import chips, limits
from .errors import Diagnostic, SpecError, Location
from .memory import Memory
from .spec.model import named

FORMAT = "dynapspec-config"
FORMAT_VERSION = 1
CHIP = chips.layout()  # one document type serves every family: they share these facts
NUM_CORES = CHIP.core_count


# ---------------------------------------------------------------- samna-shaped part


@dataclass(frozen=True)
class Vec2:
    x: int = 0
    y: int = 0


@dataclass(frozen=True)
class IOShape:
    feature_count: int = 1
    size: Vec2 = Vec2(1, 1)


@dataclass(frozen=True)
class Dimensions:
    input_shape: IOShape = IOShape()
    output_shape: IOShape = IOShape()  # conv output before pooling
    padding: Vec2 = Vec2(0, 0)
    stride: Vec2 = Vec2(1, 1)
    kernel_size: int = 1


@dataclass(frozen=True)
class Destination:
    layer: int = 0  # core 0..8, or 12 = readout
    enable: bool = False
    pooling: int = 1
    feature_shift: int = 0


def _empty(ndim: int) -> np.ndarray:
    return np.zeros((0,) * ndim, dtype=np.int64)


@dataclass(frozen=True, eq=False)
class CnnCore:
    """One ``cnn_layers[n]`` entry. Unused cores keep samna's defaults (everything off)."""

    weights: np.ndarray = field(default_factory=lambda: _empty(4))  # [f][c][x][y], int8 range
    biases: np.ndarray = field(default_factory=lambda: _empty(1))  # [f]
    neurons_initial_value: np.ndarray = field(default_factory=lambda: _empty(3))  # [f][x][y], int16
    threshold_high: int = 0
    threshold_low: int = -1
    return_to_zero: bool = False
    leak_enable: bool = False
    monitor_enable: bool = False
    destinations: Tuple[Destination, Destination] = (Destination(), Destination())
    dimensions: Dimensions = Dimensions()
    # Speck 2e/2f only (None where the chip has no such field)
    leak_internal_slow_clk_enable: Optional[bool] = None
    input_congestion_balancer_enable: Optional[bool] = None
    output_decimator_enable: Optional[bool] = None
    output_decimator_interval: Optional[int] = None
    # DYNAP-CNN only: 1 disables an entry (zero weights and zero biases are killed)
    weights_kill_bit: Optional[np.ndarray] = None  # [f][c][x][y]
    biases_kill_bit: Optional[np.ndarray] = None  # [f]
    neurons_value_kill_bit: Optional[np.ndarray] = None  # [f][x][y]


@dataclass(frozen=True)
class DvsDestination:
    layer: int = 0
    enable: bool = False


@dataclass(frozen=True)
class Mirror:
    x: bool = False
    y: bool = False


@dataclass(frozen=True)
class DvsLayer:
    origin: Vec2 = Vec2(0, 0)
    cut: Vec2 = Vec2(CHIP.sensor_size[0] - 1, CHIP.sensor_size[1] - 1)  # inclusive: the whole sensor
    pooling: Vec2 = Vec2(1, 1)
    merge: bool = False
    on_channel: bool = True
    off_channel: bool = True
    mirror: Mirror = Mirror()
    mirror_diagonal: bool = False
    pass_sensor_events: bool = False
    monitor_enable: bool = False
    raw_monitor_enable: bool = False
    destinations: Tuple[DvsDestination, DvsDestination] = (DvsDestination(), DvsDestination())

    @property
    def output_shape(self) -> Tuple[int, int, int]:
        """(C, H, W) of what the DVS layer sends on."""
        return dvs_output_shape(self.origin, self.cut, self.mirror_diagonal, self.merge)


def dvs_output_shape(origin, cut, mirror_diagonal: bool, merge: bool) -> Tuple[int, int, int]:
    """(C, H, W) of what the DVS layer sends on: its inclusive crop ``origin``..``cut`` (anything with
    ``x`` and ``y``), x and y swapped by the diagonal mirror, one feature when polarities merge (U06, U07)."""
    width = cut.x - origin.x + 1
    height = cut.y - origin.y + 1
    if mirror_diagonal:
        width, height = height, width
    return (1 if merge else 2, height, width)


@dataclass(frozen=True)
class Readout:
    """Speck 2e/2f readout; off unless the spec asks for it."""

    enable: bool = False
    threshold: int = 0
    low_pass_filter_disable: bool = False
    low_pass_filter32_not16: bool = False
    output_mode_sel: int = 0
    readout_configuration_sel: int = 0
    readout_pin_monitor_enable: bool = False
    monitor_enable: bool = False


@dataclass(frozen=True)
class ChipConfig:
    cnn_layers: Tuple[CnnCore, ...] = tuple(CnnCore() for _ in range(NUM_CORES))
    dvs_layer: DvsLayer = DvsLayer()
    readout: Optional[Readout] = None  # present on chips that have one


# ---------------------------------------------------------------- header


@dataclass(frozen=True)
class LayerRecord:
    """What the compiler decided for one spec layer."""

    name: str
    core: int
    input_shape: Tuple[int, int, int]  # (C, H, W) as the core sees it
    output_shape: Tuple[int, int, int]  # (F, OH, OW) before pooling
    memory: Memory
    scale: float  # weights, thresholds and states were multiplied by this and rounded
    threshold_high: int
    threshold_low: int
    monitor: bool
    sources: Tuple[str, ...]  # "input" or layer names
    spec_line: Optional[int] = None


@dataclass(frozen=True)
class InputRecord:
    """How the host feeds the network."""

    kind: str  # "spikes": Spike events into cores | "dvs": DvsEvents into the DVS layer
    shape: Tuple[int, int, int]  # (C, H, W) of events the host may send
    cores: Tuple[int, ...] = ()  # for "spikes": the cores that receive each host event
    source: str = "host"  # for "dvs": "host" | "sensor"


@dataclass(frozen=True)
class Header:
    name: str
    target: str
    chip: str
    dynapspec_version: str
    spec_version: int
    spec_file: str  # file name only (machine-independent)
    spec_sha256: str
    weights_file: Optional[str]
    weights_sha256: Dict[str, str]  # dataset path -> sha256 of dtype + shape + bytes
    input: InputRecord
    layers: Tuple[LayerRecord, ...]
    format: str = FORMAT
    format_version: int = FORMAT_VERSION


@dataclass(frozen=True)
class Config:
    header: Header
    chip: ChipConfig
    # what compiling it warned about (``dynapspec.compile`` fills it in); not part of the document
    warnings: Tuple[Diagnostic, ...] = field(default=(), compare=False, repr=False)

    def __repr__(self) -> str:
        """One line: the network, its target and where each layer runs (``to_json()`` has it all)."""
        h = self.header
        cores = ", ".join(f"{r.name}: core {r.core}" for r in h.layers)
        return f"Config({h.name!r} for {h.target}, {h.input.kind} input {'x'.join(map(str, h.input.shape))}, {{{cores}}}, " \
               f"{len(self.warnings)} warning{'s' if len(self.warnings) != 1 else ''})"

    # -- lookups used by run-time consumers
    def layer(self, name: str) -> LayerRecord:
        return named(self.header.layers, name)

    def core_of(self, name: str) -> int:
        return self.layer(name).core

    # -- serialisation
    def to_dict(self) -> dict:
        """Plain JSON-ready data (arrays as nested lists)."""
        return {"header": _to_doc(self.header), "chip": _to_doc(self.chip)}

    def to_json(self) -> str:
        doc = {"header": _to_doc(self.header, keep_arrays=True), "chip": _to_doc(self.chip, keep_arrays=True)}
        return _dump(doc) + "\n"

    @classmethod
    def from_json(cls, text: str, source: str = "<config>") -> "Config":
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise SpecError.single("config-format", f"not JSON: {' '.join(str(exc).split())[:200]}", Location(source)) from None
        except RecursionError:
            raise SpecError.single("config-format", "not a configuration document: the JSON nests far too deeply", Location(source)) from None
        return cls.from_dict(data, source)

    @classmethod
    def from_dict(cls, data: dict, source: str = "<config>") -> "Config":
        header = data.get("header") if isinstance(data, dict) else None
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise SpecError.single("config-format", f"not a {FORMAT} document", Location(source))
        if header.get("format_version") != FORMAT_VERSION:
            raise SpecError.single(
                "config-format",
                f"format_version {header.get('format_version')!r}; this dynapspec reads version {FORMAT_VERSION}",
                Location(source),
            )
        try:
            config = cls(_from_doc(Header, header), _from_doc(ChipConfig, data["chip"]))
        except (KeyError, TypeError, ValueError) as exc:
            text = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
            raise SpecError.single("config-format", f"malformed document: {str(text)[:300]}", Location(source)) from None
        _check_chip(config, source)
        return config


def read_config(path) -> Config:
    """A compiled configuration document from a file (checked as an input file, size-limited)."""
    from .fileio import printable, read_input

    source = printable(path)
    cap = limits.get("config_bytes")
    raw, size = read_input(path, "configuration file", cap)
    if len(raw) > cap:
        raise SpecError.single("input-too-large", f"the file is {size} bytes; a configuration document is at most {cap}",
                               Location(source))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError.single("config-format", f"not UTF-8 text (byte {exc.start})", Location(source)) from None
    return Config.from_json(text, source)


# ---------------------------------------------------------------- generic (de)serialisation


def _to_doc(value, keep_arrays: bool = False):
    """Dataclasses -> dicts without None fields; arrays -> lists (or kept for ``_dump``)."""
    if dataclasses.is_dataclass(value):
        out = {}
        for f in dataclasses.fields(value):
            item = getattr(value, f.name)
            if item is not None:
                out[f.name] = _to_doc(item, keep_arrays)
        return out
    if isinstance(value, np.ndarray):
        return value if keep_arrays else value.tolist()
    if isinstance(value, (tuple, list)):
        return [_to_doc(v, keep_arrays) for v in value]
    if isinstance(value, dict):
        return {k: _to_doc(v, keep_arrays) for k, v in value.items()}
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    return value


_ARRAY_NDIM = {
    "weights": 4,
    "biases": 1,
    "neurons_initial_value": 3,
    "weights_kill_bit": 4,
    "biases_kill_bit": 1,
    "neurons_value_kill_bit": 3,
}


def _from_doc(cls, data):
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name not in data:
            if _is_optional(hints[f.name]):
                kwargs[f.name] = None  # None values are left out of the JSON
            continue
        kwargs[f.name] = _convert(hints[f.name], data[f.name], f.name)
    unknown = set(data) - {f.name for f in dataclasses.fields(cls)}
    if unknown:
        raise ValueError(f"unknown keys in {cls.__name__}: {limits.listing(sorted(map(str, unknown)))}")
    return cls(**kwargs)


def _convert(hint, value, name):
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Union:  # Optional[X]
        inner = [a for a in args if a is not type(None)][0]
        return None if value is None else _convert(inner, value, name)
    if hint is np.ndarray:
        return _int_array(value, name)
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise TypeError(f"{name}: expected an object")
        return _from_doc(hint, value)
    if origin in (tuple, typing.Tuple):
        if not isinstance(value, list):
            raise TypeError(f"{name}: expected a list")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(args[0], v, name) for v in value)
        if len(args) != len(value):
            raise ValueError(f"{name}: expected {len(args)} items")
        return tuple(_convert(a, v, name) for a, v in zip(args, value))
    if origin in (dict, typing.Dict):
        if not isinstance(value, dict):
            raise TypeError(f"{name}: expected an object")
        return {str(k): _convert(args[1], v, name) for k, v in sorted(value.items())}
    if hint is bool:
        if not isinstance(value, bool):
            raise TypeError(f"{name}: expected true/false")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name}: expected an integer")
        if not -(1 << 63) <= value < 1 << 63:
            raise ValueError(f"{name}: the integer is outside int64")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"{name}: expected a number")
        try:
            return float(value)
        except OverflowError:
            raise ValueError(f"{name}: the number is too large") from None
    if hint is str:
        if not isinstance(value, str):
            raise TypeError(f"{name}: expected a string")
        return value
    return value


def _int_array(value, name: str) -> np.ndarray:
    """A JSON nested list of integers as an int64 array of the field's number of dimensions."""
    ndim = _ARRAY_NDIM[name]
    try:
        array = np.array(value)
    except (ValueError, TypeError, OverflowError, RecursionError):
        raise ValueError(f"{name} must be a {ndim}-D array of integers (a nested list of equal lengths)") from None
    if array.size == 0:
        return np.zeros((0,) * ndim, dtype=np.int64)
    if array.dtype.kind not in "iub" or array.ndim != ndim:
        what = f"{array.ndim}-D" if array.dtype.kind in "iub" else "not integers within int64"
        raise ValueError(f"{name} must be a {ndim}-D array of integers within int64, found {what}")
    return array.astype(np.int64)


def _check_chip(config: "Config", source: str) -> None:
    """Refuse what the chip's profile rules out before anything is sized from the document.

    The simulator and the board adapter allocate neuron states and weights from a core's
    dimensions; a hand-edited document could otherwise ask for a 2^31-entry state array. A
    compiled document always passes: it was placed within these bounds.
    """
    from . import chips
    from .memory import layer_memory

    def fail(message: str, path: str) -> None:
        raise SpecError.single("config-format", message, Location(source, path=path))

    if config.header.target not in chips.targets():
        fail(f"unknown target {config.header.target[:40]!r}; known: {', '.join(chips.targets())}", "header.target")
    profile = chips.profile(config.header.target)
    chip = profile.limits
    cores = config.chip.cnn_layers
    if len(cores) != len(profile.cores):
        fail(f"{len(cores)} cores; {profile.chip} has {len(profile.cores)}", "chip.cnn_layers")
    for n, (core, capacity) in enumerate(zip(cores, profile.cores)):
        d = core.dimensions
        where = f"chip.cnn_layers[{n}].dimensions"
        sizes = (d.input_shape.size.x, d.input_shape.size.y, d.output_shape.size.x, d.output_shape.size.y)
        bounds = [
            ("input feature_count", d.input_shape.feature_count, chip.features),
            ("output feature_count", d.output_shape.feature_count, chip.features),
            ("kernel_size", d.kernel_size, chip.kernel),
            ("input size", max(sizes[:2]), chip.input_size),
            ("output size", max(sizes[2:]), chip.output_size),
        ]
        for what, value, (low, high) in bounds:
            if not low <= value <= high and (core.weights.size or value > high):
                fail(f"{what} {value} is outside {low}..{high}, what {profile.chip} allows", where)
        if core.weights.size == 0:
            continue
        used = layer_memory(d.input_shape.feature_count, d.output_shape.feature_count, d.kernel_size,
                            d.output_shape.size.y, d.output_shape.size.x)
        if used.kernel > capacity.kernel or used.neuron > capacity.neuron:
            fail(f"the dimensions need {used.kernel} kernel and {used.neuron} neuron entries; core {n} holds "
                 f"{capacity.kernel} and {capacity.neuron}", where)
    dvs = config.chip.dvs_layer
    width, height = profile.sensor_size
    for what, point in (("origin", dvs.origin), ("cut", dvs.cut)):
        if not (0 <= point.x < width and 0 <= point.y < height):
            fail(f"{what} ({point.x}, {point.y}) lies outside the {width}x{height} sensor", f"chip.dvs_layer.{what}")


def _is_optional(hint) -> bool:
    return typing.get_origin(hint) is typing.Union and type(None) in typing.get_args(hint)


def _dump(value, indent: int = 0) -> str:
    """JSON with sorted keys and two-space indentation, laid out for diffs.

    Objects of scalars and lists of scalars stay on one line; a numeric array of two or more
    dimensions is written one line per outermost index (one output feature of ``weights``), so a
    changed weight shows as one changed line.
    """
    pad = "  " * (indent + 1)
    if isinstance(value, dict):
        if not any(isinstance(v, (dict, list)) for v in value.values()):
            return json.dumps(value, sort_keys=True)
        items = [f"{pad}{json.dumps(k)}: {_dump(value[k], indent + 1)}" for k in sorted(value)]
        return "{\n" + ",\n".join(items) + "\n" + "  " * indent + "}"
    if isinstance(value, np.ndarray):
        if value.ndim < 2 or value.size == 0:
            return json.dumps(value.tolist())
        return _array_text(value, pad, "  " * indent)
    if isinstance(value, list):
        if not any(isinstance(v, (dict, list)) for v in value):
            return json.dumps(value)
        items = [pad + _dump(v, indent + 1) for v in value]
        return "[\n" + ",\n".join(items) + "\n" + "  " * indent + "]"
    return json.dumps(value)


_WORD_TEXT = np.array([str(i) for i in range(CHIP.weight.min, CHIP.weight.max + 1)], dtype=object)


def _array_text(array: np.ndarray, pad: str, closing_pad: str) -> str:
    """An integer array as JSON, one line per outermost index (as json.dumps would write each line).

    The whole array is one ``str.format`` over a template of its shape, with the numbers' text
    looked up for the weight word's range: fast enough to keep `dynapspec compile` near its import time.
    """
    def template(shape) -> str:
        if not shape:
            return "{}"
        inner = template(shape[1:])
        return "[" + ", ".join([inner] * shape[0]) + "]"

    rows = (",\n" + pad).join([template(array.shape[1:])] * array.shape[0])
    flat = array.reshape(-1)
    if flat.min() >= CHIP.weight.min and flat.max() <= CHIP.weight.max:  # weights, kill bits, zero states
        tokens = _WORD_TEXT[flat.astype(np.int64) - CHIP.weight.min].tolist()
    else:
        tokens = list(map(str, flat.tolist()))
    return "[\n" + pad + rows.format(*tokens) + "\n" + closing_pad + "]"
