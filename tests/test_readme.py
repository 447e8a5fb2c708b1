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
    # what the README shows it prints, but for the wall time
    shown = re.search(r"It prints what ran.*?```text\n(.*?)\n```", README, re.S).group(1).splitlines()
    printed = result.stdout.splitlines()
    assert len(printed) == len(shown)
    for line, expected in zip(printed, shown):
        if line.startswith("time:"):
            line, expected = line.rsplit(" took ", 1)[0], expected.rsplit(" took ", 1)[0]
        assert line == expected


def _readme_commands():
    """The README's example command lines (the block after "What it looks like"), comments removed."""
    block = re.search(r"## What it looks like.*?```sh\n(.*?)```", README, re.S).group(1)
    return [shlex.split(line.split("#")[0]) for line in block.splitlines() if line.strip()]


def test_readme_commands_run_in_order_and_leave_no_untracked_files(tmp_path, monkeypatch):
    """Every README command whose files the repository has runs as written, in order (so
    `compile --check` after `compile` passes), and what they write is covered by .gitignore."""
    import shutil
    import subprocess

    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]
    tracked = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True, check=True).stdout
    for name in filter(None, tracked.decode().split("\0")):
        if (ROOT / name).is_file():
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / name, tmp_path / name)
    subprocess.run(git + ["init", "-q"], cwd=tmp_path, check=True)
    subprocess.run(git + ["add", "-A"], cwd=tmp_path, check=True)
    subprocess.run(git + ["commit", "-qm", "clone"], cwd=tmp_path, check=True)
    monkeypatch.chdir(tmp_path)
    ran = []
    for args in _readme_commands():
        inputs = [a for i, a in enumerate(args) if "." in a and not a.startswith("-") and args[i - 1] not in ("-o", "--template")]
        if args[1] == "devices" or not all(Path(a).exists() for a in inputs):
            continue  # needs a board, or stands for the user's own files (net.yaml, model.nir)
        result = CliRunner().invoke(app, args[1:])
        assert result.exit_code == 0, (args, result.output)
        ran.append(args[1])
    assert {"validate", "summary", "compile", "simulate", "rules"} <= set(ran)
    untracked = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=tmp_path,
                               capture_output=True, text=True, check=True).stdout
    assert untracked == "", f"README commands leave files .gitignore does not cover:\n{untracked}"
