"""The one way dynapspec reads and writes HDF5: guarded lookups, checked sizes, crash-safe writes.

Weight files, event files and NIR files come from other people's tools and may be hostile, so
every reader goes through a :class:`Reader`, which

- opens only regular files (:func:`dynapspec.fileio.input_problem` first: a FIFO cannot block it);
- resolves paths link by link: external links are refused, soft links are followed inside the
  file with a bounded number of hops (cycles and chains end as an error, dangling ones as
  "nothing there"), names holding a NUL character are refused (HDF5 would cut the name there
  and find another object);
- walks groups iteratively with a bound on objects visited and on depth, each object once
  (hard-link cycles are fine);
- refuses datasets that are virtual or keep their data in external raw files (a crafted file
  could otherwise make dynapspec copy any readable local file), that have a null dataspace, or
  whose declared size, after decompression, exceeds a per-dataset limit or the file's read
  budget (``limits.hdf5_read_bytes``; every read counts, so a dataset shared by nine layers
  counts nine times). Nothing is allocated before the declared size has been checked;
- reads attributes as the type the caller expects (text that is UTF-8, an integer, a number);
- turns every exception h5py raises on malformed metadata (OSError, RuntimeError, KeyError...)
  into a :class:`Refused` naming the object, which the reader turns into its own diagnostic.

:func:`create` builds an HDF5 file in memory and writes it in one plain write, so that a full disk
or an I/O error surfaces as an OSError of that write (exit 3 through ``fileio.atomic_path``),
never inside the HDF5 library, which can crash the process on write errors.
"""
from __future__ import annotations

import contextlib
import math
import os
import posixpath
from collections import deque
from typing import Any, Iterator, List, Optional, Tuple

import numpy as np

from . import limits
from .errors import reason
from .fileio import printable

# Exceptions h5py raises for malformed files, unsupported types and failed filters.
H5_ERRORS = (OSError, RuntimeError, KeyError, ValueError, TypeError, OverflowError, IndexError, SystemError, NotImplementedError)
SOFT_LINK_HOPS = 16  # soft links followed to resolve one path (HDF5's own limit is 16 too)
CALL_SLACK_BYTES = 256 << 20  # address space one HDF5 call may use beyond the read budget (caches, buffers)

FORMAT, UNSAFE, TOO_LARGE = "format", "unsafe", "too-large"


@contextlib.contextmanager
def memory_cap(nbytes: int) -> Iterator[None]:
    """Let the process's address space grow by at most ``nbytes`` inside the block (Linux).

    Sizes dynapspec can check are checked from declarations before reading; this bounds what it
    cannot see: the HDF5 library's own allocations, driven by metadata that a damaged file may
    have wrong. An allocation past the cap fails (inside HDF5: an error; in Python: MemoryError)
    instead of taking the machine's memory. Where the limit cannot be set, the block runs as is.
    """
    try:
        import resource

        with open("/proc/self/statm", "rb") as statm:
            used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    except (ImportError, OSError, ValueError, IndexError):
        yield
        return
    cap = used + nbytes if hard == resource.RLIM_INFINITY else min(used + nbytes, hard)
    if soft != resource.RLIM_INFINITY and soft <= cap:
        yield  # already bounded at least as tightly
        return
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


class Refused(Exception):
    """Why an object cannot be read: ``kind`` is FORMAT, UNSAFE or TOO_LARGE.

    ``text`` says what is wrong with the object at ``path`` (``holds no data ...``), for a
    diagnostic located at that path; ``message`` is the whole sentence, naming path and file.
    """

    def __init__(self, kind: str, text: str, path: str = "", file: str = ""):
        super().__init__(text)
        self.kind, self.text, self.path, self.file = kind, text, path or "/", file

    @property
    def message(self) -> str:
        return f"{self.path} in {self.file} {self.text}"


def _h5py():
    import h5py

    return h5py


def _size_text(n: int) -> str:
    """``1,400 bytes``, or ``1,610,612,736 bytes (1.5 GiB)``: exact, with a readable size when large."""
    for unit, shift in (("GiB", 30), ("MiB", 20)):
        if n >= 1 << shift:
            return f"{n:,} bytes ({n / (1 << shift):.1f} {unit})"
    return f"{n:,} bytes"


def shape_text(shape: Tuple[int, ...]) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


class Reader:
    """An HDF5 file open for reading through the guards (use as a context manager)."""

    def __init__(self, path, objects: Optional[int] = None):
        h5py = _h5py()
        self.name = printable(path)
        self.budget = limits.get("hdf5_read_bytes")
        self.spent = 0
        self.max_objects = objects or limits.get("hdf5_objects")
        self._hops = 0
        try:
            with memory_cap(self.budget + CALL_SLACK_BYTES):
                self.h5 = h5py.File(os.fspath(path), "r")
        except (MemoryError, *H5_ERRORS) as exc:
            raise Refused(FORMAT, f"cannot be opened as HDF5 ({reason(exc)})", "/", self.name) from None

    def __enter__(self) -> "Reader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        with contextlib.suppress(*H5_ERRORS):
            self.h5.close()

    # -- calls into h5py
    def call(self, what: str, path: str, function, *args):
        """``function(*args)``, with h5py's errors as a FORMAT refusal that names ``path``.

        While it runs, the process may not grow by more than the file's read budget (see
        :func:`memory_cap`): damaged metadata (a variable-length string's length) can make HDF5
        allocate gigabytes that no declared shape announced; that allocation then fails inside
        HDF5 and is reported like any other damage.
        """
        try:
            with memory_cap(self.budget + CALL_SLACK_BYTES):
                return function(*args)
        except Refused:
            raise
        except MemoryError:
            raise Refused(TOO_LARGE, f"cannot be read: {what} needs more memory than the data it declares (more than "
                          f"{_size_text(self.budget)}); the file is damaged", path, self.name) from None
        except H5_ERRORS as exc:
            raise Refused(FORMAT, f"cannot be read: {what} failed ({reason(exc)}); the file is damaged or not HDF5 "
                          "that dynapspec reads", path, self.name) from None

    # -- paths and links
    def lookup(self, path: str):
        """The object at ``path`` (Group, Dataset or Datatype), or None when nothing is there."""
        self._hops = 0
        return self._resolve(path)

    def _resolve(self, path: str):
        h5py = _h5py()
        if "\0" in path:
            raise Refused(FORMAT, "holds a NUL character, which HDF5 names cannot contain (HDF5 would read another object)",
                          printable(path), self.name)
        node, walked = self.h5, ""
        for part in [p for p in path.split("/") if p and p != "."]:
            if not isinstance(node, h5py.Group):
                return None
            here = node
            link = self.call("reading a link", walked + "/" + part, lambda: here.get(part, getlink=True))
            walked += "/" + part
            if link is None:
                return None
            node = self._follow(here, part, link, walked)
            if node is None:
                return None
        return node

    def _follow(self, group, name: str, link, walked: str):
        """The object a link names: hard links directly, soft links within the file, others refused."""
        h5py = _h5py()
        if isinstance(link, h5py.HardLink):
            return self.call("opening the object", walked, lambda: group[name])
        if isinstance(link, h5py.SoftLink):
            self._hops += 1
            if self._hops > SOFT_LINK_HOPS:
                raise Refused(FORMAT, f"is reached through soft links that form a cycle or a chain of more than "
                              f"{SOFT_LINK_HOPS} links", walked, self.name)
            here = "/" if link.path.startswith("/") else self.call("naming the group", walked, lambda: group.name) or "/"
            target = posixpath.join(here, link.path)
            return self._resolve(posixpath.normpath(target))
        if isinstance(link, h5py.ExternalLink):
            raise Refused(UNSAFE, f"is an external link to {printable(link.filename)}:{printable(link.path)}; dynapspec "
                          "reads only self-contained files (copy the data into this file)", walked, self.name)
        raise Refused(UNSAFE, "is a user-defined link; dynapspec reads only self-contained files", walked, self.name)

    def members(self, group, path: str) -> List[Tuple[str, Any]]:
        """(name, object or None for a dangling link) for each member of ``group``, in storage order."""
        count = self.call("counting members", path, len, group)
        if count > self.max_objects:
            raise Refused(TOO_LARGE, f"has {count} members; dynapspec reads at most {self.max_objects} objects in a file",
                          path, self.name)
        names = self.call("listing members", path, list, group)
        out = []
        for name in names:
            where = posixpath.join(path or "/", printable(name))
            if isinstance(name, bytes):  # h5py gives the raw bytes of a name that is not UTF-8
                raise Refused(FORMAT, "has a member name that is not UTF-8 text (a damaged file?)", where, self.name)
            if "\0" in name:
                raise Refused(FORMAT, "has a name holding a NUL character, which HDF5 names cannot contain", where, self.name)
            link = self.call("reading a link", where, lambda n=name: group.get(n, getlink=True))
            self._hops = 0
            out.append((name, None if link is None else self._follow(group, name, link, where)))
        return out

    def walk(self, path: str = "/", depth: int = 64) -> Iterator[Tuple[str, Any]]:
        """(path, object) below ``path``, breadth first, each object once, at most ``hdf5_objects``."""
        h5py = _h5py()
        root = self.lookup(path)
        if not isinstance(root, h5py.Group):
            return
        seen = {self.identity(root, path)}
        queue = deque([(path.rstrip("/"), root, 0)])
        visited = 0
        while queue:
            prefix, group, level = queue.popleft()
            for name, obj in self.members(group, prefix or "/"):
                visited += 1
                if visited > self.max_objects:
                    raise Refused(TOO_LARGE, f"holds more than {self.max_objects} objects; dynapspec reads at most that "
                                  "many in a file", prefix, self.name)
                where = f"{prefix}/{name}"
                if obj is None:
                    continue
                yield where, obj
                if isinstance(obj, h5py.Group) and self.identity(obj, where) not in seen and level + 1 < depth:
                    seen.add(self.identity(obj, where))
                    queue.append((where, obj, level + 1))

    def identity(self, obj, path: str) -> int:
        """A number that is the same for every link to one object (to see cycles and repeats)."""
        return self.call("identifying the object", path, hash, obj.id)

    # -- datasets
    def declared(self, dataset, path: str) -> Tuple[Tuple[int, ...], np.dtype]:
        """A dataset's shape and type, refusing external, virtual and null-dataspace datasets."""
        if self.call("inspecting the dataset", path, lambda: dataset.is_virtual):
            raise Refused(UNSAFE, "is a virtual dataset (its data live in other datasets or files); dynapspec reads only "
                          "self-contained files (copy the data into a regular dataset)", path, self.name)
        if self.call("inspecting the dataset", path, lambda: dataset.external):
            raise Refused(UNSAFE, "keeps its data in external raw files; dynapspec reads only self-contained files (copy "
                          "the data into a regular dataset)", path, self.name)
        shape = self.call("reading the shape", path, lambda: dataset.shape)
        if shape is None:
            raise Refused(FORMAT, "holds no data (a null HDF5 dataspace)", path, self.name)
        dtype = self.call("reading the type", path, lambda: dataset.dtype)
        return tuple(int(n) for n in shape), dtype

    def read(self, dataset, path: str, max_values: Optional[int] = None, limit: str = "") -> np.ndarray:
        """The dataset's data, after checking its declared size against ``max_values`` and the budget.

        ``limit`` names the limit behind ``max_values`` (for the message: how to raise it).
        """
        shape, dtype = self.declared(dataset, path)
        count = math.prod(shape)
        if max_values is not None and count > max_values:
            raise Refused(TOO_LARGE, f"declares {count} values (shape {shape_text(shape)}); dynapspec reads at most "
                          f"{max_values} here, so it was not read{limits.raise_hint(limit) if limit else ''}", path, self.name)
        self.charge(count * max(dtype.itemsize, 1), path)
        return np.asarray(self.call("reading the data", path, lambda: dataset[()]))

    def charge(self, nbytes: int, path: str) -> None:
        """Count ``nbytes`` against the file's read budget, refusing before the budget is exceeded."""
        if self.spent + nbytes > self.budget:
            raise Refused(TOO_LARGE, f"was not read: it would bring the data read from this file to "
                          f"{_size_text(self.spent + nbytes)}, above the limit of {_size_text(self.budget)}"
                          f"{limits.raise_hint('hdf5_read_bytes')}", path, self.name)
        self.spent += nbytes

    # -- attributes
    def attribute(self, obj, name: str, path: str) -> Any:
        """The attribute's value as h5py reads it, or None when absent; null or oversized ones refused."""
        if not self.call(f"listing attribute {name!r}", path, lambda: name in obj.attrs):
            return None
        attr = self.call(f"opening attribute {name!r}", path, lambda: _h5py().h5a.open(obj.id, name.encode("utf-8")))
        shape = self.call(f"reading attribute {name!r}", path, lambda: attr.shape)
        if shape is None:
            raise Refused(FORMAT, f"has an attribute {name!r} with no value (a null HDF5 dataspace)", path, self.name)
        cap = limits.get("hdf5_attribute_values")
        if math.prod(shape) > cap:
            raise Refused(TOO_LARGE, f"has an attribute {name!r} of {math.prod(shape)} values; attributes hold at most {cap}",
                          path, self.name)
        return self.call(f"reading attribute {name!r}", path, lambda: obj.attrs[name])

    def text_attribute(self, obj, name: str, path: str) -> Optional[str]:
        value = self.attribute(obj, name, path)
        return None if value is None else self.text(value, path, f"attribute {name!r}")

    def int_attribute(self, obj, name: str, path: str) -> Optional[int]:
        return self._typed_attribute(obj, name, path, as_int, "an integer")

    def number_attribute(self, obj, name: str, path: str) -> Optional[float]:
        return self._typed_attribute(obj, name, path, as_number, "a number")

    def _typed_attribute(self, obj, name: str, path: str, convert, what: str):
        value = self.attribute(obj, name, path)
        if value is None:
            return None
        found = convert(value)
        if found is None:
            raise Refused(FORMAT, f"has attribute {name!r} = {describe(value)}; it must be {what}", path, self.name)
        return found

    def text(self, value, path: str, what: str = "value") -> str:
        """``value`` (str, bytes, or one of them in an array) as text; anything else refused."""
        try:
            found = as_text(value)
        except UnicodeDecodeError:
            raise Refused(FORMAT, f"has {what} in bytes that are not UTF-8 text", path, self.name) from None
        if found is None:
            raise Refused(FORMAT, f"has {what} = {describe(value)}; it must be text", path, self.name)
        return found


def _single(value):
    if isinstance(value, np.ndarray):
        return value.reshape(-1)[0] if value.size == 1 else None
    return value


def as_text(value) -> Optional[str]:
    """Text from a str or UTF-8 bytes (alone or as a one-element array); None for anything else."""
    value = _single(value)
    if isinstance(value, (bytes, np.bytes_)):
        return bytes(value).decode("utf-8")
    if isinstance(value, str):
        return str(value)
    return None


def _real(value):
    """An int or float (numpy's included) alone or as the one element of an array; else None (booleans too)."""
    value = _single(value)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        return None
    return value


def as_int(value) -> Optional[int]:
    """An integer from an integer (or integral finite float) scalar or one-element array; else None."""
    value = _real(value)
    if isinstance(value, (int, np.integer)) or value is not None and math.isfinite(value) and float(value).is_integer():
        return int(value)
    return None


def as_number(value) -> Optional[float]:
    """A real number from an integer or float scalar or one-element array; else None."""
    value = _real(value)
    return None if value is None else float(value)


def describe(value) -> str:
    """What a value read from HDF5 is, in a few words (for "... is <this>; it must be ...")."""
    if isinstance(value, np.ndarray):
        return f"an array of {value.size} {value.dtype} values" if value.size != 1 else describe(value.reshape(-1)[0])
    if isinstance(value, (bytes, np.bytes_, str)):
        try:
            text = as_text(value)
        except UnicodeDecodeError:
            return "bytes that are not UTF-8 text"
        return f"the text {text[:40]!r}"
    if isinstance(value, (bool, np.bool_)):
        return f"the boolean {bool(value)}"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return f"the number {value}"
    kind = getattr(getattr(value, "dtype", None), "kind", None)
    return f"a value of HDF5 type {value.dtype}" if kind else f"a {type(value).__name__}"


# ---------------------------------------------------------------- writing


@contextlib.contextmanager
def create(path, **options) -> Iterator[Any]:
    """An h5py File built in memory; when the block ends it is written to ``path`` in one write.

    The bytes are those HDF5 would write to disk (HDF5's core driver); only the final write
    touches the file system, so its OSError (ENOSPC, EIO, EROFS) is an ordinary Python error.
    """
    h5py = _h5py()
    handle = h5py.File(os.fspath(path), "w", driver="core", backing_store=False, **options)
    try:
        yield handle
        handle.flush()
        image = handle.id.get_file_image()
    finally:
        handle.close()
    with open(path, "wb") as out:
        out.write(image)


def kind_of(obj) -> str:
    """``a group``, ``a dataset``, ``a named datatype``: what an HDF5 object is, for messages."""
    h5py = _h5py()
    if isinstance(obj, h5py.Dataset):
        return "a dataset"
    if isinstance(obj, h5py.Group):
        return "a group"
    return "a named datatype" if isinstance(obj, h5py.Datatype) else "nothing"
