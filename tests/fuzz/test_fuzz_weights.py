"""Fuzz the weight reader: a fixed spec over structurally varied HDF5 weight files."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import h5plans
from harness import PROFILE, holds, workdir
from dynapspec.spec import load
from hostile import SPEC

CONV, DENSE = "    conv: {channels: 4, kernel: 3}\n", "    dense: {features: 2}\n"
SPECS = {
    "plain": SPEC,
    "integers": SPEC.replace(CONV, CONV + "    quantize: false\n"),
    "shared": SPEC.replace(DENSE, DENSE + "    weight: /conv1/weight\n"),
    "elsewhere": SPEC.replace(DENSE, DENSE + "    weight: /x/../out//weight\n"),
}
PATHS = ["/conv1", "/conv1/weight", "/conv1/bias", "/out", "/out/weight", "/out/bias", "/x", "/loop", "/x/weight", "/conv1/weight/a"]


def valid(f) -> None:
    f.create_dataset("conv1/weight", data=np.full((4, 1, 3, 3), 0.25, "f4"))
    f.create_dataset("out/weight", data=np.full((2, 144), -0.5, "f4"))


@settings(PROFILE)
@given(h5plans.plans("weights", PATHS, ["a", "unit"]), st.sampled_from(sorted(SPECS)))
def test_weight_reader_never_fails_otherwise(plan, spec):
    with workdir() as directory:
        (directory / "net.yaml").write_text(SPECS[spec], encoding="utf-8")
        h5plans.build(directory / "net.h5", plan, {"weights": valid})
        holds(lambda: load(directory / "net.yaml"))
