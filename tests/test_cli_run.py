"""`dynapspec simulate` and `dynapspec deploy`: summaries, output files, engine choice, exit statuses."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import dynapspec
import dynapspec.hardware
from dynapspec.cli.main import app
from dynapspec.events import EventFile, RunResult, read_event_file, spike_events, write_event_file

LENET = Path(__file__).resolve().parent.parent / "examples" / "lenet"
NET, INPUT = LENET / "net.yaml", LENET / "input.h5"


def run(*args):
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def no_board(monkeypatch):
    monkeypatch.setattr(dynapspec.hardware, "find_board", lambda config: None)


def test_simulate_prints_summary_and_writes_file(tmp_path):
    out = tmp_path / "out.h5"
    code, stdout, stderr = run("simulate", NET, "--input", INPUT, "-o", out, "--monitor", "conv3,out", "--states")
    assert code == 0, stderr
    assert "lenet on sim: 3877 events in (0-99 ms), 465 events out" in stdout
    assert "spikes per layer: conv1 26057, conv2 2765, conv3 459, fc1 196, out 6" in stdout
    assert "monitored: conv3 459, out 6" in stdout
    assert "out: most active feature 7 (2 of 6 spikes)" in stdout
    content = read_event_file(out)
    assert content.network == "lenet" and len(content.input) == 3877
    assert sorted(content.layers) == ["conv3", "out"] and len(content.layers["out"]) == 6
    assert content.states["conv1"].shape == (20, 24, 24)
    # the output file carries its input: playing it again reproduces the run
    again = tmp_path / "again.h5"
    assert run("simulate", NET, "-i", out, "-o", again, "--monitor", "conv3,out")[0] == 0
    assert read_event_file(again).output.tolist() == content.output.tolist()


def test_simulate_compiled_config_json(tmp_path):
    config = tmp_path / "lenet.json"
    config.write_text(dynapspec.compile(NET).to_json())
    code, stdout, _ = run("simulate", config, "-i", INPUT)
    assert code == 0 and "3877 events in" in stdout and "monitored: out 6" in stdout


def test_deploy_on_sim_is_simulate(no_board):
    code, stdout, stderr = run("deploy", NET, "--device", "sim", "--input", INPUT)
    assert code == 0, stderr
    simulated = run("simulate", NET, "--input", INPUT)[1]
    assert stdout.splitlines()[1:] == simulated.splitlines()[1:]  # the first line ends with the wall time
    assert "lenet on sim: 3877 events in" in stdout and "no board" not in stderr


def test_deploy_without_board_falls_back_with_notice(no_board):
    code, stdout, stderr = run("deploy", NET, "--input", INPUT, "--duration", "50ms")
    assert code == 0, stderr
    assert stderr.strip().splitlines()[0] == "no board attached: running on the simulator"
    sent = read_event_file(INPUT).input
    assert f"lenet on sim: {int(np.sum(sent['t'] < 50_000))} events in" in stdout


def test_deploy_uses_attached_board(monkeypatch):
    calls = {}

    def fake_deploy(config, device, events=None, monitor=None, duration_s=None, live=False, states=False):
        calls.update(device=device, events=len(events), monitor=monitor, duration_s=duration_s, live=live, states=states)
        empty = np.zeros(0, dtype=dynapspec.events.CHIP_SPIKE_DTYPE)
        return RunResult(output=empty, layers={"out": np.zeros(0, dtype=dynapspec.events.SPIKE_DTYPE)},
                         spike_counts={"out": 0}, input_count=len(events), duration_s=2.0, device=device)

    monkeypatch.setattr(dynapspec.hardware, "find_board", lambda config: "speck2fdevkit:0")
    monkeypatch.setattr(dynapspec.hardware, "deploy", fake_deploy)
    code, stdout, stderr = run("deploy", NET, "-i", INPUT, "--monitor", "all", "--duration", "2s", "--states")
    assert code == 0, stderr
    assert calls == {"device": "speck2fdevkit:0", "events": 3877, "monitor": "all", "duration_s": 2.0, "live": False,
                     "states": True}
    assert "lenet on speck2fdevkit:0: 3877 events in" in stdout and "out: no spikes" in stdout


@pytest.mark.parametrize(
    "args, status, words",
    [
        (["simulate", NET, "-i", "missing.h5"], 1, "error[file-not-found]"),
        (["simulate", NET, "-i", INPUT, "--monitor", "conv1,bogus"], 1, "error[unknown-layer]"),
        (["simulate", NET], 2, "--input"),
        (["deploy", NET, "--device", "sim"], 2, "--input"),
        (["deploy", NET, "--device", "sim", "-i", INPUT, "--live"], 2, "--live needs a board"),
        (["deploy", NET, "--device", "sim", "-i", INPUT, "--duration", "soon"], 2, "--duration"),
        (["simulate", NET, "-i", INPUT, "-o", "/nonexistent/dir/out.h5"], 3, "error[output-write]"),
    ],
)
def test_errors_and_exit_statuses(args, status, words):
    code, stdout, stderr = run(*args)
    assert code == status
    assert words in stderr
    assert "Traceback" not in stderr


def test_events_outside_the_input_are_refused(tmp_path):
    bad = tmp_path / "bad.h5"
    write_event_file(bad, EventFile(network="lenet", input=spike_events([0, 1], [0, 0], [3, 28], [0, 0])))
    code, _, stderr = run("simulate", NET, "-i", bad)
    assert code == 1 and "error[events-range]" in stderr and "x=28" in stderr


def test_other_networks_file_gets_a_note(tmp_path):
    other = tmp_path / "other.h5"
    write_event_file(other, EventFile(network="mnist", input=spike_events([0], [0], [1], [1])))
    code, _, stderr = run("simulate", NET, "-i", other)
    assert code == 0 and "made for network 'mnist'; running 'lenet'" in stderr


def test_progress_bar_on_a_terminal(monkeypatch):
    import dynapspec.cli.run as run_module

    monkeypatch.setattr(run_module, "is_tty", lambda: True)
    monkeypatch.setattr(run_module, "LONG_INPUT", 100)
    code, stdout, stderr = run("simulate", NET, "-i", INPUT)
    assert code == 0 and "simulating" in stderr and "3877 events in" in stdout
    monkeypatch.setattr(run_module, "is_tty", lambda: False)
    assert "simulating" not in run("simulate", NET, "-i", INPUT)[2]
