"""The adapter against samna's documented API (issue 10), on the strict double.

Each test names the defect it guards; every one of them failed on the adapter before the fix.
The chip facts the expectations come from are pinned as tables taken from the public sources
(the Speck 2e/2f datasheet's neuron address layout, the readout word of sinabs' readout tutorial),
never from the code under test.
"""
import dataclasses

import numpy as np
import pytest

import dynapspec.hardware as hw
from dynapspec.errors import DeviceError, SpecError
import dynapspec.events as dse
from dynapspec import chips
from dynapspec.hardware import board, configure
from dynapspec.sim import Simulator

from hardware_support import (  # noqa: F401 - fixture
    channel_zero,
    class_two_net,
    dvs,
    dvs_net,
    readout_net,
    samna,
    small,
    spikes,
)

FAST = dict(quiet_s=0.02, settle_s=0)


def same(a, b) -> bool:
    order = list(a.dtype.names)
    return len(a) == len(b) and np.array_equal(np.sort(a, order=order), np.sort(b, order=order))


def closed_once(samna) -> bool:
    state = samna._double.state
    return state.opened == {} and len(state.closed) == 1


def with_dvs(config, **fields):
    dvs_layer = dataclasses.replace(config.chip.dvs_layer, **fields)
    return dataclasses.replace(config, chip=dataclasses.replace(config.chip, dvs_layer=dvs_layer))


# ---------------------------------------------------------------- 1. the slow clock


def test_a_readout_network_starts_the_slow_clock_with_an_int(samna):
    """set_slow_clk_rate(self, arg0: int): a float (the old 1.0) is refused by pybind11, which
    failed every readout or leaking configuration at apply."""
    samna._double.attach("Speck2fDevKit")
    config = readout_net()
    result = hw.deploy(config, "speck2fdevkit", spikes(config, n=50), **FAST)
    io = samna._double.state.closed[0].io
    assert io.slow_clk is True and io.slow_clk_rate == 20 and result.readout_pins is not None
    samna._double.attach("Speck2fDevKit")
    hw.deploy(config, "speck2fdevkit:1", spikes(config, n=50), slow_clock_hz=1000, **FAST)
    assert samna._double.state.closed[1].io.slow_clk_rate == 1000


def test_a_slow_clock_that_is_not_a_whole_number_of_hz_is_refused(samna):
    samna._double.attach("Speck2fDevKit")
    with pytest.raises(SpecError) as info:
        hw.open("speck2fdevkit", settle_s=0, slow_clock_hz=0)
    assert info.value.diagnostics[0].code == "slow-clock"


# ---------------------------------------------------------------- 2. sensor events (see test_hardware_deploy too)


def test_pass_sensor_events_is_written_after_the_monitor_flags(samna):
    """samna: the DVS monitor flags set pass_sensor_events; sinabs' nmnist_quick_start sets it last."""
    config = dvs_net()
    cfg = configure.to_samna(samna.speck2f, with_dvs(config, monitor_enable=True, raw_monitor_enable=True),
                             chips.profile("speck2fdevkit"))
    assert cfg.dvs_layer.monitor_enable and cfg.dvs_layer.raw_monitor_enable
    assert cfg.dvs_layer.pass_sensor_events is False


def test_a_samna_that_lets_the_sensor_in_anyway_is_caught_after_apply(samna, monkeypatch):
    samna._double.attach("Speck2fDevKit")
    real = samna._model.Model.get_configuration

    def leaky(model):
        applied = real(model)
        dvs_layer = applied.dvs_layer
        dvs_layer.pass_sensor_events = True
        applied.dvs_layer = dvs_layer
        return applied

    monkeypatch.setattr(samna._model.Model, "get_configuration", leaky)
    with pytest.raises(DeviceError) as info:
        hw.deploy(dvs_net(), "speck2fdevkit", dvs(50), monitor="all", **FAST)
    assert info.value.diagnostics[0].code == "samna-version"
    assert "pass_sensor_events = True" in str(info.value) and "mix with the host's" in str(info.value)
    assert closed_once(samna)


# ---------------------------------------------------------------- 3. errors that point the right way


def test_an_apply_timeout_is_soft_reset_and_retried_once(samna, capsys):
    """sinabs issue #269: "Apply configuration timeout"; reset_board_soft is samna's remedy."""
    samna._double.attach("Speck2fDevKit")
    samna._double.state.stuck = "soft"
    config = small()
    events = spikes(config)
    result = hw.deploy(config, "speck2fdevkit", events, monitor="all", **FAST)
    assert same(result.output, Simulator(config).run(events, monitor="all").output)
    assert samna._double.state.closed[0].soft_resets == 1
    err = capsys.readouterr().err
    assert "warning[device-soft-reset]" in err and "soft-reset the board (reset_board_soft) and tried once more" in err


def test_a_board_that_stays_stuck_says_press_reset_not_rejected(samna):
    samna._double.attach("Speck2fDevKit")
    samna._double.state.stuck = "hard"
    with pytest.raises(DeviceError) as info:
        hw.deploy(small(), "speck2fdevkit", spikes(small()), **FAST)
    diag = info.value.diagnostics[0]
    assert diag.code == "device-timeout" and info.value.exit_status == 3
    assert "timed out again after a soft reset" in diag.message and "press the board's reset button" in diag.message
    assert closed_once(samna)


def test_a_refused_firmware_is_not_a_busy_board(samna):
    """samna 0.46.1 checks the firmware version at open and raises; flashing is the remedy."""
    info = samna._double.attach("Speck2fDevKit")
    samna._double.reject_firmware(info)
    with pytest.raises(DeviceError) as err:
        hw.open("speck2fdevkit", settle_s=0)
    diag = err.value.diagnostics[0]
    assert diag.code == "device-firmware" and "flash the firmware that matches samna 0.48.5" in diag.message
    assert "close the other program" not in diag.message


def test_an_unexplained_open_failure_says_replug(samna, monkeypatch):
    samna._double.attach("Speck2fDevKit")

    def broken(which, default_config=None):
        raise RuntimeError("libusb: LIBUSB_ERROR_IO")

    monkeypatch.setattr(samna.device, "open_device", broken)
    with pytest.raises(DeviceError) as err:
        hw.open("speck2fdevkit", settle_s=0)
    assert err.value.diagnostics[0].code == "device-open" and "unplug and replug" in str(err.value)


# ---------------------------------------------------------------- 4. the Speck 2f sensor gate


@pytest.mark.parametrize("version, refused", [("0.48.2", True), ("0.46.1", True), ("0.48.3", False), ("0.48.5", False)])
def test_sensor_input_on_speck2f_needs_samna_0_48_3_or_the_dvs_monitor(samna, version, refused):
    """samna changelog 0.48.3: before it, Speck 2f cores got no sensor events unless a DVS monitor was on."""
    samna._double.reset(version)
    samna._double.attach("Speck2fDevKit")
    samna._double.state.sensor = dvs(3000, seed=3, t_step=10)
    config = dvs_net(source="sensor")
    if refused:
        with pytest.raises(DeviceError) as info:
            hw.deploy(config, "speck2fdevkit", None, monitor=["c2"], duration_s=0.2, **FAST)
        assert info.value.diagnostics[0].code == "samna-version" and "fixed in 0.48.3" in str(info.value)
        assert "--monitor dvs" in str(info.value)
        samna._double.attach("Speck2fDevKit")
        result = hw.deploy(config, "speck2fdevkit:1", None, monitor=["dvs", "c2"], duration_s=0.2, **FAST)
    else:
        result = hw.deploy(config, "speck2fdevkit", None, monitor=["c2"], duration_s=0.2, **FAST)
    assert len(result.layers["c2"]) > 0  # the sensor's events reached the network


# ---------------------------------------------------------------- 5. DYNAP-CNN's DVS layer


def test_dynapcnn_dvs_fields_it_may_lack_are_skipped_at_their_default(samna):
    """sinabs writes no on_channel, off_channel or raw_monitor_enable on DYNAP-CNN: the double lacks them."""
    samna._double.reset("0.45.0")
    profile = chips.profile("dynapcnndevkit")
    config = dvs_net("dynapcnndevkit")
    cfg = configure.to_samna(samna.dynapcnn, config, profile)
    assert not hasattr(cfg.dvs_layer, "on_channel") and cfg.dvs_layer.merge is config.chip.dvs_layer.merge
    with pytest.raises(DeviceError) as info:
        configure.to_samna(samna.dynapcnn, with_dvs(config, on_channel=False), profile)
    assert info.value.diagnostics[0].code == "samna-version"
    assert "no field 'on_channel' (dvs_layer.on_channel = False needs it)" in str(info.value)


# ---------------------------------------------------------------- 6. what the board says


def test_readout_pins_are_kept_and_name_the_class_that_fires(samna):
    samna._double.attach("Speck2fDevKit")
    config = class_two_net()
    events = channel_zero(60, 1000)  # 60 ms of input, 60 ticks of a 1 kHz slow clock
    result = hw.deploy(config, "speck2fdevkit", events, slow_clock_hz=1000, **FAST)
    pins = result.readout_pins  # one spike per tick: the 16-tick average reaches 1 after 16 ticks
    assert len(pins) >= 40 and set(pins["index"].tolist()) == {2}
    assert dse.readout_decision(result).cls == 2 and dse.readout_decision(result).source == "pins"
    assert len(result.layers["out"]) == 60 and set(result.layers["out"]["c"].tolist()) == {4}  # class 2 <- feature 4


def test_monitoring_the_readout_keeps_readout_values_and_silences_spikes(samna, capsys):
    """ReadoutValue has no timestamp: values are numbered by tick; readout monitoring stops all spikes."""
    samna._double.attach("Speck2fDevKit")
    config = class_two_net()
    result = hw.deploy(config, "speck2fdevkit", channel_zero(60, 1000), monitor=["readout"], slow_clock_hz=1000,
                       **FAST)
    values = result.readout
    assert len(values) >= 60 and values["tick"].tolist() == list(range(len(values)))
    fields = dse.decode_readout(values["value"])
    named = fields["cls"] > 0
    assert set(fields["valid"].tolist()) == {1} and set(fields["cls"][named].tolist()) == {2} and named.sum() >= 40
    assert set(fields["data"][named].tolist()) == {0b10}  # output_mode_sel 0b01: threshold-compare bits, class 2 = bit 1
    assert dse.readout_decision(result).cls == 2
    assert len(result.output) == 0 and "warning[readout-monitor]" in capsys.readouterr().err


def test_dropped_events_are_counted_and_warned_about(samna, capsys):
    samna._double.attach("Speck2fDevKit")
    samna._double.state.drop_outputs = 5
    config = small()
    events = spikes(config)
    result = hw.deploy(config, "speck2fdevkit", events, monitor="all", **FAST)
    full = Simulator(config).run(events, monitor="all").output
    assert result.dropped == 5 and len(result.output) == len(full) - 5
    assert "warning[events-dropped] the board's IO module dropped 5 events" in capsys.readouterr().err


def test_raw_dvs_events_are_kept_when_asked(samna):
    samna._double.attach("Speck2fDevKit")
    sent = dvs(200)
    result = hw.deploy(dvs_net(), "speck2fdevkit", sent, raw_dvs=True, **FAST)
    assert same(result.raw_dvs, sent)
    samna._double.attach("Speck2fDevKit")
    assert hw.deploy(dvs_net(), "speck2fdevkit:1", sent, **FAST).raw_dvs is None
    with pytest.raises(SpecError) as info:
        hw.deploy(small(), "speck2fdevkit", spikes(small()), raw_dvs=True, **FAST)
    assert info.value.diagnostics[0].code == "raw-dvs-input"


# ---------------------------------------------------------------- 7. timing


def test_the_first_input_event_gets_a_lead_so_a_slow_write_does_not_bunch_it(samna):
    """sinabs issue #144: the watch ran before the write had finished, so early events were late."""
    samna._double.attach("Speck2fDevKit")
    samna._double.state.write_cost_us = 40  # board time per event on the way in
    config = small()
    events = spikes(config, n=200, t_step=5)  # the whole input within 1 ms
    result = hw.deploy(config, "speck2fdevkit", events, monitor="all", **FAST)
    assert same(result.output, Simulator(config).run(events, monitor="all").output)


def test_a_late_starting_input_is_played_from_its_first_event_and_rebased(samna, capsys):
    samna._double.attach("Speck2fDevKit")
    config = small()
    events = spikes(config, n=100)
    late = events.copy()
    late["t"] += 5_000_000  # a recording that starts 5 s in
    result = hw.deploy(config, "speck2fdevkit", late, monitor="all", **FAST)
    assert result.duration_s < 2.0  # did not wait 5 s for the first event
    assert same(result.output, Simulator(config).run(events, monitor="all").output)
    assert "warning[events-rebased] the input starts at t = 5 s" in capsys.readouterr().err
    samna._double.attach("Speck2fDevKit")
    kept = hw.deploy(config, "speck2fdevkit:1", late, monitor="all", keep_time=True, **FAST)
    assert same(kept.output, Simulator(config).run(late, monitor="all").output)


def test_outputs_that_arrive_late_are_waited_for_within_the_quiet_time(samna):
    samna._double.attach("Speck2fDevKit")
    samna._double.state.latency_polls = 2
    config = small()
    events = spikes(config)
    result = hw.deploy(config, "speck2fdevkit", events, monitor="all", quiet_s=0.3, settle_s=0)
    assert same(result.output, Simulator(config).run(events, monitor="all").output)


# ---------------------------------------------------------------- tables from the public sources


# Speck 2e/2f datasheet, "Memory configuration", neuron memory: [zero fill | y | x | feature], each
# field ceil(log2(size)) bits. The first row is the datasheet's worked example (f 63, x 3, y 11 of a
# 16x16x128 layer -> 0 1011 0011 0111111); the others are written out by hand for a non-square layer
# (3 features, 10 wide, 6 high: 2 feature bits, 4 x bits, 3 y bits) where x and y widths differ.
NEURON_ADDRESSES = [
    # features, width, f, x, y, address
    (128, 16, 63, 3, 11, 0b1011_0011_0111111),
    (3, 10, 0, 0, 0, 0b000_0000_00),
    (3, 10, 2, 0, 0, 0b000_0000_10),
    (3, 10, 0, 1, 0, 0b000_0001_00),
    (3, 10, 0, 9, 0, 0b000_1001_00),
    (3, 10, 0, 0, 1, 0b001_0000_00),
    (3, 10, 2, 9, 5, 0b101_1001_10),
    (1, 2, 0, 1, 1, 0b1_1),  # sinabs' leak_neuron tutorial, 1x2x2: (x 1, y 1) -> address 3
]


@pytest.mark.parametrize("features, width, f, x, y, address", NEURON_ADDRESSES)
def test_neuron_addresses_follow_the_datasheet_table(features, width, f, x, y, address):
    assert board.neuron_address(features, width, f, x, y) == address


# sinabs' using_readout_layer tutorial, ReadoutValue.value: bit 20 data valid, bits 19..16 the class
# with the largest average, bits 15..0 selected by output_mode_sel
READOUT_WORDS = [
    # value, valid, class, data
    (0b1_0010_0000000000000010, 1, 2, 0b10),
    (0b1_1111_1111111111111111, 1, 15, 0xFFFF),
    (0b0_0001_0000000000000000, 0, 1, 0),
]


def test_readout_words_are_decoded_by_the_tutorials_table():
    values = np.array([w[0] for w in READOUT_WORDS], dtype=np.uint32)
    fields = dse.decode_readout(values)
    assert fields["valid"].tolist() == [w[1] for w in READOUT_WORDS]
    assert fields["cls"].tolist() == [w[2] for w in READOUT_WORDS]
    assert fields["data"].tolist() == [w[3] for w in READOUT_WORDS]


def test_the_readout_decision_counts_valid_classes_and_states_ties():
    empty = np.zeros(0, dtype=np.uint64)
    values = np.array([(i, v) for i, v in enumerate([0x12_0000, 0x13_0000, 0x12_0000, 0x03_0000, 0x13_0000])],
                      dtype=dse.READOUT_DTYPE)
    result = dse.RunResult(output=empty, layers={}, spike_counts={}, input_count=0, duration_s=0, readout=values)
    decision = dse.readout_decision(result)
    assert (decision.cls, decision.votes, decision.readings, decision.tied, decision.source) == (2, 2, 4, (3,), "values")
