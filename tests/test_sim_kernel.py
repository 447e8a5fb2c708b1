"""The compiled event loop and its plain-Python twin: the CLI's note, and what the C code refuses.

That both compute the same is the business of test_sim_property.py (each example on both kernels
against tests/simnet.py) and of the rule tests, which run on both; which one runs, of
test_compiled.py.
"""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import simnet
from dynapspec.events import CHIP_SPIKE_DTYPE, EventFile, read_event_file, spike_events, write_event_file
from dynapspec.sim import Simulator, kernel
from dynapspec.sim.layout import COLUMNS

ROOT = Path(__file__).resolve().parent.parent
needs_compiled = pytest.mark.skipif(not kernel.COMPILED, reason=f"no compiled kernel: {kernel.FALLBACK_REASON}")


def test_cli_says_once_that_it_runs_the_slow_kernel_and_what_to_do(tmp_path):
    """No compiler at install time = no _kernel module: the CLI still runs, and says why it is slow."""
    script = (
        "import sys; sys.modules['dynapspec.sim._kernel'] = None\n"  # what an install without a compiler looks like
        "from dynapspec.cli.main import run; sys.argv[0] = 'dynapspec'; run()"
    )
    short = tmp_path / "short.h5"  # the plain-Python kernel takes a few seconds per thousand events
    write_event_file(short, EventFile(network="lenet", input=read_event_file(ROOT / "examples/lenet/input.h5").input[:200]))
    args = ["simulate", "examples/lenet/net.yaml", "--input", str(short)]
    ran = subprocess.run([sys.executable, "-c", script, *args], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert ran.returncode == 0, ran.stderr
    notes = [line for line in ran.stderr.splitlines() if "plain-Python kernel" in line]
    assert len(notes) == 1, ran.stderr
    assert "not built" in notes[0] and "install gcc or clang and reinstall dynapspec" in notes[0]


def fan_out(features=40, threshold=1):
    """One core, 1x1 kernel, every feature fires on every event: many records from few events."""
    return simnet.config({0: simnet.core(np.ones((features, 1, 1, 1), dtype=np.int64), (3, 2), threshold_high=threshold)})


@pytest.mark.parametrize("engine", simnet.KERNELS)
def test_output_grows_past_its_first_buffer_and_keeps_every_record(engine):
    events = spike_events(np.arange(500) * 7, np.zeros(500), np.arange(500) % 3, np.arange(500) % 2)
    with simnet.using_kernel(engine):
        result = Simulator(fan_out()).run(events)
    assert result.output.dtype == CHIP_SPIKE_DTYPE and len(result.output) == 500 * 40  # > the first 4096 records
    expected_t = np.repeat(events["t"], 40)
    np.testing.assert_array_equal(result.output["t"], expected_t)
    np.testing.assert_array_equal(result.output["c"], np.tile(np.arange(40), 500))
    np.testing.assert_array_equal(result.output["x"], np.repeat(events["x"], 40))


def kernel_args(sim, events, **changes):
    t = sim._tables
    args = dict(
        table=t.table, weights=t.weights, w_alive=t.w_alive, v_alive=t.v_alive, v=sim._v,
        monitored=np.ones(len(t.table), np.uint8), counts=np.zeros(len(t.table), np.int64),
        targets=np.array(t.inputs, np.int64), watch_input=-1, c=events["c"].astype(np.int32),
        x=events["x"].astype(np.int32), y=events["y"].astype(np.int32), t=np.ascontiguousarray(events["t"]), out=bytearray(),
    )  # fmt: skip
    args.update(changes)
    return list(args.values())


@needs_compiled
def test_c_kernel_refuses_what_would_read_or_write_out_of_bounds():
    """The C loop does no bounds checks of its own; it checks its arguments once per call instead."""
    sim = Simulator(fan_out())
    events = spike_events([0], [0], [2], [1])
    kernel.compiled_run(*kernel_args(sim, events))  # as the Simulator calls it: fine
    table = sim._tables.table.copy()
    c_in, k, f, w_offset = (table[:, COLUMNS.index(name)] for name in ("c_in", "k", "f", "w_offset"))
    short = int(max(w_offset + c_in * k * k * f)) - 1  # one weight short of the last core's block
    bad = {
        "array sizes disagree": dict(counts=np.zeros(3, np.int64)),
        "a core's sizes do not match": dict(weights=sim._tables.weights[:short], w_alive=sim._tables.w_alive[:short]),
        "a destination is not a configured core": dict(table=_with(table, 0, to0=5, pool0=1)),
        "a core's input, state block or channel's weights empty": dict(table=_with(table, 0, w_in=0)),
        "the cores form a cycle": dict(table=_with(table, 0, to0=0, pool0=1)),
        "an input event lies outside": dict(x=np.array([3], np.int32)),
        "an input core is not configured": dict(targets=np.array([4], np.int64)),
    }
    for message, change in bad.items():
        with pytest.raises(ValueError, match=message):
            kernel.compiled_run(*kernel_args(sim, events, **change))


def _with(table, core, **values):
    changed = table.copy()
    for column, value in values.items():
        changed[core, COLUMNS.index(column)] = value
    return changed


@needs_compiled
def test_the_avx2_update_is_chosen_where_the_cpu_has_it():
    """Importing picks AVX2 when the CPU has it; the tests run the portable update too ("portable")."""
    import platform

    from dynapspec.sim import _kernel

    cpuinfo = Path("/proc/cpuinfo")
    if platform.machine() != "x86_64" or not cpuinfo.exists() or " avx2" not in cpuinfo.read_text():
        pytest.skip("not an x86-64 Linux machine with AVX2")
    try:
        assert _kernel.select(False) is False
        assert _kernel.select(True) is True
    finally:
        _kernel.select(True)


def test_every_core_block_and_array_starts_on_a_cache_line():
    """layout.aligned: no vector of a core whose F is a multiple of 16 straddles two cache lines.
    Catches a block appended without its padding, or an array copied without alignment."""
    three = {n: simnet.core(np.ones((f, 1, 3, 3), dtype=np.int64), (5, 5)) for n, f in ((0, 7), (1, 20), (2, 33))}
    sim = Simulator(simnet.config(three))
    t = sim._tables
    for array in (t.weights, t.w_alive, t.initial, t.v_alive, sim._v):
        assert array.ctypes.data % 64 == 0
    for n in (0, 1, 2):
        assert t.table[n, COLUMNS.index("w_offset")] % 64 == 0 and t.table[n, COLUMNS.index("v_offset")] % 32 == 0
    sim.reset()  # restores in place
    assert sim._v.ctypes.data % 64 == 0
    assert len(t.weights) == len(t.w_alive) and len(t.initial) == len(t.v_alive)


@pytest.mark.parametrize("threshold", [100, 300, 600])  # many words fire / some do / hardly any
def test_whole_vectors_match_the_reference_however_often_neurons_fire(threshold):
    """The compiled loop lists fired words one way where a core's neurons rarely fire and another
    where they often do (switching per core as it runs); both must give the reference's spikes and
    states. Runs of 32-96 neurons (F = 32, stride 1) and of 20-60 (F = 20, vector tails)."""
    rng = np.random.default_rng(threshold)
    cores = {0: simnet.core(rng.integers(-8, 24, (32, 1, 3, 3)), (6, 6), threshold_high=threshold, to=[(1, 1, 0)]),
             1: simnet.core(rng.integers(-8, 24, (20, 32, 3, 3)), (4, 4), threshold_high=threshold)}  # fmt: skip
    cfg = simnet.config(cores)
    events = spike_events(np.sort(rng.integers(0, 100, 150)), np.zeros(150), rng.integers(0, 6, 150), rng.integers(0, 6, 150))
    reference = simnet.Reference(cfg)
    expected, counts = reference.run(events, {0, 1})
    assert {100: counts[0] > 1000 and counts[1] > 1000, 300: counts[1] > 100, 600: 0 < counts[0] < 20}[threshold]
    for engine in simnet.KERNELS:
        with simnet.using_kernel(engine):
            sim = Simulator(cfg)
            result = sim.run(events, monitor="all", record_states=True)
        assert simnet.rows(result) == expected, engine
        for n, name in sim.names.items():
            assert result.spike_counts[name] == counts[n], engine
            np.testing.assert_array_equal(result.states[name], np.array(reference.v[n]), err_msg=engine)
