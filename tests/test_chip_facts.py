"""Every chip fact has one home, the chip profiles in ``dynapspec/chips/``; the rest of the package
reads them from there (``chips.profile(target)``, or ``chips.layout()`` for what all families share).

The grep below fails when a chip number or word type is spelled again in code (comments and
docstrings are free to mention them): 9 cores, readout layer 12, DVS layer 13, the int8 and int16
words and their bounds, the 128-pixel sensor, the cores' memory sizes.
"""
from __future__ import annotations

import io
import tokenize
from pathlib import Path

import pytest

from dynapspec import chips

PACKAGE = Path(chips.__file__).resolve().parent.parent
FACT_NUMBERS = {"9", "12", "13", "127", "128", "255", "32767", "32768", "16384", "65536", "1 << 15", "2 ** 15"}
FACT_NAMES = {"int8", "int16"}  # np.int8 / "int8": the chip's words
# Numbers that happen to equal a fact but are not one (layout and styling), each with its reason.
NOT_CHIP_FACTS = {
    ("cli/info.py", 'typer.echo(" " * 9 + line)'),  # indentation under a 9-character label
    ("evaluate/report.py", '"class".rjust(8) + "precision".rjust(11) + "recall".rjust(9)'),  # column widths
    ("plot/chipmap.py", 'self._text(x + 0.12, top - 0.3, "free", color=MUTED, fontsize=9)'),  # type size
    ("plot/style.py", '"axes.titlesize": 9,'),
    ("plot/chipmap.py", 'arrow = FancyArrowPatch((x1, y1), (x2, y2), patchA=a, patchB=b, arrowstyle="-|>", mutation_scale=12,'),
    ("weightfile.py", "return rng.integers(-8, 9, size=need.shape).astype(layout().weight.dtype)"),  # template values -8..8
}


def spelled_facts(path: Path):
    """(line number, token, line) of each chip-fact literal in the code of one file."""
    tokens = list(tokenize.tokenize(io.BytesIO(path.read_bytes()).readline))
    for i, tok in enumerate(tokens):
        text = tok.string
        if tok.type == tokenize.NUMBER and i + 2 < len(tokens) and tokens[i + 1].string in ("<<", "**"):
            text = f"{text} {tokens[i + 1].string} {tokens[i + 2].string}"
        if tok.type == tokenize.NUMBER and text in FACT_NUMBERS:
            yield tok.start[0], text, tok.line.strip()
        elif tok.type == tokenize.NAME and text in FACT_NAMES:
            yield tok.start[0], text, tok.line.strip()
        elif tok.type == tokenize.STRING and text.strip("\"'") in FACT_NAMES:
            yield tok.start[0], text, tok.line.strip()


def test_no_chip_fact_is_spelled_outside_the_chip_profiles():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith("chips/"):
            continue
        for line, text, code in spelled_facts(path):
            if not any(relative == file and snippet in code for file, snippet in NOT_CHIP_FACTS):
                found.append(f"dynapspec/{relative}:{line}: {text}: {code}")
    assert not found, "chip facts spelled outside dynapspec/chips (read them from the profile):\n" + "\n".join(found)


def test_the_grep_sees_a_fact_in_code_but_not_in_comments(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('"""9 cores, int8."""\nx = 13  # 12\ny = np.int16\nz = 1 << 15\nw = "int8"\n')
    assert [(line, text) for line, text, _ in spelled_facts(sample)] == [(2, "13"), (3, "int16"), (4, "1 << 15"), (5, '"int8"')]


def test_shared_facts_are_the_datasheets():
    """Independent source: docs/chip.md (the DYNAP-CNN / Speck datasheets): 9 cores, readout layer 12,
    DVS layer 13, 8-bit weights, 16-bit neuron states, a 128x128 sensor, thresholds U10."""
    chip = chips.layout()
    assert (chip.core_count, chip.readout_layer, chip.dvs_layer) == (9, 12, 13)
    assert (chip.weight.min, chip.weight.max, chip.weight.dtype) == (-128, 127, "int8")
    assert (chip.state.min, chip.state.max, chip.state.dtype) == (-32768, 32767, "int16")
    assert chip.sensor_size == (128, 128)
    assert chip.threshold_high == (1, 32767) and chip.threshold_low == (-32768, -1)


def test_every_profile_file_is_a_family_and_the_list_is_not_spelled_in_code():
    files = sorted(p.stem for p in Path(chips.__file__).parent.glob("*.yaml") if p.stem != chips.SHARED)
    assert sorted({chips.profile(t).chip for t in chips.targets()}) == files


def test_a_profile_that_overrides_a_shared_fact_is_refused(monkeypatch):
    read = chips._read

    def eight_cores(name):
        data = read(name)
        return {**data, "cores": read(chips.SHARED)["cores"][:8]} if name == "speck2e" else data

    monkeypatch.setattr(chips, "_read", eight_cores)
    for cached in (chips._families, chips.layout):
        monkeypatch.setattr(chips, cached.__name__, cached.__wrapped__)
    with pytest.raises(ValueError, match="disagree"):
        chips.layout()
