"""`dynapspec validate | compile | summary` through the real command line."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
from typer.testing import CliRunner

from dynapspec.cli.main import app

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p.parent for p in (ROOT / "examples").glob("*/net.yaml"))
runner = CliRunner()


def invoke(*args):
    result = runner.invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def lenet(tmp_path):
    for name in ("net.yaml", "net.h5"):
        shutil.copy(ROOT / "examples" / "lenet" / name, tmp_path / name)
    return tmp_path / "net.yaml"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_every_example_validates(example):
    result = invoke("validate", example / "net.yaml")
    assert result.exit_code == 0, result.output
    assert ": ok" in result.output


def test_compile_writes_default_output_and_is_byte_identical(lenet):
    assert invoke("compile", lenet).exit_code == 0
    out = lenet.with_name("net.config.json")
    first = out.read_bytes()
    assert invoke("compile", lenet).exit_code == 0
    assert out.read_bytes() == first
    doc = json.loads(first)
    assert doc["header"]["target"] == "speck2fdevkit"
    assert [layer["memory"]["kernel"] for layer in doc["header"]["layers"]] == [1024, 20480, 65536, 65536, 8000]
    assert not list(lenet.parent.glob(".*.tmp")), "temporary files left behind"


def test_compile_in_a_fresh_process_is_byte_identical_to_in_process(lenet, tmp_path):
    out = tmp_path / "fresh.json"
    subprocess.run([sys.executable, "-m", "dynapspec", "compile", str(lenet), "-o", str(out)], check=True, capture_output=True)
    from dynapspec.compiler import compile_spec

    assert out.read_text() == compile_spec(lenet).config.to_json()


def test_check_passes_when_current_and_catches_a_one_weight_change(lenet):
    assert invoke("compile", lenet).exit_code == 0
    result = invoke("compile", "--check", lenet)
    assert result.exit_code == 0 and "up to date" in result.output
    with h5py.File(lenet.with_name("net.h5"), "r+") as f:
        data = f["conv1/weight"][...]
        data[3, 0, 2, 1] = -data[3, 0, 2, 1] + 0.5
        f["conv1/weight"][...] = data
    before = lenet.with_name("net.config.json").read_bytes()
    result = invoke("compile", "--check", lenet)
    assert result.exit_code == 1
    assert "error[config-stale]" in result.output
    lines = [line.strip() for line in result.output.splitlines()]
    # one element of conv1's weights (samna layout [f][c][x][y]: spec [3, 0, 2, 1] is [3][0][1][2]) and its fingerprint
    assert any(line.startswith("chip.cnn_layers[0].weights: ") and " of 500 values differ" in line for line in lines), result.output
    assert any(line.startswith("header.weights_sha256./conv1/weight: ") for line in lines), result.output
    assert max(len(line) for line in lines[1:]) < 200  # after the headline, one short line per difference
    assert lenet.with_name("net.config.json").read_bytes() == before  # --check writes nothing


def test_check_without_a_committed_file_fails(lenet):
    result = invoke("compile", "--check", lenet)
    assert result.exit_code == 1 and "does not exist" in result.output


def test_compile_to_stdout_and_other_target(lenet):
    result = invoke("compile", lenet, "-o", "-", "--target", "dynapcnndevkit")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["header"]["target"] == "dynapcnndevkit"
    assert "weights_kill_bit" in doc["chip"]["cnn_layers"][0]


def test_unknown_target_option_is_invalid_input(lenet):
    result = invoke("compile", lenet, "--target", "speck9")
    assert result.exit_code == 1 and "unknown-target" in result.output


def _too_big(spec: Path, layers: str, weights: dict) -> Path:
    spec.write_text(
        "dynapspec: 1\nname: big\ntarget: speck2fdevkit\ninput:\n  shape: [16, 64, 64]\nlayers:\n" + layers,
        encoding="utf-8",
    )
    with h5py.File(spec.with_suffix(".h5"), "w") as f:
        for name, shape in weights.items():
            f[f"{name}/weight"] = np.random.default_rng(0).normal(0, 0.1, shape).astype(np.float32)
    return spec


def test_a_layer_too_big_for_any_core_fails_with_its_needs_and_writes_nothing(tmp_path):
    spec = _too_big(tmp_path / "net.yaml", "  - name: big\n    conv: {channels: 32, kernel: 3, padding: 1}\n", {"big": (32, 16, 3, 3)})
    out = tmp_path / "out.json"
    result = invoke("compile", spec, "-o", out)
    assert result.exit_code == 1
    assert "net.yaml:7:5: error[layer-fits-no-core]" in result.output
    assert "neuron 131072 (128 Ki)" in result.output and "hint:" in result.output
    assert not out.exists() and not list(tmp_path.glob(".*.tmp"))


def test_ten_layers_fail(tmp_path):
    layers = "".join(f"  - name: l{i}\n    conv: {{channels: 16, kernel: 1}}\n" for i in range(10))
    spec = _too_big(tmp_path / "net.yaml", layers, {f"l{i}": (16, 16, 1, 1) for i in range(10)})
    result = invoke("compile", spec, "-o", tmp_path / "out.json")
    assert result.exit_code == 1 and "error[too-many-layers]" in result.output
    assert not (tmp_path / "out.json").exists()


def test_a_dense_layer_of_999999_outputs_fails(tmp_path):
    spec = _too_big(tmp_path / "net.yaml", "  - name: fc\n    dense: {features: 999999}\n", {})
    result = invoke("compile", spec, "-o", tmp_path / "out.json")
    assert result.exit_code == 1
    assert "net.yaml:8:23: error[features-range] layers[0].dense.features" in result.output
    assert "999999" in result.output and "1..1024" in result.output
    assert not (tmp_path / "out.json").exists()


def test_validate_json_format_lists_diagnostics(tmp_path):
    spec = _too_big(tmp_path / "net.yaml", "  - name: big\n    conv: {channels: 32, kernel: 3, padding: 1}\n", {"big": (32, 16, 3, 3)})
    result = invoke("validate", spec, "--format", "json")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["valid"] is False
    assert doc["diagnostics"][0]["code"] == "layer-fits-no-core" and doc["diagnostics"][0]["line"] == 7
    assert doc["diagnostics"][0]["layer"] == "big"
    assert invoke("validate", spec, "--format", "xml").exit_code == 2


def test_summary_shows_layers_and_core_use(lenet):
    result = invoke("summary", lenet)
    assert result.exit_code == 0
    assert "conv3" in result.output and "65536/65536 (100%)" in result.output
    assert "(free)" in result.output


def test_output_directories_are_made_and_unwritable_output_is_an_io_failure(lenet, tmp_path):
    assert invoke("compile", lenet, "-o", tmp_path / "build" / "lenet" / "out.json").exit_code == 0
    assert (tmp_path / "build" / "lenet" / "out.json").is_file()
    (tmp_path / "afile").write_text("x")
    result = invoke("compile", lenet, "-o", tmp_path / "afile" / "out.json")  # a file where a directory should be
    assert result.exit_code == 3 and "error[output-write]" in result.output


def test_rules_lists_every_code_once_and_only_codes_the_package_raises():
    """Each registered code once, with its sentence; and each of them appears in the package outside
    the registry (a code nothing can raise is dead, as `quant-clipped` was)."""
    from dynapspec.errors import CODES

    result = invoke("rules")
    assert result.exit_code == 0
    listed = [line.split(None, 2) for line in result.stdout.split("\n\n")[0].splitlines()]
    assert [code for code, _, _ in listed] == sorted(CODES)
    assert all(sentence == CODES[code][1] for code, _, sentence in listed)
    sources = [p.read_text(encoding="utf-8") for p in (ROOT / "dynapspec").rglob("*")
               if p.suffix in (".py", ".json", ".yaml") and p.name != "errors.py"]
    unused = [code for code in CODES if not any(f'"{code}"' in text for text in sources)]
    assert unused == []


@pytest.mark.parametrize("code, status", [("kernel-range", 1), ("output-write", 3), ("device-string", 2)])
def test_explain_gives_the_sentence_and_the_exit_status(code, status):
    from dynapspec.errors import CODES

    result = invoke("explain", code)
    assert result.exit_code == 0
    assert result.stdout.startswith(f"{code} (error: exit status {status})\n\n{CODES[code][1]}\n")


def test_explain_an_unknown_code_is_a_usage_error():
    result = invoke("explain", "no-such-code")
    assert result.exit_code == 2 and "unknown code 'no-such-code'; `dynapspec rules` lists them" in result.stderr


def test_version():
    from dynapspec import __version__

    assert invoke("--version").stdout == f"dynapspec {__version__}\n"


def test_every_command_has_help_naming_what_it_does_and_every_option():
    import typer

    from dynapspec.cli.main import app

    group = typer.main.get_command(app)
    top = " ".join(invoke("--help").stdout.split())
    for name, command in group.commands.items():
        assert name in top, f"{name} missing from dynapspec --help"
        result = invoke(name, "--help")
        assert result.exit_code == 0, name
        text = " ".join(result.stdout.split())
        assert text.startswith(f"Usage: dynapspec {name} ")
        assert " ".join(command.help.split("\n\n")[0].split()) in text, f"{name}: summary line"
        for param in command.params:
            if param.param_type_name == "option" and not param.hidden:
                assert any(opt in text for opt in param.opts), f"{name}: {param.opts} not in its help"


def test_written_files_get_the_usual_permissions(lenet):
    import os

    assert invoke("compile", lenet).exit_code == 0
    mode = lenet.with_name("net.config.json").stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask


def test_several_specs_are_all_checked_and_every_problem_reported(lenet, tmp_path):
    bad = _too_big(tmp_path / "big.yaml", "  - name: big\n    conv: {channels: 32, kernel: 3, padding: 1}\n", {"big": (32, 16, 3, 3)})
    result = invoke("validate", bad, lenet)
    assert result.exit_code == 1
    assert "error[layer-fits-no-core]" in result.output and f"{lenet}: ok" in result.output
    result = invoke("validate", bad, lenet, "--format", "json")
    doc = json.loads(result.stdout)
    assert result.exit_code == 1 and doc["valid"] is False
    assert [d["code"] for d in doc["diagnostics"] if d["severity"] == "error"] == ["layer-fits-no-core"]


def test_compile_and_check_several_specs(lenet, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    for name in ("net.yaml", "net.h5"):
        shutil.copy(lenet.with_name(name), other / name)
    assert invoke("compile", lenet, other / "net.yaml").exit_code == 0
    assert invoke("compile", "--check", lenet, other / "net.yaml").exit_code == 0
    (other / "net.config.json").write_text("{}")
    result = invoke("compile", "--check", lenet, other / "net.yaml")
    assert result.exit_code == 1 and result.output.count("error[config-stale]") == 1
    assert f"{lenet.with_name('net.config.json')}: up to date" in result.output
    assert invoke("compile", lenet, other / "net.yaml", "-o", tmp_path / "x.json").exit_code == 2


def test_pre_commit_hooks_run_real_commands(lenet):
    import shlex

    import yaml

    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert {h["id"] for h in hooks} == {"dynapspec-validate", "dynapspec-check"}
    assert invoke("compile", lenet).exit_code == 0
    for hook in hooks:
        assert {"id", "name", "entry", "language"} <= set(hook) and hook["language"] == "python"
        program, *args = shlex.split(hook["entry"])
        assert program == "dynapspec"
        result = invoke(*args, lenet)  # as pre-commit runs it, with the user's spec in `args`
        assert result.exit_code == 0, (hook["id"], result.output)


def test_line_endings_do_not_change_the_compiled_document(lenet):
    assert invoke("compile", lenet).exit_code == 0
    lenet.write_bytes(lenet.read_bytes().replace(b"\n", b"\r\n"))  # a Windows checkout
    result = invoke("compile", "--check", lenet)
    assert result.exit_code == 0, result.output


def test_stale_hint_repeats_output_and_target(lenet, tmp_path):
    out = tmp_path / "build" / "lenet.json"
    assert invoke("compile", lenet, "-o", out, "--target", "speck2edevkit").exit_code == 0
    result = invoke("compile", "--check", lenet, "-o", out)
    assert result.exit_code == 1
    assert f"run `dynapspec compile {lenet} -o {out}`" in result.output
    assert invoke("compile", "--check", lenet, "-o", out, "--target", "speck2edevkit").exit_code == 0
