"""dynapspec.evaluate: dataset formats, decision rules, the float model, metrics, backends."""

import h5py
import numpy as np
import pytest

from specfactory import conv, dense, make_spec
from dynapspec.errors import SpecError
from dynapspec.evaluate import evaluate, open_dataset, write_dataset
from dynapspec.evaluate.datasets import EventFolder, SampleFile, SampleFileChunk
from dynapspec.evaluate.decide import Classes, decide
from dynapspec.evaluate.floatnet import FloatNetwork
from dynapspec.evaluate.trace import Trace
from dynapspec.events import EventFile, dvs_events, spike_events, write_event_file
from dynapspec.compiler.lower import lower
from dynapspec.spec.model import XY, DvsInput, Edge


def random_events(rng, n, shape=(1, 8, 8), steps=20):
    t = np.sort(rng.integers(0, steps, n)) * 1000
    return spike_events(t, rng.integers(0, shape[0], n), rng.integers(0, shape[2], n), rng.integers(0, shape[1], n))


def integer_spec(seed=0, reset="subtract", low=None):
    """Integer weights used as given (quantize: false): the float model must equal the chip exactly.

    Covers padding, stride, sum pooling on an edge, two destinations with a concat merge (feature
    shift) and a dense layer."""
    rng = np.random.default_rng(seed)
    w = lambda *shape: rng.integers(-2, 4, size=shape)  # noqa: E731
    layers = [
        conv("a", 4, 3, w(4, 1, 3, 3), padding=1, to=["b", "c"], pool=2, threshold=5, low=low, reset=reset, quantize=False),
        conv("b", 3, 3, w(3, 4, 3, 3), to=["d"], threshold=4, reset=reset, quantize=False),  # 4x4 -> 2x2
        conv("c", 2, 3, w(2, 4, 3, 3), stride=2, padding=1, to=["d"], threshold=3, quantize=False),  # 4x4 -> 2x2
        dense("d", 3, w(3, 5 * 2 * 2), threshold=4, quantize=False),
    ]
    layers[1]["to"] = [("d", 0)]
    layers[2]["to"] = [("d", 3)]
    return make_spec((1, 8, 8), layers)


# ---------------------------------------------------------------- the float model


@pytest.fixture(params=["compiled", "python"])
def float_loop(request, monkeypatch):
    """The float model's tests run on its compiled loop and on its plain-Python twin (test_float_loop.py compares them)."""
    from dynapspec.evaluate import floatnet

    if request.param == "compiled" and not floatnet.COMPILED:
        pytest.skip(f"no compiled float loop: {floatnet.FALLBACK_REASON}")
    monkeypatch.setattr(floatnet, "run_loop", floatnet.compiled_run if request.param == "compiled" else floatnet.run_float)


@pytest.mark.usefixtures("float_loop")
@pytest.mark.parametrize("reset,low", [("subtract", None), ("zero", -3)])
def test_float_model_reproduces_the_chip_exactly_on_integer_weights(reset, low):
    # a wrong receptive field, order, reset, floor, pooling, shift or routing changes some spike
    from dynapspec.sim import Simulator
    from dynapspec.compiler import compile_spec

    spec = integer_spec(reset=reset, low=low)
    compiled = compile_spec(spec)
    model = FloatNetwork(lower(spec)[0], "d")
    sim = Simulator(compiled.config)
    rng = np.random.default_rng(1)
    total = 0
    for _ in range(5):
        events = random_events(rng, 150)
        sim.reset()
        chip = sim.run(events, monitor="all")
        trace = model.run(events)
        out = chip.layers["d"]
        np.testing.assert_array_equal(trace.feature, out["c"])
        np.testing.assert_array_equal(trace.t, out["t"])
        assert trace.spikes == sum(chip.spike_counts.values())
        total += len(out)
    assert total > 20  # the comparison saw real output


@pytest.mark.usefixtures("float_loop")
def test_float_model_keeps_what_quantization_rounds():
    # scale 127 (largest weight 1.0): 0.2499 becomes round(31.74) = 32 of threshold 127, so four
    # events reach 128 and fire on the chip, while in float 4 x 0.2499 = 0.9996 stays below 1
    spec = make_spec((1, 1, 1), [conv("a", 2, 1, np.array([0.2499, 1.0]).reshape(2, 1, 1, 1), threshold=1.0)])
    model = FloatNetwork(lower(spec)[0], "a")
    events = spike_events(np.arange(4), [0] * 4, [0] * 4, [0] * 4)
    trace = model.run(events)
    assert list(trace.feature) == [1, 1, 1, 1]  # 4 x 0.2499 = 0.9996 < 1: feature 0 stays silent in float
    from dynapspec.compiler import compile_spec
    from dynapspec.sim import Simulator

    chip = Simulator(compile_spec(spec).config).run(events)
    assert list(chip.layers["a"]["c"]) == [1, 1, 1, 0, 1]  # 32 x 4 = 128 >= 127: the rounded weight fires


@pytest.mark.usefixtures("float_loop")
def test_float_model_dvs_input_matches_the_chip():
    from dynapspec.compiler import compile_spec
    from dynapspec.sim import Simulator

    rng = np.random.default_rng(3)
    dvs = DvsInput("host", XY(16, 16), "both", XY(2, 2), XY(1, 0), XY(6, 7), XY(1, 0), True, False, (Edge("a"),))
    spec = make_spec(None, [conv("a", 3, 3, rng.integers(-1, 3, size=(3, 2, 3, 3)), threshold=3, quantize=False)], dvs=dvs)
    events = dvs_events(rng.integers(0, 16, 400), rng.integers(0, 16, 400), np.arange(400), rng.integers(0, 2, 400))
    chip = Simulator(compile_spec(spec).config).run(events, monitor="all")
    trace = FloatNetwork(lower(spec)[0], "a").run(events)
    assert len(chip.layers["a"]) > 10
    np.testing.assert_array_equal(trace.feature, chip.layers["a"]["c"])
    np.testing.assert_array_equal(trace.t, chip.layers["a"]["t"])


def brute_force_updates(spec, events):
    """Neuron updates by looping over every output position of every layer (no window formula)."""
    from dynapspec.compiler import compile_spec
    from dynapspec.sim import Simulator

    network = lower(spec)[0]
    result = Simulator(compile_spec(spec).config).run(events, monitor="all")
    entering = {layer.name: [] for layer in network.layers}
    for e in events:
        for target in network.input.targets:
            entering[target].append((int(e["x"]), int(e["y"])))
    for layer in network.layers:
        for s in result.layers[layer.name]:
            for route in layer.routes:
                entering[route.target].append((int(s["x"]) // route.pooling, int(s["y"]) // route.pooling))
    total = 0
    for layer in network.layers:
        F, OH, OW = layer.output_shape
        _, H, W = layer.input_shape
        for x, y in entering[layer.name]:
            if x >= W or y >= H:
                continue
            for oy in range(OH):
                for ox in range(OW):
                    i, j = y + layer.padding.y - oy * layer.stride.y, x + layer.padding.x - ox * layer.stride.x
                    total += F * (0 <= i < layer.kernel and 0 <= j < layer.kernel)
    return total


def test_synaptic_ops_of_chip_and_float_model_match_a_brute_force_count():
    spec = integer_spec(seed=2)
    events = random_events(np.random.default_rng(5), 120)
    expected = brute_force_updates(spec, events)
    result = evaluate(spec, [(events, 0)], workers=1, float_model=True)
    (sample,) = result.samples
    assert sample.chip.synops == sample.float.synops == expected > 0


# ---------------------------------------------------------------- decision rules


def trace(t, features):
    return Trace(np.array(t, dtype=np.uint64), np.array(features, dtype=np.int64), 99, 1234)


def test_count_rule_winner_and_the_time_it_became_final():
    # counts over time: 1 leads (t=10), 2 ties it (t=20), 2 leads (t=30), 1 ties (t=40), 1 leads for good at t=50
    verdict = decide(trace([10, 20, 30, 40, 50, 60], [1, 2, 2, 1, 1, 2]), Classes(3), "count", 5)
    assert verdict.counts == (0, 3, 3) and verdict.prediction is None and verdict.tied == (1, 2)
    verdict = decide(trace([10, 20, 30, 40, 50], [1, 2, 2, 1, 1]), Classes(3), "count", 5)
    assert verdict.prediction == 1 and verdict.tied == ()
    assert verdict.first_us == 5 and verdict.decision_us == 45  # relative to the sample's start at 5
    assert (verdict.spikes, verdict.synops) == (99, 1234)


def test_count_rule_leader_from_the_first_spike():
    verdict = decide(trace([7, 8, 9], [0, 0, 1]), Classes(2), "count", 0)
    assert verdict.prediction == 0 and verdict.decision_us == 7


def test_silence_is_no_prediction_and_no_tie():
    verdict = decide(trace([], []), Classes(4), "count", 0)
    assert verdict.prediction is None and verdict.tied == () and verdict.first_us is None
    assert verdict.counts == (0, 0, 0, 0)


def test_first_rule_ties_on_equal_timestamps():
    assert decide(trace([3, 3, 4], [2, 2, 1]), Classes(3), "first", 0).prediction == 2
    tie = decide(trace([3, 3, 4], [2, 0, 0]), Classes(3), "first", 0)
    assert tie.prediction is None and tie.tied == (0, 2) and tie.counts == (2, 0, 1)


def test_readout_classes_are_every_stride_th_feature_and_need_the_threshold():
    classes = Classes(3, stride=4, threshold=3)
    # features 0, 4, 8 are classes 0, 1, 2; feature 5 is no class
    verdict = decide(trace([1, 2, 3, 4, 5], [4, 4, 5, 4, 0]), classes, "readout", 0)
    assert verdict.counts == (1, 3, 0) and verdict.prediction == 1
    below = decide(trace([1, 2], [8, 8]), classes, "readout", 0)
    assert below.prediction is None and below.tied == () and below.counts == (0, 0, 2)


# ---------------------------------------------------------------- datasets


def test_dataset_file_round_trip_and_byte_identical(tmp_path):
    rng = np.random.default_rng(0)
    pairs = [(random_events(rng, n), n % 3) for n in (5, 0, 17)]
    write_dataset(tmp_path / "a.h5", pairs, class_names=["x", "y", "z"])
    write_dataset(tmp_path / "b.h5", pairs, class_names=["x", "y", "z"])
    assert (tmp_path / "a.h5").read_bytes() == (tmp_path / "b.h5").read_bytes()
    data = SampleFile(tmp_path / "a.h5")
    assert len(data) == 3 and data.class_names == ("x", "y", "z") and data.kind == "spikes"
    samples = data.read(0, 3)
    for (events, label), sample in zip(pairs, samples):
        assert sample.label == label
        for name in events.dtype.names:
            np.testing.assert_array_equal(sample.events[name], events[name])
    assert [s.index for s in data.read(1, 3)] == [1, 2]


@pytest.mark.parametrize("damage,message", [
    (lambda f: f.attrs.__setitem__("format", "dynapspec-events"), "give a folder"),
    (lambda f: f.attrs.__setitem__("format_version", 7), "format_version is 7"),
    (lambda f: f.attrs.__setitem__("kind", "frames"), "kind is 'frames'"),
    (lambda f: f.__delitem__("labels"), "no /labels"),
    (lambda f: (f.__delitem__("offsets"), f.create_dataset("offsets", data=np.array([0, 9, 3, 22]))), "non-decreasing"),
    (lambda f: (f.__delitem__("offsets"), f.create_dataset("offsets", data=np.array([0, 5, 22]))), "offsets must be 4"),
    (lambda f: f["events"].__delitem__("x"), "/events lacks x"),
])
def test_damaged_dataset_files_are_refused_with_the_reason(tmp_path, damage, message):
    rng = np.random.default_rng(0)
    path = tmp_path / "d.h5"
    write_dataset(path, [(random_events(rng, n), 0) for n in (5, 0, 17)])
    with h5py.File(path, "a") as f:
        damage(f)
    with pytest.raises(SpecError) as info:
        SampleFile(path)
    (diag,) = info.value.diagnostics
    assert diag.code == "dataset-format" and message in diag.message and diag.location.file == str(path)


def test_folder_dataset_with_labels_and_a_broken_file(tmp_path):
    rng = np.random.default_rng(0)
    events = [random_events(rng, 30) for _ in range(3)]
    for i, e in enumerate(events):
        write_event_file(tmp_path / f"s{i}.h5", EventFile(input=e))
    (tmp_path / "broken.h5").write_text("not hdf5")
    (tmp_path / "labels.csv").write_text("file,label\ns0.h5,1\n# a comment\nbroken.h5,0\ns1.h5, 2\ns2.h5,0\n")
    data = open_dataset(tmp_path)
    assert isinstance(data, EventFolder) and data.files == ["s0.h5", "broken.h5", "s1.h5", "s2.h5"]
    assert data.labels == [1, 0, 2, 0]
    spec = make_spec((1, 8, 8), [conv("a", 3, 3, np.ones((3, 1, 3, 3)), threshold=2.0)])
    result = evaluate(spec, tmp_path, workers=1)
    assert [s.index for s in result.samples] == [0, 1, 2, 3]
    (failed,) = result.failed
    assert failed.index == 1 and failed.name == "broken.h5" and "HDF5" in failed.error
    assert result.chip.evaluated == 3


def test_labels_file_errors_name_the_line(tmp_path):
    (tmp_path / "labels.csv").write_text("file,label\na.h5,1\nb.h5,one\n")
    with pytest.raises(SpecError) as info:
        open_dataset(tmp_path)
    assert info.value.diagnostics[0].location.line == 3 and "integer label" in info.value.diagnostics[0].message
    with pytest.raises(SpecError) as info:
        open_dataset(tmp_path / "nowhere")
    assert info.value.diagnostics[0].code == "file-not-found"


# ---------------------------------------------------------------- evaluate


def tiny_spec():
    """Class k fires on input channel k: every sample's prediction follows from its events."""
    weight = np.zeros((3, 3, 2, 2))
    for k in range(3):
        weight[k, k] = 1.0
    return make_spec((3, 2, 2), [dense("out", 3, weight.reshape(3, 12), threshold=2.0)])


def channel_events(counts, t0=0):
    """Events on channels 0, 1, 2 in turn, ``counts[c]`` of each, one per microsecond."""
    channels = np.concatenate([np.full(n, c) for c, n in enumerate(counts)]).astype(np.int64)
    return spike_events(t0 + np.arange(len(channels)), channels, np.zeros_like(channels), np.zeros_like(channels))


def test_accuracy_confusion_precision_recall_ties_and_failures():
    data = [
        (channel_events([4, 0, 0]), 0),  # predicts 0: right
        (channel_events([0, 6, 2]), 1),  # 1: right
        (channel_events([0, 0, 4]), 1),  # 2: wrong
        (channel_events([2, 2, 0]), 0),  # tie 0/1, label among them
        (channel_events([1, 0, 0]), 2),  # silent
        (spike_events([0], [5], [0], [0]), 0),  # channel 5 of 3: fails
        (channel_events([4, 0, 0]), 3),  # label 3 of 3 classes: fails
    ]
    result = evaluate(tiny_spec(), data, workers=1)
    chip = result.chip
    assert (chip.evaluated, chip.correct, chip.ties, chip.ties_with_label, chip.silent) == (5, 2, 1, 1, 1)
    assert chip.accuracy == pytest.approx(2 / 5)
    assert chip.confusion == ((1, 0, 0, 1), (0, 1, 1, 0), (0, 0, 0, 1))
    assert chip.precision == (1.0, 1.0, 0.0) and chip.recall == (0.5, 0.5, 0.0)
    assert [s.index for s in result.failed] == [5, 6]
    assert "events-range" in result.failed[0].error and "label 3" in result.failed[1].error
    assert result.samples[1].chip.counts == (0, 3, 1) and result.samples[1].chip.decision_us == 1


def test_any_iterable_works_and_tonic_style_arrays_are_taken_as_they_are():
    tonic_dtype = np.dtype([("x", "<i8"), ("y", "<i8"), ("t", "<i8"), ("p", "<i8")])  # tonic's field names

    def generate():  # no len(): progress gets no total
        for label in range(3):
            events = channel_events([4 * (k == label) for k in range(3)])
            array = np.zeros(len(events), dtype=tonic_dtype)
            array["x"], array["y"], array["t"], array["p"] = events["x"], events["y"], events["t"], events["c"]
            yield array, np.int64(label)

    seen = []
    result = evaluate(tiny_spec(), generate(), workers=1, chunk_size=2, progress=lambda done, total: seen.append((done, total)))
    assert result.chip.accuracy == 1.0 and result.total is None and seen == [(2, None), (3, None)]


class IndexedDataset:
    """tonic's dataset protocol: __getitem__ and __len__, no __iter__ (iteration stops at IndexError)."""

    def __init__(self, items):
        self.items = items

    def __getitem__(self, index):
        return self.items[index]

    def __len__(self):
        return len(self.items)


def test_a_dataset_with_getitem_and_len_works_like_tonic():
    items = [(channel_events([0, 0, 3]), 2), (channel_events([3, 0, 0]), 1)]
    seen = []
    result = evaluate(tiny_spec(), IndexedDataset(items), workers=1, chunk_size=1, progress=lambda d, t: seen.append((d, t)))
    assert [s.chip.prediction for s in result.samples] == [2, 0] and result.chip.correct == 1
    assert result.total == 2 and seen == [(1, 2), (2, 2)]


def test_output_layer_rule_and_float_choices_are_checked(tmp_path):
    with pytest.raises(SpecError, match="unknown decision rule"):
        evaluate(tiny_spec(), [], rule="vote")
    with pytest.raises(SpecError, match="no layer 'nope'"):
        evaluate(tiny_spec(), [], output="nope")
    with pytest.raises(SpecError, match="readout rule needs"):
        evaluate(tiny_spec(), [], rule="readout")
    two_exits = make_spec((1, 2, 2), [conv("a", 1, 1, np.ones((1, 1, 1, 1)), to=[]), conv("b", 1, 1, np.ones((1, 1, 1, 1)), to=[])],
                          input_to=["a", "b"])
    with pytest.raises(SpecError, match="2 exit layers"):
        evaluate(two_exits, [])
    from dynapspec.compiler import compile_spec

    path = tmp_path / "net.config.json"
    path.write_text(compile_spec(tiny_spec()).config.to_json())
    with pytest.raises(SpecError) as info:
        evaluate(path, [], float_model=True)
    assert info.value.diagnostics[0].code == "eval-float"
    assert evaluate(path, [(channel_events([0, 3, 0]), 1)], workers=1).chip.accuracy == 1.0


def test_ctrl_c_keeps_finished_samples_and_marks_the_result_partial():
    data = [(channel_events([3, 0, 0]), 0)] * 10

    def interrupt(done, total):
        if done >= 4:
            raise KeyboardInterrupt

    result = evaluate(tiny_spec(), data, workers=1, chunk_size=2, progress=interrupt)
    assert result.partial and [s.index for s in result.samples] == [0, 1, 2, 3] and result.total == 10


# ---------------------------------------------------------------- backends: the same result everywhere


def test_one_worker_two_workers_and_a_dask_cluster_give_identical_results():
    distributed = pytest.importorskip("distributed")
    rng = np.random.default_rng(11)
    spec = integer_spec(seed=4)
    data = [(random_events(rng, int(rng.integers(20, 120))), int(rng.integers(0, 3))) for _ in range(40)]
    data[7] = (spike_events([0], [0], [99], [0]), 1)  # a failing sample fails the same way everywhere
    one = evaluate(spec, data, workers=1, chunk_size=3, float_model=True)
    two = evaluate(spec, data, workers=2, chunk_size=3, float_model=True)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0") as cluster:
        with distributed.Client(cluster) as client:
            dask = evaluate(spec, data, client=client, chunk_size=3, float_model=True)
    assert "2 local worker processes" in two.backend and "Dask" in dask.backend
    assert len(one.samples) == 40 and [s.index for s in one.failed] == [7]
    assert sum(s.chip.spikes for s in one.samples if s.chip) > 100
    assert one.samples == two.samples == dask.samples
    assert one.chip == two.chip == dask.chip and one.float == two.float == dask.float


def test_per_layer_quantizes_one_layer_at_a_time():
    # layer a loses to rounding (0.2499 -> 32/127 fires after 4 events); layer b quantizes exactly
    spec = make_spec((1, 1, 1), [
        conv("a", 2, 1, np.array([0.2499, 1.0]).reshape(2, 1, 1, 1), threshold=1.0),
        dense("b", 2, np.eye(2), threshold=1.0),
    ])
    events = spike_events(np.arange(4), [0] * 4, [0] * 4, [0] * 4)
    result = evaluate(spec, [(events, 1)], workers=1, per_layer=True)
    (sample,) = result.samples
    assert sample.float.counts == (0, 4) and sample.chip.counts == (1, 4)
    assert result.quantized_layers == ("a", "b")
    only_a, only_b = sample.one_layer_quantized
    assert only_a.counts == sample.chip.counts and only_b.counts == sample.float.counts
    assert [name for name, _ in result.per_layer] == ["a", "b"] and result.per_layer[0][1].evaluated == 1
    from dynapspec.evaluate.report import summary_lines, to_dict

    assert any(line.startswith("  a ") and "100.00%" in line for line in summary_lines(result))
    assert set(to_dict(result)["one_layer_quantized"]) == {"a", "b"}


def test_a_chunk_reference_carries_only_its_own_slice(tmp_path):
    import pickle

    empty = spike_events([], [], [], [])
    write_dataset(tmp_path / "small.h5", [(empty, 0)] * 20)
    write_dataset(tmp_path / "large.h5", [(empty, 0)] * 20000)
    small, large = (pickle.dumps(SampleFile(tmp_path / name).chunk(2, 18)) for name in ("small.h5", "large.h5"))
    assert abs(len(small) - len(large)) < 64  # the path's length, not the dataset's


def test_dask_workers_can_read_a_shared_dataset_file_themselves(tmp_path):
    distributed = pytest.importorskip("distributed")
    rng = np.random.default_rng(2)
    path = tmp_path / "data.h5"
    write_dataset(path, [(random_events(rng, 40), k % 3) for k in range(20)])
    spec = integer_spec(seed=1)
    loaded = []
    original = SampleFileChunk.load
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0") as cluster:
        with distributed.Client(cluster) as client:
            SampleFileChunk.load = lambda self: loaded.append(self.start) or original(self)
            try:
                sent = evaluate(spec, path, client=client, chunk_size=4)
                shared = evaluate(spec, path, client=client, chunk_size=4, shared_files=True)
            finally:
                SampleFileChunk.load = original
    assert sorted(loaded) == [0, 0, 4, 4, 8, 8, 12, 12, 16, 16]  # read by the client, then by the workers
    assert shared.samples == sent.samples == evaluate(spec, path, workers=1).samples
