"""`dynapspec simulate` of several input files, one per core: same results as one by one."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from dynapspec.cli.main import app
from dynapspec.events import read_event_file, spike_events, EventFile, write_event_file

LENET = Path(__file__).resolve().parent.parent / "examples" / "lenet"
NET, INPUT = LENET / "net.yaml", LENET / "input.h5"


def run(*args):
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def inputs(tmp_path, count=3):
    """Different inputs: the example's events, shifted in x so that every file spikes differently."""
    events = read_event_file(INPUT).input
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(count):
        shifted = spike_events(events["t"], events["c"], (events["x"] + 3 * i) % 28, events["y"])
        write_event_file(folder / f"rec{i}.h5", EventFile(network="lenet", input=shifted))
    return folder


def contents(path):
    c = read_event_file(path)
    return (c.output.tobytes(), {k: v.tobytes() for k, v in c.layers.items()}, dict(c.spike_counts),
            {k: v.tobytes() for k, v in c.states.items()})  # fmt: skip


def test_several_files_in_processes_match_each_file_alone(tmp_path):
    folder = inputs(tmp_path)
    code, stdout, stderr = run("simulate", NET, "-i", folder, "-o", tmp_path / "par", "--jobs", "2", "-m", "all", "--states")
    assert code == 0, stderr
    assert "3 input files, 2 at a time" in stderr
    assert [line for line in stdout.splitlines() if line.startswith("==")] == [f"== {folder / f'rec{i}.h5'}" for i in range(3)]
    singles = []
    for i in range(3):
        alone = tmp_path / f"alone{i}.h5"
        assert run("simulate", NET, "-i", folder / f"rec{i}.h5", "-o", alone, "-m", "all", "--states")[0] == 0
        singles.append(contents(alone))
        assert contents(tmp_path / "par" / f"rec{i}.h5") == singles[-1]
    assert singles[0] != singles[1]  # the files differ, so a mix-up would show
    code, _, stderr = run("simulate", NET, "-i", folder / "rec2.h5", "-i", folder / "rec0.h5", "-o", tmp_path / "ser",
                          "-j", "1", "-m", "all", "--states")  # fmt: skip
    assert code == 0 and "1 at a time" in stderr
    assert contents(tmp_path / "ser" / "rec2.h5") == singles[2] and contents(tmp_path / "ser" / "rec0.h5") == singles[0]


def test_a_bad_file_among_several_is_named_with_exit_status_1(tmp_path):
    folder = inputs(tmp_path, 2)
    (folder / "rec1.h5").write_bytes(b"not hdf5")
    code, stdout, stderr = run("simulate", NET, "-i", folder, "-j", "2")
    assert code == 1
    assert "rec1.h5" in stderr and "Traceback" not in stderr
    assert f"== {folder / 'rec0.h5'}" in stdout  # the files before it were reported


def test_several_files_need_an_output_directory_with_distinct_names(tmp_path):
    folder = inputs(tmp_path, 2)
    code, _, stderr = run("simulate", NET, "-i", folder, "-o", tmp_path / "out.h5")
    assert code == 2 and "-o names a directory" in stderr
    other = tmp_path / "other"
    other.mkdir()
    (other / "rec0.h5").write_bytes((folder / "rec0.h5").read_bytes())
    code, _, stderr = run("simulate", NET, "-i", folder / "rec0.h5", "-i", other / "rec0.h5", "-o", tmp_path / "res")
    assert code == 2 and "called rec0" in stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, stderr = run("simulate", NET, "-i", empty)
    assert code == 2 and "holds no event files" in stderr
    assert not np.any([p.exists() for p in (tmp_path / "res",)])  # nothing written on a usage error
