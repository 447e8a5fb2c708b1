"""Configuration repositories: directories and patterns on validate / compile --check, and the
pre-commit hooks as pre-commit runs them (the changed files matching `files:`, passed as arguments)."""
from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from dynapspec.cli.main import app

ROOT = Path(__file__).resolve().parent.parent
HOOKS = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}


def invoke(*args):
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """networks/{a,b}/net.yaml + net.h5 (lenet), and YAML files that are not specs."""
    for name in ("a", "b"):
        (tmp_path / "networks" / name).mkdir(parents=True)
        for file in ("net.yaml", "net.h5"):
            shutil.copy(ROOT / "examples" / "lenet" / file, tmp_path / "networks" / name / file)
    (tmp_path / ".pre-commit-config.yaml").write_text("repos: []\n")
    (tmp_path / "networks" / "ci.yml").write_text("jobs: {}\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def hook(hook_id: str, changed):
    """Run a hook as pre-commit does: its entry, plus the changed files its `files:` pattern matches."""
    spec = HOOKS[hook_id]
    assert spec["pass_filenames"] is True and spec["language"] == "python"
    program, *args = shlex.split(spec["entry"])
    assert program == "dynapspec"
    return invoke(*args, *[f for f in changed if re.search(spec["files"], f)])


def test_a_directory_means_every_spec_below_it(repo):
    result = invoke("validate", "networks")
    assert result.exit_code == 0, result.output
    assert "networks/a/net.yaml: ok" in result.output and "networks/b/net.yaml: ok" in result.output
    assert "ci.yml" not in result.output


def test_quoted_patterns_are_expanded_without_a_shell(repo):
    result = invoke("validate", "networks/*/net.yaml")
    assert result.exit_code == 0 and result.output.count(": ok") == 2
    assert invoke("validate", "networks/**/*.yaml").output.count(": ok") == 2
    result = invoke("validate", "nets/*/net.yaml")
    assert result.exit_code == 2 and "matches no dynapspec spec" in result.output


def test_a_directory_without_specs_is_a_usage_error(repo):
    (repo / "empty").mkdir()
    result = invoke("compile", "--check", "empty")
    assert result.exit_code == 2 and "holds no dynapspec spec" in result.output


def test_check_finds_specs_whose_config_was_never_committed(repo):
    assert invoke("compile", "networks").exit_code == 0
    assert invoke("compile", "--check", "networks").exit_code == 0
    (repo / "networks" / "c").mkdir()
    for file in ("net.yaml", "net.h5"):
        shutil.copy(repo / "networks" / "a" / file, repo / "networks" / "c" / file)
    result = invoke("compile", "--check", "networks")
    assert result.exit_code == 1
    assert "networks/c/net.config.json does not exist; run `dynapspec compile networks/c/net.yaml`" in result.output
    assert "networks/a/net.config.json: up to date" in result.output


def test_hooks_check_the_specs_among_the_changed_files(repo):
    assert invoke("compile", "networks").exit_code == 0
    result = hook("dynapspec-validate", [".pre-commit-config.yaml", "networks/ci.yml", "networks/b/net.yaml", "README.md"])
    lines = result.output.strip().splitlines()
    assert result.exit_code == 0 and len(lines) == 1 and lines[0].startswith("networks/b/net.yaml: ok")
    assert hook("dynapspec-check", [".pre-commit-config.yaml"]).exit_code == 0  # no spec changed: nothing to do


def test_a_changed_weight_file_or_config_stands_for_its_spec(repo):
    assert invoke("compile", "networks").exit_code == 0
    result = hook("dynapspec-validate", ["networks/a/net.h5"])
    assert result.exit_code == 0 and "networks/a/net.yaml: ok" in result.output and "networks/b" not in result.output
    config = repo / "networks" / "a" / "net.config.json"
    config.write_text(config.read_text().replace('"threshold_high": ', '"threshold_high": 1', 1))
    result = hook("dynapspec-check", ["networks/a/net.config.json"])
    assert result.exit_code == 1 and "error[config-stale]" in result.output and "networks/b" not in result.output


def test_a_new_network_without_its_config_fails_the_check_hook(repo):
    assert invoke("compile", "networks/a").exit_code == 0
    result = hook("dynapspec-check", ["networks/b/net.yaml", "networks/b/net.h5"])
    assert result.exit_code == 1 and "networks/b/net.config.json does not exist" in result.output


def test_explicit_non_spec_files_are_refused_outside_hooks(repo):
    (repo / "README.md").write_text("# configs\n")
    result = invoke("validate", "README.md")
    assert result.exit_code == 2 and "is not a spec" in result.output
