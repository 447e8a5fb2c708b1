"""An Evaluation as a JSON document (``-o result.json``) and as a short text summary."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import List, Union

from .evaluation import Evaluation
from .metrics import Summary

FORMAT = "dynapspec-evaluation"
FORMAT_VERSION = 1
FAILED_SHOWN = 5  # failed samples listed in the text summary (all are in the JSON file)
TABLE_CLASSES = 20  # more classes than this: per-class tables only in the JSON file


def to_dict(evaluation: Evaluation) -> dict:
    e = evaluation
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "partial": e.partial,
        "network": e.network,
        "dataset": e.dataset,
        "rule": e.rule,
        "output_layer": e.output,
        "classes": dataclasses.asdict(e.classes),
        "class_names": list(e.class_names),
        "samples_total": e.total,
        "samples_run": len(e.samples),
        "samples_failed": len(e.failed),
        "chip": dataclasses.asdict(e.chip),
        "float": dataclasses.asdict(e.float) if e.float is not None else None,
        "agreement": e.agreement,
        "one_layer_quantized": {name: dataclasses.asdict(summary) for name, summary in e.per_layer},
        "run": {"backend": e.backend, "seconds": e.seconds, "samples_per_s": _rate(e)},
        "samples": [_sample(s) for s in e.samples],
    }


def _sample(sample) -> dict:
    record = dataclasses.asdict(sample)
    for optional, empty in (("float", None), ("one_layer_quantized", [])):
        if record[optional] == empty:
            del record[optional]
    return record


def write_json(path: Union[str, Path], evaluation: Evaluation) -> None:
    """Atomically: the file is complete (possibly marked partial) or untouched."""
    from ..fileio import write_text

    write_text(path, json.dumps(to_dict(evaluation), indent=1) + "\n")


def summary_lines(evaluation: Evaluation) -> List[str]:
    e = evaluation
    engines = [("chip", e.chip)] + ([("float", e.float)] if e.float is not None else [])
    done = f"{len(e.samples)} of {e.total}" if e.total is not None else f"{len(e.samples)}"
    lines = [
        f"{e.network}: {done} samples from {e.dataset}" + (" (INTERRUPTED: partial result)" if e.partial else ""),
        f"rule {e.rule}, output layer {e.output}, {e.classes.count} classes; ties and silence count as wrong",
        "",
        f"{'':24}" + "".join(f"{name:>20}" for name, _ in engines),
    ]
    rows = [
        ("accuracy", lambda s: _percent(s.accuracy) + f" ({s.correct}/{s.evaluated})"),
        ("ties (label among them)", lambda s: f"{s.ties} ({s.ties_with_label})"),
        ("no output spike", lambda s: str(s.silent)),
        ("first spike, median", lambda s: _ms(s.first_spike_us.median)),
        ("decision final, median", lambda s: _ms(s.decision_us.median)),
        ("decision final, p90", lambda s: _ms(s.decision_us.p90)),
        ("spikes per sample", lambda s: _count(s.spikes.mean)),
        ("synaptic ops per sample", lambda s: _count(s.synops.mean)),
    ]
    if any(s.undecided for _, s in engines):
        rows.insert(3, ("below readout threshold", lambda s: str(s.undecided)))
    for title, cell in rows:
        lines.append(f"{title:24}" + "".join(f"{cell(s):>20}" for _, s in engines))
    if e.float is not None and e.chip.accuracy is not None and e.float.accuracy is not None:
        lines.append(
            f"quantization cost: {100 * (e.float.accuracy - e.chip.accuracy):+.2f} points "
            f"(float - chip); chip and float agree on {_percent(e.agreement)} of samples"
        )
    if e.per_layer and e.float is not None and e.float.accuracy is not None:
        lines.append("")
        lines.append("float model with only one layer quantized (what that layer's quantization costs):")
        for name, summary in e.per_layer:
            cost = 100 * (e.float.accuracy - summary.accuracy)  # type: ignore[operator]  # the float model's samples: not None
            lines.append(f"  {name:22}{_percent(summary.accuracy):>10}  ({cost:+.2f} points)")
    if e.classes.count <= TABLE_CLASSES:
        lines += [""] + _per_class(e, engines[0][1]) + [""] + _confusion(e, engines[0][1])
    if e.failed:
        lines.append("")
        lines.append(f"{len(e.failed)} samples failed (not counted):")
        for s in e.failed[:FAILED_SHOWN]:
            lines.append(f"  sample {s.index}{' ' + s.name if s.name else ''}: {str(s.error).splitlines()[0]}")
        if len(e.failed) > FAILED_SHOWN:
            lines.append(f"  ... and {len(e.failed) - FAILED_SHOWN} more (all listed in the -o file)")
    lines.append("")
    lines.append(f"ran in {e.seconds:.1f} s on {e.backend} ({_rate(e):.1f} samples/s)")
    return lines


def _per_class(e: Evaluation, chip: Summary) -> List[str]:
    names = e.class_names or tuple(str(k) for k in range(e.classes.count))
    lines = ["chip, per class:  " + "class".rjust(8) + "precision".rjust(11) + "recall".rjust(9)]
    for k in range(e.classes.count):
        lines.append(" " * 18 + f"{names[k]:>8}" + f"{_percent(chip.precision[k]):>11}" + f"{_percent(chip.recall[k]):>9}")
    return lines


def _confusion(e: Evaluation, chip: Summary) -> List[str]:
    names = e.class_names or tuple(str(k) for k in range(e.classes.count))
    largest = max((n for row in chip.confusion for n in row), default=0)
    width = max(5, len(str(largest)) + 1, max(len(n) for n in names) + 1)
    lines = ["chip, confusion matrix (rows: label, columns: prediction, '-': none):"]
    lines.append(" " * 8 + "".join(f"{n:>{width}}" for n in names) + f"{'-':>{width}}")
    for k, row in enumerate(chip.confusion):
        lines.append(f"{names[k]:>8}" + "".join(f"{n:>{width}}" for n in row))
    return lines


def _rate(e: Evaluation) -> float:
    return len(e.samples) / e.seconds if e.seconds > 0 else 0.0


def _percent(value) -> str:
    return "-" if value is None else f"{100 * value:.2f}%"


def _ms(us) -> str:
    if us is None:
        return "-"
    return f"{us:.0f} us" if us < 1000 else f"{us / 1000:.1f} ms"


def _count(value) -> str:
    if value is None:
        return "-"
    for limit, suffix in ((1e9, " G"), (1e6, " M"), (1e3, " k")):
        if value >= limit:
            return f"{value / limit:.2f}{suffix}"
    return f"{value:.1f}"
