"""dynapspec's event-driven simulator against a time-stepped simulation of the same integer network.

What the reference toolchain (sinabs) computes for a chip network, stepped in plain torch on one
thread: per 1-ms step, conv2d of the step's input counts with the chip's integer weights, then
integrate-and-fire with subtract reset (as many spikes as thresholds crossed, sinabs' MultiSpike)
or reset to zero, and the low-threshold floor, then sum pooling
on the way to the next layer, all on integer-valued float tensors. Both run the reference LeNet
(benchmarks/reference_lenet, compiled by dynapspec: the same int8 weights and thresholds) on the
same seeded inputs of 100 steps at each input density; printed per density: input events, the
CPU time of each and torch / dynapspec (target, issue 9 goal 3: > 1 at every density up to 50 %).
The two differ slightly (per step against per synaptic update), so output spike counts are printed
as a sanity check, not compared.

Optional, never in CI: it needs torch, in an environment of its own, e.g.

    python3 -m venv /work/venv-torch && /work/venv-torch/bin/pip install torch==2.13.0 numpy h5py
    /work/venv-torch/bin/pip install -e .   # this checkout
    /work/venv-torch/bin/python benchmarks/bench_vs_reference.py [--densities 1 5 10 20 30 50]
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

import dynapspec
from dynapspec.events import raster_to_events
from dynapspec.sim import COMPILED, Simulator

HERE = Path(__file__).resolve().parent
STEP_US = 1000
STEPS = 100


class TimeStepped:
    """The compiled Config's cores as a chain of conv -> IF -> sum pool, stepped in torch."""

    def __init__(self, config):
        cores = config.chip.cnn_layers
        self.layers = []
        order = [record.core for record in config.header.layers]
        for n in order:
            core = cores[n]
            d = core.dimensions
            on = [dest for dest in core.destinations if dest.enable and dest.layer in order]
            assert len(on) <= 1 and not any(dest.feature_shift for dest in on), "a chain of cores only"
            assert d.padding.x == d.padding.y and d.stride.x == d.stride.y
            self.layers.append(dict(
                weight=torch.tensor(np.asarray(core.weights).transpose(0, 1, 3, 2), dtype=torch.float32),  # [f][c][y][x]
                padding=d.padding.x, stride=d.stride.x, high=float(core.threshold_high),
                low=float(core.threshold_low), to_zero=core.return_to_zero, pool=on[0].pooling if on else 1,
                shape=(d.output_shape.feature_count, d.output_shape.size.y, d.output_shape.size.x),
            ))  # fmt: skip

    @torch.no_grad()
    def run(self, raster: torch.Tensor) -> int:
        """raster: (T, C, H, W) input counts per step; returns the last layer's spikes."""
        v = [torch.zeros((1,) + layer["shape"]) for layer in self.layers]
        out = 0
        for x in raster:
            x = x.unsqueeze(0)
            for i, layer in enumerate(self.layers):
                v[i] += F.conv2d(x, layer["weight"], padding=layer["padding"], stride=layer["stride"])
                if layer["to_zero"]:
                    x = (v[i] >= layer["high"]).float()
                    v[i] = v[i] * (1 - x)
                else:  # as many spikes as thresholds crossed in the step (sinabs' MultiSpike)
                    x = torch.clamp(torch.floor(v[i] / layer["high"]), min=0)
                    v[i] = v[i] - x * layer["high"]
                v[i].clamp_(min=layer["low"])
                if layer["pool"] > 1:  # sum pooling: spikes routed to (x // p, y // p)
                    x = F.avg_pool2d(x, layer["pool"]) * layer["pool"] ** 2
            out += int(x.sum())
        return out


def cpu_seconds(func, repeat: int):
    best, value = float("inf"), None
    for _ in range(repeat):
        t0 = time.process_time()
        value = func()
        best = min(best, time.process_time() - t0)
    return best, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--densities", nargs="+", type=float, default=[1, 5, 10, 20, 30, 50], help="input density, %%")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each; the best is kept")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    config = dynapspec.compile(HERE / "reference_lenet" / "net.yaml")
    stepped, sim = TimeStepped(config), Simulator(config)
    shape = tuple(config.header.input.shape)
    print(f"reference_lenet, {STEPS} steps of 1 ms on {shape[1]}x{shape[2]}; torch {torch.__version__} on 1 thread; "
          f"dynapspec kernel {'compiled' if COMPILED else 'plain Python'}; CPU time, best of {args.repeat}")  # fmt: skip
    print(f"{'density':>8} {'events':>8} {'torch ms':>9} {'dynapspec ms':>13} {'torch/dynapspec':>16} "
          f"{'out spikes torch':>17} {'dynapspec':>10}")  # fmt: skip
    for density in args.densities:
        raster = (np.random.default_rng(4).random((STEPS,) + shape) < density / 100).astype(np.int32)
        events = raster_to_events(raster, STEP_US)
        frames = torch.tensor(raster, dtype=torch.float32)
        t_torch, out_torch = cpu_seconds(lambda frames=frames: stepped.run(frames), args.repeat)

        def simulate(events=events):
            sim.reset()
            return sim.run(events).spike_counts[config.header.layers[-1].name]

        t_sim, out_sim = cpu_seconds(simulate, args.repeat)
        print(f"{density:7g}% {len(events):8,} {t_torch * 1e3:9.1f} {t_sim * 1e3:13.1f} {t_torch / t_sim:15.1f}x "
              f"{out_torch:17,} {out_sim:10,}")  # fmt: skip


if __name__ == "__main__":
    main()
