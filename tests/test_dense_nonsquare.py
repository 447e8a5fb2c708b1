"""A dense layer after a non-square map runs as a square kernel (docs/chip.md §4).

The chip's kernels are k x k. A dense layer reading an H x W map with H != W becomes a
max(H, W)-square kernel with zero rows (or columns) and padding on the short axis. The proof is
numerical: the simulator, running the compiled configuration, must give the spike counts and final
membrane potentials of a plain integrate-and-fire dense layer computed here in numpy from the
dense weight matrix, event by event (no conv, no padding, nothing from dynapspec).
"""
import numpy as np
import pytest
from typer.testing import CliRunner

from dynapspec.cli.main import app
from dynapspec.compiler import compile_spec
from dynapspec.errors import SpecError
from dynapspec.events import spike_events
from dynapspec.sim import Simulator

from specfactory import conv, dense, make_spec

THRESHOLD = 40


def dense_if(weight, events, C, H, W, order, threshold):
    """Integrate-and-fire of a dense layer, one input event at a time (subtractive reset)."""
    v = np.zeros(weight.shape[0], dtype=np.int64)
    spikes = np.zeros(weight.shape[0], dtype=np.int64)
    for c, x, y in zip(events["c"], events["x"], events["y"]):
        column = (int(c) * H + int(y)) * W + int(x) if order == "chw" else (int(y) * W + int(x)) * C + int(c)
        v += weight[:, column]
        fired = v >= threshold
        spikes += fired
        v[fired] -= threshold
    return spikes, v


def random_input(C, H, W, n=3000, seed=1):
    rng = np.random.default_rng(seed)
    return spike_events(np.arange(n), rng.integers(0, C, n), rng.integers(0, W, n), rng.integers(0, H, n))


@pytest.mark.parametrize("C, H, W, order", [
    (2, 5, 9, "chw"),    # wide map, even gap: padding 2 on y, stride 1
    (3, 7, 4, "chw"),    # tall map, odd gap: padding 2 on x, stride 2 on x
    (2, 3, 8, "hwc"),    # odd gap on y, Keras column order
    (1, 1, 15, "chw"),   # a single row: padding 7, the limit
])
def test_dense_after_non_square_map_matches_a_numpy_dense_layer(C, H, W, order):
    F = 6
    rng = np.random.default_rng(C * 100 + H * 10 + W)
    weight = rng.integers(-20, 21, size=(F, C * H * W))
    spec = make_spec((C, H, W), [dense("fc", F, weight, threshold=THRESHOLD, quantize=False, order=order, monitor=True)])
    config = compile_spec(spec).config
    (record,) = config.header.layers
    assert record.input_shape == (C, H, W) and record.output_shape == (F, 1, 1)

    events = random_input(C, H, W)
    result = Simulator(config).run(events, monitor="all", record_states=True)
    expected_spikes, expected_v = dense_if(weight, events, C, H, W, order, THRESHOLD)

    counts = np.bincount(result.layers["fc"]["c"].astype(np.int64), minlength=F)
    assert counts.tolist() == expected_spikes.tolist()
    assert result.states["fc"].reshape(F).tolist() == expected_v.tolist()
    assert expected_spikes.sum() > 100  # the comparison exercised firing, not just silence


def test_dense_after_a_conv_with_a_non_square_output_compiles_with_padding():
    spec = make_spec((1, 12, 20), [
        conv("conv", 4, 3, np.ones((4, 1, 3, 3)), pool=2),     # 10x18 -> pooled 5x9
        dense("fc", 10, np.ones((10, 4 * 5 * 9))),
    ])
    result = compile_spec(spec)
    fc = result.network.layers[1]
    assert (fc.kernel, fc.padding.y, fc.padding.x, fc.stride.y, fc.stride.x) == (9, 2, 0, 1, 1)
    # rows 0-1 and 7-8 of the 9x9 kernel are zero; rows 2-6 hold the 5 map rows
    assert not fc.weight[:, :, [0, 1, 7, 8], :].any() and fc.weight[:, :, 2:7, :].all()
    # 4 * 2^(clog2(81) + clog2(10)) = 4 * 2^(7 + 4): the square kernel's area, not 45's
    assert fc.memory.kernel == 8192


def test_padding_beyond_the_chip_limit_is_refused_with_the_numbers():
    spec = make_spec((1, 1, 16), [dense("fc", 4, np.ones((4, 16)))])
    with pytest.raises(SpecError) as exc:
        compile_spec(spec)
    (diag,) = exc.value.diagnostics
    assert diag.code == "dense-not-square"
    assert "1x1x16" in diag.message and "padding 8 on y" in diag.message and "at most 7" in diag.message


def test_square_kernel_memory_beyond_every_core_is_refused_with_the_numbers():
    # 64 x 5 x 9: a 5x9 kernel would take 64*2^(6+4) = 65536 (fits cores 5, 6); the 9x9 one takes 131072
    spec = make_spec((64, 5, 9), [dense("fc", 16, np.ones((16, 64 * 45)))])
    with pytest.raises(SpecError) as exc:
        compile_spec(spec)
    (diag,) = exc.value.diagnostics
    assert diag.code == "dense-not-square"
    assert "131072" in diag.message and "65536" in diag.message and "area 81 rounded up to 128" in diag.message


SPEC = """\
dynapspec: 1
name: wide
target: speck2fdevkit
weights: net.h5
input:
  shape: [1, 12, 20]
layers:
  - name: conv1
    conv: {channels: 4, kernel: 3}
    pool: 2
  - name: fc
    dense: {features: 10}
"""


def test_cli_validates_a_dense_layer_after_a_5x9_map(tmp_path, monkeypatch):
    import h5py

    monkeypatch.chdir(tmp_path)
    (tmp_path / "net.yaml").write_text(SPEC)
    with h5py.File("net.h5", "w") as f:
        f["conv1/weight"] = np.full((4, 1, 3, 3), 0.1)
        f["fc/weight"] = np.full((10, 180), 0.1)
    result = CliRunner().invoke(app, ["validate", "net.yaml"])
    assert result.exit_code == 0, result.output
    assert "net.yaml: ok" in result.output
