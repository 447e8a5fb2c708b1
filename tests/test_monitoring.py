"""One rule says which layers a run reports (dynapspec.monitoring): the simulator, the board adapter
and the command line all ask it, so they accept the same names and refuse the same way.

Expected names are written out from the networks' own definitions (tests/hardware_support.py).
"""
from __future__ import annotations

import dataclasses

import pytest

import dynapspec.hardware as hw
from dynapspec import monitoring
from dynapspec.errors import SpecError
from dynapspec.sim import Simulator

from hardware_support import dvs_net, readout_net, small, spikes


def test_choices_are_in_network_order_with_dvs_first_and_readout_only_where_modelled():
    assert monitoring.choices(small()) == ("conv", "out")
    assert monitoring.choices(dvs_net()) == ("dvs", "c1", "c2")
    assert monitoring.choices(readout_net()) == ("out",)  # the simulator does not model the readout
    assert monitoring.choices(readout_net(), readout=True) == ("out", "readout")


def test_the_configuration_decides_without_a_choice_and_all_never_means_the_readout():
    assert monitoring.resolve(small(), None) == ("out",)  # the compiler monitors the exit layer
    assert monitoring.resolve(small(), "all") == ("conv", "out")
    assert monitoring.resolve(dvs_net(), "all") == ("dvs", "c1", "c2")
    assert monitoring.resolve(readout_net(), "all", readout=True) == ("out",)
    assert monitoring.resolve(small(), ["out", "conv"]) == ("conv", "out")  # network order, whatever was asked


def test_a_spike_input_network_has_no_dvs_layer_to_monitor_on_either_engine(samna):
    config = small()
    with pytest.raises(SpecError) as simulated:
        Simulator(config).run(spikes(config), monitor=["dvs"])
    samna._double.attach("Speck2fDevKit")
    with pytest.raises(SpecError) as on_board:
        hw.deploy(config, "speck2fdevkit", spikes(config), monitor=["dvs"], quiet_s=0.02, settle_s=0)
    for info in (simulated, on_board):
        diagnostic = info.value.diagnostics[0]
        assert diagnostic.code == "unknown-layer" and diagnostic.location.file == "--monitor"
        assert "cannot monitor 'dvs': the network has conv, out (or 'all')" in diagnostic.message


def test_a_configured_dvs_monitor_on_a_spike_input_network_is_ignored():
    config = small()
    chip = dataclasses.replace(config.chip, dvs_layer=dataclasses.replace(config.chip.dvs_layer, monitor_enable=True))
    assert monitoring.resolve(dataclasses.replace(config, chip=chip), None) == ("out",)


def test_the_command_line_offers_the_same_names():
    import subprocess
    import sys
    from pathlib import Path

    from dynapspec import compile as compile_spec

    examples = Path(__file__).parent.parent / "examples"
    net = examples / "dvs_gesture" / "net.yaml"
    names = ", ".join(monitoring.choices(compile_spec(net)))
    assert names == "dvs, conv1, conv2, conv3, out"  # the example's layers, after its DVS layer
    done = subprocess.run([sys.executable, "-m", "dynapspec", "simulate", str(net), "--monitor", "nope",
                           "-i", str(examples / "lenet" / "input.h5")], capture_output=True, text=True)
    assert done.returncode == 2
    assert f"give comma-separated names from {names}, or 'all'" in done.stderr
