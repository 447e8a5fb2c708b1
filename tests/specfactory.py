"""Build Spec objects in code, for compiler tests that should not depend on YAML parsing."""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from dynapspec.spec.build import xy
from dynapspec.spec.model import (
    Conv,
    Dense,
    Edge,
    ExternalInput,
    LayerSpec,
    Locator,
    Neuron,
    PoolStep,
    Spec,
)


def conv(name, channels, kernel, weight, stride=1, padding=0, to=None, pool=(), threshold=1.0, low=None,
         reset="subtract", monitor=None, core=None, quantize=True, merge="concat"):
    return dict(name=name, op=Conv(channels, kernel, xy(stride), xy(padding)), weight=weight, to=to, pool=pool,
                neuron=Neuron(threshold, low, reset), monitor=monitor, core=core, quantize=quantize, merge=merge)


def dense(name, features, weight, to=None, pool=(), threshold=1.0, low=None, reset="subtract", monitor=None,
          core=None, quantize=True, order="chw"):
    return dict(name=name, op=Dense(features, order), weight=weight, to=to, pool=pool,
                neuron=Neuron(threshold, low, reset), monitor=monitor, core=core, quantize=quantize, merge="concat")


def _pool(p):
    if isinstance(p, int):
        return (PoolStep(p, "sum"),)
    return tuple(s if isinstance(s, PoolStep) else PoolStep(*s) if isinstance(s, tuple) else PoolStep(s, "sum")
                 for s in p)


def make_spec(input_shape, layers: Sequence[dict], target="speck2fdevkit", input_to: Optional[list] = None,
              dvs=None) -> Spec:
    specs = []
    names = [layer["name"] for layer in layers]
    for i, layer in enumerate(layers):
        if layer["to"] is None:
            targets = [(names[i + 1], None)] if i + 1 < len(layers) else []
        else:  # a name, (name, shift) or (name, shift, pool of this edge)
            targets = [(t, None) if isinstance(t, str) else t for t in layer["to"]]
        edges = tuple(Edge(t[0], _pool(t[2] if len(t) > 2 else layer["pool"]), t[1], f"layers[{i}].to") for t in targets)
        specs.append(LayerSpec(
            name=layer["name"], index=i, op=layer["op"], neuron=layer["neuron"], edges=edges, merge=layer["merge"],
            monitor=layer["monitor"], core=layer["core"], quantize=layer["quantize"], weight_dataset=f"/{layer['name']}/weight",
            weight=np.asarray(layer["weight"], dtype=np.float64), weight_sha256="0" * 64, path=f"layers[{i}]",
        ))
    first = input_to or [names[0]]
    entry = dvs if dvs is not None else ExternalInput(*input_shape, edges=tuple(Edge(t) for t in first))
    return Spec(1, "test", target, entry, tuple(specs), None, "net.yaml", "0" * 64, "net.h5",
                Locator("net.yaml", {f"layers[{i}]": (10 + i, 5) for i in range(len(layers))}))


def rand(*shape, seed=0):
    return np.random.default_rng(seed).normal(0, 0.1, size=shape)
