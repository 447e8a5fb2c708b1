"""Files in and out: inputs are checked before they are opened, outputs are written atomically.

Inputs (:func:`check_input`, :func:`read_input`): a path must name a regular, readable file. A FIFO
would block the read forever, a device would stream without end, and a NUL character would make
the C library open a different, shorter path; each is refused with a located error (exit 1).

Outputs (:func:`atomic_path`, :func:`write_text`): a file is either its old self or completely
new, never half-written. The content goes to a temporary file beside the target, which replaces
the target in one rename. Any OS error (a full disk, an I/O error, a read-only file system) is an
``output-write`` error (exit 3) and leaves the previous file intact. Only regular files are ever
replaced: an output path that is a directory, device, FIFO or socket is refused, and a symbolic
link is followed (the file it points to is replaced, the link stays) unless it dangles. Temporary
files are named ``.<name>.dynapspec-<pid>-<random>.tmp``; ones left behind by a killed process
(its pid no longer runs, older than a minute) are removed by the next write of the same file.
"""
from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import tempfile
import time
from pathlib import Path
from typing import Iterator, Optional, Tuple, Union

from .errors import DeviceError, Location, SpecError, reason

PathLike = Union[str, "os.PathLike[str]"]

STALE_AFTER_S = 60.0  # a temporary file this old whose writer is gone is debris
_TEMP_NAME = ".{name}.dynapspec-{pid}-"  # + mkstemp's random part + ".tmp"
_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _kind(mode: int) -> str:
    return next((words for test, words in _KINDS if test(mode)), "not a regular file")


def printable(path: PathLike) -> str:
    """A path for a message: control characters (a NUL, a newline) and bytes that are not UTF-8 written as escapes."""
    text = os.fspath(path)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "backslashreplace")
    return re.sub("[\x00-\x1f\x7f]", lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


# ---------------------------------------------------------------- inputs


def input_problem(path: PathLike) -> Optional[Tuple[str, str]]:
    """What keeps ``path`` from being read as an input file: (code, words), or None if nothing.

    The words complete "the spec file net.yaml ...": ``does not exist``, ``is a FIFO (named pipe),
    not a regular file``, ``cannot be read (Permission denied)``.
    """
    text = os.fspath(path)
    if "\0" in text:
        return "file-type", "holds a NUL character, which no file name can contain"
    try:
        info = os.stat(text)
    except (FileNotFoundError, NotADirectoryError):
        return "file-not-found", "does not exist"
    except (OSError, ValueError) as exc:
        return "file-not-found", f"cannot be read ({reason(exc)})"
    if not stat.S_ISREG(info.st_mode):
        return "file-type", f"is {_kind(info.st_mode)}, not a regular file"
    if not os.access(text, os.R_OK, effective_ids=os.access in os.supports_effective_ids):
        return "file-not-found", f"cannot be read ({os.strerror(errno.EACCES)})"
    return None


def check_input(path: PathLike, what: str) -> Path:
    """``path`` if it names a readable regular file; else SpecError naming ``what`` ("spec file")."""
    problem = input_problem(path)
    if problem is not None:
        code, words = problem
        where = printable(path)
        raise SpecError.single(code, f"the {what} {where} {words}", Location(where))
    return Path(path)


def read_input(path: PathLike, what: str, limit: int) -> Tuple[bytes, int]:
    """The first ``limit + 1`` bytes of a checked input file, and the file's size.

    The file is opened without blocking and checked again on the open descriptor, so a path
    swapped for a FIFO after :func:`check_input` cannot block the read either.
    """
    check_input(path, what)
    where = printable(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise SpecError.single("file-not-found", f"the {what} {where} cannot be read ({reason(exc)})", Location(where)) from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise SpecError.single("file-type", f"the {what} {where} is {_kind(info.st_mode)}, not a regular file", Location(where))
        try:
            raw = handle.read(limit + 1)
        except OSError as exc:
            raise SpecError.single("file-not-found", f"the {what} {where} cannot be read ({reason(exc)})", Location(where)) from None
    return raw, max(info.st_size, len(raw))


# ---------------------------------------------------------------- outputs


def _cannot_write(target: PathLike, why: str) -> DeviceError:
    where = printable(target)
    return DeviceError.single("output-write", f"cannot write {where}: {why}", Location(where))


def _blocked_by_file(directory: Path) -> Optional[Path]:
    """The ancestor of ``directory`` that exists but is a file (so no directory can be made there)."""
    for candidate in [directory, *directory.parents]:
        if candidate.exists():
            return None if candidate.is_dir() else candidate
    return None


def output_target(path: PathLike) -> Path:
    """The regular file an output path will replace (symlinks followed), or an output-write error.

    ``-o /dev/null``, a FIFO or a symlink to a terminal is refused rather than replaced or written
    through: dynapspec's outputs are files (``compile -o -`` writes to stdout).
    """
    given = Path(path)
    if "\0" in os.fspath(path):
        raise _cannot_write(given, "the path holds a NUL character, which no file name can contain")
    try:
        is_link = stat.S_ISLNK(os.lstat(given).st_mode)
    except OSError:
        is_link = False
    target = Path(os.path.realpath(given)) if is_link else given
    try:
        info = os.stat(target)
    except FileNotFoundError:
        if is_link:
            raise _cannot_write(given, f"it is a symbolic link to {printable(target)}, which does not exist") from None
        return target
    except OSError as exc:
        raise _cannot_write(given, reason(exc)) from None
    if stat.S_ISDIR(info.st_mode):
        raise _cannot_write(given, "it is a directory")
    if not stat.S_ISREG(info.st_mode):
        via = f"it is a symbolic link to {printable(target)}, which is" if is_link else "it is"
        raise _cannot_write(given, f"{via} {_kind(info.st_mode)}; dynapspec replaces only regular files")
    return target


def _temporary_beside(target: Path) -> Path:
    """A new empty file next to ``target`` (missing directories are made), or a clear output-write error."""
    directory = target.parent if str(target.parent) else Path(".")
    blocker = _blocked_by_file(directory)
    if blocker is not None:
        raise _cannot_write(target, f"{printable(blocker)} is a file, not a directory")
    prefix = _TEMP_NAME.format(name=target.name[:100], pid=os.getpid())
    try:
        directory.mkdir(parents=True, exist_ok=True)  # `-o build/net.json` makes build/, as users expect
        fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=directory)
    except OSError as exc:
        raise _cannot_write(target, reason(exc)) from None
    os.close(fd)
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)  # replacing a file keeps its permissions
    except OSError:
        mode = 0o666 & ~_umask()  # mkstemp makes 0600; a new file gets the usual mode
    os.chmod(tmp, mode)
    _remove_stale(directory, target.name[:100])
    return Path(tmp)


def _remove_stale(directory: Path, name: str) -> None:
    """Delete temporary files of ``name`` whose writing process is gone (killed mid-write)."""
    pattern = re.compile(re.escape(f".{name}.dynapspec-") + r"(\d+)-[A-Za-z0-9_]+\.tmp\Z")
    now = time.time()
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    for entry in entries:
        found = pattern.match(entry.name)
        if found is None or _running(int(found.group(1))):
            continue
        with contextlib.suppress(OSError):
            if entry.is_file(follow_symlinks=False) and now - entry.stat(follow_symlinks=False).st_mtime > STALE_AFTER_S:
                os.unlink(entry.path)


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True  # someone else's process, or a number we cannot ask about: leave its file alone
    return True


@contextlib.contextmanager
def atomic_path(path: PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one step.

    On any exception the temporary file is removed and ``path`` is left untouched; an OSError
    (ENOSPC, EIO, EROFS...) becomes an output-write error, exit status 3.
    """
    target = output_target(path)
    tmp_path = _temporary_beside(target)
    try:
        yield tmp_path
        output_target(path)  # still a regular file (or nothing) after the work
        os.replace(tmp_path, target)
    except OSError as exc:
        raise _cannot_write(path, reason(exc)) from None
    finally:
        with contextlib.suppress(OSError):
            tmp_path.unlink()


def write_text(path: PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def ensure_writable(path: PathLike) -> None:
    """Fail now, not after a long run, if ``path`` cannot be written (missing directories are made)."""
    _temporary_beside(output_target(path)).unlink()


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
