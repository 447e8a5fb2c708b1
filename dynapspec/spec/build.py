"""Schema-valid spec data -> :class:`Spec` dataclasses: defaults, shorthands, inheritance, names.

Runs only on data the schema accepted, so every key has the type the schema promises. What it
adds is what a schema cannot say: neuron defaults and per-layer overrides (key by key), ``to:``
resolution (default: the next layer) with unique names, no self loops and no unknown names,
pooling shorthands, integer thresholds under ``quantize: false``, the DVS sensor's presence.
Weights are filled in later (:mod:`.weights`); until then a layer holds an empty array.
"""
from __future__ import annotations

import math
import os
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from .. import chips, limits
from ..errors import Diagnostic, error
from ..suggest import Suggester
from .model import (
    SPEC_VERSION,
    XY,
    Conv,
    Dense,
    DvsInput,
    Edge,
    ExternalInput,
    LayerSpec,
    Locator,
    Neuron,
    PoolStep,
    Readout,
    Spec,
)

NEURON_DEFAULTS = {"threshold": 1.0, "low_threshold": None, "reset": "subtract"}
NO_WEIGHT = np.zeros((0,), dtype=np.float64)
NO_WEIGHT.setflags(write=False)


def xy(value) -> XY:
    """``2`` -> XY(2, 2); ``{x: 2, y: 1}`` -> XY(2, 1)."""
    if isinstance(value, dict):
        return XY(int(value["x"]), int(value["y"]))
    return XY(int(value), int(value))


def pool_steps(value) -> Tuple[PoolStep, ...]:
    """``2`` / ``{kernel: 2, mode: avg}`` / a list of those -> a chain of steps."""
    items = value if isinstance(value, list) else [value]
    return tuple(
        PoolStep(int(item["kernel"]), item.get("mode", "sum")) if isinstance(item, dict) else PoolStep(int(item), "sum")
        for item in items
    )


class _Builder:
    def __init__(self, data: Dict[str, Any], locator: Locator, spec_sha256: str):
        self.data, self.locator, self.spec_sha256 = data, locator, spec_sha256
        self.profile = chips.profile(data["target"])
        self.diagnostics: List[Diagnostic] = []
        self.names = [layer["name"] for layer in data["layers"]]
        self.known = set(self.names)
        self.suggester = Suggester(self.names)

    def fail(self, code: str, message: str, path: str, layer: Optional[str] = None) -> None:
        self.diagnostics.append(error(code, message, self.locator.at(path, layer)))

    # -- names and edges
    def check_names(self) -> None:
        first: Dict[str, int] = {}
        for i, name in enumerate(self.names):
            if name in first:
                line = self.locator.at(f"layers[{first[name]}].name").line
                self.fail(
                    "duplicate-name",
                    f"the name `{name}` is already used by layers[{first[name]}] (line {line}); layer names must be unique",
                    f"layers[{i}].name",
                    name,
                )
            else:
                first[name] = i

    def target(self, name: str, path: str, source: Optional[str]) -> None:
        """Report a destination that names no layer, or the layer itself."""
        if name == source:
            self.fail("self-loop", f"`{name}` sends to itself; the chip runs only acyclic networks", path, source)
        elif name not in self.known:
            close = self.suggester.closest(name)
            hint = f"did you mean `{close[0]}`? " if close else ""
            self.fail("unknown-layer", f"no layer is named `{name}`; {hint}layers: {limits.listing(self.names)}", path, source)

    def edges(self, index: int, layer: Dict[str, Any]) -> Tuple[Edge, ...]:
        path = f"layers[{index}]"
        name = layer["name"]
        default_pool = pool_steps(layer["pool"]) if "pool" in layer else ()
        if "to" not in layer:
            if index + 1 == len(self.names):
                return ()
            return (Edge(self.names[index + 1], default_pool, None, path),)
        out = []
        for j, entry in enumerate(layer["to"]):
            edge_path = f"{path}.to[{j}]"
            if isinstance(entry, str):
                out.append(Edge(entry, default_pool, None, edge_path))
                self.target(entry, edge_path, name)
            else:
                pool = pool_steps(entry["pool"]) if "pool" in entry else default_pool
                shift = entry.get("feature_shift")
                out.append(Edge(entry["layer"], pool, None if shift is None else int(shift), edge_path))
                self.target(entry["layer"], edge_path + ".layer", name)
        return tuple(out)

    def entry_edges(self, block: Dict[str, Any], path: str) -> Tuple[Edge, ...]:
        """Edges from the input (or the DVS layer): names only, default the first layer."""
        if "to" not in block:
            return (Edge(self.names[0], (), None, path),)
        edges = []
        for j, entry in enumerate(block["to"]):
            name = entry if isinstance(entry, str) else entry["layer"]
            self.target(name, f"{path}.to[{j}]", None)
            edges.append(Edge(name, (), None, f"{path}.to[{j}]"))
        return tuple(edges)

    # -- layers
    def neuron(self, index: int, layer: Dict[str, Any]) -> Tuple[Neuron, Dict[str, str]]:
        """The layer's neuron and, per key, the JSON path it came from (for messages)."""
        values: Dict[str, Any] = dict(NEURON_DEFAULTS)  # the user's values, types checked by the schema
        origin: Dict[str, str] = {}
        for path, block in (("neuron", self.data.get("neuron", {})), (f"layers[{index}].neuron", layer.get("neuron", {}))):
            for key, value in block.items():
                if key in values:
                    values[key], origin[key] = value, f"{path}.{key}"
        threshold = float(values["threshold"])
        low = values["low_threshold"]
        return Neuron(threshold, None if low is None else float(low), values["reset"]), origin

    def check_finite_thresholds(self) -> None:
        """NaN and infinity pass every JSON-schema bound, so they are caught here."""
        blocks = [("neuron", self.data.get("neuron", {}))]
        blocks += [(f"layers[{i}].neuron", layer.get("neuron", {})) for i, layer in enumerate(self.data["layers"])]
        for path, block in blocks:
            for key in ("threshold", "low_threshold"):
                value = block.get(key)
                if value is not None and not math.isfinite(value):
                    self.fail("threshold-range", f"{key} must be a finite number, not {value}", f"{path}.{key}")

    def check_integer_thresholds(self, layers: Sequence[LayerSpec], origins: Sequence[Dict[str, str]]) -> None:
        """With ``quantize: false`` thresholds are used as given: integers in the chip's ranges."""
        chip = self.profile.limits
        bad: Dict[str, Tuple[str, List[str]]] = {}  # path -> (problem, layers)
        for layer, origin in zip(layers, origins):
            if layer.quantize:
                continue
            checks = [("threshold", layer.neuron.threshold, chip.threshold_high)]
            if layer.neuron.low_threshold is not None:
                checks.append(("low_threshold", layer.neuron.low_threshold, chip.threshold_low))
            for key, value, (low, high) in checks:
                if not math.isfinite(value) or float(value).is_integer() and low <= value <= high:
                    continue  # non-finite values are reported once, by check_finite_thresholds
                path = origin.get(key, layer.path)
                problem = f"{key} {value:g} must be an integer in {low}..{high}"
                bad.setdefault(path, (problem, []))[1].append(layer.name)
        for path, (problem, names) in bad.items():
            self.fail(
                "threshold-range",
                f"{problem}: with `quantize: false` thresholds are used as given (layers: {limits.listing(names)})",
                path,
                names[0] if len(names) == 1 else None,
            )

    def layer(self, index: int, layer: Dict[str, Any]) -> Tuple[LayerSpec, Dict[str, str]]:
        path = f"layers[{index}]"
        if "conv" in layer:
            c = layer["conv"]
            op: Union[Conv, Dense] = Conv(int(c["channels"]), int(c["kernel"]), xy(c.get("stride", 1)), xy(c.get("padding", 0)))
        else:
            d = layer["dense"]
            op = Dense(int(d["features"]), d.get("input_order", "chw"))
        neuron, origin = self.neuron(index, layer)
        edges = self.edges(index, layer)
        if not edges and "pool" in layer and any(step.factor > 1 for step in pool_steps(layer["pool"])):
            self.fail(
                "pool-exit",
                f"`{layer['name']}` sends to no layer, so its `pool` would pool nothing: spikes reach the host in "
                "pre-pooling coordinates (docs/chip.md §4); remove `pool`, or pool in the host's decoding",
                path + ".pool",
                layer["name"],
            )
        weight = layer.get("weight", f"/{layer['name']}/weight")
        spec = LayerSpec(
            name=layer["name"],
            index=index,
            op=op,
            neuron=neuron,
            edges=edges,
            merge=layer.get("merge", "concat"),
            monitor=layer.get("monitor"),
            core=None if layer.get("core") is None else int(layer["core"]),
            quantize=layer.get("quantize", self.data.get("quantize", True)),
            weight_dataset="/" + weight.lstrip("/"),
            weight=NO_WEIGHT,
            weight_sha256="",
            path=path,
        )
        return spec, origin

    # -- input and readout
    def input(self):
        block = self.data["input"]
        if "shape" in block:
            channels, height, width = (int(v) for v in block["shape"])
            return ExternalInput(channels, height, width, self.entry_edges(block, "input"))
        return self.dvs(block["dvs"])

    def dvs(self, block: Dict[str, Any]) -> DvsInput:
        path = "input.dvs"
        source = block.get("source", "host")
        sensor = XY(*self.profile.sensor_size)
        size = xy(block["size"]) if "size" in block else sensor
        if source == "sensor" and not self.profile.has_sensor:
            self.fail(
                "dvs-config",
                f"{self.profile.target} has no on-die sensor; use `source: host` and send camera events from the host",
                path + ".source",
            )
        elif source == "sensor" and size != sensor:
            self.fail(
                "dvs-config",
                f"the {self.profile.target} sensor is {sensor.x}x{sensor.y} pixels (x by y), not {size.x}x{size.y}; "
                "remove `size` or crop with `crop`",
                path + ".size",
            )
        pool = xy(block.get("pool", 1))
        crop = block.get("crop", {})
        origin = xy(crop["origin"]) if "origin" in crop else XY(0, 0)
        cut = xy(crop["cut"]) if "cut" in crop else XY(size.x // pool.x - 1, size.y // pool.y - 1)
        mirror = block.get("mirror", {})
        return DvsInput(
            source=source,
            size=size,
            polarity=block.get("polarity", "both"),
            pool=pool,
            origin=origin,
            cut=cut,
            mirror=XY(int(mirror.get("x", False)), int(mirror.get("y", False))),
            mirror_diagonal=block.get("mirror_diagonal", False),
            monitor=block.get("monitor", False),
            edges=self.entry_edges(block, path),
        )

    def readout(self) -> Optional[Readout]:
        block = self.data.get("readout")
        if block is None:
            return None
        self.target(block["layer"], "readout.layer", None)
        return Readout(block["layer"], int(block.get("threshold", 0)))

    def run(self) -> Spec:
        cores = len(self.profile.cores)
        if len(self.names) > cores:
            self.fail("too-many-layers", too_many_layers(len(self.names), cores), "layers")
        self.check_names()
        self.check_finite_thresholds()
        built = [self.layer(i, layer) for i, layer in enumerate(self.data["layers"])]
        layers = tuple(spec for spec, _ in built)
        self.check_integer_thresholds(layers, [origin for _, origin in built])
        spec_file = self.locator.file
        weights = self.data.get("weights", os.path.splitext(os.path.basename(spec_file))[0] + ".h5")
        return Spec(
            version=SPEC_VERSION,
            name=self.data["name"],
            target=self.data["target"],
            input=self.input(),
            layers=layers,
            readout=self.readout(),
            spec_file=spec_file,
            spec_sha256=self.spec_sha256,
            weights_file=os.path.normpath(os.path.join(os.path.dirname(spec_file), weights)),
            locator=self.locator,
        )


def too_many_layers(count: int, cores: int) -> str:
    return f"{count} layers > {cores} cores; the chip runs one layer per core (merge layers, or drop one)"


def build(data: Dict[str, Any], locator: Locator, spec_sha256: str) -> Tuple[Spec, List[Diagnostic]]:
    """The Spec of schema-valid ``data`` read from ``locator.file`` (weights still empty), and its problems."""
    builder = _Builder(data, locator, spec_sha256)
    spec = builder.run()
    return spec, builder.diagnostics

