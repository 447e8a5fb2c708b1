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
    assert result.stdout.startswith("lenet on sim: 3877 events in")


def test_deploy_falls_back_to_the_simulator_with_one_line_when_no_board_fits(samna):
    samna._double.attach("Speck2eDevKit")  # another chip: not a board for lenet's speck2fdevkit
    result = run("deploy", "examples/lenet/net.yaml", "-i", "examples/lenet/input.h5")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == ["note: running on the simulator (no free board for speck2fdevkit attached)"]
