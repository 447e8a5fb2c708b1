"""Evaluate a network on a labelled dataset, on the chip simulator and the float model (docs/evaluate.md)."""
from __future__ import annotations

from .datasets import open_dataset, write_dataset
from .evaluation import Evaluation, evaluate

__all__ = ["Evaluation", "evaluate", "open_dataset", "write_dataset"]
