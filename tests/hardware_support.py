"""Shared pieces of the hardware tests: where the samna double lives and small compiled networks.

The ``samna`` and ``no_samna`` fixtures (tests/conftest.py) put the double (tests/samna_double/samna)
on sys.path for one test only and drop every ``samna*`` module afterwards.
"""
from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np

from dynapspec.compiler import compile_spec
from dynapspec.events import dvs_events, spike_events
from dynapspec.spec.model import XY, DvsInput, Edge, Readout

from specfactory import conv, dense, make_spec, rand

DOUBLE = Path(__file__).parent / "samna_double"


def drop_samna() -> None:
    """Forget every imported samna* module (the double, or a fake shim)."""
    for name in [n for n in sys.modules if n == "samna" or n.startswith("samna.")]:
        del sys.modules[name]


def small(target="speck2fdevkit", threshold=0.3):
    """Two convs on a non-square map (catches x/y slips): 2x8x12 -> 3x6x10 -> pool 2 -> 4x1x3."""
    spec = make_spec((2, 8, 12), [
        conv("conv", 3, 3, rand(3, 2, 3, 3, seed=1), pool=2, threshold=threshold),
        conv("out", 4, 3, rand(4, 3, 3, 3, seed=2), threshold=threshold),
    ], target=target)
    return compile_spec(spec).config


def lenet(target="speck2fdevkit"):
    avg2 = [(2, "avg")]
    return compile_spec(make_spec((1, 28, 28), [
        conv("conv1", 20, 5, rand(20, 1, 5, 5), pool=avg2),
        conv("conv2", 32, 5, rand(32, 20, 5, 5), pool=avg2),
        conv("conv3", 128, 3, rand(128, 32, 3, 3), pool=avg2),
        dense("fc1", 500, rand(500, 128)),
        dense("out", 10, rand(10, 500)),
    ], target=target)).config


def branchy(target="speck2fdevkit"):
    """Two destinations, a concatenating merge (feature shifts) and monitoring of every exit."""
    return compile_spec(make_spec((1, 8, 8), [
        conv("stem", 4, 3, rand(4, 1, 3, 3), padding=1, to=["left", "right"]),
        conv("left", 3, 1, rand(3, 4, 1, 1), to=["join"]),
        conv("right", 5, 1, rand(5, 4, 1, 1), to=["join"]),
        conv("join", 2, 1, rand(2, 8, 1, 1)),
    ], target=target)).config


def skip_merge(target="speck2fdevkit"):
    """The input feeds a layer and, as a skip connection, the merge behind it (host spikes at a shift)."""
    return compile_spec(make_spec((2, 8, 8), [
        conv("a", 3, 3, rand(3, 2, 3, 3) + 0.2, padding=1, to=["cat"]),
        conv("cat", 4, 3, rand(4, 5, 3, 3) + 0.2, padding=1),
    ], input_to=["a", "cat"], target=target)).config


def nine_cores(target="speck2fdevkit"):
    p2 = [(2, "avg")]
    return compile_spec(make_spec((2, 64, 64), [
        conv("l0", 8, 2, rand(8, 2, 2, 2), stride=2),
        conv("l1", 8, 3, rand(8, 8, 3, 3), padding=1, pool=p2),
        conv("l2", 16, 3, rand(16, 8, 3, 3), padding=1, pool=p2),
        conv("l3", 16, 3, rand(16, 16, 3, 3), padding=1, pool=p2),
        conv("l4", 32, 3, rand(32, 16, 3, 3), padding=1, pool=p2),
        conv("l5", 32, 3, rand(32, 32, 3, 3), padding=1),
        conv("l6", 64, 2, rand(64, 32, 2, 2)),
        conv("l7", 16, 1, rand(16, 64, 1, 1)),
        conv("l8", 2, 1, rand(2, 16, 1, 1)),
    ], target=target)).config


def dvs_net(target="speck2fdevkit", source="host"):
    dvs = DvsInput(source, XY(128, 128), "both", XY(4, 4), XY(2, 4), XY(29, 27), XY(1, 0), True, False,
                   (Edge("c1"),))
    return compile_spec(make_spec(None, [
        conv("c1", 4, 3, rand(4, 2, 3, 3), stride=2, threshold=0.2),
        conv("c2", 3, 3, rand(3, 4, 3, 3), threshold=0.2),
    ], target=target, dvs=dvs)).config


def readout_net(target="speck2fdevkit", threshold=7):
    spec = make_spec((8, 2, 2), [conv("out", 3, 2, rand(3, 8, 2, 2))], target=target)
    return compile_spec(dataclasses.replace(spec, readout=Readout("out", threshold))).config


def class_two_net(target="speck2fdevkit"):
    """A 3-class readout network whose class 2 (feature 1) fires once per spike on channel 0, the others never."""
    weights = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 0.0]])
    spec = make_spec((2, 1, 1), [dense("out", 3, weights)], target=target)
    return compile_spec(dataclasses.replace(spec, readout=Readout("out", 0))).config


def channel_zero(n, t_step):
    """``n`` spikes on input channel 0 at (0, 0), ``t_step`` us apart."""
    return spike_events(np.arange(n) * t_step, np.zeros(n, int), np.zeros(n, int), np.zeros(n, int))


def spikes(config, n=300, seed=0, t_step=100):
    """Seeded random spike input covering the network's input shape."""
    c, h, w = config.header.input.shape
    rng = np.random.default_rng(seed)
    return spike_events(np.arange(n) * t_step, rng.integers(0, c, n), rng.integers(0, w, n), rng.integers(0, h, n))


def dvs(n=400, seed=0, t_step=50):
    """Seeded random events over the whole 128x128 sensor, both polarities."""
    rng = np.random.default_rng(seed)
    return dvs_events(rng.integers(0, 128, n), rng.integers(0, 128, n), np.arange(n) * t_step, rng.integers(0, 2, n))
