"""What a user reads to decide what to shrink: layers, core use and edges of a spec.

A network that compiles gets its layers (shapes, kernel, memory, core, the cores it fits, scale,
thresholds), each core's use against its capacity, and its edges. A network that does not compile
gets the same rows for every layer that can be lowered (shapes and memory need no weights, so a
missing or wrong weight file does not hide them), each marked with the problems found at it, and
every error. `dynapspec summary` prints :meth:`Summary.text`; ``dynapspec.summary()`` returns it.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import List, Optional, Sequence, Tuple, Union

from . import chips
from .errors import Diagnostic, SpecError
from .memory import Memory

Shape = Tuple[int, int, int]


@dataclass(frozen=True)
class LayerRow:
    name: str
    input_shape: Optional[Shape]  # None: not lowered (an error at or before it)
    output_shape: Optional[Shape]  # before pooling
    kernel: str  # "5x5", with stride and padding (x,y) when not 1 and 0: "9x9 p0,2"
    memory: Optional[Memory]
    core: Optional[int]  # None: not placed
    fits: Tuple[int, ...]  # every core whose memory holds the layer
    scale: Optional[float] = None
    threshold_high: Optional[int] = None
    threshold_low: Optional[int] = None
    monitor: Optional[bool] = None
    problems: Tuple[str, ...] = ()  # diagnostic codes of the errors found at this layer


@dataclass(frozen=True)
class CoreRow:
    core: int
    layer: Optional[str]
    used: Optional[Memory]
    capacity: Memory


@dataclass(frozen=True)
class EdgeRow:
    source: str  # "input", "dvs" or a layer
    target: str  # a layer, or "readout"
    pooling: str  # "-", "sum 2", "sum 2 then avg 2 (= 4)"
    feature_shift: Optional[int]  # None: not worked out (an error before it)


@dataclass(frozen=True)
class Summary:
    network: str
    target: str
    chip: str
    input: str  # "spikes 1x28x28"
    core_count: int
    layers: Tuple[LayerRow, ...]
    cores: Tuple[CoreRow, ...]  # empty when the network could not be placed
    edges: Tuple[EdgeRow, ...]
    warnings: Tuple[Diagnostic, ...]
    errors: Tuple[Diagnostic, ...]

    @property
    def ok(self) -> bool:
        """True when the network compiles (``errors`` is empty)."""
        return not self.errors

    def text(self) -> str:
        """The tables `dynapspec summary` prints (diagnostics not included)."""
        lines = [] if self.ok else [f"{self.network} does not compile for {self.target}; what could be worked out:", ""]
        header = ("layer", "input CxHxW", "output FxHxW", "kernel", "kernel mem", "neuron mem", "core", "fits cores")
        rows = [header + (("scale", "θH", "θL", "monitor") if self.ok else ("problems",))]
        for r in self.layers:
            cells: Tuple[str, ...] = (r.name, _shape(r.input_shape), _shape(r.output_shape), r.kernel or "-",
                     _number(r.memory and r.memory.kernel), _number(r.memory and r.memory.neuron), _number(r.core),
                     _cores(r.fits, self.core_count) if r.memory else "-")
            if self.ok:
                cells += (f"{r.scale:.6g}", str(r.threshold_high), str(r.threshold_low), "yes" if r.monitor else "")
            else:
                cells += (", ".join(r.problems) or ("" if r.memory else "not lowered (upstream error)"),)
            rows.append(cells)
        lines += table(rows)
        if self.cores:
            rows = [("core", "layer", "kernel used/capacity", "neuron used/capacity")]
            for c in self.cores:
                rows.append((str(c.core), c.layer or "(free)", _use(c.used.kernel if c.used else None, c.capacity.kernel),
                             _use(c.used.neuron if c.used else None, c.capacity.neuron)))
            lines += [""] + table(rows)
        rows = [("source", "", "destination", "pooling", "feature shift")]
        rows += [(e.source, "->", e.target, e.pooling, _number(e.feature_shift, "?")) for e in self.edges]
        lines += [""] + table(rows)
        if self.ok:
            lines += ["", f"target {self.target} ({self.chip}); input {self.input}"]
        return "\n".join(lines)

    __str__ = text


def summarize(spec_path: Union[str, Path], target: Optional[str] = None) -> Summary:
    """The summary of a spec file; raises SpecError only when not even its structure can be read."""
    from .compiler import compile_spec
    from .compiler.lower import lower_partially

    try:
        result = compile_spec(spec_path, target=target)
    except SpecError as failure:
        return _failed(spec_path, target, failure.diagnostics)
    header = result.config.header
    profile = chips.profile(header.target)
    lowered = {layer.name: layer for layer in result.network.layers}
    layers = tuple(
        _row(lowered[r.name], profile, core=r.core, scale=r.scale, threshold_high=r.threshold_high,
             threshold_low=r.threshold_low, monitor=r.monitor)
        for r in header.layers
    )
    by_core = {r.core: r for r in header.layers}
    cores = tuple(
        CoreRow(n, by_core[n].name if n in by_core else None, by_core[n].memory if n in by_core else None, capacity)
        for n, capacity in enumerate(profile.cores)
    )
    return Summary(
        header.name, header.target, header.chip, f"{header.input.kind} {_shape(header.input.shape)}",
        len(profile.cores), layers, cores,
        _edges(result.spec, lower_partially(result.spec, header.target)), result.warnings, (),
    )


def _failed(spec_path, target: Optional[str], diagnostics: Sequence[Diagnostic]) -> Summary:
    """Rows for every layer that lowers without weights, and every error: compilation's and
    lowering's (a weight-file error would otherwise hide the shape problems behind it)."""
    from .compiler.lower import lower_partially
    from .spec import load

    try:
        spec = load(spec_path, read_weights=False)
    except SpecError:
        raise SpecError(diagnostics) from None
    if (target or spec.target) not in chips.targets():
        raise SpecError(diagnostics)
    profile = chips.profile(target or spec.target)
    partial = lower_partially(spec, profile.target)
    everything = list(diagnostics) + list(partial.diagnostics)
    errors = tuple({d.render(): d for d in everything if d.severity == "error"}.values())
    warnings = tuple({d.render(): d for d in everything if d.severity == "warning"}.values())
    lowered = {layer.name: layer for layer in partial.layers}
    rows = []
    for layer in spec.layers:
        codes = tuple(sorted({d.code for d in errors if d.location.layer == layer.name}))
        if layer.name not in lowered:
            rows.append(LayerRow(layer.name, None, None, "", None, None, (), problems=codes))
            continue
        row = _row(lowered[layer.name], profile)
        if not row.fits and "layer-fits-no-core" not in codes:
            codes += ("fits no core",)
        rows.append(replace(row, problems=codes))
    return Summary(
        spec.name, profile.target, profile.chip, "", len(profile.cores), tuple(rows), (), _edges(spec, partial),
        warnings, errors,
    )


def _row(layer, profile: chips.ChipProfile, **placed) -> LayerRow:
    from .compiler.place import fits

    kernel = f"{layer.kernel}x{layer.kernel}"
    if (layer.stride.x, layer.stride.y) != (1, 1):
        kernel += f" s{layer.stride.x},{layer.stride.y}"
    if (layer.padding.x, layer.padding.y) != (0, 0):
        kernel += f" p{layer.padding.x},{layer.padding.y}"
    fitting = tuple(n for n, capacity in enumerate(profile.cores) if fits(layer.memory, capacity))
    return LayerRow(layer.name, layer.input_shape, layer.output_shape, kernel, layer.memory,
                    placed.pop("core", None), fitting, **placed)


def _edges(spec, partial) -> Tuple[EdgeRow, ...]:
    from .compiler.lower import INPUT
    from .spec.model import DvsInput

    entry = "dvs" if isinstance(spec.input, DvsInput) else INPUT
    rows: List[EdgeRow] = []
    for source, edges in [(INPUT, spec.input.edges)] + [(layer.name, layer.edges) for layer in spec.layers]:
        for edge in edges:
            rows.append(EdgeRow(entry if source == INPUT else source, edge.target, _pooling(edge.pool),
                                partial.shifts.get((source, edge.target))))
    if spec.readout is not None:
        rows.append(EdgeRow(spec.readout.layer, "readout", "-", None))
    return tuple(rows)


def _pooling(steps: Sequence) -> str:
    if not steps:
        return "-"
    text = " then ".join(f"{step.mode} {step.factor}" for step in steps)
    if len(steps) > 1:
        factor = 1
        for step in steps:
            factor *= step.factor
        text += f" (= {factor})"
    return text


def _shape(shape) -> str:
    return "x".join(map(str, shape)) if shape else "-"


def _number(value, missing: str = "-") -> str:
    return missing if value is None else str(value)


def _cores(cores: Sequence[int], total: int) -> str:
    from .compiler.place import core_list

    return "all" if len(cores) == total else core_list(list(cores))


def _use(used: Optional[int], capacity: int) -> str:
    return f"{used}/{capacity} ({100 * used / capacity:.0f}%)" if used is not None else f"-/{capacity}"


def table(rows: Sequence[Sequence[str]]) -> List[str]:
    """Left-aligned columns under a dashed header line."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return lines
