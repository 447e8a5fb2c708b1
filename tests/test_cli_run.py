"""`dynapspec simulate` and `dynapspec deploy`: summaries, output files, engine choice, exit statuses."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import dynapspec
import dynapspec.hardware
from dynapspec.cli.main import app
from dynapspec.events import EventFile, RunResult, dvs_events, read_event_file, spike_events, write_event_file

LENET = Path(__file__).resolve().parent.parent / "examples" / "lenet"
NET, INPUT = LENET / "net.yaml", LENET / "input.h5"
SENT = 3877  # events in examples/lenet/input.h5 (its generator's figure in docs/simulator.md)


def run(*args):
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def no_board(monkeypatch):
    monkeypatch.setattr(dynapspec.hardware, "find_board", lambda config: None)


def test_simulate_prints_summary_and_writes_file(tmp_path, lenet_oracle):
    events, rows, counts = lenet_oracle
    assert counts["out"] > 0, "the example's output layer spikes"
    out = tmp_path / "out.h5"
    code, stdout, stderr = run("simulate", NET, "--input", INPUT, "-o", out, "--monitor", "conv3,out", "--states")
    assert code == 0, stderr
    monitored = counts["conv3"] + counts["out"]
    assert f"lenet on the simulator: {len(events)} input events -> {monitored} output events" in stdout
    first, last = events["t"][0] / 1000, events["t"][-1] / 1000
    assert f"time: input spans {first:g}-{last:g} ms of chip time ({last - first:g} ms); the run took " in stdout
    assert "spikes per layer: " + ", ".join(f"{name} {counts[name]}" for name in counts) in stdout
    assert f"monitored: conv3 {counts['conv3']}, out {counts['out']}" in stdout
    per_feature = Counter(f for _, name, f, _, _ in rows if name == "out")
    ranked = sorted(per_feature, key=lambda f: (-per_feature[f], f))  # most spikes first, then lowest feature
    listed = ", ".join(f"feature {f}: {per_feature[f]}" for f in ranked[:5])
    assert f"out: {listed}" in stdout and f"({counts['out']} spikes); most active: " in stdout
    top = [f for f in ranked if per_feature[f] == per_feature[ranked[0]]]
    assert ("a tie" in stdout) == (len(top) > 1)  # the example's output has a tie: it must be stated
    assert "not saved" not in stdout
    content = read_event_file(out)
    assert content.network == "lenet" and len(content.input) == len(events)
    assert sorted(content.layers) == ["conv3", "out"] and len(content.layers["out"]) == counts["out"]
    assert content.states["conv1"].shape == (20, 24, 24)  # [f][x][y] of a 5x5 conv on 28x28
    # the output file carries its input: playing it again reproduces the run
    again = tmp_path / "again.h5"
    assert run("simulate", NET, "-i", out, "-o", again, "--monitor", "conv3,out")[0] == 0
    assert read_event_file(again).output.tolist() == content.output.tolist()


def test_simulate_compiled_config_json(tmp_path, lenet_oracle):
    config = tmp_path / "lenet.json"
    config.write_text(dynapspec.compile(NET).to_json())
    code, stdout, _ = run("simulate", config, "-i", INPUT)
    events, _, counts = lenet_oracle
    assert code == 0 and f"{len(events)} input events" in stdout and f"monitored: out {counts['out']}" in stdout


def test_deploy_on_sim_is_simulate(no_board):
    code, stdout, stderr = run("deploy", NET, "--device", "sim", "--input", INPUT)
    assert code == 0, stderr
    simulated = run("simulate", NET, "--input", INPUT)[1]
    assert [line for line in stdout.splitlines() if not line.startswith("time:")] == \
        [line for line in simulated.splitlines() if not line.startswith("time:")]  # the wall time differs
    assert f"lenet on the simulator: {SENT} input events" in stdout and "no board" not in stderr


def test_deploy_without_board_falls_back_with_notice(no_board, monkeypatch):
    monkeypatch.setattr(dynapspec.hardware.sdk, "problem", lambda: None)
    code, stdout, stderr = run("deploy", NET, "--input", INPUT, "--duration", "50ms")
    assert code == 0, stderr
    assert stderr.splitlines() == ["note: running on the simulator (no free board for speck2fdevkit attached)"]
    sent = read_event_file(INPUT).input
    assert f"lenet on the simulator: {int(np.sum(sent['t'] < 50_000))} input events" in stdout


def test_deploy_uses_attached_board(monkeypatch):
    calls = {}

    def fake_deploy(config, device, events=None, monitor=None, duration_s=None, live=False, states=False, **board):
        calls.update(device=device, events=len(events), monitor=monitor, duration_s=duration_s, live=live, states=states,
                     **board)
        empty = np.zeros(0, dtype=dynapspec.events.CHIP_SPIKE_DTYPE)
        return RunResult(output=empty, layers={"out": np.zeros(0, dtype=dynapspec.events.SPIKE_DTYPE)},
                         spike_counts={"out": 0}, input_count=len(events), duration_s=2.0, device=device)

    monkeypatch.setattr(dynapspec.hardware.sdk, "problem", lambda: None)
    monkeypatch.setattr(dynapspec.hardware, "find_board", lambda config: "speck2fdevkit:0")
    monkeypatch.setattr(dynapspec.hardware, "deploy", fake_deploy)
    code, stdout, stderr = run("deploy", NET, "-i", INPUT, "--monitor", "all", "--duration", "2s", "--states")
    assert code == 0, stderr
    assert calls == {"device": "speck2fdevkit:0", "events": SENT, "monitor": "all", "duration_s": 2.0, "live": False,
                     "states": True, "settle_s": None, "quiet_s": None, "slow_clock_hz": None, "keep_time": False,
                     "raw_dvs": False, "on_interval": None}
    assert f"lenet on speck2fdevkit:0: {SENT} input events" in stdout and "out: no spikes" in stdout


@pytest.mark.parametrize(
    "args, status, words",
    [
        (["simulate", NET, "-i", "missing.h5"], 1, "error[file-not-found]"),
        (["simulate", NET, "-i", INPUT, "--monitor", "conv1,bogus"], 2, "no layer 'bogus'; give comma-separated "
         "names from conv1, conv2, conv3, fc1, out, or 'all'"),
        (["simulate", NET, "-i", INPUT, "--monitor", "fcx"], 2, "from conv1, conv2, conv3, fc1, out, or 'all'"),
        (["simulate", NET, "-i", INPUT, "--monitor", "ALL"], 2, "no layer 'ALL'"),
        (["simulate", NET, "-i", INPUT, "--monitor", ""], 2, "from conv1, conv2, conv3, fc1, out, or 'all'"),
        (["simulate", NET, "-i", INPUT, "--monitor", "dvs"], 2, "no layer 'dvs'"),  # lenet has no DVS layer
        (["deploy", NET, "-d", "sim", "-i", INPUT, "--monitor", "fcx"], 2, "from conv1, conv2, conv3, fc1, out"),
        (["simulate", NET], 2, "--input"),
        (["deploy", NET, "--device", "sim"], 2, "--input"),
        (["deploy", NET, "--device", "sim", "-i", INPUT, "--live"], 2, "--live needs a board"),
        (["deploy", NET, "--device", "sim", "-i", INPUT, "--duration", "soon"], 2, "--duration"),
        (["simulate", NET, "-i", INPUT, "-o", "/dev/null/out.h5"], 3, "error[output-write]"),
    ],
)
def test_errors_and_exit_statuses(args, status, words):
    code, stdout, stderr = run(*args)
    assert code == status
    assert words in stderr
    assert "Traceback" not in stderr


@pytest.mark.parametrize("command", [["simulate"], ["deploy", "--device", "sim"], ["deploy", "--device", "speck2fdevkit"]])
def test_events_outside_the_input_are_refused_naming_the_file(tmp_path, command):
    bad = tmp_path / "bad.h5"
    write_event_file(bad, EventFile(network="lenet", input=spike_events([0, 1], [0, 0], [3, 28], [0, 0])))
    code, _, stderr = run(*command, NET, "-i", bad)  # on a board: refused before samna is needed
    assert code == 1 and stderr.startswith(f"{bad}: error[events-range]") and "x=28" in stderr


def test_config_errors_name_the_configuration_file(tmp_path):
    document = json.loads(dynapspec.compile(NET).to_json())
    used = [n for n, core in enumerate(document["chip"]["cnn_layers"]) if core["weights"]]
    leaky = tmp_path / "leaky.json"
    document["chip"]["cnn_layers"][used[0]]["leak_enable"] = True
    leaky.write_text(json.dumps(document))
    code, _, stderr = run("simulate", leaky, "-i", INPUT)
    assert code == 1 and stderr.startswith(f"{leaky}: error[sim-unsupported] chip.cnn_layers[{used[0]}].leak_enable")
    document["chip"]["cnn_layers"][used[0]]["leak_enable"] = False
    unused = next(n for n in range(len(document["chip"]["cnn_layers"])) if n not in used)
    document["chip"]["cnn_layers"][used[0]]["destinations"][0]["layer"] = unused
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(document))
    code, _, stderr = run("deploy", "-d", "sim", broken, "-i", INPUT)
    assert code == 1 and stderr.startswith(f"{broken}: error[config-format]") and "<config>" not in stderr


def test_simulator_api_names_the_given_sources(tmp_path):
    from dynapspec.errors import SpecError
    from dynapspec.sim import Simulator

    sim = Simulator(dynapspec.compile(NET), "net.yaml")
    with pytest.raises(SpecError) as info:
        sim.run(spike_events([0], [0], [28], [0]), source="run.h5")
    assert str(info.value.diagnostics[0].location) == "run.h5"


def test_a_file_of_the_other_event_kind_is_refused_where_ambiguous(tmp_path):
    dvs = tmp_path / "dvs.h5"  # both polarities into lenet's one channel: which one?
    write_event_file(dvs, EventFile(network="lenet", input=dvs_events([1, 2], [1, 2], [0, 1], [0, 1])))
    code, _, stderr = run("deploy", "-d", "sim", NET, "-i", dvs)
    assert code == 1 and stderr.startswith(f"{dvs}: error[events-format] /input: the file holds DVS events")
    assert "network 'lenet' takes 1-channel spikes" in stderr and "--polarity merge" in stderr


@pytest.mark.parametrize("command", [["simulate"], ["deploy", "--device", "sim"]])
@pytest.mark.parametrize("target, words", [("afile/out.h5", "cannot write"), (".", "it is a directory")])
def test_an_unwritable_output_is_found_before_the_run(tmp_path, monkeypatch, command, target, words):
    import dynapspec.cli.run as run_module

    ran = []
    monkeypatch.setattr(run_module, "_simulate", lambda *args: ran.append(args))
    (tmp_path / "afile").write_text("a file where a directory should be")
    code, stdout, stderr = run(*command, NET, "-i", INPUT, "-o", tmp_path / target)
    assert code == 3 and "error[output-write]" in stderr and words in stderr
    assert ran == [] and stdout == "" and sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


def test_missing_output_directories_are_made(tmp_path):
    code, _, stderr = run("simulate", NET, "-i", INPUT, "-o", tmp_path / "runs" / "today" / "out.h5")
    assert code == 0, stderr
    assert sorted(p.name for p in (tmp_path / "runs" / "today").iterdir()) == ["out.h5"]


@pytest.mark.parametrize("command", ["simulate", "deploy", "devices"])
def test_help_keeps_each_example_on_its_own_line(command):
    from dynapspec.cli import device, run as run_module

    doc = getattr(run_module, command, None) or getattr(device, command)
    examples = [line.strip() for line in doc.__doc__.split("Examples:")[1].strip().splitlines()]
    code, stdout, _ = run(command, "--help")
    assert code == 0 and examples and all(e.startswith(f"dynapspec {command}") for e in examples)
    assert set(examples) <= {line.strip() for line in stdout.splitlines()}


def test_simulate_states_help_speaks_of_the_simulator():
    stdout = run("simulate", "--help")[1]
    assert "--states" in stdout and "board" not in stdout


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
    assert code == 0 and "simulating" in stderr and f"{SENT} input events" in stdout
    monkeypatch.setattr(run_module, "is_tty", lambda: False)
    assert "simulating" not in run("simulate", NET, "-i", INPUT)[2]
