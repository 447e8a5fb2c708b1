"""The documentation stands alone: every file it or the package cites is in the repository.

A reader has the repository and nothing else, so a reference such as "CHIP.md §7" (a file that
only the developers had) is a dead end. These tests find every ``*.md`` name, markdown link,
``§N`` section and ``Unn`` assumption id cited in docs/, the README and the package's sources,
and check that each one resolves.
"""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]
PACKAGE = sorted(p for p in (ROOT / "dynapspec").rglob("*") if p.suffix in (".py", ".yaml", ".json"))
TEXTS = DOCS + PACKAGE + [ROOT / ".pre-commit-hooks.yaml", ROOT / "pyproject.toml"]

MD_NAME = re.compile(r"(?<![\w/.-])([\w./-]*\w\.md)\b")
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
CHIP_SECTION = re.compile(r"chip\.md\)? (?:§|sections? )(\d+(?:\.\d+)?)")
URL = re.compile(r"\w+://\S+")
U_ID = re.compile(r"\bU(\d\d)\b")


def _rel(path):
    return str(path.relative_to(ROOT))


def _resolves(name, source):
    name = name.lstrip("./") if name.startswith("./") else name
    return any((base / name).exists() for base in (source.parent, ROOT))


@pytest.mark.parametrize("path", TEXTS, ids=_rel)
def test_every_cited_markdown_file_is_in_the_repository(path):
    text = URL.sub("", path.read_text(encoding="utf-8"))  # web addresses are public, not files
    missing = [name for name in MD_NAME.findall(text) if not _resolves(name, path)]
    assert not missing, f"{_rel(path)} cites files the repository does not have: {missing}"
    assert "/work/" not in text, f"{_rel(path)} cites a path on the developers' machine"


@pytest.mark.parametrize("path", DOCS, ids=_rel)
def test_every_relative_link_resolves(path):
    text = path.read_text(encoding="utf-8")
    broken = [t for t in LINK.findall(text) if "://" not in t and not (path.parent / t).exists()]
    assert not broken, f"{_rel(path)} links to missing files: {broken}"


def _chip_sections():
    text = (ROOT / "docs" / "chip.md").read_text(encoding="utf-8")
    return set(re.findall(r"^#{2,3} (\d+(?:\.\d+)?)\.? ", text, re.M))


def _chip_assumptions():
    text = (ROOT / "docs" / "chip.md").read_text(encoding="utf-8")
    register = text.split("### 10.2", 1)[1]
    return set(re.findall(r"^\| U(\d\d) \|", register, re.M))


def test_chip_page_keeps_every_section_and_assumption_id():
    assert {str(n) for n in range(1, 12)} | {"10.1", "10.2"} <= _chip_sections()
    assert _chip_assumptions() == {f"{n:02d}" for n in range(1, 25)}


@pytest.mark.parametrize("path", TEXTS + sorted((ROOT / "tests").glob("*.py")), ids=_rel)
def test_chip_sections_and_assumption_ids_cited_exist(path):
    text = path.read_text(encoding="utf-8")
    sections = set(CHIP_SECTION.findall(text)) - _chip_sections()
    assert not sections, f"{_rel(path)} cites docs/chip.md sections that do not exist: {sections}"
    ids = set(U_ID.findall(text)) - _chip_assumptions()
    assert not ids, f"{_rel(path)} cites assumption ids docs/chip.md does not define: {ids}"
