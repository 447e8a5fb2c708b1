"""Pictures: the chip map, activity plots and the report, checked by what they show.

Expected figures come from the specs and hand arithmetic (memory formula of docs/compiler.md,
placements from docs), or from the result files themselves, never from the drawing code.
"""
from __future__ import annotations

import base64
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import h5py
import numpy as np
import pytest
from typer.testing import CliRunner

import dynapspec
import dynapspec.plot as plot
from dynapspec.cli.main import app
from dynapspec.errors import DynapspecError
from dynapspec.events import EventFile, read_event_file, result_file, spike_events, write_event_file
from dynapspec.plot.model import from_config, from_spec
from dynapspec.plot.spikes import Bins, winners
from dynapspec.plot.style import render
from dynapspec.sim import Simulator

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ("lenet", "dvs_gesture", "branching")
CAPACITY = {  # dynapspec/chips/_common.yaml: core -> (kernel, neuron)
    0: (16384, 65536), 1: (16384, 65536), 2: (16384, 65536), 3: (32768, 32768), 4: (32768, 32768),
    5: (65536, 16384), 6: (65536, 16384), 7: (16384, 16384), 8: (16384, 16384),
}
runner = CliRunner()


def invoke(*args):
    result = runner.invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.output
    return result


def svg_texts(data: bytes):
    """Every line of text in an SVG (matplotlib writes one <text> per line with svg.fonttype none)."""
    root = ET.fromstring(data)
    texts = []
    for element in root.iter("{http://www.w3.org/2000/svg}text"):
        texts += "".join(element.itertext()).split("\n")
    return texts


def clog2(n: int) -> int:
    return int(np.ceil(np.log2(n))) if n > 1 else 0


def memory(input_shape, output_shape, kernel):
    """docs/compiler.md: kernel C*2^(clog2(k^2)+clog2(F)), neuron F*2^(clog2(OH)+clog2(OW))."""
    C, (F, OH, OW) = input_shape[0], output_shape
    return C * 2 ** (clog2(kernel * kernel) + clog2(F)), F * 2 ** (clog2(OH) + clog2(OW))


def use(used, capacity):
    return f"{used}/{capacity} ({100 * used / capacity:.0f}%)"


# ---------------------------------------------------------------- networks


TOO_BIG = """\
dynapspec: 1
name: too_big
target: speck2fdevkit
input:
  shape: [2, 64, 64]
layers:
  - name: stem
    conv: {channels: 16, kernel: 3, padding: 1}
    pool: 2
  - name: wide
    conv: {channels: 32, kernel: 3, padding: 1}
  - name: huge        # 32x32x32 -> 64x32x32: kernel 32 Ki (cores 3-6), neuron 64 Ki (cores 0-2)
    conv: {channels: 64, kernel: 3, padding: 1}
    pool: 4
  - name: head
    dense: {features: 10}
"""
TOO_BIG_WEIGHTS = {"stem": (16, 2, 3, 3), "wide": (32, 16, 3, 3), "huge": (64, 32, 3, 3), "head": (10, 64 * 8 * 8)}


def write_net(directory: Path, text: str, weights) -> Path:
    spec = directory / "net.yaml"
    spec.write_text(text, encoding="utf-8")
    rng = np.random.default_rng(0)
    with h5py.File(directory / "net.h5", "w") as f:
        for name, shape in weights.items():
            f[f"{name}/weight"] = rng.normal(0, 0.1, shape).astype(np.float32)
    return spec


@pytest.fixture
def too_big(tmp_path):
    return write_net(tmp_path, TOO_BIG, TOO_BIG_WEIGHTS)


@pytest.fixture
def with_readout(tmp_path):
    text = (ROOT / "examples/lenet/net.yaml").read_text(encoding="utf-8") + "readout: {layer: out, threshold: 5}\n"
    (tmp_path / "net.yaml").write_text(text, encoding="utf-8")
    shutil.copy(ROOT / "examples/lenet/net.h5", tmp_path / "net.h5")
    return tmp_path / "net.yaml"


# ---------------------------------------------------------------- chip map


def test_lenet_chip_map_shows_each_core_its_layer_shapes_and_memory(tmp_path):
    out = tmp_path / "chip.svg"
    result = invoke("show", ROOT / "examples/lenet/net.yaml", "-o", out)
    assert result.exit_code == 0, result.output
    texts = svg_texts(out.read_bytes())
    # docs/compiler.md: lenet is placed {conv1: 0, conv2: 3, conv3: 5, fc1: 6, out: 1}; memory by hand
    for core in range(9):
        assert f"core {core}" in texts
    for line in ("conv1", "conv2", "conv3", "fc1", "out", "1x28x28 → 20x24x24", "20x12x12 → 32x8x8", "32x4x4 → 128x2x2",
                 "128x1x1 → 500x1x1", "500x1x1 → 10x1x1", "kernel 1024/16384 (6%)", "neuron 20480/65536 (31%)",
                 "kernel 20480/32768 (62%)", "neuron 2048/32768 (6%)", "kernel 65536/65536 (100%)", "neuron 512/16384 (3%)",
                 "neuron 500/16384 (3%)", "kernel 8000/16384 (49%)", "neuron 10/65536 (0%)", "host spikes 1x28x28"):
        assert line in texts, line
    assert texts.count("pool 2") == 3  # conv1 -> conv2 -> conv3 -> fc1, average pooling 2 on each edge
    assert texts.count("free") == 4  # cores 2, 4, 7, 8
    assert "monitored" in texts  # the exit layer out


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_example_chip_map_holds_every_layer_and_its_memory(example):
    config = dynapspec.compile(ROOT / "examples" / example / "net.yaml")
    texts = svg_texts(render(plot.chip_map(config), "svg"))
    placed = {r.core for r in config.header.layers}
    for record in config.header.layers:
        assert record.name in texts
        C, H, W = record.input_shape
        kernel = config.chip.cnn_layers[record.core].dimensions.kernel_size
        k, n = memory(record.input_shape, record.output_shape, kernel)
        cap_k, cap_n = CAPACITY[record.core]
        assert f"kernel {use(k, cap_k)}" in texts and f"neuron {use(n, cap_n)}" in texts
    assert sum(t.startswith("core ") for t in texts) == 9
    assert texts.count("free") == 9 - len(placed)


def test_edge_labels_of_a_branching_network():
    texts = svg_texts(render(plot.chip_map(ROOT / "examples/branching/net.yaml"), "svg"))
    # net.yaml: stem -> left, right (pool 2 each); cat -> deep, sum (pool 2 each); right -> cat at feature 8
    assert texts.count("pool 2") == 4
    assert texts.count("shift 8") == 1
    assert not any(t.startswith("shift 0") for t in texts)


def test_one_arrow_per_edge():
    from matplotlib.patches import FancyArrowPatch

    fig = plot.chip_map(ROOT / "examples/branching/net.yaml")
    arrows = [p for p in fig.axes[0].patches if isinstance(p, FancyArrowPatch)]
    # input -> stem; stem -> left, right; left -> cat; right -> cat; cat -> deep, sum; deep -> sum; sum -> out
    assert len(arrows) == 9


def test_dvs_layer_settings_are_drawn():
    texts = svg_texts(render(plot.chip_map(ROOT / "examples/dvs_gesture/net.yaml"), "svg"))
    # examples/dvs_gesture/net.yaml: sensor, both polarities, pool 2, crop (8, 8)-(55, 55), mirror y
    for line in ("DVS layer", "on-die sensor 128x128", "polarity both → 2 features", "pool 2x2 → 64x64",
                 "crop (8, 8)–(55, 55)", "mirror y", "out 2x48x48", "2x48x48 → 16x24x24"):
        assert line in texts, line
    assert texts.count("pool 2") == 3


def test_readout_is_drawn_with_its_classes(with_readout):
    texts = svg_texts(render(plot.chip_map(with_readout), "svg"))
    assert "classes 1..10 from out" in texts and "threshold 5" in texts
    config = dynapspec.compile(with_readout)
    assert from_spec(with_readout).readout == from_config(config).readout
    lenet = svg_texts(render(plot.chip_map(ROOT / "examples/lenet/net.yaml"), "svg"))
    assert "off" in lenet and not any(t.startswith("classes") for t in lenet)
    dynapcnn = svg_texts(render(plot.chip_map(ROOT / "examples/lenet/net.yaml", target="dynapcnndevkit"), "svg"))
    assert "readout" not in dynapcnn  # DYNAP-CNN has none


@pytest.mark.parametrize("example", EXAMPLES)
def test_the_view_of_a_spec_equals_the_view_of_its_compiled_config(example):
    spec = ROOT / "examples" / example / "net.yaml"
    a, b = from_spec(spec), from_config(dynapspec.compile(spec))
    assert (a.layers, a.links, a.dvs, a.readout, a.input_shape, a.input_kind) == (
        b.layers, b.links, b.dvs, b.readout, b.input_shape, b.input_kind)


def test_a_network_that_does_not_fit_is_drawn_with_the_reason(too_big):
    out = too_big.with_name("chip.svg")
    result = invoke("show", too_big, "-o", out)
    assert result.exit_code == 1  # as compile: the network is invalid, but the picture is written
    assert "error[layer-fits-no-core]" in result.output and out.is_file()
    texts = svg_texts(out.read_bytes())
    words = " ".join(texts)
    assert texts.count("no core") == 1
    assert "does not fit: 1 of 4 layers has no core" in words
    assert "huge (32x32x32 -> 64x32x32, kernel 3) fits no core" in words and "no core has both" in words
    # huge needs kernel 32*2^(4+6) = 32768 and neuron 64*2^(5+5) = 65536, against the largest cores
    assert "kernel vs largest core 32768/65536 (50%)" in texts and "neuron vs largest core 65536/65536 (100%)" in texts
    for name in ("stem", "wide", "head"):
        assert name in texts
    assert "pool 2" in texts and "pool 4" in texts  # stem -> wide, and huge -> head from the marked box
    view = from_spec(too_big)
    cores = {layer.name: layer.core for layer in view.layers}
    assert cores["huge"] is None and None not in (cores["stem"], cores["wide"], cores["head"])
    assert [d.code for d in view.problems] == ["layer-fits-no-core"]


def test_layers_contending_for_cores_are_set_aside_until_the_rest_fit(tmp_path):
    # four layers of kernel memory 64*2^(clog2(9)+clog2(64)) = 65536 entries, which only cores 5 and 6 hold
    layers = "".join(f"  - name: l{i}\n    conv: {{channels: 64, kernel: 3, padding: 1}}\n" for i in range(4))
    text = "dynapspec: 1\nname: crowd\ntarget: speck2fdevkit\ninput:\n  shape: [64, 4, 4]\nlayers:\n" + layers
    spec = write_net(tmp_path, text, {f"l{i}": (64, 64, 3, 3) for i in range(4)})
    view = from_spec(spec)
    placed = sorted(layer.core for layer in view.layers if layer.core is not None)
    assert placed == [5, 6]
    assert {d.code for d in view.problems} == {"cores-contended"}
    assert all(layer.problem for layer in view.unplaced) and len(view.unplaced) == 2
    texts = svg_texts(render(plot.chip_map(view), "svg"))
    assert texts.count("no core") == 2


@pytest.mark.parametrize("fmt", ["svg", "png", "pdf"])
def test_two_renders_are_byte_identical_and_carry_no_date(fmt):
    first = render(plot.chip_map(ROOT / "examples/branching/net.yaml"), fmt)
    second = render(plot.chip_map(ROOT / "examples/branching/net.yaml"), fmt)
    assert first == second
    assert b"CreationDate" not in first and b"<dc:date>" not in first


def test_renders_in_separate_processes_are_byte_identical(tmp_path):
    script = (
        "import sys, dynapspec.plot as p\n"
        "fig = p.chip_map('examples/dvs_gesture/net.yaml')\n"
        "for s in ('svg', 'png', 'pdf'): p.save(fig, f'{sys.argv[1]}/chip.{s}')\n"
    )
    for run in ("a", "b"):
        (tmp_path / run).mkdir()
        subprocess.run([sys.executable, "-c", script, str(tmp_path / run)], cwd=ROOT, check=True)
    for suffix in ("svg", "png", "pdf"):
        assert (tmp_path / "a" / f"chip.{suffix}").read_bytes() == (tmp_path / "b" / f"chip.{suffix}").read_bytes()


def test_png_and_pdf_are_what_their_suffix_says(tmp_path):
    for name, magic in (("chip.png", b"\x89PNG"), ("chip.pdf", b"%PDF")):
        assert invoke("show", ROOT / "examples/lenet/net.yaml", "-o", tmp_path / name).exit_code == 0
        assert (tmp_path / name).read_bytes().startswith(magic)


# ---------------------------------------------------------------- activity


@pytest.fixture(scope="module")
def lenet_run(tmp_path_factory):
    """lenet on its example input, every layer monitored, as a result file."""
    config = dynapspec.compile(ROOT / "examples/lenet/net.yaml")
    events = read_event_file(ROOT / "examples/lenet/input.h5").input
    result = Simulator(config).run(events, monitor="all")
    path = tmp_path_factory.mktemp("run") / "out.h5"
    write_event_file(path, result_file(result, "lenet", events))
    return path


def panel(fig, kind: str, name: str):
    (ax,) = [ax for ax in fig.axes if ax.get_label() == f"{kind}:{name}"]
    return ax


def stairs_total(ax, artist=0):
    """Events in a rate panel: its values (per ms) times its bin widths (ms)."""
    data = ax.patches[artist].get_data()
    return float(np.sum(data.values * np.diff(data.edges)))


def test_raster_points_are_the_result_files_spikes(lenet_run):
    content = read_event_file(lenet_run)
    fig = plot.activity(lenet_run)
    assert set(content.layers) == {"conv1", "conv2", "conv3", "fc1", "out"}
    for name, spikes in content.layers.items():
        (line,) = panel(fig, "raster", name).get_lines()
        np.testing.assert_array_equal(np.rint(np.asarray(line.get_xdata()) * 1000).astype(np.int64), spikes["t"].astype(np.int64))
        np.testing.assert_array_equal(np.asarray(line.get_ydata()), spikes["c"])
        assert stairs_total(panel(fig, "rate", name)) == pytest.approx(len(spikes))
    assert stairs_total(panel(fig, "input", "input")) == pytest.approx(len(content.input))
    assert "lenet on sim" in fig._suptitle.get_text()


def test_output_layers_get_class_counts_and_the_winner(lenet_run):
    content = read_event_file(lenet_run)
    totals = np.bincount(content.layers["out"]["c"].astype(np.int64), minlength=10)
    best = np.flatnonzero(totals == totals.max())
    fig = plot.activity(lenet_run, network=ROOT / "examples/lenet/net.yaml")
    title = panel(fig, "classes", "out").get_title(loc="left")
    if len(best) == 1:
        assert f"class {best[0]} wins ({totals.max()} of {totals.sum()} spikes)" in title
    else:
        assert f"tie between classes {', '.join(map(str, best))}" in title
    # each class line ends at that class's total
    for artist in panel(fig, "classes", "out").patches:
        k = int(artist.get_label().split()[-1])
        assert artist.get_data().values[-1] == totals[k]
    # with the network, only its exit layer is an output and panels follow the network's order
    assert not [ax for ax in fig.axes if ax.get_label() == "classes:fc1"]
    rasters = [ax.get_label().split(":")[1] for ax in fig.axes if ax.get_label().startswith("raster:")]
    assert rasters == ["conv1", "conv2", "conv3", "fc1", "out"]


def test_without_the_network_1x1_layers_count_as_outputs(lenet_run):
    fig = plot.activity(lenet_run)
    assert {ax.get_label() for ax in fig.axes if ax.get_label().startswith("classes:")} == {"classes:fc1", "classes:out"}


def test_many_spikes_are_binned_and_the_panel_says_so(lenet_run):
    content = read_event_file(lenet_run)
    fig = plot.activity(lenet_run, max_points=1000)
    for name, spikes in content.layers.items():
        ax = panel(fig, "raster", name)
        if len(spikes) > 1000:
            (image,) = ax.get_images()
            assert int(np.asarray(image.get_array()).sum()) == len(spikes)
            assert not ax.get_lines() and "binned" in ax.get_title(loc="left")
        else:
            assert len(ax.get_lines()[0].get_xdata()) == len(spikes) and "binned" not in ax.get_title(loc="left")


def test_a_million_spikes_are_counted_in_chunks_not_drawn():
    rng = np.random.default_rng(1)
    n = 1_200_000  # more than one counting chunk
    t = np.sort(rng.integers(0, 5_000_000, n))
    spikes = spike_events(t, rng.integers(0, 64, n), np.zeros(n, int), np.zeros(n, int))
    fig = plot.activity(EventFile(network="synthetic", layers={"big": spikes}))
    (image,) = panel(fig, "raster", "big").get_images()
    counts = np.asarray(image.get_array())
    assert int(counts.sum()) == n
    np.testing.assert_array_equal(counts.sum(axis=1), np.bincount(spikes["c"], minlength=64))
    assert "1,200,000 spikes (binned" in panel(fig, "raster", "big").get_title(loc="left")


def test_winners_name_every_tied_class():
    assert winners(np.array([1, 3, 0, 3])) == ([1, 3], 3)
    assert winners(np.array([0, 0])) == ([], 0)
    assert winners(np.array([2, 5, 1])) == ([1], 5)


@pytest.mark.parametrize("first,last", [(0, 99_000), (1_000_000_007, 1_000_250_000), (5, 5), (0, 10**12)])
def test_time_bins_are_round_and_cover_the_run(first, last):
    bins = Bins.covering(first, last)
    assert bins.start <= first and bins.start + bins.count * bins.width > last
    assert bins.count <= 100
    assert re.fullmatch(r"[125]0*", str(bins.width))


def test_plot_command_writes_the_picture(lenet_run, tmp_path):
    out = tmp_path / "activity.svg"
    result = invoke("plot", lenet_run, "-o", out, "--network", ROOT / "examples/lenet/net.yaml")
    assert result.exit_code == 0, result.output
    texts = svg_texts(out.read_bytes())
    assert f"conv1: {len(read_event_file(lenet_run).layers['conv1']):,} spikes" in texts
    assert any(t.startswith("out: ") and ("wins" in t or "tie" in t) for t in texts)


def test_plot_of_a_file_with_nothing_to_plot(tmp_path):
    path = tmp_path / "empty.h5"
    write_event_file(path, EventFile(network="x"))
    result = invoke("plot", path, "-o", tmp_path / "a.png")
    assert result.exit_code == 1 and "nothing to plot" in result.output
    assert not (tmp_path / "a.png").exists()


# ---------------------------------------------------------------- report


def test_report_is_one_self_contained_file(tmp_path):
    out = tmp_path / "report.html"
    result = invoke("report", ROOT / "examples/lenet/net.yaml", "--input", ROOT / "examples/lenet/input.h5", "-o", out)
    assert result.exit_code == 0, result.output
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]
    text = out.read_text(encoding="utf-8")
    assert "http" not in text  # no URL at all: no fetched resource, no namespace URI
    assert not re.search(r"<(script|link|iframe)\b", text)
    assert re.findall(r'src="([^"]*)"', text) and all(s.startswith("data:image/png;base64,") for s in re.findall(r'src="([^"]*)"', text))
    png = base64.b64decode(re.search(r'src="data:image/png;base64,([^"]+)"', text).group(1))
    assert png.startswith(b"\x89PNG")
    svg = re.search(r"<svg.*?</svg>", text, re.S).group(0)
    assert svg.count("<text") > 40 and "conv1" in svg
    for name in ("conv1", "conv2", "conv3", "fc1", "out"):
        assert f"<td>{name}</td>" in text
    assert "<td>1024/16384 (6%)</td>" in text
    # the run's figures are the simulator's counts for this input
    config = dynapspec.compile(ROOT / "examples/lenet/net.yaml")
    counts = Simulator(config).run(read_event_file(ROOT / "examples/lenet/input.h5").input, monitor="all").spike_counts
    for name, count in counts.items():
        assert f"<td>{name}</td><td>{count:,}</td>" in text
    assert "3,877 input events" in text


def test_report_is_deterministic(tmp_path):
    a, b = tmp_path / "a.html", tmp_path / "b.html"
    for out in (a, b):
        assert invoke("report", ROOT / "examples/dvs_gesture/net.yaml", "-o", out).exit_code == 0
    assert a.read_bytes() == b.read_bytes()


def test_report_of_a_network_that_does_not_fit(too_big, tmp_path):
    events = tmp_path / "events.h5"
    write_event_file(events, EventFile(network="too_big", input=spike_events([0, 5], [0, 1], [3, 4], [5, 6])))
    out = tmp_path / "report.html"
    result = invoke("report", too_big, "--input", events, "-o", out)
    assert result.exit_code == 1 and "error[layer-fits-no-core]" in result.output
    text = out.read_text(encoding="utf-8")
    assert "Does not fit: huge has no core" in text and "layer-fits-no-core" in text
    assert "was not run: the network does not fit" in text
    assert '<tr class="nocore"><td>huge</td>' in text


# ---------------------------------------------------------------- errors and the missing extra


@pytest.mark.parametrize("command", [
    ["show", "examples/lenet/net.yaml", "-o", "{tmp}/chip.svg"],
    ["plot", "examples/lenet/input.h5", "-o", "{tmp}/a.png"],
    ["report", "examples/lenet/net.yaml", "-o", "{tmp}/r.html"],
])
def test_without_matplotlib_the_commands_name_the_pip_install(monkeypatch, tmp_path, command):
    monkeypatch.chdir(ROOT)
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    result = invoke(*[a.format(tmp=tmp_path) for a in command])
    assert result.exit_code == 3
    assert "pip install 'dynapspec[plot]'" in result.output and "error[plot-missing]" in result.output
    assert not list(tmp_path.iterdir())
    with pytest.raises(DynapspecError) as info:
        plot.chip_map(ROOT / "examples/lenet/net.yaml")
    assert info.value.diagnostics[0].code == "plot-missing"


@pytest.mark.parametrize("args,status", [
    (["show", "examples/lenet/net.yaml", "-o", "{tmp}/chip.jpg"], 2),
    (["report", "examples/lenet/net.yaml", "-o", "{tmp}/r.svg"], 2),
    (["show", "{tmp}/missing.yaml", "-o", "{tmp}/chip.svg"], 1),
    (["show", "{tmp}/net.config.json", "--target", "speck2edevkit", "-o", "{tmp}/chip.svg"], 2),
    (["show", "examples/lenet/net.yaml", "--target", "speck9", "-o", "{tmp}/chip.svg"], 1),
])
def test_usage_and_input_errors(monkeypatch, tmp_path, args, status):
    monkeypatch.chdir(ROOT)
    (tmp_path / "net.config.json").write_text(dynapspec.compile("examples/lenet/net.yaml").to_json(), encoding="utf-8")
    result = invoke(*[a.format(tmp=tmp_path) for a in args])
    assert result.exit_code == status, result.output
    assert not list(tmp_path.glob("chip.*")) and not list(tmp_path.glob("r.*"))


def test_chip_map_of_a_compiled_config_file(tmp_path):
    config = tmp_path / "net.config.json"
    config.write_text(dynapspec.compile(ROOT / "examples/branching/net.yaml").to_json(), encoding="utf-8")
    assert invoke("show", config, "-o", tmp_path / "chip.svg").exit_code == 0
    assert svg_texts((tmp_path / "chip.svg").read_bytes()) == svg_texts(render(plot.chip_map(ROOT / "examples/branching/net.yaml"), "svg"))


def test_the_command_line_does_not_import_matplotlib():
    code = "import sys, dynapspec.cli.main, dynapspec.plot; assert 'matplotlib' not in sys.modules, 'imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------- the README's pictures


def test_readme_pictures_are_what_docs_make_images_produces(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "docs/make_images.py"), str(tmp_path)], check=True, capture_output=True)
    import matplotlib

    for name in ("lenet_chip", "lenet_activity"):
        committed, fresh = ROOT / "docs/images" / name, tmp_path / name
        assert svg_texts(fresh.with_suffix(".svg").read_bytes()) == svg_texts(committed.with_suffix(".svg").read_bytes())
        old, new = committed.with_suffix(".png").read_bytes(), fresh.with_suffix(".png").read_bytes()
        assert old[16:24] == new[16:24]  # width and height (PNG IHDR)
        if f"Matplotlib version{matplotlib.__version__},".encode() in old:
            assert old == new  # same matplotlib release: the same bytes
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/images/lenet_chip.png" in readme and "docs/images/lenet_activity.png" in readme


def test_a_boards_readout_and_dropped_events_are_shown_when_the_result_has_them(lenet_run):
    from types import SimpleNamespace

    content = read_event_file(lenet_run)
    pins = np.zeros(5, dtype=[("t", "<u8"), ("index", "u1")])
    pins["t"], pins["index"] = [10_000, 20_000, 30_000, 40_000, 50_000], [3, 3, 0, 5, 3]
    board = SimpleNamespace(layers=content.layers, input=content.input, output=content.output, network="lenet",
                            device="speck2fdevkit:0", readout_pins=pins, dropped=12)
    fig = plot.activity(board)
    ax = panel(fig, "readout", "readout")
    (line,) = ax.get_lines()
    np.testing.assert_array_equal(line.get_ydata(), pins["index"])
    assert ax.get_title(loc="left") == "readout: class 3 most often (3 of 4 readings)"
    assert "12 events dropped by the board" in fig._suptitle.get_text()
    plain = plot.activity(content)  # a simulator's file has neither
    assert not [a for a in plain.axes if a.get_label() == "readout:readout"]
    assert "dropped" not in plain._suptitle.get_text()


def test_with_the_network_every_class_is_drawn_even_the_silent_ones():
    spikes = spike_events([1000, 2000, 3000], [0, 2, 2], [0, 0, 0], [0, 0, 0])
    result = EventFile(network="lenet", layers={"out": spikes})
    with_network = panel(plot.activity(result, network=ROOT / "examples/lenet/net.yaml"), "classes", "out")
    assert len(with_network.patches) == 10  # lenet's out has 10 features
    assert with_network.get_title(loc="left") == "out: class 2 wins (2 of 3 spikes)"
    assert len(panel(plot.activity(result), "classes", "out").patches) == 3  # up to the highest that spiked
