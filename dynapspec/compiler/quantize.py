"""Stage 3, quantize: one scale per layer, 8-bit weights, 16-bit thresholds (docs/chip.md §5).

The scale of a tensor T for b bits (qmin = -2^(b-1), qmax = 2^(b-1) - 1) is ``|qmax / max T|``
when ``|min T| <= |max T| * |qmin| / qmax``, else ``|qmin / min T|``; an all-zero T gives +inf.
A layer's scale is ``min(s(W, 8), s(thresholds, 16))``: IF spikes are invariant under a common
positive scale, so every layer is scaled on its own. Values are multiplied in float64 and rounded
half to even (``numpy.rint``), never truncated.

Project rule (deliberately unlike the reference): when the spec gives no low threshold, the
threshold scale comes from threshold_high alone and threshold_low is written as -32768. The
reference puts -32768 into the pair, which forces s <= 1 and zeroes every weight below 0.5.
"""
from __future__ import annotations

from dataclasses import replace
from typing import List, Tuple

import numpy as np

from .. import chips
from ..errors import Diagnostic, SpecError, error, warning
from .network import ChipLayer, Network

# Warn when more than this fraction of a layer's non-zero weights round to zero.
ZERO_FRACTION_WARNING = 0.25
CHIP = chips.layout()
WEIGHT, STATE = CHIP.weight, CHIP.state  # the chip's words (U19)


def tensor_scale(values: np.ndarray, bits: int) -> float:
    """The largest scale that maps ``values`` into the signed ``bits``-bit range (inf if all zero)."""
    qmin, qmax = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    values = np.asarray(values, dtype=np.float64)
    high, low = float(values.max()), float(values.min())
    if high == 0.0 and low == 0.0:
        return float("inf")
    if abs(low) <= abs(high) * abs(qmin) / qmax:
        return abs(qmax / high)
    return abs(qmin / low)


def quantize(network: Network) -> Tuple[Network, Tuple[Diagnostic, ...]]:
    """Integer weights and thresholds for every layer. Raises SpecError; returns warnings."""
    errors: List[Diagnostic] = []
    warnings: List[Diagnostic] = []
    layers = []
    for layer in network.layers:
        if layer.quantize:
            quantized = _quantize_layer(layer, errors, warnings)
        else:
            quantized = _check_integer_layer(layer, errors)
        if quantized is not None:
            _post_checks(quantized, errors, warnings)
            layers.append(quantized)
    if errors:
        raise SpecError(errors)
    return replace(network, layers=tuple(layers)), tuple(warnings)


def layer_scale(layer: ChipLayer) -> float:
    thresholds = [layer.threshold_high] if layer.threshold_low is None else [layer.threshold_low, layer.threshold_high]
    return min(tensor_scale(layer.weight, WEIGHT.bits), tensor_scale(np.array(thresholds), STATE.bits))


def _quantize_layer(layer: ChipLayer, errors: list, warnings: list):
    """Scale and round. No weight can leave int8: ``s(W, 8)`` maps max W to at most qmax and min W
    to at least qmin (the band rule picks whichever binds), a smaller scale only shrinks them, and
    rounding keeps a value inside integer bounds (test_quantize.py checks this on random tensors)."""
    scale = layer_scale(layer)
    if not np.isfinite(scale):  # thresholds below ~1e-304 with weights as small: 32767 / threshold overflows
        errors.append(error(
            "quant-threshold",
            f"{layer.name}: threshold {layer.threshold_high:.6g} and weights up to {float(np.abs(layer.weight).max()):.6g} "
            "are too small to scale to the chip's integers (the scale overflows); use weight units near 1",
            layer.location,
        ))
        return None
    weight = np.rint(layer.weight * scale)
    high = int(np.rint(layer.threshold_high * scale))
    low = STATE.min if layer.threshold_low is None else int(np.rint(layer.threshold_low * scale))
    nonzero = layer.weight != 0
    vanished = int(np.count_nonzero(nonzero & (weight == 0)))
    if not weight.any():
        errors.append(
            error(
                "quant-all-zero",
                f"{layer.name}: every weight rounds to 0 at scale {scale:.6g} (largest |weight| "
                f"{float(np.abs(layer.weight).max()):.6g}, threshold {layer.threshold_high:.6g}); the layer could "
                "never fire — raise its weights or lower its threshold",
                layer.location,
            )
        )
        return None
    if nonzero.any() and vanished / int(np.count_nonzero(nonzero)) > ZERO_FRACTION_WARNING:
        warnings.append(
            warning(
                "quant-zero-weights",
                f"{layer.name}: {vanished} of {int(np.count_nonzero(nonzero))} non-zero weights round to 0 at scale "
                f"{scale:.6g} (8-bit weights); " + _scale_reason(layer),
                layer.location,
            )
        )
    return replace(layer, weight=weight.astype(np.int64), threshold_high=high, threshold_low=low, scale=float(scale))


def _scale_reason(layer: ChipLayer) -> str:
    """Which tensor set the layer's scale, and what would give small weights more resolution."""
    thresholds = [layer.threshold_high] if layer.threshold_low is None else [layer.threshold_low, layer.threshold_high]
    if tensor_scale(np.array(thresholds), STATE.bits) < tensor_scale(layer.weight, WEIGHT.bits):
        return "the thresholds set the step (16-bit range); smaller thresholds relative to the weights give it more resolution"
    return "the largest weight sets the step; a narrower weight distribution gives small weights more resolution"


def _check_integer_layer(layer: ChipLayer, errors: list):
    """``quantize: false``: weights and thresholds are used as given (scale 1)."""
    weight = layer.weight
    qmin, qmax = WEIGHT.min, WEIGHT.max
    if not np.array_equal(weight, np.rint(weight)) or weight.min() < qmin or weight.max() > qmax:
        errors.append(
            error(
                "weights-not-integer",
                f"{layer.name}: with `quantize: false` the weights reaching the chip must be integers in "
                f"[{qmin}, {qmax}]; after average pooling (weights x 1/k^2) some are not — use sum pooling "
                "or `quantize: true`",
                layer.location,
            )
        )
        return None
    thresholds = [layer.threshold_high] + ([] if layer.threshold_low is None else [layer.threshold_low])
    if any(float(t) != int(t) for t in thresholds):
        errors.append(
            error("threshold-range", f"{layer.name}: with `quantize: false` thresholds must be integers", layer.location)
        )
        return None
    low = STATE.min if layer.threshold_low is None else int(layer.threshold_low)
    return replace(
        layer, weight=weight.astype(np.int64), threshold_high=int(layer.threshold_high), threshold_low=low, scale=1.0
    )


def _post_checks(layer: ChipLayer, errors: list, warnings: list) -> None:
    if not CHIP.threshold_high[0] <= layer.threshold_high <= CHIP.threshold_high[1]:
        errors.append(
            error(
                "quant-threshold",
                f"{layer.name}: threshold_high becomes {layer.threshold_high}; "
                f"the chip needs {CHIP.threshold_high[0]}..{CHIP.threshold_high[1]} (U10)",
                layer.location,
            )
        )
    if not CHIP.threshold_low[0] <= layer.threshold_low <= CHIP.threshold_low[1]:  # type: ignore[operator]  # quantized: an int
        errors.append(
            error(
                "quant-threshold",
                f"{layer.name}: threshold_low becomes {layer.threshold_low}; "
                f"the chip allows {CHIP.threshold_low[0]}..{CHIP.threshold_low[1]} (U10) — "
                "a floor that rounds to 0 is too close to zero for this layer's scale",
                layer.location,
            )
        )
    strongest = int(layer.weight.max())  # only excitatory weights can carry a neuron past its threshold
    if strongest >= layer.threshold_high >= 1:
        warnings.append(
            warning(
                "weight-above-threshold",
                f"{layer.name}: weights up to {strongest} >= threshold_high {layer.threshold_high}; one input event "
                "fires a neuron at most once on the chip, so it loses the excess",
                layer.location,
            )
        )
