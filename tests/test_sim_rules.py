"""Hand-computed expectations for each numerics rule of docs/chip.md §9 (and the Unn it relies on)."""
import numpy as np
import pytest

import simnet
from simnet import each_kernel  # noqa: F401 - a fixture: every test here runs on both kernels
from dynapspec.config import Mirror
from dynapspec.events import dvs_events, spike_events
from dynapspec.sim import Simulator


pytestmark = pytest.mark.usefixtures("each_kernel")

def one(c=0, x=0, y=0, t=0):
    return spike_events([t], [c], [x], [y])


def w1x1(*values):
    """A 1x1 kernel, one input channel, one weight per output feature."""
    return np.array(values, dtype=np.int64).reshape(len(values), 1, 1, 1)


def test_one_event_through_3x3_conv_with_padding_non_square():
    # weights [f][c][x][y]: w[i][j] = 10*i + j + 1, i along x
    w = np.array([[[[10 * i + j + 1 for j in range(3)] for i in range(3)]]])
    cfg = simnet.config({0: simnet.core(w, input_xy=(5, 3), padding=(1, 1), threshold_high=1000)})
    sim = Simulator(cfg)
    sim.run(one(x=4, y=1))
    # ox in {3, 4}: i = 4 + 1 - ox = 2, 1;  oy in {0, 1, 2}: j = 1 + 1 - oy = 2, 1, 0
    expected = np.zeros((1, 5, 3), dtype=np.int16)  # [f][x][y], output 5 x 3
    expected[0, 3] = [w[0, 0, 2, 2], w[0, 0, 2, 1], w[0, 0, 2, 0]]
    expected[0, 4] = [w[0, 0, 1, 2], w[0, 0, 1, 1], w[0, 0, 1, 0]]
    np.testing.assert_array_equal(sim.states()["L0"], expected)
    assert expected[0, 3, 0] == 23 and expected[0, 4, 2] == 11


def test_stride_skips_positions_that_do_not_cover_the_event():
    w = np.ones((1, 1, 3, 3), dtype=np.int64)
    cfg = simnet.config({0: simnet.core(w, input_xy=(7, 7), stride=(2, 2), threshold_high=1000)})
    sim = Simulator(cfg)
    sim.run(one(x=4, y=2))  # ox*2 <= 4 < ox*2 + 3 -> ox in {1, 2};  oy*2 <= 2 < oy*2 + 3 -> oy in {0, 1}
    expected = np.zeros((1, 3, 3), dtype=np.int16)
    expected[0, 1:3, 0:2] = 1
    np.testing.assert_array_equal(sim.states()["L0"], expected)


def test_large_weight_crosses_threshold_twice_but_fires_once_and_keeps_remainder():
    cfg = simnet.config({0: simnet.core(w1x1(10), input_xy=(1, 1), threshold_high=4)})
    sim = Simulator(cfg)
    result = sim.run(spike_events([0, 1], [0, 0], [0, 0], [0, 0]))
    assert result.spike_counts["L0"] == 2  # 0+10 -> spike, 6 left (>= 4, silent); 6+10 -> spike, 12
    assert sim.states()["L0"][0, 0, 0] == 12


def test_reset_to_zero():
    cfg = simnet.config({0: simnet.core(w1x1(10), input_xy=(1, 1), threshold_high=4, return_to_zero=True)})
    sim = Simulator(cfg)
    assert sim.run(one()).spike_counts["L0"] == 1
    assert sim.states()["L0"][0, 0, 0] == 0


def test_low_threshold_floor_after_every_update_u20():
    cfg = simnet.config({0: simnet.core(w1x1(-10, 1), input_xy=(1, 1), threshold_high=100, threshold_low=-15,
                                        initial=[[[0]], [[-100]]])})
    sim = Simulator(cfg)
    sim.run(one())
    assert sim.states()["L0"][:, 0, 0].tolist() == [-10, -15]  # -100 + 1 is floored by a positive update too
    sim.run(one())
    assert sim.states()["L0"][:, 0, 0].tolist() == [-15, -14]  # floored -20; -15 + 1


def test_saturation_u19():
    # 32760 + 100 saturates to 32767 >= 32767: one spike, then 32767 - 32767 = 0 (93 without saturation)
    cfg = simnet.config({0: simnet.core(w1x1(100), input_xy=(1, 1), threshold_high=32767, initial=[[[32760]]])})
    sim = Simulator(cfg)
    assert sim.run(one()).spike_counts["L0"] == 1
    assert sim.states()["L0"][0, 0, 0] == 0


def test_zero_weight_is_an_update_u21():
    cfg = simnet.config({0: simnet.core(w1x1(0), input_xy=(1, 1), threshold_high=4, initial=[[[5]]])})
    sim = Simulator(cfg)
    assert sim.run(one()).spike_counts["L0"] == 1
    assert sim.states()["L0"][0, 0, 0] == 1


def test_killed_entries_are_skipped_u21():
    kill_w = np.array([1, 0]).reshape(2, 1, 1, 1)
    kill_n = np.array([0, 0]).reshape(2, 1, 1)
    cfg = simnet.config({0: simnet.core(w1x1(0, 0), input_xy=(1, 1), threshold_high=4, initial=[[[5]], [[5]]],
                                        weights_kill_bit=kill_w, neurons_value_kill_bit=kill_n)})
    sim = Simulator(cfg)
    result = sim.run(one(), monitor="all")
    assert [int(f) for f in result.layers["L0"]["c"]] == [1]  # feature 0's only weight is killed
    assert sim.states()["L0"][:, 0, 0].tolist() == [5, 1]
    cfg = simnet.config({0: simnet.core(w1x1(3), input_xy=(1, 1), threshold_high=4, initial=[[[5]]],
                                        neurons_value_kill_bit=np.ones((1, 1, 1)))})
    sim = Simulator(cfg)
    assert sim.run(one()).spike_counts["L0"] == 0
    assert sim.states()["L0"][0, 0, 0] == 5


def test_pooling_2_and_4_on_two_destinations_monitor_pre_pooling_u16():
    cores = {
        0: simnet.core(w1x1(1), input_xy=(8, 8), to=[(1, 2, 0), (2, 4, 0)]),
        1: simnet.core(w1x1(1), input_xy=(4, 4)),
        2: simnet.core(w1x1(1), input_xy=(2, 2)),
    }
    result = Simulator(simnet.config(cores)).run(one(x=5, y=3, t=7))
    assert simnet.rows(result) == [(7, 0, 0, 5, 3), (7, 1, 0, 2, 1), (7, 2, 0, 1, 0)]
    assert result.layers["L1"].tolist() == [(7, 0, 2, 1)]


def test_pooled_coordinate_outside_destination_is_dropped_u04():
    cores = {0: simnet.core(w1x1(1), input_xy=(5, 5), to=[(1, 2, 0)]), 1: simnet.core(w1x1(1), input_xy=(2, 2))}
    result = Simulator(simnet.config(cores)).run(spike_events([0, 1], [0, 0], [4, 3], [0, 0]))
    assert result.spike_counts == {"L0": 2, "L1": 1}  # x=4 -> 2 is outside a 2-wide input; x=3 -> 1 is inside
    assert result.layers["L1"]["x"].tolist() == [1]


def test_feature_shift_into_a_merge_monitor_unshifted_u16():
    cores = {
        0: simnet.core(w1x1(1, 0), input_xy=(1, 1), to=[(2, 1, 0)]),
        1: simnet.core(w1x1(0, 0, 1), input_xy=(1, 1), to=[(2, 1, 2)]),
        2: simnet.core(np.eye(5, dtype=np.int64).reshape(5, 5, 1, 1), input_xy=(1, 1)),
    }
    cfg = simnet.config(cores, input_cores=(0, 1))
    result = Simulator(cfg).run(one())
    assert simnet.rows(result) == [(0, 0, 0, 0, 0), (0, 2, 0, 0, 0), (0, 1, 2, 0, 0), (0, 2, 4, 0, 0)]


def test_depth_first_order_slot_0_before_slot_1_u23():
    cores = {
        0: simnet.core(w1x1(1, 1), input_xy=(1, 1), to=[(1, 1, 0), (2, 1, 0)]),
        1: simnet.core(np.eye(2, dtype=np.int64).reshape(2, 2, 1, 1), input_xy=(1, 1), to=[(2, 1, 2)]),
        2: simnet.core(np.eye(4, dtype=np.int64).reshape(4, 4, 1, 1), input_xy=(1, 1)),
    }
    result = Simulator(simnet.config(cores)).run(one())
    assert [(r[1], r[2]) for r in simnet.rows(result)] == [
        (0, 0), (1, 0), (2, 2), (2, 0),  # core 0's feature 0, routed depth-first: core 1 first, then core 2
        (0, 1), (1, 1), (2, 3), (2, 1),
    ]


def test_within_a_core_oy_then_ox_then_f_u23():
    w = np.ones((2, 1, 3, 3), dtype=np.int64)
    result = Simulator(simnet.config({0: simnet.core(w, input_xy=(5, 5))})).run(one(x=2, y=2))
    got = [(r[4], r[3], r[2]) for r in simnet.rows(result)]  # (oy, ox, f)
    assert got == sorted(got) and len(got) == 18


def test_input_order_is_file_order_for_equal_timestamps():
    w = np.array([-5, 5]).reshape(1, 2, 1, 1)
    cfg = simnet.config({0: simnet.core(w, input_xy=(1, 1), threshold_high=4, threshold_low=-1)})
    minus_first = Simulator(cfg).run(spike_events([3, 3], [0, 1], [0, 0], [0, 0]))
    plus_first = Simulator(cfg).run(spike_events([3, 3], [1, 0], [0, 0], [0, 0]))
    assert minus_first.spike_counts["L0"] == 1  # -5 -> floor -1, +5 -> 4 fires
    assert plus_first.spike_counts["L0"] == 1  # +5 fires -> 1, -5 -> -4 -> floor -1
    sims = [Simulator(cfg) for _ in range(2)]
    sims[0].run(spike_events([3, 3], [0, 1], [0, 0], [0, 0]))
    sims[1].run(spike_events([3, 3], [1, 0], [0, 0], [0, 0]))
    assert sims[0].states()["L0"][0, 0, 0] == 0 and sims[1].states()["L0"][0, 0, 0] == -1


@pytest.mark.parametrize("merge", [True, False])
def test_dvs_pool_crop_mirror_merge_u06_u07_u08(merge):
    dvs = simnet.dvs_layer(to=(0,), pooling=simnet.Vec2(2, 2), origin=simnet.Vec2(1, 2), cut=simnet.Vec2(4, 5),
                           merge=merge, mirror=Mirror(x=True), monitor_enable=True)
    channels = 1 if merge else 2
    core = simnet.core(np.eye(channels, dtype=np.int64).reshape(channels, channels, 1, 1), input_xy=(4, 4))
    cfg = simnet.config({0: core}, dvs=dvs, input_shape=(2, 16, 16))
    events = dvs_events(x=[7, 1, 9], y=[9, 9, 4], t=[0, 1, 2], p=[0, 1, 1])
    result = Simulator(cfg).run(events)
    # (7, 9) -> pooled (3, 4) -> ROI (2, 2) -> mirror x in width 4 -> (1, 2)
    # (1, 9) -> pooled (0, 4): left of origin.x = 1, dropped
    # (9, 4) -> pooled (4, 2) -> ROI (3, 0) -> mirror -> (0, 0)
    feature = [0, 0] if merge else [0, 1]  # merged events are feature 0 (U07), else feature = p (U08)
    assert result.layers["dvs"].tolist() == [(0, feature[0], 1, 2), (2, feature[1], 0, 0)]
    assert result.layers["L0"].tolist() == result.layers["dvs"].tolist()
    assert result.spike_counts["dvs"] == 2


def test_dvs_mirror_happens_before_diagonal_swap_u06():
    dvs = simnet.dvs_layer(to=(0,), cut=simnet.Vec2(3, 1), mirror=Mirror(x=True), mirror_diagonal=True)
    core = simnet.core(np.eye(2, dtype=np.int64).reshape(2, 2, 1, 1), input_xy=(2, 4))  # W=2, H=4 after the swap
    cfg = simnet.config({0: core}, dvs=dvs, input_shape=(2, 8, 8))
    result = Simulator(cfg).run(dvs_events(x=[0], y=[1], t=[0], p=[1]))
    assert result.layers["L0"].tolist() == [(0, 1, 1, 3)]  # mirror x: (3, 1); swap: (1, 3)


def test_dvs_polarity_selection_with_merge_on_is_p1_u08():
    dvs = simnet.dvs_layer(to=(0,), cut=simnet.Vec2(1, 1), merge=True, on_channel=False)
    cfg = simnet.config({0: simnet.core(w1x1(1), input_xy=(2, 2))}, dvs=dvs, input_shape=(2, 2, 2))
    result = Simulator(cfg).run(dvs_events(x=[0, 1], y=[0, 1], t=[0, 1], p=[1, 0]))
    assert result.layers["L0"].tolist() == [(1, 0, 1, 1)]  # only the OFF event (p = 0) passes
