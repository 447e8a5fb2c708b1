"""What `simulate` prints after a run: labelled times, per-feature counts, ties, readout classes, the -o hint."""
from __future__ import annotations

import re

import h5py
import numpy as np
from typer.testing import CliRunner

from dynapspec.cli.main import app
from dynapspec.events import EventFile, spike_events, write_event_file

SPEC = """\
dynapspec: 1
name: classes
target: speck2fdevkit
input:
  shape: [1, 8, 8]
neuron: {threshold: 1.0}
layers:
  - name: conv
    conv: {channels: 4, kernel: 3}
  - name: out
    dense: {features: %d}
%s"""


def setup(tmp_path, features: int, readout: bool, name: str):
    spec = tmp_path / f"{name}.yaml"
    spec.write_text(SPEC % (features, "readout: {layer: out}\n" if readout else ""))
    rng = np.random.default_rng(7)
    with h5py.File(tmp_path / f"{name}.h5", "w") as f:
        f["conv/weight"] = rng.uniform(0.2, 0.6, (4, 1, 3, 3))
        f["out/weight"] = rng.uniform(0.0, 0.2, (features, 144))
    events = tmp_path / "in.h5"
    if not events.exists():
        n = 400
        write_event_file(events, EventFile(input=spike_events(np.arange(n) * 100, np.zeros(n, int),
                                                              rng.integers(0, 8, n), rng.integers(0, 8, n))))
    return spec, events


def run(*args):
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.stdout


def counts(line: str, word: str) -> dict:
    return {int(k): int(v) for k, v in re.findall(word + r" (\d+)(?: \(feature \d+\))?: (\d+)", line)}


def test_readout_networks_report_classes_matching_the_plain_network(tmp_path):
    plain, events = setup(tmp_path, 3, False, "plain")
    readout, _ = setup(tmp_path, 3, True, "readout")
    plain_line = next(line for line in run("simulate", plain, "-i", events).splitlines() if line.startswith("out:"))
    readout_line = next(line for line in run("simulate", readout, "-i", events).splitlines() if line.startswith("out:"))
    by_feature = counts(plain_line, "feature")
    by_class = counts(readout_line, "class")
    assert by_feature and by_class == {f + 1: n for f, n in by_feature.items()}  # class k = feature k-1
    for k in by_class:  # the erratum's widened feature is named too
        assert f"class {k} (feature {4 * (k - 1)})" in readout_line
    assert "most active: class" in readout_line


def test_many_active_features_show_the_top_five_and_how_many_more(tmp_path):
    spec, events = setup(tmp_path, 12, False, "wide")
    line = next(out for out in run("simulate", spec, "-i", events).splitlines() if out.startswith("out:"))
    shown = counts(line, "feature")
    assert len(shown) == 5
    more = int(re.search(r", (\d+) more \(", line).group(1))
    total = int(re.search(r"\((\d+) spikes\)", line).group(1))
    assert sum(shown.values()) < total and 5 + more <= 12
    assert list(shown.values()) == sorted(shown.values(), reverse=True)


def test_the_run_says_when_nothing_was_saved(tmp_path):
    spec, events = setup(tmp_path, 3, False, "plain")
    assert "not saved: add -o run.h5" in run("simulate", spec, "-i", events)
    assert "not saved" not in run("simulate", spec, "-i", events, "-o", tmp_path / "run.h5")


def test_a_live_line_lists_every_feature_of_a_narrow_layer_and_the_active_ones_of_a_wide_one():
    from dynapspec.cli.outcome import live_line

    counts = {"out": {2: 1, 0: 3}, "wide": {17: 2, 3: 1}, "quiet": {}}
    features = {"out": 4, "wide": 32, "quiet": 20}
    assert live_line(2.5, counts, features) == "   2.5s  out: 0:3 1:0 2:1 3:0  wide: 3:1 17:2  quiet: -"
