"""Read each layer's weights from the HDF5 file, refusing what the chip cannot run.

The file is opened read-only and only self-contained data is read: external links, external
storage and virtual datasets are refused (``weights-external``) before anything is read, as are
datasets too big for any core (``weights-too-large``). Per layer: the dataset exists, is real
numeric, has the right number of dimensions (conv 4-D, dense 2-D; the exact shape needs the
inferred input and is checked by the lower stage), holds finite values, is int8-valued under
``quantize: false``, and its sibling ``bias`` dataset, if any, is all zeros.

Fingerprint (recorded in the compiled configuration): :func:`dataset_sha256`.
"""
from __future__ import annotations

import difflib
import hashlib
import posixpath
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..errors import Diagnostic, error, reason
from .model import Conv, LayerSpec, Locator

MAX_ELEMENTS = 2**24  # no core has more than 65536 kernel entries; this is far beyond any layer
_SOFT_LINK_HOPS = 16


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
    """An open weight file; every lookup refuses links that leave it."""

    def __init__(self, h5file, filename: str):
        self.h5, self.filename = h5file, filename
        self._datasets: Optional[List[str]] = None

    def datasets(self) -> List[str]:
        """Every dataset reachable through hard links (the walk never follows soft or external links)."""
        if self._datasets is None:
            import h5py

            found: List[str] = []
            self.h5.visititems(lambda name, obj: found.append("/" + name) if isinstance(obj, h5py.Dataset) else None)
            self._datasets = sorted(found)
        return self._datasets

    def find(self, path: str, hops: int = 0):
        """The object at ``path``, or None when nothing is there; _Problem for a link out of the file."""
        import h5py

        node, walked = self.h5, ""
        for part in [p for p in path.split("/") if p]:
            if not isinstance(node, h5py.Group):
                return None
            link = node.get(part, getlink=True)
            walked += "/" + part
            if link is None:
                return None
            if isinstance(link, h5py.ExternalLink):
                raise _Problem(
                    "weights-external",
                    f"{walked} in {self.filename} is an external link to {link.filename}:{link.path}; "
                    "dynapspec reads only self-contained weight files (copy the data into this file)",
                )
            if isinstance(link, h5py.SoftLink):
                if hops >= _SOFT_LINK_HOPS:
                    return None
                target = link.path if link.path.startswith("/") else posixpath.join(node.name, link.path)
                node = self.find(posixpath.normpath(target), hops + 1)
                if node is None:
                    return None
            else:
                node = node[part]
        return node

    def dataset(self, path: str):
        """The dataset at ``path`` after the checks that need no data; _Problem otherwise."""
        import h5py

        node = self.find(path)
        if not isinstance(node, h5py.Dataset):
            raise _Problem("weights-missing", self._missing(path, node))
        if node.is_virtual or node.external:
            kind = "a virtual dataset" if node.is_virtual else "stored in external raw files"
            raise _Problem(
                "weights-external",
                f"{path} in {self.filename} is {kind}; dynapspec reads only self-contained weight files "
                "(copy the data into a regular dataset)",
            )
        if node.dtype.kind not in "iuf" or node.dtype.fields is not None:
            raise _Problem(
                "weights-dtype",
                f"{path} in {self.filename} has dtype {node.dtype}; weights must be real numbers (integer or floating point)",
            )
        if node.size > MAX_ELEMENTS:
            raise _Problem(
                "weights-too-large",
                f"{path} in {self.filename} has {node.size} values (shape {node.shape}); no core holds more than 65536 "
                f"kernel entries, so dynapspec refuses datasets above {MAX_ELEMENTS} values without reading them",
            )
        return node

    def _missing(self, path: str, node) -> str:
        if node is not None:
            return f"{path} in {self.filename} is a group, not a dataset; members: {', '.join(sorted(node))[:200]}"
        names = self.datasets()
        close = difflib.get_close_matches(path, names, n=3, cutoff=0.5)
        if close:
            return f"no dataset {path} in {self.filename}; closest: {', '.join(close)} (set `weight:` on the layer to use another path)"
        listed = ", ".join(names[:8]) + (f", ... ({len(names)} in all)" if len(names) > 8 else "")
        return f"no dataset {path} in {self.filename}; the file has: {listed or 'no datasets'}"

    def read(self, dataset) -> np.ndarray:
        try:
            return np.asarray(dataset[()])
        except (OSError, ValueError, TypeError) as exc:
            raise _Problem("weights-file", f"cannot read {dataset.name} in {self.filename} ({reason(exc)})") from None


def _check_layer(file: _File, layer: LayerSpec) -> LayerWeights:
    dataset = file.dataset(layer.weight_dataset)
    ndim = 4 if isinstance(layer.op, Conv) else 2
    if dataset.ndim != ndim:
        layout = "(out, in, kH, kW)" if ndim == 4 else "(out, in)"
        kind = "conv" if ndim == 4 else "dense"
        raise _Problem(
            "weights-shape",
            f"{layer.weight_dataset} has shape {dataset.shape} ({dataset.ndim}-D); a {kind} layer's weights are "
            f"{ndim}-D {layout}",
        )
    raw = file.read(dataset)
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
        off = (values != np.rint(values)) | (values < -128) | (values > 127)
        if off.any():
            index = _first_index(off)
            raise _Problem(
                "weights-not-integer",
                f"{layer.weight_dataset} has {values[index]:g} at {_index_text(index)}; with `quantize: false` "
                "weights are used as given and must be integers in -128..127 (int8)",
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
    bias = np.atleast_1d(np.array(file.read(file.dataset(path)), dtype=np.float64))
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
    import h5py

    try:
        h5 = h5py.File(filename, "r")
    except FileNotFoundError:
        default = "weights" not in locator.positions
        why = " (no `weights:` key, so dynapspec looks for <spec name>.h5 beside the spec)" if default else ""
        hint = f"; `dynapspec weights {locator.file}` lists the datasets it needs and can write a template"
        return {}, [error("weights-file", f"the weight file {filename} does not exist{why}{hint}", locator.at("weights"))]
    except IsADirectoryError:
        return {}, [error("weights-file", f"the weight file {filename} is a directory, not an HDF5 file", locator.at("weights"))]
    except (OSError, ValueError) as exc:
        return {}, [error("weights-file", f"cannot open {filename} as HDF5 ({reason(exc)})", locator.at("weights"))]
    found: Dict[str, LayerWeights] = {}
    problems: List[Diagnostic] = []
    with h5:
        file = _File(h5, filename)
        for layer in layers:
            try:
                found[layer.name] = _check_layer(file, layer)
                _check_bias(file, layer)
            except _Problem as problem:
                given = layer.path + ".weight"
                where = given if given in locator.positions else layer.path
                problems.append(error(problem.code, problem.message, locator.at(where, layer.name)))
    return found, problems
