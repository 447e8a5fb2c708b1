"""The event loop of the chip model: integer arithmetic, depth-first routing (docs/chip.md §9).

One source, two speeds: with numba installed (``pip install 'dynapspec[sim-fast]'``) the loop is
compiled; without it the same functions run as plain Python, with the per-neuron update swapped
for its numpy form (``_update_numpy``): bit-identical, a few hundred times slower.

Order (U23): input events in order; each input event goes to its target cores in order, and every
spike is routed to slot 0 then slot 1 before the next spike of the same core is routed
(depth-first, with an explicit stack). Within one core event, neurons update oy, then ox, then f
ascending. A core applies all its updates for one event before its spikes are routed; since the
network is acyclic, no routed spike can reach the same core again during that event, so this is
indistinguishable from routing each spike the moment it fires.
"""
from __future__ import annotations

import numpy as np

from ..events import DVS_CORE
from .layout import C, F, H_IN, K, KILLED, OH, OW, POOL, PX, PY, SHIFT, SX, SY, TARGET, W_IN

try:  # numba is optional: the `sim-fast` extra
    from numba import config as _numba_config
    from numba import njit

    COMPILED = not _numba_config.DISABLE_JIT
except ImportError:  # pragma: no cover - exercised by installs without numba
    COMPILED = False

    def njit(*args, **kwargs):
        return lambda func: func


SPIKE = 16  # stack entries with code >= SPIKE are spikes of core (code - SPIKE); else deliveries to core code


@njit(cache=True)
def _record(out, n_out, e, core, f, x, y):
    """Append the row (input index, core, f, x, y), doubling ``out`` when full; return (out, n_out)."""
    if n_out == out.shape[0]:
        bigger = np.empty((2 * out.shape[0], out.shape[1]), dtype=out.dtype)
        bigger[:n_out] = out
        out = bigger
    out[n_out, 0] = e
    out[n_out, 1] = core
    out[n_out, 2] = f
    out[n_out, 3] = x
    out[n_out, 4] = y
    return out, n_out + 1


@njit(cache=True)
def run_events(
    in_c, in_x, in_y,  # int64 [n]: the events entering the CNN cores
    targets,  # int64 [m]: cores each input event is delivered to, in order
    monitor_input,  # bool: record each input event as a DVS-layer (core 13) spike
    dims, thresholds, dest, monitored, killable,  # per-core tables (layout.Tables); uint8 [9] flags
    weights, w_offset, v, v_offset, alive,  # v (int16) is updated in place
    counts,  # int64 [9]: spikes per core, updated in place
    stack,  # int64 [rows, 4] scratch, rows >= len(targets) + layout.Tables.stack_rows
):
    """Run the events; return (out, n): out[:n] rows are (input index, core, f, x, y)."""
    out = np.empty((1024, 5), dtype=np.int64)
    n_out = 0
    # scratch: which neurons of a run fired, as bytes and as 8-byte words
    flag_words = np.zeros(((dims[:, F] * dims[:, OW]).max() + 7) // 8, dtype=np.uint64)
    flags = flag_words.view(np.uint8)
    for e in range(in_c.shape[0]):
        if monitor_input:
            out, n_out = _record(out, n_out, e, DVS_CORE, in_c[e], in_x[e], in_y[e])
        top = 0
        for t in range(targets.shape[0] - 1, -1, -1):
            stack[top, 0] = targets[t]
            stack[top, 1] = in_c[e]
            stack[top, 2] = in_x[e]
            stack[top, 3] = in_y[e]
            top += 1
        while top > 0:
            top -= 1
            code, a, x, y = stack[top, 0], stack[top, 1], stack[top, 2], stack[top, 3]
            if code < SPIKE:
                top = _integrate(
                    code, a, x, y, dims, thresholds, killable, weights, w_offset, v, v_offset, alive, flags, flag_words, stack, top
                )
                continue
            n = code - SPIKE  # a spike (f=a, x, y) of core n: monitor, then route slot 0 first
            counts[n] += 1
            if monitored[n]:
                out, n_out = _record(out, n_out, e, n, a, x, y)
            for slot in range(1, -1, -1):
                m = dest[n, slot, TARGET]
                if m < 0:
                    continue
                p = dest[n, slot, POOL]
                c = a + dest[n, slot, SHIFT]
                xx = x // p
                yy = y // p
                if c < dims[m, C] and xx < dims[m, W_IN] and yy < dims[m, H_IN]:  # else dropped (U04)
                    stack[top, 0] = m
                    stack[top, 1] = c
                    stack[top, 2] = xx
                    stack[top, 3] = yy
                    top += 1
    return out, n_out


@njit(cache=True)
def _integrate(n, c, x, y, dims, thresholds, killable, weights, w_offset, v, v_offset, alive, flags, flag_words, stack, top):
    """Event (c, x, y) into core n: update its receptive field, push its spikes; return the new top.

    Weights are stored ``[c][j][k-1-i][f]``, so with stride 1 along x a whole row of output
    positions (ox ascending, then f) is one contiguous run in both weights and states.
    """
    k = dims[n, K]
    sx = dims[n, SX]
    sy = dims[n, SY]
    n_f = dims[n, F]
    ow = dims[n, OW]
    # output positions whose kernel covers the input: 0 <= x + px - ox*sx < k
    ox_lo = max(0, -((k - 1 - x - dims[n, PX]) // sx))
    ox_hi = min(ow - 1, (x + dims[n, PX]) // sx)
    oy_lo = max(0, -((k - 1 - y - dims[n, PY]) // sy))
    oy_hi = min(dims[n, OH] - 1, (y + dims[n, PY]) // sy)
    th_high = np.int16(thresholds[n, 0])
    th_low = np.int16(thresholds[n, 1])
    keep = np.int16(1 - thresholds[n, 2])  # 0 under return_to_zero
    span = ox_hi - ox_lo + 1 if sx == 1 else 1  # output positions per contiguous run
    length = span * n_f
    first = top
    for oy in range(oy_lo, oy_hi + 1):
        j = y + dims[n, PY] - oy * sy
        for ox in range(ox_lo, ox_hi + 1, span):
            flipped_i = k - 1 - (x + dims[n, PX] - ox * sx)
            wb = w_offset[n] + ((c * k + j) * k + flipped_i) * n_f
            vb = v_offset[n] + (oy * ow + ox) * n_f
            if killable[n]:
                fired = _update_killable(weights, wb, v, vb, alive, flags, length, th_high, th_low, keep)
            else:
                fired = _update(weights, wb, v, vb, flags, length, th_high, th_low, keep)
            if fired == 0:
                continue
            for word in range((length + 7) // 8):  # skip 8 silent neurons at a time
                if flag_words[word] == 0:
                    continue
                for q in range(8 * word, min(8 * word + 8, length)):
                    if flags[q]:
                        stack[top, 0] = SPIKE + n
                        stack[top, 1] = q % n_f
                        stack[top, 2] = ox + q // n_f
                        stack[top, 3] = oy
                        top += 1
    # reverse this event's spikes so the first one fired is routed first
    last = top - 1
    while first < last:
        for col in range(4):
            tmp = stack[first, col]
            stack[first, col] = stack[last, col]
            stack[last, col] = tmp
        first += 1
        last -= 1
    return top


@njit(cache=True)
def _update(weights, wb, v, vb, flags, length, th_high, th_low, keep):
    """One synaptic update for each of ``length`` neurons; flag which fired; return how many.

    Unsigned indices, int16 and no branches: the compiler vectorises this loop.
    """
    wb = np.uint64(wb)
    vb = np.uint64(vb)
    n_fired = 0
    for q in range(np.uint64(length)):
        u = np.int32(v[vb + q]) + np.int32(weights[wb + q])
        u = np.int16(min(max(u, np.int32(-32768)), np.int32(32767)))  # U19: saturate
        fire = u >= th_high  # at most one spike per update (rule 3)
        u = np.int16((u - th_high) * keep) if fire else u  # subtract, or to zero
        u = max(u, th_low)  # U20: floor after every update
        v[vb + q] = u
        flags[q] = fire
        n_fired += fire
    return n_fired


@njit(cache=True)
def _update_killable(weights, wb, v, vb, alive, flags, length, th_high, th_low, keep):
    """``_update`` for DYNAP-CNN cores with kill bits: a killed entry is no update at all (U21)."""
    n_fired = 0
    for q in range(length):
        w = weights[wb + q]
        flags[q] = False
        if w == KILLED or alive[vb + q] == 0:
            continue
        u = np.int16(min(max(np.int32(v[vb + q]) + np.int32(w), np.int32(-32768)), np.int32(32767)))
        fire = u >= th_high
        u = np.int16((u - th_high) * keep) if fire else u
        v[vb + q] = max(u, th_low)
        flags[q] = fire
        n_fired += fire
    return n_fired


def _update_numpy(weights, wb, v, vb, flags, length, th_high, th_low, keep):
    """``_update`` as whole-array numpy operations, for plain Python (no numba)."""
    u = np.clip(v[vb : vb + length].astype(np.int32) + weights[wb : wb + length], -32768, 32767)
    fire = u >= th_high
    u = np.where(fire, (u - int(th_high)) * int(keep), u)
    v[vb : vb + length] = np.maximum(u, th_low)
    flags[:length] = fire
    return int(np.count_nonzero(fire))


if not COMPILED:
    _update = _update_numpy  # noqa: F811 - the loop form is only fast when compiled
