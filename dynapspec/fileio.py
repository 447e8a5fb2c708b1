"""Atomic output: a file is either its old self or completely new, never half-written."""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterator, Union

from .errors import DeviceError, Location

PathLike = Union[str, "os.PathLike[str]"]


@contextlib.contextmanager
def atomic_path(path: PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` (making missing directories); on success it replaces ``path`` in one step.

    On any exception the temporary file is removed and ``path`` is left untouched.
    """
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    try:
        directory.mkdir(parents=True, exist_ok=True)  # `-o build/net.json` makes build/, as users expect
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise DeviceError.single("output-write", f"cannot write {target}: {exc.strerror}", Location(str(target))) from None
    os.close(fd)
    tmp_path = Path(tmp)
    os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp makes 0600; a written file gets the usual mode
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    except OSError as exc:
        raise DeviceError.single("output-write", f"cannot write {target}: {exc.strerror}", Location(str(target))) from None
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def ensure_writable(path: PathLike) -> None:
    """Fail now, not after a long run, if ``path`` cannot be written (missing directories are made)."""
    target = Path(path)
    if target.is_dir():
        raise DeviceError.single("output-write", f"cannot write {target}: it is a directory", Location(str(target)))
    with atomic_path(target.with_name(f".{target.name}.probe")):
        pass  # creating and renaming a file beside the target is what the real write will do
    target.with_name(f".{target.name}.probe").unlink()


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def write_text(path: PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
