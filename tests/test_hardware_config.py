"""Config document -> samna configuration object, against the samna double.

Every example network and a set of shapes that stress the mapping (non-square maps, two
destinations with feature shifts, nine cores, the DVS layer, the readout, DYNAP-CNN kill bits) is
compiled for every target, written onto the target's samna configuration class, and read back
field by field through an independent reader of the double.
"""
import dataclasses
from pathlib import Path

import numpy as np
import pytest

import dynapspec
from dynapspec import chips
from dynapspec.config import Config
from dynapspec.errors import DeviceError
from dynapspec.hardware import configure
from hardware_support import branchy, dvs_net, lenet, nine_cores, readout_net, small

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*/net.yaml"))


NETWORKS = {"small": small, "lenet": lenet, "branchy": branchy, "nine": nine_cores, "dvs": dvs_net}
NETWORKS.update({f"example:{p.parent.name}": (lambda t, p=p: dynapspec.compile(p, target=t)) for p in EXAMPLES})


def chip_module(samna, target):
    profile = chips.profile(target)
    if profile.samna_module == "dynapcnn":
        samna._double.reset("0.45.0")  # DYNAP-CNN needs a samna from before 0.46
    return getattr(samna, profile.samna_module), profile


def read_back(samna, config: Config, cfg) -> Config:
    """The document as the double's reader sees it; unused cores (checked apart) are taken as written."""
    from samna._model import read_chip

    chip = read_chip(cfg)
    used = {r.core for r in config.header.layers}
    cores = tuple(c if n in used else config.chip.cnn_layers[n] for n, c in enumerate(chip.cnn_layers))
    return dataclasses.replace(config, chip=dataclasses.replace(chip, cnn_layers=cores))


def differences(a, b, path="chip") -> list:
    """Every leaf where two documents differ (arrays compared exactly, shape and values)."""
    if dataclasses.is_dataclass(a):
        return [d for f in dataclasses.fields(a) for d in differences(getattr(a, f.name), getattr(b, f.name),
                                                                      f"{path}.{f.name}")]
    if isinstance(a, tuple):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{path}[{i}]")]
    if isinstance(a, np.ndarray):
        same = isinstance(b, np.ndarray) and a.shape == b.shape and np.array_equal(a, b)
        return [] if same else [path]
    return [] if (a == b and type(a) is type(b)) else [path]


@pytest.mark.parametrize("target", chips.targets())
@pytest.mark.parametrize("network", sorted(NETWORKS))
def test_every_field_of_every_network_lands_on_the_samna_object(samna, network, target):
    config = NETWORKS[network](target)
    module, profile = chip_module(samna, target)
    cfg = configure.to_samna(module, config, profile)
    assert type(cfg).__name__ == profile.configuration_class
    assert type(cfg.cnn_layers[0]).__name__ == profile.core_class
    assert module.validate_configuration(cfg) == (True, "Configuration is valid.")
    # the independent reader of the double sees exactly the document, field for field
    assert differences(read_back(samna, config, cfg).chip, config.chip) == []
    used = {r.core for r in config.header.layers}
    for n in set(range(9)) - used:  # unused cores keep samna's defaults: silent
        core = cfg.cnn_layers[n]
        assert not core.monitor_enable and not any(d.enable for d in core.destinations) and core.weights == []


def test_array_layouts_are_samna_feature_channel_x_y(samna):
    config = small()  # input 2x8x12: H=8, W=12; conv out 3x6x10
    cfg = configure.to_samna(samna.speck2f, config, chips.profile("speck2fdevkit"))
    core = cfg.cnn_layers[config.core_of("conv")]
    assert np.shape(core.weights) == (3, 2, 3, 3)
    assert np.shape(core.neurons_initial_value) == (3, 10, 6)  # [f][x][y]: x along W=10, y along H=6
    dims = core.dimensions
    assert (dims.input_shape.size.x, dims.input_shape.size.y, dims.input_shape.feature_count) == (12, 8, 2)
    assert (dims.output_shape.size.x, dims.output_shape.size.y) == (10, 6)
    assert core.weights == config.chip.cnn_layers[config.core_of("conv")].weights.tolist()


def test_dynapcnn_kill_bits_are_bool_lists_killing_zero_weights(samna):
    config = small("dynapcnndevkit")
    module, profile = chip_module(samna, "dynapcnndevkit")
    core = configure.to_samna(module, config, profile).cnn_layers[config.core_of("conv")]
    kill = np.array(core.weights_kill_bit)
    assert kill.dtype == bool and kill.shape == (3, 2, 3, 3)
    assert np.array_equal(kill, np.array(core.weights) == 0)
    assert all(isinstance(b, bool) for b in core.biases_kill_bit)


def test_dynapcnn_stops_echoing_host_input_and_other_factory_fields_stay(samna):
    module, profile = chip_module(samna, "dynapcnndevkit")
    assert module.configuration.DynapcnnConfiguration().factory_settings.monitor_input_enable is True
    cfg = configure.to_samna(module, small("dynapcnndevkit"), profile)
    assert cfg.factory_settings.monitor_input_enable is False
    speck = configure.to_samna(samna.speck2f, small(), chips.profile("speck2fdevkit"))
    assert speck.factory_config.internal_slow_clk_divider == 17 and speck.factory_config.io_sel == 0


def test_readout_is_written_and_reaches_layer_12(samna):
    config = readout_net("speck2fdevkit")
    cfg = configure.to_samna(samna.speck2f, config, chips.profile("speck2fdevkit"))
    assert cfg.readout.enable and cfg.readout.threshold == 7
    core = cfg.cnn_layers[config.core_of("out")]
    assert core.destinations[0].layer == 12 and core.destinations[0].enable
    assert differences(read_back(samna, config, cfg).chip, config.chip) == []


def test_sensor_events_are_switched_off_before_anything_else(samna, monkeypatch):
    from samna._struct import Struct

    writes, building = [], []
    original_set, original_init = Struct.__setattr__, Struct.__init__

    def spy(obj, name, value):
        if not building:  # defaults set by constructors are samna's, not ours
            writes.append((type(obj).__name__, name, value))
        original_set(obj, name, value)

    def constructing(obj, *args, **kwargs):
        building.append(obj)
        try:
            original_init(obj, *args, **kwargs)
        finally:
            building.pop()

    monkeypatch.setattr(Struct, "__setattr__", spy)
    monkeypatch.setattr(Struct, "__init__", constructing)
    config = dvs_net("speck2fdevkit", source="sensor")
    cfg = configure.to_samna(samna.speck2f, config, chips.profile("speck2fdevkit"))
    assert writes[0] == ("DvsLayerConfig", "pass_sensor_events", False)
    assert cfg.dvs_layer.pass_sensor_events is True  # the document's value, written later


def test_samna_validator_message_is_shown_when_it_rejects(samna):
    config = small()
    n = config.core_of("conv")
    chip = config.chip
    bad_dest = dataclasses.replace(chip.cnn_layers[n].destinations[0], pooling=1)  # delivers 10x6, not 5x3
    bad_core = dataclasses.replace(chip.cnn_layers[n], destinations=(bad_dest, chip.cnn_layers[n].destinations[1]))
    cores = tuple(bad_core if i == n else c for i, c in enumerate(chip.cnn_layers))
    bad = dataclasses.replace(config, chip=dataclasses.replace(chip, cnn_layers=cores))
    with pytest.raises(DeviceError) as info:
        configure.to_samna(samna.speck2f, bad, chips.profile("speck2fdevkit"))
    diag = info.value.diagnostics[0]
    assert diag.code == "device-rejected" and info.value.exit_status == 3
    assert "samna rejected the configuration" in diag.message and "delivers 10x6" in diag.message
    assert "\n" not in diag.render()


def test_a_value_samna_cannot_hold_is_refused_with_its_path(samna):
    config = small()
    n = config.core_of("out")
    core = dataclasses.replace(config.chip.cnn_layers[n], weights=config.chip.cnn_layers[n].weights * 0 + 300)
    cores = tuple(core if i == n else c for i, c in enumerate(config.chip.cnn_layers))
    bad = dataclasses.replace(config, chip=dataclasses.replace(config.chip, cnn_layers=cores))
    with pytest.raises(DeviceError) as info:
        configure.to_samna(samna.speck2f, bad, chips.profile("speck2fdevkit"))
    assert info.value.diagnostics[0].code == "device-rejected"
    assert f"cnn_layers[{n}].weights" in info.value.diagnostics[0].message


def test_a_field_the_chip_lacks_means_an_unsupported_samna(samna):
    config = small("dynapcnndevkit")  # carries kill bits, which Speck 2f has no field for
    with pytest.raises(DeviceError) as info:
        configure.to_samna(samna.speck2f, config, chips.profile("speck2fdevkit"))
    assert info.value.diagnostics[0].code == "samna-version"
    assert "no field 'weights_kill_bit'" in info.value.diagnostics[0].message


def test_read_back_catches_a_samna_that_drops_writes(samna, monkeypatch):
    core_class = samna.speck2f.configuration.CnnLayerConfig
    original = core_class.__setattr__

    def forgetful(obj, name, value):
        if name != "threshold_high":
            original(obj, name, value)

    monkeypatch.setattr(core_class, "__setattr__", forgetful)
    with pytest.raises(DeviceError) as info:
        configure.to_samna(samna.speck2f, small(), chips.profile("speck2fdevkit"))
    assert info.value.diagnostics[0].code == "samna-version"
    assert "threshold_high: wrote" in info.value.diagnostics[0].message


def test_copies_instead_of_references_still_work(samna):
    """If samna handed out copies of nested structs, fetch-fill-assign-back still lands every value."""
    samna._double.reset(copies=True)
    config = branchy()
    cfg = configure.to_samna(samna.speck2f, config, chips.profile("speck2fdevkit"))
    assert differences(read_back(samna, config, cfg).chip, config.chip) == []


def test_an_unused_core_that_samna_leaves_on_is_switched_off(samna, monkeypatch):
    cls = samna.speck2f.configuration.SpeckConfiguration
    original = cls.__init__

    def noisy_default(self, *args, **kwargs):
        original(self, *args, **kwargs)
        core = self.cnn_layers[8]
        core.monitor_enable = True

    monkeypatch.setattr(cls, "__init__", noisy_default)
    cfg = configure.to_samna(samna.speck2f, small(), chips.profile("speck2fdevkit"))
    assert not cfg.cnn_layers[8].monitor_enable
