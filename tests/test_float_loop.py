"""The float model's event loop twice: compiled (_floatloop.c) and plain Python (floatnet.run_float).

The two must do the same float64 operations in the same order, so their spike counts, synaptic
ops, output spikes (order included) and final states are compared bit for bit, on random small
networks and on hand-made ones; and what the C code refuses. Which loop runs is test_compiled.py's
business; that the float model is the chip's rules in float (integer weights give the chip's
spikes) is test_evaluate.py's, on both loops.
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from specfactory import conv, dense, make_spec
from specstrategy import events_for, specs
from dynapspec.evaluate import floatnet
from dynapspec.evaluate.floatnet import FloatNetwork
from dynapspec.events import dvs_events, spike_events
from dynapspec.compiler.lower import lower
from dynapspec.spec.model import XY, DvsInput, Edge

needs_compiled = pytest.mark.skipif(not floatnet.COMPILED, reason=f"no compiled float loop: {floatnet.FALLBACK_REASON}")
LOOPS = {"python": floatnet.run_float, "compiled": floatnet.compiled_run}


def loop_args(model: FloatNetwork, events, start=None, **changes):
    """The arguments FloatNetwork.run gives its loop, from a copy of the states ``start`` (default zeros)."""
    c, x, y, _ = model._entering(events, "<events>")
    args = dict(
        in_c=c, in_x=x, in_y=y, targets=model.targets, output=model.output, geometry=model.geometry,
        thresholds=model.thresholds, routes=model.routes, weights=model.weights,
        v=np.zeros_like(model.v) if start is None else start.copy(), out=bytearray(),
    )  # fmt: skip
    args.update(changes)
    return args


def run_both(model: FloatNetwork, events, start=None):
    """(spikes, synops, output pairs, final states) of each loop from the same starting states."""
    results = {}
    for name, loop in LOOPS.items():
        args = loop_args(model, events, start)
        spikes, synops = loop(*args.values())
        results[name] = (spikes, synops, bytes(args["out"]), args["v"].tobytes())
    return results


def assert_same(model, events, start=None):
    results = run_both(model, events, start)
    python, compiled = results["python"], results["compiled"]
    assert python[:2] == compiled[:2], "spikes, synaptic ops"
    assert python[2] == compiled[2], "the output layer's spikes (input event, feature), in order"
    assert python[3] == compiled[3], "final states, bit for bit"
    return python


def _exercised(model: FloatNetwork, events, python) -> None:
    """What a drawn case covered (shown by --hypothesis-show-statistics)."""
    g, routes = model.geometry, model.routes[..., 0] >= 0
    for what, present in {
        "stride > 1": (g[:, floatnet.SX] > 1).any() or (g[:, floatnet.SY] > 1).any(),
        "padding": (g[:, floatnet.PX] > 0).any() or (g[:, floatnet.PY] > 0).any(),
        "pooling route": (model.routes[..., 1][routes] > 1).any(),
        "feature shift": (model.routes[..., 2][routes] > 0).any(),
        "two destinations": routes.all(axis=1).any(),
        "reset to zero": g[:, floatnet.TO_ZERO].any(),
        "reset by subtraction": not g[:, floatnet.TO_ZERO].all(),
        "a floor": np.isfinite(model.thresholds[:, 1]).any(),
        "no floor": np.isinf(model.thresholds[:, 1]).any(),
        "DVS input": isinstance(model.input, floatnet.DvsEntry),
    }.items():
        if present:
            event(what)
    spikes, _, out, _ = python
    event("spikes: " + ("none" if not spikes else "1-9" if spikes < 10 else "10+"))
    event("output layer spiked" if out else "output layer silent")


@needs_compiled
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_compiled_loop_is_the_python_loop_bit_for_bit_on_random_networks(data):
    """Random small specs (specstrategy: strides, padding, pooling chains, concat shifts, two
    destinations, dense layers, DVS input, both resets, floors or none, float or integer weights),
    any layer as the output, from zero or random starting states."""
    spec = data.draw(specs())
    network = lower(spec)[0]
    model = FloatNetwork(network, data.draw(st.sampled_from([layer.name for layer in network.layers])))
    events = data.draw(events_for(spec, max_events=150))
    start = None
    if data.draw(st.booleans()):  # states mid-run: some just below or above a threshold, or under a floor
        scale = float(np.abs(model.thresholds[:, 0]).max())
        start = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1))).normal(0, scale, model.v.shape)
    _exercised(model, events, assert_same(model, events, start))


def every_feature_spec(reset: str, low):
    """Float weights; padding, strides 1 and 2, a pooled route to two destinations, a concat with a
    feature shift, a dense layer, and a layer whose events are dropped past its destination."""
    rng = np.random.default_rng(7)
    w = lambda *shape: rng.normal(0.3, 0.6, size=shape)  # noqa: E731
    layers = [
        conv("a", 4, 3, w(4, 1, 3, 3), padding=1, to=["b", "c"], pool=2, threshold=0.9, low=low, reset=reset),
        conv("b", 3, 3, w(3, 4, 3, 3), threshold=0.8, reset=reset, low=low),  # 4x4 -> 2x2
        conv("c", 2, 3, w(2, 4, 3, 3), stride=2, padding=1, threshold=0.7),  # 4x4 -> 2x2
        dense("d", 3, w(3, 5 * 2 * 2), threshold=1.1, reset=reset),
    ]
    layers[1]["to"] = [("d", 0)]
    layers[2]["to"] = [("d", 3)]
    return make_spec((1, 8, 8), layers)


@needs_compiled
@pytest.mark.parametrize("reset,low", [("subtract", None), ("zero", None), ("subtract", -0.5), ("zero", -1.25)])
@pytest.mark.parametrize("output", ["a", "d"])
def test_compiled_loop_is_the_python_loop_on_every_feature_at_once(reset, low, output):
    model = FloatNetwork(lower(every_feature_spec(reset, low))[0], output)
    rng = np.random.default_rng(11)
    n = 400
    events = spike_events(np.sort(rng.integers(0, 50, n)), np.zeros(n), rng.integers(0, 8, n), rng.integers(0, 8, n))
    spikes, synops, out, _ = assert_same(model, events)
    assert spikes > 200 and len(out) // 16 > 20 and synops > 10 * n  # both loops really ran the network


@needs_compiled
def test_features_shifted_past_the_destination_are_dropped_by_both():
    """No valid spec routes a feature past its destination's channels, but the C loop's memory
    safety depends on dropping it (U04): shift layer c's features 3 -> 4, so its feature 1 lands on
    channel 5 of d's 5."""
    model = FloatNetwork(lower(every_feature_spec("subtract", None))[0], "d")
    model.routes[2, 0, 2] = 4
    rng = np.random.default_rng(12)
    events = spike_events(np.arange(300), np.zeros(300), rng.integers(0, 8, 300), rng.integers(0, 8, 300))
    shifted = assert_same(model, events)
    model.routes[2, 0, 2] = 3
    assert shifted[:3] != assert_same(model, events)[:3]  # the change reached the output


@needs_compiled
def test_compiled_loop_is_the_python_loop_on_dvs_input():
    rng = np.random.default_rng(3)
    dvs = DvsInput("host", XY(16, 16), "both", XY(2, 2), XY(1, 0), XY(6, 7), XY(1, 0), True, False, (Edge("a"),))
    spec = make_spec(None, [conv("a", 3, 3, rng.normal(0.2, 0.5, size=(3, 2, 3, 3)), threshold=0.6, low=-0.3, to=["b"]),
                            dense("b", 2, rng.normal(0.2, 0.5, size=(2, 3 * 4 * 6)), threshold=0.5, reset="zero")], dvs=dvs)
    events = dvs_events(rng.integers(0, 16, 600), rng.integers(0, 16, 600), np.arange(600), rng.integers(0, 2, 600))
    model = FloatNetwork(lower(spec)[0], "b")
    spikes, _, out, _ = assert_same(model, events)
    assert spikes > 50 and out


@needs_compiled
def test_output_grows_past_the_first_buffer_in_order():
    """One 1x1 layer of 40 features that all fire on every event: 20,000 output pairs."""
    spec = make_spec((3, 2, 2), [conv("a", 40, 1, np.ones((40, 3, 1, 1)), threshold=1.0)])
    model = FloatNetwork(lower(spec)[0], "a")
    events = spike_events(np.arange(500), np.arange(500) % 3, np.arange(500) % 2, np.zeros(500))
    _, _, out, _ = assert_same(model, events)
    pairs = np.frombuffer(out, np.int64).reshape(-1, 2)
    np.testing.assert_array_equal(pairs, np.stack([np.repeat(np.arange(500), 40), np.tile(np.arange(40), 500)], axis=1))


# ---------------------------------------------------------------- what the C code refuses


@needs_compiled
def test_compiled_loop_refuses_what_would_read_or_write_out_of_bounds():
    """It checks its arguments once per call and never checks inside the loop: each of these would
    otherwise read or write outside an array, or loop forever."""
    model = FloatNetwork(lower(every_feature_spec("subtract", None))[0], "d")
    events = spike_events([0, 1], [0, 0], [3, 7], [2, 7])
    floatnet.compiled_run(*loop_args(model, events).values())  # as FloatNetwork.run calls it: fine
    routes = lambda layer, slot, route: _with(model.routes, (layer, slot), route)  # noqa: E731
    geometry = lambda layer, column, value: _with(model.geometry, (layer, floatnet.COLUMNS.index(column)), value)  # noqa: E731
    c, x, y, _ = model._entering(events, "")
    bad = {
        (ValueError, "array sizes disagree"): [dict(in_x=x[:1]), dict(thresholds=model.thresholds[:-1])],
        (ValueError, "a layer's sizes do not match"): [
            dict(weights=model.weights[:-1]), dict(v=np.zeros(len(model.v) - 1)), dict(geometry=geometry(1, "k", 0)),
            dict(geometry=geometry(0, "w_off", -1)), dict(geometry=geometry(2, "f", 1 << 40)),
        ],
        (ValueError, "a route does not go to a later layer"): [
            dict(routes=routes(1, 1, (1, 1, 0))), dict(routes=routes(3, 0, (0, 1, 0))), dict(routes=routes(0, 0, (1, 0, 0))),
            dict(routes=routes(0, 1, (9, 1, 0))), dict(routes=routes(0, 1, (2, 1, -1))),
        ],
        (ValueError, "an input layer is not a layer"): [dict(targets=np.array([4])), dict(targets=np.array([-1]))],
        (ValueError, "an input event lies outside"): [dict(in_x=np.array([0, 8])), dict(in_y=np.array([-1, 0])), dict(in_c=c + 1)],
        (TypeError, "weights must be a contiguous float64 array"): [dict(weights=model.weights.astype(np.float32))],
        (TypeError, "in_c must be a contiguous int64 array"): [dict(in_c=c.astype(np.int32))],
        (ValueError, "read-only"): [dict(v=_read_only(model.v))],
        (ValueError, "not C-contiguous"): [dict(in_y=np.repeat(y, 2)[::2])],
    }
    for (error, message), changes in bad.items():
        for change in changes:
            with pytest.raises(error, match=message):
                floatnet.compiled_run(*loop_args(model, events, **change).values())


def _with(table, at, value):
    changed = table.copy()
    changed[at] = value
    return changed


def _read_only(v):
    frozen = np.zeros_like(v)
    frozen.flags.writeable = False
    return frozen
