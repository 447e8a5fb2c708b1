"""Quantization at its edges, with every expected number worked out by hand in the comments.

The rule (docs/compiler.md): s(T, b) = |qmax / max T| if |min T| <= |max T| * |qmin| / qmax, else
|qmin / min T|; a layer's scale is min(s(W, 8), s(thresholds, 16)), thresholds = [high] without a
floor, [low, high] with one; values are rounded half to even.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from dynapspec.compiler import compile_spec
from dynapspec.errors import SpecError

from oracle import scale_of
from specfactory import conv, make_spec


def quantized(weights, threshold, low=None):
    """One 1x1 conv layer with these weights (one per output feature): (scale, weights, high, low)."""
    w = np.asarray(weights, dtype=np.float64).reshape(-1, 1, 1, 1)
    result = compile_spec(make_spec((1, 2, 2), [conv("a", len(w), 1, w, threshold=threshold, low=low)]))
    record = result.config.header.layers[0]
    core = result.config.chip.cnn_layers[record.core]
    return record.scale, core.weights.ravel().tolist(), core.threshold_high, core.threshold_low


def test_weights_in_the_band_above_max_are_scaled_by_the_maximum():
    # |min| = 127.5 lies between |max| = 127 and |max| * 128/127 = 128: s = 127/127 = 1.0 (the
    # negative side still fits: -127.5 -> -128 half to even). Scaling by 128/127.5 instead would give
    # threshold 1000 * 1.0039 = 1003.9 -> 1004.
    assert quantized([127.0, -127.5], threshold=1000.0) == (1.0, [127, -128], 1000, -32768)


def test_weights_past_the_band_are_scaled_by_the_minimum():
    # |min| = 128.5 > 128: s = 128/128.5 = 0.99610894...; 127 s = 126.5058 -> 127;
    # -128.5 s = -128; threshold 1000 s = 996.1089 -> 996
    scale, weights, high, low = quantized([127.0, -128.5], threshold=1000.0)
    assert scale == pytest.approx(128 / 128.5, rel=1e-15)
    assert (weights, high, low) == ([127, -128], 996, -32768)


def test_a_large_low_threshold_sets_the_scale():
    # s(W) = 127/1 = 127; thresholds [-1000, 1]: |min| 1000 > 1 * 32768/32767, so
    # s = 32768/1000 = 32.768 < 127. Weights 1 -> 32.768 -> 33, 0.5 -> 16.384 -> 16;
    # high 32.768 -> 33; low -1000 * 32.768 = -32768 exactly.
    scale, weights, high, low = quantized([1.0, 0.5], threshold=1.0, low=-1000.0)
    assert scale == pytest.approx(32.768, rel=1e-15)
    assert (weights, high, low) == ([33, 16], 33, -32768)
    # without the floor the weights set the scale: 127; high 127
    assert quantized([1.0, 0.5], threshold=1.0) == (127.0, [127, 64], 127, -32768)


def test_a_low_threshold_in_the_16_bit_band_keeps_the_high_one_at_its_maximum():
    # thresholds [-32767.5, 32767]: |min| 32767.5 <= 32767 * 32768/32767 = 32768, so s = 32767/32767 = 1
    # (weights: s(W) = 127/100 = 1.27 does not bind). high 32767, low -32767.5 -> -32768 (half to even).
    # Scaling by 32768/32767.5 instead would push high to 32768, outside the chip's range.
    assert quantized([100.0], threshold=32767.0, low=-32767.5) == (1.0, [100], 32767, -32768)


def test_a_threshold_too_small_to_scale_is_an_error_not_a_crash():
    # 32767 / 1e-320 overflows to infinity; so does 127 / max W for weights that small
    with pytest.raises(SpecError) as info:
        quantized([1e-320], threshold=1e-320)
    (diag,) = info.value.diagnostics
    assert diag.code == "quant-threshold" and "too small to scale" in diag.message and diag.location.layer == "a"


@settings(max_examples=200, deadline=None)
@given(
    arrays(np.float64, array_shapes(min_dims=1, max_dims=1, max_side=12),
           elements=st.one_of(st.just(0.0), st.floats(1e-30, 1e30), st.floats(-1e30, -1e-30))),
    st.sampled_from([8, 16]),
    st.floats(1e-6, 1.0),
)
def test_no_value_ever_needs_clipping(values, bits, shrink):
    """Why there is no `quant-clipped`: at the tensor's own scale, or any smaller one (a layer's scale
    is the smaller of the weights' and the thresholds'), every value rounds into [qmin, qmax].
    (Below ~1e-306, 127 / max T overflows to +inf; a layer then takes the thresholds' finite scale,
    or fails with `quant-threshold`, see above.)"""
    assume(values.any())  # all zero: scale +inf (tested in test_compiler.py), every value is 0 anyway
    qmin, qmax = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    s = scale_of(values, bits)
    for scale in (s, s * shrink):
        q = np.rint(values * scale)
        assert qmin <= q.min() and q.max() <= qmax


def test_quantized_weights_are_never_clipped_on_extreme_layers():
    """The compiler on the extremes of the proof: the band's edge on both sides, and one huge weight."""
    for weights in ([127.0, -128.0], [-1.0, -1.0078], [1e30, -1e30 * 128 / 127], [3.0, -1e-30]):
        threshold = max(abs(w) for w in weights)
        scale, q, _, _ = quantized(weights, threshold=threshold)
        assert -128 <= min(q) and max(q) <= 127
        assert scale == min(scale_of(weights, 8), scale_of([threshold], 16))
        assert q == np.rint(np.array(weights) * scale).astype(int).tolist()  # the rule, unclipped
