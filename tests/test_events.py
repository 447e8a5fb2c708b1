"""Event arrays, validation, rasters and the HDF5 event file (docs/events.md)."""
import errno
import os

import h5py
import numpy as np
import pytest

from dynapspec.errors import DeviceError, SpecError
from dynapspec.events import (
    CHIP_SPIKE_DTYPE,
    DVS_DTYPE,
    SPIKE_DTYPE,
    EventFile,
    RunResult,
    as_events,
    check_range,
    dvs_events,
    events_to_raster,
    raster_to_events,
    read_event_file,
    result_file,
    spike_events,
    split_by_core,
    write_event_file,
)


def code_of(excinfo):
    return excinfo.value.diagnostics[0].code


def test_dtypes_use_tonic_field_names_and_microsecond_uint64():
    assert DVS_DTYPE.names == ("x", "y", "t", "p")
    assert SPIKE_DTYPE.names == ("t", "c", "x", "y")
    assert CHIP_SPIKE_DTYPE.names == ("t", "core", "c", "x", "y")
    assert DVS_DTYPE["t"] == np.dtype("<u8")


def test_tonic_array_is_accepted_for_both_kinds():
    tonic = np.array([(1, 2, 10, 1), (3, 4, 20, 0)], dtype=[("x", int), ("y", int), ("t", int), ("p", int)])
    dvs = as_events(tonic, "dvs")
    assert dvs.dtype == DVS_DTYPE and dvs.tolist() == [(1, 2, 10, 1), (3, 4, 20, 0)]
    spikes = as_events(tonic, "spikes")  # p is read as the channel
    assert spikes.dtype == SPIKE_DTYPE and spikes.tolist() == [(10, 1, 1, 2), (20, 0, 3, 4)]
    assert as_events({"t": [5], "c": [1], "x": [2], "y": [3]}, "spikes").tolist() == [(5, 1, 2, 3)]


@pytest.mark.parametrize(
    "events, code, words",
    [
        (np.zeros(2, dtype=[("x", int), ("y", int), ("ts", int), ("p", int)]), "events-format", "missing t"),
        (np.array([(0, 0, 1.5, 0)], dtype=[("x", int), ("y", int), ("t", float), ("p", int)]), "events-format", "non-integer"),
        (np.array([(0, 0, -1, 0)], dtype=[("x", int), ("y", int), ("t", int), ("p", int)]), "events-order", "negative timestamp"),
        (np.array([(0, 0, 5, 0), (0, 0, 4, 0)], dtype=[("x", int), ("y", int), ("t", int), ("p", int)]), "events-order", "event 1"),
        (np.array([(70000, 0, 5, 0)], dtype=[("x", int), ("y", int), ("t", int), ("p", int)]), "events-range", "exceeds"),
        ([1, 2, 3], "events-format", "structured array"),
    ],
)
def test_bad_events_get_clear_errors(events, code, words):
    with pytest.raises(SpecError) as excinfo:
        as_events(events, "dvs")
    assert code_of(excinfo) == code
    assert words in str(excinfo.value)


def test_range_check_names_the_axis_and_shape():
    with pytest.raises(SpecError) as excinfo:
        check_range(spike_events([0, 1], [0, 0], [3, 28], [0, 0]), (1, 28, 28))
    assert code_of(excinfo) == "events-range"
    assert "event 1 has x=28, outside the input's width 28" in str(excinfo.value)
    with pytest.raises(SpecError) as excinfo:
        check_range(dvs_events([0], [0], [0], [2]), (2, 128, 128))  # wrong channel count
    assert "p=2" in str(excinfo.value)


def test_raster_round_trip_with_counts_and_order():
    raster = np.zeros((3, 2, 2, 3), dtype=np.int32)  # (T, C, H, W)
    raster[0, 1, 0, 2] = 2
    raster[0, 0, 1, 0] = 1
    raster[2, 1, 1, 1] = 1
    events = raster_to_events(raster, dt_us=1000, t_start=500)
    # within a bin: c, then y, then x ascending; a count of 2 is two events
    assert events.tolist() == [(500, 0, 0, 1), (500, 1, 2, 0), (500, 1, 2, 0), (2500, 1, 1, 1)]
    back = events_to_raster(events, dt_us=1000, shape=(2, 2, 3), t_start=500)
    np.testing.assert_array_equal(back, raster)
    dvs = raster_to_events(raster, 1000, kind="dvs")
    assert dvs.dtype == DVS_DTYPE and dvs["p"].tolist() == [0, 1, 1, 1]
    np.testing.assert_array_equal(events_to_raster(dvs, 1000, (2, 2, 3)), raster)


def test_documented_raster_round_trip_keeps_empty_first_and_last_steps():
    raster = np.zeros((5, 2, 2, 3), dtype=np.int32)  # steps 0, 3 and 4 are empty
    raster[1, 0, 1, 2] = 3
    raster[2, 1, 0, 0] = 1
    dt = 1000
    # docs/events.md: events_to_raster(raster_to_events(r, dt), dt, r.shape[1:], n_steps=len(r)) == r
    back = events_to_raster(raster_to_events(raster, dt), dt, raster.shape[1:], n_steps=len(raster))
    np.testing.assert_array_equal(back, raster)
    assert len(events_to_raster(raster_to_events(raster, dt), dt, raster.shape[1:])) == 3  # why n_steps is needed


def test_events_to_raster_bins_and_window():
    events = spike_events([0, 999, 1000, 5000], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0])
    assert events_to_raster(events, 1000, (1, 1, 1))[:, 0, 0, 0].tolist() == [2, 1, 0, 0, 0, 1]
    assert events_to_raster(events, 1000, (1, 1, 1), n_steps=2)[:, 0, 0, 0].tolist() == [2, 1]
    with pytest.raises(SpecError):
        events_to_raster(events, 0, (1, 1, 1))
    with pytest.raises(SpecError):
        raster_to_events(np.full((1, 1, 1, 1), -1), 1000)


def test_event_file_round_trip(tmp_path):
    path = tmp_path / "run.h5"
    output = np.array([(7, 0, 1, 2, 3), (9, 13, 0, 4, 5)], dtype=CHIP_SPIKE_DTYPE)
    result = RunResult(
        output=output,
        layers=split_by_core(output, {0: "conv1", 13: "dvs"}),
        spike_counts={"conv1": 1, "dvs": 1, "fc": 0},
        input_count=2,
        duration_s=0.5,
        states={"conv1": np.arange(6, dtype=np.int16).reshape(1, 2, 3)},
    )
    events = dvs_events([1, 2], [3, 4], [7, 9], [1, 0])
    write_event_file(path, result_file(result, "net", events))
    back = read_event_file(path)
    assert back.network == "net" and back.device == "sim" and back.duration_s == 0.5
    assert back.input.dtype == DVS_DTYPE and back.input.tolist() == events.tolist()
    assert back.output.tolist() == output.tolist()
    assert back.layers["conv1"].tolist() == [(7, 1, 2, 3)] and back.layers["dvs"].tolist() == [(9, 0, 4, 5)]
    assert back.spike_counts == {"conv1": 1, "dvs": 1, "fc": 0}
    np.testing.assert_array_equal(back.states["conv1"], result.states["conv1"])
    with h5py.File(path) as f:
        assert f.attrs["time_unit"] == "us" and f.attrs["format"] == "dynapspec-events"
        assert f["input/t"].dtype == np.uint64


def test_event_file_is_byte_identical_when_rewritten(tmp_path):
    content = EventFile(network="n", input=spike_events([0, 5], [0, 1], [2, 3], [4, 5]))
    write_event_file(tmp_path / "a.h5", content)
    write_event_file(tmp_path / "b.h5", content)
    assert (tmp_path / "a.h5").read_bytes() == (tmp_path / "b.h5").read_bytes()


def test_compound_input_dataset_is_read(tmp_path):
    path = tmp_path / "tonic.h5"
    with h5py.File(path, "w") as f:
        f["input"] = np.array([(1, 2, 3, 1)], dtype=[("x", "<i8"), ("y", "<i8"), ("t", "<i8"), ("p", "<i8")])
    assert read_event_file(path).input.tolist() == [(1, 2, 3, 1)]


def test_bad_event_files(tmp_path):
    with pytest.raises(SpecError) as excinfo:
        read_event_file(tmp_path / "missing.h5")
    assert code_of(excinfo) == "file-not-found"
    (tmp_path / "text.h5").write_text("not hdf5")
    with pytest.raises(SpecError) as excinfo:
        read_event_file(tmp_path / "text.h5")
    assert code_of(excinfo) == "events-format"
    with h5py.File(tmp_path / "ms.h5", "w") as f:
        f.attrs["time_unit"] = "ms"
    with pytest.raises(SpecError) as excinfo:
        read_event_file(tmp_path / "ms.h5")
    assert "time_unit" in str(excinfo.value)
    with h5py.File(tmp_path / "fields.h5", "w") as f:
        f["input/x"] = [1]
        f["input/y"] = [1]
    with pytest.raises(SpecError) as excinfo:
        read_event_file(tmp_path / "fields.h5")
    assert code_of(excinfo) == "events-format" and "missing" in str(excinfo.value)
    with h5py.File(tmp_path / "unsorted.h5", "w") as f:
        for name, values in {"t": [5, 1], "c": [0, 0], "x": [0, 0], "y": [0, 0]}.items():
            f[f"input/{name}"] = values
    with pytest.raises(SpecError) as excinfo:
        read_event_file(tmp_path / "unsorted.h5")
    assert code_of(excinfo) == "events-order"


def test_failed_write_leaves_old_file(tmp_path):
    """A write that fails half-way (bad content from the API) leaves the old file and no temporary."""
    path = tmp_path / "out.h5"
    write_event_file(path, EventFile(network="old"))
    before = path.read_bytes()
    bad = EventFile(network="new", input=spike_events([0], [0], [0], [0]), states={"x": np.array(["not a number"])})
    with pytest.raises(ValueError, match="not a number"):  # numpy refusing the state's int16 conversion
        write_event_file(path, bad)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.h5"]


def test_a_full_disk_half_way_is_an_output_write_error_and_leaves_old_file(tmp_path, monkeypatch):
    path = tmp_path / "out.h5"
    write_event_file(path, EventFile(network="old"))
    before = path.read_bytes()
    real, calls = h5py.Group.create_dataset, []

    def fills_the_disk(self, *args, **kwargs):
        calls.append(args[0])
        if len(calls) == 3:  # the third column
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(h5py.Group, "create_dataset", fills_the_disk)
    with pytest.raises(DeviceError) as info:
        write_event_file(path, EventFile(network="new", input=spike_events([0, 1], [0, 0], [1, 2], [3, 4])))
    assert len(calls) == 3
    (diag,) = info.value.diagnostics
    assert diag.code == "output-write" and diag.message == f"cannot write {path}: No space left on device"
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.h5"]


@pytest.mark.parametrize(
    "attrs, kind, words",
    [
        ({"format_version": 2}, None, "format_version is 2; this dynapspec reads version 1"),
        ({"format": "other-events"}, None, "format is 'other-events'; dynapspec reads 'dynapspec-events' files"),
        ({}, "foo", "kind is 'foo'; supported: 'dvs' (fields x, y, t, p); 'spikes' (fields t, c, x, y)"),
    ],
)
def test_unsupported_versions_and_kinds_are_refused(tmp_path, attrs, kind, words):
    path = tmp_path / "future.h5"
    write_event_file(path, EventFile(network="n", input=spike_events([0], [0], [1], [1])))
    with h5py.File(path, "a") as f:
        f.attrs.update(attrs)
        if kind is not None:
            f["input"].attrs["kind"] = kind
    with pytest.raises(SpecError) as excinfo:
        read_event_file(path)
    diag = excinfo.value.diagnostics[0]
    assert diag.code == "events-format" and diag.location.file == str(path) and words in diag.message


def test_declared_kind_decides_over_field_names(tmp_path):
    path = tmp_path / "declared.h5"
    with h5py.File(path, "w") as f:
        for name, values in {"t": [0], "c": [1], "x": [2], "y": [3]}.items():
            f[f"input/{name}"] = values
        f["input"].attrs["kind"] = "dvs"
    assert read_event_file(path).input.tolist() == [(2, 3, 0, 1)]
    with h5py.File(path, "a") as f:
        f["input"].attrs["kind"] = "spikes"
    assert read_event_file(path).input.dtype == SPIKE_DTYPE


def test_errors_in_output_are_located_at_output(tmp_path):
    import h5py

    path = tmp_path / "bad_output.h5"
    write_event_file(path, EventFile(network="n", input=spike_events([0], [0], [0], [0])))
    with h5py.File(path, "r+") as f:
        group = f.create_group("output")
        for name in ("t", "c", "x", "y"):  # no "core" column
            group[name] = np.zeros(1, dtype=np.int64)
    with pytest.raises(SpecError) as excinfo:
        read_event_file(path)
    (diag,) = excinfo.value.diagnostics
    assert diag.code == "events-format" and diag.location.path == "/output" and "missing core" in diag.message
