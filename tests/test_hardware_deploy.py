"""Deploying and running on a board (the samna double, whose chip is dynapspec.sim): spikes in and
out, monitoring, the timing sequence, live mode, and every failure leaving the board closed."""
import dataclasses
import re

import numpy as np
import pytest

import dynapspec.hardware as hw
from dynapspec.errors import DeviceError, SpecError
from dynapspec.sim import Simulator

from hardware_support import branchy, dvs, dvs_net, lenet, skip_merge, small, spikes

FAST = dict(quiet_s=0.02, settle_s=0)
NETS = {"small": small, "branchy": branchy, "lenet": lenet, "skip_merge": skip_merge}


def same(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal as multisets: a board does not promise an order."""
    order = list(a.dtype.names)
    return len(a) == len(b) and np.array_equal(np.sort(a, order=order), np.sort(b, order=order))


def plain(a: np.ndarray) -> np.ndarray:
    """Without timestamps (events sent with ``send`` while the stop watch is off carry t=0)."""
    out = a.copy()
    out["t"] = 0
    return out


def attach(samna, kind="Speck2fDevKit"):
    return samna._double.attach(kind)


def closed_once(samna) -> bool:
    state = samna._double.state
    return state.opened == {} and len(state.closed) == 1


@pytest.mark.parametrize("name", sorted(NETS))
def test_deploy_returns_what_the_simulator_computes(samna, name):
    config = NETS[name]()
    attach(samna)
    events = spikes(config, n=400)
    result = hw.deploy(config, "speck2fdevkit:0", events, monitor="all", **FAST)
    expected = Simulator(config).run(events, monitor="all")
    assert len(result.output) > 0 and same(result.output, expected.output)
    assert set(result.layers) == set(expected.layers)
    assert all(same(result.layers[n], expected.layers[n]) for n in result.layers)
    assert result.spike_counts == expected.spike_counts
    assert result.input_count == len(events) and result.device == "speck2fdevkit:0"
    assert closed_once(samna)


def test_without_a_monitor_choice_the_compiled_one_holds(samna):
    config = small()  # the compiler monitors the exit layer "out"
    attach(samna)
    events = spikes(config)
    result = hw.deploy(config, "speck2fdevkit", events, **FAST)
    assert set(result.layers) == {"out"} and set(result.spike_counts) == {"out"}
    assert same(result.output, Simulator(config).run(events).output)


def test_monitoring_a_pooling_layer_warns_and_reports_pre_pooling_spikes(samna, capsys):
    config = small()
    attach(samna)
    events = spikes(config)
    result = hw.deploy(config, "speck2fdevkit", events, monitor=["conv"], **FAST)
    assert set(result.layers) == {"conv"}
    assert same(result.output, Simulator(config).run(events, monitor=["conv"]).output)
    assert result.layers["conv"]["x"].max() >= 5  # conv's own 10x6 map, not the pooled 5x3
    assert "warning[monitor-pooled] conv:" in capsys.readouterr().err


def test_an_unknown_monitor_name_is_refused_and_the_board_closed(samna):
    attach(samna)
    with pytest.raises(SpecError) as info:
        hw.deploy(small(), "speck2fdevkit", spikes(small()), monitor=["conv", "nope"], **FAST)
    assert info.value.diagnostics[0].code == "unknown-layer" and "'nope'" in str(info.value)
    assert closed_once(samna)


def test_a_host_fed_dvs_network_monitored_in_full_keeps_the_sensor_out(samna, capsys):
    """Defect 2: samna sets pass_sensor_events when a DVS monitor flag is set; written before the
    flags, it ended up on and the on-die sensor's events joined the host's."""
    config = dvs_net()
    attach(samna)
    samna._double.state.sensor = dvs(3000, seed=9, t_step=10)  # the camera sees something
    events = dvs(600)
    result = hw.deploy(config, "speck2fdevkit", events, monitor="all", **FAST)
    expected = Simulator(config).run(events, monitor="all")
    assert "dvs" in result.layers and len(result.layers["dvs"]) > 0
    assert same(result.output, expected.output)
    model = samna._double.state.closed[0].model
    assert model.chip_config.dvs_layer.monitor_enable and not model.chip_config.dvs_layer.pass_sensor_events
    assert len(samna._double.state.sensor) == 3000 and "warning" not in capsys.readouterr().err


def test_the_board_api_mirrors_the_simulator(samna):
    config = branchy()
    attach(samna)
    events = spikes(config, n=200)
    sim = Simulator(config)
    first, second = sim.run(events), sim.run(events)
    with hw.open("speck2fdevkit", settle_s=0) as board:
        board.apply(config)
        assert same(board.run(events, quiet_s=0.01).output, first.output)
        assert same(board.run(events, quiet_s=0.01).output, second.output)  # states carry over
        board.reset_states()
        assert same(board.run(events, quiet_s=0.01).output, first.output)
        assert board.send(events) == len(events)
        read = board.read()
        assert same(plain(read.output), plain(second.output)) and read.input_count == len(events)
        assert len(board.read().output) == 0  # read drains
    assert closed_once(samna)


def test_monitor_after_apply_reapplies_with_the_new_choice(samna):
    config = small()
    attach(samna)
    with hw.open("speck2fdevkit", settle_s=0) as board:
        board.apply(config)
        model = samna._double.state.opened[board._handle.info.key()].model
        assert model.applied == 1 and model.chip_config.cnn_layers[config.core_of("conv")].monitor_enable is False
        board.monitor("all")
        assert model.applied == 2 and model.chip_config.cnn_layers[config.core_of("conv")].monitor_enable is True
        result = board.run(spikes(config), monitor=["out"], quiet_s=0.01)
        assert model.applied == 3 and set(result.layers) == {"out"}


def test_timestamps_come_from_a_stop_watch_reset_and_started_for_the_run(samna):
    config = small()
    attach(samna)
    events = spikes(config, n=50, t_step=2000)  # last input at 98 ms
    with hw.open("speck2fdevkit", settle_s=0) as board:
        board.apply(config)
        watch = board._handle.get_stop_watch()
        result = board.run(events, monitor="all", quiet_s=0.01)
        assert watch.resets >= 1 and not watch.running
        assert result.duration_s >= 0.098  # waited until the last input timestamp
        assert set(result.output["t"]) <= set(events["t"].tolist()) and result.output["t"].max() > 0


def test_polling_continues_until_the_chip_is_quiet(samna):
    config = small()
    attach(samna)
    samna._double.state.trickle = 7  # the host receives the answer in small bites
    events = spikes(config)
    result = hw.deploy(config, "speck2fdevkit", events, monitor="all", **FAST)
    assert len(result.output) > 50 and same(result.output, Simulator(config).run(events, monitor="all").output)


def test_a_duration_bounds_the_recording(samna, fake_clock):
    attach(samna)
    result = hw.deploy(small(), "speck2fdevkit", spikes(small(), n=20), duration_s=0.25, **FAST)
    assert 0.25 <= result.duration_s < 0.25 + FAST["quiet_s"]  # stops at the first poll past the duration


def test_the_slow_clock_runs_only_when_a_core_leaks(samna):
    config = small()
    attach(samna)
    n = config.core_of("out")
    leaky = tuple(dataclasses.replace(c, leak_enable=True) if i == n else c for i, c in enumerate(config.chip.cnn_layers))
    leaking = dataclasses.replace(config, chip=dataclasses.replace(config.chip, cnn_layers=leaky))
    with hw.open("speck2fdevkit", settle_s=0) as board:
        board.apply(config)
        assert board._handle.get_io_module().slow_clk is False
        board.apply(leaking)
        io = board._handle.get_io_module()
        assert io.slow_clk is True and io.slow_clk_rate == 20 and type(io.slow_clk_rate) is int


def test_dynapcnn_time_stamper_is_its_io_register(samna):
    samna._double.reset("0.45.0")
    attach(samna, "DynapcnnDevKit")
    config = small("dynapcnndevkit")
    events = spikes(config)
    result = hw.deploy(config, "dynapcnndevkit", events, monitor="all", **FAST)
    assert same(result.output, Simulator(config).run(events, monitor="all").output)
    assert samna._double.state.closed[0].io.registers == {3: 0}  # started (0 then 1), stopped (0)


# ---------------------------------------------------------------- failures


def test_a_config_for_another_chip_is_refused_before_opening(samna):
    attach(samna)
    with pytest.raises(DeviceError) as info:
        hw.deploy(small("speck2edevkit"), "speck2fdevkit", spikes(small()), **FAST)
    assert info.value.diagnostics[0].code == "target-mismatch" and info.value.exit_status == 3
    assert "compile for it with `dynapspec compile <spec> --target speck2fdevkit" in str(info.value)
    assert samna._double.state.closed == [] and samna._double.state.opened == {}


def test_a_config_samna_rejects_leaves_the_board_closed(samna):
    config = small()
    n = config.core_of("conv")
    dest = dataclasses.replace(config.chip.cnn_layers[n].destinations[0], feature_shift=2)  # features 2..4 of 3
    core = dataclasses.replace(config.chip.cnn_layers[n], destinations=(dest, config.chip.cnn_layers[n].destinations[1]))
    cores = tuple(core if i == n else c for i, c in enumerate(config.chip.cnn_layers))
    bad = dataclasses.replace(config, chip=dataclasses.replace(config.chip, cnn_layers=cores))
    attach(samna)
    with pytest.raises(DeviceError) as info:
        hw.deploy(bad, "speck2fdevkit", spikes(config), **FAST)
    assert info.value.diagnostics[0].code == "device-rejected" and "outside layer" in str(info.value)
    assert closed_once(samna)


def test_apply_failing_inside_samna_is_a_rejection_too(samna, monkeypatch):
    config = small()
    n = config.core_of("conv")
    core = dataclasses.replace(config.chip.cnn_layers[n], threshold_low=0)  # the double's apply refuses it
    cores = tuple(core if i == n else c for i, c in enumerate(config.chip.cnn_layers))
    bad = dataclasses.replace(config, chip=dataclasses.replace(config.chip, cnn_layers=cores))
    monkeypatch.setattr(samna.speck2f, "validate_configuration", lambda cfg: (True, ""))  # a lenient validator
    attach(samna)
    with pytest.raises(DeviceError) as info:
        hw.deploy(bad, "speck2fdevkit", spikes(config), **FAST)
    assert info.value.diagnostics[0].code == "device-rejected" and "threshold_low 0 > -1" in str(info.value)
    assert closed_once(samna)


def test_a_board_unplugged_before_the_run_is_lost_and_closed(samna):
    config = small()
    info = attach(samna)
    board = hw.open("speck2fdevkit", settle_s=0)
    board.apply(config)
    samna._double.unplug(info)
    with pytest.raises(DeviceError) as err:
        board.run(spikes(config), quiet_s=0.01)
    assert err.value.diagnostics[0].code == "device-lost" and err.value.exit_status == 3
    assert "is the board still plugged in?" in str(err.value)
    assert board.closed and closed_once(samna)


def test_a_board_unplugged_mid_run_is_lost_and_closed(samna):
    attach(samna)
    samna._double.state.unplug_after_polls = 2
    with pytest.raises(DeviceError) as info:
        hw.deploy(small(), "speck2fdevkit", spikes(small()), **FAST)
    assert info.value.diagnostics[0].code == "device-lost"
    assert closed_once(samna)


def test_ctrl_c_mid_run_closes_the_board_and_propagates(samna):
    attach(samna)
    samna._double.state.interrupt_after_polls = 2
    with pytest.raises(KeyboardInterrupt):
        hw.deploy(small(), "speck2fdevkit", spikes(small()), **FAST)
    assert closed_once(samna)


def test_ctrl_c_in_a_with_block_closes_the_board(samna):
    attach(samna)
    samna._double.state.interrupt_after_polls = 1
    with pytest.raises(KeyboardInterrupt):
        with hw.open("speck2fdevkit", settle_s=0) as board:
            board.apply(small())
            board.run(spikes(small()), quiet_s=0.01)
    assert board.closed and closed_once(samna)


def test_events_outside_the_input_are_refused_before_sending(samna):
    config = small()
    attach(samna)
    bad = spikes(config)
    bad["x"][5] = 12  # input is 12 wide: x in 0..11
    with pytest.raises(SpecError) as info:
        hw.deploy(config, "speck2fdevkit", bad, **FAST)
    assert info.value.diagnostics[0].code == "events-range"
    assert closed_once(samna)


# ---------------------------------------------------------------- the sensor


def test_live_shows_counts_per_feature_and_stops_at_the_duration(samna, capsys, fake_clock):
    from dynapspec.cli.outcome import live_line

    config = dvs_net(source="sensor")
    attach(samna)
    samna._double.state.sensor = dvs(3000, seed=3, t_step=10)
    features = {"dvs": 2, "c1": 4, "c2": 3}  # dvs_net: two polarities, then 4 and 3 features
    result = hw.deploy(config, "speck2fdevkit", None, monitor="all", duration_s=0.3, live=True, settle_s=0,
                       on_interval=lambda elapsed, counts: print(live_line(elapsed, counts, features)))
    lines = capsys.readouterr().out.splitlines()
    assert lines and all(re.search(r"c1: 0:\d+ 1:\d+ 2:\d+ 3:\d+  c2: 0:\d+ 1:\d+ 2:\d+$", line) for line in lines)
    assert len(result.layers["c2"]) > 0 and 0.3 <= result.duration_s < 0.3 + 0.5  # the first 0.5 s line past it
    assert closed_once(samna)


def test_live_ends_normally_at_ctrl_c(samna):
    config = dvs_net(source="host")  # live switches the sensor on
    attach(samna)
    samna._double.state.sensor = dvs(3000, seed=3, t_step=10)
    samna._double.state.interrupt_after_polls = 3
    intervals = []
    with hw.open("speck2fdevkit", settle_s=0) as board:
        board.apply(config)
        result = board.live(interval_s=0.01, on_interval=lambda elapsed, counts: intervals.append((elapsed, counts)))
        model = samna._double.state.opened[board._handle.info.key()].model
        assert model.chip_config.dvs_layer.pass_sensor_events is True
    assert result.input_count == 0 and len(result.output) > 0
    assert closed_once(samna)
    # the intervals' counts add up to what was recorded, per monitored layer and feature
    assert intervals and all(b[0] > a[0] for a, b in zip(intervals, intervals[1:]))
    added: dict = {}
    for _, counts in intervals:
        assert set(counts) == set(result.layers)
        for layer, per_feature in counts.items():
            for feature, n in per_feature.items():
                added[(layer, feature)] = added.get((layer, feature), 0) + n
    recorded: dict = {}
    for layer, recorded_spikes in result.layers.items():
        for feature in recorded_spikes["c"].tolist():
            recorded[(layer, feature)] = recorded.get((layer, feature), 0) + 1
    assert added == recorded and sum(added.values()) == len(result.output)


def test_live_needs_dvs_input(samna):
    attach(samna)
    with pytest.raises(SpecError) as info:
        hw.deploy(small(), "speck2fdevkit", None, live=True, settle_s=0)
    assert info.value.diagnostics[0].code == "live-input" and info.value.exit_status == 1
    assert closed_once(samna)


def test_a_chip_that_never_goes_quiet_is_cut_off_with_a_warning(samna, fake_clock):
    config = dvs_net(source="sensor")
    attach(samna)
    samna._double.state.sensor = dvs(100000, seed=4, t_step=1)
    samna._double.state.sensor_chunk = 20
    with hw.open("speck2fdevkit", settle_s=0) as board:
        board.apply(config)
        result = board.run(dvs(10), monitor="all", quiet_s=0.05, timeout_s=0.2)
        assert [w.code for w in board.warnings] == ["run-not-quiet"]
    played = (hw.board.lead_us(10) + 9 * 50) / 1e6  # the board's time of the last input event (dvs(10): 50 us apart)
    assert played + 0.2 < result.duration_s <= played + 0.2 + 0.05  # cut off at the first poll past the timeout


def test_a_sensor_run_without_duration_records_one_second(samna, monkeypatch, fake_clock):
    import dynapspec.hardware.board as board_module

    monkeypatch.setattr(board_module, "SENSOR_RUN_S", 0.1)
    attach(samna)
    result = hw.deploy(dvs_net(source="sensor"), "speck2fdevkit", None, **FAST)
    assert 0.1 <= result.duration_s < 0.1 + FAST["quiet_s"]


def test_timestamps_beyond_32_bits_are_refused(samna):
    """U18: the board's time stamper is assumed 32-bit; runs stay under 2^32 us."""
    config = small()
    attach(samna)
    late = spikes(config, n=3)
    late["t"][-1] = 2**32
    with pytest.raises(SpecError) as info:
        hw.deploy(config, "speck2fdevkit", late, **FAST)
    assert info.value.diagnostics[0].code == "events-range" and "U18" in str(info.value)


def test_the_board_settles_one_second_after_applying_by_default(samna, fake_clock):
    """U15: the reference sleeps 1 s after apply_configuration; dynapspec makes it configurable, default 1 s."""
    attach(samna)
    with hw.open("speck2fdevkit") as board:
        board.apply(small())
    assert fake_clock.slept == [1.0]


def test_neuron_states_are_read_back_like_the_simulator_reports_them(samna):
    """U17: ReadNeuronValue addresses use the datasheet layout; non-square maps (10x6) catch x/y slips."""
    config = small()
    attach(samna)
    events = spikes(config)
    expected = Simulator(config).run(events, record_states=True).states
    with hw.open("speck2fdevkit", settle_s=0) as board:
        board.apply(config)
        assert all(np.array_equal(v, config.chip.cnn_layers[config.core_of(k)].neurons_initial_value)
                   for k, v in board.states().items())
        result = board.run(events, quiet_s=0.01, record_states=True)
    assert set(result.states) == set(expected) == {"conv", "out"}
    assert result.states["conv"].shape == (3, 10, 6)
    assert all(np.array_equal(result.states[k], expected[k]) for k in expected)
    assert np.any(expected["conv"] != 0)


def test_a_host_input_network_without_events_or_duration_is_refused(samna):
    attach(samna)
    with pytest.raises(SpecError) as info:
        hw.deploy(small(), "speck2fdevkit", None, **FAST)
    assert info.value.diagnostics[0].code == "events-format" and "--input" in str(info.value)
    assert closed_once(samna)
    result = hw.deploy(small(), "speck2fdevkit", None, duration_s=0.05, **FAST)
    assert result.input_count == 0 and len(result.output) == 0

