"""Write NIR files for tests the way other tools do, independently of dynapspec's own writer.

``graph`` maps node names to dicts: ``{"type": "Conv2d", "weight": ..., ...}``; a node of type
NIRGraph carries ``nodes`` and ``edges`` of its own. Options reproduce other writers' habits:
the version string, gzip compression of arrays, leaving ``v_reset`` out (nir < 1.0.6).
"""
from __future__ import annotations

import h5py
import numpy as np


def _write_graph(group, nodes, edges, compression):
    group.create_dataset("type", data=b"NIRGraph")
    group.create_dataset("edges", data=np.array([[a.encode(), b.encode()] for a, b in edges], dtype=object).reshape(-1, 2),
                         dtype=h5py.string_dtype())
    node_group = group.create_group("nodes")
    for name, spec in nodes.items():
        g = node_group.create_group(name)
        if spec["type"] == "NIRGraph":
            _write_graph(g, spec["nodes"], spec["edges"], compression)
            continue
        g.create_dataset("type", data=spec["type"].encode())
        for key, value in spec.items():
            if key == "type":
                continue
            if key == "metadata":
                meta = g.create_group("metadata")
                for mk, mv in value.items():
                    meta.create_dataset(mk, data=mv)
                continue
            if isinstance(value, str):
                g.create_dataset(key, data=value.encode())
                continue
            arr = np.asarray(value)
            options = {"compression": compression} if compression and arr.ndim else {}
            g.create_dataset(key, data=arr, **options)


def write_nir(path, nodes, edges, version="1.0.8", compression=None):
    with h5py.File(path, "w") as f:
        f.create_dataset("version", data=version.encode())
        _write_graph(f.create_group("node"), nodes, edges, compression)
    return path


# -- node builders (NIR parameter layouts) ----------------------------------------------------

def inp(*shape):
    return {"type": "Input", "shape": np.array(shape)}


def out(*shape):
    return {"type": "Output", "shape": np.array(shape)}


def conv(weight, stride=1, padding=0, dilation=1, groups=1, bias=None, input_shape=None):
    node = {"type": "Conv2d", "weight": np.asarray(weight, dtype=np.float32),
            "stride": np.array([stride, stride]) if np.isscalar(stride) else np.array(stride),
            "padding": padding if isinstance(padding, str) else (
                np.array([padding, padding]) if np.isscalar(padding) else np.array(padding)),
            "dilation": np.array([dilation, dilation]), "groups": np.array(groups),
            "bias": np.zeros(weight.shape[0], np.float32) if bias is None else np.asarray(bias, np.float32)}
    if input_shape is not None:
        node["input_shape"] = np.array(input_shape)
    return node


def linear(weight):
    return {"type": "Linear", "weight": np.asarray(weight, dtype=np.float32)}


def affine(weight, bias=None):
    weight = np.asarray(weight, dtype=np.float32)
    return {"type": "Affine", "weight": weight,
            "bias": np.zeros(weight.shape[0], np.float32) if bias is None else np.asarray(bias, np.float32)}


def if_(shape, threshold=1.0, r=1.0, v_reset=0.0, with_reset=True, metadata=None):
    node = {"type": "IF", "r": np.full(shape, r, np.float32), "v_threshold": np.full(shape, threshold, np.float32)}
    if with_reset:
        node["v_reset"] = np.full(shape, v_reset, np.float32)
    if metadata:
        node["metadata"] = metadata
    return node


def sumpool(k, stride=None, padding=0):
    kernel = np.array([k, k]) if np.isscalar(k) else np.array(k)
    return {"type": "SumPool2d", "kernel_size": kernel,
            "stride": kernel if stride is None else np.array([stride, stride]), "padding": np.array([padding, padding])}


def avgpool(k):
    return dict(sumpool(k), type="AvgPool2d")


def scale(shape, value):
    return {"type": "Scale", "scale": np.full(shape, value, np.float32)}


def flatten(*input_shape):
    return {"type": "Flatten", "start_dim": np.array(0), "end_dim": np.array(-1), "input_type": np.array(input_shape)}


def chain(*names):
    return [(a, b) for a, b in zip(names, names[1:])]


def small_cnn(rng, threshold=1.0, with_reset=True, pool=None):
    """input 2x16x16 -> conv 4 k3 p1 -> IF -> [pool] -> flatten -> linear 10 -> IF -> output."""
    w1 = rng.normal(size=(4, 2, 3, 3)).astype(np.float32)
    hw = 16 // 2 if pool else 16
    w2 = rng.normal(size=(10, 4 * hw * hw)).astype(np.float32)
    nodes = {
        "input": inp(2, 16, 16),
        "conv": conv(w1, padding=1),
        "spk1": if_((4, 16, 16), threshold, with_reset=with_reset),
        "flat": flatten(4, hw, hw),
        "fc": linear(w2),
        "spk2": if_((10,), threshold, with_reset=with_reset),
        "output": out(10),
    }
    names = ["input", "conv", "spk1"]
    if pool:
        nodes.update(pool)
        names += list(pool)
    names += ["flat", "fc", "spk2", "output"]
    return nodes, chain(*names)
