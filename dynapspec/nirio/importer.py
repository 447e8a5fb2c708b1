"""`dynapspec import`: a NIR file -> net.yaml + net.h5, then the result checked by the compiler.

Refusals (what the spec language cannot say) stop before anything is written. What the spec can
say but the chip cannot run (a 200-pixel map, ten layers) is written, then reported by the same
checks `dynapspec validate` runs, so the user edits a complete spec instead of starting over.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Optional, Tuple

import numpy as np

from .. import h5guard
from ..errors import Diagnostic, DynapspecError, Location, warning
from ..fileio import atomic_path
from . import hdf5, nodes, to_spec
from .from_graph import network_from_graph
from .net import ImportedNetwork


@dataclass(frozen=True, eq=False)
class Imported:
    net: ImportedNetwork
    text: str  # the spec
    weights: Dict[str, np.ndarray]  # dataset path -> array


@dataclass(frozen=True)
class ImportReport:
    spec_path: Path
    weights_path: Path
    layers: int
    decisions: Tuple[Diagnostic, ...]  # warnings: choices a human should confirm
    problems: Tuple[Diagnostic, ...]  # what the written spec still needs before it compiles (errors)
    warnings: Tuple[Diagnostic, ...]  # the compiler's warnings on the written spec


def default_name(path) -> str:
    """A spec name from a file name: invalid characters become '_', at most 64 characters."""
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", Path(path).stem) or "net"
    if not re.match(r"[A-Za-z_]", stem):
        stem = "net_" + stem
    return stem[:64]


def read(nir_path, *, target: str = "speck2fdevkit", reset: Optional[str] = None, name: Optional[str] = None,
         weights_file: str = "net.h5") -> Imported:
    """Translate a NIR file into spec text and weight arrays (nothing is written). Raises SpecError."""
    graph = hdf5.contract_identities(hdf5.read(nir_path, params_of=nodes.READ))
    net = network_from_graph(graph, name or default_name(nir_path), reset)
    return Imported(net, to_spec.spec_text(net, target, weights_file), to_spec.weights(net))


def _write_weights(path: Path, arrays: Dict[str, np.ndarray]) -> None:
    with h5guard.create(path, track_order=True) as f:
        for key, value in arrays.items():
            f.create_dataset(key, data=value, track_times=False)


def import_file(nir_path, spec_path, *, target: str = "speck2fdevkit", reset: Optional[str] = None) -> ImportReport:
    """Write ``spec_path`` and the weight file beside it (same stem, .h5), then check them."""
    spec_path = Path(spec_path)
    weights_path = spec_path.with_suffix(".h5")
    imported = read(nir_path, target=target, reset=reset, weights_file=weights_path.name)
    with atomic_path(weights_path) as tmp_h5, atomic_path(spec_path) as tmp_yaml:
        _write_weights(tmp_h5, imported.weights)
        tmp_yaml.write_text(imported.text, encoding="utf-8")
    decisions = tuple(warning("nir-decision", note, Location(str(spec_path))) for note in imported.net.notes)
    problems, warnings = _check(spec_path)
    return ImportReport(spec_path, weights_path, len(imported.net.layers), decisions, problems, warnings)


def _check(spec_path: Path) -> Tuple[Tuple[Diagnostic, ...], Tuple[Diagnostic, ...]]:
    """Everything `dynapspec compile` would say about the written spec: (errors, warnings)."""
    from ..compiler import compile_spec

    try:
        result = compile_spec(spec_path)
    except DynapspecError as exc:
        return exc.diagnostics, ()
    return (), tuple(result.warnings)
