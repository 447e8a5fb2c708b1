"""Whole-dataset figures for one engine: accuracy, confusion matrix, precision and recall, timing, cost."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence, Tuple

import numpy as np

from .decide import Verdict
from .job import SampleResult


@dataclass(frozen=True)
class Spread:
    """A per-sample quantity over the samples that have it."""

    samples: int
    mean: Optional[float]
    median: Optional[float]
    p90: Optional[float]

    @classmethod
    def of(cls, values: Sequence[float]) -> "Spread":
        if not len(values):
            return cls(0, None, None, None)
        array = np.asarray(values, dtype=np.float64)
        return cls(len(array), float(array.mean()), float(np.median(array)), float(np.percentile(array, 90)))


@dataclass(frozen=True)
class Summary:
    evaluated: int  # samples that ran (failed ones excluded)
    correct: int
    accuracy: Optional[float]  # correct / evaluated; ties and silence count as wrong
    ties: int  # no prediction: several classes tied
    ties_with_label: int  # ... and the label was among them
    silent: int  # no output spike at all
    undecided: int  # output spikes but no prediction for another reason (readout below threshold)
    confusion: Tuple[Tuple[int, ...], ...]  # [label][predicted class], last column: no prediction
    precision: Tuple[Optional[float], ...]  # per class; None when the class was never predicted
    recall: Tuple[Optional[float], ...]  # per class; None when no sample has that label
    first_spike_us: Spread  # time to the first output spike
    decision_us: Spread  # time until the prediction became final
    spikes: Spread  # spikes of all layers per sample
    synops: Spread  # synaptic operations per sample


def summarise(results: Sequence[SampleResult], verdict: Callable[[SampleResult], Optional[Verdict]], classes: int) -> Summary:
    """Figures over the samples for which ``verdict(sample)`` is not None (failed samples have none)."""
    verdicts: List[Tuple[int, Verdict]] = []
    for r in results:
        v = verdict(r)
        if v is not None:
            assert r.label is not None, "a sample with a verdict has a checked label"
            verdicts.append((r.label, v))
    confusion = np.zeros((classes, classes + 1), dtype=np.int64)
    for label, v in verdicts:
        confusion[label, classes if v.prediction is None else v.prediction] += 1
    correct = int(np.trace(confusion[:, :classes]))
    predicted, labelled = confusion[:, :classes].sum(axis=0), confusion.sum(axis=1)
    ties = [(label, v) for label, v in verdicts if v.tied]
    silent = sum(1 for _, v in verdicts if v.first_us is None)
    return Summary(
        evaluated=len(verdicts),
        correct=correct,
        accuracy=correct / len(verdicts) if verdicts else None,
        ties=len(ties),
        ties_with_label=sum(1 for label, v in ties if label in v.tied),
        silent=silent,
        undecided=sum(1 for _, v in verdicts if v.prediction is None) - len(ties) - silent,
        confusion=tuple(tuple(int(n) for n in row) for row in confusion),
        precision=tuple(_ratio(confusion[c, c], predicted[c]) for c in range(classes)),
        recall=tuple(_ratio(confusion[c, c], labelled[c]) for c in range(classes)),
        first_spike_us=Spread.of([v.first_us for _, v in verdicts if v.first_us is not None]),
        decision_us=Spread.of([v.decision_us for _, v in verdicts if v.decision_us is not None]),
        spikes=Spread.of([v.spikes for _, v in verdicts]),
        synops=Spread.of([v.synops for _, v in verdicts]),
    )


def agreement(results: Sequence[SampleResult]) -> Optional[float]:
    """Fraction of samples where chip and float model predict the same (both undecided counts as same)."""
    both = [(r.chip, r.float) for r in results if r.chip is not None and r.float is not None]
    if not both:
        return None
    return sum(1 for a, b in both if a.prediction == b.prediction) / len(both)


def _ratio(hits, total) -> Optional[float]:
    return float(hits) / float(total) if total else None
