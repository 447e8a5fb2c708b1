"""The `compile --check` difference report."""
from dynapspec.configdiff import differences


def test_scalars_arrays_and_header_first():
    old = {"chip": {"w": [[1, 2], [3, 4]], "on": True}, "header": {"scale": 1.5, "sha": "aa"}}
    new = {"chip": {"w": [[1, 2], [3, 5]], "on": False}, "header": {"scale": 2.0, "sha": "aa"}}
    assert differences(old, new) == [
        "header.scale: 1.5 -> 2.0",
        "chip.on: True -> False",
        "chip.w: 1 of 4 values differ (first chip.w[1][1]: 4 -> 5)",
    ]


def test_shapes_keys_and_limit():
    old = {"chip": {"w": [1, 2], "gone": 1, "layers": [{"a": 1}, {"a": 2}]}}
    new = {"chip": {"w": [1, 2, 3], "new": 1, "layers": [{"a": 1}, {"a": 3}]}}
    assert differences(old, new) == [
        "chip.gone: removed",
        "chip.layers[1].a: 2 -> 3",
        "chip.new: added",
        "chip.w: shape changed (2 -> 3 values)",
    ]
    many_old = {"header": {f"k{i:02d}": i for i in range(30)}}
    many_new = {"header": {f"k{i:02d}": -i - 1 for i in range(30)}}
    lines = differences(many_old, many_new, limit=5)
    assert len(lines) == 6 and lines[-1] == "... and 25 more differences"
    assert differences(old, old) == []
