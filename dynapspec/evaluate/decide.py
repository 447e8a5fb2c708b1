"""Decision rules: which class a sample's output spikes vote for, and when the vote was settled.

Rules (``RULES``):
- ``count`` (default): the class with the most output spikes over the whole sample;
- ``first``: the class of the first output spike (first timestamp);
- ``readout``: the class the Speck readout would report over the sample as one window: the readout
  class with the most spikes, if its count reaches the readout's threshold.

Ties are never broken: a tie (several classes share the top count, or fire first at the same
timestamp) and silence (no output spike) give no prediction, and the tied classes are reported.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np

from .trace import Trace

RULES = ("count", "first", "readout")


@dataclass(frozen=True)
class Classes:
    """How the output layer's features map to classes: class k is feature ``stride * k``."""

    count: int
    stride: int = 1  # 4 on a Speck 2e/2f readout layer (the erratum widening)
    threshold: int = 0  # readout threshold (spikes), for the readout rule

    def of(self, features: np.ndarray) -> np.ndarray:
        """Class of each feature, -1 for features that are no class (between readout channels)."""
        features = np.asarray(features, dtype=np.int64)
        return np.where(features % self.stride == 0, features // self.stride, -1)


@dataclass(frozen=True)
class Verdict:
    """One engine's answer for one sample."""

    prediction: Optional[int]  # None: a tie, silence, or (readout) below threshold
    tied: Tuple[int, ...]  # classes tied for the decision (empty unless a tie)
    counts: Tuple[int, ...]  # output spikes per class
    first_us: Optional[int]  # first output spike, microseconds after the sample's first event
    decision_us: Optional[int]  # when the prediction became final (None without a prediction)
    spikes: int  # spikes of every layer
    synops: int  # synaptic operations (neuron updates)


def decide(trace: Trace, classes: Classes, rule: str, start_us: int) -> Verdict:
    """The verdict of ``rule`` on a trace; times are relative to ``start_us``."""
    cls = classes.of(trace.feature)
    keep = cls >= 0
    cls, t = cls[keep], trace.t[keep].astype(np.int64) - int(start_us)
    counts = np.bincount(cls, minlength=classes.count)[: classes.count]
    first = int(t[0]) if len(t) else None
    prediction: Optional[int] = None
    tied: Tuple[int, ...] = ()
    settled: Optional[int] = None
    if len(t) and rule == "first":
        at_first = tuple(int(c) for c in np.unique(cls[t == t[0]]))
        prediction, tied, settled = (at_first[0], (), first) if len(at_first) == 1 else (None, at_first, None)
    elif len(t):
        top = counts.max()
        leaders = tuple(int(c) for c in np.flatnonzero(counts == top))
        if len(leaders) > 1:
            tied = leaders
        elif rule != "readout" or top >= classes.threshold:
            prediction = leaders[0]
            settled = int(t[_settled_at(cls, prediction)])
    return Verdict(prediction, tied, tuple(int(n) for n in counts), first, settled, trace.spikes, trace.synops)


def _settled_at(cls: np.ndarray, winner: int) -> int:
    """Index of the spike after which ``winner`` leads alone for good (running counts)."""
    order = np.argsort(cls, kind="stable")
    rank = np.empty(len(cls), dtype=np.int64)  # running count of each spike's own class, itself included
    starts = np.r_[0, np.flatnonzero(np.diff(cls[order])) + 1]
    sizes = np.diff(np.r_[starts, len(cls)])
    rank[order] = np.arange(len(cls)) - np.repeat(starts, sizes) + 1
    is_winner = cls == winner
    own = np.maximum.accumulate(np.where(is_winner, rank, 0))
    others = np.maximum.accumulate(np.where(is_winner, 0, rank))
    behind = np.flatnonzero(own <= others)
    return int(behind[-1]) + 1 if len(behind) else 0
