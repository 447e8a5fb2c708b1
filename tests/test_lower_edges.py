"""Limits of the lower stage that only rare specs reach: average-pooling scales in an add merge, the
16x16 dense kernel, more than 1024 input features, and what may feed the readout."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from dynapspec.compiler import compile_spec
from dynapspec.errors import SpecError
from dynapspec.events import spike_events
from dynapspec.hardware import monitor
from dynapspec.spec.model import Readout

from specfactory import conv, dense, make_spec, rand
from oracle import assert_matches_oracle


def codes(spec):
    with pytest.raises(SpecError) as info:
        compile_spec(spec)
    return [(d.code, d.location.layer) for d in info.value.diagnostics], info.value.diagnostics


def added(mode_a, mode_b):
    """a and b (2 features each, 8x8) pool by 2 into c, which adds them."""
    return make_spec((1, 8, 8), [
        conv("a", 2, 1, np.ones((2, 1, 1, 1)), to=[("c", None, [(2, mode_a)])]),
        conv("b", 2, 1, np.ones((2, 1, 1, 1)), to=[("c", None, [(2, mode_b)])]),
        conv("c", 1, 1, np.full((1, 2, 1, 1), 0.8), threshold=0.5, merge="add"),
    ], input_to=["a", "b"])


def test_adding_sources_with_different_average_pooling_is_refused():
    found, diagnostics = codes(added("avg", "sum"))
    assert found == [("pool-scale-conflict", "c")]
    assert "different average-pooling factors" in diagnostics[0].message


def test_adding_sources_with_the_same_average_pooling_scales_once():
    # both edges avg 2: c's weights 0.8 * 1/4 = 0.2; s = min(127/0.2, 32767/0.5) = 635;
    # weights 0.2 * 635 = 127, threshold 0.5 * 635 = 317.5 -> 318 (half to even)
    result = compile_spec(added("avg", "avg"))
    record = result.config.header.layers[2]
    assert record.scale == pytest.approx(635.0, rel=1e-12) and record.threshold_high == 318
    assert result.config.chip.cnn_layers[record.core].weights.ravel().tolist() == [127, 127]


def test_a_dense_layer_on_a_16x16_map_is_the_largest_kernel():
    spec = make_spec((1, 16, 16), [dense("fc", 2, rand(2, 256) + 0.2)])
    assert compile_spec(spec).config.header.layers[0].input_shape == (1, 16, 16)


def test_a_dense_layer_on_a_17x17_map_needs_a_kernel_above_16():
    found, diagnostics = codes(make_spec((1, 17, 17), [dense("fc", 2, rand(2, 289))]))
    assert found == [("kernel-range", "fc")]
    assert "kernel would be 17x17" in diagnostics[0].message and "up to 16" in diagnostics[0].message


def test_a_dense_layer_reads_more_than_1024_input_values():
    """2048 = 32 x 8 x 8 inputs are one 8x8 kernel over 32 channels: legal, and exact."""
    spec = make_spec((32, 8, 8), [dense("fc", 3, rand(3, 2048, seed=2) + 0.05, threshold=0.3)])
    rng = np.random.default_rng(3)
    events = spike_events(np.arange(300), rng.integers(0, 32, 300), rng.integers(0, 8, 300), rng.integers(0, 8, 300))
    _, rows = assert_matches_oracle(spec, events)
    assert rows


def test_concatenating_past_1024_features_is_refused():
    # 600 + 600 features would land on [0, 1200); the chip's features are 0..1023 (U05)
    spec = make_spec((1, 2, 2), [
        conv("a", 600, 1, rand(600, 1, 1, 1), to=["cat"]),
        conv("b", 600, 1, rand(600, 1, 1, 1), to=["cat"]),
        conv("cat", 2, 1, rand(2, 1200, 1, 1)),
    ], input_to=["a", "b"])
    found, diagnostics = codes(spec)
    assert found == [("feature-shift-range", "cat")]
    assert "[600, 1200)" in diagnostics[0].message and "0..1023" in diagnostics[0].message


def with_readout(spec, layer):
    return dataclasses.replace(spec, readout=Readout(layer, 0))


def test_the_readout_cannot_read_a_layer_that_sends_on():
    spec = make_spec((4, 1, 1), [conv("a", 3, 1, rand(3, 4, 1, 1)), conv("b", 3, 1, rand(3, 3, 1, 1))])
    found, diagnostics = codes(with_readout(spec, "a"))
    assert found == [("readout-config", None)]
    assert "a has 3 features on 1x1 and sends to other layers" in diagnostics[0].message
    widened = compile_spec(with_readout(spec, "b")).config.header.layers[1]  # the exit layer is fine
    assert (widened.name, widened.output_shape) == ("b", (9, 1, 1))  # 3 classes at features 0, 4, 8


@pytest.mark.parametrize("features, size, words", [(16, 1, "a has 16 features on 1x1"), (3, 2, "a has 3 features on 2x2")])
def test_the_readout_reads_at_most_15_features_on_a_1x1_map(features, size, words):
    spec = make_spec((2, size, size), [conv("a", features, 1, rand(features, 2, 1, 1))])
    found, diagnostics = codes(with_readout(spec, "a"))
    assert found == [("readout-config", None)] and words in diagnostics[0].message


def test_readout_monitoring_warns_that_no_spikes_reach_the_host():
    config = compile_spec(with_readout(make_spec((2, 1, 1), [conv("a", 3, 1, rand(3, 2, 1, 1))]), "a")).config
    assert "readout-monitor" not in [w.code for w in monitor.notes(config, ["a"])]
    chip = dataclasses.replace(config.chip, readout=dataclasses.replace(config.chip.readout, monitor_enable=True))
    (note,) = [w for w in monitor.notes(dataclasses.replace(config, chip=chip), ["a"]) if w.code == "readout-monitor"]
    assert "ReadoutValue events only, no spikes" in note.message
