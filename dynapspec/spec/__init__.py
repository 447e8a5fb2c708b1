"""Stage 1, spec: YAML (positions kept) + JSON-schema check + HDF5 weights -> :class:`Spec`.

Public entry point: :func:`load`. Everything the spec stage finds wrong is raised at once in one
:class:`~dynapspec.errors.SpecError`, sorted by position.
"""
from __future__ import annotations

from .model import Spec


def load(path) -> Spec:
    """Read, check and normalise a spec file and its weights. Raises SpecError."""
    raise NotImplementedError("spec.load: in progress")
