"""Event files in the formats people have, played from the command line (docs/events.md).

Each conversion is checked against the same run on an explicitly written spike file: a tonic-style
(x, y, t, p) file must give exactly the run of (t, c = p, x, y); --polarity merge the run of c = 0;
an AEDAT4 recording the run of its events with timestamps from 0.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import aedat4file
from dynapspec.cli.main import app
from dynapspec.events import EventFile, dvs_events, read_event_file, spike_events, write_event_file

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
LENET, BRANCHING, GESTURE = (EXAMPLES / n / "net.yaml" for n in ("lenet", "branching", "dvs_gesture"))


def run(*args):
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout, result.stderr


def recording(n=600, size=28, seed=0):
    """Random DVS events with both polarities, time-ordered."""
    rng = np.random.default_rng(seed)
    return dvs_events(rng.integers(0, size, n), rng.integers(0, size, n), np.sort(rng.integers(0, 50_000, n)),
                      rng.integers(0, 2, n))


def outputs(path: Path) -> list:
    return read_event_file(path).output.tolist()


def simulate(network, events_file, out, *options):
    code, stdout, stderr = run("simulate", network, "-i", events_file, "-o", out, "--monitor", "all", *options)
    assert code == 0, stderr
    return stdout, stderr


def test_dvs_events_drive_a_two_channel_spike_input_as_polarity_channels(tmp_path):
    events = recording(size=32)
    write_event_file(tmp_path / "dvs.h5", EventFile(input=events))  # tonic-style x, y, t, p
    write_event_file(tmp_path / "spikes.h5", EventFile(input=spike_events(events["t"], events["p"], events["x"], events["y"])))
    _, stderr = simulate(BRANCHING, tmp_path / "dvs.h5", tmp_path / "a.h5")
    assert "note: DVS polarity p played as channel c" in stderr
    simulate(BRANCHING, tmp_path / "spikes.h5", tmp_path / "b.h5")
    assert outputs(tmp_path / "a.h5") == outputs(tmp_path / "b.h5") and len(outputs(tmp_path / "a.h5")) > 0


def test_both_polarities_into_one_channel_ask_for_polarity_and_it_works(tmp_path):
    events = recording()
    write_event_file(tmp_path / "dvs.h5", EventFile(input=events))
    code, _, stderr = run("simulate", LENET, "-i", tmp_path / "dvs.h5")
    assert code == 1 and "error[events-format]" in stderr
    assert "--polarity merge" in stderr and "--polarity on" in stderr and "1-channel spikes (1x28x28)" in stderr

    zeros = np.zeros(len(events), dtype=np.uint16)
    write_event_file(tmp_path / "merged.h5", EventFile(input=spike_events(events["t"], zeros, events["x"], events["y"])))
    simulate(LENET, tmp_path / "dvs.h5", tmp_path / "a.h5", "--polarity", "merge")
    simulate(LENET, tmp_path / "merged.h5", tmp_path / "b.h5")
    assert outputs(tmp_path / "a.h5") == outputs(tmp_path / "b.h5")

    stdout, stderr = simulate(LENET, tmp_path / "dvs.h5", tmp_path / "c.h5", "--polarity", "on")
    on = int(np.sum(events["p"] == 1))
    assert f"{on} of {len(events)}" in stderr and len(read_event_file(tmp_path / "c.h5").input) == on


def test_one_polarity_into_one_channel_needs_no_option(tmp_path):
    events = recording()
    off = events[events["p"] == 0]
    write_event_file(tmp_path / "off.h5", EventFile(input=off))
    code, stdout, stderr = run("simulate", LENET, "-i", tmp_path / "off.h5")
    assert code == 0, stderr
    assert f"{len(off)} events in" in stdout


def test_tonic_npy_arrays(tmp_path):
    events = recording(size=32)
    tonic = np.zeros(len(events), dtype=[("x", "<i2"), ("y", "<i2"), ("t", "<i8"), ("p", "?")])  # tonic's dtype
    for name in ("x", "y", "t"):
        tonic[name] = events[name]
    tonic["p"] = events["p"].astype(bool)
    np.save(tmp_path / "sample.npy", tonic)
    write_event_file(tmp_path / "spikes.h5", EventFile(input=spike_events(events["t"], events["p"], events["x"], events["y"])))
    simulate(BRANCHING, tmp_path / "sample.npy", tmp_path / "a.h5")
    simulate(BRANCHING, tmp_path / "spikes.h5", tmp_path / "b.h5")
    assert outputs(tmp_path / "a.h5") == outputs(tmp_path / "b.h5")

    np.save(tmp_path / "plain.npy", np.zeros((5, 4)))
    code, _, stderr = run("simulate", BRANCHING, "-i", tmp_path / "plain.npy")
    assert code == 1 and "structured array with named fields (x, y, t, p" in stderr


def test_aedat4_recordings(tmp_path):
    events = recording(size=32)
    start = 1_700_000_000_000_000  # DV writes microseconds since 1970
    raw = aedat4file.events(events["t"].astype(np.int64) + start, events["x"], events["y"], events["p"] == 1)
    aedat4file.write(tmp_path / "rec.aedat4", [raw[:250], raw[250:]], width=32, height=32)
    write_event_file(tmp_path / "spikes.h5", EventFile(input=spike_events(events["t"], events["p"], events["x"], events["y"])))
    _, stderr = simulate(BRANCHING, tmp_path / "rec.aedat4", tmp_path / "a.h5")
    assert f"timestamps shifted to start at 0 (the first event is at {start + int(events['t'][0])} us" in stderr
    simulate(BRANCHING, tmp_path / "spikes.h5", tmp_path / "b.h5")
    shifted = read_event_file(tmp_path / "a.h5").input
    assert shifted["t"].tolist() == (events["t"] - events["t"][0]).tolist()
    # the same events, all shifted by the first timestamp: the chip's arithmetic ignores time
    assert [row[1:] for row in outputs(tmp_path / "a.h5")] == [row[1:] for row in outputs(tmp_path / "b.h5")]

    (tmp_path / "bad.aedat4").write_bytes(b"#!AER-DAT3.1\r\nnot this")
    code, _, stderr = run("simulate", BRANCHING, "-i", tmp_path / "bad.aedat4")
    assert code == 1 and "not a readable AEDAT4 file" in stderr and "magic number" in stderr


def test_aedat4_without_the_decoder_names_the_extra(tmp_path, monkeypatch):
    aedat4file.write(tmp_path / "rec.aedat4", [aedat4file.events([1], [1], [1], [True])])
    monkeypatch.setitem(sys.modules, "aedat", None)
    code, _, stderr = run("simulate", BRANCHING, "-i", tmp_path / "rec.aedat4")
    assert code == 1 and "pip install 'dynapspec[aedat]'" in stderr


def test_spike_channels_0_and_1_drive_a_dvs_layer(tmp_path):
    events = recording(size=128)
    write_event_file(tmp_path / "dvs.h5", EventFile(input=events))
    write_event_file(tmp_path / "spikes.h5", EventFile(input=spike_events(events["t"], events["p"], events["x"], events["y"])))
    simulate(GESTURE, tmp_path / "dvs.h5", tmp_path / "a.h5")
    _, stderr = simulate(GESTURE, tmp_path / "spikes.h5", tmp_path / "b.h5")
    assert "spike channel c played as DVS polarity p" in stderr
    assert outputs(tmp_path / "a.h5") == outputs(tmp_path / "b.h5")
    write_event_file(tmp_path / "three.h5", EventFile(input=spike_events([0], [2], [1], [1])))
    code, _, stderr = run("simulate", GESTURE, "-i", tmp_path / "three.h5")
    assert code == 1 and "only channels 0 and 1 can be polarities" in stderr


@pytest.mark.parametrize("args, status, words", [
    (["--polarity", "both"], 2, "must be one of channel, merge, on, off"),
    (["--polarity", "merge"], 1, "drop the option"),  # spikes into a spike input: nothing to map
])
def test_polarity_option_misuse(args, status, words):
    code, _, stderr = run("simulate", LENET, "-i", EXAMPLES / "lenet" / "input.h5", *args)
    assert code == status and words in stderr
