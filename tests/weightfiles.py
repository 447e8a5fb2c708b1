"""Small HDF5 weight files built from a one-line description, for the spec-stage tests.

A description is whitespace-separated ``dataset=shape[:kind]`` items, e.g.
``conv1/weight=8,1,3,3 fc/weight=10,392:int conv1/bias=8:ones``. Kinds:
``rand`` (default, float32 normal), ``int`` (int8 values -3..3), ``zeros``, ``ones``, ``half`` (0.5),
``big`` (200.0), ``nan`` / ``inf`` (rand with element [.., 1] bad), ``str``, ``complex``,
``ext`` (an external link to a dataset in another file), ``extstore`` (external raw storage),
``virtual`` (a virtual dataset), ``soft`` (a soft link to a real dataset elsewhere),
``dangling`` (a soft link to nothing), ``group`` (a group instead of a dataset),
``huge`` (more than 2**24 elements; chunked, so nothing is written).
The whole description may instead be ``garbage`` (a file that is not HDF5) or ``none`` (no file).
"""
from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np


def _shape(text: str):
    return tuple(int(v) for v in text.split(",") if v)


def _data(shape, kind: str, rng) -> np.ndarray:
    if kind == "int":
        return rng.integers(-3, 4, size=shape).astype(np.int8)
    fill = {"zeros": 0.0, "ones": 1.0, "half": 0.5, "big": 200.0}
    if kind in fill:
        return np.full(shape, fill[kind], dtype=np.float32)
    data = rng.normal(0.0, 0.1, size=shape).astype(np.float32)
    if kind in ("nan", "inf"):
        data.reshape(-1)[1] = np.nan if kind == "nan" else np.inf
    return data


def write(path: Path, description: str, seed: int = 0) -> None:
    path = Path(path)
    if description.strip() == "none":
        return
    if description.strip() == "garbage":
        path.write_bytes(b"this is not an HDF5 file\n" * 10)
        return
    rng = np.random.default_rng(seed)
    with h5py.File(path, "w") as f:
        for item in description.split():
            name, _, rest = item.partition("=")
            shape_text, _, kind = rest.partition(":")
            shape, kind = _shape(shape_text), kind or "rand"
            if kind == "str":
                f.create_dataset(name, data=np.array([b"w"] * int(np.prod(shape))).reshape(shape))
            elif kind == "complex":
                f.create_dataset(name, data=np.ones(shape, dtype=np.complex64))
            elif kind == "ext":
                other = path.with_name(path.stem + "_other.h5")
                with h5py.File(other, "a") as g:
                    g.create_dataset(name, data=_data(shape, "rand", rng))
                f[name] = h5py.ExternalLink(other.name, "/" + name)
            elif kind == "extstore":
                raw = path.with_name(path.stem + "_raw.bin")
                data = _data(shape, "rand", rng)
                raw.write_bytes(data.tobytes())
                f.create_dataset(name, shape=shape, dtype=np.float32, external=[(raw.name, 0, data.nbytes)])
            elif kind == "virtual":
                f.create_dataset("store/" + name, data=_data(shape, "rand", rng))
                layout = h5py.VirtualLayout(shape=shape, dtype=np.float32)
                layout[...] = h5py.VirtualSource(f["store/" + name])
                f.create_virtual_dataset(name, layout)
            elif kind == "soft":
                f.create_dataset("store/" + name, data=_data(shape, "rand", rng))
                f[name] = h5py.SoftLink("/store/" + name)
            elif kind == "dangling":
                f[name] = h5py.SoftLink("/nowhere/" + name)
            elif kind == "group":
                f.create_group(name)
            elif kind == "huge":
                f.create_dataset(name, shape=shape, dtype=np.float32, chunks=(1,) * (len(shape) - 2) + (64, 64))
            else:
                f.create_dataset(name, data=_data(shape, kind, rng))
