"""One exception hierarchy and the registry of stable diagnostic codes.

Every problem a user can cause is a :class:`Diagnostic`: a stable code, a message that says what
was found and what the chip allows, and a :class:`Location`. Errors travel in a
:class:`DynapspecError` (several at once where possible); warnings are returned alongside results.
The CLI turns an error into its lines and its exit status, never a traceback.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Iterable, Optional, Tuple, Type, TypeVar

# Exit statuses (as the README states them): 0 ok, 1 invalid input, 2 usage, 3 device or I/O failure,
# 70 internal error (a bug in dynapspec; 70 is EX_SOFTWARE of BSD sysexits.h, "an internal software
# error has been detected").
EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_DEVICE = 3
EXIT_INTERNAL = 70
EXIT_STATUSES = "0 ok, 1 invalid input, 2 command-line usage, 3 device or I/O failure, 70 internal error (a bug in dynapspec)"

# code -> (exit status when it is an error, one sentence for `dynapspec rules`)
CODES = {
    # reading files
    "file-not-found": (EXIT_INVALID, "An input file (spec, weights, events, config) does not exist or cannot be read."),
    "output-write": (EXIT_DEVICE, "An output file could not be written (nothing was changed)."),
    "file-type": (EXIT_INVALID, "An input path is not a regular file (a directory, FIFO, device or socket) or holds a NUL character."),
    "input-too-large": (EXIT_INVALID, "An input declares more data, objects or nesting than a limit allows; refused before reading (docs/limits.md: each limit, why, how to raise it)."),
    "hdf5-unsafe": (EXIT_INVALID, "An HDF5 file refers outside itself (external link, external raw storage, virtual dataset); dynapspec reads only self-contained files."),
    "limit-setting": (EXIT_USAGE, "An environment variable that raises a limit (DYNAPSPEC_MAX_...) is not a positive integer."),
    # YAML
    "yaml-syntax": (EXIT_INVALID, "The spec is not well-formed YAML."),
    "yaml-duplicate-key": (EXIT_INVALID, "A mapping repeats a key; YAML loaders would silently keep only the last one."),
    "yaml-ambiguous": (EXIT_INVALID, "A plain scalar that YAML 1.1 reads as something else (yes/no/on/off booleans, 1e3 as a string, 0777 octal); quote it or write the intended value."),
    "yaml-too-complex": (EXIT_INVALID, "The document uses too many aliases or nests too deeply (a guard against alias bombs)."),
    "yaml-tag": (EXIT_INVALID, "The document uses a YAML tag (!!python/... or a custom tag); only plain data is accepted."),
    # schema (structure of the spec)
    "spec-type": (EXIT_INVALID, "A value has the wrong type (e.g. a string where a number is required)."),
    "spec-unknown-key": (EXIT_INVALID, "A key the spec language does not define (extensions must start with 'x-')."),
    "spec-missing-key": (EXIT_INVALID, "A required key is missing."),
    "spec-invalid": (EXIT_INVALID, "A value does not match what the spec language allows at that place."),
    "spec-version": (EXIT_INVALID, "The spec declares a dynapspec language version this release does not read."),
    "unknown-target": (EXIT_INVALID, "The target board is not one dynapspec knows; `dynapspec devices --targets` lists them."),
    "bias-key": (EXIT_INVALID, "Biases are refused by policy: the chip runs them as a clock-driven leak, not as a per-event bias."),
    "kernel-range": (EXIT_INVALID, "Kernels are square, 1..16 on a side."),
    "stride-value": (EXIT_INVALID, "Strides are 1, 2, 4 or 8 on each axis."),
    "padding-range": (EXIT_INVALID, "Padding is 0..7 on each axis."),
    "pool-value": (EXIT_INVALID, "Pooling factors are 1, 2 or 4 (square on core edges, per axis in the DVS layer)."),
    "features-range": (EXIT_INVALID, "Feature (channel) counts are 1..1024."),
    "too-many-destinations": (EXIT_INVALID, "A layer (or the DVS layer) sends to at most two destinations."),
    "core-range": (EXIT_INVALID, "A core pin names a core that does not exist (cores are 0..8)."),
    "threshold-range": (EXIT_INVALID, "threshold_high must be >= 1 and threshold_low <= -1 (within int16 after quantization)."),
    # graph and shapes
    "duplicate-name": (EXIT_INVALID, "Two layers have the same name."),
    "unknown-layer": (EXIT_INVALID, "A destination names a layer that does not exist."),
    "self-loop": (EXIT_INVALID, "A layer sends to itself."),
    "cycle": (EXIT_INVALID, "The layer graph has a cycle; the chip supports only acyclic networks."),
    "unreachable": (EXIT_INVALID, "A layer receives nothing from the input, so it can never spike."),
    "too-many-layers": (EXIT_INVALID, "More layers than the chip has cores (9)."),
    "input-size": (EXIT_INVALID, "A layer's input map exceeds 128 on an axis (or is empty)."),
    "output-size": (EXIT_INVALID, "A layer's output map before pooling exceeds 64 on an axis (or is empty)."),
    "kernel-too-large": (EXIT_INVALID, "A kernel (with padding) is larger than the layer's input."),
    "dense-not-square": (EXIT_INVALID, "A dense layer after a non-square map runs as a square kernel of the longer side, padded on the short axis; refused when that padding or the kernel memory exceeds the chip's limits."),
    "fan-in-shape": (EXIT_INVALID, "Sources merging into one layer deliver different x/y sizes."),
    "feature-overlap": (EXIT_INVALID, "Sources of a merge fill overlapping feature ranges without `merge: add`, or sources added with `merge: add` differ in feature count."),
    "feature-shift-range": (EXIT_INVALID, "A feature shift puts a source's features outside 0..1023 (U05)."),
    "pool-product": (EXIT_INVALID, "Chained pooling on one edge must multiply to 1, 2 or 4."),
    "pool-scale-conflict": (EXIT_INVALID, "Sources with different average-pooling factors are added into the same channels; no single weight scale is exact."),
    "pool-remainder": (EXIT_INVALID, "A pooled edge drops the last rows/columns: the output size is not a multiple of the pooling factor (U04)."),
    "feature-gap": (EXIT_INVALID, "A concatenating merge leaves input features that no source fills (explicit feature shifts with gaps)."),
    "nothing-monitored": (EXIT_INVALID, "No layer is monitored (and no readout): a run sends nothing back to the host."),
    "pool-exit": (EXIT_INVALID, "Pooling on an exit edge is invisible to the host (monitored spikes are pre-pooling)."),
    "pool-input": (EXIT_INVALID, "Pooling before the first layer needs the DVS input layer."),
    "dvs-config": (EXIT_INVALID, "The DVS input layer settings are inconsistent (crop outside the sensor, polarity, ...)."),
    "readout-config": (EXIT_INVALID, "The readout settings do not fit the chip (classes, target without a readout)."),
    # weights
    "weights-file": (EXIT_INVALID, "The weight file is missing, unreadable or not HDF5."),
    "weights-missing": (EXIT_INVALID, "A layer's weight dataset is not in the weight file."),
    "weights-dtype": (EXIT_INVALID, "A weight dataset is not numeric."),
    "weights-shape": (EXIT_INVALID, "A weight dataset's shape differs from what the layer and its input imply."),
    "weights-nonfinite": (EXIT_INVALID, "A weight dataset holds NaN or infinity."),
    "weights-external": (EXIT_INVALID, "A weight dataset is an external link or uses external storage; dynapspec reads only self-contained files."),
    "weights-too-large": (EXIT_INVALID, "A weight dataset is larger than any layer could need; refused before reading."),
    "weights-not-integer": (EXIT_INVALID, "With `quantize: false`, weights must be integers within int8."),
    "weights-template": (EXIT_INVALID, "The weight file is a template written by `dynapspec weights --template` (zeros or random values), not trained weights; reported as a warning."),
    "bias-nonzero": (EXIT_INVALID, "A non-zero bias: the chip would run it as a clock-driven leak, not a bias; remove it or retrain without biases."),
    # quantization
    "quant-zero-weights": (EXIT_INVALID, "Many non-zero weights rounded to zero."),
    "quant-all-zero": (EXIT_INVALID, "All of a layer's weights rounded to zero: the layer would never fire."),
    "quant-threshold": (EXIT_INVALID, "A threshold collapsed or left its range after quantization."),
    "weight-above-threshold": (EXIT_INVALID, "|weight| >= threshold: one input can only fire a neuron once, so hardware and multi-spike simulations diverge."),
    # placement
    "layer-fits-no-core": (EXIT_INVALID, "A layer needs more kernel or neuron memory than any core has (or no core has both)."),
    "cores-contended": (EXIT_INVALID, "Several layers can only use the same few cores: more layers than cores that fit them."),
    "pin-invalid": (EXIT_INVALID, "A pinned layer does not fit its core, or two layers pin one core."),
    # configuration document
    "config-format": (EXIT_INVALID, "A configuration document is malformed or of an unsupported format version."),
    "config-stale": (EXIT_INVALID, "The committed configuration differs from what the spec compiles to."),
    # pictures
    "plot-missing": (EXIT_DEVICE, "matplotlib is not installed, and pictures need it: pip install 'dynapspec[plot]'."),
    # events
    "events-format": (EXIT_INVALID, "An event file or array has the wrong fields, types or layout."),
    "events-range": (EXIT_INVALID, "An event's coordinates or channel are outside the network's input."),
    "events-order": (EXIT_INVALID, "Event timestamps are negative or not sorted."),
    "sim-unsupported": (EXIT_INVALID, "The configuration uses a chip feature the simulator does not model (leak, output decimator, congestion balancer)."),
    # datasets and evaluation
    "dataset-format": (EXIT_INVALID, "A dataset (HDF5 dataset file, folder with labels.csv, or iterable of (events, label)) has the wrong layout."),
    "eval-output": (EXIT_INVALID, "The network's output layer cannot be decided on (several exit layers, no class features), or a label is not one of its classes."),
    "eval-float": (EXIT_INVALID, "The float model needs the spec (not a compiled config.json)."),
    "cluster": (EXIT_DEVICE, "The Dask cluster could not be reached, or dask.distributed is not installed (pip install 'dynapspec[cluster]')."),
    # NIR
    "nir-format": (EXIT_INVALID, "The file is not a readable NIR graph."),
    "nir-unsupported": (EXIT_INVALID, "A NIR node or parameter has no chip equivalent."),
    "nir-nonuniform": (EXIT_INVALID, "A NIR IF node has per-neuron thresholds that differ; a chip layer has one threshold."),
    "nir-graph": (EXIT_INVALID, "The NIR graph's edges do not form a chain of layers the chip can run (recurrence, dangling nodes)."),
    "nir-decision": (EXIT_INVALID, "An import choice a person should confirm (reset mode, folded parameters); reported as a warning."),
    # devices
    "samna-missing": (EXIT_DEVICE, "samna is not installed (or does not import); the message has the SDK's install command."),
    "samna-shim": (EXIT_DEVICE, "Only PyPI's samna installer shim is installed, not the SDK; the message has the install command."),
    "samna-version": (EXIT_DEVICE, "The installed samna lacks what this target needs."),
    "device-not-found": (EXIT_DEVICE, "No attached board matches the requested device."),
    "device-busy": (EXIT_DEVICE, "The board is held by another process."),
    "device-open": (EXIT_DEVICE, "samna could not open the board (USB or udev trouble); unplug and replug it."),
    "device-firmware": (EXIT_DEVICE, "samna refused the board's firmware: flash the firmware matching the samna version."),
    "device-timeout": (EXIT_DEVICE, "The board stopped answering samna (apply or open timed out): press its reset button or replug it."),
    "device-soft-reset": (EXIT_DEVICE, "Applying timed out once; the board was soft-reset (reset_board_soft) and the configuration applied again."),
    "device-lost": (EXIT_DEVICE, "The board stopped answering (unplugged?) during a run."),
    "device-rejected": (EXIT_DEVICE, "samna rejected the configuration."),
    "target-mismatch": (EXIT_DEVICE, "The board is not of the target the configuration was compiled for."),
    "device-string": (EXIT_USAGE, "A --device string is not of the form name[:index] (e.g. speck2fdevkit:0)."),
    "live-input": (EXIT_INVALID, "--live runs a board from its own sensor: the network's input must be the DVS layer, on a board with a sensor."),
    "samna-untested": (EXIT_DEVICE, "The installed samna is outside the releases the adapter follows; it may still work."),
    "monitor-pooled": (EXIT_DEVICE, "A monitored layer pools on its way out: the host sees its spikes before pooling."),
    "events-dropped": (EXIT_DEVICE, "The board's IO module dropped events (samna DroppedEventsNum): the output is incomplete."),
    "events-rebased": (EXIT_DEVICE, "The input starts late; the board played it from its first event and rebased the recorded times."),
    "slow-clock": (EXIT_USAGE, "The slow clock rate must be a whole number of Hz, at least 1."),
    "raw-dvs-input": (EXIT_INVALID, "Raw DVS events come from the DVS layer: the network's input must be the DVS layer."),
    "readout-monitor": (EXIT_DEVICE, "Readout monitoring is on: the chip then sends no CNN or DVS spikes to the host."),
    "run-not-quiet": (EXIT_DEVICE, "The board kept producing spikes after the input ended; the run was cut at its time limit."),
}


def explanations() -> dict:
    """code -> {severity, trigger, example, fix}, from ``data/diagnostics.yaml`` (``dynapspec explain``)."""
    global _EXPLANATIONS
    if _EXPLANATIONS is None:
        from importlib import resources

        import yaml

        text = resources.files(__package__).joinpath("data").joinpath("diagnostics.yaml").read_text(encoding="utf-8")
        _EXPLANATIONS = yaml.safe_load(text)
    return _EXPLANATIONS


_EXPLANATIONS = None


@dataclass(frozen=True)
class Location:
    """Where a problem is: file:line:column (1-based) when known, the JSON path, and the layer."""

    file: Optional[str] = None
    line: Optional[int] = None
    column: Optional[int] = None
    path: str = ""
    layer: Optional[str] = None

    def __str__(self) -> str:
        where = self.file or "<spec>"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return where

    def sort_key(self) -> tuple:
        return (self.file or "", self.line or 0, self.column or 0, self.path)


@dataclass(frozen=True)
class Diagnostic:
    code: str
    message: str
    location: Location = field(default_factory=Location)
    severity: str = "error"  # "error" | "warning"

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unregistered diagnostic code {self.code!r}")

    def render(self) -> str:
        """One line: ``net.yaml:12:7: error[kernel-range] layers[1].conv.kernel: ...``."""
        path = f" {self.location.path}:" if self.location.path else ""
        layer = self.location.layer
        named = f" layer {layer}:" if layer and layer not in self.message else ""
        return f"{self.location}: {self.severity}[{self.code}]{path}{named} {self.message}"

    def to_dict(self) -> dict:
        loc = self.location
        return {
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "file": loc.file,
            "line": loc.line,
            "column": loc.column,
            "path": loc.path,
            "layer": loc.layer,
        }


def reason(exc: BaseException) -> str:
    """An exception in a few words on one line, for a diagnostic message.

    OS errors give their reason (``Permission denied``); h5py's text spans lines and carries
    timestamps and addresses, so HDF5 errors give their innermost reason (``file signature not
    found``); anything else is its text with whitespace collapsed.
    """
    errno = getattr(exc, "errno", None)
    if errno:
        return os.strerror(errno)
    text = " ".join(str(exc).split())
    inner = re.search(r"\(([^()]+)\)\)*$", text)
    return inner.group(1) if inner else text or type(exc).__name__


def sort_diagnostics(diags: Iterable[Diagnostic]) -> Tuple[Diagnostic, ...]:
    return tuple(sorted(diags, key=lambda d: d.location.sort_key()))


_Error = TypeVar("_Error", bound="DynapspecError")


class DynapspecError(Exception):
    """Base of every error dynapspec raises on purpose; carries one or more diagnostics."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = sort_diagnostics(diagnostics)
        if not self.diagnostics:
            raise ValueError("an error needs at least one diagnostic")
        super().__init__("\n".join(d.render() for d in self.diagnostics))

    @classmethod
    def single(cls: Type[_Error], code: str, message: str, location: Optional[Location] = None) -> _Error:
        return cls([Diagnostic(code, message, location or Location())])

    @property
    def exit_status(self) -> int:
        return max(CODES[d.code][0] for d in self.diagnostics)


class DynapspecWarning(UserWarning):
    """A warning diagnostic, issued through Python's :mod:`warnings` by the Python API."""

    def __init__(self, diagnostic: "Diagnostic | str"):
        self.diagnostic = diagnostic if isinstance(diagnostic, Diagnostic) else None
        super().__init__(diagnostic.render() if isinstance(diagnostic, Diagnostic) else diagnostic)


class SpecError(DynapspecError):
    """The user's input (spec, weights, events, NIR) is invalid: exit status 1."""


class DeviceError(DynapspecError):
    """A board, samna or an output file failed: exit status 3."""


def error(code: str, message: str, location: Optional[Location] = None) -> Diagnostic:
    return Diagnostic(code, message, location or Location(), "error")


def warning(code: str, message: str, location: Optional[Location] = None) -> Diagnostic:
    return Diagnostic(code, message, location or Location(), "warning")
