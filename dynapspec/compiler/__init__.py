"""The compile pipeline: spec -> lower -> quantize -> place -> emit, each a pure stage.

``compile_spec`` runs them all and returns every intermediate result, so ``summary`` and tests
can look inside; ``load_network`` is what run-time commands use to accept either a spec or an
already compiled configuration document.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Optional, Tuple, Union

from .. import chips
from ..config import Config, read_config
from .emit import emit
from ..errors import Diagnostic, Location, SpecError
from .lower import lower
from .network import Network
from .place import Placement, place
from .quantize import quantize
from ..spec import load
from ..spec.model import Spec
from ..weightfile import template_warning


@dataclass(frozen=True)
class CompileResult:
    spec: Spec
    network: Network  # quantized
    placement: Placement
    config: Config
    warnings: Tuple[Diagnostic, ...]

    def __repr__(self) -> str:
        from ..display import short_repr

        return short_repr(self)


def compile_spec(source: Union[str, Path, Spec], target: Optional[str] = None) -> CompileResult:
    """Compile a spec file (or a loaded Spec) for its target, or for ``target`` if given."""
    spec = source if isinstance(source, Spec) else load(source)
    if target is not None and target not in chips.targets():
        raise SpecError.single(
            "unknown-target", f"unknown target {target!r}; known targets: {', '.join(chips.targets())}", Location()
        )
    profile = chips.profile(target or spec.target)
    network, lower_warnings = lower(spec, profile.target)
    network, quant_warnings = quantize(network)
    placement = place(network, profile)
    warnings = template_warning(spec) + lower_warnings + quant_warnings
    config = replace(emit(spec, network, placement, profile), warnings=warnings)
    return CompileResult(spec, network, placement, config, warnings)


def load_network(path: Union[str, Path]) -> Config:
    """A compiled configuration (``*.json``) as is, or a spec compiled on the fly."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        return read_config(path)
    return compile_spec(path).config
