"""Write small AEDAT4 files for the reader's tests (no AEDAT4 writer is a light dependency).

The layout is iniVation DV's: the magic line ``#!AER-DAT4.0\\r\\n``; a u32 length and an
``IOHE`` flatbuffer (no compression, no file data table) whose description is the DV XML naming
each output stream; then packets, each a u32 stream id, a u32 length and a size-prefixed
``EVTS`` flatbuffer holding structs (t int64, x int16, y int16, on bool; 16 bytes, 8-aligned).
Schemas: the ``flatbuffers/*.fbs`` files of the aedat decoder (neuromorphicsystems/aedat).
"""
from __future__ import annotations

import struct
from pathlib import Path
from typing import Sequence

import numpy as np

DESCRIPTION = (
    '<dv version="2.0"><node name="outInfo" path="/mainloop/output_file/outInfo/">{streams}</node></dv>'
)
EVENT_STREAM = (
    '<node name="{id}" path="/mainloop/output_file/outInfo/{id}/">'
    '<attr key="compression" type="string">NONE</attr>'
    '<attr key="typeIdentifier" type="string">EVTS</attr>'
    '<node name="info" path="/mainloop/output_file/outInfo/{id}/info/">'
    '<attr key="sizeX" type="int">{width}</attr><attr key="sizeY" type="int">{height}</attr>'
    "</node></node>"
)


def _ioheader(description: str) -> bytes:
    text = description.encode("utf-8")
    buf = struct.pack("<I", 20) + b"IOHE"                  # root table at 20
    buf += struct.pack("<HHHHH", 10, 8, 0, 0, 4) + b"\0\0"  # vtable: only `description`, at +4
    buf += struct.pack("<iI", 20 - 8, 4)                    # table: soffset to vtable; string at +4
    buf += struct.pack("<I", len(text)) + text + b"\0"
    return buf + b"\0" * (-len(buf) % 4)


def _event_packet(events: np.ndarray) -> bytes:
    body = struct.pack("<I", 16) + b"EVTS"                  # (after the size prefix) root table at 20
    body += struct.pack("<HHH", 6, 8, 4) + b"\0\0"          # vtable: `elements` at +4
    body += struct.pack("<iI", 20 - 12, 4)                  # table; vector at +4 (absolute 28)
    body += struct.pack("<I", len(events))                  # elements start at 32: 8-aligned
    for t, x, y, on in zip(events["t"], events["x"], events["y"], events["on"]):
        body += struct.pack("<qhh?xxx", int(t), int(x), int(y), bool(on))
    return struct.pack("<I", len(body)) + body


def write(path: Path, packets: Sequence[np.ndarray], width: int = 128, height: int = 128, streams: int = 1) -> None:
    """Packets of (t, x, y, on) records, all in stream 0; ``streams`` declares that many event streams."""
    header = _ioheader(DESCRIPTION.format(
        streams="".join(EVENT_STREAM.format(id=n, width=width, height=height) for n in range(streams))))
    data = b"#!AER-DAT4.0\r\n" + struct.pack("<I", len(header)) + header
    for events in packets:
        packet = _event_packet(events)
        data += struct.pack("<II", 0, len(packet)) + packet
    Path(path).write_bytes(data)


def events(t, x, y, on) -> np.ndarray:
    out = np.zeros(len(t), dtype=[("t", "<i8"), ("x", "<i2"), ("y", "<i2"), ("on", "?")])
    out["t"], out["x"], out["y"], out["on"] = t, x, y, on
    return out
