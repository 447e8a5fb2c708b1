""":class:`ImportedNetwork` -> spec YAML text (commented, hand-editable) and the weight datasets of its HDF5 file.

The text is written by hand rather than by a YAML dumper so that it reads like a spec a person
wrote: flow mappings for ops, comments naming the NIR nodes and shapes, defaults left out.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import numpy as np

from .. import __version__
from ..spec.model import XY, Dense, PoolStep
from .net import ImportedNetwork, NetEdge, NetLayer, shape_text
from .nodes import float_text


def _xy(v) -> str:
    return str(v.x) if v.x == v.y else f"{{x: {v.x}, y: {v.y}}}"


def _op(op) -> str:
    if isinstance(op, Dense):
        return f"dense: {{features: {op.features}}}"
    extra = ""
    if (op.stride.x, op.stride.y) != (1, 1):
        extra += f", stride: {_xy(op.stride)}"
    if (op.padding.x, op.padding.y) != (0, 0):
        extra += f", padding: {_xy(op.padding)}"
    return f"conv: {{channels: {op.channels}, kernel: {op.kernel}{extra}}}"


def _pool(chain: Tuple[PoolStep, ...]) -> str:
    items = [str(p.factor) if p.mode == "sum" else f"{{kernel: {p.factor}, mode: avg}}" for p in chain]
    return items[0] if len(items) == 1 else f"[{', '.join(items)}]"


def _edge(edge: NetEdge) -> str:
    if not edge.pool and edge.feature_shift is None:
        return edge.target
    parts = [f"layer: {edge.target}"]
    if edge.pool:
        parts.append(f"pool: {_pool(edge.pool)}")
    if edge.feature_shift is not None:
        parts.append(f"feature_shift: {edge.feature_shift}")
    return "{" + ", ".join(parts) + "}"


def _low_text(low: Optional[float]) -> str:
    return "null" if low is None else float_text(low, np.float64)


def _neuron_fields(threshold_text: str, reset: str, low: Optional[float]) -> List[str]:
    """The top-level neuron: every key, except a floor the network does not have."""
    fields = [f"threshold: {threshold_text}"]
    if low is not None:
        fields.append(f"low_threshold: {_low_text(low)}")
    fields.append(f"reset: {reset}")
    return fields


def _neuron_override(own: tuple, default: tuple) -> List[str]:
    """A layer's keys that differ from the top level (the spec overrides key by key).

    A layer without a floor under a top level with one needs ``low_threshold: null``: leaving the
    key out would inherit the floor.
    """
    (threshold, reset, low), (d_threshold, d_reset, d_low) = own, default
    fields = [f"threshold: {threshold}"] if threshold != d_threshold else []
    if low != d_low:
        fields.append(f"low_threshold: {_low_text(low)}")
    if reset != d_reset:
        fields.append(f"reset: {reset}")
    return fields


def _wrap(text: str, indent: str, width: int = 100) -> List[str]:
    lines, line = [], ""
    for word in text.split():
        if line and len(indent) + len(line) + 1 + len(word) > width:
            lines.append(indent + line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        lines.append(indent + line)
    return lines


def spec_text(net: ImportedNetwork, target: str, weights_file: str) -> str:
    """The spec for ``net``; ``weights_file`` is the weight file's name relative to the spec."""
    out: List[str] = [
        f"# Imported by dynapspec {__version__} from {Path(net.source_file).name} "
        f"(NIR {net.nir_version or 'version unknown'}).",
        "# Weights: the `weights:` file, conv (out, in, kH, kW), dense (out, in) in C,H,W order.",
        "# NIR's IF fires when v > threshold, the chip when V >= threshold: the same unless V lands on it.",
    ]
    if net.notes:
        out.append("# Check before deploying:")
        for note in net.notes:
            wrapped = _wrap(note, "#   ")
            out += ["# - " + wrapped[0][4:]] + wrapped[1:]
    out += ["dynapspec: 1", f"name: {net.name}", f"target: {target}", f"weights: {weights_file}"]

    inp = net.input
    out.append(f"input:  # NIR node {inp.origin!r}")
    if inp.dvs is None:
        out.append(f"  shape: [{', '.join(str(v) for v in inp.shape)}]  # channels, height, width")
    else:
        _, h, w = inp.shape
        out.append("  dvs:  # the graph pools before its first layer: only the DVS input layer can do that")
        out += [f"    source: {inp.dvs.source}", f"    size: {_xy(XY(w, h))}", f"    polarity: {inp.dvs.polarity}"]
        if (inp.dvs.pool.x, inp.dvs.pool.y) != (1, 1):
            out.append(f"    pool: {_xy(inp.dvs.pool)}")
    first = net.layers[0].name if net.layers else None
    if [e.target for e in inp.edges] != [first]:
        indent = "  " if inp.dvs is None else "    "
        out.append(f"{indent}to: [{', '.join(e.target for e in inp.edges)}]")

    common = Counter((layer.threshold_text, layer.reset, layer.low_threshold) for layer in net.layers).most_common(1)
    default = common[0][0] if common else ("1.0", "subtract", None)
    out.append("neuron:  # defaults for every layer")
    out += ["  " + f for f in _neuron_fields(*default)]
    out.append("layers:")
    for i, layer in enumerate(net.layers):
        nxt = net.layers[i + 1].name if i + 1 < len(net.layers) else None
        out += _layer_lines(layer, nxt, default)
    return "\n".join(out) + "\n"


def _layer_lines(layer: NetLayer, nxt: Optional[str], default) -> List[str]:
    pooled = ""
    if len(layer.edges) == 1 and layer.edges[0].pool:
        c, h, w = layer.out_shape
        f = int(np.prod([p.factor for p in layer.edges[0].pool]))
        pooled = f", pooled to {shape_text((c, h // f, w // f))}"
    lines = [f"  # {layer.origin}: {shape_text(layer.in_shape)} -> {shape_text(layer.out_shape)}{pooled}",
             f"  - name: {layer.name}", f"    {_op(layer.op)}"]
    edges = layer.edges
    if len(edges) == 1 and edges[0].target == nxt and edges[0].feature_shift is None:
        if edges[0].pool:
            lines.append(f"    pool: {_pool(edges[0].pool)}")
    elif edges or nxt is not None:
        lines.append(f"    to: [{', '.join(_edge(e) for e in edges)}]")
    if layer.merge != "concat":
        lines.append(f"    merge: {layer.merge}")
    override = _neuron_override((layer.threshold_text, layer.reset, layer.low_threshold), default)
    if override:
        lines.append(f"    neuron: {{{', '.join(override)}}}")
    if layer.monitor != (not edges):
        lines.append(f"    monitor: {'true' if layer.monitor else 'false'}")
    return lines


def weights(net: ImportedNetwork) -> Dict[str, np.ndarray]:
    """HDF5 dataset path -> array, in the spec's default locations (``/<layer>/weight``)."""
    return {f"{layer.name}/weight": np.asarray(layer.weight) for layer in net.layers}
