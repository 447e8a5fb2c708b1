"""Read each layer's weights from the HDF5 file, refusing what the chip cannot run.

The file is read through the guarded HDF5 layer (:mod:`dynapspec.h5guard`): only self-contained
data is read (external links, external storage and virtual datasets are ``weights-external``),
damaged metadata is ``weights-file``, and sizes are checked from the declared shape before
anything is read: one dataset, and all weights of the spec together (a dataset shared by several
layers counts once per layer), hold at most ``limits.weight_values`` values
(``weights-too-large``). Per layer: the dataset exists, is real
numeric, has the right number of dimensions (conv 4-D, dense 2-D; the exact shape needs the
inferred input and is checked by the lower stage), holds finite values, is int8-valued under
``quantize: false``, and its sibling ``bias`` dataset, if any, is all zeros.

Fingerprint (recorded in the compiled configuration): :func:`dataset_sha256`.
"""
from __future__ import annotations

import hashlib
import posixpath
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .. import chips, h5guard, limits
from ..errors import Diagnostic, error
from ..fileio import input_problem, printable
from ..suggest import Suggester
from .model import Conv, LayerSpec, Locator

MAX_ELEMENTS = limits.get("weight_values")  # no core has more than 65536 kernel entries; far beyond any layer
_CODES = {h5guard.FORMAT: "weights-file", h5guard.UNSAFE: "weights-external", h5guard.TOO_LARGE: "weights-too-large"}


def dataset_sha256(array: np.ndarray) -> str:
    """SHA-256 of ``"<dtype>:<shape>:"`` followed by the raw C-order bytes.

    ``<dtype>`` is numpy's little-endian type string of the data as stored (``<f4``, ``<i8``,
    ``|i1``), ``<shape>`` the dimensions joined by commas (``20,1,5,5``). Big-endian data is
    converted to little-endian first, so the same numbers give the same hash on every machine.
    """
    canon = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
    digest = hashlib.sha256(f"{canon.dtype.str}:{','.join(map(str, canon.shape))}:".encode("ascii"))
    digest.update(canon.tobytes(order="C"))
    return digest.hexdigest()


@dataclass(frozen=True)
class LayerWeights:
    weight: np.ndarray  # float64, read-only
    sha256: str


class _Problem(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def _first_index(mask: np.ndarray) -> Tuple[int, ...]:
    return tuple(int(i) for i in np.argwhere(mask)[0])


def _index_text(index: Tuple[int, ...]) -> str:
    return "[" + ", ".join(map(str, index)) + "]"


class _File:
    """An open weight file, read through the guards, with the values read so far counted."""

    def __init__(self, reader: h5guard.Reader, filename: str):
        self.reader, self.filename = reader, filename
        self.values_read = 0
        self._datasets: Optional[List[str]] = None

    def datasets(self) -> List[str]:
        """Every dataset path in the file (at most ``hdf5_objects``), for "the file has" messages."""
        if self._datasets is None:
            import h5py

            found: List[str] = []
            try:
                found = [path for path, obj in self.reader.walk() if isinstance(obj, h5py.Dataset)]
            except h5guard.Refused:
                pass  # a listing for a message: what was found before the walk stopped is enough
            self._datasets = sorted(found)
            self._suggester = Suggester(self._datasets)
        return self._datasets

    def find(self, path: str):
        """The object at ``path``, or None when nothing is there; h5guard.Refused for what cannot be read."""
        return self.reader.lookup(path)

    def dataset(self, path: str):
        """The dataset at ``path`` and its shape, after the checks that need no data; _Problem otherwise."""
        import h5py

        node = self.find(path)
        if not isinstance(node, h5py.Dataset):
            raise _Problem("weights-missing", self._missing(path, node))
        shape, dtype = self.reader.declared(node, path)
        if dtype.kind not in "iuf" or dtype.fields is not None:
            raise _Problem(
                "weights-dtype",
                f"{path} in {self.filename} has dtype {dtype}; weights must be real numbers (integer or floating point)",
            )
        count = int(np.prod(shape, dtype=object))
        if count > MAX_ELEMENTS:
            raise _Problem(
                "weights-too-large",
                f"{path} in {self.filename} has {count} values (shape {h5guard.shape_text(shape)}); no core holds more "
                f"than 65536 kernel entries, so dynapspec refuses datasets above {MAX_ELEMENTS} values without reading them",
            )
        if self.values_read + count > MAX_ELEMENTS:
            raise _Problem(
                "weights-too-large",
                f"{path} in {self.filename} has {count} values, which would bring the weights read for this spec to "
                f"{self.values_read + count}, above {MAX_ELEMENTS} (a dataset shared by several layers counts for each); "
                "no chip holds more than a few hundred thousand, so it was not read",
            )
        self.values_read += count
        return node, shape

    def _missing(self, path: str, node) -> str:
        if node is not None:
            import h5py

            if not isinstance(node, h5py.Group):
                return f"{path} in {self.filename} is {h5guard.kind_of(node)}, not a dataset"
            members = sorted(name for name, _ in self.reader.members(node, path))
            return f"{path} in {self.filename} is a group, not a dataset; members: {limits.listing(members)}"
        names = self.datasets()
        close = self._suggester.closest(path, n=3, cutoff=0.5)
        if close:
            return f"no dataset {path} in {self.filename}; closest: {', '.join(close)} (set `weight:` on the layer to use another path)"
        return f"no dataset {path} in {self.filename}; the file has: {limits.listing(names, 8) if names else 'no datasets'}"

    def read(self, dataset, path: str) -> np.ndarray:
        return self.reader.read(dataset, path, MAX_ELEMENTS)


def _check_layer(file: _File, layer: LayerSpec) -> LayerWeights:
    dataset, shape = file.dataset(layer.weight_dataset)
    ndim = 4 if isinstance(layer.op, Conv) else 2
    if len(shape) != ndim:
        layout = "(out, in, kH, kW)" if ndim == 4 else "(out, in)"
        kind = "conv" if ndim == 4 else "dense"
        raise _Problem(
            "weights-shape",
            f"{layer.weight_dataset} has shape {h5guard.shape_text(shape)} ({len(shape)}-D); a {kind} layer's weights are "
            f"{ndim}-D {layout}",
        )
    raw = file.read(dataset, layer.weight_dataset)
    values = np.array(raw, dtype=np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        index = _first_index(bad)
        raise _Problem(
            "weights-nonfinite",
            f"{layer.weight_dataset} holds {int(bad.sum())} non-finite value(s), the first {values[index]} at "
            f"{_index_text(index)}; weights must be finite numbers",
        )
    if not layer.quantize:
        word = chips.layout().weight
        off = (values != np.rint(values)) | (values < word.min) | (values > word.max)
        if off.any():
            index = _first_index(off)
            raise _Problem(
                "weights-not-integer",
                f"{layer.weight_dataset} has {values[index]:g} at {_index_text(index)}; with `quantize: false` "
                f"weights are used as given and must be integers in {word.min}..{word.max} ({word.dtype})",
            )
    values.setflags(write=False)
    return LayerWeights(values, dataset_sha256(raw))


def _check_bias(file: _File, layer: LayerSpec) -> None:
    folder = posixpath.dirname(layer.weight_dataset)
    if folder == "/":
        return
    path = folder + "/bias"
    if file.find(path) is None:
        return
    bias = np.atleast_1d(np.array(file.read(file.dataset(path)[0], path), dtype=np.float64))
    nonzero = bias != 0  # NaN counts as non-zero
    if nonzero.any():
        index = _first_index(nonzero)
        raise _Problem(
            "bias-nonzero",
            f"{path} has {int(nonzero.sum())} non-zero value(s), the first {bias[index]:g} at {_index_text(index)}; "
            "the chip has no per-event bias: it would run a bias as a leak added to every neuron on each slow-clock "
            "tick, so dynapspec refuses it; retrain without biases, or zero or delete the dataset",
        )


def read(filename: str, layers: Sequence[LayerSpec], locator: Locator) -> Tuple[Dict[str, LayerWeights], List[Diagnostic]]:
    """Each layer's checked weights, and every problem found (all layers are checked)."""
    name = printable(filename)
    problem = input_problem(filename)
    if problem is not None:
        code, words = problem
        if code == "file-not-found" and words == "does not exist" and "weights" not in locator.positions:
            words += " (no `weights:` key, so dynapspec looks for <spec name>.h5 beside the spec)"
        if code == "file-not-found":
            words += f"; `dynapspec weights {locator.file}` lists the datasets it needs and can write a template"
        elif words.startswith("is a directory"):
            code, words = "weights-file", "is a directory, not an HDF5 file"
        code = "weights-file" if code == "file-not-found" else code
        return {}, [error(code, f"the weight file {name} {words}", locator.at("weights"))]
    try:
        reader = h5guard.Reader(filename)
    except h5guard.Refused as refused:
        return {}, [error("weights-file", f"the weight file {name} {refused.text}", locator.at("weights"))]
    found: Dict[str, LayerWeights] = {}
    problems: List[Diagnostic] = []
    with reader:
        file = _File(reader, name)
        for layer in layers:
            try:
                found[layer.name] = _check_layer(file, layer)
                _check_bias(file, layer)
            except (_Problem, h5guard.Refused) as failure:
                code = _CODES[failure.kind] if isinstance(failure, h5guard.Refused) else failure.code
                given = layer.path + ".weight"
                where = given if given in locator.positions else layer.path
                problems.append(error(code, failure.message, locator.at(where, layer.name)))
    return found, problems
