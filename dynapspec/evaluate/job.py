"""One evaluation job, as every worker runs it: the network, its output classes, the engines.

A :class:`Job` is what is sent to workers once (process pool initializer, or scattered to a Dask
cluster); :func:`run_chunk` runs a chunk of samples on it. Each worker thread builds its engines
once per job and resets them before every sample, so a sample's result never depends on which
worker ran it or what ran before.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from ..config import Config
from ..errors import DynapspecError, Location, SpecError
from ..events import DVS_NAME, as_events
from ..compiler.network import Network
from .datasets import ChunkRef, Sample, Unreadable
from .decide import Classes, Verdict, decide
from .floatnet import FloatNetwork, output_window
from .trace import Trace


@dataclass(frozen=True, eq=False)
class Job:
    config: Config
    float_network: Optional[Network]  # lowered, not quantized; None: no float model
    output: str  # the layer whose spikes are classes
    classes: Classes
    rule: str
    key: str  # unique per evaluate() call: worker threads rebuild their engines when it changes
    one_layer_quantized: Tuple[Tuple[str, Network], ...] = ()  # (layer, float network with only it quantized)


@dataclass(frozen=True)
class SampleResult:
    index: int
    label: Optional[int]
    name: str
    events: int  # input events
    chip: Optional[Verdict]
    float: Optional[Verdict]
    error: Optional[str]  # why the sample could not be evaluated (then chip and float are None)
    one_layer_quantized: Tuple[Verdict, ...] = ()  # in Job.one_layer_quantized's order


Chunk = Union[ChunkRef, Sequence[Sample]]


def run_chunk(job: Job, chunk: Chunk) -> List[SampleResult]:
    """Evaluate a chunk of samples; a failing sample is recorded as failed, never raised."""
    engines = _engines(job)
    samples = chunk.load() if isinstance(chunk, ChunkRef) else chunk
    return [_run_sample(job, engines, sample) for sample in samples]


def chunk_indices(chunk: Chunk) -> Tuple[Tuple[int, str], ...]:
    """(index, name) of every sample of a chunk, to report them if the whole chunk is lost."""
    if isinstance(chunk, ChunkRef):
        return tuple((i, f"sample {i}") for i in chunk.indices)
    return tuple((s.index, s.name) for s in chunk)


_local = threading.local()


def _engines(job: Job):
    """(simulator, float model, one-layer-quantized models) for this thread, built once per job."""
    if getattr(_local, "key", None) != job.key:
        from ..sim import Simulator

        _local.engines = (
            Simulator(job.config),
            FloatNetwork(job.float_network, job.output) if job.float_network is not None else None,
            tuple(FloatNetwork(network, job.output) for _, network in job.one_layer_quantized),
        )
        _local.key = job.key
    return _local.engines


def _run_sample(job: Job, engines, sample: Sample) -> SampleResult:
    sim, float_model, variants = engines
    source = sample.name or f"sample {sample.index}"
    label = sample.label
    try:
        if isinstance(sample.events, Unreadable):
            raise SpecError.single("dataset-format", sample.events.why, Location(source))
        label = _check_label(label, job.classes, source)
        sim.reset()
        result = sim.run(sample.events, monitor="all", source=source)
        start = _start(sample.events)
        chip = decide(_chip_trace(job, result, sample.events), job.classes, job.rule, start)
        floated = None
        if float_model is not None:
            floated = decide(float_model.run(sample.events, source), job.classes, job.rule, start)
        ablation = tuple(decide(model.run(sample.events, source), job.classes, job.rule, start) for model in variants)
        return SampleResult(sample.index, label, sample.name, result.input_count, chip, floated, None, ablation)
    except DynapspecError as exc:
        return SampleResult(sample.index, _plain(label), sample.name, 0, None, None, str(exc))
    except Exception as exc:  # noqa: BLE001 - one broken sample must not stop a long run
        return SampleResult(sample.index, _plain(label), sample.name, 0, None, None, f"{type(exc).__name__}: {exc}")


def _plain(label) -> Optional[int]:
    try:
        return int(label)
    except (TypeError, ValueError):
        return None


def _check_label(label, classes: Classes, source: str) -> int:
    value = _plain(label)
    if value is None or value != label or not 0 <= value < classes.count:
        raise SpecError.single(
            "eval-output", f"label {label!r} is not a class of the output layer (0..{classes.count - 1})", Location(source)
        )
    return value


def _start(events) -> int:
    t = events["t"]
    return int(t[0]) if len(t) else 0


def _chip_trace(job: Job, result, events) -> Trace:
    out = result.layers[job.output]
    spikes = sum(count for name, count in result.spike_counts.items() if name != DVS_NAME)
    return Trace(out["t"], out["c"].astype(np.int64), int(spikes), synaptic_ops(job.config, result.layers, events))


def synaptic_ops(config: Config, layers: Dict[str, np.ndarray], events) -> int:
    """Neuron updates on the chip: for every event entering a core, kernel positions x features.

    Counted from the host's events, the monitored spikes of every layer (``monitor="all"``) and
    the configuration's geometry: the spikes a core sends are pooled on their way, dropped outside
    the destination's input (U04), and each lands on the output positions whose kernel window
    covers it.
    """
    from .. import chips

    cores = config.chip.cnn_layers
    name_of = {record.core: record.name for record in config.header.layers}
    readout = chips.profile(config.header.target).readout_layer
    total = 0
    entering: List[Tuple[int, np.ndarray, np.ndarray]] = []  # (core, x, y) of events entering it
    if config.header.input.kind == "spikes":
        host = as_events(events, "spikes")
        entering += [(core, host["x"], host["y"]) for core in config.header.input.cores]
    elif DVS_NAME in layers:
        dvs = layers[DVS_NAME]
        entering += [(d.layer, dvs["x"], dvs["y"]) for d in config.chip.dvs_layer.destinations if d.enable]
    for n, name in name_of.items():
        spikes = layers.get(name)
        if spikes is None or not len(spikes):
            continue
        for d in cores[n].destinations:
            if d.enable and d.layer != readout:
                entering.append((d.layer, spikes["x"] // d.pooling, spikes["y"] // d.pooling))
    for core, x, y in entering:
        total += _updates(cores[core].dimensions, x.astype(np.int64), y.astype(np.int64))
    return total


def _updates(dims, x: np.ndarray, y: np.ndarray) -> int:
    """Sum over events of (output x positions) * (output y positions) * features; outside-input events add 0."""
    inside = (x < dims.input_shape.size.x) & (y < dims.input_shape.size.y)
    k = dims.kernel_size
    nx = _positions(x[inside] + dims.padding.x, k, dims.stride.x, dims.output_shape.size.x)
    ny = _positions(y[inside] + dims.padding.y, k, dims.stride.y, dims.output_shape.size.y)
    return int(np.sum(nx * ny)) * dims.output_shape.feature_count


def _positions(position: np.ndarray, kernel: int, stride: int, size: int) -> np.ndarray:
    low, high = output_window(position, kernel, stride, size)
    return np.maximum(high - low + 1, 0)
