"""`dynapspec devices`, and `dynapspec deploy` onto a board of the samna double."""
import re

import numpy as np
import pytest
from typer.testing import CliRunner

from dynapspec.cli.main import app
from dynapspec.events import read_event_file


runner = CliRunner()


def run(*args):
    return runner.invoke(app, list(args))


def test_devices_lists_boards_with_their_device_strings(samna):
    samna._double.attach("Speck2fDevKit", bus=1, address=7, serial="ABC1")
    held = samna._double.attach("Speck2eDevKit", bus=2, address=3)
    samna._double.hold(held)
    samna._double.attach("XyloAudio3TestBoard")
    result = run("devices")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["DEVICE", "BOARD", "CHIP", "USB", "SERIAL", "STATUS"]
    assert re.match(r"speck2edevkit:0\s+Speck2eDevKit\s+speck2e\s+bus 2 addr 3\s+SN\d+\s+in use$", lines[1])
    assert re.match(r"speck2fdevkit:0\s+Speck2fDevKit\s+speck2f\s+bus 1 addr 7\s+ABC1\s+free$", lines[2])
    assert lines[3].startswith("XyloAudio3TestBoard:0") and lines[3].endswith("unsupported")
    assert "samna 0.48.5" in lines[4] and "--device speck2edevkit:0" in lines[4]


def test_devices_says_when_nothing_is_attached(samna):
    result = run("devices")
    assert result.exit_code == 0
    assert "no boards attached (samna 0.48.5)" in result.output and "udev" in result.output


def test_devices_without_samna_says_how_to_install_it(no_samna):
    result = run("devices")
    assert result.exit_code == 3
    assert "error[samna-missing]" in result.output and "--index-url https://gitlab.com/" in result.output
    assert "Traceback" not in result.output


def test_devices_targets_needs_no_samna(no_samna):
    result = run("devices", "--targets")
    assert result.exit_code == 0
    rows = [line.split() for line in result.output.splitlines()]
    assert rows[0] == ["TARGET", "CHIP", "SAMNA", "MODULE", "BOARD", "USB", "ID", "STATUS"]
    assert ["speck2fdevkit", "speck2f", "samna.speck2f", "Speck2fDevKit", "337d:5bca", "supported"] in rows
    assert ["dynapcnndevkit", "dynapcnn", "samna.dynapcnn", "DynapcnnDevKit", "-", "legacy"] in rows


def test_deploy_on_a_board_writes_the_same_file_format(samna, tmp_path, fake_clock):
    from dynapspec.events import EventFile, spike_events, write_event_file

    samna._double.attach("Speck2fDevKit")
    rng = np.random.default_rng(0)
    n = 500
    events = spike_events(np.arange(n) * 100, np.zeros(n, int), rng.integers(0, 28, n), rng.integers(0, 28, n))
    write_event_file(tmp_path / "in.h5", EventFile(network="lenet", input=events))
    out = tmp_path / "out.h5"
    result = run("deploy", "examples/lenet/net.yaml", "-i", str(tmp_path / "in.h5"), "-o", str(out), "-m", "all")
    assert result.exit_code == 0, result.output
    board = read_event_file(out)
    sim_out = tmp_path / "sim.h5"
    assert run("deploy", "examples/lenet/net.yaml", "--device", "sim", "-i", str(tmp_path / "in.h5"),
               "-o", str(sim_out), "-m", "all").exit_code == 0
    sim = read_event_file(sim_out)
    assert board.device == "speck2fdevkit:0" and sim.device == "sim"
    assert set(board.layers) == set(sim.layers)
    order = ["t", "core", "c", "x", "y"]
    assert np.array_equal(np.sort(board.output, order=order), np.sort(sim.output, order=order))


def test_deploy_errors_exit_3_with_one_line(samna):
    samna._double.attach("Speck2eDevKit")
    result = run("deploy", "examples/lenet/net.yaml", "--device", "speck2edevkit:0")
    assert result.exit_code == 3
    assert "error[target-mismatch]" in result.output and len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize("device", ["foo:bar", "a:b:c", "speck2fdevkit:-1", "speck9:0", ""])
def test_deploy_refuses_a_bad_device_string_before_looking_for_samna(no_samna, device):
    result = run("deploy", "examples/lenet/net.yaml", "--device", device, "-i", "examples/lenet/input.h5")
    assert result.exit_code == 2
    assert "error[device-string]" in result.output and "samna" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_deploy_falls_back_to_the_simulator_with_one_line_without_samna(no_samna):
    result = run("deploy", "examples/lenet/net.yaml", "-i", "examples/lenet/input.h5")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == ["note: running on the simulator (samna is not installed, so no board is used)"]
    assert result.stdout.startswith("lenet on the simulator: 3877 input events")


def test_deploy_falls_back_to_the_simulator_with_one_line_when_no_board_fits(samna):
    samna._double.attach("Speck2eDevKit")  # another chip: not a board for lenet's speck2fdevkit
    result = run("deploy", "examples/lenet/net.yaml", "-i", "examples/lenet/input.h5")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == ["note: running on the simulator (no free board for speck2fdevkit attached)"]


def _board_run(tmp_path, config, events, *options):
    """`dynapspec deploy` of a compiled config on the double's first board; returns (result, file)."""
    from dynapspec.events import EventFile, write_event_file

    net = tmp_path / "net.json"
    net.write_text(config.to_json())
    write_event_file(tmp_path / "in.h5", EventFile(network=config.header.name, input=events))
    out = tmp_path / "out.h5"
    result = run("deploy", str(net), "--device", "speck2fdevkit:0", "-i", str(tmp_path / "in.h5"), "-o", str(out),
                 "--settle", "0", "--quiet", "0.05", *options)
    return result, out


def test_deploying_a_readout_network_keeps_readout_values_and_shows_the_decision(samna, tmp_path):
    from hardware_support import channel_zero, class_two_net

    samna._double.attach("Speck2fDevKit")
    result, out = _board_run(tmp_path, class_two_net(), channel_zero(60, 1000), "--slow-clock", "1000",
                             "-m", "readout,out")
    assert result.exit_code == 0, result.output
    saved = read_event_file(out)
    assert len(saved.readout) >= 40 and len(saved.readout_pins) >= 40 and saved.dropped == 0
    assert saved.readout.dtype.names == ("tick", "value") and set(saved.readout_pins["index"].tolist()) == {2}
    line = [out for out in result.stdout.splitlines() if out.startswith("readout:")]
    assert re.fullmatch(r"readout: class 2 \(feature 1 of out\) in \d+ of \d+ pin readings", line[0])
    assert samna._double.state.closed[0].io.slow_clk_rate == 1000


def test_deploying_a_host_fed_dvs_network_monitoring_all_keeps_dropped_counts_and_raw_events(samna, tmp_path):
    from dynapspec.sim import Simulator
    from hardware_support import dvs, dvs_net

    samna._double.attach("Speck2fDevKit")
    samna._double.state.sensor = dvs(2000, seed=5, t_step=10)  # must stay out
    samna._double.state.drop_outputs = 3
    config, events = dvs_net(), dvs(300)
    result, out = _board_run(tmp_path, config, events, "--monitor", "all", "--raw-dvs")
    assert result.exit_code == 0, result.output
    saved = read_event_file(out)
    full = Simulator(config).run(events, monitor="all").output
    assert saved.dropped == 3 and len(saved.layers["dvs"]) > 0
    assert len(saved.output) + len(saved.raw_dvs) == len(full) + len(events) - 3  # the 3 dropped, and no sensor event
    assert set(saved.raw_dvs.tolist()) <= set(events.tolist())
    assert "warning[events-dropped] the board's IO module dropped 3 events" in result.stderr


def test_board_options_on_the_simulator_are_noted_not_silently_dropped(tmp_path):
    result = run("deploy", "examples/lenet/net.yaml", "--device", "sim", "-i", "examples/lenet/input.h5",
                 "--slow-clock", "50", "--keep-time")
    assert result.exit_code == 0, result.output
    assert "note: --slow-clock, --keep-time only apply to a board; the simulator ignores them" in result.stderr
    assert run("deploy", "examples/lenet/net.yaml", "--device", "sim", "--slow-clock", "0").exit_code == 2


def test_the_selftest_runs_the_checklist_and_prints_a_report(samna):
    samna._double.attach("Speck2fDevKit")
    result = run("deploy", "--selftest", "--settle", "0")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "dynapspec self-test report (paste it into an issue)"
    assert lines[1].startswith("dynapspec ") and "samna 0.48.5" in lines[1]
    assert lines[2].startswith("board: speck2fdevkit:0 (Speck2fDevKit")
    checks = [line.split("]", 1)[1].split(":")[0].strip() for line in lines if line.startswith("[")]
    assert checks == ["read-back types", "apply time", "slow clock", "sensor stays out", "output latency",
                      "write throughput", "neuron reads", "readout", "dropped events"]
    assert "[  ok] sensor stays out: pass_sensor_events after apply: False; sent 2000 DVS events, the DVS layer " \
           "reported 2000" in lines
    assert lines[-1].startswith("summary: ") and "fail" not in lines[-1]


def test_the_selftest_fails_when_the_sensor_leaks_into_a_host_fed_network(samna, monkeypatch, tmp_path):
    import dynapspec.hardware as hw
    from dynapspec.hardware import selftest
    from hardware_support import dvs

    samna._double.attach("Speck2fDevKit")
    samna._double.state.sensor = dvs(500, seed=8, t_step=10)
    monkeypatch.setattr(samna._model.Model, "passes_sensor", lambda model: True)  # a samna that leaks at apply
    with hw.open("speck2fdevkit", settle_s=0) as board:
        check = selftest._sensor_order(board, selftest._Networks(tmp_path, "speck2fdevkit"))
    assert check.status == "fail" and "the sensor leaks in" in check.detail
    report = selftest.Report(["header"], [check])
    assert report.failed and report.lines()[-1] == "summary: 1 fail"
