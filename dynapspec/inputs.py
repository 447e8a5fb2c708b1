"""A network's input events, from the files people have.

:func:`read_events` reads, by file extension:

* ``.h5`` / ``.hdf5``: a dynapspec event file's ``/input`` (``docs/events.md``);
* ``.npy``: a numpy structured array as tonic keeps events: fields ``x, y, t, p`` (DVS events) or
  ``t, c, x, y`` (spikes), ``t`` in microseconds; loaded without pickles;
* ``.aedat4``: iniVation DV's recording format, decoded by the ``aedat`` package (an optional
  extra: ``pip install 'dynapspec[aedat]'``): the polarity events of the file's first event
  stream, timestamps shifted to start at 0 (DV stores microseconds since 1970).

:func:`for_network` then gives the events the kind the network takes. DVS events (``x, y, t, p``)
drive a network whose input is spikes (``C, H, W``) when the meaning is unambiguous: polarity p
becomes channel c when every p < C (a 2-channel input, or a 1-channel input fed one polarity);
otherwise ``polarity`` ("channel", "merge", "on", "off"; ``--polarity`` on the command line) says
how. Spike events drive a DVS-input network when every channel is 0 or 1 (c becomes p).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Tuple, Union

import numpy as np

from . import limits
from .errors import Location, SpecError, reason
from .events import as_events, check_range, dvs_events, kind_of, spike_events
from .fileio import check_input

POLARITY = ("channel", "merge", "on", "off")
SUFFIXES = {".h5": "hdf5", ".hdf5": "hdf5", ".hdf": "hdf5", ".npy": "npy", ".aedat4": "aedat4"}


@dataclass(frozen=True, eq=False)
class Recording:
    """Events read from a file, and what was done to them on the way (one sentence each)."""

    events: np.ndarray  # DVS_DTYPE or SPIKE_DTYPE
    network: str = ""  # the network an event file says it was made for ("" if none)
    notes: Tuple[str, ...] = ()


def read_events(path: Union[str, Path]) -> Recording:
    """The events of an event file, a tonic ``.npy`` array or an AEDAT4 recording."""
    path = Path(path)
    source = str(path)
    kind = SUFFIXES.get(path.suffix.lower())
    check_input(path, "event file")  # missing, unreadable, or a FIFO, directory or device: said before reading
    if kind == "npy":
        return _read_npy(path)
    if kind == "aedat4":
        return _read_aedat4(path)
    from .events import read_event_file

    content = read_event_file(path, parts=("input",))  # HDF5, and the format of anything with an unknown suffix
    if content.input is None:
        raise SpecError.single("events-format", "the file has no /input events to play", Location(source, path="/input"))
    return Recording(content.input, content.network)


def _read_npy(path: Path) -> Recording:
    source = str(path)
    try:  # mapped first, so the declared length is checked before anything is read (docs/limits.md)
        array = np.load(path, allow_pickle=False, mmap_mode="r")
    except (OSError, ValueError) as exc:
        raise SpecError.single("events-format", f"not a readable .npy array ({reason(exc)})", Location(source)) from None
    cap = limits.get("events")
    if isinstance(array, np.ndarray) and array.size > cap:
        raise SpecError.single("input-too-large", f"the array holds {array.size} events; at most {cap} are read"
                               f"{limits.raise_hint('events')}", Location(source))
    if not isinstance(array, np.ndarray) or not array.dtype.names:
        shape = getattr(array, "shape", "?")
        raise SpecError.single(
            "events-format",
            f"a .npy of events must be a structured array with named fields (x, y, t, p as tonic writes them, or "
            f"t, c, x, y); this one is an unnamed {getattr(array, 'dtype', '?')} array of shape {shape}",
            Location(source),
        )
    names = set(array.dtype.names)
    kind = "dvs" if "p" in names and "c" not in names else "spikes"
    return Recording(as_events(np.array(array), kind, source))


def _read_aedat4(path: Path) -> Recording:
    source = str(path)
    try:
        import aedat
    except ImportError:
        raise SpecError.single(
            "events-format",
            "reading AEDAT4 needs the aedat decoder: pip install 'dynapspec[aedat]' (or pip install aedat)",
            Location(source),
        ) from None
    try:
        decoder = aedat.Decoder(path)
        streams = sorted(n for n, s in decoder.id_to_stream().items() if s.get("type") == "events")
        if not streams:
            raise SpecError.single("events-format", "the AEDAT4 file has no event stream", Location(source))
        chunks, count, cap = [], 0, limits.get("events")
        for packet in decoder:  # the count is checked packet by packet, before the next is kept
            if packet["stream_id"] == streams[0] and "events" in packet:
                chunks.append(packet["events"])
                count += len(chunks[-1])
                if count > cap:
                    raise SpecError.single("input-too-large", f"the recording holds more than {cap} events"
                                           f"{limits.raise_hint('events')}", Location(source))
    except SpecError:
        raise
    except Exception as exc:  # noqa: BLE001 - the decoder raises plain exceptions with its parser's message
        raise SpecError.single("events-format", f"not a readable AEDAT4 file ({reason(exc)})", Location(source)) from None
    notes = []
    if len(streams) > 1:
        notes.append(f"{source} has {len(streams)} event streams; read stream {streams[0]}")
    raw = np.concatenate(chunks) if chunks else np.zeros(0, dtype=[("t", "<u8"), ("x", "<u2"), ("y", "<u2"), ("on", "?")])
    order = np.argsort(raw["t"], kind="stable")
    if len(raw) and np.any(order != np.arange(len(raw))):
        notes.append(f"{source}: events sorted by timestamp")
        raw = raw[order]
    start = int(raw["t"][0]) if len(raw) else 0
    if start:
        notes.append(f"{source}: timestamps shifted to start at 0 (the first event is at {start} us in the recording)")
    events = dvs_events(raw["x"], raw["y"], raw["t"] - np.uint64(start), raw["on"])
    return Recording(events, "", tuple(notes))


def for_network(recording: Recording, config, polarity: Optional[str] = None, source: str = "<events>") -> Recording:
    """The recording's events in the kind the network takes, checked against its input shape."""
    header = config.header
    wanted, shape, name = header.input.kind, tuple(header.input.shape), header.name
    events, notes = recording.events, list(recording.notes)
    have = kind_of(events)
    where = Location(source, path="/input")
    if polarity is not None and polarity not in POLARITY:
        raise SpecError.single("events-format", f"polarity {polarity!r}: choose one of {', '.join(POLARITY)}", where)
    if polarity is not None and not (have == "dvs" and wanted == "spikes"):
        raise SpecError.single(
            "events-format",
            f"--polarity maps DVS events (x, y, t, p) onto a spike input; here {KIND_WORDS[have]} go to "
            f"network {name!r}, which takes {KIND_WORDS[wanted]}: drop the option",
            where,
        )
    if have == "dvs" and wanted == "spikes":
        events, note = _polarity_to_channel(events, shape, name, polarity, where)
        notes.append(note)
    elif have == "spikes" and wanted == "dvs":
        if len(events) and int(events["c"].max()) > 1:
            raise SpecError.single(
                "events-format",
                f"the file holds spike events (t, c, x, y) with channels up to {int(events['c'].max())}, but network "
                f"{name!r} takes DVS events (x, y, t, p) into its DVS layer; only channels 0 and 1 can be polarities",
                where,
            )
        events = dvs_events(events["x"], events["y"], events["t"], events["c"])
        notes.append("spike channel c played as DVS polarity p (the network's input is its DVS layer)")
    if recording.network and recording.network != name:
        notes.append(f"{source} was made for network {recording.network!r}; running {name!r}")
    check_range(events, shape, source)
    return Recording(events, recording.network, tuple(notes))


KIND_WORDS = {"dvs": "DVS events (x, y, t, p)", "spikes": "spike events (t, c, x, y)"}


def _polarity_to_channel(events, shape, name: str, polarity: Optional[str], where: Location):
    channels = shape[0]
    p = events["p"]
    if polarity is None:
        if len(p) and int(p.max()) >= channels:
            raise SpecError.single(
                "events-format",
                f"the file holds DVS events (x, y, t, p) with both polarities, but network {name!r} takes "
                f"{channels}-channel spikes ({'x'.join(map(str, shape))}); say how polarity maps to channels: "
                "--polarity merge (both into channel 0), --polarity on or --polarity off (only that polarity), "
                "or --polarity channel (c = p) — polarity= in Python",
                where,
            )
        polarity = "channel"
    if polarity == "channel":
        return spike_events(events["t"], p, events["x"], events["y"]), "DVS polarity p played as channel c (p 0 -> c 0, p 1 -> c 1)"
    if polarity == "merge":
        zeros = np.zeros(len(events), dtype=np.uint16)
        return spike_events(events["t"], zeros, events["x"], events["y"]), "both DVS polarities played into channel 0 (--polarity merge)"
    keep = p == (1 if polarity == "on" else 0)
    kept = events[keep]
    note = f"only {polarity.upper()} events (p = {1 if polarity == 'on' else 0}) played, into channel 0: {len(kept)} of {len(events)}"
    return spike_events(kept["t"], np.zeros(len(kept), dtype=np.uint16), kept["x"], kept["y"]), note
