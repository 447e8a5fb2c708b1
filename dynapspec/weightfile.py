"""The weight file a spec needs, known before one exists.

A layer's weight shape follows from its input, which follows from every layer before it, so a
user writing a spec by hand cannot guess it. :func:`needs` lowers the spec without its weights
and lists every dataset: path, shape, dtype and layout (a dense layer's column order included).
:func:`write_template` writes a file with exactly those datasets, zeros or seeded random values,
marked as a template in the file's and each dataset's ``dynapspec_template`` attribute so that
nobody mistakes it for trained weights (compiling a spec against it warns: ``weights-template``).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np

from .chips import layout
from .errors import Diagnostic, warning
from .spec.model import Conv, LayerSpec, Spec

TEMPLATE_ATTR = "dynapspec_template"
FILLS = ("zeros", "random")


@dataclass(frozen=True)
class Need:
    """One dataset a spec reads. ``shape`` is None when an upstream error leaves it unknown."""

    layer: str
    dataset: str
    shape: Optional[Tuple[int, ...]]
    dtype: str
    layout: str
    quantize: bool

    def to_dict(self) -> dict:
        return {"layer": self.layer, "dataset": self.dataset, "shape": list(self.shape) if self.shape else None,
                "dtype": self.dtype, "layout": self.layout}


def needs(spec: Spec, target: Optional[str] = None) -> Tuple[List[Need], Tuple[Diagnostic, ...]]:
    """Every weight dataset ``spec`` (loaded with or without weights) needs, and the lowering errors
    that leave some shapes unknown."""
    from .compiler.lower import lower_partially

    partial = lower_partially(spec, target)
    lowered = {layer.name: layer for layer in partial.layers}
    found = []
    for layer in spec.layers:
        shape = partial.weight_shapes.get(layer.name, (None, ""))[0]
        chip_layer = lowered.get(layer.name)
        found.append(Need(
            layer=layer.name,
            dataset=layer.weight_dataset,
            shape=shape,
            dtype="float32" if layer.quantize else layout().weight.dtype,
            layout=_layout(layer, shape, chip_layer.input_shape if chip_layer else None, chip_layer),
            quantize=layer.quantize,
        ))
    errors = tuple(d for d in partial.diagnostics if d.severity == "error")
    return found, errors


def _layout(layer: LayerSpec, shape, input_shape, chip_layer) -> str:
    if shape is None:
        return "unknown until the errors upstream are fixed"
    if isinstance(layer.op, Conv):
        text = "conv (out, in, kH, kW)"
        if chip_layer is not None and len(chip_layer.sources) > 1:
            text += "; in = the features of " + ", then ".join(chip_layer.sources)
        return text
    text = "dense (out, in)"
    if input_shape is None:
        return text
    C, H, W = input_shape
    if H * W == 1:
        return text + f"; in = the {C} input features"
    if layer.op.input_order == "hwc":
        return text + f"; in = a {C}x{H}x{W} map flattened H,W,C: column (h*{W} + w)*{C} + c"
    return text + f"; in = a {C}x{H}x{W} map flattened C,H,W: column (c*{H} + h)*{W} + w"


def template_values(need: Need, fill: str, rng: np.random.Generator) -> np.ndarray:
    """Zeros, or values drawn like a common initialisation: uniform in +-1/sqrt(fan-in) (integers
    -8..8 for ``quantize: false`` layers, which take chip weight words as given)."""
    assert need.shape is not None, "a template is written only when every shape is known"
    if fill == "zeros":
        return np.zeros(need.shape, dtype=np.float32 if need.quantize else layout().weight.dtype)
    if not need.quantize:
        return rng.integers(-8, 9, size=need.shape).astype(layout().weight.dtype)
    bound = 1.0 / np.sqrt(int(np.prod(need.shape[1:])))
    return rng.uniform(-bound, bound, size=need.shape).astype(np.float32)


def write_template(path: Union[str, Path], spec: Spec, found: Sequence[Need], fill: str = "zeros", seed: int = 0) -> str:
    """Write every needed dataset, atomically; returns the note stored in the file."""
    import h5py

    from .fileio import atomic_path

    note = (f"{'zeros' if fill == 'zeros' else f'random values (seed {seed})'} written by `dynapspec weights "
            f"--template` for network {spec.name!r}: a template with the right shapes, not trained weights")
    rng = np.random.default_rng(seed)
    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w", track_order=True) as f:
            f.attrs[TEMPLATE_ATTR] = note
            for need in found:
                dataset = f.create_dataset(need.dataset, data=template_values(need, fill, rng))
                dataset.attrs[TEMPLATE_ATTR] = fill if fill == "zeros" else f"random (seed {seed})"
    return note


def template_warning(spec: Spec) -> Tuple[Diagnostic, ...]:
    """A warning when the spec's weight file is a template written by :func:`write_template`."""
    import h5py

    try:
        with h5py.File(spec.weights_file, "r") as f:
            note = f.attrs.get(TEMPLATE_ATTR)
    except (OSError, ValueError):
        return ()
    if note is None:
        return ()
    if isinstance(note, bytes):
        note = note.decode("utf-8", "replace")
    return (warning("weights-template", f"{spec.weights_file} holds {note}", spec.locator.at("weights")),)
