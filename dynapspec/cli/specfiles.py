"""Which spec files a `validate` or `compile` command line means.

Arguments may be spec files, directories (every spec below them), or glob patterns (expanded
here, since pre-commit's ``args`` and CI files are not run through a shell; ``**`` recurses). A
spec is a YAML file with a top-level ``dynapspec:`` key. With ``--pre-commit``, the arguments are
the changed files pre-commit passes: YAML files that are not specs are skipped, and a changed
weight file or compiled configuration stands for the specs that use it (found below the current
directory, which is the repository's root when pre-commit runs a hook).
"""
from __future__ import annotations

import glob
import os
import re
from pathlib import Path
from typing import Dict, Iterable, List, NoReturn

import typer

SPEC_SUFFIXES = (".yaml", ".yml")
CONFIG_SUFFIX = ".config.json"
_SPEC_KEY = re.compile(r"^dynapspec\s*:", re.M)
_WEIGHTS_KEY = re.compile(r"^weights\s*:\s*([^\s#]+)", re.M)
_SKIPPED_DIRS = {".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__", ".tox", ".mypy_cache"}


def is_spec(path: Path) -> bool:
    """A YAML file with a top-level ``dynapspec:`` key (what every spec starts with)."""
    if path.suffix.lower() not in SPEC_SUFFIXES or not path.is_file():
        return False
    try:
        with open(path, "r", encoding="utf-8", errors="replace") as handle:
            return bool(_SPEC_KEY.search(handle.read(1 << 16)))
    except OSError:
        return False


def specs_below(directory: Path) -> List[Path]:
    """Every spec under ``directory``, sorted, skipping hidden and tool directories."""
    found = []
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS and not d.startswith("."))
        found += [Path(root) / name for name in sorted(files) if is_spec(Path(root) / name)]
    return found


def expand(arguments: Iterable[Path], pre_commit: bool = False) -> List[Path]:
    """The spec files the arguments name, each once, in order (usage errors for empty matches)."""
    out: Dict[Path, None] = {}
    users = None  # weight file / config -> specs, built on first need
    for argument in arguments:
        text = str(argument)
        if glob.has_magic(text) and not Path(text).exists():
            matches = sorted(Path(p) for p in glob.glob(text, recursive=True))
            paths = [p for m in matches for p in (specs_below(m) if m.is_dir() else [m] if is_spec(m) else [])]
            if not paths and not pre_commit:
                _usage(f"{text} matches no dynapspec spec" + ("" if matches else " (no file at all)"))
        elif argument.is_dir():
            paths = specs_below(argument)
            if not paths and not pre_commit:
                _usage(f"{argument} holds no dynapspec spec (a .yaml file with a top-level `dynapspec:` key)")
        elif not pre_commit:
            if argument.is_file() and argument.suffix.lower() not in SPEC_SUFFIXES:
                _usage(f"{argument} is not a spec (a .yaml file with a top-level `dynapspec:` key)")
            paths = [argument]  # the spec loader says what is wrong: missing, a FIFO or device, bad YAML
        elif argument.suffix.lower() in SPEC_SUFFIXES or not argument.exists():
            paths = [argument] if is_spec(argument) else []
        else:
            if users is None:
                users = _users_of_files(Path("."))
            paths = users.get(_key(argument), [])
        out.update((p, None) for p in paths)
    return list(out)


def _users_of_files(root: Path) -> Dict[str, List[Path]]:
    """Weight file and default configuration path -> the specs below ``root`` that use them."""
    users: Dict[str, List[Path]] = {}
    for spec in specs_below(root):
        users.setdefault(_key(spec.with_name(spec.stem + CONFIG_SUFFIX)), []).append(spec)
        try:
            text = spec.read_text(encoding="utf-8", errors="replace")[: 1 << 20]
        except OSError:
            continue  # validating it will say what is wrong
        # the top-level `weights:` key, read with a pattern rather than a YAML load, so that a hostile
        # spec elsewhere in the repository (an alias bomb) cannot stall the hook; the spec loader
        # checks it properly when the spec is validated
        named = _WEIGHTS_KEY.search(text)
        weights = named.group(1).strip("'\"") if named else spec.stem + ".h5"
        users.setdefault(_key(spec.parent / weights), []).append(spec)
    return users


def _key(path: Path) -> str:
    return os.path.normcase(os.path.abspath(path))


def _usage(message: str) -> NoReturn:
    raise typer.BadParameter(message, param_hint="SPECS")
