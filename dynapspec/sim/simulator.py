"""A bit-accurate model of one chip, built only from a compiled Config.

What is simulated is exactly what would be deployed: the simulator reads the ``chip`` part of the
document (cores, destinations, dimensions, thresholds, DVS layer) and the header (layer names,
input kind, shape and cores), never the spec. Numerics and order: ``docs/simulator.md``.
"""
from __future__ import annotations

import time
from typing import Callable, Dict, Iterable, Optional, Set, Union

import numpy as np

from ..config import Config
from ..errors import Location, SpecError
from ..events import CHIP_SPIKE_DTYPE, DVS_CORE, DVS_NAME, RunResult, as_events, check_range, split_by_core
from .dvs import dvs_transform
from .kernel import run_events
from .layout import build_tables, samna_states

Monitor = Union[None, str, Iterable[str]]
CHUNK = 1 << 16  # input events per kernel call


class Simulator:
    """``run`` continues from the current neuron states, as the chip does; ``reset`` restores them."""

    def __init__(self, config: Config, source: str = "<config>"):
        """``source`` names the configuration's file (config.json or the spec) in error messages."""
        self.config = config
        self._tables = build_tables(config, source)
        self._v = self._tables.initial.copy()
        # core -> layer name, in the header's (spec) order; cores the header does not name come last
        self.names: Dict[int, str] = {record.core: record.name for record in config.header.layers}
        self.names.update({n: f"core{n}" for n in self._tables.used if n not in self.names})
        self._input = config.header.input
        self._targets = np.array(self._tables.inputs, dtype=np.int64)
        self._stack = np.empty((len(self._targets) + self._tables.stack_rows, 4), dtype=np.int64)

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
        is called after each chunk of :data:`CHUNK` events (DVS events: those past the DVS layer).
        ``source`` names the events' file in error messages.
        """
        start = time.perf_counter()
        kind = self._input.kind
        events = as_events(events, kind, source)
        check_range(events, self._input.shape, source)
        watched = self._monitored(monitor)
        if kind == "dvs":
            index, c, x, y = dvs_transform(events, self.config.chip.dvs_layer)
        else:
            index = np.arange(len(events), dtype=np.int64)
            c, x, y = (events[f].astype(np.int64) for f in ("c", "x", "y"))
        counts = np.zeros(len(self._tables.dims), dtype=np.int64)
        t = self._tables
        monitored = np.array([n in watched for n in range(len(t.dims))], dtype=np.uint8)
        chunks = []
        for first in range(0, max(len(index), 1), CHUNK):  # chunks only pace the progress report
            part = slice(first, first + CHUNK)
            rows, n_rows = run_events(
                c[part], x[part], y[part], self._targets, DVS_CORE in watched,
                t.dims, t.thresholds, t.dest, monitored, t.killable,
                t.weights, t.w_offset, self._v, t.v_offset, t.alive,
                counts, self._stack,
            )  # fmt: skip
            rows = rows[:n_rows].copy()
            rows[:, 0] += first
            chunks.append(rows)
            if progress is not None:
                progress(min(first + CHUNK, len(index)), len(index))
        rows = np.concatenate(chunks)
        output = np.zeros(len(rows), dtype=CHIP_SPIKE_DTYPE)
        output["t"] = events["t"][index[rows[:, 0]]]
        for col, name in enumerate(("core", "c", "x", "y"), start=1):
            output[name] = rows[:, col]
        names = dict(self.names)
        spike_counts = {name: int(counts[n]) for n, name in names.items()}
        if kind == "dvs":
            names[DVS_CORE] = DVS_NAME
            spike_counts[DVS_NAME] = len(index)
        return RunResult(
            output=output,
            layers=split_by_core(output, {n: name for n, name in names.items() if n in watched}),
            spike_counts=spike_counts,
            input_count=len(events),
            duration_s=time.perf_counter() - start,
            device="sim",
            states=self.states() if record_states else None,
        )

    def _monitored(self, monitor: Monitor) -> Set[int]:
        chip = self.config.chip
        has_dvs = self._input.kind == "dvs"
        if monitor is None:
            cores = {n for n in self._tables.used if chip.cnn_layers[n].monitor_enable}
            return cores | ({DVS_CORE} if has_dvs and chip.dvs_layer.monitor_enable else set())
        if isinstance(monitor, str) and monitor == "all":
            return set(self._tables.used) | ({DVS_CORE} if has_dvs else set())
        by_name = {name: n for n, name in self.names.items()}
        if has_dvs:
            by_name[DVS_NAME] = DVS_CORE
        wanted = [monitor] if isinstance(monitor, str) else list(monitor)
        unknown = [name for name in wanted if name not in by_name]
        if unknown:
            raise SpecError.single(
                "unknown-layer",
                f"cannot monitor {', '.join(map(repr, unknown))}: the network has {', '.join(sorted(by_name))} (or 'all')",
                Location("--monitor"),
            )
        return {by_name[name] for name in wanted}
