"""The fast simulator against the slow reference (tests/simnet.py) on random small networks."""
from unittest.mock import patch

import numpy as np
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import simnet
from dynapspec.config import Mirror
from dynapspec.events import dvs_events, spike_events
from dynapspec.sim import Simulator, kernel, simulator

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def core_params(draw, channels=None, input_xy=None, wide=False):
    """``wide``: 14-40 features and kernels up to 5, so that runs reach the 16-neuron vectors."""
    c = channels or draw(st.integers(1, 3))
    w, h = input_xy or (draw(st.integers(1, 6)), draw(st.integers(1, 6)))
    k = draw(st.integers(1, 5 if wide else 3))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    if w + 2 * padding[0] < k or h + 2 * padding[1] < k:
        padding = (k, k)
    stride = (draw(st.sampled_from([1, 1, 2, 4])), draw(st.sampled_from([1, 1, 2])))
    f = draw(st.integers(14, 40) if wide else st.integers(1, 3))
    big = draw(st.booleans())
    weights = draw(st.lists(st.integers(-128, 127) if big else st.integers(-4, 8), min_size=f * c * k * k,
                            max_size=f * c * k * k))
    th_high = draw(st.sampled_from([1, 1, 2, 2, 3, 5, 9, 100, 32767]))
    th_low = draw(st.sampled_from([-1, -3, -10, -32768]))
    out = tuple((dim + 2 * pad - k) // s + 1 for dim, pad, s in zip((w, h), padding, stride))
    init = draw(st.sampled_from(["zero", "random", "high"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    initial = {"zero": np.zeros((f,) + out, dtype=np.int64),
               "random": rng.integers(-40, 40, (f,) + out),
               "high": rng.integers(32700, 32768, (f,) + out)}[init]
    return dict(weights=np.array(weights).reshape(f, c, k, k), input_xy=(w, h), stride=stride, padding=padding,
                threshold_high=th_high, threshold_low=th_low, return_to_zero=draw(st.booleans()), initial=initial)


@st.composite
def networks(draw, dvs=False, wide=False):
    n = draw(st.integers(1, 4))
    params = []
    for i in range(n):
        if i == 1 and draw(st.booleans()):  # second input core with the same input
            p = draw(core_params(channels=params[0]["weights"].shape[1], input_xy=params[0]["input_xy"], wide=wide))
        else:
            p = draw(core_params(wide=wide))
        params.append(p)
    cores = {}
    for i, p in enumerate(params):
        later = list(range(i + 1, n))
        dests = []
        for _ in range(draw(st.integers(0, min(2, len(later))))):
            dests.append((draw(st.sampled_from(later)), draw(st.sampled_from([1, 2, 4])), draw(st.integers(0, 2))))
        kill = {}
        if draw(st.integers(0, 5)) == 0:  # DYNAP-CNN kill bits now and then
            rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
            kill = dict(weights_kill_bit=rng.integers(0, 2, p["weights"].shape),
                        neurons_value_kill_bit=rng.integers(0, 2, p["initial"].shape))
        cores[i] = simnet.core(to=dests, monitor=draw(st.booleans()), **p, **kill)
    if not dvs:
        inputs = (0, 1) if n > 1 and params[1]["input_xy"] == params[0]["input_xy"] \
            and params[1]["weights"].shape[1] == params[0]["weights"].shape[1] and draw(st.booleans()) else (0,)
        return simnet.config(cores, input_cores=inputs)
    # a DVS layer whose output fits core 0's input
    c = params[0]["weights"].shape[1]
    w, h = params[0]["input_xy"]
    if c > 2:
        return draw(networks(dvs=True, wide=wide))
    diagonal = draw(st.booleans())
    roi_w, roi_h = (h, w) if diagonal else (w, h)
    pool = simnet.Vec2(draw(st.sampled_from([1, 2, 4])), draw(st.sampled_from([1, 2, 4])))
    origin = simnet.Vec2(draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    on, off = (draw(st.booleans()), draw(st.booleans())) if c == 1 else (True, True)
    layer = simnet.dvs_layer(
        to=(0,), pooling=pool, origin=origin, cut=simnet.Vec2(origin.x + roi_w - 1, origin.y + roi_h - 1),
        merge=c == 1, on_channel=on, off_channel=off, mirror=Mirror(draw(st.booleans()), draw(st.booleans())),
        mirror_diagonal=diagonal, monitor_enable=draw(st.booleans()),
    )
    return simnet.config(cores, dvs=layer, input_shape=(2, pool.y * (origin.y + roi_h) + 1, pool.x * (origin.x + roi_w) + 1))


def random_events(data, cfg, count):
    c, h, w = cfg.header.input.shape
    seed = data.draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    t = np.sort(rng.integers(0, 50, count))
    if cfg.header.input.kind == "dvs":
        return dvs_events(rng.integers(0, w, count), rng.integers(0, h, count), t, rng.integers(0, 2, count))
    return spike_events(t, rng.integers(0, c, count), rng.integers(0, w, count), rng.integers(0, h, count))


def check_against_reference(cfg, events, **run_options):
    """Both kernels against the reference, and against each other for every monitor choice."""
    monitored = {n for n, core in enumerate(cfg.chip.cnn_layers) if core.weights.size and core.monitor_enable}
    ref = simnet.Reference(cfg)
    out, counts = ref.run(events, monitored, monitor_dvs=cfg.chip.dvs_layer.monitor_enable)
    outputs = {}
    for name in simnet.KERNELS if kernel.COMPILED else ("python",):
        with simnet.using_kernel(name):
            sim = Simulator(cfg)
            result = sim.run(events, record_states=True, **run_options)
            sim.reset()
            outputs[name] = [simnet.rows(sim.run(events, monitor="all", **run_options))]
            sim.reset()
            outputs[name].append(simnet.rows(sim.run(events, monitor=list(sim.names.values())[::2], **run_options)))
        assert simnet.rows(result) == out, name
        for n, layer in sim.names.items():
            assert result.spike_counts[layer] == counts[n], name
            np.testing.assert_array_equal(result.states[layer], np.array(ref.v[n]), err_msg=name)
        if cfg.header.input.kind == "dvs":
            assert result.spike_counts["dvs"] == counts.get("dvs", 0)
    assert all(runs == outputs["python"] for runs in outputs.values())
    deepest = max((n for n in sim.names if counts[n]), default=-1)
    event(f"deepest spiking core {deepest}; {'some' if out else 'no'} monitored output")
    return sim, result


@SETTINGS
@given(networks(), st.data())
def test_matches_reference_spike_input(cfg, data):
    check_against_reference(cfg, random_events(data, cfg, data.draw(st.integers(0, 120))))


@SETTINGS
@given(networks(dvs=True), st.data())
def test_matches_reference_dvs_input(cfg, data):
    check_against_reference(cfg, random_events(data, cfg, data.draw(st.integers(0, 120))))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks(wide=True), st.data())
def test_matches_reference_on_cores_wide_enough_for_vectors(cfg, data):
    """Runs of 16 neurons and more: the compiled vector loop and its tails, and its two ways of
    listing fired words, chosen per core by how often its neurons fire."""
    check_against_reference(cfg, random_events(data, cfg, data.draw(st.integers(0, 120))))


@settings(max_examples=30, deadline=None)
@given(networks(), st.data())
def test_runs_continue_and_reset_restores(cfg, data):
    events = random_events(data, cfg, 30)
    sim = Simulator(cfg)
    whole = sim.run(events, monitor="all", record_states=True)
    sim.reset()
    first = sim.run(events[:13], monitor="all")
    second = sim.run(events[13:], monitor="all", record_states=True)
    assert simnet.rows(first) + simnet.rows(second) == simnet.rows(whole)
    for name in whole.states:
        np.testing.assert_array_equal(second.states[name], whole.states[name])
    sim.reset()
    again = sim.run(events, monitor="all")
    assert simnet.rows(again) == simnet.rows(whole)  # deterministic


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks(), st.data())
def test_chunk_boundaries_change_nothing(cfg, data):
    """Inputs are played in chunks of CHUNK events; a spike train cut anywhere gives the same run."""
    events = random_events(data, cfg, data.draw(st.integers(1, 60)))
    with patch.object(simulator, "CHUNK", data.draw(st.integers(1, 7))):
        check_against_reference(cfg, events)
