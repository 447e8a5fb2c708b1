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
from dynapspec.sim import Simulator
from dynapspec.spec.model import XY, DvsInput, Edge

from oracle import Oracle
from specfactory import conv, dense, make_spec
from specstrategy import events_for, specs

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_matches_oracle(spec, events):
    """Compile ``spec``, run ``events`` on the simulator, and compare everything with the oracle."""
    result = compile_spec(spec)
    oracle = Oracle(spec)
    header = result.config.header
    for record in header.layers:
        layer = oracle.layers[record.name]
        assert (record.name, record.input_shape) == (record.name, layer.in_shape), "input shape (C, H, W)"
        expected_out = layer.out_shape
        if layer.readout:
            expected_out = ((expected_out[0] - 1) * 4 + 1,) + expected_out[1:]
        assert (record.name, record.output_shape) == (record.name, expected_out), "output shape (F, OH, OW)"
        assert record.scale == pytest.approx(layer.scale, rel=1e-12), f"{record.name}: scale"
        assert (record.threshold_high, record.threshold_low) == (layer.high, layer.low), f"{record.name}: thresholds"
    remainders = sorted(w.message.split(":")[0] for w in result.warnings if w.code == "pool-remainder")
    assert remainders == sorted(f"{s} -> {t}" for s, t in oracle.remainders), "pool-remainder warnings"

    rows, counts, states = oracle.run(events)
    names = {record.core: record.name for record in header.layers}
    names[13] = "dvs"
    sim = Simulator(result.config)
    got = sim.run(events, monitor="all", record_states=True)
    out = got.output
    got_rows = [(int(t), names[int(core)], int(c), int(x), int(y))
                for t, core, c, x, y in zip(out["t"], out["core"], out["c"], out["x"], out["y"])]
    assert got_rows == rows, "every spike, in emission order"
    assert got.spike_counts == counts
    for name, v in states.items():
        np.testing.assert_array_equal(got.states[name].transpose(0, 2, 1), v, err_msg=f"{name}: final states")
    sim.reset()
    default = sim.run(events)  # what the chip sends the host: monitored layers only
    watched = oracle.monitored()
    assert [(int(t), names[int(core)]) for t, core in zip(default.output["t"], default.output["core"])] == \
        [(t, name) for t, name, *_ in rows if name in watched], "monitored layers"
    return result, rows


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
