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
from typing import Optional, Union

from ..errors import Diagnostic, SpecError, error
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
    too_many = _too_many_layers(document.data, locator)
    if too_many is not None:
        raise SpecError(list(document.diagnostics) + [too_many])
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
    assert spec.weights_file is not None, "the builder resolves the weight file's path"
    found, weight_problems = weights.read(spec.weights_file, spec.layers, locator)
    problems += weight_problems
    if problems:
        raise SpecError(problems)
    layers = tuple(
        dataclasses.replace(layer, weight=found[layer.name].weight, weight_sha256=found[layer.name].sha256)
        for layer in spec.layers
    )
    return dataclasses.replace(spec, layers=layers)


def _too_many_layers(data, locator: Locator) -> Optional[Diagnostic]:
    """A layer list far longer than any chip runs is reported alone, before the checks whose work
    grows with it (schema, names, weights): ``limits.spec_layers``."""
    from .. import chips, limits
    from .build import too_many_layers

    layers = data.get("layers") if isinstance(data, dict) else None
    cap = limits.get("spec_layers")
    if not isinstance(layers, list) or len(layers) <= cap:
        return None
    target = data.get("target")
    profile = chips.profile(target if isinstance(target, str) and target in chips.targets() else chips.targets()[0])
    message = too_many_layers(len(layers), len(profile.cores)) + f"; a spec of more than {cap} layers is not checked further"
    return error("too-many-layers", message, locator.at("layers"))


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
