"""A bit-accurate model of one chip, built only from a compiled Config.

What is simulated is exactly what would be deployed: the simulator reads the ``chip`` part of the
document (cores, destinations, dimensions, thresholds, DVS layer) and the header (layer names,
input kind, shape and cores), never the spec. Numerics and order: ``docs/simulator.md``.
"""
from __future__ import annotations

import time
from typing import Callable, Dict, Iterator, Mapping, Optional, Set

import numpy as np

from .. import monitoring
from ..config import Config
from ..monitoring import Monitor
from ..events import (
    CHIP_SPIKE_DTYPE, DVS_CORE, DVS_DTYPE, DVS_NAME, SPIKE_DTYPE, RunResult, as_events, check_order, check_range,
    split_by_core,
)  # fmt: skip
from . import kernel
from .dvs import dvs_transform
from .layout import aligned, build_tables, samna_states

CHUNK = 1 << 16  # input events per kernel call: bounds the temporaries (int32 columns) and paces progress


class Simulator:
    """``run`` continues from the current neuron states, as the chip does; ``reset`` restores them."""

    def __init__(self, config: Config, source: str = "<config>"):
        """``source`` names the configuration's file (config.json or the spec) in error messages."""
        self.config = config
        self._tables = build_tables(config, source)
        self._v = aligned(self._tables.initial)
        # core -> layer name, in the header's (spec) order; cores the header does not name come last
        self.names: Dict[int, str] = {record.core: record.name for record in config.header.layers}
        self.names.update({n: f"core{n}" for n in self._tables.used if n not in self.names})
        self._input = config.header.input
        self._targets = np.array(self._tables.inputs, dtype=np.int64)

    def reset(self) -> None:
        """Restore every neuron to ``neurons_initial_value``."""
        self._v[:] = self._tables.initial

    def states(self) -> Dict[str, np.ndarray]:
        """Neuron states per layer name in samna's layout ``[f][x][y]`` (what ReadNeuronValue reads)."""
        return {name: samna_states(self._tables, self._v, n) for n, name in self.names.items()}

    def run(
        self,
        events,
        monitor: Monitor = None,
        record_states: bool = False,
        progress: Optional[Callable[[int, int], None]] = None,
        source: str = "<events>",
    ) -> RunResult:
        """Feed ``events`` (DVS or spike events, see ``dynapspec.events``) through the chip.

        ``monitor``: None = the layers whose ``monitor_enable`` is set (what the chip would send),
        ``"all"``, or a list of layer names (``"dvs"`` for the DVS layer). ``progress(done, total)``
        is called after each chunk of :data:`CHUNK` input events.
        ``source`` names the events' file in error messages.
        """
        start = time.perf_counter()
        kind = self._input.kind
        canonical = DVS_DTYPE if kind == "dvs" else SPIKE_DTYPE
        if isinstance(events, np.ndarray) and events.dtype == canonical and events.ndim == 1:
            check_order(events, source)  # already canonical: no copy of the input
        else:
            events = as_events(events, kind, source)
        check_range(events, self._input.shape, source)
        watched = self._monitored(monitor)
        t = self._tables
        monitored = np.array([n in watched for n in range(len(t.table))], dtype=np.uint8)
        counts = np.zeros(len(t.table), dtype=np.int64)
        out = bytearray()  # CHIP_SPIKE_DTYPE records, grown in place by the kernel
        passed = 0  # DVS events past the DVS layer
        for first in range(0, len(events), CHUNK):
            part = events[first : first + CHUNK]
            if kind == "dvs":
                index, *cxy = dvs_transform(part, self.config.chip.dvs_layer)
                c, x, y = (a.astype(np.int32) for a in cxy)
                stamps = part["t"][index]
                passed += len(index)
            else:
                c, x, y = (part[name].astype(np.int32) for name in ("c", "x", "y"))
                stamps = np.ascontiguousarray(part["t"])
            kernel.run_events(
                t.table, t.weights, t.w_alive, t.v_alive, self._v, monitored, counts, self._targets,
                DVS_CORE if DVS_CORE in watched else -1, c, x, y, stamps, out,
            )  # fmt: skip
            if progress is not None:
                progress(min(first + CHUNK, len(events)), len(events))
        output = np.frombuffer(out, dtype=CHIP_SPIKE_DTYPE) if out else np.zeros(0, dtype=CHIP_SPIKE_DTYPE)
        names = dict(self.names)
        spike_counts = {name: int(counts[n]) for n, name in names.items()}
        if kind == "dvs":
            names[DVS_CORE] = DVS_NAME
            spike_counts[DVS_NAME] = passed
        return RunResult(
            output=output,
            layers=LayerSpikes(output, {n: name for n, name in names.items() if n in watched}),
            spike_counts=spike_counts,
            input_count=len(events),
            duration_s=time.perf_counter() - start,
            device="sim",
            states=self.states() if record_states else None,
        )

    def _monitored(self, monitor: Monitor) -> Set[int]:
        """The cores to record: the names :func:`monitoring.resolve` picks, and for ``None``/``"all"``
        any configured core the header does not name (a hand-made configuration)."""
        by_name = {name: n for n, name in self.names.items()}
        by_name[DVS_NAME] = DVS_CORE
        cores = {by_name[name] for name in monitoring.resolve(self.config, monitor)}
        unnamed = set(self._tables.used) - {record.core for record in self.config.header.layers}
        if monitor is None:
            return cores | {n for n in unnamed if self.config.chip.cnn_layers[n].monitor_enable}
        return cores | (unnamed if isinstance(monitor, str) and monitor == "all" else set())


class LayerSpikes(Mapping):
    """``RunResult.layers`` of a simulation: each layer's spikes are split from the output when first
    asked for, so a run holds one copy of its spikes, not two."""

    def __init__(self, output: np.ndarray, names: Mapping[int, str]):
        self._output = output
        self._cores = {name: core for core, name in names.items()}
        self._split: Dict[str, np.ndarray] = {}

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._split:
            self._split[name] = split_by_core(self._output, {self._cores[name]: name})[name]
        return self._split[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._cores)

    def __len__(self) -> int:
        return len(self._cores)

    def __repr__(self) -> str:
        return f"LayerSpikes({', '.join(self._cores)})"
