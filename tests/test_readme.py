"""The README's promises: its Python example runs, and its main command works as written."""
import re
import shlex
from pathlib import Path

from typer.testing import CliRunner

from dynapspec.cli.main import app

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_python_example_runs(monkeypatch, lenet_oracle):
    monkeypatch.chdir(ROOT)
    (block,) = re.findall(r"```python\n(.*?)```", README, re.S)
    namespace = {}
    exec(compile(block, "README.md", "exec"), namespace)
    _, _, counts = lenet_oracle
    assert namespace["result"].spike_counts == counts  # what the spec says lenet does on input.h5


def test_main_command_runs(monkeypatch, lenet_oracle):
    monkeypatch.chdir(ROOT)
    first = re.search(r"```sh\n(.*?)\n```", README, re.S).group(1)
    command = first.split("&&")[-1].strip()
    args = shlex.split(command)
    assert args[:2] == ["dynapspec", "deploy"]
    result = CliRunner().invoke(app, args[1:])
    assert result.exit_code == 0, result.output
    _, _, counts = lenet_oracle
    assert "spikes per layer: " + ", ".join(f"{name} {n}" for name, n in counts.items()) in result.output
