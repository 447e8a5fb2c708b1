"""Stage 1, spec: YAML (positions kept) + JSON-schema check + HDF5 weights -> :class:`Spec`.

Public entry point: :func:`load`. Checks run in two rounds, each reporting everything it finds:
first the text (YAML, schema), then — only when the structure is sound, since later checks rely
on it — names, destinations, thresholds and the weight file. All problems of a round are raised
at once in one :class:`~dynapspec.errors.SpecError`, sorted by position.
"""
from __future__ import annotations

import dataclasses
import hashlib
import os
import re
from typing import Union

from ..errors import Diagnostic, SpecError
from .model import Locator, Spec


def load(path: Union[str, "os.PathLike[str]"], read_weights: bool = True) -> Spec:
    """Read, check and normalise a spec file and its weights. Raises SpecError.

    With ``read_weights=False`` the weight file is not opened and every layer's weight stays
    empty (``build.NO_WEIGHT``): enough to infer shapes before a weight file exists.
    """
    from ..fileio import read_input
    from . import yamlload

    spec_file = str(path)
    raw, size = read_input(path, "spec file", yamlload.MAX_BYTES)

    try:
        return _checked(raw, size, spec_file, read_weights)
    except SpecError as err:
        raise SpecError(map(_one_line, err.diagnostics)) from None


def _checked(raw: bytes, size: int, spec_file: str, read_weights: bool = True) -> Spec:
    """The two rounds of checks on the file's bytes; every round raises all it found."""
    from . import build, schema, weights, yamlload

    document = yamlload.parse(raw, spec_file, schema.expects, size)
    locator = Locator(spec_file, document.positions)
    problems = list(document.diagnostics) + schema.check(document.data, locator, document.flagged)
    if problems:
        raise SpecError(problems)

    spec, problems = build.build(document.data, locator, hashlib.sha256(raw.replace(b"\r\n", b"\n")).hexdigest())
    if not read_weights:  # shapes only: too many layers does not stop telling each one's shape
        problems = [problem for problem in problems if problem.code != "too-many-layers"]
        if problems:
            raise SpecError(problems)
        return spec
    if any(problem.code == "too-many-layers" for problem in problems):
        raise SpecError(problems)  # before reading the weights of layers that cannot all run
    found, weight_problems = weights.read(spec.weights_file, spec.layers, locator)
    problems += weight_problems
    if problems:
        raise SpecError(problems)
    layers = tuple(
        dataclasses.replace(layer, weight=found[layer.name].weight, weight_sha256=found[layer.name].sha256)
        for layer in spec.layers
    )
    return dataclasses.replace(spec, layers=layers)


_LINE_BREAKING = re.compile("[\x00-\x1f\x7f\x85\u2028\u2029]")


def _one_line(diag: Diagnostic) -> Diagnostic:
    """Every diagnostic is one line: control characters that came from the user's keys, names and
    dataset paths (or from a library's text) are written as escapes (``\\n``)."""

    def flat(text):
        if text is None:
            return None
        return _LINE_BREAKING.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)

    where = diag.location
    location = dataclasses.replace(where, file=flat(where.file), path=flat(where.path), layer=flat(where.layer))
    return dataclasses.replace(diag, message=flat(diag.message), location=location)
