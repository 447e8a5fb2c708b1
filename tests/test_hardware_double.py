"""The samna double itself: it must refuse what samna refuses, or the adapter tests prove nothing."""
import numpy as np
import pytest


def test_names_mirror_samna_per_chip(samna):
    assert {"speck2e", "speck2f"} <= set(dir(samna)) and not hasattr(samna, "dynapcnn")
    assert samna.speck2f.configuration.SpeckConfiguration().cnn_layers[0].__class__.__name__ == "CnnLayerConfig"
    assert hasattr(samna, "BasicSourceNode_speck2e_event_speck2e_input_event")
    assert hasattr(samna, "BasicSinkNode_speck2f_event_output_event")
    samna._double.reset("0.45.0")
    cfg = samna.dynapcnn.configuration.DynapcnnConfiguration()
    assert type(cfg.cnn_layers[0]).__name__ == "CNNLayerConfig" and hasattr(cfg.cnn_layers[0], "weights_kill_bit")


def test_structs_refuse_unknown_fields_wrong_types_and_out_of_range_values(samna):
    core = samna.speck2f.configuration.SpeckConfiguration().cnn_layers[0]
    with pytest.raises(AttributeError):
        core.weights_kill_bit = [[[[True]]]]  # a DYNAP-CNN field
    with pytest.raises(AttributeError):
        core.threshold = 5
    with pytest.raises(TypeError):
        core.threshold_high = 1.5
    with pytest.raises(TypeError):
        core.monitor_enable = 1
    with pytest.raises(TypeError):
        core.threshold_high = 40000  # int16
    with pytest.raises(TypeError):
        core.weights = [[[[128]]]]  # int8
    with pytest.raises(TypeError):
        core.weights = [[[1]]]  # depth 3, not 4
    with pytest.raises(TypeError):
        core.dimensions = {"kernel_size": 3}
    core.weights = [[[[1, -2]]]]
    assert core.weights == [[[[1, -2]]]]
    copy = core.weights
    copy[0][0][0][0] = 99
    assert core.weights[0][0][0][0] == 1  # arrays come back as fresh lists


def test_events_and_nodes_are_per_chip(samna):
    source = samna.BasicSourceNode_speck2f_event_input_event()
    with pytest.raises(TypeError):
        source.write([samna.speck2e.event.Spike(layer=0)])
    source.write([samna.speck2f.event.Spike(layer=0, feature=1, x=2, y=3, timestamp=4)])


def test_the_validator_refuses_a_destination_of_the_wrong_size(samna):
    cfg = samna.speck2f.configuration.SpeckConfiguration()
    a, b = cfg.cnn_layers[0], cfg.cnn_layers[1]
    a.weights = [[[[1]]]]
    a.neurons_initial_value = [[[0, 0], [0, 0]]]
    a.dimensions.input_shape.size.x = a.dimensions.input_shape.size.y = 2
    a.dimensions.output_shape.size.x = a.dimensions.output_shape.size.y = 2
    a.threshold_high = 1
    a.destinations[0].enable = True
    a.destinations[0].layer = 1
    b.weights = [[[[1]]]]
    b.neurons_initial_value = [[[0]]]
    b.threshold_high = 1
    ok, text = samna.speck2f.validate_configuration(cfg)  # a delivers 2x2, b takes 1x1
    assert not ok and "layer 0 destination 0: delivers 2x2 (x, y) but layer 1 expects 1x1" in text
    a.destinations[0].pooling = 2
    assert samna.speck2f.validate_configuration(cfg) == (True, "Configuration is valid.")


def test_one_process_owns_a_board(samna):
    info = samna._double.attach("Speck2fDevKit")
    board = samna.device.open_device(info)
    assert samna.device.open_device("Speck2fDevKit:0") is board  # reopening gives the same handle
    assert samna.device.get_unopened_devices() == []
    samna.device.close_device(board)
    with pytest.raises(RuntimeError):
        board.get_model()
    samna._double.hold(info)
    with pytest.raises(RuntimeError):
        samna.device.open_device(info)


# ---------------------------------------------------------------- the strictness the adapter relies on


def test_pybind11_conversion_rules(samna):
    """include/pybind11/cast.h: an int refuses a float even in convert mode; a bool takes True/False
    (and, in convert mode only, other objects: the double's struct fields refuse them)."""
    io = samna.device.IoModule(type("B", (), {"_alive": lambda self: None})())
    io.set_slow_clk_rate(20)
    io.set_slow_clk_rate(np.int64(20))  # __index__
    with pytest.raises(TypeError):
        io.set_slow_clk_rate(1.0)
    core = samna.speck2f.configuration.SpeckConfiguration().cnn_layers[0]
    core.threshold_high = True  # a bool is a Python int: pybind11 takes it
    with pytest.raises(TypeError):
        core.threshold_high = 2.0
    with pytest.raises(TypeError):
        core.monitor_enable = 1
    event = samna.speck2f.event.DvsEvent()
    event.p = 1  # sinabs' tutorials write ints here
    assert event.p is True


def test_the_dvs_monitor_flags_set_pass_sensor_events(samna):
    """samna 0.48.5 DvsLayerConfig.pass_sensor_events: set by setting raw_monitor_enable and monitor_enable."""
    for flag in ("monitor_enable", "raw_monitor_enable"):
        dvs_layer = samna.speck2f.configuration.SpeckConfiguration().dvs_layer
        setattr(dvs_layer, flag, True)
        assert dvs_layer.pass_sensor_events is True
        dvs_layer.pass_sensor_events = False
        assert dvs_layer.pass_sensor_events is False and getattr(dvs_layer, flag) is True


def test_arrays_can_come_back_as_tuples(samna):
    samna._double.reset(arrays="tuple")
    core = samna.speck2f.configuration.SpeckConfiguration().cnn_layers[0]
    core.weights = [[[[1, -2]]]]
    assert core.weights == ((((1, -2),),),) and core.weights != [[[[1, -2]]]]


def test_events_carry_only_the_fields_samna_documents(samna):
    """samna 0.48.5 speck2f/event: ReadoutValue has no timestamp; ReadNeuronValue neither (sinabs #259);
    unifirm.modules.events.DroppedEventsNum has ``num``."""
    assert not hasattr(samna.speck2f.event.ReadoutValue(), "timestamp")
    assert not hasattr(samna.speck2f.event.ReadNeuronValue(), "timestamp")
    assert samna.speck2f.event.ReadoutPinValue(index=3, timestamp=5).index == 3
    assert samna.unifirm.modules.events.DroppedEventsNum(num=7).num == 7


def test_dynapcnn_dvs_layer_has_no_polarity_or_raw_monitor_fields(samna):
    samna._double.reset("0.45.0")
    dvs_layer = samna.dynapcnn.configuration.DynapcnnConfiguration().dvs_layer
    for field in ("on_channel", "off_channel", "raw_monitor_enable"):
        assert not hasattr(dvs_layer, field)
    assert hasattr(dvs_layer, "merge") and hasattr(dvs_layer, "pass_sensor_events")


def test_outputs_can_arrive_polls_after_they_were_produced(samna):
    samna._double.state.latency_polls = 2
    sink = samna.BasicSinkNode_speck2f_event_output_event()
    sink._receive(["late"])
    assert sink.get_events() == [] and sink.get_events() == ["late"]


def test_the_doubles_chip_does_not_run_dynapspecs_simulator(samna, monkeypatch):
    """The board's chip is tests/simnet.py's reference, so hardware tests can catch a simulator bug."""
    import dynapspec.hardware as hw
    from dynapspec.sim import simulator

    from hardware_support import small, spikes

    def broken(*args, **kwargs):
        raise AssertionError("the double must not use dynapspec.sim")

    monkeypatch.setattr(simulator.Simulator, "run", broken)
    monkeypatch.setattr(simulator.Simulator, "__init__", broken)
    samna._double.attach("Speck2fDevKit")
    config = small()
    result = hw.deploy(config, "speck2fdevkit", spikes(config), monitor="all", quiet_s=0.02, settle_s=0)
    assert len(result.output) > 0
