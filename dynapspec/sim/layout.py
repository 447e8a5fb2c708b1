"""The chip part of a Config checked and packed into flat integer tables for the kernel.

The kernel indexes memory without bounds checks, so everything it relies on is verified here:
array shapes agree with the dimensions, every enabled destination is a configured core, and
values fit their hardware words. Internal layouts put the feature axis last, where the kernel's
innermost loop runs: weights ``[c][j][k-1-i][f]`` (i along x, j along y), states ``[oy][ox][f]``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Tuple

import numpy as np

from ..config import CHIP, NUM_CORES, CnnCore, Config, DvsLayer
from ..errors import Location, SpecError

READOUT = CHIP.readout_layer  # destination that feeds the readout, which the simulator does not model

# The per-core table the kernel reads, one int64 row per core (zeros for an unconfigured core):
# input C, W, H; output F, OW, OH; kernel, padding, stride; thresholds and keep (1 = subtract,
# 0 = return to zero); killable (1 if the core has kill bits); where its blocks start in the weight
# and state vectors; and for destination slot 0 and 1 the target core (-1 = none), pooling, shift.
COLUMNS = (
    "c_in", "w_in", "h_in", "f", "ow", "oh", "k", "px", "py", "sx", "sy", "th_high", "th_low",
    "keep", "killable", "w_offset", "v_offset", "to0", "pool0", "shift0", "to1", "pool1", "shift1",
)  # fmt: skip
(C_IN, W_IN, H_IN, F, OW, OH, K, PX, PY, SX, SY, TH_HIGH, TH_LOW,
 KEEP, KILLABLE, W_OFFSET, V_OFFSET, TO0, POOL0, SHIFT0, TO1, POOL1, SHIFT1) = range(len(COLUMNS))  # fmt: skip
DIMS = slice(C_IN, SY + 1)  # the columns from dimensions
SLOTS = ((TO0, POOL0, SHIFT0), (TO1, POOL1, SHIFT1))  # each destination slot's columns
# Tables' arrays: the chip's words (U19), which the kernels read as int8 and int16
DTYPES: Dict[str, np.dtype] = {"weights": np.dtype(CHIP.weight.dtype), "w_alive": np.dtype(np.uint8),
                               "initial": np.dtype(CHIP.state.dtype), "v_alive": np.dtype(np.uint8)}
WEIGHT, STATE = np.iinfo(DTYPES["weights"]), np.iinfo(DTYPES["initial"])
CACHE_LINE = 64  # bytes; where each array and each core's block in it starts
LINE = {"weights": CACHE_LINE, "w_alive": CACHE_LINE, "initial": CACHE_LINE // 2, "v_alive": CACHE_LINE // 2}  # entries


@dataclass(frozen=True, eq=False)
class Tables:
    used: Tuple[int, ...]  # configured cores, ascending
    table: np.ndarray  # int64 [core, COLUMNS]
    weights: np.ndarray  # int8, all cores' [c][j][k-1-i][f] blocks, each from a cache line (zeros between)
    w_alive: np.ndarray  # uint8 like ``weights``: 0 where a DYNAP-CNN weight kill bit is set (U21)
    initial: np.ndarray  # int16, all cores' [oy][ox][f] blocks, each from a cache line (zeros between)
    v_alive: np.ndarray  # uint8 like ``initial``: 0 where a DYNAP-CNN neuron kill bit is set
    inputs: Tuple[int, ...]  # cores each input event enters, in order (host cores or DVS destinations)


def build_tables(config: Config, source: str = "<config>") -> Tables:
    cores = config.chip.cnn_layers
    used = tuple(n for n, core in enumerate(cores) if core.weights.size > 0)
    table = np.zeros((NUM_CORES, len(COLUMNS)), dtype=np.int64)
    table[:, [TO0, TO1]] = -1
    blocks: Dict[str, List[np.ndarray]] = {"weights": [], "w_alive": [], "initial": [], "v_alive": []}
    w_pos = v_pos = 0
    for n in used:
        core = cores[n]
        row = table[n]
        _check_supported(core, n, source)
        row[DIMS] = _dims(core, n, source)
        if not (0 <= core.threshold_high <= STATE.max and STATE.min <= core.threshold_low <= STATE.max):
            _fail(
                f"threshold_high {core.threshold_high} / threshold_low {core.threshold_low} outside int16 "
                f"(threshold_high must be 0..{STATE.max})",
                f"chip.cnn_layers[{n}]",
                source,
            )
        row[[TH_HIGH, TH_LOW, KEEP]] = (core.threshold_high, core.threshold_low, 0 if core.return_to_zero else 1)
        row[KILLABLE] = core.weights_kill_bit is not None or core.neurons_value_kill_bit is not None
        arrays = _arrays(core, row, n, source)
        row[[W_OFFSET, V_OFFSET]] = (w_pos, v_pos)
        for name, block in arrays.items():  # padded, so that the next block starts on a cache line: see `aligned`
            blocks[name].append(np.pad(block, (0, -block.size % LINE[name])))
        w_pos += blocks["weights"][-1].size
        v_pos += blocks["initial"][-1].size
    for n in used:
        for slot, d in enumerate(cores[n].destinations):
            if d.enable and d.layer != READOUT:
                where = f"chip.cnn_layers[{n}].destinations[{slot}]"
                _check_target(d.layer, used, where, source)
                if d.pooling not in (1, 2, 4) or d.feature_shift < 0:
                    _fail(f"pooling {d.pooling} / feature_shift {d.feature_shift}: pooling must be 1, 2 or 4 and the shift >= 0",
                          where, source)
                table[n, list(SLOTS[slot])] = (d.layer, d.pooling, d.feature_shift)
    _check_acyclic(table, used, source)
    for record in config.header.layers:
        _check_target(record.core, used, f"header.layers[{record.name}].core", source)
    # what enters a core from the host or the DVS layer has its x/y size and fills features from 0
    # (a merge may stack other layers' features behind it)
    if config.header.input.kind == "spikes":
        feeds = [(n, tuple(config.header.input.shape), "header.input") for n in config.header.input.cores]
    else:
        dvs = config.chip.dvs_layer
        _check_dvs(dvs, source)
        feeds = [
            (d.layer, dvs.output_shape, f"chip.dvs_layer.destinations[{slot}]")
            for slot, d in enumerate(dvs.destinations)
            if d.enable and d.layer != READOUT
        ]
    for n, shape, where in feeds:
        _check_target(n, used, where, source)
        channels, height, width = (int(v) for v in shape)
        core_input = (int(table[n, C_IN]), int(table[n, H_IN]), int(table[n, W_IN]))
        if (height, width) != core_input[1:] or channels > core_input[0]:
            _fail(f"sends (C, H, W) = {(channels, height, width)} into core {n}, whose input is {core_input}", where, source)
    return Tables(
        used=used,
        table=table,
        **{name: aligned(np.concatenate(parts) if parts else np.zeros(0, DTYPES[name])) for name, parts in blocks.items()},
        inputs=tuple(n for n, _, _ in feeds),
    )


def aligned(a: np.ndarray) -> np.ndarray:
    """A copy of ``a`` that starts on a cache line. With every core's block starting on one too
    (build_tables pads them), a row of a core whose features fill whole 32-byte vectors (F a
    multiple of 16) is loaded and stored without a vector ever straddling two cache lines: 3-4 %
    faster on the reference LeNet and the wide network (benchmarks/bench_sim.py)."""
    buffer = np.empty(a.nbytes + CACHE_LINE, dtype=np.uint8)
    start = -buffer.ctypes.data % CACHE_LINE
    out = buffer[start : start + a.nbytes].view(a.dtype)
    out[:] = a
    return out


def _check_dvs(dvs: DvsLayer, source: str) -> None:
    where = "chip.dvs_layer"
    if dvs.pooling.x not in (1, 2, 4) or dvs.pooling.y not in (1, 2, 4):
        _fail(f"pooling ({dvs.pooling.x}, {dvs.pooling.y}): each axis must be 1, 2 or 4", where, source)
    if not (0 <= dvs.origin.x <= dvs.cut.x and 0 <= dvs.origin.y <= dvs.cut.y):
        _fail(f"origin ({dvs.origin.x}, {dvs.origin.y}) must not lie past cut ({dvs.cut.x}, {dvs.cut.y})", where, source)


def _check_acyclic(table: np.ndarray, used: Tuple[int, ...], source: str) -> None:
    """A cycle could spike forever; the chip does not support one either (docs/chip.md §3)."""
    state = {n: 0 for n in used}  # 0 new, 1 on the path, 2 done

    def visit(n: int, path: Tuple[int, ...]) -> None:
        state[n] = 1
        for m in table[n, [TO0, TO1]]:
            if m < 0:
                continue
            if state[int(m)] == 1:
                cycle = " -> ".join(str(c) for c in path[path.index(int(m)):] + (int(m),))
                _fail(f"the cores form a cycle ({cycle}); the chip runs only acyclic networks", "chip.cnn_layers", source)
            if state[int(m)] == 0:
                visit(int(m), path + (int(m),))
        state[n] = 2

    for n in used:
        if state[n] == 0:
            visit(n, (n,))


def _check_supported(core: CnnCore, n: int, source: str) -> None:
    where = f"chip.cnn_layers[{n}]"
    unsupported = [
        ("leak_enable", core.leak_enable, "leak runs on slow-clock ticks, which event files do not carry (spec v1 cannot ask for leak)"),
        ("output_decimator_enable", core.output_decimator_enable, "the decimator's codes are not settled (U12)"),
        ("input_congestion_balancer_enable", core.input_congestion_balancer_enable, "it drops input by chip timing"),
    ]
    for name, value, why in unsupported:
        if value:
            raise SpecError.single(
                "sim-unsupported",
                f"core {n} sets {name}; the simulator does not model it: {why}. Run on a board or turn it off",
                Location(source, path=f"{where}.{name}"),
            )


def _dims(core: CnnCore, n: int, source: str) -> np.ndarray:
    """The table's DIMS columns for core n, checked."""
    d = core.dimensions
    row = np.array(
        [
            d.input_shape.feature_count, d.input_shape.size.x, d.input_shape.size.y,
            d.output_shape.feature_count, d.output_shape.size.x, d.output_shape.size.y,
            d.kernel_size, d.padding.x, d.padding.y, d.stride.x, d.stride.y,
        ],
        dtype=np.int64,
    )
    where = f"chip.cnn_layers[{n}].dimensions"
    if min(row[[C_IN, W_IN, H_IN, F, OW, OH, K, SX, SY]]) < 1 or min(row[[PX, PY]]) < 0:
        _fail(f"sizes, kernel and strides must be >= 1 and padding >= 0, got {row.tolist()}", where, source)
    for axis, size_in, pad, stride, size_out in (("x", W_IN, PX, SX, OW), ("y", H_IN, PY, SY, OH)):
        expected = (row[size_in] + 2 * row[pad] - row[K]) // row[stride] + 1
        if row[size_out] != expected:
            _fail(
                f"output size {axis} is {row[size_out]}, but input {row[size_in]}, padding {row[pad]}, "
                f"kernel {row[K]} and stride {row[stride]} give {expected}",
                where,
                source,
            )
    return row


def _arrays(core: CnnCore, dims: np.ndarray, n: int, source: str):
    f, c, k = dims[F], dims[C_IN], dims[K]
    where = f"chip.cnn_layers[{n}]"
    weights = np.asarray(core.weights)
    if weights.shape != (f, c, k, k):
        _fail(f"weights have shape {weights.shape}, dimensions say {(f, c, k, k)} [f][c][x][y]", f"{where}.weights", source)
    _check_range(weights, WEIGHT.min, WEIGHT.max, f"{where}.weights", source)
    states = np.asarray(core.neurons_initial_value)
    shape = (f, dims[OW], dims[OH])
    if states.size == 0:
        states = np.zeros(shape, dtype=np.int64)
    if states.shape != shape:
        _fail(f"neurons_initial_value has shape {states.shape}, expected {shape} [f][x][y]", f"{where}.neurons_initial_value", source)
    _check_range(states, STATE.min, STATE.max, f"{where}.neurons_initial_value", source)
    w_alive = np.ones(weights.shape, dtype=np.uint8)
    if core.weights_kill_bit is not None:
        w_alive = (np.asarray(core.weights_kill_bit).reshape(weights.shape) == 0).astype(np.uint8)
    v_alive = np.ones(shape, dtype=np.uint8)
    if core.neurons_value_kill_bit is not None:
        v_alive = (np.asarray(core.neurons_value_kill_bit).reshape(shape) == 0).astype(np.uint8)

    def flat(a: np.ndarray, name: str) -> np.ndarray:  # [f][c][x][y] -> [c][y][k-1-x][f];  [f][x][y] -> [y][x][f]
        internal = a.transpose(1, 3, 2, 0)[:, :, ::-1, :] if a.ndim == 4 else a.transpose(2, 1, 0)
        return np.ascontiguousarray(internal, dtype=DTYPES[name]).ravel()

    return {
        "weights": flat(weights, "weights"),
        "w_alive": flat(w_alive, "w_alive"),
        "initial": flat(states, "initial"),
        "v_alive": flat(v_alive, "v_alive"),
    }


def samna_states(tables: Tables, v: np.ndarray, n: int) -> np.ndarray:
    """Core n's block of the internal state vector ``v`` as samna's ``[f][x][y]`` (a copy)."""
    d = tables.table[n]
    size = d[F] * d[OW] * d[OH]
    block = v[d[V_OFFSET] : d[V_OFFSET] + size]
    return block.reshape(d[OH], d[OW], d[F]).transpose(2, 1, 0).copy()


def _check_range(values: np.ndarray, lo: int, hi: int, where: str, source: str) -> None:
    if values.size and (values.min() < lo or values.max() > hi):
        _fail(f"values must lie in [{lo}, {hi}], found [{values.min()}, {values.max()}]", where, source)


def _check_target(core: int, used: Tuple[int, ...], where: str, source: str) -> None:
    if core not in used:
        _fail(f"refers to core {core}, which has no weights (configured cores: {list(used)})", where, source)


def _fail(message: str, where: str, source: str) -> None:
    raise SpecError.single("config-format", message, Location(source, path=where))
