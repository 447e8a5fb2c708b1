"""The trained mnist example: its committed figures are what `evaluate` gives on its test split."""
import json
import re
from pathlib import Path

import pytest

from dynapspec.evaluate import evaluate

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "mnist"


@pytest.fixture(scope="module")
def result():
    return evaluate(EXAMPLE / "net.yaml", EXAMPLE / "test.h5", float_model=True)


def readme_percent(text: str, row: str) -> float:
    return float(re.search(re.escape(row) + r"[^|]*\| \*\*([\d.]+)%\*\*", text).group(1)) / 100


def test_chip_reproduces_the_recorded_float_accuracy_within_a_few_points(result):
    recorded = json.loads((EXAMPLE / "accuracy.json").read_text())["float_network_test_accuracy"]
    assert len(result.samples) == 1000 and not result.failed
    assert abs(result.chip.accuracy - recorded) <= 0.03
    assert result.chip.accuracy >= 0.9


def test_the_example_readme_states_what_evaluate_measures(result):
    text = (EXAMPLE / "README.md").read_text()
    recorded = json.loads((EXAMPLE / "accuracy.json").read_text())["float_network_test_accuracy"]
    assert readme_percent(text, "trained float network") == pytest.approx(recorded)
    assert readme_percent(text, "float model") == pytest.approx(result.float.accuracy)
    assert readme_percent(text, "chip simulator") == pytest.approx(result.chip.accuracy)
    assert f"({result.chip.ties} ties, {result.chip.ties_with_label} with the label)" in text
    assert f"({result.float.ties} ties)" in text
    assert f"agree on {100 * result.agreement:.1f}% of the digits" in text


def test_the_main_readme_states_the_same_figures(result):
    text = (EXAMPLE.parent.parent / "README.md").read_text()
    section = text[text.index("## Evaluating on a dataset"):]
    assert f"chip simulator {100 * result.chip.accuracy:.2f}%" in section
    assert f"float model {100 * result.float.accuracy:.2f}%" in section
