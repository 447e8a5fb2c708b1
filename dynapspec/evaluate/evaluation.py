"""``evaluate(network, dataset)``: every sample through the chip simulator (and the float model).

The stages: resolve the network (spec or compiled config) and its output classes -> open the
dataset -> run chunks of samples on a backend (this process, local processes, a Dask cluster) ->
collect the per-sample verdicts by index -> an :class:`Evaluation` with the summaries.
"""
from __future__ import annotations

import builtins
import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Optional, Tuple, Union

from .. import chips
from ..config import Config
from ..errors import DeviceError, Location, SpecError
from ..compiler.network import Network
from ..spec.model import Spec
from . import runner
from .datasets import FileDataset, IterableDataset, has_length, open_dataset
from .decide import RULES, Classes
from .job import Job, SampleResult
from .metrics import Summary, agreement, summarise

DEFAULT_CHUNK = 16  # samples per task: a few ms to 100 ms of work, so task overhead stays small


@dataclass(frozen=True, eq=False)
class Evaluation:
    network: str
    dataset: str
    rule: str
    output: str  # the layer whose features are the classes
    classes: Classes
    class_names: Tuple[str, ...]
    samples: Tuple[SampleResult, ...]  # by index; a partial run may have gaps
    total: Optional[int]  # samples in the dataset (None: an iterable of unknown length)
    partial: bool  # interrupted: not every sample ran
    backend: str
    seconds: float  # wall-clock time of the run (compilation excluded)
    quantized_layers: Tuple[str, ...] = ()  # per_layer: the layers quantized one at a time
    chip: Summary = field(init=False)
    float: Optional[Summary] = field(init=False)
    per_layer: Tuple[Tuple[str, Summary], ...] = field(init=False)  # float model with only that layer quantized

    def __post_init__(self):
        count = self.classes.count
        object.__setattr__(self, "chip", summarise(self.samples, lambda s: s.chip, count))
        has_float = any(s.float is not None for s in self.samples)
        object.__setattr__(self, "float", summarise(self.samples, lambda s: s.float, count) if has_float else None)
        per_layer = tuple(
            (name, summarise(self.samples, lambda s, i=i: s.one_layer_quantized[i] if s.error is None else None, count))
            for i, name in enumerate(self.quantized_layers)
        )
        object.__setattr__(self, "per_layer", per_layer)

    @property
    def failed(self) -> Tuple[SampleResult, ...]:
        return tuple(s for s in self.samples if s.error is not None)

    @property
    def agreement(self) -> Optional[builtins.float]:  # builtins: the field `float` shadows the type here
        return agreement(self.samples)


def evaluate(
    network: Union[str, Path, Spec, Config],
    dataset,
    *,
    rule: str = "count",
    output: Optional[str] = None,
    float_model: bool = False,
    per_layer: bool = False,
    workers: Optional[int] = None,
    client=None,
    scheduler: Optional[str] = None,
    chunk_size: int = DEFAULT_CHUNK,
    labels: Optional[Union[str, Path]] = None,
    shared_files: bool = False,
    progress: Optional[Callable[[int, Optional[int]], None]] = None,
) -> Evaluation:
    """Evaluate ``network`` (net.yaml, config.json, a loaded Spec or a Config) on ``dataset``.

    ``float_model``: also run the float model; ``per_layer``: also the float model with one layer
    at a time quantized (what each layer's quantization costs; implies ``float_model``).
    ``dataset``: a ``dynapspec-dataset`` HDF5 file, a folder of event files with ``labels.csv``
    (or ``labels=``), or any iterable of ``(events, label)`` (a tonic dataset works as it is).
    ``workers``: local processes (default: every core); ``client``/``scheduler``: a Dask cluster
    instead; there the calling process reads the dataset and sends the events, unless
    ``shared_files`` says every worker sees the dataset's files at the same path (then workers read
    their own chunks, as local workers always do). ``progress(done, total)`` is called as chunks
    finish. Ctrl-C returns what finished, marked ``partial``.
    """
    if rule not in RULES:
        raise SpecError.single("eval-output", f"unknown decision rule {rule!r}; choose one of {', '.join(RULES)}")
    if chunk_size < 1 or (workers is not None and workers < 1):
        raise SpecError.single("eval-output", "workers and chunk size must be at least 1")
    job = _job(network, rule, output, float_model or per_layer, per_layer)
    data = open_dataset(dataset, labels)
    total = len(data) if has_length(data) else None
    owned, backend = _backend(job, client, scheduler, workers, total, chunk_size)
    by_reference = isinstance(data, FileDataset) and (shared_files or not isinstance(backend, runner.DaskCluster))
    chunks = data.refs(chunk_size) if by_reference else _loaded(data, chunk_size)  # type: ignore[union-attr]  # by reference: a FileDataset
    done = [0]

    def advance(count: int) -> None:
        done[0] += count
        if progress is not None:
            progress(done[0], total)

    start = time.perf_counter()
    try:
        outcome = runner.run(backend, chunks, window=backend.window, progress=advance)
    finally:
        if owned is not None:
            owned.close()
    seconds = time.perf_counter() - start
    samples = tuple(outcome.results[i] for i in sorted(outcome.results))
    return Evaluation(
        network=job.config.header.name,
        dataset=_describe(dataset),
        rule=rule,
        output=job.output,
        classes=job.classes,
        class_names=tuple(getattr(data, "class_names", ())),
        samples=samples,
        total=total,
        partial=outcome.interrupted,
        backend=backend.description,
        seconds=seconds,
        quantized_layers=tuple(name for name, _ in job.one_layer_quantized),
    )


def _loaded(data, size: int):
    """Chunks as lists of samples (read here), for iterables and for a cluster that may not see our files."""
    if isinstance(data, IterableDataset):
        yield from data.chunks(size)
        return
    for ref in data.refs(size):
        yield ref.load()


def _backend(job: Job, client, scheduler, workers, total, chunk_size):
    """(a client we opened and must close, or None; the backend)."""
    if client is not None or scheduler is not None:
        owned = None
        if client is None:
            owned = client = _connect(scheduler)
        return owned, runner.DaskCluster(job, client)
    if workers is None:
        workers = runner.local_cores()
    if total is not None:
        workers = max(1, min(workers, -(-total // chunk_size)))
    if workers == 1:
        return None, runner.InProcess(job)
    return None, runner.LocalProcesses(job, workers)


def _connect(address: str):
    try:
        from distributed import Client
    except ImportError:
        raise DeviceError.single(
            "cluster", "running on a Dask cluster needs dask.distributed: pip install 'dynapspec[cluster]'", Location("--scheduler")
        ) from None
    try:
        return Client(address, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise DeviceError.single("cluster", f"cannot reach the Dask scheduler at {address}: {exc}", Location("--scheduler")) from None


def _describe(dataset) -> str:
    if isinstance(dataset, (str, Path)):
        return str(dataset)
    return type(dataset).__name__


# ---------------------------------------------------------------- the job


def _job(network, rule: str, output: Optional[str], float_model: bool, per_layer: bool = False) -> Job:
    from ..compiler import compile_spec, load_network
    from ..compiler.lower import lower

    float_network: Optional[Network] = None
    source: Union[Spec, Path, None] = None
    variants: Tuple[Tuple[str, Network], ...] = ()
    if isinstance(network, Config):
        config = network
    elif not isinstance(network, Spec) and Path(network).suffix.lower() == ".json":
        source = Path(network)
        config = load_network(source)
    else:
        source = network if isinstance(network, Spec) else Path(network)
        compiled = compile_spec(source)
        config = compiled.config
        if float_model:
            float_network, _ = lower(compiled.spec, config.header.target)
        if per_layer:
            assert float_network is not None, "per_layer implies float_model"
            variants = _one_layer_quantized(float_network, compiled.network)
    if float_model and float_network is None:
        raise SpecError.single(
            "eval-float",
            "the float model runs the spec's float weights: give net.yaml, not a compiled configuration",
            Location(str(source) if isinstance(source, Path) else "<config>"),
        )
    output = _output_layer(config, output)
    classes = _classes(config, output, rule)
    return Job(config, float_network, output, classes, rule, uuid.uuid4().hex, variants)


def _one_layer_quantized(float_network: Network, quantized: Network) -> Tuple[Tuple[str, Network], ...]:
    """For each layer, the float network with that layer's integer weights and thresholds.

    Integers, not integers / scale: a layer's spikes do not change when its weights and thresholds
    are scaled together, and integers are exact in float64, so the layer fires exactly as on the
    chip (without 16-bit saturation) while every other layer keeps its float weights.
    """
    variants = []
    for layer in float_network.layers:
        q = quantized.layer(layer.name)
        chip_layer = replace(layer, weight=q.weight, threshold_high=q.threshold_high, threshold_low=q.threshold_low)
        layers = tuple(chip_layer if other.name == layer.name else other for other in float_network.layers)
        variants.append((layer.name, replace(float_network, layers=layers)))
    return tuple(variants)


def _destinations(config: Config, name: str):
    return [d for d in config.chip.cnn_layers[config.core_of(name)].destinations if d.enable]


def _output_layer(config: Config, wanted: Optional[str]) -> str:
    readout = chips.profile(config.header.target).readout_layer
    names = [record.name for record in config.header.layers]
    exits = [n for n in names if all(d.layer == readout for d in _destinations(config, n))]
    if wanted is not None:
        if wanted not in names:
            raise SpecError.single(
                "eval-output", f"no layer {wanted!r}; the network has {', '.join(names)}", Location("--output-layer")
            )
        return wanted
    if len(exits) == 1:
        return exits[0]
    raise SpecError.single(
        "eval-output",
        f"the network has {len(exits)} exit layers ({', '.join(exits)}); name the one whose features are the classes "
        "with --output-layer (Python: output=)",
        Location("--output-layer"),
    )


def _classes(config: Config, output: str, rule: str) -> Classes:
    profile = chips.profile(config.header.target)
    features = config.layer(output).output_shape[0]
    readout = config.chip.readout
    feeds_readout = readout is not None and any(d.layer == profile.readout_layer for d in _destinations(config, output))
    if rule == "readout" and not feeds_readout:
        raise SpecError.single(
            "eval-output", f"the readout rule needs a network whose {output} feeds the readout (spec key `readout:`)", Location("--rule")
        )
    if feeds_readout:
        stride = profile.readout_channel_stride
        return Classes((features - 1) // stride + 1, stride, readout.threshold)  # type: ignore[union-attr]  # feeds_readout: not None
    return Classes(features)
