"""Exit statuses: an internal error (a bug) is 70, apart from a device failure (3); every place that
lists the statuses says the same."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dynapspec.cli.main import app
from dynapspec.errors import EXIT_STATUSES

ROOT = Path(__file__).resolve().parent.parent
LENET = ROOT / "examples" / "lenet" / "net.yaml"


def invoke(*args, env=None):
    return CliRunner().invoke(app, [str(a) for a in args], env=env)


@pytest.fixture
def broken_schema(monkeypatch):
    """`dynapspec schema` with a bug planted in the function it calls."""
    import dynapspec.spec.schema

    def boom():
        raise RuntimeError("planted bug")

    monkeypatch.setattr(dynapspec.spec.schema, "schema_text", boom)
    monkeypatch.delenv("DYNAPSPEC_DEBUG", raising=False)


def test_an_internal_error_exits_70_with_one_line_and_no_traceback(broken_schema):
    result = invoke("schema")
    assert result.exit_code == 70
    assert result.stderr.splitlines() == [
        "internal error: RuntimeError: planted bug",
        "This is a bug in dynapspec; rerun with DYNAPSPEC_DEBUG=1 for a traceback and report it.",
    ]
    assert result.stdout == ""


def test_dynapspec_debug_lets_the_traceback_through(broken_schema):
    result = invoke("schema", env={"DYNAPSPEC_DEBUG": "1"})
    assert isinstance(result.exception, RuntimeError) and str(result.exception) == "planted bug"


def test_a_device_or_io_failure_keeps_status_3(tmp_path):
    (tmp_path / "afile").write_text("a file where a directory should be")
    result = invoke("compile", LENET, "-o", tmp_path / "afile" / "out.json")
    assert result.exit_code == 3 and "error[output-write]" in result.stderr


def test_readme_help_and_rules_list_the_same_exit_statuses():
    readme = re.search(r"^Exit status: (.*)\.$", (ROOT / "README.md").read_text(), re.M).group(1)
    assert readme == EXIT_STATUSES
    assert f"Exit status: {EXIT_STATUSES}." in " ".join(invoke("--help").stdout.split())
    assert invoke("rules").stdout.splitlines()[-1] == f"Exit status: {EXIT_STATUSES}."
    spec_doc = " ".join((ROOT / "docs" / "spec.md").read_text().split())
    assert "Exit status: 0 ok, 1 invalid input, 2 command-line usage, 3 device or I/O failure, 70 internal error." in spec_doc


def test_the_callers_environment_does_not_steer_the_tests(tmp_path):
    """conftest.py's neutral_environment: with DYNAPSPEC_DEBUG=1 in the shell that runs pytest, the
    internal-error test above still sees exit status 70 (not the traceback the variable asks for),
    and a process a test starts does not inherit the variable."""
    import subprocess
    import sys

    probe = tmp_path / "test_probe.py"
    probe.write_text("import os, subprocess, sys\n\ndef test_child():\n"
                     "    out = subprocess.run([sys.executable, '-c', 'import os; print(os.environ.get(\"DYNAPSPEC_DEBUG\"))'],"
                     " capture_output=True, text=True).stdout\n    assert out.strip() == 'None'\n")
    (tmp_path / "conftest.py").write_text((ROOT / "tests" / "conftest.py").read_text())
    env = {**__import__("os").environ, "DYNAPSPEC_DEBUG": "1"}
    here = "tests/test_exit_status.py::test_an_internal_error_exits_70_with_one_line_and_no_traceback"
    # --no-cov: the inner run must not erase or overwrite this run's coverage data (it shares the folder)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--no-cov", here,
                           str(probe), "--rootdir", str(ROOT), "-o", f"pythonpath={ROOT / 'tests'}"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "2 passed" in proc.stdout
