"""Help that reads whole: full one-line descriptions, man-page usage lines, the same short options."""
from __future__ import annotations

import re

from typer.testing import CliRunner

from dynapspec.cli.main import app

runner = CliRunner()  # an 80-column terminal


def commands():
    return [c.name for c in app.registered_commands]


def test_the_command_list_shows_whole_sentences():
    out = runner.invoke(app, ["--help"]).output
    listed = out.split("Commands:")[1].split("\n\n")[0].strip().splitlines()  # the epilog follows
    assert {line.split()[0] for line in listed} == set(commands())
    assert not [line for line in listed if line.rstrip().endswith("...")]


def test_usage_lines_name_arguments_plainly():
    for name in commands():
        usage = runner.invoke(app, [name, "--help"]).output.splitlines()[0]
        assert usage.startswith(f"Usage: dynapspec {name}") and "{" not in usage, usage
    assert runner.invoke(app, ["validate", "--help"]).output.startswith("Usage: dynapspec validate [OPTIONS] SPEC...")


def test_every_target_option_has_its_short_form():
    for name in commands():
        out = runner.invoke(app, [name, "--help"]).output
        if re.search(r"--target\b(?!s)", out):
            assert "-t, --target" in out, name
