"""`dynapspec rules` and `explain`: every code says whether it is an error or a warning, what
triggers it, an example and the fix; the severities match how the code is actually raised."""
from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from dynapspec.cli.main import app
from dynapspec.errors import CODES, explanations

ROOT = Path(__file__).resolve().parent.parent


def invoke(*args):
    result = CliRunner().invoke(app, list(args))
    assert "Traceback" not in result.output
    return result


def test_every_code_is_explained_with_trigger_example_and_fix():
    assert set(explanations()) == set(CODES)
    for code, entry in explanations().items():
        assert entry["severity"] in ("error", "warning"), code
        assert all(str(entry[k]).strip() for k in ("trigger", "example", "fix")), code


def test_severities_match_how_the_package_raises_each_code():
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "dynapspec").rglob("*.py"))
    raised_as_warning = set(re.findall(r'\bwarning\(\s*"([a-z0-9-]+)"', source))
    marked_warning = {code for code, entry in explanations().items() if entry["severity"] == "warning"}
    assert raised_as_warning == marked_warning


def test_rules_marks_errors_and_warnings():
    listing = invoke("rules").output.split("\n\n")[0]  # the exit statuses follow
    lines = {line.split()[0]: line.split()[1] for line in listing.splitlines()}
    assert lines["weight-above-threshold"] == "W" and lines["kernel-range"] == "E" and len(lines) == len(CODES)


def test_explain_tells_more_than_rules():
    result = invoke("explain", "pool-remainder")
    assert result.exit_code == 0
    out = result.output
    assert out.startswith("pool-remainder (warning: reported, the command goes on)")
    assert "trigger:" in out and "example: a 7x7 map pooled by 2 keeps 3x3" in out and "fix:" in out
    assert "error: exit status 1" in invoke("explain", "bias-nonzero").output
    typo = invoke("explain", "kernel-rang")
    assert typo.exit_code == 2 and "did you mean kernel-range" in typo.output
