"""`dynapspec evaluate`: summary, result file, exit statuses, Ctrl-C, progress line."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from dynapspec.cli.evaluate import progress_text
from dynapspec.cli.main import app
from dynapspec.evaluate import write_dataset
from dynapspec.events import spike_events

ROOT = Path(__file__).resolve().parent.parent
MNIST = ROOT / "examples" / "mnist"


def run(*args):
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def network(tmp_path):
    """Two classes, class k driven by input channel k (weights 1, threshold 2)."""
    import h5py

    with h5py.File(tmp_path / "net.h5", "w") as f:
        f["out/weight"] = np.eye(2).reshape(2, 2)
    spec = {"dynapspec": 1, "name": "two", "target": "speck2fdevkit", "weights": "net.h5", "input": {"shape": [2, 1, 1]},
            "neuron": {"threshold": 2.0}, "layers": [{"name": "out", "dense": {"features": 2}}]}
    (tmp_path / "net.yaml").write_text(yaml.safe_dump(spec))
    return tmp_path / "net.yaml"


def events_on(channel, n):
    return spike_events(np.arange(n), np.full(n, channel), np.zeros(n), np.zeros(n))


def test_summary_and_result_file(tmp_path, network):
    data = tmp_path / "data.h5"
    write_dataset(data, [(events_on(0, 4), 0), (events_on(1, 6), 1), (events_on(1, 4), 0), (events_on(0, 1), 1)],
                  class_names=["left", "right"])
    out = tmp_path / "result.json"
    code, stdout, stderr = run("evaluate", network, data, "-o", out, "--workers", "1", "--float")
    assert code == 0, stderr
    assert "two: 4 of 4 samples from" in stdout
    assert "accuracy" + " " * 24 + "50.00% (2/4)" + " " * 8 + "50.00% (2/4)" in stdout
    assert "quantization cost: +0.00 points" in stdout
    assert "    left    100.00%   50.00%" in stdout  # precision 1/1, recall 1/2
    assert "first spike, median" + " " * 21 + "1 us" in stdout  # the second event (t = 1 us) fires
    doc = json.loads(out.read_text())
    assert doc["format"] == "dynapspec-evaluation" and doc["partial"] is False and doc["samples_run"] == 4
    assert doc["chip"]["confusion"] == [[1, 1, 0], [0, 1, 1]] and doc["class_names"] == ["left", "right"]
    assert doc["chip"]["silent"] == 1 and doc["float"]["accuracy"] == 0.5
    assert [s["chip"]["prediction"] for s in doc["samples"]] == [0, 1, 1, None]
    assert doc["samples"][1]["chip"]["counts"] == [0, 3] and doc["samples"][1]["chip"]["synops"] == 12


def test_failed_samples_are_listed_and_exit_1_after_the_rest_ran(tmp_path, network):
    data = tmp_path / "data.h5"
    bad = spike_events([0], [0], [3], [0])  # x = 3 on a 1x1 input
    write_dataset(data, [(events_on(0, 4), 0), (bad, 1), (events_on(1, 4), 1)])
    code, stdout, stderr = run("evaluate", network, data, "--workers", "1")
    assert code == 1
    assert "accuracy" + " " * 23 + "100.00% (2/2)" in stdout
    assert "1 samples failed (not counted):" in stdout and "sample 1 data.h5#1:" in stdout and "events-range" in stdout


@pytest.mark.parametrize("args,message", [
    (["-o", "result.h5"], "the result file is JSON"),
    (["--workers", "0"], "--workers 0"),
    (["--chunk", "0"], "--chunk 0"),
    (["--rule", "vote"], "choose one of count, first, readout"),
])
def test_usage_errors_exit_2(tmp_path, network, args, message):
    data = tmp_path / "data.h5"
    write_dataset(data, [(events_on(0, 4), 0)])
    code, _, stderr = run("evaluate", network, data, *[str(tmp_path / a) if a.endswith(".h5") else a for a in args])
    assert code == 2 and message in stderr


def test_invalid_inputs_exit_1_with_one_line(tmp_path, network):
    code, _, stderr = run("evaluate", network, tmp_path / "missing.h5")
    assert code == 1 and "error[file-not-found]" in stderr and "Traceback" not in stderr
    data = tmp_path / "data.h5"
    write_dataset(data, [(events_on(0, 4), 0)])
    code, _, stderr = run("evaluate", network, data, "--rule", "readout")
    assert code == 1 and "error[eval-output]" in stderr and "readout rule needs" in stderr


def test_progress_text_has_rate_and_eta():
    assert progress_text(250, 1000, 10.0, width=10) == "[##........] 250/1000  25%  25.0 samples/s  ETA 0:30"
    assert progress_text(0, 1000, 0.0, width=4) == "[....] 0/1000   0%  0.0 samples/s  ETA --:--"
    assert progress_text(30, None, 2.0) == "30 samples  15.0 samples/s"


def test_ctrl_c_writes_a_partial_result_and_exits_130(tmp_path):
    """A real SIGINT to the whole process group, as a terminal's Ctrl-C sends it, with 2 workers."""
    out = tmp_path / "partial.json"
    command = [sys.executable, "-m", "dynapspec", "evaluate", str(MNIST / "net.yaml"), str(MNIST / "test.h5"),
               "--workers", "2", "--chunk", "4", "--progress", "-o", str(out)]
    # SIGINT as a terminal leaves it: a suite started as a background job of a script inherits it
    # ignored, and Python then keeps ignoring it (the run would finish with status 0)
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    seen = b""
    while b"samples/s" not in seen or b" 0/1000" in seen.split(b"\r")[-1]:  # some samples done
        chunk = os.read(proc.stderr.fileno(), 4096)
        assert chunk and time.monotonic() < deadline, seen.decode(errors="replace")
        seen += chunk
    os.killpg(proc.pid, signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr.decode()
    doc = json.loads(out.read_text())
    assert doc["partial"] is True and 0 < doc["samples_run"] < 1000 and doc["samples_total"] == 1000
    assert "INTERRUPTED: partial result" in stdout.decode()
    assert [s["index"] for s in doc["samples"]] == sorted(s["index"] for s in doc["samples"])


def test_scheduler_option_runs_on_a_dask_cluster_with_the_same_result(tmp_path, network):
    distributed = pytest.importorskip("distributed")
    data = tmp_path / "data.h5"
    write_dataset(data, [(events_on(k % 2, 2 + k), k % 2) for k in range(12)])
    local, remote = tmp_path / "local.json", tmp_path / "remote.json"
    assert run("evaluate", network, data, "--workers", "1", "-o", local)[0] == 0
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tcp://",
                                  host="127.0.0.1", dashboard_address=":0") as cluster:
        code, stdout, stderr = run("evaluate", network, data, "--scheduler", cluster.scheduler_address, "--chunk", "2", "-o", remote)
    assert code == 0, stderr
    assert f"Dask cluster {cluster.scheduler_address}" in stdout
    first, second = json.loads(local.read_text()), json.loads(remote.read_text())
    assert first.pop("run") != second.pop("run") and first == second


@pytest.mark.parametrize("missing,note", [("dynapspec.evaluate._floatloop", "the float model runs its plain-Python loop"),
                                          ("dynapspec.sim._kernel", "the simulator runs its plain-Python kernel")])
def test_says_once_which_loop_runs_as_plain_python_and_what_to_do(tmp_path, network, missing, note):
    """No compiler at install time = no compiled loops: evaluate still runs, and says why it is slow."""
    data = tmp_path / "data.h5"
    write_dataset(data, [(events_on(0, 3), 0), (events_on(1, 3), 1)])
    script = (
        f"import sys; sys.modules[{missing!r}] = None\n"  # what an install without a compiler looks like
        "from dynapspec.cli.main import run; sys.argv[0] = 'dynapspec'; run()"
    )
    for extra, float_runs in ((["--float"], True), ([], False)):
        args = ["evaluate", str(network), str(data), "--workers", "1", *extra]
        ran = subprocess.run([sys.executable, "-c", script, *args], cwd=tmp_path, capture_output=True, text=True, timeout=600)
        assert ran.returncode == 0 and "100.00% (2/2)" in ran.stdout, ran.stderr
        notes = [line for line in ran.stderr.splitlines() if "plain-Python" in line]
        expected = 0 if missing.endswith("_floatloop") and not float_runs else 1
        assert len(notes) == expected and all(n.startswith(f"note: {note}") for n in notes), ran.stderr
        assert all("not built" in n and "install gcc or clang and reinstall dynapspec" in n for n in notes)
