"""Labelled event datasets: one HDF5 file of many samples, a folder of event files, any iterable.

Every source is read as a :class:`Dataset`: a length (or None when unknown) and ``chunks(size)``
that yields lists of :class:`Sample` in dataset order. File-backed datasets also hand out
:class:`ChunkRef` s, small picklable references that a worker process resolves by reading the file
itself, so local workers never receive events through a pipe. Formats: ``docs/events.md``.
"""
from __future__ import annotations

import csv
import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np

from ..errors import Location, SpecError, reason
from ..events import DVS_DTYPE, KINDS, SPIKE_DTYPE, TIME_UNIT, as_events, field_names, kind_of

DATASET_FORMAT = "dynapspec-dataset"
DATASET_FORMAT_VERSION = 1
LABELS_FILE = "labels.csv"  # in a folder dataset: one `file,label` row per sample


@dataclass(frozen=True, eq=False)
class Sample:
    """One labelled input. ``events`` is whatever the source holds; it is checked when it is run."""

    index: int  # position in the dataset
    events: object  # a structured array or a dict of columns (tonic arrays work as they are)
    label: object  # an int class, checked against the network's classes when the sample is run
    name: str = ""  # where it came from ("test.h5#12", a file name); shown for failed samples


class ChunkRef:
    """Samples ``start``.. of a file-backed dataset, read where the chunk is run.

    It carries only its own slice of the dataset's index, so sending one to a worker costs the
    same on a dataset of any size.
    """

    start: int

    @property
    def indices(self) -> range:
        raise NotImplementedError

    def load(self) -> List[Sample]:
        raise NotImplementedError


class FileDataset:
    """A dataset whose samples a worker can read by index: it hands out :class:`ChunkRef` s."""

    def __len__(self) -> int:
        raise NotImplementedError

    def chunk(self, start: int, stop: int) -> ChunkRef:
        raise NotImplementedError

    def read(self, start: int, stop: int) -> List[Sample]:
        return self.chunk(start, stop).load()

    def refs(self, size: int) -> Iterator[ChunkRef]:
        for start in range(0, len(self), size):
            yield self.chunk(start, min(start + size, len(self)))


class SampleFile(FileDataset):
    """The ``dynapspec-dataset`` HDF5 file: every sample's events concatenated, offsets and labels."""

    def __init__(self, path: Union[str, Path]):
        import h5py

        self.path = str(path)
        loc = Location(self.path)
        if not Path(path).is_file():
            raise SpecError.single("file-not-found", f"no dataset file at {self.path}", loc)
        try:
            f = h5py.File(path, "r")
        except OSError as exc:
            raise SpecError.single("dataset-format", f"not an HDF5 file ({reason(exc)})", loc) from None
        with f:
            self.kind, self.offsets, self.labels, self.class_names = _read_index(f, loc)

    def __len__(self) -> int:
        return len(self.labels)

    def chunk(self, start: int, stop: int) -> "SampleFileChunk":
        return SampleFileChunk(start, self.path, self.kind, self.offsets[start:stop + 1].copy(), self.labels[start:stop].copy())


@dataclass(frozen=True, eq=False)
class SampleFileChunk(ChunkRef):
    start: int
    path: str
    kind: str
    offsets: np.ndarray  # this chunk's slice, one longer than labels
    labels: np.ndarray

    @property
    def indices(self) -> range:
        return range(self.start, self.start + len(self.labels))

    def load(self) -> List[Sample]:
        import h5py

        first, last = int(self.offsets[0]), int(self.offsets[-1])
        with h5py.File(self.path, "r") as f:
            group = f["events"]
            columns = {name: group[name][first:last] for name in KINDS[self.kind]}
        name = Path(self.path).name
        samples = []
        for k, i in enumerate(self.indices):
            a, b = int(self.offsets[k]) - first, int(self.offsets[k + 1]) - first
            samples.append(Sample(i, {n: c[a:b] for n, c in columns.items()}, int(self.labels[k]), f"{name}#{i}"))
        return samples


def _read_index(f, loc: Location):
    """Check the header and the index datasets; return (kind, offsets, labels, class names)."""
    name = _text(f.attrs.get("format", ""))
    if name != DATASET_FORMAT:
        hint = " (an event file of one input: give a folder of them with a labels.csv)" if name == "dynapspec-events" else ""
        raise SpecError.single("dataset-format", f"format is {name!r}; a dataset file has format {DATASET_FORMAT!r}{hint}", loc)
    version = np.asarray(f.attrs.get("format_version")).tolist()
    if version != DATASET_FORMAT_VERSION:
        raise SpecError.single("dataset-format", f"format_version is {version!r}; this dynapspec reads {DATASET_FORMAT_VERSION}", loc)
    if _text(f.attrs.get("time_unit", TIME_UNIT)) != TIME_UNIT:
        raise SpecError.single("dataset-format", f"time_unit is {_text(f.attrs['time_unit'])!r}; dynapspec reads 'us'", loc)
    kind = _text(f.attrs.get("kind", ""))
    if kind not in KINDS:
        raise SpecError.single("dataset-format", f"kind is {kind!r}; a dataset holds 'dvs' or 'spikes' events", loc)
    for needed in ("events", "offsets", "labels"):
        if needed not in f:
            raise SpecError.single("dataset-format", f"no /{needed}; see docs/events.md (dataset files)", loc)
    missing = [n for n in KINDS[kind] if n not in f["events"]]
    if missing:
        raise SpecError.single("dataset-format", f"/events lacks {', '.join(missing)} ({kind} events need {', '.join(KINDS[kind])})",
                               Location(loc.file, path="/events"))
    offsets = np.asarray(f["offsets"][()])
    labels = np.asarray(f["labels"][()])
    lengths = {len(f["events"][n]) for n in KINDS[kind]}
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise SpecError.single("dataset-format", "/labels must be 1-D integers", Location(loc.file, path="/labels"))
    if (
        offsets.ndim != 1 or offsets.dtype.kind not in "iu" or len(offsets) != len(labels) + 1 or len(lengths) != 1
        or (len(offsets) and (offsets[0] != 0 or offsets[-1] != lengths.pop() or np.any(np.diff(offsets.astype(np.int64)) < 0)))
    ):
        raise SpecError.single(
            "dataset-format",
            f"/offsets must be {len(labels) + 1} non-decreasing integers from 0 to the number of events "
            "(sample i is events[offsets[i]:offsets[i+1]]), and every /events column equally long",
            Location(loc.file, path="/offsets"),
        )
    names = tuple(_text(n) for n in f.attrs.get("class_names", ()))
    return kind, offsets, labels, names


class EventFolder(FileDataset):
    """A folder of dynapspec event files (``/input`` of each is a sample) and a ``file,label`` CSV."""

    def __init__(self, folder: Union[str, Path], labels: Optional[Union[str, Path]] = None):
        self.folder = Path(folder)
        labels_path = Path(labels) if labels is not None else self.folder / LABELS_FILE
        if not labels_path.is_file():
            raise SpecError.single(
                "file-not-found", f"no labels file {labels_path} (one `file,label` row per sample, docs/events.md)",
                Location(str(labels_path)),
            )
        self.files, self.labels = _read_labels(labels_path)
        self.class_names: Tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.files)

    def chunk(self, start: int, stop: int) -> "EventFolderChunk":
        return EventFolderChunk(start, str(self.folder), tuple(self.files[start:stop]), tuple(self.labels[start:stop]))


@dataclass(frozen=True)
class EventFolderChunk(ChunkRef):
    start: int
    folder: str
    files: Tuple[str, ...]
    labels: Tuple[int, ...]

    @property
    def indices(self) -> range:
        return range(self.start, self.start + len(self.files))

    def load(self) -> List[Sample]:
        from ..events import read_event_file

        samples = []
        for i, name, label in zip(self.indices, self.files, self.labels):
            path = Path(self.folder) / name
            try:
                content = read_event_file(path)
                events = content.input if content.input is not None else Unreadable(f"{path}: the file has no /input events")
            except SpecError as exc:  # a bad file is this sample's failure, not the run's
                events = Unreadable(str(exc))
            samples.append(Sample(i, events, label, name))
        return samples


@dataclass(frozen=True)
class Unreadable:
    """Stands in for the events of a sample that could not be read; running it fails with ``why``."""

    why: str


def _read_labels(path: Path) -> Tuple[List[str], List[int]]:
    files, labels = [], []
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError.single("dataset-format", f"cannot read labels: {reason(exc)}", Location(str(path))) from None
    for number, row in enumerate(rows, start=1):
        cells = [cell.strip() for cell in row]
        if not cells or not any(cells) or cells[0].startswith("#") or (number == 1 and cells[:2] == ["file", "label"]):
            continue
        if len(cells) != 2 or not cells[0] or not _is_int(cells[1]):
            raise SpecError.single(
                "dataset-format", f"expected `file,label` with an integer label, got {','.join(row)!r}", Location(str(path), line=number)
            )
        files.append(cells[0])
        labels.append(int(cells[1]))
    return files, labels


def _is_int(text: str) -> bool:
    return text.lstrip("-").isdigit()


class IterableDataset:
    """Any iterable of ``(events, label)`` pairs, e.g. a tonic dataset (iterated in the caller's process)."""

    def __init__(self, items: Iterable):
        self.items: Any = items  # len() only where it has one
        self.class_names: Tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.items)  # TypeError when the iterable has no length: callers check has_length

    def chunks(self, size: int) -> Iterator[List[Sample]]:
        iterator = iter(enumerate(self.items))
        while True:
            block = list(itertools.islice(iterator, size))
            if not block:
                return
            yield [_pair(i, item) for i, item in block]


def _pair(index: int, item) -> Sample:
    try:
        events, label = item
    except (TypeError, ValueError):
        return Sample(index, Unreadable(f"sample {index} is not an (events, label) pair"), None)
    return Sample(index, events, label)


def has_length(dataset) -> bool:
    try:
        len(dataset)
    except TypeError:
        return False
    return True


Dataset = Union[FileDataset, IterableDataset]


def open_dataset(source, labels: Optional[Union[str, Path]] = None) -> Dataset:
    """A dataset file, a folder with a labels file, a Dataset, or any iterable of (events, label)."""
    if isinstance(source, (FileDataset, IterableDataset)):
        return source
    if isinstance(source, (str, Path)):
        path = Path(source)
        if path.is_dir():
            return EventFolder(path, labels)
        return SampleFile(path)
    return IterableDataset(source)


def write_dataset(
    path: Union[str, Path],
    samples: Iterable[Tuple[np.ndarray, int]],
    kind: str = "spikes",
    class_names: Sequence[str] = (),
    name: str = "",
) -> int:
    """Write ``(events, label)`` pairs as a ``dynapspec-dataset`` file, atomically; returns the count.

    Events are checked and cast (``as_events``). The columns are gzip-compressed with the shuffle
    filter; the output is byte-identical for the same content.
    """
    import h5py

    from ..fileio import atomic_path

    if kind not in KINDS:
        raise SpecError.single("dataset-format", f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    arrays, labels = [], []
    for i, (events, label) in enumerate(samples):
        arrays.append(as_events(events, kind, f"sample {i}"))
        labels.append(int(label))
    events = np.concatenate(arrays) if arrays else np.zeros(0, dtype=DVS_DTYPE if kind == "dvs" else SPIKE_DTYPE)
    offsets = np.concatenate([[0], np.cumsum([len(a) for a in arrays], dtype=np.uint64)]).astype(np.uint64)
    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w", track_order=True) as f:
            f.attrs["format"] = DATASET_FORMAT
            f.attrs["format_version"] = DATASET_FORMAT_VERSION
            f.attrs["time_unit"] = TIME_UNIT
            f.attrs["kind"] = kind_of(events) if len(events) else kind
            f.attrs["name"] = name
            if class_names:
                f.attrs["class_names"] = [str(n) for n in class_names]
            group = f.create_group("events")
            for field in field_names(events.dtype):
                options = dict(compression="gzip", shuffle=True, chunks=True) if len(events) else {}
                group.create_dataset(field, data=events[field], track_times=False, **options)
            f.create_dataset("offsets", data=offsets, track_times=False)
            f.create_dataset("labels", data=np.asarray(labels, dtype=np.int64), track_times=False)
    return len(labels)


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
