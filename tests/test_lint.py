"""The checks a linter and a type checker make, run as tests so that CI's one command
(``python -m pytest``, as the README says) runs them: ruff with the selection in pyproject.toml
([tool.ruff]) and mypy on the package ([tool.mypy]). docs/contributing.md says what is selected and why."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINTED = ("dynapspec", "tests", "benchmarks", "examples", "docs", "setup.py")


def _tool(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True, timeout=900)


def test_ruff_finds_nothing_in_the_repository():
    ran = _tool("ruff", "check", "--no-cache", *LINTED)
    assert ran.returncode == 0, ran.stdout + ran.stderr


def test_the_ruff_selection_catches_what_it_names(tmp_path):
    """The configuration is live: an ambiguous name (E741), a blind except (BLE001), a raise without
    ``from`` inside except (B904) and a stale ``noqa`` (RUF100) are each reported; a lazy import
    inside a function (deliberate here: start-up time, samna) and typer's ``Option()`` default are not."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import typer\n\n\n"
        "def f(x=typer.Option(1)):\n"
        "    import json\n\n"
        "    l = json.dumps(x)  # noqa: E501\n"
        "    try:\n"
        "        return l\n"
        "    except Exception:\n"
        "        raise ValueError(l)\n"
    )
    ran = _tool("ruff", "check", "--no-cache", "--config", str(ROOT / "pyproject.toml"), "--output-format", "concise",
                str(sample), cwd=tmp_path)
    found = set(re.findall(r": ([A-Z]+[0-9]+) ", ran.stdout))
    assert found == {"E741", "BLE001", "B904", "RUF100"}, ran.stdout + ran.stderr


def test_mypy_finds_nothing_in_the_package():
    ran = _tool("mypy")  # what to check and how: [tool.mypy] in pyproject.toml
    assert ran.returncode == 0, ran.stdout + ran.stderr
    checked = re.search(r"no issues found in (\d+) source files", ran.stdout)
    package = sum(1 for _ in (ROOT / "dynapspec").rglob("*.py"))
    assert checked and int(checked.group(1)) >= package, ran.stdout  # the whole package, not a part of it
