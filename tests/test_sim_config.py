"""What the simulator accepts from a Config, its API (monitors, states, reset), and lenet end to end."""
import dataclasses
from pathlib import Path

import numpy as np
import pytest

import simnet
from simnet import each_kernel  # noqa: F401 - a fixture: runs a test on both kernels
from dynapspec.config import Config, Destination
from dynapspec.errors import SpecError
from dynapspec.events import read_event_file, spike_events
from dynapspec.sim import Simulator

ROOT = Path(__file__).resolve().parent.parent



def w1x1(*values):
    return np.array(values, dtype=np.int64).reshape(len(values), 1, 1, 1)


def chain():
    return simnet.config({
        0: simnet.core(w1x1(1, 1), input_xy=(2, 2), to=[(1, 1, 0)], monitor=False),
        1: simnet.core(np.ones((1, 2, 1, 1), dtype=np.int64), input_xy=(2, 2), threshold_high=2),
    }, names={0: "a", 1: "b"})


def replace_core(cfg, n, **changes):
    cores = list(cfg.chip.cnn_layers)
    cores[n] = dataclasses.replace(cores[n], **changes)
    return dataclasses.replace(cfg, chip=dataclasses.replace(cfg.chip, cnn_layers=tuple(cores)))


def error_of(cfg):
    with pytest.raises(SpecError) as excinfo:
        Simulator(cfg)
    diag = excinfo.value.diagnostics[0]
    return diag.code, diag.location.path, diag.message


@pytest.mark.parametrize("field", ["leak_enable", "output_decimator_enable", "input_congestion_balancer_enable"])
def test_unmodelled_features_are_refused(field):
    code, path, message = error_of(replace_core(chain(), 1, **{field: True}))
    assert code == "sim-unsupported" and path == f"chip.cnn_layers[1].{field}"
    assert "does not model" in message


def test_bad_configs_are_refused_with_paths():
    cfg = chain()
    to_nowhere = (Destination(layer=4, enable=True), Destination())
    assert error_of(replace_core(cfg, 1, destinations=to_nowhere))[:2] == ("config-format", "chip.cnn_layers[1].destinations[0]")
    to_self = (Destination(layer=0, enable=True), Destination())
    code, _, message = error_of(replace_core(cfg, 1, destinations=to_self))
    assert code == "config-format" and "cycle (0 -> 1 -> 0)" in message
    assert error_of(replace_core(cfg, 0, weights=w1x1(1, 1, 1)))[1] == "chip.cnn_layers[0].weights"
    assert "[-128, 127]" in error_of(replace_core(cfg, 0, weights=w1x1(1, 300)))[2]
    assert "threshold" in error_of(replace_core(cfg, 1, threshold_high=40000))[2]
    dims = cfg.chip.cnn_layers[0].dimensions
    bad_dims = dataclasses.replace(dims, padding=dataclasses.replace(dims.padding, x=1))
    assert "output size x is 2" in error_of(replace_core(cfg, 0, dimensions=bad_dims))[2]
    wrong_input = dataclasses.replace(cfg.header, input=dataclasses.replace(cfg.header.input, shape=(1, 3, 3)))
    assert "into core 0" in error_of(dataclasses.replace(cfg, header=wrong_input))[2]


def test_dvs_output_must_match_its_destination():
    dvs = simnet.dvs_layer(to=(0,), cut=simnet.Vec2(3, 3))  # 4x4, two channels
    cfg = simnet.config({0: simnet.core(np.ones((1, 2, 1, 1), dtype=np.int64), input_xy=(2, 2))}, dvs=dvs)
    code, path, message = error_of(cfg)
    assert code == "config-format" and path == "chip.dvs_layer.destinations[0]" and "(2, 4, 4)" in message


@pytest.mark.usefixtures("each_kernel")
def test_monitor_choices():
    sim = Simulator(chain())
    events = spike_events([0], [0], [1], [1])
    assert list(sim.run(events).layers) == ["b"]  # as configured: only b has monitor_enable
    sim.reset()
    everything = sim.run(events, monitor="all")
    assert list(everything.layers) == ["a", "b"]
    assert simnet.rows(everything) == [(0, 0, 0, 1, 1), (0, 0, 1, 1, 1), (0, 1, 0, 1, 1)]  # b fires on the 2nd
    sim.reset()
    assert list(sim.run(events, monitor=["a"]).layers) == ["a"]
    assert sim.run(events, monitor=[]).output.size == 0
    with pytest.raises(SpecError) as excinfo:
        sim.run(events, monitor=["a", "dvs"])  # no DVS layer on a spike input
    assert excinfo.value.diagnostics[0].code == "unknown-layer" and "'dvs'" in str(excinfo.value)


@pytest.mark.usefixtures("each_kernel")
def test_counts_cover_unmonitored_layers_and_readout_is_not_simulated():
    cfg = replace_core(chain(), 1, destinations=(Destination(layer=12, enable=True), Destination()))
    result = Simulator(cfg).run(spike_events([0, 1], [0, 0], [0, 1], [0, 1]))
    assert result.spike_counts == {"a": 4, "b": 2}
    assert result.layers["b"]["t"].tolist() == [0, 1]


@pytest.mark.usefixtures("each_kernel")
def test_run_checks_events_against_the_input():
    sim = Simulator(chain())
    with pytest.raises(SpecError) as excinfo:
        sim.run(spike_events([0], [1], [0], [0]))  # channel 1 of a 1-channel input
    assert excinfo.value.diagnostics[0].code == "events-range"
    with pytest.raises(SpecError) as excinfo:
        sim.run(spike_events([3, 2], [0, 0], [0, 0], [0, 0]))
    assert excinfo.value.diagnostics[0].code == "events-order"


@pytest.mark.usefixtures("each_kernel")
def test_reset_restores_initial_values_and_states_are_samna_layout():
    initial = np.arange(6).reshape(1, 3, 2)  # [f][x][y]: width 3, height 2
    cfg = simnet.config({0: simnet.core(w1x1(1), input_xy=(3, 2), threshold_high=100, initial=initial)})
    sim = Simulator(cfg)
    np.testing.assert_array_equal(sim.states()["L0"], initial)
    sim.run(spike_events([0], [0], [2], [0]))
    assert sim.states()["L0"][0, 2, 0] == initial[0, 2, 0] + 1
    sim.reset()
    np.testing.assert_array_equal(sim.states()["L0"], initial)
    assert sim.states()["L0"].dtype == np.int16


@pytest.mark.usefixtures("each_kernel")
def test_empty_input():
    result = Simulator(chain()).run(spike_events([], [], [], []), record_states=True)
    assert result.output.size == 0 and result.input_count == 0 and result.spike_counts == {"a": 0, "b": 0}


@pytest.mark.usefixtures("each_kernel")
def test_json_round_trip_simulates_the_same():
    cfg = chain()
    events = spike_events([0, 1, 2], [0, 0, 0], [0, 1, 1], [1, 1, 0])
    again = Config.from_json(cfg.to_json())
    assert simnet.rows(Simulator(cfg).run(events, "all")) == simnet.rows(Simulator(again).run(events, "all"))


def test_compiled_lenet_matches_reference_on_its_example_input():
    import dynapspec

    cfg = dynapspec.compile(ROOT / "examples/lenet/net.yaml")
    events = read_event_file(ROOT / "examples/lenet/input.h5").input[:1000]
    ref = simnet.Reference(cfg)
    out, counts = ref.run(events, {record.core for record in cfg.header.layers})
    for engine in simnet.KERNELS:
        with simnet.using_kernel(engine):
            sim = Simulator(cfg)
            result = sim.run(events, monitor="all", record_states=True)
        assert simnet.rows(result) == out, engine
        assert result.spike_counts["conv3"] > 0  # three layers deep
        for n, name in sim.names.items():
            assert result.spike_counts[name] == counts[n]
            np.testing.assert_array_equal(result.states[name], np.array(ref.v[n]))


@pytest.mark.usefixtures("each_kernel")
def test_compiled_dvs_spec_matches_reference(tmp_path):
    import h5py

    import dynapspec
    from dynapspec.events import dvs_events

    (tmp_path / "net.yaml").write_text(
        "dynapspec: 1\nname: dvsnet\ntarget: speck2fdevkit\nweights: net.h5\n"
        "input:\n  dvs:\n    source: host\n    size: 32\n    polarity: merge\n    pool: 2\n"
        "    crop: {origin: {x: 2, y: 0}, cut: {x: 13, y: 9}}\n    mirror: {x: true, y: false}\n    monitor: true\n"
        "layers:\n  - name: conv1\n    conv: {channels: 4, kernel: 3, padding: 1}\n    monitor: true\n"
    )
    with h5py.File(tmp_path / "net.h5", "w") as f:
        f["conv1/weight"] = np.random.default_rng(1).normal(0.3, 0.5, (4, 1, 3, 3))
    cfg = dynapspec.compile(tmp_path / "net.yaml")
    rng = np.random.default_rng(2)
    events = dvs_events(rng.integers(0, 32, 400), rng.integers(0, 32, 400), np.arange(400), rng.integers(0, 2, 400))
    result = Simulator(cfg).run(events)
    out, counts = simnet.Reference(cfg).run(events, {cfg.core_of("conv1")}, monitor_dvs=True)
    assert simnet.rows(result) == out
    assert 0 < result.spike_counts["dvs"] < 400 and result.spike_counts["conv1"] > 0


@pytest.mark.usefixtures("each_kernel")
def test_host_spikes_into_a_concatenating_merge_fill_its_first_features():
    """A skip connection: the input feeds `a` and `cat`; `a` feeds `cat` too, behind the input (features 2..4)."""
    from specfactory import conv, make_spec, rand

    from dynapspec.compiler import compile_spec

    spec = make_spec((2, 8, 8), [
        conv("a", 3, 3, rand(3, 2, 3, 3, seed=1) + 0.2, padding=1, to=["cat"]),
        conv("cat", 4, 3, rand(4, 5, 3, 3, seed=2) + 0.2, padding=1),
    ], input_to=["a", "cat"])
    cfg = compile_spec(spec).config
    assert cfg.chip.cnn_layers[cfg.core_of("a")].destinations[0].feature_shift == 2
    rng = np.random.default_rng(3)
    events = spike_events(np.arange(300), rng.integers(0, 2, 300), rng.integers(0, 8, 300), rng.integers(0, 8, 300))
    result = Simulator(cfg).run(events, "all")
    out, _ = simnet.Reference(cfg).run(events, {cfg.core_of("a"), cfg.core_of("cat")})
    assert simnet.rows(result) == out and result.spike_counts["cat"] > 0


def test_input_wider_than_its_core_is_refused():
    cfg = simnet.config({0: simnet.core(np.ones((1, 1, 1, 1), dtype=np.int64), (4, 4))}, input_shape=(2, 4, 4))
    with pytest.raises(SpecError) as info:
        Simulator(cfg)
    assert "sends (C, H, W) = (2, 4, 4) into core 0, whose input is (1, 4, 4)" in str(info.value)
