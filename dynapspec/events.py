"""Event formats shared by the simulator, the board adapter and the CLI.

Events are numpy structured arrays with tonic's field names; ``t`` is always microseconds,
``uint64`` on the host (docs/chip.md U18):

* :data:`DVS_DTYPE`  ``x, y, t, p``          DVS events (``p`` = polarity, 1 = ON, U08)
* :data:`SPIKE_DTYPE` ``t, c, x, y``          spikes of one layer, or into the network input
  (``c`` = channel / feature)
* :data:`CHIP_SPIKE_DTYPE` ``t, core, c, x, y``  spikes as the chip hands them to the host:
  ``core`` is the producing core 0..8, or 13 for the DVS layer; coordinates are the producer's own,
  before pooling and feature shift (U16)

A run on either engine returns a :class:`RunResult`. The HDF5 event file layout is documented in
``docs/events.md``; :func:`read_event_file` / :func:`write_event_file` implement it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Mapping, NoReturn, Optional, Tuple, Union

import numpy as np

from . import chips
from .errors import Location, SpecError

TIME_UNIT = "us"
FILE_FORMAT = "dynapspec-events"
FILE_FORMAT_VERSION = 1
DVS_CORE = chips.layout().dvs_layer  # the "layer" samna reports for DVS-layer output
DVS_NAME = "dvs"  # the name the DVS layer goes by in monitors and results
READOUT_NAME = "readout"  # on a board, monitoring it brings ReadoutValue events (and silences spikes)


def field_names(dtype: np.dtype) -> Tuple[str, ...]:
    """The field names of a structured dtype (numpy's type for ``dtype.names`` allows None)."""
    return dtype.names or ()


DVS_DTYPE = np.dtype([("x", "<u2"), ("y", "<u2"), ("t", "<u8"), ("p", "u1")])
SPIKE_DTYPE = np.dtype([("t", "<u8"), ("c", "<u2"), ("x", "<u2"), ("y", "<u2")])
CHIP_SPIKE_DTYPE = np.dtype([("t", "<u8"), ("core", "u1"), ("c", "<u2"), ("x", "<u2"), ("y", "<u2")])
KINDS = {"dvs": field_names(DVS_DTYPE), "spikes": field_names(SPIKE_DTYPE)}  # input kinds, as a file's /input declares them

# What a Speck readout sends (samna 0.48.5 speck2f/event): ReadoutValue has only ``value`` (no
# timestamp: numbered here by slow-clock tick, as sinabs' readout tutorial does), ReadoutPinValue
# ``index`` (the class of the largest average) and ``timestamp``.
READOUT_DTYPE = np.dtype([("tick", "<u4"), ("value", "<u4")])
PIN_DTYPE = np.dtype([("t", "<u8"), ("index", "u1")])
# ReadoutValue.value: bit 20 data valid, bits 19..16 class of the largest average, bits 15..0 what
# output_mode_sel selects (0b01 threshold-compare bits, 0b10 the selected class's average, 0b11 the
# largest average); sinabs' using_readout_layer tutorial and samna's ReadoutConfig.output_mode_sel
READOUT_VALID_BIT = 20
READOUT_CLASS_SHIFT, READOUT_CLASS_BITS = 16, 4
READOUT_DATA_BITS = 16


# ---------------------------------------------------------------- construction and checks


def dvs_events(x, y, t, p) -> np.ndarray:
    """A DVS event array from four equally long sequences."""
    return _build(DVS_DTYPE, x=x, y=y, t=t, p=p)


def spike_events(t, c, x, y) -> np.ndarray:
    """A spike event array (``t, c, x, y``) from four equally long sequences."""
    return _build(SPIKE_DTYPE, t=t, c=c, x=x, y=y)


def _build(dtype: np.dtype, **columns) -> np.ndarray:
    arrays = {name: np.asarray(values) for name, values in columns.items()}
    lengths = {a.shape for a in arrays.values()}
    if len(lengths) != 1 or len(next(iter(lengths))) != 1:
        raise SpecError.single("events-format", "event fields must be 1-D sequences of one length")
    return _cast(arrays, dtype, Location("<events>"))


def as_events(events, kind: str, source: str = "<events>") -> np.ndarray:
    """``events`` (any structured array or dict of columns) in the canonical dtype of ``kind``.

    ``kind`` is ``"dvs"`` (x, y, t, p) or ``"spikes"`` (t, c, x, y). The channel may be called
    ``p`` or ``c`` either way, so a tonic array can drive a 2-channel spike input. Checks field
    names, integer values, fitting ranges and non-negative, sorted timestamps.
    """
    loc = Location(source)
    columns = _columns(events, loc)
    if "c" not in columns and "p" in columns:
        columns["c"] = columns.pop("p")
    dtype = DVS_DTYPE if kind == "dvs" else SPIKE_DTYPE
    if kind == "dvs":
        columns["p"] = columns.pop("c", None)
    wanted = set(field_names(dtype))
    missing = sorted(n for n in wanted if columns.get(n) is None)
    if missing:
        have = sorted(n for n, v in columns.items() if v is not None)
        raise SpecError.single(
            "events-format",
            f"{kind} events need fields {', '.join(field_names(dtype))} (channel as 'c' or 'p'); "
            f"missing {', '.join(missing)}, found {', '.join(have) or 'none'}",
            loc,
        )
    out = _cast({n: columns[n] for n in field_names(dtype)}, dtype, loc)
    check_order(out, source)
    return out


def _columns(events, loc: Location) -> Dict[str, Optional[np.ndarray]]:
    if isinstance(events, np.ndarray) and events.dtype.names:
        if events.ndim != 1:
            raise SpecError.single("events-format", f"events must be 1-D, got shape {events.shape}", loc)
        return {name: events[name] for name in events.dtype.names}
    if isinstance(events, Mapping):
        return {str(name): np.asarray(values) for name, values in events.items()}
    raise SpecError.single(
        "events-format",
        f"events must be a numpy structured array (fields like x, y, t, p), got {type(events).__name__}",
        loc,
    )


def _cast(columns: Mapping[str, Any], dtype: np.dtype, loc: Location) -> np.ndarray:
    """The columns (anything array-like: checked here) as one array of ``dtype``."""
    names = field_names(dtype)
    missing = [name for name in names if name not in columns]
    if missing:
        raise SpecError.single("events-format", f"fields {', '.join(names)} needed; missing {', '.join(missing)}", loc)
    length: Optional[int] = None
    out = np.zeros(0, dtype=dtype)
    for name in names:
        values = np.asarray(columns[name])
        if values.ndim != 1:
            raise SpecError.single("events-format", f"field {name!r} must be 1-D", loc)
        if length is None:
            length = len(values)
            out = np.zeros(length, dtype=dtype)
        elif len(values) != length:
            raise SpecError.single("events-format", f"field {name!r} has {len(values)} entries, expected {length}", loc)
        if values.dtype.kind == "b":
            values = values.astype(np.uint8)
        if values.dtype.kind == "f":
            if len(values) and not np.all(np.isfinite(values) & (values == np.round(values))):
                raise SpecError.single("events-format", f"field {name!r} holds non-integer values", loc)
        elif values.dtype.kind not in "iu" and len(values):
            raise SpecError.single("events-format", f"field {name!r} is {values.dtype}, not integers", loc)
        if len(values):
            lo, hi = values.min(), values.max()
            limit = np.iinfo(dtype[name])
            if lo < 0:
                code = "events-order" if name == "t" else "events-range"
                what = "timestamp" if name == "t" else f"{name}"
                raise SpecError.single(code, f"negative {what} {lo} at event {int(np.argmin(values))}", loc)
            if hi > limit.max:
                raise SpecError.single(
                    "events-range", f"field {name!r} value {hi} exceeds {limit.max} at event {int(np.argmax(values))}", loc
                )
        out[name] = values
    return out


def kind_of(events: np.ndarray) -> str:
    """``"dvs"`` for a :data:`DVS_DTYPE` array, else ``"spikes"``."""
    return "dvs" if events.dtype == DVS_DTYPE else "spikes"


def check_order(events: np.ndarray, source: str = "<events>") -> None:
    """Timestamps must not decrease (ties keep their order, docs/chip.md §9)."""
    t = events["t"]
    back = t[1:] < t[:-1]
    if back.any():  # the usual case, ordered, costs one comparison and no index array
        i = int(np.argmax(back)) + 1
        raise SpecError.single(
            "events-order",
            f"timestamps must not decrease: event {i} has t={int(t[i])} us after t={int(t[i - 1])} us; sort by t first",
            Location(source),
        )


def check_range(events: np.ndarray, shape: Tuple[int, int, int], source: str = "<events>") -> None:
    """Every event's channel, x and y must lie inside ``shape`` = (C, H, W)."""
    channel = "p" if "p" in field_names(events.dtype) else "c"
    for name, size, axis in ((channel, shape[0], "channel"), ("x", shape[2], "width"), ("y", shape[1], "height")):
        values = events[name]
        if not len(values) or values.max() < size:  # the usual case, without an index array
            continue
        bad = np.flatnonzero(values >= size)
        if len(bad):
            i = int(bad[0])
            raise SpecError.single(
                "events-range",
                f"event {i} has {name}={int(values[i])}, outside the input's {axis} {size} "
                f"(input shape C,H,W = {tuple(shape)}); {len(bad)} such events",
                Location(source),
            )


# ---------------------------------------------------------------- dense rasters


def events_to_raster(
    events: np.ndarray, dt_us: int, shape: Tuple[int, int, int], t_start: int = 0, n_steps: Optional[int] = None
) -> np.ndarray:
    """Count events into a ``(T, C, H, W)`` int32 raster with bins of ``dt_us`` microseconds.

    Bin k holds ``t_start + k*dt <= t < t_start + (k+1)*dt``; events before ``t_start`` or after
    the last bin are dropped. ``n_steps`` defaults to just enough bins for the last event.
    """
    if dt_us <= 0:
        raise SpecError.single("events-format", f"time step must be > 0 us, got {dt_us}")
    channel = "p" if "p" in field_names(events.dtype) else "c"
    t = events["t"].astype(np.int64) - int(t_start)
    if n_steps is None:
        n_steps = int(t.max() // dt_us + 1) if len(t) and t.max() >= 0 else 0
    keep = (t >= 0) & (t < n_steps * dt_us)
    check_range(events[keep], shape)
    raster = np.zeros((n_steps,) + tuple(shape), dtype=np.int32)
    np.add.at(raster, (t[keep] // dt_us, events[channel][keep], events["y"][keep], events["x"][keep]), 1)
    return raster


def raster_to_events(raster: np.ndarray, dt_us: int, t_start: int = 0, kind: str = "spikes") -> np.ndarray:
    """A ``(T, C, H, W)`` count raster as events at the start of each bin.

    A count n gives n identical events. Order within a bin: c, then y, then x ascending (row-major),
    which is also the order the simulator processes them in. ``kind="dvs"`` returns DVS events
    with ``p = c``.
    """
    raster = np.asarray(raster)
    if raster.ndim != 4:
        raise SpecError.single("events-format", f"a raster is (T, C, H, W); got {raster.ndim} dimensions")
    if raster.dtype.kind not in "iub" or (raster.size and raster.min() < 0):
        raise SpecError.single("events-format", "raster entries must be non-negative integer counts")
    if dt_us <= 0:
        raise SpecError.single("events-format", f"time step must be > 0 us, got {dt_us}")
    flat = raster.reshape(-1).astype(np.int64)
    index = np.repeat(np.arange(flat.size), flat)
    step, c, y, x = np.unravel_index(index, raster.shape)
    t = int(t_start) + step * int(dt_us)
    if kind == "dvs":
        return dvs_events(x, y, t, c)
    return spike_events(t, c, x, y)


# ---------------------------------------------------------------- run results


@dataclass(frozen=True, eq=False)
class RunResult:
    """What one run returns, on the simulator or a board.

    ``output`` holds every monitored spike in the order the host received it. ``layers`` splits it
    per monitored layer name (``"dvs"`` for the DVS layer). ``spike_counts`` has every layer the
    engine can count: the simulator knows all layers, a board only the monitored ones.
    """

    output: np.ndarray  # CHIP_SPIKE_DTYPE
    layers: Mapping[str, np.ndarray]  # name -> SPIKE_DTYPE
    spike_counts: Mapping[str, int]
    input_count: int
    duration_s: float  # wall-clock seconds the run took
    device: str = "sim"
    states: Optional[Mapping[str, np.ndarray]] = None  # name -> final V[f][x][y] (int16), on request
    # what only a board reports (docs/events.md, "Run results"); None where the engine has none
    readout: Optional[np.ndarray] = None  # READOUT_DTYPE, ReadoutValue events in arrival order
    readout_pins: Optional[np.ndarray] = None  # PIN_DTYPE, ReadoutPinValue events
    dropped: int = 0  # events the board's IO module reported dropping (DroppedEventsNum)
    raw_dvs: Optional[np.ndarray] = None  # DVS_DTYPE, the DVS layer's raw input, when asked for

    def __repr__(self) -> str:
        from .display import short_repr

        return short_repr(self)


@dataclass(frozen=True)
class ReadoutDecision:
    """The readout's answer over a run: the class (1..15) it reported most often."""

    cls: int
    votes: int  # readings that named it
    readings: int  # readings that named any class
    tied: Tuple[int, ...] = ()  # other classes named just as often
    source: str = "pins"  # "pins" (ReadoutPinValue) or "values" (valid ReadoutValue)


def decode_readout(values: np.ndarray) -> Dict[str, np.ndarray]:
    """``valid``, ``cls`` and ``data`` fields of ReadoutValue words (READOUT_* layout)."""
    v = np.asarray(values, dtype=np.int64)
    return {
        "valid": (v >> READOUT_VALID_BIT) & 1,
        "cls": (v >> READOUT_CLASS_SHIFT) & ((1 << READOUT_CLASS_BITS) - 1),
        "data": v & ((1 << READOUT_DATA_BITS) - 1),
    }


def readout_decision(result: "RunResult") -> Optional[ReadoutDecision]:
    """The most frequent class in the pin readings, else in the valid readout values (class 0 = none)."""
    for source, classes in (("pins", None if result.readout_pins is None else result.readout_pins["index"]),
                            ("values", _valid_classes(result.readout))):
        if classes is None:
            continue
        classes = np.asarray(classes, dtype=np.int64)
        classes = classes[classes > 0]
        if len(classes):
            counts = np.bincount(classes)
            best = int(np.argmax(counts))
            tied = tuple(int(c) for c in np.flatnonzero(counts == counts[best]) if c != best)
            return ReadoutDecision(best, int(counts[best]), len(classes), tied, source)
    return None


def _valid_classes(readout: Optional[np.ndarray]) -> Optional[np.ndarray]:
    if readout is None:
        return None
    fields = decode_readout(readout["value"])
    return fields["cls"][fields["valid"] == 1]


def split_by_core(output: np.ndarray, names: Mapping[int, str]) -> Dict[str, np.ndarray]:
    """Per-layer SPIKE_DTYPE arrays from chip output; ``names`` maps core (13 = DVS) to a name."""
    layers = {}
    for core, name in names.items():
        picked = output[output["core"] == core]
        spikes = np.zeros(len(picked), dtype=SPIKE_DTYPE)
        for f in field_names(SPIKE_DTYPE):
            spikes[f] = picked[f]
        layers[name] = spikes
    return layers


# ---------------------------------------------------------------- HDF5 files


@dataclass(frozen=True, eq=False)
class EventFile:
    """The contents of a dynapspec event file (``docs/events.md``)."""

    network: str = ""
    input: Optional[np.ndarray] = None  # DVS_DTYPE or SPIKE_DTYPE
    output: Optional[np.ndarray] = None  # CHIP_SPIKE_DTYPE
    layers: Mapping[str, np.ndarray] = field(default_factory=dict)  # SPIKE_DTYPE each
    spike_counts: Mapping[str, int] = field(default_factory=dict)
    states: Mapping[str, np.ndarray] = field(default_factory=dict)
    device: str = ""
    duration_s: Optional[float] = None
    readout: Optional[np.ndarray] = None  # READOUT_DTYPE
    readout_pins: Optional[np.ndarray] = None  # PIN_DTYPE
    dropped: Optional[int] = None  # a board's dropped-event count (None: not a board run)
    raw_dvs: Optional[np.ndarray] = None  # DVS_DTYPE

    def __repr__(self) -> str:
        from .display import short_repr

        return short_repr(self)


def result_file(result: RunResult, network: str = "", input: Optional[np.ndarray] = None) -> EventFile:  # noqa: A002 - the file's field
    """An :class:`EventFile` holding a run's input (optional) and everything it returned."""
    return EventFile(
        network=network,
        input=input,
        output=result.output,
        layers=dict(result.layers),
        spike_counts=dict(result.spike_counts),
        states=dict(result.states or {}),
        device=result.device,
        duration_s=result.duration_s,
        readout=result.readout,
        readout_pins=result.readout_pins,
        dropped=None if result.device == "sim" else int(result.dropped),
        raw_dvs=result.raw_dvs,
    )


def write_event_file(path: Union[str, Path], content: EventFile) -> None:
    """Write ``content`` atomically: the file is complete or untouched."""
    from .fileio import atomic_path
    from .h5guard import create

    with atomic_path(path) as tmp:
        with create(tmp, track_order=True) as f:  # built in memory: a failing disk cannot crash HDF5
            f.attrs["format"] = FILE_FORMAT
            f.attrs["format_version"] = FILE_FORMAT_VERSION
            f.attrs["network"] = content.network
            f.attrs["time_unit"] = TIME_UNIT
            if content.device:
                f.attrs["device"] = content.device
            if content.duration_s is not None:
                f.attrs["duration_s"] = float(content.duration_s)
            if content.input is not None:
                _write_columns(f.create_group("input"), content.input).attrs["kind"] = kind_of(content.input)
            if content.output is not None:
                _write_columns(f.create_group("output"), content.output)
            if content.layers:
                group = f.create_group("layers")
                for name in sorted(content.layers):
                    sub = _write_columns(group.create_group(name), content.layers[name])
                    if name in content.spike_counts:
                        sub.attrs["spike_count"] = int(content.spike_counts[name])
            if content.spike_counts:
                counts = f.create_group("spike_counts")
                for name in sorted(content.spike_counts):
                    counts.attrs[name] = int(content.spike_counts[name])
            if content.states:
                group = f.create_group("states")
                for name in sorted(content.states):
                    group.create_dataset(name, data=np.asarray(content.states[name], dtype=chips.layout().state.dtype), track_times=False)
            if content.dropped is not None:
                f.attrs["dropped_events"] = int(content.dropped)
            for name in ("readout", "readout_pins", "raw_dvs"):
                if getattr(content, name) is not None:
                    _write_columns(f.create_group(name), getattr(content, name))


def _write_columns(group, events: np.ndarray):
    for name in field_names(events.dtype):
        group.create_dataset(name, data=events[name], track_times=False)
    return group


EVENT_PARTS = ("input", "output", "layers", "states", "extras")  # what read_event_file can read
_REFUSAL_CODES = {"format": "events-format", "unsafe": "hdf5-unsafe", "too-large": "input-too-large"}


def read_event_file(path: Union[str, Path], parts: Optional[Tuple[str, ...]] = None) -> EventFile:
    """Read a dynapspec event file; ``/input`` may also be one compound dataset (a tonic array).

    ``parts`` is what to read of :data:`EVENT_PARTS` (default: all): playing a file reads only its
    input, not the results stored beside it. The file is read through the guarded HDF5 layer
    (:mod:`dynapspec.h5guard`); each event list holds at most ``limits.events`` events, checked
    from its declared shape before it is read.
    """
    from .fileio import check_input, printable
    from .h5guard import Reader, Refused

    source = printable(path)
    check_input(path, "event file")
    try:
        with Reader(path) as reader:
            return _EventReader(reader, source).read(EVENT_PARTS if parts is None else parts)
    except Refused as refused:
        where = Location(source, path="" if refused.path == "/" else refused.path)
        raise SpecError.single(_REFUSAL_CODES[refused.kind], refused.text, where) from None


class _EventReader:
    """One event file's parts, each read only when asked for, through an h5guard.Reader."""

    def __init__(self, reader, source: str):
        self.reader, self.source = reader, source
        self.root = reader.lookup("/")

    def read(self, parts) -> EventFile:
        r, root = self.reader, self.root
        self.check_header()
        content: Dict[str, Any] = {}
        if "input" in parts:
            content["input"] = self.input()
        if "output" in parts:
            found = self.columns("/output", field_names(CHIP_SPIKE_DTYPE))
            content["output"] = None if found is None else _cast(found, CHIP_SPIKE_DTYPE, Location(self.source, path="/output"))
        if "layers" in parts:
            content["layers"] = {
                name: _cast(self.columns(f"/layers/{name}", field_names(SPIKE_DTYPE), required=True),  # type: ignore[arg-type] # required: never None
                            SPIKE_DTYPE,
                            Location(self.source, path=f"/layers/{name}"))
                for name in self.names("/layers")
            }
            counts = r.lookup("/spike_counts")
            attrs = [] if counts is None else r.call("listing attributes", "/spike_counts", list, counts.attrs)
            content["spike_counts"] = {name: r.int_attribute(counts, name, "/spike_counts") for name in attrs}
        if "states" in parts:
            content["states"] = {name: self.state(f"/states/{name}") for name in self.names("/states")}
        if "extras" in parts:  # what a board reports besides spikes (hardware runs only)
            for name, dtype in (("readout", READOUT_DTYPE), ("readout_pins", PIN_DTYPE), ("raw_dvs", DVS_DTYPE)):
                found = self.columns(f"/{name}", field_names(dtype))
                content[name] = None if found is None else _cast(found, dtype, Location(self.source, path=f"/{name}"))
            content["dropped"] = r.int_attribute(root, "dropped_events", "/")
        duration = r.number_attribute(root, "duration_s", "/")
        return EventFile(
            network=r.text_attribute(root, "network", "/") or "",
            device=r.text_attribute(root, "device", "/") or "",
            duration_s=duration,
            **content,
        )

    def fail(self, message: str, path: str = "") -> NoReturn:
        raise SpecError.single("events-format", message, Location(self.source, path=path))

    def check_header(self) -> None:
        """``format``, ``format_version`` and ``time_unit`` may be missing (a hand-made file) but not different."""
        r, root = self.reader, self.root
        name = r.text_attribute(root, "format", "/")
        if name is not None and name != FILE_FORMAT:
            self.fail(f"format is {name[:40]!r}; dynapspec reads {FILE_FORMAT!r} files")
        version = r.int_attribute(root, "format_version", "/")
        if version is not None and version != FILE_FORMAT_VERSION:
            self.fail(f"format_version is {version}; this dynapspec reads version {FILE_FORMAT_VERSION}")
        unit = r.text_attribute(root, "time_unit", "/")
        if unit is not None and unit != TIME_UNIT:
            self.fail(f"time_unit is {unit[:40]!r}; dynapspec reads 'us'")

    def input(self) -> Optional[np.ndarray]:
        columns = self.columns("/input", ("x", "y", "t", "p", "c"))
        if columns is None:
            return None
        where = Location(self.source, path="/input")
        kind = self.reader.text_attribute(self.reader.lookup("/input"), "kind", "/input")
        if kind is None:
            kind = "dvs" if "p" in columns and "c" not in columns else "spikes"
        elif kind not in KINDS:
            supported = "; ".join(f"{k!r} (fields {', '.join(fields)})" for k, fields in KINDS.items())
            raise SpecError.single("events-format", f"kind is {kind[:40]!r}; supported: {supported}", where)
        return as_events(columns, kind, self.source)

    def names(self, path: str) -> Tuple[str, ...]:
        """Member names of the group at ``path`` (none if it is missing)."""
        import h5py

        group = self.reader.lookup(path)
        if group is None:
            return ()
        if not isinstance(group, h5py.Group):
            self.fail("must be a group", path)
        return tuple(name for name, _ in self.reader.members(group, path))

    def columns(self, path: str, fields, required: bool = False) -> Optional[Dict[str, np.ndarray]]:
        """The event columns named ``fields`` at ``path``: a group of 1-D datasets or one compound dataset."""
        import h5py

        from . import limits

        r = self.reader
        node = r.lookup(path)
        if node is None:
            if required:
                self.fail("is missing (a dangling link?)", path)
            return None
        cap = limits.get("events")
        if isinstance(node, h5py.Dataset):
            shape, dtype = r.declared(node, path)
            if not dtype.names:
                self.fail("expected a group of 1-D datasets or one compound dataset", path)
            if len(shape) != 1:
                self.fail(f"must be 1-D, got shape {shape}", path)
            for name in set(dtype.names) & set(fields):
                self.numeric(name, dtype[name], path)
            data = r.read(node, path, cap, "events")
            return {name: data[name] for name in dtype.names if name in fields}
        if not isinstance(node, h5py.Group):
            self.fail("must be a group of 1-D datasets or one compound dataset, not a named datatype", path)
        found = {}
        for name, item in r.members(node, path):
            if name not in fields:
                continue  # other datasets are ignored, and not read
            where = f"{path}/{name}"
            shape, dtype = r.declared(item, where) if isinstance(item, h5py.Dataset) else ((), None)
            if len(shape) != 1:
                self.fail(f"{name!r} must be a 1-D dataset", path)
            self.numeric(name, dtype, path)
            found[name] = r.read(item, where, cap, "events")
        return found

    def numeric(self, name: str, dtype, path: str) -> None:
        """Event fields are numbers: anything else (text, compound...) is refused before it is read."""
        if dtype.kind not in "biuf" or dtype.shape:
            self.fail(f"field {name!r} is {dtype}, not integers", path)

    def state(self, path: str) -> np.ndarray:
        import h5py

        from . import limits

        node = self.reader.lookup(path)
        if not isinstance(node, h5py.Dataset) or self.reader.declared(node, path)[1].kind not in "biuf":
            self.fail("must be a numeric dataset of neuron states", path)
        return self.reader.read(node, path, limits.get("state_values"), "state_values")
