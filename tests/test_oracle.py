"""The compiled network against the spec-level oracle (tests/oracle.py), event for event.

``Simulator(compile(spec))`` and the oracle must agree on every spike (time, layer, feature, x, y,
in emission order), every layer's spike count, every final neuron state, each layer's shapes and
scale, which layers are monitored, and which edges lose a pooling remainder. The oracle reads only
the spec, so a miscompile of geometry (x/y swapped anywhere between spec and chip), routing, feature
shifts, pooling, DVS settings or quantization shows up as a disagreement.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from dynapspec.compiler import compile_spec
from dynapspec.events import dvs_events, spike_events
from dynapspec.spec.model import XY, DvsInput, Edge

from oracle import Oracle, assert_matches_oracle
from specfactory import conv, dense, make_spec
from specstrategy import events_for, specs

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _statistics(oracle_rows, spec):
    """What a drawn case exercised (shown by --hypothesis-show-statistics)."""
    spiking = {name for _, name, *_ in oracle_rows}
    deepest = max((i for i, layer in enumerate(spec.layers) if layer.name in spiking), default=-1)
    event(f"deepest spiking layer {deepest} of {len(spec.layers)}")
    event("spikes: " + ("none" if not oracle_rows else "1-9" if len(oracle_rows) < 10 else "10+"))


@PROPERTY
@given(st.data())
def test_spike_input_networks_match_the_oracle(data):
    spec = data.draw(specs(dvs=False))
    _statistics(assert_matches_oracle(spec, data.draw(events_for(spec)))[1], spec)


@PROPERTY
@given(st.data())
def test_dvs_input_networks_match_the_oracle(data):
    spec = data.draw(specs(dvs=True))
    _statistics(assert_matches_oracle(spec, data.draw(events_for(spec, max_events=150)))[1], spec)


def _spikes(spec, n, seed=0):
    inp = spec.input
    rng = np.random.default_rng(seed)
    return spike_events(np.arange(n), rng.integers(0, inp.channels, n), rng.integers(0, inp.width, n),
                        rng.integers(0, inp.height, n))


def _positive(*shape, seed=0):
    """Mostly excitatory float weights, so spikes reach the last layer."""
    return np.random.default_rng(seed).normal(0.4, 0.5, size=shape)


def test_per_axis_stride_and_padding_on_a_non_square_map():
    """Guards Conv.output_size (each axis its own padding and stride) and emit's padding/stride x/y."""
    spec = make_spec((2, 7, 11), [
        # H: (7 + 2*2 - 3) // 1 + 1 = 9; W: (11 + 0 - 3) // 2 + 1 = 5
        conv("wide", 3, 3, _positive(3, 2, 3, 3, seed=1), stride={"x": 2, "y": 1}, padding={"x": 0, "y": 2},
             threshold=0.8),
        # H: (9 + 0 - 2) // 2 + 1 = 4; W: (5 + 2*1 - 2) // 1 + 1 = 6
        conv("tall", 2, 2, _positive(2, 3, 2, 2, seed=2), stride={"x": 1, "y": 2}, padding={"x": 1, "y": 0},
             threshold=0.8),
    ])
    result, rows = assert_matches_oracle(spec, _spikes(spec, 400))
    assert [r.output_shape for r in result.config.header.layers] == [(3, 9, 5), (2, 4, 6)]  # by hand, above
    assert any(name == "tall" for _, name, *_ in rows), "spikes reach the last layer"


def test_dense_reads_a_map_made_square_by_asymmetric_convs():
    """A dense layer after per-axis strides: its columns (c, h, w) must meet the map the right way up."""
    spec = make_spec((1, 6, 9), [
        conv("c", 2, 3, _positive(2, 1, 3, 3, seed=3), stride={"x": 2, "y": 1}, padding={"x": 0, "y": 0},
             threshold=0.6),  # H: 6 - 3 + 1 = 4; W: (9 - 3) // 2 + 1 = 4
        dense("d", 3, _positive(3, 2 * 4 * 4, seed=4), threshold=1.0, order="hwc"),
    ])
    result, rows = assert_matches_oracle(spec, _spikes(spec, 300, seed=5))
    assert result.config.header.layers[1].input_shape == (2, 4, 4)
    assert any(name == "d" for _, name, *_ in rows)


def _dvs_spec(size, pool, origin, cut, mirror=(0, 0), diagonal=False, polarity="both"):
    dvs = DvsInput("host", XY(*size), polarity, XY(*pool), XY(*origin), XY(*cut), XY(*mirror), diagonal, True,
                   (Edge("c"),))
    width, height = cut[0] - origin[0] + 1, cut[1] - origin[1] + 1
    channels = 2 if polarity == "both" else 1
    return make_spec(None, [conv("c", 2, 2, _positive(2, channels, 2, 2, seed=6), stride={"x": 1, "y": 2},
                                 threshold=0.7)], dvs=dvs), (height, width)


def _dvs_input(spec, n, seed=0):
    size = spec.input.size
    rng = np.random.default_rng(seed)
    return dvs_events(rng.integers(0, size.x, n), rng.integers(0, size.y, n), np.arange(n), rng.integers(0, 2, n))


@pytest.mark.parametrize("pool", [(4, 1), (1, 2)], ids=["pool-x4-y1", "pool-x1-y2"])
def test_dvs_per_axis_pooling_and_off_centre_crop(pool):
    """Guards the DVS layer's pooling x/y and the header's (2, H, W) sensor shape on a non-square sensor."""
    size = (24, 10)  # x = width 24, y = height 10
    pooled = (size[0] // pool[0], size[1] // pool[1])
    spec, _ = _dvs_spec(size, pool, origin=(1, 2), cut=(pooled[0] - 2, pooled[1] - 1), mirror=(1, 0))
    result, rows = assert_matches_oracle(spec, _dvs_input(spec, 500))
    assert result.config.header.input.shape == (2, 10, 24)  # C, H, W of the sensor
    assert any(name == "c" for _, name, *_ in rows)


def test_dvs_crop_mirror_and_diagonal_swap_on_a_non_square_sensor():
    spec, (height, width) = _dvs_spec((16, 9), (2, 1), origin=(1, 0), cut=(6, 4), mirror=(0, 1), diagonal=True,
                                      polarity="merge")
    result, rows = assert_matches_oracle(spec, _dvs_input(spec, 500, seed=1))
    assert result.network.input.output_shape == (1, width, height)  # swapped: 6 wide x 5 high -> 5 wide x 6 high
    assert any(name == "c" for _, name, *_ in rows)


@pytest.mark.parametrize("shape", [(1, 8, 9), (1, 9, 8)], ids=["width-odd", "height-odd"])
def test_pool_remainder_warns_when_either_axis_has_one(shape):
    """An 8x9 (or 9x8) map pooled by 2 loses a column (or row): a remainder on one axis is enough."""
    spec = make_spec(shape, [conv("a", 1, 1, np.ones((1, 1, 1, 1)), pool=2), conv("b", 1, 1, np.ones((1, 1, 1, 1)))])
    warnings = [w for w in compile_spec(spec).warnings if w.code == "pool-remainder"]
    assert [w.message.split(":")[0] for w in warnings] == ["a -> b"]
    square = make_spec((1, 8, 8), [conv("a", 1, 1, np.ones((1, 1, 1, 1)), pool=2), conv("b", 1, 1, np.ones((1, 1, 1, 1)))])
    assert "pool-remainder" not in [w.code for w in compile_spec(square).warnings]


def test_the_oracle_itself_against_a_hand_computed_run():
    """The oracle's conv orientation, worked by hand; the compiled network must agree too.

    Input 1x2x3 (H 2, W 3); kernel rows [1 2] and [3 4] (kH, kW); threshold 4, subtract; output 1x1x2.
    t0 (x2, y1): only ox 1 covers it, at kernel (1, 1) = 4 -> V[0][1] = 4 fires, back to 0.
    t1 (x0, y0): ox 0 at (0, 0) = 1 -> V[0][0] = 1.
    t2 (x1, y0): ox 0 at (0, 1) = 2 -> V[0][0] = 3; ox 1 at (0, 0) = 1 -> V[0][1] = 1.
    t3 (x0, y1): ox 0 at (1, 0) = 3 -> V[0][0] = 6 fires, 2 left.
    (A transposed kernel would fire at t2 instead: V[0][0] = 1 + 3.)
    """
    spec = make_spec((1, 2, 3), [conv("c", 1, 2, np.array([[[[1, 2], [3, 4]]]]), quantize=False, threshold=4)])
    events = spike_events([0, 1, 2, 3], [0, 0, 0, 0], [2, 0, 1, 0], [1, 0, 0, 1])
    rows, counts, states = Oracle(spec).run(events)
    assert rows == [(0, "c", 0, 1, 0), (3, "c", 0, 0, 0)]  # (t, layer, f, x, y)
    assert counts == {"c": 2}
    np.testing.assert_array_equal(states["c"], [[[2, 1]]])
    assert assert_matches_oracle(spec, events)[1] == rows


def test_the_oracle_dvs_layer_against_a_hand_computed_event():
    """Sensor 8 wide, 6 high; pool x2 y1 -> 4x6; crop x 1..3, y 2..4 -> 3 wide, 3 high; mirror x; swap.
    Event (x 5, y 3, ON): pooled (2, 3) -> cropped (1, 1) -> mirrored x (3 - 1 - 1 = 1, 1) -> swapped (1, 1).
    Event (x 7, y 2, OFF): pooled (3, 2) -> cropped (2, 0) -> mirrored (0, 0) -> swapped (0, 0).
    Event (x 1, y 3): pooled x 0 < origin 1: dropped."""
    dvs = DvsInput("host", XY(8, 6), "both", XY(2, 1), XY(1, 2), XY(3, 4), XY(1, 0), True, True, (Edge("c"),))
    spec = make_spec(None, [conv("c", 1, 1, np.ones((1, 2, 1, 1)), quantize=False, threshold=5)], dvs=dvs)
    rows, counts, _ = Oracle(spec).run(dvs_events([5, 7, 1], [3, 2, 3], [0, 1, 2], [1, 0, 1]))
    assert rows == [(0, "dvs", 1, 1, 1), (1, "dvs", 0, 0, 0)]
    assert counts == {"c": 0, "dvs": 2}
