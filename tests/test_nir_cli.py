"""`dynapspec import` and `dynapspec export`: files written, messages, exit statuses."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dynapspec import spec as specmod
from dynapspec.cli.main import app

FIXTURES = Path(__file__).parent / "fixtures" / "nir"
LENET = Path(__file__).parent.parent / "examples" / "lenet" / "net.yaml"


def run(*args):
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result.exit_code, result.output


def test_import_writes_spec_and_weights_beside_it(tmp_path):
    code, output = run("import", FIXTURES / "cnn_sinabs.nir", "-o", tmp_path / "net.yaml", "--target", "speck2edevkit")
    assert code == 0, output
    assert "wrote" in output and "warning[nir-decision]" in output and "--reset subtract" in output
    spec = specmod.load(tmp_path / "net.yaml")
    assert spec.target == "speck2edevkit" and Path(spec.weights_file).name == "net.h5"


def test_import_default_output_and_reset_option(tmp_path):
    model = tmp_path / "cnn.nir"
    shutil.copy(FIXTURES / "cnn_sinabs.nir", model)
    code, output = run("import", model, "--reset", "subtract")
    assert code == 0, output
    assert "nir-decision" not in output
    assert {layer.neuron.reset for layer in specmod.load(tmp_path / "cnn.yaml").layers} == {"subtract"}


def test_import_refuses_to_overwrite_without_force(tmp_path):
    (tmp_path / "net.yaml").write_text("mine\n")
    code, output = run("import", FIXTURES / "cnn_sinabs.nir", "-o", tmp_path / "net.yaml")
    assert code == 2 and "--force" in output
    assert (tmp_path / "net.yaml").read_text() == "mine\n"
    code, _ = run("import", FIXTURES / "cnn_sinabs.nir", "-o", tmp_path / "net.yaml", "--force")
    assert code == 0


def test_import_refusal_exits_1_and_writes_nothing(tmp_path):
    code, output = run("import", FIXTURES / "lif_norse.nir", "-o", tmp_path / "net.yaml")
    assert code == 1
    assert "error[nir-unsupported]" in output and "node '1' (LIF)" in output and "Traceback" not in output
    assert list(tmp_path.iterdir()) == []


def test_import_usage_errors(tmp_path):
    code, output = run("import", FIXTURES / "cnn_sinabs.nir", "-o", tmp_path / "n.yaml", "--target", "speck9")
    assert code == 2 and "unknown target" in output
    code, _ = run("import", FIXTURES / "cnn_sinabs.nir", "-o", tmp_path / "n.yaml", "--reset", "sometimes")
    assert code == 2
    code, output = run("import", FIXTURES / "cnn_sinabs.nir", "-o", tmp_path / "n.h5")
    assert code == 2 and "Invalid value for --output" in output and "(.yaml)" in output
    code, output = run("import", tmp_path / "missing.nir", "-o", tmp_path / "n.yaml")
    assert code == 1 and "file-not-found" in output
    assert "Traceback" not in output and "internal error" not in output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command, examples", [
    ("import", ["dynapspec import model.nir -o net.yaml",
                "dynapspec import model.nir -o net.yaml --target speck2edevkit --reset subtract --force"]),
    ("export", ["dynapspec export examples/lenet/net.yaml", "dynapspec export net.yaml -o model.nir"]),
])
def test_help_shows_examples_one_per_line(command, examples):
    code, output = run(command, "--help")
    assert code == 0
    lines = [line.strip() for line in output.splitlines()]
    assert "Examples:" in lines and "\b" not in lines
    for example in examples:
        assert example in lines  # not rewrapped into a paragraph


def test_import_reports_what_the_written_spec_still_needs(tmp_path):
    """A network the spec language can say but the chip cannot run: written, then reported, exit 1."""
    import numpy as np
    from nir_files import chain, conv, if_, inp, out, write_nir

    w = np.random.default_rng(0).normal(size=(4, 1, 3, 3))
    write_nir(tmp_path / "big.nir", {"input": inp(1, 200, 200), "c": conv(w), "s": if_((4, 198, 198)),
                                     "output": out(4, 198, 198)}, chain("input", "c", "s", "output"))
    code, output = run("import", tmp_path / "big.nir", "-o", tmp_path / "big.yaml")
    assert code == 1
    assert (tmp_path / "big.yaml").exists() and (tmp_path / "big.h5").exists()
    assert "needs changes before it compiles" in output and "input-size" in output


def test_export_writes_nir(tmp_path):
    code, output = run("export", LENET, "-o", tmp_path / "lenet.nir")
    assert code == 0, output
    assert (tmp_path / "lenet.nir").exists() and "5 layers" in output


def test_export_of_invalid_spec_exits_1(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("dynapspec: 1\nname: x\n")
    code, output = run("export", bad, "-o", tmp_path / "x.nir")
    assert code == 1 and "spec-missing-key" in output
    assert not (tmp_path / "x.nir").exists()
