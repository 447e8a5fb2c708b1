"""Stage 4, place: one core per layer, by maximum bipartite matching on memory fit (docs/chip.md §6).

The matching is the reference toolchain's: Edmonds-Karp max-flow over source -> layers -> cores
-> sink, layers in network order, candidate cores ascending, FIFO breadth-first search, one
augmenting path per search. It is deterministic and gives the reference's placements (e.g.
{0:0, 1:3, 2:5, 3:6, 4:1} for the lenet example). Pinned layers (``core: N``) take their core
first; the rest are matched over the remaining cores.

When no placement exists the error says which case applies: a layer fits no core (with its needs
and the cores that fit each memory kind), layers compete for too few cores (a Hall violation,
found by alternating paths from an unmatched layer), or pins conflict.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

from .. import chips
from ..errors import Diagnostic, SpecError, error
from ..memory import Memory
from .network import ChipLayer, Network


@dataclass(frozen=True)
class Placement:
    cores: Dict[str, int]  # layer name -> core

    def core(self, name: str) -> int:
        return self.cores[name]


def fits(memory: Memory, core: Memory) -> bool:
    return memory.kernel <= core.kernel and memory.neuron <= core.neuron and memory.bias <= core.bias


def place(network: Network, profile: chips.ChipProfile) -> Placement:
    errors: List[Diagnostic] = []
    layers = network.layers
    pinned: Dict[int, ChipLayer] = {}
    for layer in layers:
        if layer.core_pin is None:
            continue
        if layer.core_pin >= len(profile.cores):
            errors.append(error("core-range", f"{layer.name}: core {layer.core_pin} does not exist (0..{len(profile.cores) - 1})",
                                layer.location))
        elif layer.core_pin in pinned:
            other = pinned[layer.core_pin]
            errors.append(
                error("pin-invalid", f"{layer.name} and {other.name} are both pinned to core {layer.core_pin}; a core runs one layer",
                      layer.location)
            )
        elif not fits(layer.memory, profile.cores[layer.core_pin]):
            needs = _needs_vs(layer, profile, [layer.core_pin])
            errors.append(error("pin-invalid", f"{layer.name} is pinned to core {layer.core_pin} but does not fit it: {needs}",
                                layer.location))
        else:
            pinned[layer.core_pin] = layer
    free_layers = [layer for layer in layers if layer.core_pin is None]
    free_cores = [c for c in range(len(profile.cores)) if c not in pinned]
    candidates = [[c for c in free_cores if fits(layer.memory, profile.cores[c])] for layer in free_layers]
    for layer, cands in zip(free_layers, candidates):
        if not cands:
            errors.append(error("layer-fits-no-core", _no_core_message(layer, profile, pinned), layer.location))
    if errors:
        raise SpecError(errors)
    matched = _edmonds_karp(candidates, len(profile.cores))
    if len(matched) < len(free_layers):
        raise SpecError(_contention(free_layers, candidates, matched, profile, pinned))
    cores = {layer.name: layer.core_pin for layer in layers if layer.core_pin is not None}
    cores.update({free_layers[i].name: core for i, core in matched.items()})
    return Placement(cores)


def _edmonds_karp(candidates: Sequence[Sequence[int]], num_cores: int) -> Dict[int, int]:
    """Max-flow matching, edge order as the reference builds it; returns layer index -> core."""
    L = len(candidates)
    source, sink = 0, L + num_cores + 1
    graph: List[List[list]] = [[] for _ in range(sink + 1)]  # edge: [to, capacity, flow, reverse edge]

    def add(u: int, v: int) -> None:
        forward: list = [v, 1, 0, None]
        backward: list = [u, 0, 0, None]
        forward[3], backward[3] = backward, forward
        graph[u].append(forward)
        graph[v].append(backward)

    for i in range(L):
        add(source, i + 1)
    for i, cands in enumerate(candidates):
        for core in cands:
            add(i + 1, L + 1 + core)
    for core in range(num_cores):
        add(L + 1 + core, sink)
    while True:
        pred: List = [None] * len(graph)
        queue = deque([source])
        while queue:
            node = queue.popleft()
            for edge in graph[node]:
                if pred[edge[0]] is None and edge[0] != source and edge[1] > edge[2]:
                    pred[edge[0]] = (node, edge)
                    queue.append(edge[0])
        if pred[sink] is None:
            break
        node = sink
        while node != source:
            prev, edge = pred[node]
            edge[2] += 1
            edge[3][2] -= 1
            node = prev
    return {i: edge[0] - L - 1 for i in range(L) for edge in graph[i + 1] if edge[2] == 1 and edge[0] > L}


def _fit_clause(kind: str, need: int, ok: List[int], capacities: List[int]) -> str:
    """Where one memory kind's need fits: every core, only some, or none (against the largest)."""
    if len(ok) == len(capacities):
        return f"{kind} {need} ({_ki(need)}) fits every core;"
    if ok:
        return f"{kind} {need} ({_ki(need)}) fits only cores {core_list(ok)};"
    largest = max(capacities)
    return f"{kind} {need} ({_ki(need)}) exceeds the largest {kind} memory {largest} ({_ki(largest)});"


def _ki(n: int) -> str:
    return f"{n // 1024} Ki" if n % 1024 == 0 else f"{n / 1024:.1f} Ki"


def core_list(cores: Sequence[int]) -> str:
    """Core numbers as runs: [0, 1, 2, 5] -> "0-2, 5"."""
    if not cores:
        return "none"
    runs: List[str] = []
    start: Optional[int] = cores[0]
    for a, b in zip(cores, list(cores[1:]) + [None]):
        if b != a + 1:
            runs.append(f"{start}" if start == a else f"{start}-{a}")
            start = b
    return ", ".join(runs)


def _needs_vs(layer: ChipLayer, profile: chips.ChipProfile, cores: Sequence[int]) -> str:
    m = layer.memory
    parts = []
    for core in cores:
        cap = profile.cores[core]
        parts.append(
            f"core {core} has kernel {cap.kernel} ({_ki(cap.kernel)}), neuron {cap.neuron} ({_ki(cap.neuron)}); "
            f"{layer.name} needs kernel {m.kernel} ({_ki(m.kernel)}), neuron {m.neuron} ({_ki(m.neuron)})"
        )
    return "; ".join(parts)


def _no_core_message(layer: ChipLayer, profile: chips.ChipProfile, pinned: Dict[int, ChipLayer]) -> str:
    m = layer.memory
    all_cores = range(len(profile.cores))
    kernel_ok = [c for c in all_cores if m.kernel <= profile.cores[c].kernel]
    neuron_ok = [c for c in all_cores if m.neuron <= profile.cores[c].neuron]
    C, H, W = layer.input_shape
    F, OH, OW = layer.output_shape
    parts = [f"{layer.name} ({C}x{H}x{W} -> {F}x{OH}x{OW}, kernel {layer.kernel}) fits no core:"]
    for kind, need, ok in (("kernel", m.kernel, kernel_ok), ("neuron", m.neuron, neuron_ok)):
        parts.append(_fit_clause(kind, need, ok, [getattr(c, kind) for c in profile.cores]))
    both = [c for c in kernel_ok if c in neuron_ok]
    if kernel_ok and neuron_ok and not both:
        parts.append("no core has both;")
    elif both:
        parts.append(f"cores {core_list(both)} would fit but are pinned by {', '.join(pinned[c].name for c in both)};")
    parts.append("hint: " + _shrink_hint(layer, profile))
    return " ".join(parts)


def _shrink_hint(layer: ChipLayer, profile: chips.ChipProfile, exclude: Sequence[int] = ()) -> str:
    return _shrink(layer, profile, exclude)[1]


def _shrink(layer: ChipLayer, profile: chips.ChipProfile, exclude: Sequence[int] = ()) -> Tuple[float, str]:
    """The smallest change that lets the layer into some core outside ``exclude``: (factor, advice)."""
    m = layer.memory
    best = None
    for core, cap in enumerate(profile.cores):
        if core in exclude:
            continue
        kernel_factor = m.kernel / cap.kernel
        neuron_factor = m.neuron / cap.neuron
        need = max(kernel_factor, neuron_factor)
        if best is None or need < best[0]:
            best = (need, core, kernel_factor, neuron_factor, cap)
    assert best is not None, "a core outside exclude exists"
    _, core, kernel_factor, neuron_factor, cap = best
    tips = []
    if kernel_factor > 1:
        tips.append(
            f"cut kernel memory from {m.kernel} to <= {cap.kernel} (fewer output features or input channels, "
            "or a smaller kernel)"
        )
    if neuron_factor > 1:
        tips.append(
            f"cut neuron memory from {m.neuron} to <= {cap.neuron} (fewer features, or more stride or pooling "
            "before it to shrink its output map)"
        )
    advice = " and ".join(tips) + f" to use core {core}" if tips else f"core {core} would fit"
    return best[0], advice


def _contention(layers, candidates, matched: Dict[int, int], profile, pinned) -> List[Diagnostic]:
    """A Hall violation: the layers reachable by alternating paths from an unmatched layer."""
    layer_of_core = {core: i for i, core in matched.items()}
    diagnostics = []
    reported = set()
    for start in range(len(layers)):
        if start in matched or start in reported:
            continue
        group, cores, queue = {start}, set(), deque([start])
        while queue:
            i = queue.popleft()
            for core in candidates[i]:
                cores.add(core)
                j = layer_of_core.get(core)
                if j is not None and j not in group:
                    group.add(j)
                    queue.append(j)
        reported |= group
        names = [layers[i].name for i in sorted(group)]
        detail = "; ".join(f"{layers[i].name} fits cores {core_list(candidates[i])}" for i in sorted(group))
        need, advice, name = min(
            _shrink(layers[i], profile, exclude=sorted(cores) + sorted(pinned)) + (layers[i].name,) for i in sorted(group)
        )
        pins = f" (cores {core_list(sorted(pinned))} are pinned by {', '.join(layer.name for layer in pinned.values())})" if pinned else ""
        diagnostics.append(
            error(
                "cores-contended",
                f"{', '.join(names)} can only use cores {{{', '.join(map(str, sorted(cores)))}}}: {len(group)} layers "
                f"for {len(cores)} cores{pins}. {detail}. Hint: shrink {name}: {advice}",
                layers[start].location,
            )
        )
    return diagnostics
