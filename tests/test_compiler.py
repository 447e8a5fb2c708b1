"""The compile stages on hand-built specs: memory, placement, lowering layouts, quantization."""
import numpy as np
import pytest

from dynapspec import chips
from dynapspec.compiler import compile_spec
from dynapspec.errors import SpecError
from dynapspec.memory import layer_memory
from dynapspec.compiler.quantize import tensor_scale

from specfactory import conv, dense, make_spec, rand

LENET_TARGETS = chips.targets()


def lenet(target="speck2fdevkit"):
    avg2 = [(2, "avg")]
    return make_spec((1, 28, 28), [
        conv("conv1", 20, 5, rand(20, 1, 5, 5), pool=avg2),
        conv("conv2", 32, 5, rand(32, 20, 5, 5), pool=avg2),
        conv("conv3", 128, 3, rand(128, 32, 3, 3), pool=avg2),
        dense("fc1", 500, rand(500, 128)),
        dense("out", 10, rand(10, 500)),
    ], target=target)


def example_b():
    p2 = [(2, "avg")]
    return make_spec((2, 128, 128), [
        conv("l0", 16, 2, rand(16, 2, 2, 2), stride=2),
        conv("l1", 16, 3, rand(16, 16, 3, 3), padding=1, pool=p2),
        conv("l2", 32, 3, rand(32, 16, 3, 3), padding=1, pool=p2),
        conv("l3", 32, 3, rand(32, 32, 3, 3), padding=1, pool=p2),
        conv("l4", 64, 3, rand(64, 32, 3, 3), padding=1, pool=p2),
        conv("l5", 64, 3, rand(64, 64, 3, 3), padding=1, pool=p2),
        conv("l6", 256, 2, rand(256, 64, 2, 2)),
        conv("l7", 128, 1, rand(128, 256, 1, 1)),
        conv("l8", 1, 1, rand(1, 128, 1, 1)),
    ])


@pytest.mark.parametrize("target", LENET_TARGETS)
def test_lenet_memory_and_placement_on_every_target(target):
    result = compile_spec(lenet(target))
    records = result.config.header.layers
    assert [r.memory.kernel for r in records] == [1024, 20480, 65536, 65536, 8000]
    assert [r.memory.neuron for r in records] == [20480, 2048, 512, 500, 10]
    # the reference's Edmonds-Karp placement (docs/chip.md §6)
    assert [r.core for r in records] == [0, 3, 5, 6, 1]
    assert result.config.header.target == target


def test_nine_layer_network_places_on_all_cores():
    result = compile_spec(example_b())
    records = result.config.header.layers
    assert [r.memory.kernel for r in records] == [128, 4096, 8192, 16384, 32768, 65536, 65536, 32768, 128]
    assert [r.memory.neuron for r in records] == [65536, 65536, 32768, 8192, 4096, 1024, 256, 128, 1]
    assert [r.core for r in records] == [0, 1, 2, 8, 4, 5, 6, 3, 7]


def test_memory_formula_rounds_kernel_area_and_features_not_channels():
    m = layer_memory(C=20, F=32, k=5, OH=8, OW=8)
    assert (m.kernel, m.neuron, m.bias) == (20 * 2 ** (5 + 5), 32 * 2 ** (3 + 3), 0)
    m = layer_memory(C=3, F=5, k=3, OH=5, OW=9)
    assert (m.kernel, m.neuron) == (3 * 16 * 8, 5 * 8 * 16)


def test_layer_too_large_for_any_core_names_needs_and_cores():
    spec = make_spec((16, 64, 64), [conv("big", 32, 3, rand(32, 16, 3, 3), padding=1)])
    with pytest.raises(SpecError) as info:
        compile_spec(spec)
    (diag,) = info.value.diagnostics
    assert diag.code == "layer-fits-no-core"
    assert "neuron 131072 (128 Ki) exceeds the largest neuron memory 65536" in diag.message
    assert "kernel 8192 (8 Ki) fits every core" in diag.message
    assert diag.location.line == 10 and diag.location.layer == "big"


def test_kernel_and_neuron_fit_different_cores():
    # kernel 32*2^(4+7) = 65536 (cores 5-6); neuron 128*2^(3+3) = 8192... use a 32x32 output: 128*1024 > 64Ki
    spec = make_spec((64, 16, 16), [conv("mix", 128, 3, rand(128, 64, 3, 3), padding=1)])
    with pytest.raises(SpecError) as info:
        compile_spec(spec)
    message = info.value.diagnostics[0].message
    # kernel 64*2^(4+7) = 131072 -> nowhere; neuron 128*2^(4+4) = 32768 -> cores 0-4
    assert "kernel 131072 (128 Ki) exceeds the largest kernel memory" in message
    assert "neuron 32768 (32 Ki) fits only cores 0-4" in message


def test_ten_layers_is_refused_before_placement():
    layers = [conv(f"l{i}", 2, 1, rand(2, 2, 1, 1)) for i in range(10)]
    with pytest.raises(SpecError) as info:
        compile_spec(make_spec((2, 4, 4), layers))
    assert [d.code for d in info.value.diagnostics] == ["too-many-layers"]
    assert "10 layers > 9 cores" in info.value.diagnostics[0].message


def test_contending_layers_are_reported_as_a_group_with_a_hint():
    # three layers that each need a 64 Ki kernel memory: only cores 5 and 6 have one
    spec = make_spec((32, 4, 4), [conv("k0", 128, 3, rand(128, 32, 3, 3), padding=1),
                                  conv("k1", 32, 1, rand(32, 128, 1, 1)),
                                  conv("k2", 128, 3, rand(128, 32, 3, 3), padding=1),
                                  conv("k3", 32, 1, rand(32, 128, 1, 1)),
                                  conv("k4", 128, 3, rand(128, 32, 3, 3), padding=1)])
    with pytest.raises(SpecError) as info:
        compile_spec(spec)
    (diag,) = info.value.diagnostics
    assert diag.code == "cores-contended"
    assert diag.message.startswith("k0, k2, k4 can only use cores {5, 6}: 3 layers for 2 cores")
    assert "Hint: shrink" in diag.message and "to <= 32768" in diag.message


def test_pins_are_honoured_and_checked():
    spec = make_spec((1, 28, 28), [conv("a", 4, 3, rand(4, 1, 3, 3), core=8), conv("b", 4, 3, rand(4, 4, 3, 3))])
    assert [r.core for r in compile_spec(spec).config.header.layers] == [8, 0]
    spec = make_spec((1, 28, 28), [conv("a", 4, 3, rand(4, 1, 3, 3), core=2), conv("b", 4, 3, rand(4, 4, 3, 3), core=2)])
    with pytest.raises(SpecError) as info:
        compile_spec(spec)
    assert info.value.diagnostics[0].code == "pin-invalid"
    big = make_spec((16, 32, 32), [conv("a", 32, 3, rand(32, 16, 3, 3), padding=1, core=7)])
    with pytest.raises(SpecError) as info:
        compile_spec(big)
    assert info.value.diagnostics[0].code == "pin-invalid" and "core 7 has kernel 16384" in info.value.diagnostics[0].message


def test_weights_are_transposed_to_samna_feature_channel_x_y():
    # a 1x2 (kH x kW)... use a 2x2 kernel with distinct values, quantize off to see raw numbers
    w = np.arange(2 * 1 * 2 * 2).reshape(2, 1, 2, 2)  # (F, C, kH, kW)
    spec = make_spec((1, 16, 32), [conv("c", 2, 2, w, quantize=False, threshold=100)])
    core = compile_spec(spec).config.chip.cnn_layers[0]
    for f in range(2):
        for i in range(2):
            for j in range(2):
                assert core.weights[f][0][i][j] == w[f][0][j][i]
    dims = core.dimensions
    assert (dims.input_shape.size.x, dims.input_shape.size.y) == (32, 16)
    assert (dims.output_shape.size.x, dims.output_shape.size.y) == (31, 15)
    assert core.neurons_initial_value.shape == (2, 31, 15)  # [f][x][y]


def test_dense_reshape_is_chw_and_hwc_is_permuted():
    C, H, W, F = 3, 2, 2, 2
    dense_w = np.arange(F * C * H * W).reshape(F, C * H * W)
    spec = make_spec((C, H, W), [dense("d", F, dense_w, quantize=False, threshold=1000)])
    core = compile_spec(spec).config.chip.cnn_layers[0]
    for o in range(F):
        for c in range(C):
            for h in range(H):
                for w in range(W):
                    # conv[o][c][h][w] = dense[o][(c*H + h)*W + w]; samna stores [o][c][x=w][y=h]
                    assert core.weights[o][c][w][h] == dense_w[o][(c * H + h) * W + w]
    spec = make_spec((C, H, W), [dense("d", F, dense_w, quantize=False, threshold=1000, order="hwc")])
    core = compile_spec(spec).config.chip.cnn_layers[0]
    for o in range(F):
        for c in range(C):
            for h in range(H):
                for w in range(W):
                    assert core.weights[o][c][w][h] == dense_w[o][(h * W + w) * C + c]


def test_avg_pool_rescales_receiving_weights_before_quantization():
    w2 = np.full((1, 1, 1, 1), 0.8)
    spec = make_spec((1, 4, 4), [
        conv("a", 1, 1, np.ones((1, 1, 1, 1)), pool=[(2, "avg")], threshold=1.0),
        conv("b", 1, 1, w2, threshold=0.5),
    ])
    result = compile_spec(spec)
    b = result.network.layer("b")
    # weight 0.8 * 1/4 = 0.2; scale = min(127/0.2, 32767/0.5) = 635; w -> 127, threshold -> rint(317.5) = 318
    assert b.scale == pytest.approx(635.0)
    assert int(b.weight[0, 0, 0, 0]) == 127 and b.threshold_high == 318
    dest = result.config.chip.cnn_layers[0].destinations[0]
    assert (dest.enable, dest.pooling, dest.layer) == (True, 2, 1)


def test_chained_pooling_multiplies_and_bad_products_fail():
    spec = make_spec((1, 8, 8), [
        conv("a", 1, 1, np.ones((1, 1, 1, 1)), pool=[2, (2, "avg")]),
        conv("b", 1, 1, np.full((1, 1, 1, 1), 0.5)),
    ])
    result = compile_spec(spec)
    assert result.config.chip.cnn_layers[0].destinations[0].pooling == 4
    assert result.network.layer("b").input_shape == (1, 2, 2)
    spec = make_spec((1, 16, 16), [conv("a", 1, 1, np.ones((1, 1, 1, 1)), pool=[2, 4]), conv("b", 1, 1, np.ones((1, 1, 1, 1)))])
    with pytest.raises(SpecError) as info:
        compile_spec(spec)
    assert info.value.diagnostics[0].code == "pool-product"


def test_tensor_scale_follows_the_reference_rule():
    assert tensor_scale(np.array([0.05, -0.01]), 8) == pytest.approx(127 / 0.05)
    assert tensor_scale(np.array([-2.0, -1.0]), 8) == pytest.approx(64.0)
    assert tensor_scale(np.array([-1.0, 1.0]), 16) == pytest.approx(32767.0)
    assert tensor_scale(np.zeros(3), 8) == float("inf")


def test_quantization_without_low_threshold_keeps_small_weights():
    # docs/chip.md §5 pitfall: weights 0.05 with threshold 1 must not vanish
    spec = make_spec((1, 4, 4), [conv("a", 2, 1, np.full((2, 1, 1, 1), 0.05), threshold=1.0)])
    layer = compile_spec(spec).network.layer("a")
    assert layer.scale == pytest.approx(2540.0)
    assert layer.weight.max() == 127 and layer.threshold_high == 2540 and layer.threshold_low == -32768
    spec = make_spec((1, 4, 4), [conv("a", 2, 1, np.full((2, 1, 1, 1), 0.05), threshold=1.0, low=-1.0)])
    layer = compile_spec(spec).network.layer("a")
    assert (layer.threshold_high, layer.threshold_low) == (2540, -2540)


def test_rounding_is_half_to_even():
    w = np.array([0.5, 1.5, 2.5, -1.5, 127.0]).reshape(5, 1, 1, 1)
    spec = make_spec((1, 2, 2), [conv("a", 5, 1, w, threshold=32767.0)])
    layer = compile_spec(spec).network.layer("a")
    assert layer.scale == 1.0
    assert layer.weight.ravel().tolist() == [0, 2, 2, -2, 127]


def test_all_zero_after_rounding_is_refused():
    w = np.full((1, 1, 1, 1), 1e-3)
    spec = make_spec((1, 2, 2), [conv("a", 1, 1, w, threshold=1000.0, low=-1000.0)])
    # scale = min(127/1e-3, 32767/1000) = 32.767 -> 0.0328 rounds to 0
    with pytest.raises(SpecError) as info:
        compile_spec(spec)
    assert info.value.diagnostics[0].code == "quant-all-zero"


def test_branch_and_concatenating_merge_assign_feature_shifts():
    spec = make_spec((1, 8, 8), [
        conv("stem", 4, 3, rand(4, 1, 3, 3), padding=1, to=["left", "right"]),
        conv("left", 3, 1, rand(3, 4, 1, 1), to=["join"]),
        conv("right", 5, 1, rand(5, 4, 1, 1), to=["join"]),
        conv("join", 2, 1, rand(2, 8, 1, 1)),
    ])
    result = compile_spec(spec)
    cores = {r.name: r.core for r in result.config.header.layers}
    chip = result.config.chip.cnn_layers
    left, right = chip[cores["left"]].destinations[0], chip[cores["right"]].destinations[0]
    assert (left.layer, left.feature_shift) == (cores["join"], 0)
    assert (right.layer, right.feature_shift) == (cores["join"], 3)
    assert result.network.layer("join").input_shape == (8, 8, 8)
    stem = chip[cores["stem"]].destinations
    assert [d.layer for d in stem] == [cores["left"], cores["right"]] and all(d.enable for d in stem)


def test_cycle_and_unreachable_are_reported():
    spec = make_spec((1, 4, 4), [
        conv("a", 1, 1, np.ones((1, 1, 1, 1)), to=["b"]),
        conv("b", 1, 1, np.ones((1, 1, 1, 1)), to=["c"]),
        conv("c", 1, 1, np.ones((1, 1, 1, 1)), to=["b"]),
    ])
    with pytest.raises(SpecError) as info:
        compile_spec(spec)
    assert info.value.diagnostics[0].code == "cycle"
    assert "b -> c -> b" in info.value.diagnostics[0].message
    spec = make_spec((1, 4, 4), [
        conv("a", 1, 1, np.ones((1, 1, 1, 1)), to=[]),
        conv("b", 1, 1, np.ones((1, 1, 1, 1)), to=[]),
    ])
    with pytest.raises(SpecError) as info:
        compile_spec(spec)
    assert [d.code for d in info.value.diagnostics] == ["unreachable"]


def test_shape_errors_are_all_reported_at_once():
    spec = make_spec((1, 130, 130), [conv("a", 1, 1, np.ones((1, 1, 1, 1)))])
    with pytest.raises(SpecError) as info:
        compile_spec(spec)
    assert {d.code for d in info.value.diagnostics} == {"input-size"}
    spec = make_spec((1, 66, 66), [conv("a", 1, 1, np.ones((1, 1, 1, 1)), pool=2), conv("b", 1, 1, np.ones((1, 1, 2, 2)))])
    with pytest.raises(SpecError) as info:
        compile_spec(spec)
    codes = [d.code for d in info.value.diagnostics]
    assert codes == ["output-size"]  # 'b' is downstream of the failure and not judged


def test_compiling_twice_is_byte_identical():
    assert compile_spec(lenet()).config.to_json() == compile_spec(lenet()).config.to_json()


def test_config_round_trip_is_exact():
    from dynapspec.config import Config

    text = compile_spec(lenet("dynapcnndevkit")).config.to_json()
    assert Config.from_json(text).to_json() == text


def test_readout_widens_the_exit_layer_for_the_erratum():
    from dataclasses import replace as dc_replace

    from dynapspec.spec.model import Readout

    w = rand(3, 8, 2, 2)
    spec = make_spec((8, 2, 2), [dense("out", 3, w.reshape(3, 32))])
    spec = dc_replace(spec, readout=Readout("out", 7))
    result = compile_spec(spec)
    layer = result.network.layer("out")
    assert layer.output_shape == (9, 1, 1)  # classes 1..3 at features 0, 4, 8
    core = result.config.chip.cnn_layers[result.placement.core("out")]
    assert core.weights.shape[0] == 9
    assert not core.weights[1:4].any() and core.weights[4].any() and core.weights[8].any()
    assert core.destinations[0] == type(core.destinations[0])(layer=12, enable=True, pooling=1, feature_shift=0)
    assert result.config.chip.readout.enable and result.config.chip.readout.threshold == 7
    with pytest.raises(SpecError) as info:
        compile_spec(dc_replace(spec, target="dynapcnndevkit"))
    assert info.value.diagnostics[0].code == "readout-config"


def _dvs(polarity="both", pool=(1, 1), origin=(0, 0), cut=None, diagonal=False, source="host", targets=("c",)):
    from dynapspec.spec.model import XY, DvsInput, Edge

    size = XY(128, 128)
    pooled = (128 // pool[0], 128 // pool[1])
    cut = cut or (pooled[0] - 1, pooled[1] - 1)
    return DvsInput(source, size, polarity, XY(*pool), XY(*origin), XY(*cut), XY(0, 1), diagonal, True,
                    tuple(Edge(t) for t in targets))


def test_dvs_layer_pool_crop_swap_shapes_and_fields():
    # pool x2 then crop x [12, 32) (origin 12, cut 31) and all of y: 20 wide, 64 high; the swap exchanges them
    dvs = _dvs(pool=(2, 2), origin=(12, 0), cut=(31, 63), diagonal=True, polarity="merge")
    spec = make_spec(None, [conv("c", 4, 3, rand(4, 1, 3, 3))], dvs=dvs)
    result = compile_spec(spec)
    assert result.network.input.output_shape == (1, 20, 64)
    assert result.network.layer("c").input_shape == (1, 20, 64)
    d = result.config.chip.dvs_layer
    assert (d.origin.x, d.origin.y, d.cut.x, d.cut.y) == (12, 0, 31, 63)
    assert (d.pooling.x, d.pooling.y) == (2, 2)
    assert (d.merge, d.on_channel, d.off_channel) == (True, True, True)
    assert (d.mirror.x, d.mirror.y, d.mirror_diagonal) == (False, True, True)
    assert d.monitor_enable and not d.pass_sensor_events
    assert d.destinations[0].enable and d.destinations[0].layer == result.placement.core("c")
    assert not d.destinations[1].enable
    header = result.config.header.input
    assert (header.kind, header.shape, header.source) == ("dvs", (2, 128, 128), "host")


@pytest.mark.parametrize("polarity,bits,features", [
    ("both", (False, True, True), 2), ("on", (True, True, False), 1), ("off", (True, False, True), 1),
])
def test_dvs_polarity_choices(polarity, bits, features):
    spec = make_spec(None, [conv("c", 4, 1, rand(4, features, 1, 1))], dvs=_dvs(polarity=polarity, pool=(4, 4)))
    d = compile_spec(spec).config.chip.dvs_layer
    assert (d.merge, d.on_channel, d.off_channel) == bits


def test_dvs_crop_outside_the_pooled_sensor_is_refused():
    spec = make_spec(None, [conv("c", 4, 1, rand(4, 2, 1, 1))], dvs=_dvs(pool=(2, 2), origin=(0, 0), cut=(64, 63)))
    with pytest.raises(SpecError) as info:
        compile_spec(spec)
    assert info.value.diagnostics[0].code == "dvs-config" and "< 64" in info.value.diagnostics[0].message


def test_external_input_records_entry_cores_and_dvs_stays_default():
    result = compile_spec(lenet())
    assert result.config.header.input.kind == "spikes"
    assert result.config.header.input.cores == (0,)
    d = result.config.chip.dvs_layer
    assert not d.pass_sensor_events and not any(s.enable for s in d.destinations)


def test_unused_cores_keep_samna_defaults_and_dynapcnn_has_kill_bits():
    config = compile_spec(lenet("dynapcnndevkit")).config
    used = {r.core for r in config.header.layers}
    for n, core in enumerate(config.chip.cnn_layers):
        if n in used:
            assert core.weights_kill_bit is not None
            assert np.array_equal(core.weights_kill_bit, (core.weights == 0).astype(int))
            assert core.leak_internal_slow_clk_enable is None
        else:
            assert core.weights.size == 0 and not core.monitor_enable
            assert not any(d.enable for d in core.destinations)
    speck = compile_spec(lenet("speck2edevkit")).config
    assert speck.chip.cnn_layers[0].weights_kill_bit is None
    assert speck.chip.cnn_layers[0].leak_internal_slow_clk_enable is False
    assert speck.chip.readout is not None and not speck.chip.readout.enable
    assert config.chip.readout is None


def test_exit_layers_are_monitored_by_default():
    result = compile_spec(lenet())
    assert [r.monitor for r in result.config.header.layers] == [False, False, False, False, True]


def test_pool_remainder_warns():
    spec = make_spec((1, 9, 9), [conv("a", 1, 1, np.ones((1, 1, 1, 1)), pool=2), conv("b", 1, 1, np.ones((1, 1, 1, 1)))])
    warnings = compile_spec(spec).warnings
    assert "pool-remainder" in [w.code for w in warnings]


def test_u03_fan_in_sizes_are_compared_after_pooling():
    # a 8x8 map pooled by 2 meets a 4x4 map: equal after pooling, so the merge is legal
    spec = make_spec((1, 8, 8), [
        conv("a", 2, 1, rand(2, 1, 1, 1), to=[("b", None), ("c", None)]),
        conv("b", 2, 1, rand(2, 2, 1, 1), to=["c"]),
        conv("c", 2, 1, rand(2, 4, 1, 1)),
    ])
    spec = _with_edge_pool(spec, "a", "c", 2)
    spec = _with_edge_pool(spec, "b", "c", 2)
    assert compile_spec(spec).network.layer("c").input_shape == (4, 4, 4)


def _with_edge_pool(spec, source, target, factor):
    from dataclasses import replace as dc_replace

    from dynapspec.spec.model import PoolStep

    layers = []
    for layer in spec.layers:
        if layer.name == source:
            edges = tuple(dc_replace(e, pool=(PoolStep(factor, "sum"),)) if e.target == target else e for e in layer.edges)
            layer = dc_replace(layer, edges=edges)
        layers.append(layer)
    return dc_replace(spec, layers=tuple(layers))


def test_u05_feature_shift_must_keep_features_below_1024():
    spec = make_spec((1, 4, 4), [conv("a", 8, 1, rand(8, 1, 1, 1), to=[("b", 1020)]), conv("b", 2, 1, rand(2, 1028, 1, 1))])
    with pytest.raises(SpecError) as info:
        compile_spec(spec)
    (diag,) = info.value.diagnostics
    assert diag.code == "feature-shift-range" and "[1020, 1028)" in diag.message and "0..1023" in diag.message


def test_u10_thresholds_must_stay_in_the_documented_ranges():
    # a low threshold so close to zero that it rounds to 0 at this layer's scale
    spec = make_spec((1, 2, 2), [conv("a", 1, 1, np.full((1, 1, 1, 1), 1.0), threshold=1.0, low=-1e-4)])
    with pytest.raises(SpecError) as info:
        compile_spec(spec)
    (diag,) = info.value.diagnostics
    assert diag.code == "quant-threshold" and "-32768..-1" in diag.message


def test_weight_above_threshold_warns_only_for_excitatory_weights():
    inhibitory = np.array([-100.0, 5.0]).reshape(2, 1, 1, 1)
    spec = make_spec((1, 2, 2), [conv("a", 2, 1, inhibitory, quantize=False, threshold=10)])
    assert "weight-above-threshold" not in [w.code for w in compile_spec(spec).warnings]
    excitatory = np.array([-1.0, 12.0]).reshape(2, 1, 1, 1)
    spec = make_spec((1, 2, 2), [conv("a", 2, 1, excitatory, quantize=False, threshold=10)])
    (warn,) = [w for w in compile_spec(spec).warnings if w.code == "weight-above-threshold"]
    assert "weights up to 12 >= threshold_high 10" in warn.message


def test_a_bad_dvs_crop_is_one_error_not_a_cascade():
    spec = make_spec(None, [conv("c", 4, 1, rand(4, 2, 1, 1))], dvs=_dvs(pool=(1, 1), origin=(10, 0), cut=(5, 127)))
    with pytest.raises(SpecError) as info:
        compile_spec(spec)
    assert [d.code for d in info.value.diagnostics] == ["dvs-config"]


def test_monitoring_a_pooling_layer_warns_at_compile_time():
    spec = make_spec((1, 8, 8), [conv("a", 1, 1, np.ones((1, 1, 1, 1)), pool=2, monitor=True), conv("b", 1, 1, np.ones((1, 1, 1, 1)))])
    (warn,) = [w for w in compile_spec(spec).warnings if w.code == "monitor-pooled"]
    assert "8x8 coordinates, before pooling" in warn.message


def test_zero_weight_warning_says_what_set_the_scale():
    # one big weight sets the step: the small ones vanish
    w = np.array([1.0] + [0.001] * 7).reshape(8, 1, 1, 1)
    spec = make_spec((1, 2, 2), [conv("a", 8, 1, w, threshold=1.0)])
    (warn,) = [w for w in compile_spec(spec).warnings if w.code == "quant-zero-weights"]
    assert "the largest weight sets the step" in warn.message
    # a huge threshold range sets the step
    w = np.full((8, 1, 1, 1), 0.001)
    w[0] = 0.01
    spec = make_spec((1, 2, 2), [conv("a", 8, 1, w, threshold=100.0, low=-100.0)])
    (warn,) = [w for w in compile_spec(spec).warnings if w.code == "quant-zero-weights"]
    assert "the thresholds set the step" in warn.message


def test_malformed_config_documents_are_one_clear_error():
    import json

    from dynapspec.config import Config

    text = compile_spec(lenet()).config.to_json()
    doc = json.loads(text)
    doc["chip"]["cnn_layers"][0]["threshold_high"] = "high"
    with pytest.raises(SpecError) as info:
        Config.from_json(json.dumps(doc), "net.config.json")
    (diag,) = info.value.diagnostics
    assert diag.code == "config-format" and diag.location.file == "net.config.json"
    assert diag.message == "malformed document: threshold_high: expected an integer"
    doc = json.loads(text)
    doc["header"]["format_version"] = 2
    with pytest.raises(SpecError) as info:
        Config.from_json(json.dumps(doc))
    assert "this dynapspec reads version 1" in info.value.diagnostics[0].message
    with pytest.raises(SpecError) as info:
        Config.from_json("{not json")
    assert info.value.diagnostics[0].message.startswith("not JSON")


def test_a_gap_in_a_concatenation_warns():
    spec = make_spec((1, 4, 4), [
        conv("a", 2, 1, rand(2, 1, 1, 1), to=["b", ("m", 10)]),
        conv("b", 4, 1, rand(4, 2, 1, 1), to=["m"]),
        conv("m", 2, 1, rand(2, 16, 1, 1)),
    ])
    result = compile_spec(spec)
    (warn,) = [w for w in result.warnings if w.code == "feature-gap"]
    assert "m has 16 input features but its sources fill only 6" in warn.message
    assert result.network.layer("m").input_shape == (16, 4, 4)


def test_nothing_monitored_warns():
    spec = make_spec((1, 4, 4), [conv("a", 2, 1, rand(2, 1, 1, 1), monitor=False)])
    assert "nothing-monitored" in [w.code for w in compile_spec(spec).warnings]
    assert "nothing-monitored" not in [w.code for w in compile_spec(lenet()).warnings]
