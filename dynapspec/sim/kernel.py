"""The event loop of the chip model: integer arithmetic, depth-first routing (docs/chip.md §9).

Two implementations of one function, ``run``, bit for bit the same (the tests compare them):

* ``_kernel.run``, compiled from ``_kernel.c`` when dynapspec is installed (setup.py; optional, so
  an install without a C compiler still works). It is what :data:`run_events` is when available.
* :func:`run` below, in plain Python + numpy: the readable statement of what the C code does, and
  the fallback (a few hundred times slower). ``DYNAPSPEC_SIM_KERNEL=python`` selects it.

Semantics (docs/simulator.md, "Numerics"): an event (c, x, y) into a core updates every output
neuron whose kernel covers it: ``V = sat16(V + w)`` (U19); fire if ``V >= threshold_high``, then
reset (to 0, or subtract the threshold); then ``V = max(V, threshold_low)`` (U20); a DYNAP-CNN
killed weight or neuron is no update (U21).

Order (U23): input events in order; each goes to its target cores in order. A core applies all of
one event's updates (oy ascending, then ox, then f), then routes its spikes in that order: each is
counted, recorded if its core is monitored, then delivered to destination slot 0 and then slot 1,
every delivery fully propagated before the next (depth-first, by recursion). The network is
acyclic (layout.py checks it), so no routed spike can reach the same core again during the event:
this is indistinguishable from routing each spike the moment it fires.

Layouts (layout.py): one int64 row per core (layout.COLUMNS); weights ``[c][j][k-1-i][f]``, states
``[oy][ox][f]``, so that with stride 1 along x a whole row of output positions and features is one
contiguous run in both.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import numpy as np

from .. import compiled
from ..events import CHIP_SPIKE_DTYPE, field_names
from .layout import (
    COLUMNS, C_IN, F, H_IN, K, KEEP, KILLABLE, OH, OW, PX, PY, SLOTS, STATE, SX, SY, TH_HIGH, TH_LOW,
    V_OFFSET, W_IN, W_OFFSET,
)  # fmt: skip


def run(table, weights, w_alive, v_alive, v, monitored, counts, targets, watch_input, c, x, y, t, out: bytearray) -> None:
    """Play input events (c, x, y, t) into the cores ``targets``; append monitored spikes to ``out``.

    ``w_alive``/``v_alive``: 0 where a weight/neuron is killed (read on killable cores only).
    ``v`` (int16 states) and ``counts`` (int64 spikes per core) are updated in place. ``watch_input``
    >= 0 records each input event as a spike of that core (the DVS layer). Records are
    ``CHIP_SPIKE_DTYPE`` (t, core, c, x, y) bytes; t is the input event's timestamp.
    """
    cores = table.tolist()
    records = []
    now = 0

    def deliver(n, c, x, y):
        p = cores[n]
        k, nf, ow, sx, sy = p[K], p[F], p[OW], p[SX], p[SY]
        ix, iy = x + p[PX], y + p[PY]
        # output positions whose kernel covers the input: 0 <= ix - ox*sx < k
        ox_lo, ox_hi = max(0, -((k - 1 - ix) // sx)), min(ow - 1, ix // sx)
        oy_lo, oy_hi = max(0, -((k - 1 - iy) // sy)), min(p[OH] - 1, iy // sy)
        if ox_lo > ox_hi or oy_lo > oy_hi:
            return
        cols = ox_hi - ox_lo + 1
        runs = [(ox_lo, cols * nf)] if sx == 1 else [(ox, nf) for ox in range(ox_lo, ox_hi + 1)]
        fired = []  # per output row, [ox][f] flags
        for oy in range(oy_lo, oy_hi + 1):
            j = iy - oy * sy
            row = []
            for ox, length in runs:
                wb = p[W_OFFSET] + ((c * k + j) * k + k - 1 - (ix - ox * sx)) * nf
                vb = p[V_OFFSET] + (oy * ow + ox) * nf
                ws, vs = slice(wb, wb + length), slice(vb, vb + length)
                row.append(_update(v, vs, weights[ws], w_alive[ws] & v_alive[vs] if p[KILLABLE] else None, p))
            fired.append(np.concatenate(row))
        for r, flags in enumerate(fired):
            for q in np.flatnonzero(flags).tolist():
                spike(n, q % nf, ox_lo + q // nf, oy_lo + r)

    def spike(n, f, x, y):
        counts[n] += 1
        if monitored[n]:
            records.append((now, n, f, x, y))
        for to, pool, shift in SLOTS:
            m = cores[n][to]
            if m < 0:
                continue
            q = cores[m]
            cc, xx, yy = f + cores[n][shift], x // cores[n][pool], y // cores[n][pool]
            if cc < q[C_IN] and xx < q[W_IN] and yy < q[H_IN]:  # else dropped (U04)
                deliver(m, cc, xx, yy)

    for ce, xe, ye, now in zip(c.tolist(), x.tolist(), y.tolist(), t.tolist()):
        if watch_input >= 0:
            records.append((now, watch_input, ce, xe, ye))
        for n in targets.tolist():
            deliver(n, ce, xe, ye)
    out += np.array(records, dtype=CHIP_SPIKE_DTYPE).tobytes()


def _update(v, s: slice, w, alive, p) -> np.ndarray:
    """One synaptic update of the neurons ``v[s]`` with weights ``w``; returns which fired.
    ``alive`` (DYNAP-CNN kill bits, or None): 0 where the weight or neuron is killed (U21)."""
    u = np.clip(v[s].astype(np.int32) + w, STATE.min, STATE.max)  # U19: saturate
    fire = u >= p[TH_HIGH]  # at most one spike per update
    u = np.where(fire, (u - p[TH_HIGH]) * p[KEEP], u)  # subtract, or to zero
    u = np.maximum(u, p[TH_LOW])  # U20: floor after every update
    if alive is not None:  # U21: a killed weight or neuron is no update
        fire &= alive != 0
        u = np.where(alive != 0, u, v[s])
    v[s] = u
    return fire


def _compiled(source: Path = Path(__file__).with_name("_kernel.c")):
    """The compiled ``run`` and "", or None and why it cannot be used. ``source``: the C file it
    must have been built from, where the package has it (a source checkout; wheels do not ship it)."""
    fields: Mapping[str, Any] = CHIP_SPIKE_DTYPE.fields or {}
    layout = (CHIP_SPIKE_DTYPE.itemsize,) + tuple(fields[name][1] for name in field_names(CHIP_SPIKE_DTYPE))
    module, why = compiled.load("dynapspec.sim._kernel", source, lambda m: m.COLUMNS == COLUMNS and m.RECORD == layout)
    return (module.run if module else None), why


compiled_run, FALLBACK_REASON = _compiled()
COMPILED = compiled_run is not None
run_events = compiled_run if COMPILED else run  # what Simulator calls
