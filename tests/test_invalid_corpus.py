"""The invalid corpus: each tests/invalid/*.yaml holds one defect, and `dynapspec validate` must say so.

A case file starts with comment lines: ``# defect:`` (what is wrong), ``# expect:`` (the diagnostic
code), optionally ``# says:`` (words the message must contain) and ``# h5:`` (the weight file,
described as in tests/weightfiles.py); the line that must be reported carries a ``# <--`` marker.
Each case runs in its own directory as ``net.yaml`` + ``net.h5`` through the real command line:
exit status 1, exactly the expected code, at the marked line, one line per problem, and never a
traceback.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import weightfiles
from dynapspec.cli.main import app

CORPUS = sorted((Path(__file__).parent / "invalid").glob("*.yaml"))
_DIAG = re.compile(r"^net\.yaml:(\d+):(\d+): error\[([a-z0-9-]+)\] ", re.M)
_ANY_DIAG = re.compile(r"^net\.yaml(:\d+){0,2}: (error|warning)\[[a-z0-9-]+\] ")


def _expectation(path: Path):
    text = path.read_text(encoding="utf-8")
    code = re.search(r"^# expect: (\S+)$", text, re.M).group(1)
    h5 = re.search(r"^# h5: (.*)$", text, re.M)
    lines = [i for i, line in enumerate(text.splitlines(), 1) if "# <--" in line]
    return code, (h5.group(1) if h5 else "none"), lines


def _says(path: Path) -> str:
    found = re.search(r"^# says: (.*)$", path.read_text(encoding="utf-8"), re.M)
    return found.group(1) if found else ""


def _prepare(path: Path, directory: Path) -> tuple:
    code, h5, lines = _expectation(path)
    shutil.copy(path, directory / "net.yaml")
    weightfiles.write(directory / "net.h5", h5)
    return code, lines[0]


def _check(output: str, exit_code: int, code: str, line: int, says: str = "") -> None:
    assert "Traceback" not in output, output
    assert exit_code == 1, output
    found = _DIAG.findall(output)
    assert (str(line), code) in {(ln, c) for ln, _, c in found}, output
    assert {c for _, _, c in found} == {code}, f"more than the one defect reported:\n{output}"
    assert all(_ANY_DIAG.match(text) for text in output.splitlines() if text.strip()), f"not one line per problem:\n{output}"
    assert says in output, output


def test_corpus_is_big_and_well_formed():
    assert len(CORPUS) >= 40
    for path in CORPUS:
        code, _, lines = _expectation(path)
        assert len(lines) == 1, f"{path.name}: one `# <--` marker expected"
        assert re.fullmatch(r"[a-z0-9-]+", code)


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_invalid_case(path, tmp_path, monkeypatch):
    code, line = _prepare(path, tmp_path)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["validate", "net.yaml"])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    _check(result.output, result.exit_code, code, line, _says(path))


@pytest.mark.parametrize("name", ["kernel_17", "yaml_alias_bomb", "weights_nan", "unknown_destination"])
def test_invalid_case_through_a_real_process(name, tmp_path):
    code, line = _prepare(Path(__file__).parent / "invalid" / f"{name}.yaml", tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "dynapspec", "validate", "net.yaml"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    _check(proc.stdout + proc.stderr, proc.returncode, code, line)
