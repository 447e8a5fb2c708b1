"""The Python API mirrors the command line: one function per verb, warnings returned and issued."""
from __future__ import annotations

import inspect
import shutil
import warnings
from pathlib import Path

import h5py
import numpy as np
import pytest

import dynapspec
from dynapspec.errors import DynapspecWarning, SpecError
from dynapspec.events import read_event_file, spike_events
from dynapspec.sim import Simulator

ROOT = Path(__file__).resolve().parent.parent
LENET = ROOT / "examples" / "lenet"

LOUD = """\
dynapspec: 1
name: loud
target: speck2fdevkit
input:
  shape: [1, 8, 8]
layers:
  - name: conv
    conv: {channels: 2, kernel: 3}
"""


@pytest.fixture
def loud(tmp_path):
    """A spec whose weights (2.0) exceed its threshold (1.0): it compiles with a warning."""
    (tmp_path / "net.yaml").write_text(LOUD)
    with h5py.File(tmp_path / "net.h5", "w") as f:
        f["conv/weight"] = np.full((2, 1, 3, 3), 2.0)
    return tmp_path / "net.yaml"


def test_every_verb_of_the_command_line_is_a_documented_function():
    from dynapspec.cli.main import app

    commands = {c.name for c in app.registered_commands}
    for verb in ("validate", "compile", "summary", "weights", "simulate", "deploy"):
        assert verb in commands and verb in dynapspec.__all__
        function = getattr(dynapspec, verb)
        assert inspect.getdoc(function) and f"dynapspec {verb}" in inspect.getdoc(function)


def test_no_submodule_shadows_a_verb():
    import importlib
    import pkgutil

    for module in pkgutil.walk_packages(dynapspec.__path__, "dynapspec."):
        if "hardware" not in module.name and not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    for verb in ("validate", "compile", "summary", "weights", "simulate", "deploy"):
        assert inspect.isfunction(getattr(dynapspec, verb)), verb


def test_compile_returns_the_warnings_and_issues_them(loud, tmp_path):
    with pytest.warns(DynapspecWarning) as caught:
        config = dynapspec.compile(loud, output=tmp_path / "out.json")
    assert [d.code for d in config.warnings] == ["weight-above-threshold"]
    assert [w.message.diagnostic.code for w in caught] == ["weight-above-threshold"]
    assert "error" not in str(caught[0].message) and "warning[weight-above-threshold]" in str(caught[0].message)
    assert (tmp_path / "out.json").read_text() == config.to_json()
    with pytest.warns(DynapspecWarning):
        assert [d.code for d in dynapspec.validate(loud)] == ["weight-above-threshold"]


def test_warnings_are_not_part_of_the_document_or_equality(loud):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        config = dynapspec.compile(loud)
    assert "weight-above-threshold" not in config.to_json() and "warnings" not in config.to_dict()


def test_invalid_input_raises_with_every_diagnostic(tmp_path):
    (tmp_path / "net.yaml").write_text(LOUD.replace("kernel: 3", "kernel: 17"))
    with pytest.raises(SpecError) as info:
        dynapspec.validate(tmp_path / "net.yaml")
    assert [d.code for d in info.value.diagnostics] == ["kernel-range"]


def test_summary_of_a_network_that_does_not_fit(tmp_path):
    (tmp_path / "net.yaml").write_text(LOUD.replace("[1, 8, 8]", "[16, 64, 64]").replace(
        "{channels: 2, kernel: 3}", "{channels: 32, kernel: 3, padding: 1}"))
    result = dynapspec.summary(tmp_path / "net.yaml")  # no weight file: shapes and memory still known
    assert not result.ok
    assert {d.code for d in result.errors} == {"weights-file"}  # placement never ran: the table says it
    (row,) = result.layers
    assert row.output_shape == (32, 64, 64) and row.memory.neuron == 131072 and row.fits == ()
    assert "fits no core" in row.problems and "131072" in str(result)


def test_weights_and_template(tmp_path):
    shutil.copy(LENET / "net.yaml", tmp_path / "net.yaml")
    found = dynapspec.weights(tmp_path / "net.yaml", template=tmp_path / "net.h5", fill="random")
    assert [n.shape for n in found] == [(20, 1, 5, 5), (32, 20, 5, 5), (128, 32, 3, 3), (500, 128), (10, 500)]
    with pytest.warns(DynapspecWarning, match="not trained weights"):
        dynapspec.compile(tmp_path / "net.yaml")


def test_simulate_takes_a_file_or_an_array_and_matches_the_simulator(tmp_path):
    events = read_event_file(LENET / "input.h5").input
    expected = Simulator(dynapspec.compile(LENET / "net.yaml")).run(events, monitor="all").output.tolist()
    from_file = dynapspec.simulate(LENET / "net.yaml", LENET / "input.h5", monitor="all", output=tmp_path / "o.h5")
    from_array = dynapspec.simulate(dynapspec.compile(LENET / "net.yaml"), events, monitor="all")
    assert from_file.output.tolist() == expected == from_array.output.tolist()
    assert read_event_file(tmp_path / "o.h5").output.tolist() == expected


def test_simulate_converts_dvs_arrays_like_the_command_line():
    from dynapspec.events import dvs_events

    events = dvs_events([1, 2], [1, 2], [0, 5], [0, 1])
    with pytest.raises(SpecError, match="--polarity merge"):
        dynapspec.simulate(LENET / "net.yaml", events)
    with pytest.warns(DynapspecWarning, match="channel 0"):
        result = dynapspec.simulate(LENET / "net.yaml", events, polarity="merge")
    assert result.input_count == 2


def test_deploy_without_a_board_runs_on_the_simulator_and_says_so(monkeypatch):
    import dynapspec.hardware

    missing = dynapspec.hardware.sdk.fail("samna-missing", "samna is not installed")
    monkeypatch.setattr(dynapspec.hardware.sdk, "problem", lambda: missing)
    with pytest.warns(DynapspecWarning, match="running on the simulator"):
        result = dynapspec.deploy(LENET / "net.yaml", events=LENET / "input.h5", duration_s=0.05)
    sent = read_event_file(LENET / "input.h5").input
    assert result.device == "sim" and result.input_count == int(np.sum(sent["t"] < 50_000))
    assert dynapspec.deploy(LENET / "net.yaml", "sim", spike_events([0], [0], [1], [1])).input_count == 1


def test_printing_results_shows_what_they_are_not_every_number():
    from dynapspec.compiler import compile_spec

    config = dynapspec.compile(LENET / "net.yaml")
    result = dynapspec.simulate(config, LENET / "input.h5", states=True)
    compiled = compile_spec(LENET / "net.yaml")
    for obj in (config, result, compiled, compiled.spec, compiled.network, compiled.network.layers[0],
                read_event_file(LENET / "input.h5")):
        text = repr(obj)
        assert len(text) < 800 and "\n" not in text, type(obj).__name__
    assert "input_count=3877" in repr(result) and "<6 x (t, core, c, x, y)>" in repr(result)
    assert "'conv1': <int16 array 20x24x24>" in repr(result)
    assert "conv1: core 0" in repr(config)
