"""The README's promises: its Python example runs, and its main command works as written."""
import re
import shlex
from pathlib import Path

from typer.testing import CliRunner

from dynapspec.cli.main import app

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_python_example_runs(monkeypatch):
    monkeypatch.chdir(ROOT)
    (block,) = re.findall(r"```python\n(.*?)```", README, re.S)
    namespace = {}
    exec(compile(block, "README.md", "exec"), namespace)
    assert namespace["result"].spike_counts["out"] > 0


def test_main_command_runs(monkeypatch):
    monkeypatch.chdir(ROOT)
    first = re.search(r"```sh\n(.*?)\n```", README, re.S).group(1)
    command = first.split("&&")[-1].strip()
    args = shlex.split(command)
    assert args[:2] == ["dynapspec", "deploy"]
    result = CliRunner().invoke(app, args[1:])
    assert result.exit_code == 0, result.output
    # what the README shows it prints, but for the wall time
    shown = re.search(r"It prints what ran.*?```text\n(.*?)\n```", README, re.S).group(1).splitlines()
    printed = result.stdout.splitlines()
    assert len(printed) == len(shown)
    for line, expected in zip(printed, shown):
        if line.startswith("time:"):
            line, expected = line.rsplit(" took ", 1)[0], expected.rsplit(" took ", 1)[0]
        assert line == expected
