"""What each NIR node means for the chip: accepted nodes become typed parts, the rest diagnostics.

NIR semantics (neuromorphs/NIR ``nir/ir``): Conv2d weights are (out, in, kH, kW) with stride,
padding and dilation given per axis (H, W); Linear/Affine weights are (out, in); IF integrates
``dv/dt = r * I``, fires when ``v > v_threshold`` and then sets ``v = v_reset`` (zero before nir
1.0.6, where the parameter did not exist); pools take (H, W) kernel, stride and padding.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import List, Optional, Tuple, Union

import numpy as np

from ..errors import Diagnostic, Location, error
from ..h5guard import as_number
from ..spec.model import XY, Conv, Dense
from .hdf5 import RawGraph, RawNode, param

# Node types whose parameters are read from the file (the others are refused by type alone).
READ = ("Input", "Output", "Conv2d", "Linear", "Affine", "IF", "SumPool2d", "AvgPool2d", "Scale", "Flatten")
# Bound for per-axis integers (kernel, stride, padding, dilation, groups, shapes): far above any chip value.
MAX_INTEGER = 1 << 16

# Keys dynapspec's exporter puts into node metadata so that its own files import back exactly.
META_RESET = "dynapspec_reset"
META_LOW_THRESHOLD = "dynapspec_low_threshold"
META_DVS = "dynapspec_dvs"  # on the Input node: "<source> <polarity>"

# Why a node has no chip equivalent, and what to do instead.
REFUSED = {
    "LIF": "a leaky integrate-and-fire neuron: the chip's neurons are non-leaky integrate-and-fire "
    "(no membrane time constant); retrain with IF neurons (sinabs IAF, snnTorch Leaky with beta=1, Norse IAF)",
    "CubaLIF": "a current-based LIF neuron (synaptic and membrane time constants): the chip's neurons are "
    "non-leaky integrate-and-fire with instantaneous synapses; retrain with IF neurons",
    "LI": "a leaky integrator without spikes: every chip layer spikes; use an IF output layer and count its spikes",
    "CubaLI": "a current-based leaky integrator without spikes: every chip layer spikes; use an IF output layer",
    "I": "an integrator without spikes: every chip layer spikes; use an IF layer",
    "Delay": "a synaptic delay: the chip has no delays; remove it (events travel through the chip in microseconds)",
    "Threshold": "a threshold without integration: the chip's neurons integrate; use IF neurons",
    "Conv1d": "a 1-D convolution: the chip convolves 2-D maps with square kernels; reshape to a 2-D Conv2d",
}


@dataclass(frozen=True)
class Synapse:
    """A Conv2d, Linear or Affine node: the weights of one chip layer."""

    node: str
    op: Union[Conv, Dense]
    weight: np.ndarray  # conv (F, C, k, k), dense (F, N), dtype as stored
    in_features: int  # C for conv, N for dense


@dataclass(frozen=True)
class Spiking:
    """An IF node: the neurons of one chip layer."""

    node: str
    threshold: float
    r: float  # uniform resistance, folded into the layer's weights
    reset: Optional[str]  # from dynapspec's own metadata; None: not recorded in the file
    low_threshold: Optional[float]
    has_v_reset: bool  # False in files older than nir 1.0.6
    threshold_text: str  # threshold as the exporter wrote it (float32 -> shortest float32 form)


@dataclass(frozen=True)
class Step:
    """A node on the way between layers: pooling, scaling, flattening."""

    node: str
    kind: str  # "sum" | "avg" | "scale" | "flatten"
    kernel: Tuple[int, int] = (1, 1)  # (height, width); only the DVS input layer pools non-square
    scale: float = 1.0


@dataclass(frozen=True)
class Boundary:
    """The graph's Input (with its shape) or an Output."""

    node: str
    kind: str  # "input" | "output"
    shape: Tuple[int, ...] = ()
    dvs: Optional[str] = None  # "<source> <polarity>" recorded by dynapspec's exporter


Part = Union[Synapse, Spiking, Step, Boundary]


def float_text(value, dtype) -> str:
    """A float as YAML text, in the shortest form that reads back as the exporter's value."""
    text = str(np.float32(value)) if np.dtype(dtype) == np.float32 else repr(float(value))
    if text in ("inf", "-inf", "nan"):
        return text.replace("inf", ".inf").replace("nan", ".nan")
    mantissa, _, exponent = text.partition("e")
    if "." not in mantissa:  # YAML 1.1 reads 1e-05 as a string
        mantissa += ".0"
    return mantissa + (f"e{exponent}" if exponent else "")


def integers(value, minimum: int = 0) -> Optional[Tuple[int, ...]]:
    """The values of a numeric parameter as whole numbers in ``minimum..MAX_INTEGER``, or None."""
    if value is None or isinstance(value, (str, dict)):
        return None
    arr = np.asarray(value)
    if arr.dtype.kind not in "biuf" or arr.size > 8:
        return None
    flat = arr.reshape(-1).astype(np.float64)
    if not np.all(np.isfinite(flat) & (flat == np.round(flat)) & (flat >= minimum) & (flat <= MAX_INTEGER)):
        return None
    return tuple(int(v) for v in flat)


def _shown(arr) -> str:
    return str(arr.tolist()) if arr.size <= 4 else f"an array of shape {arr.shape}"


class _Reader:
    """Interprets one node; collects diagnostics instead of stopping at the first."""

    def __init__(self, graph: RawGraph, node: RawNode):
        self.graph = graph
        self.node = node
        self.diags: List[Diagnostic] = []

    @property
    def where(self) -> Location:
        return self.graph.where(self.node.name)

    def refuse(self, code: str, message: str) -> None:
        self.diags.append(error(code, f"node {self.node.name!r} ({self.node.type}): {message}", self.where))

    def array(self, key: str, required: bool = True) -> Optional[np.ndarray]:
        value = param(self.node, key)
        if value is None:
            if required:
                self.refuse("nir-format", f"parameter {key!r} is missing")
            return None
        arr = np.asarray(value)
        if arr.dtype.kind not in "biuf":
            self.refuse("nir-format", f"parameter {key!r} is not numeric")
            return None
        return arr

    def pair(self, key: str, default: Optional[int] = None, minimum: int = 0) -> Optional[Tuple[int, int]]:
        """A per-axis (H, W) integer parameter given as a scalar or two values, each >= ``minimum``."""
        value = param(self.node, key)
        if value is None and default is not None:
            return (default, default)
        if isinstance(value, str):
            self.refuse("nir-unsupported", f"{key} {value[:40]!r} is given as a string; the chip needs numbers per axis")
            return None
        arr = self.array(key)
        if arr is None:
            return None
        found = integers(arr, minimum)
        if found is None or len(found) not in (1, 2):
            self.refuse("nir-format", f"{key} must be one or two integers in {minimum}..{MAX_INTEGER}, found {_shown(arr)}")
            return None
        return (found[0], found[-1])

    def uniform(self, key: str, arr: np.ndarray, what: str) -> Optional[float]:
        if arr.size == 0:
            self.refuse("nir-format", f"parameter {key!r} is empty")
            return None
        if not np.all(np.isfinite(arr)):
            self.refuse("nir-format", f"parameter {key!r} holds NaN or infinity")
            return None
        lo, hi = float(np.min(arr)), float(np.max(arr))
        if lo != hi:
            self.refuse("nir-nonuniform", f"per-neuron {key} ranges from {lo:g} to {hi:g}; {what}")
            return None
        return lo

    def zero_bias(self, features: int) -> None:
        bias = self.array("bias", required=False)
        if bias is not None and np.any(bias != 0):
            count = int(np.count_nonzero(bias))
            self.diags.append(error(
                "bias-nonzero",
                f"node {self.node.name!r} ({self.node.type}) has {count} non-zero bias(es) of {features} "
                f"(largest |b| = {float(np.max(np.abs(bias))):g}): the chip would run them as a clock-driven "
                "leak, not a per-event bias; retrain without biases (bias=False)",
                self.where,
            ))

    def read(self) -> Optional[Part]:
        kind = self.node.type
        if kind in REFUSED:
            self.refuse("nir-unsupported", REFUSED[kind])
            return None
        method = getattr(self, f"_{kind.lower()}", None)
        if method is None:
            self.refuse("nir-unsupported", "not a node type dynapspec knows (accepted: Input, Output, Conv2d, "
                        "Linear, Affine, IF, SumPool2d, AvgPool2d, Scale, Flatten)")
            return None
        return method()

    def _conv2d(self) -> Optional[Part]:
        weight = self.array("weight")
        stride, padding = self.pair("stride", 1, minimum=1), self.pair("padding", 0)
        dilation, groups = self.pair("dilation", 1, minimum=1), self.array("groups", required=False)
        if weight is None or weight.ndim != 4:
            if weight is not None:
                self.refuse("nir-format", f"weight must be 4-D (out, in, kH, kW), found shape {weight.shape}")
            return None
        f, c, kh, kw = weight.shape
        if kh != kw:
            self.refuse("nir-unsupported", f"kernel {kh}x{kw} is not square; the chip's kernels are k x k "
                        f"(zero-pad the kernel to {max(kh, kw)}x{max(kh, kw)} and widen the padding to match)")
        if dilation is not None and dilation != (1, 1):
            self.refuse("nir-unsupported", f"dilation {dilation} has no chip equivalent; write the dilated kernel "
                        f"out as a dense one of size {dilation[0] * (kh - 1) + 1} with zeros between the taps")
        g = (1,) if groups is None else integers(groups, 1)
        if g is None or len(g) != 1:
            self.refuse("nir-format", f"groups must be one integer in 1..{MAX_INTEGER}, found {_shown(groups)}")
        elif g[0] != 1:
            self.refuse("nir-unsupported", f"groups={g[0]} (grouped or depthwise convolution): every chip output "
                        "feature sees every input feature; expand the kernel to a full (out, in, k, k) one with "
                        "zero blocks")
        self.zero_bias(f)
        if stride is None or padding is None or kh != kw or kh < 1:
            return None
        op = Conv(channels=int(f), kernel=int(kh), stride=XY(stride[1], stride[0]), padding=XY(padding[1], padding[0]))
        return Synapse(self.node.name, op, weight, int(c))

    def _linear(self) -> Optional[Part]:
        weight = self.array("weight")
        if weight is None:
            return None
        if weight.ndim != 2:
            self.refuse("nir-format", f"weight must be 2-D (out, in), found shape {weight.shape}")
            return None
        if self.node.type == "Affine":
            self.zero_bias(weight.shape[0])
        return Synapse(self.node.name, Dense(features=int(weight.shape[0])), weight, int(weight.shape[1]))

    _affine = _linear

    def _if(self) -> Optional[Part]:
        threshold, r = self.array("v_threshold"), self.array("r", required=False)
        v_reset = self.array("v_reset", required=False)
        if threshold is None:
            return None
        theta = self.uniform("v_threshold", threshold, "a chip layer has one threshold (make them equal, or "
                             "divide each output feature's weights by its threshold and use threshold 1)")
        resistance = 1.0 if r is None else self.uniform("r", r, "fold r into the weights before exporting")
        if v_reset is not None and v_reset.size and np.any(v_reset != 0):
            self.refuse("nir-unsupported", f"v_reset {float(np.max(np.abs(v_reset))):g} is not zero; a chip neuron "
                        "resets to 0 or subtracts its threshold")
            return None
        if theta is None or resistance is None:
            return None
        meta = self.node.metadata
        reset = meta.get(META_RESET)
        low = meta.get(META_LOW_THRESHOLD)
        low_value = None if low is None else as_number(low)
        if low is not None and (low_value is None or not math.isfinite(low_value)):
            self.refuse("nir-format", f"metadata {META_LOW_THRESHOLD!r} must be one finite number")
            return None
        return Spiking(
            self.node.name, theta, resistance,
            reset if isinstance(reset, str) and reset in ("zero", "subtract") else None,
            low_value,
            v_reset is not None,
            float_text(theta, threshold.dtype),
        )

    def _pool(self, kind: str) -> Optional[Part]:
        kernel, stride, padding = self.pair("kernel_size", minimum=1), self.pair("stride", minimum=1), self.pair("padding", 0)
        if kernel is None or stride is None or padding is None:
            return None
        if stride != kernel:
            self.refuse("nir-unsupported", f"stride {stride} differs from the kernel {kernel}; the chip pools "
                        "non-overlapping windows (stride = kernel)")
        elif padding != (0, 0):
            self.refuse("nir-unsupported", f"padding {padding}: the chip pools without padding")
        else:
            return Step(self.node.name, kind, kernel=kernel)
        return None

    def _sumpool2d(self) -> Optional[Part]:
        return self._pool("sum")

    def _avgpool2d(self) -> Optional[Part]:
        return self._pool("avg")

    def _scale(self) -> Optional[Part]:
        scale = self.array("scale")
        if scale is None:
            return None
        value = self.uniform("scale", scale, "only a uniform Scale that completes an average pooling is accepted")
        return None if value is None else Step(self.node.name, "scale", scale=value)

    def _flatten(self) -> Optional[Part]:
        return Step(self.node.name, "flatten")

    def _input(self) -> Optional[Part]:
        shape = self.array("shape", required=False)
        dims = () if shape is None or shape.size == 0 else integers(shape)
        if dims is None:
            self.refuse("nir-format", f"shape must be up to 8 integers in 0..{MAX_INTEGER}, found {_shown(shape)}")
            return None
        dvs = self.node.metadata.get(META_DVS)
        return Boundary(self.node.name, "input", dims, dvs if isinstance(dvs, str) and dvs else None)

    def _output(self) -> Optional[Part]:
        return Boundary(self.node.name, "output")


def interpret(graph: RawGraph) -> Tuple[dict, List[Diagnostic]]:
    """Every node's meaning (name -> part) and every refusal, all at once."""
    parts = {}
    diags: List[Diagnostic] = []
    for name, node in graph.nodes.items():
        reader = _Reader(graph, node)
        part = reader.read()
        diags += reader.diags
        if part is not None:
            parts[name] = part
    return parts, diags
