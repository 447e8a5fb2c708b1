"""The bit-accurate chip simulator: ``Simulator(config).run(events)`` (docs/simulator.md)."""
from __future__ import annotations

from .kernel import COMPILED, FALLBACK_REASON
from .simulator import Simulator

__all__ = ["COMPILED", "FALLBACK_REASON", "Simulator"]
