"""One look and byte-stable files: fixed fonts and settings, metadata without dates, atomic writes.

Every drawing starts in :func:`settings`, which imports matplotlib through :func:`require`, so a
missing extra is one clear error (``plot-missing``), never an ImportError traceback.

Determinism: every figure is drawn and saved under :data:`RC` on top of matplotlib's own defaults
(a user's matplotlibrc changes nothing); SVG text stays text (``svg.fonttype: none``) with a
fixed id salt and no metadata block; PDF gets no creation date; PNG carries only matplotlib's
version. Two renders of the same figure are byte-identical (tested for SVG, PNG and PDF).
"""
from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Iterator, Optional, Union

from ..errors import DeviceError

FORMATS = ("svg", "png", "pdf")
INSTALL = "pip install 'dynapspec[plot]'"

RC = {
    "font.family": "DejaVu Sans",  # ships with matplotlib: the same glyphs on every machine
    "font.size": 8,
    "svg.fonttype": "none",  # text as <text>, searchable and small
    "svg.hashsalt": "dynapspec",  # stable clip-path ids
    "pdf.fonttype": 42,
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "axes.titlesize": 9,
    "axes.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "image.interpolation": "nearest",
}
METADATA = {
    "svg": {"Date": None, "Creator": None, "Format": None, "Type": None},
    "pdf": {"CreationDate": None, "Creator": "dynapspec"},
    "png": None,
}


def require():
    """The matplotlib module, or the ``plot-missing`` error naming the pip install to run."""
    try:
        import matplotlib as mpl
        import matplotlib.figure  # the parts the drawing modules use
        import matplotlib.patches
        import matplotlib.style
    except ImportError:
        raise DeviceError.single(
            "plot-missing", f"pictures need matplotlib, which is not installed; run: {INSTALL}"
        ) from None
    return mpl


@contextlib.contextmanager
def settings() -> Iterator[None]:
    """matplotlib's defaults plus :data:`RC`, whatever the user's matplotlibrc says."""
    mpl = require()
    with mpl.style.context(["default", RC]):
        yield


def format_of(path: Union[str, Path]) -> Optional[str]:
    """``svg``, ``png`` or ``pdf`` from the file name's suffix; None for anything else."""
    suffix = Path(path).suffix.lower().lstrip(".")
    return suffix if suffix in FORMATS else None


def render(fig, fmt: str) -> bytes:
    """The figure as bytes of ``fmt`` (svg, png, pdf), identical on every call."""
    with settings():
        buffer = io.BytesIO()
        fig.savefig(buffer, format=fmt, metadata=METADATA[fmt])
    return buffer.getvalue()


def save(fig, path: Union[str, Path]) -> None:
    """Write the figure atomically, in the format its suffix names."""
    from ..fileio import atomic_path

    fmt = format_of(path)
    if fmt is None:
        raise ValueError(f"{path}: a picture is .svg, .png or .pdf")
    data = render(fig, fmt)
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
