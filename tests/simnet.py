"""Hand-built Configs for simulator tests, and a slow, obviously-correct reference simulator.

The reference follows docs/chip.md §9 literally: samna layouts, one neuron at a time, every spike
routed the moment it fires (recursion = depth-first), nothing precomputed.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
import pytest

from dynapspec.sim import kernel as sim_kernel
from dynapspec.config import (
    ChipConfig,
    CnnCore,
    Config,
    Destination,
    Dimensions,
    DvsDestination,
    DvsLayer,
    Header,
    InputRecord,
    IOShape,
    LayerRecord,
    Memory,
    Vec2,
)


def core(
    weights,
    input_xy: Tuple[int, int],
    stride=(1, 1),
    padding=(0, 0),
    threshold_high: int = 1,
    threshold_low: int = -32768,
    return_to_zero: bool = False,
    to: Sequence[Tuple[int, int, int]] = (),  # (core, pooling, feature_shift) per destination
    monitor: bool = True,
    initial=None,
    **extra,
) -> CnnCore:
    """One core from weights in samna layout ``[f][c][x][y]``; output size from the conv formula."""
    w = np.asarray(weights, dtype=np.int64)
    f, c, k, _ = w.shape
    out = tuple((input_xy[a] + 2 * padding[a] - k) // stride[a] + 1 for a in (0, 1))
    dests = [Destination(layer=d[0], enable=True, pooling=d[1], feature_shift=d[2]) for d in to]
    dests += [Destination()] * (2 - len(dests))
    init = np.zeros((f,) + out, dtype=np.int64) if initial is None else np.asarray(initial, dtype=np.int64)
    return CnnCore(
        weights=w,
        biases=np.zeros(f, dtype=np.int64),
        neurons_initial_value=init,
        threshold_high=threshold_high,
        threshold_low=threshold_low,
        return_to_zero=return_to_zero,
        monitor_enable=monitor,
        destinations=tuple(dests),
        dimensions=Dimensions(
            input_shape=IOShape(c, Vec2(*input_xy)),
            output_shape=IOShape(f, Vec2(*out)),
            padding=Vec2(*padding),
            stride=Vec2(*stride),
            kernel_size=k,
        ),
        **extra,
    )


def config(
    cores: Dict[int, CnnCore],
    input_shape=None,
    input_cores=(0,),
    dvs: Optional[DvsLayer] = None,
    names: Optional[Dict[int, str]] = None,
) -> Config:
    """A Config around ``cores``; spike input into ``input_cores`` unless ``dvs`` is given."""
    first = cores[input_cores[0]] if dvs is None else None
    if input_shape is None and first is not None:
        d = first.dimensions.input_shape
        input_shape = (d.feature_count, d.size.y, d.size.x)
    if dvs is None:
        record = InputRecord(kind="spikes", shape=tuple(input_shape), cores=tuple(input_cores))
    else:
        record = InputRecord(kind="dvs", shape=tuple(input_shape or (2, 128, 128)))
    names = names or {n: f"L{n}" for n in cores}
    layers = []
    for n in sorted(cores):
        d = cores[n].dimensions
        layers.append(
            LayerRecord(
                name=names[n],
                core=n,
                input_shape=(d.input_shape.feature_count, d.input_shape.size.y, d.input_shape.size.x),
                output_shape=(d.output_shape.feature_count, d.output_shape.size.y, d.output_shape.size.x),
                memory=Memory(0, 0, 0),
                scale=1.0,
                threshold_high=cores[n].threshold_high,
                threshold_low=cores[n].threshold_low,
                monitor=cores[n].monitor_enable,
                sources=("input",),
            )
        )
    header = Header(
        name="test",
        target="speck2fdevkit",
        chip="speck2f",
        dynapspec_version="0",
        spec_version=1,
        spec_file="test.yaml",
        spec_sha256="0" * 64,
        weights_file=None,
        weights_sha256={},
        input=record,
        layers=tuple(layers),
    )
    all_cores = tuple(cores.get(n, CnnCore()) for n in range(9))
    return Config(header, ChipConfig(cnn_layers=all_cores, dvs_layer=dvs or DvsLayer()))


def dvs_layer(to=(0,), **fields) -> DvsLayer:
    dests = [DvsDestination(layer=n, enable=True) for n in to]
    dests += [DvsDestination()] * (2 - len(dests))
    return DvsLayer(destinations=tuple(dests), **fields)


class Reference:
    """docs/chip.md §9, literally. ``run`` returns (output rows, counts per core)."""

    def __init__(self, cfg: Config):
        self.cfg = cfg
        self.cores = cfg.chip.cnn_layers
        self.v = {}
        for n, c in enumerate(self.cores):
            if c.weights.size:
                d = c.dimensions.output_shape
                init = c.neurons_initial_value
                self.v[n] = init.astype(int).tolist() if init.size else np.zeros((d.feature_count, d.size.x, d.size.y), int).tolist()

    def run(self, events, monitored, monitor_dvs=False):
        self.out, self.counts, self.monitored = [], {n: 0 for n in self.v}, set(monitored)
        for e in events:
            self.t = int(e["t"])
            if self.cfg.header.input.kind == "dvs":
                self.dvs_event(int(e["x"]), int(e["y"]), int(e["p"]), monitor_dvs)
            else:
                for n in self.cfg.header.input.cores:
                    self.deliver(n, int(e["c"]), int(e["x"]), int(e["y"]))
        return self.out, self.counts

    def dvs_event(self, x, y, p, monitor):
        d = self.cfg.chip.dvs_layer
        if p == 1 and not d.on_channel or p == 0 and not d.off_channel:
            return
        c = 0 if d.merge else p
        x, y = x // d.pooling.x, y // d.pooling.y
        if not (d.origin.x <= x <= d.cut.x and d.origin.y <= y <= d.cut.y):
            return
        x, y = x - d.origin.x, y - d.origin.y
        if d.mirror.x:
            x = d.cut.x - d.origin.x - x
        if d.mirror.y:
            y = d.cut.y - d.origin.y - y
        if d.mirror_diagonal:
            x, y = y, x
        self.counts["dvs"] = self.counts.get("dvs", 0) + 1
        if monitor:
            self.out.append((self.t, 13, c, x, y))
        for dest in d.destinations:
            if dest.enable and dest.layer != 12:
                self.deliver(dest.layer, c, x, y)

    def deliver(self, n, c, x, y):
        core = self.cores[n]
        dims = core.dimensions
        k = dims.kernel_size
        v = self.v[n]
        for oy in range(dims.output_shape.size.y):
            for ox in range(dims.output_shape.size.x):
                i = x + dims.padding.x - ox * dims.stride.x
                j = y + dims.padding.y - oy * dims.stride.y
                if not (0 <= i < k and 0 <= j < k):
                    continue
                for f in range(dims.output_shape.feature_count):
                    if core.weights_kill_bit is not None and core.weights_kill_bit[f][c][i][j]:
                        continue
                    if core.neurons_value_kill_bit is not None and core.neurons_value_kill_bit[f][ox][oy]:
                        continue
                    value = min(32767, max(-32768, v[f][ox][oy] + int(core.weights[f][c][i][j])))
                    fired = value >= core.threshold_high
                    if fired:
                        value = 0 if core.return_to_zero else value - core.threshold_high
                    v[f][ox][oy] = max(value, core.threshold_low)
                    if fired:
                        self.spike(n, f, ox, oy)

    def spike(self, n, f, x, y):
        self.counts[n] += 1
        if n in self.monitored:
            self.out.append((self.t, n, f, x, y))
        for d in self.cores[n].destinations:
            if d.enable and d.layer != 12:
                target = self.cores[d.layer].dimensions.input_shape
                c, xx, yy = f + d.feature_shift, x // d.pooling, y // d.pooling
                if c < target.feature_count and xx < target.size.x and yy < target.size.y:
                    self.deliver(d.layer, c, xx, yy)


def rows(result) -> list:
    """A RunResult's output as (t, core, c, x, y) tuples, for comparison with the reference."""
    o = result.output
    return [tuple(int(v) for v in r) for r in zip(o["t"], o["core"], o["c"], o["x"], o["y"])]


# ---------------------------------------------------------------- the two kernels

KERNELS = ("python", "compiled")


@contextmanager
def using_kernel(name: str):
    """Run Simulators with the compiled kernel (skips the test where it was not built) or plain Python."""
    if name == "compiled" and not sim_kernel.COMPILED:
        pytest.skip(f"no compiled kernel: {sim_kernel.FALLBACK_REASON}")
    saved = sim_kernel.run_events
    sim_kernel.run_events = sim_kernel.compiled_run if name == "compiled" else sim_kernel.run
    try:
        yield name
    finally:
        sim_kernel.run_events = saved


@pytest.fixture(params=KERNELS)
def each_kernel(request):
    """Import into a test module (with ``pytestmark = pytest.mark.usefixtures("each_kernel")``) to
    run each of its tests on both kernels."""
    with using_kernel(request.param) as name:
        yield name
