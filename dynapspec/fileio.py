"""Atomic output: a file is either its old self or completely new, never half-written."""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterator, Optional, Union

from .errors import DeviceError, Location

PathLike = Union[str, "os.PathLike[str]"]


def _blocked_by_file(directory: Path) -> Optional[Path]:
    """The ancestor of ``directory`` that exists but is a file (so no directory can be made there)."""
    for candidate in [directory, *directory.parents]:
        if candidate.exists():
            return None if candidate.is_dir() else candidate
    return None


def _cannot_write(target: Path, why: str) -> DeviceError:
    return DeviceError.single("output-write", f"cannot write {target}: {why}", Location(str(target)))


def _temporary_beside(target: Path) -> Path:
    """A new empty file next to ``target`` (missing directories are made), or a clear output-write error."""
    directory = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise _cannot_write(target, "it is a directory")
    blocker = _blocked_by_file(directory)
    if blocker is not None:
        raise _cannot_write(target, f"{blocker} is a file, not a directory")
    try:
        directory.mkdir(parents=True, exist_ok=True)  # `-o build/net.json` makes build/, as users expect
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise _cannot_write(target, exc.strerror or str(exc)) from None
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a written file gets the usual mode
    return Path(tmp)


@contextlib.contextmanager
def atomic_path(path: PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one step.

    On any exception the temporary file is removed and ``path`` is left untouched.
    """
    target = Path(path)
    tmp_path = _temporary_beside(target)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    except OSError as exc:
        raise _cannot_write(target, exc.strerror or str(exc)) from None
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_text(path: PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def ensure_writable(path: PathLike) -> None:
    """Fail now, not after a long run, if ``path`` cannot be written (missing directories are made)."""
    _temporary_beside(Path(path)).unlink()


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
