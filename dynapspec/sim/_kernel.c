/* The simulator's event loop, compiled: dynapspec.sim._kernel.run (docs/simulator.md).
 *
 * It does exactly what kernel.py's plain-Python `run` does, in the same order, and the tests
 * compare the two bit for bit; read that one first. In short (docs/simulator.md, "Numerics"):
 * an event (c, x, y) entering a core updates every output neuron whose kernel covers it
 * (V = sat16(V + w), U19; fire when V >= threshold_high, then reset to 0 or subtract the
 * threshold; then floor at threshold_low, U20), oy ascending, then ox, then f. A DYNAP-CNN killed
 * weight or neuron is no update at all (U21). Then each spike of that event, in firing order, is
 * counted, recorded if its core is monitored, and routed to destination slot 0, then slot 1, each
 * delivery fully propagated (depth-first, by recursion) before the next (U23). The network is
 * acyclic (layout.py checks it), so the recursion is at most one level per core and a core's
 * scratch is never in use twice.
 *
 * Inputs are flat buffers (numpy arrays through the buffer protocol, so no numpy headers are
 * needed to build): the per-core table (layout.COLUMNS, one int64 row per core), all cores'
 * weights [c][j][k-1-i][f] (int8, each core's block from a cache line) and their kill masks
 * (uint8, 0 = killed), states [oy][ox][f] (int16, updated in place, likewise) and theirs, and the input events as int32 columns c, x, y
 * plus uint64 t.
 * Monitored spikes are appended to a bytearray as records of events.CHIP_SPIKE_DTYPE.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#if defined(_MSC_VER) && !defined(__clang__)
#define restrict __restrict
#endif

/* Columns of the per-core table, in layout.COLUMNS order (checked when the module is loaded). */
enum { C_IN, W_IN, H_IN, F, OW, OH, K, PX, PY, SX, SY, TH_HIGH, TH_LOW, KEEP, KILLABLE,
       W_OFFSET, V_OFFSET, TO0, POOL0, SHIFT0, TO1, POOL1, SHIFT1, NCOL };
static const char *const COLUMN_NAMES[NCOL] = {
    "c_in", "w_in", "h_in", "f", "ow", "oh", "k", "px", "py", "sx", "sy", "th_high", "th_low",
    "keep", "killable", "w_offset", "v_offset", "to0", "pool0", "shift0", "to1", "pool1", "shift1"};

#ifndef KERNEL_SOURCE_SHA256 /* set by setup.py: the sha256 of this file, checked by kernel.py */
#define KERNEL_SOURCE_SHA256 ""
#endif

/* One output record, events.CHIP_SPIKE_DTYPE: t <u8, core u1, c <u2, x <u2, y <u2, packed. */
enum { REC_T = 0, REC_CORE = 8, REC_C = 9, REC_X = 11, REC_Y = 13, REC_SIZE = 15 };

#if defined(__x86_64__) && defined(__GNUC__) /* GCC or Clang on x86-64: an AVX2 path, chosen at run time */
#include <immintrin.h>
#define HAVE_AVX2_PATH 1
#endif

#if defined(__GNUC__)
#define ALWAYS_INLINE inline __attribute__((always_inline))
#elif defined(_MSC_VER)
#define ALWAYS_INLINE __forceinline
#else
#define ALWAYS_INLINE inline
#endif

typedef struct {
    int to, pool_log2, shift; /* target core, log2 of the pooling, feature shift */
} Dest;

/* Neurons of one receptive field that fired, 16 at a time: bit i of `bits` is neuron q + i of run
 * `run` of row `row`. Only words in which one fired are listed (most have none), in update order,
 * which is the firing order. */
typedef struct {
    int32_t row, run, q;
    uint32_t bits;
} Fired;

/* The output positions whose kernel covers one input coordinate, along one axis: `count` positions
 * (0 if none) from `first`, whose states start `v` entries and weights `w` entries into the
 * core's blocks (before the input channel's). Worked out for every coordinate when the core is
 * loaded, so an event costs four loads here instead of divisions and edge tests. */
typedef struct {
    int32_t first, count, v, w;
} Span;

/* One core, from its row of the table, with the steps its events need worked out once, plus its
 * scratch. */
typedef struct {
    int configured, c_in, w_in, h_in, f, ow, oh, k, px, py, sx, sy, killable;
    int16_t high, low, keep_mask; /* keep_mask: all ones to subtract the threshold, zero to reset to 0 */
    Py_ssize_t w_offset, v_offset;
    Py_ssize_t v_row, w_row, w_run; /* states of one output row; weights of one row down (j -= sy) and one ox on */
    uint64_t f_reciprocal;          /* 2^32 / f + 1: q / f is (q * f_reciprocal) >> 32 for q, f < 2^16 */
    Py_ssize_t w_channel;           /* weights of one input channel */
    int n_dest;                     /* the destinations in use, slot 0 first */
    Dest dest[2];
    Span *xs, *ys;  /* per input x (w_in of them), then per input y (h_in) */
    int64_t updated, fired_words; /* neurons updated and words that fired, so far in this call */
    Fired *fired; /* room for every word of the largest receptive field */
} Core;

typedef struct {
    Core *cores;
    const int8_t *weights;
    const uint8_t *w_alive;
    int16_t *v;
    const uint8_t *v_alive;
    const uint8_t *monitored; /* per core: record its spikes */
    int64_t *counts;          /* per core: spikes so far */
    PyObject *out;            /* bytearray of records; its first n_out are written */
    Py_ssize_t n_out;
    uint64_t t;               /* timestamp of the input event being propagated */
    Py_ssize_t n_v, n_weights;
} Run;

/* The neurons one event reaches: `rows` output rows (oy ascending) of `runs` runs of `len`
 * neurons; the first neuron's state is v[0], its weight w[0] (and its kill bits, on a killable
 * core). With stride 1 along x a row is one run (every ox of the row, then f), contiguous in both
 * states and weights; otherwise one run per ox. Steps are in entries. The neuron parameters are
 * copied here so that the update loops hold them in registers. */
typedef struct {
    int16_t *v;
    const int8_t *w;
    const uint8_t *v_alive, *w_alive;
    Py_ssize_t rows, runs, len, v_row, v_run, w_row, w_run;
    int16_t high, low, keep_mask;
    const int16_t *v_end; /* the ends of the state and weight arrays */
    const int8_t *w_end;
    int dense; /* the core's neurons fire often: list fired words without a branch (AVX2 only) */
} Field;

/* A core is `dense` once more than one in DENSE / 16 of its words has fired so far (16 neurons a
 * word): the measured break-even is 3-4 % of the words. */
enum { DENSE = 16 * 16 };

/* ---------------------------------------------------------------- neuron updates */

/* One synaptic update of one neuron: V = sat16(V + w) (U19); fire if V >= high (at most one spike
 * per update), then reset (keep_mask all ones: subtract the threshold; zero: to zero); then floor
 * at low (U20). Returns 1 if it fired. In 16-bit operations only, without branches, so that the
 * compiler packs many neurons into one vector: the sum wraps around, and it overflowed if its sign
 * differs from both operands'; then it saturates towards V's sign. */
static inline int update_one(int16_t *v, int16_t w, int16_t high, int16_t low, int16_t keep_mask)
{
    int16_t s = (int16_t)(uint16_t)((uint16_t)*v + (uint16_t)w);
    int16_t saturated = (int16_t)((*v >> 15) ^ INT16_MAX); /* INT16_MIN if V < 0, else INT16_MAX */
    s = ((*v ^ s) & (w ^ s)) < 0 ? saturated : s;
    int16_t fire = (int16_t)-(s >= high); /* all ones if it fires */
    s = fire ? (int16_t)((s - high) & keep_mask) : s;
    *v = s < low ? low : s;
    return fire & 1;
}

/* Update run s of row r of the field; append a Fired word for each 16 neurons in which any fired
 * and return how many. One per kind of core and CPU, below. */
typedef Py_ssize_t (*UpdateRun)(const Field *fd, Py_ssize_t r, Py_ssize_t s, Fired *fired);

/* Portable C, vectorised by the compiler: the flags go to bytes, which become bits only when one
 * fired. */
static Py_ssize_t update_run(const Field *fd, Py_ssize_t r, Py_ssize_t s, Fired *fired)
{
    int16_t *restrict v = fd->v + r * fd->v_row + s * fd->v_run;
    const int8_t *restrict w = fd->w + r * fd->w_row + s * fd->w_run;
    const Py_ssize_t len = fd->len;
    const int16_t high = fd->high, low = fd->low, keep_mask = fd->keep_mask;
    Py_ssize_t n = 0;
    for (Py_ssize_t q = 0; q < len; q += 16) {
        int m = len - q < 16 ? (int)(len - q) : 16, some = 0;
        uint8_t flags[16];
        for (int i = 0; i < m; i++) {
            flags[i] = (uint8_t)update_one(v + q + i, w[q + i], high, low, keep_mask);
            some |= flags[i];
        }
        if (!some)
            continue;
        uint32_t bits = 0;
        for (int i = 0; i < m; i++)
            bits |= (uint32_t)flags[i] << i;
        fired[n++] = (Fired){(int32_t)r, (int32_t)s, (int32_t)q, bits};
    }
    return n;
}

/* On a DYNAP-CNN core with kill bits: a killed weight or neuron is no update (U21). */
static Py_ssize_t update_run_killable(const Field *fd, Py_ssize_t r, Py_ssize_t s, Fired *fired)
{
    Py_ssize_t vo = r * fd->v_row + s * fd->v_run, wo = r * fd->w_row + s * fd->w_run, n = 0;
    for (Py_ssize_t q = 0; q < fd->len; q += 16) {
        uint32_t bits = 0;
        for (Py_ssize_t i = q; i < q + 16 && i < fd->len; i++)
            if (fd->w_alive[wo + i] && fd->v_alive[vo + i])
                bits |= (uint32_t)update_one(fd->v + vo + i, fd->w[wo + i], fd->high, fd->low, fd->keep_mask) << (i - q);
        if (bits)
            fired[n++] = (Fired){(int32_t)r, (int32_t)s, (int32_t)q, bits};
    }
    return n;
}

#ifdef HAVE_AVX2_PATH
/* The update of 16 neurons with AVX2: the hardware's saturating add (U19) and compare, the reset
 * (`subtract` the threshold, or to zero) fixed at compile time. Returns the fire mask. */
__attribute__((target("avx2"))) static ALWAYS_INLINE __m256i update16_avx2(__m256i *u, __m256i wq, __m256i h,
                                                                           __m256i below, __m256i l, int subtract)
{
    __m256i s = _mm256_adds_epi16(*u, wq), fire = _mm256_cmpgt_epi16(s, below);
    s = subtract ? _mm256_sub_epi16(s, _mm256_and_si256(fire, h)) : _mm256_andnot_si256(fire, s);
    *u = _mm256_max_epi16(s, l);
    return fire;
}

/* Bit i of the result: lane i of `fire` is set. */
__attribute__((target("avx2"))) static ALWAYS_INLINE uint32_t bits_of(__m256i fire)
{
    return (uint32_t)_mm_movemask_epi8(_mm_packs_epi16(_mm256_castsi256_si128(fire), _mm256_extracti128_si256(fire, 1)));
}

/* A run with AVX2, 16 neurons at a time. Where neurons rarely fire, the fired bits are worked out
 * and stored only when one did: a branch the CPU predicts well. Where they fire often (`dense`),
 * that branch is mispredicted on every fired word, so every word is stored and the list advances
 * only past those with a spike, without a branch: on the reference LeNet's first layer (a fifth of
 * its words fire) 149 -> 83 ns per event, while the same on its other layers (1.5-3 %) costs 5-15 %.
 * The last few neurons of a run are done as 16 too, the ones past the run written back as they were
 * (they are other neurons), except at the very end of the arrays. */
__attribute__((target("avx2"))) static ALWAYS_INLINE Py_ssize_t update_run_avx2(const Field *fd, Py_ssize_t r,
                                                                                Py_ssize_t s, Fired *fired,
                                                                                int subtract, int dense)
{
    int16_t *restrict v = fd->v + r * fd->v_row + s * fd->v_run;
    const int8_t *restrict w = fd->w + r * fd->w_row + s * fd->w_run;
    const Py_ssize_t len = fd->len;
    const __m256i h = _mm256_set1_epi16(fd->high), below = _mm256_set1_epi16((int16_t)(fd->high - 1));
    const __m256i l = _mm256_set1_epi16(fd->low);
    Py_ssize_t n = 0, q = 0;
    for (; q + 16 <= len; q += 16) {
        __m256i u = _mm256_loadu_si256((const __m256i *)(v + q));
        __m256i fire = update16_avx2(&u, _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w + q))), h, below, l, subtract);
        _mm256_storeu_si256((__m256i *)(v + q), u);
        if (dense) {
            uint32_t bits = bits_of(fire);
            fired[n] = (Fired){(int32_t)r, (int32_t)s, (int32_t)q, bits};
            n += bits != 0;
        } else if (_mm256_movemask_epi8(fire))
            fired[n++] = (Fired){(int32_t)r, (int32_t)s, (int32_t)q, bits_of(fire)};
    }
    if (q < len && v + q + 16 <= fd->v_end && w + q + 16 <= fd->w_end) {
        const __m256i lane = _mm256_setr_epi16(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        __m256i past = _mm256_cmpgt_epi16(lane, _mm256_set1_epi16((int16_t)(len - q - 1)));
        __m256i old = _mm256_loadu_si256((const __m256i *)(v + q)), u = old;
        __m256i fire = update16_avx2(&u, _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w + q))), h, below, l, subtract);
        _mm256_storeu_si256((__m256i *)(v + q), _mm256_blendv_epi8(u, old, past));
        fire = _mm256_andnot_si256(past, fire);
        if (_mm256_movemask_epi8(fire))
            fired[n++] = (Fired){(int32_t)r, (int32_t)s, (int32_t)q, bits_of(fire)};
    } else if (q < len) { /* the last few, at the very end of the arrays */
        uint32_t bits = 0;
        for (Py_ssize_t i = q; i < len; i++)
            bits |= (uint32_t)update_one(v + i, w[i], fd->high, fd->low, fd->keep_mask) << (i - q);
        if (bits)
            fired[n++] = (Fired){(int32_t)r, (int32_t)s, (int32_t)q, bits};
    }
    return n;
}

/* One per reset mode and density, each with its own loop. */
#define UPDATE_RUN_AVX2(name, subtract, dense)                                                                 \
    __attribute__((target("avx2"))) static Py_ssize_t name(const Field *fd, Py_ssize_t r, Py_ssize_t s, Fired *fired) \
    {                                                                                                         \
        return update_run_avx2(fd, r, s, fired, subtract, dense);                                             \
    }
UPDATE_RUN_AVX2(update_run_avx2_subtract, 1, 0)
UPDATE_RUN_AVX2(update_run_avx2_to_zero, 0, 0)
UPDATE_RUN_AVX2(update_run_avx2_subtract_dense, 1, 1)
UPDATE_RUN_AVX2(update_run_avx2_to_zero_dense, 0, 1)
#endif

/* Update every neuron of the field, row after row, run after run; returns the number of Fired
 * words. Always inlined, so that each caller below is one loop with its own `update` inlined: one
 * call per event and core, none per run. */
static ALWAYS_INLINE Py_ssize_t integrate_with(UpdateRun update, const Field *fd, Fired *fired)
{
    Py_ssize_t n = 0;
    for (Py_ssize_t r = 0; r < fd->rows; r++)
        for (Py_ssize_t s = 0; s < fd->runs; s++)
            n += update(fd, r, s, fired + n);
    return n;
}

typedef Py_ssize_t (*Integrate)(const Field *fd, Fired *fired);

static Py_ssize_t integrate_portable(const Field *fd, Fired *fired)
{
    return integrate_with(update_run, fd, fired);
}

static Py_ssize_t integrate_killable(const Field *fd, Fired *fired)
{
    return integrate_with(update_run_killable, fd, fired);
}

#ifdef HAVE_AVX2_PATH
__attribute__((target("avx2"))) static Py_ssize_t integrate_avx2(const Field *fd, Fired *fired)
{
    if (fd->dense)
        return fd->keep_mask ? integrate_with(update_run_avx2_subtract_dense, fd, fired)
                             : integrate_with(update_run_avx2_to_zero_dense, fd, fired);
    return fd->keep_mask ? integrate_with(update_run_avx2_subtract, fd, fired)
                         : integrate_with(update_run_avx2_to_zero, fd, fired);
}
#endif

static Integrate integrate_fast = integrate_portable; /* integrate_avx2 where the CPU has AVX2 (set at import) */

/* ---------------------------------------------------------------- output and routing */

/* A check the Python side makes impossible; it raises ValueError rather than corrupt memory. */
static int need(int ok, const char *what)
{
    if (!ok)
        PyErr_Format(PyExc_ValueError, "_kernel.run: %s", what);
    return ok;
}


static void put16(char *at, int value)
{
    at[0] = (char)(value & 0xff);
    at[1] = (char)((value >> 8) & 0xff);
}

/* Append one record (the input event's time, core, c, x, y); grows the bytearray by half. */
static int record(Run *run, int core, int c, int x, int y)
{
    Py_ssize_t size = PyByteArray_GET_SIZE(run->out);
    if ((run->n_out + 1) * REC_SIZE > size) {
        Py_ssize_t grown = size / REC_SIZE * 3 / 2 + 4096;
        if (PyByteArray_Resize(run->out, grown * REC_SIZE) < 0)
            return -1;
    }
    char *at = PyByteArray_AS_STRING(run->out) + run->n_out * REC_SIZE;
    for (int b = 0; b < 8; b++)
        at[REC_T + b] = (char)(run->t >> (8 * b));
    at[REC_CORE] = (char)core;
    put16(at + REC_C, c);
    put16(at + REC_X, x);
    put16(at + REC_Y, y);
    run->n_out++;
    return 0;
}

static int deliver(Run *run, int n, int c, int x, int y);

/* Spike (f, x, y) of core n: count, record if monitored, then slot 0 before slot 1. */
static int spike(Run *run, int n, int f, int x, int y)
{
    const Core *core = &run->cores[n];
    run->counts[n]++;
    if (run->monitored[n] && record(run, n, f, x, y) < 0)
        return -1;
    for (int i = 0; i < core->n_dest; i++) {
        const Dest *d = &core->dest[i];
        const Core *to = &run->cores[d->to];
        int cc = f + d->shift, xx = x >> d->pool_log2, yy = y >> d->pool_log2;
        if (cc < to->c_in && xx < to->w_in && yy < to->h_in /* else dropped (U04) */
            && deliver(run, d->to, cc, xx, yy) < 0)
            return -1;
    }
    return 0;
}

/* The index of the lowest set bit of `*bits` (not 0), which is then cleared. */
static inline int pop_lowest(uint32_t *bits)
{
#if defined(__GNUC__)
    int b = __builtin_ctz(*bits);
#else
    int b = 0;
    while (!((*bits >> b) & 1))
        b++;
#endif
    *bits &= *bits - 1;
    return b;
}

/* Route the spikes of core n's field, whose first neuron is (ox_lo, oy_lo, 0), in firing order.
 * Neuron q of run s of row r is (ox_lo + s + q / f, oy_lo + r, q % f): with stride 1 there is one
 * run of cols x f, otherwise q < f. */
static int route(Run *run, int n, const Fired *fired, Py_ssize_t n_fired, int ox_lo, int oy_lo)
{
    const Core *core = &run->cores[n];
    for (Py_ssize_t i = 0; i < n_fired; i++)
        for (uint32_t bits = fired[i].bits; bits;) {
            uint32_t q = (uint32_t)(fired[i].q + pop_lowest(&bits));
            uint32_t dx = (uint32_t)((q * core->f_reciprocal) >> 32); /* q / f without dividing */
            if (spike(run, n, (int)(q - dx * (uint32_t)core->f), ox_lo + fired[i].run + (int)dx, oy_lo + fired[i].row) < 0)
                return -1;
        }
    return 0;
}

/* Event (c, x, y) into core n: update its receptive field, then route the spikes in firing order. */
static int deliver(Run *run, int n, int c, int x, int y)
{
    Core *core = &run->cores[n];
    const Span xs = core->xs[x], ys = core->ys[y];
    Py_ssize_t nf = core->f, cols = xs.count;
    Py_ssize_t vb = core->v_offset + ys.v + xs.v, wb = core->w_offset + (Py_ssize_t)c * core->w_channel + ys.w + xs.w;
    Field fd = {run->v + vb, run->weights + wb, run->v_alive + vb, run->w_alive + wb, cols ? ys.count : 0,
                core->sx == 1 ? 1 : cols, core->sx == 1 ? cols * nf : nf, core->v_row, nf, core->w_row, core->w_run,
                core->high, core->low, core->keep_mask, run->v + run->n_v, run->weights + run->n_weights,
                core->fired_words * DENSE > core->updated};
    Py_ssize_t n_fired = (core->killable ? integrate_killable : integrate_fast)(&fd, core->fired);
    core->updated += fd.rows * fd.runs * fd.len;
    core->fired_words += n_fired;
    return route(run, n, core->fired, n_fired, xs.first, ys.first);
}

/* ---------------------------------------------------------------- the Python entry point */

static int log2_of(int64_t pool)
{
    int s = 0;
    while (((int64_t)1 << s) < pool)
        s++;
    return ((int64_t)1 << s) == pool ? s : -1;
}

/* Whether the destinations form a cycle: then some core would be more than n_cores steps from an
 * input. The recursion of deliver() relies on there being none (one level per core at most, and
 * a core's scratch never in use twice). */
static int cyclic(const Core *cores, Py_ssize_t n_cores)
{
    Py_ssize_t *steps = PyMem_Calloc(n_cores ? n_cores : 1, sizeof *steps), longest = 0;
    if (!steps)
        return -1;
    for (Py_ssize_t round = 0; round <= n_cores && longest <= n_cores; round++) /* longest paths grow by one */
        for (Py_ssize_t n = 0; n < n_cores; n++)
            for (int i = 0; i < cores[n].n_dest; i++) {
                Py_ssize_t *to = &steps[cores[n].dest[i].to];
                *to = *to > steps[n] + 1 ? *to : steps[n] + 1;
                longest = *to > longest ? *to : longest;
            }
    PyMem_Free(steps);
    return longest > n_cores;
}

/* One core's destinations: the slots in use, in order, checked. */
static int load_dests(Core *core, const int64_t *p, const int64_t *table, Py_ssize_t n_cores)
{
    core->n_dest = 0;
    for (int slot = 0; slot < 2; slot++) {
        const int64_t *d = p + (slot ? TO1 : TO0); /* target, pooling, shift */
        if (d[0] < 0)
            continue;
        Dest dest = {(int)d[0], log2_of(d[1]), (int)d[2]};
        if (!need(d[0] < n_cores && table[d[0] * NCOL + K] > 0 && dest.pool_log2 >= 0 && dest.shift >= 0,
                  "a destination is not a configured core"))
            return -1;
        core->dest[core->n_dest++] = dest;
    }
    return 0;
}

/* The core's Spans: for each input x, then each input y, where its receptive field lies. */
static int load_spans(Core *core)
{
    core->xs = PyMem_Calloc((size_t)(core->w_in + core->h_in), sizeof(Span));
    if (!core->xs) {
        PyErr_NoMemory();
        return -1;
    }
    core->ys = core->xs + core->w_in;
    for (int axis = 0; axis < 2; axis++) {
        int size = axis ? core->h_in : core->w_in, pad = axis ? core->py : core->px, stride = axis ? core->sy : core->sx;
        int out = axis ? core->oh : core->ow, k = core->k;
        for (int i = 0; i < size; i++) {
            int at = i + pad, lo = at < k ? 0 : (at - k + stride) / stride, hi = at / stride < out - 1 ? at / stride : out - 1;
            int offset = at - lo * stride; /* of the kernel, at the first position */
            Span *span = axis ? &core->ys[i] : &core->xs[i];
            if (lo > hi)
                continue; /* count 0: no position covers it */
            *span = axis ? (Span){lo, hi - lo + 1, lo * core->ow * core->f, offset * k * core->f}
                         : (Span){lo, hi - lo + 1, lo * core->f, (k - 1 - offset) * core->f};
        }
    }
    return 0;
}

/* Unpack the table into cores[] and give each its scratch. The loop does no bounds checks, so a
 * table that would make it read or write outside the arrays is refused here. */
static int load_cores(Core *cores, const int64_t *table, Py_ssize_t n_cores, Py_ssize_t n_weights, Py_ssize_t n_v)
{
    for (Py_ssize_t n = 0; n < n_cores; n++) {
        const int64_t *p = table + n * NCOL;
        Core *core = &cores[n];
        core->configured = p[K] > 0;
        if (!core->configured)
            continue;
        if (!need(p[F] > 0 && p[C_IN] > 0 && p[OW] > 0 && p[OH] > 0 && p[SX] > 0 && p[SY] > 0 && p[PX] >= 0 && p[PY] >= 0
                      && p[W_OFFSET] >= 0 && p[V_OFFSET] >= 0 && p[W_OFFSET] + p[C_IN] * p[K] * p[K] * p[F] <= n_weights
                      && p[V_OFFSET] + p[OW] * p[OH] * p[F] <= n_v && p[W_IN] + p[PX] < INT32_MAX && p[H_IN] + p[PY] < INT32_MAX,
                  "a core's sizes do not match the weight or state arrays"))
            return -1;
        if (!need(p[K] * p[F] < 65536, "a kernel row of more than 65,535 neurons") /* for f_reciprocal */
            || !need(p[W_IN] > 0 && p[H_IN] > 0 && p[OW] * p[OH] * p[F] < INT32_MAX && p[K] * p[K] * p[F] < INT32_MAX,
                      "a core's input, state block or channel's weights empty or too large")) /* Span */
            return -1;
        *core = (Core){1, (int)p[C_IN], (int)p[W_IN], (int)p[H_IN], (int)p[F], (int)p[OW], (int)p[OH], (int)p[K],
                       (int)p[PX], (int)p[PY], (int)p[SX], (int)p[SY], (int)p[KILLABLE],
                       (int16_t)p[TH_HIGH], (int16_t)p[TH_LOW], (int16_t)-p[KEEP], p[W_OFFSET], p[V_OFFSET],
                       p[OW] * p[F], -p[SY] * p[K] * p[F], p[SX] * p[F], ((uint64_t)1 << 32) / (uint64_t)p[F] + 1};
        core->w_channel = p[K] * p[K] * p[F];
        if (load_dests(core, p, table, n_cores) < 0 || load_spans(core) < 0)
            return -1;
        Py_ssize_t rows = (p[K] + p[SY] - 1) / p[SY], cols = (p[K] + p[SX] - 1) / p[SX]; /* the largest field */
        rows = rows < p[OH] ? rows : p[OH];
        cols = cols < p[OW] ? cols : p[OW];
        Py_ssize_t runs = p[SX] == 1 ? 1 : cols, len = p[SX] == 1 ? cols * p[F] : p[F];
        core->fired = PyMem_Calloc((size_t)(rows * runs * ((len + 15) / 16)), sizeof(Fired));
        if (!core->fired) {
            PyErr_NoMemory();
            return -1;
        }
    }
    int cycle = cyclic(cores, n_cores);
    if (cycle < 0) {
        PyErr_NoMemory();
        return -1;
    }
    return need(!cycle, "the cores form a cycle") ? 0 : -1;
}

static PyObject *kernel_run(PyObject *self, PyObject *args)
{
    (void)self;
    Py_buffer table = {0}, weights = {0}, w_alive = {0}, v_alive = {0}, v = {0}, monitored = {0}, counts = {0};
    Py_buffer targets = {0};
    Py_buffer c = {0}, x = {0}, y = {0}, t = {0};
    PyObject *out, *result = NULL;
    int watch_input; /* record each input event as this core (the DVS layer), or -1 */
    if (!PyArg_ParseTuple(args, "y*y*y*y*w*y*w*y*iy*y*y*y*O!", &table, &weights, &w_alive, &v_alive, &v, &monitored,
                          &counts, &targets, &watch_input, &c, &x, &y, &t, &PyByteArray_Type, &out))
        goto done;
    Py_ssize_t n_cores = monitored.len, n_events = t.len / 8, n_targets = targets.len / 8;
    const int64_t *target = targets.buf;
    const int32_t *ec = c.buf, *ex = x.buf, *ey = y.buf;
    const uint64_t *et = t.buf;
    Core *cores = PyMem_Calloc(n_cores ? n_cores : 1, sizeof(Core));
    Run run = {cores, weights.buf, w_alive.buf, v.buf, v_alive.buf, monitored.buf, counts.buf, out, PyByteArray_GET_SIZE(out) / REC_SIZE, 0,
               v.len / 2, weights.len};
    if (!cores) {
        PyErr_NoMemory();
        goto done;
    }
    if (!need(table.len == n_cores * NCOL * 8 && counts.len == n_cores * 8 && w_alive.len == weights.len && v_alive.len == v.len / 2
                  && c.len == n_events * 4 && x.len == c.len && y.len == c.len && PyByteArray_GET_SIZE(out) % REC_SIZE == 0,
              "array sizes disagree")
        || load_cores(cores, table.buf, n_cores, weights.len, v.len / 2) < 0)
        goto free;
    for (Py_ssize_t i = 0; i < n_targets; i++)
        if (!need(target[i] >= 0 && target[i] < n_cores && cores[target[i]].configured, "an input core is not configured"))
            goto free;
    for (Py_ssize_t e = 0; e < n_events; e++) {
        run.t = et[e];
        if (watch_input >= 0 && record(&run, watch_input, ec[e], ex[e], ey[e]) < 0)
            goto free;
        for (Py_ssize_t i = 0; i < n_targets; i++) {
            const Core *core = &cores[target[i]];
            if (!need(ec[e] >= 0 && ex[e] >= 0 && ey[e] >= 0 && ec[e] < core->c_in && ex[e] < core->w_in && ey[e] < core->h_in,
                      "an input event lies outside its core's input")
                || deliver(&run, (int)target[i], ec[e], ex[e], ey[e]) < 0)
                goto free;
        }
    }
    if (PyByteArray_Resize(out, run.n_out * REC_SIZE) == 0) { /* drop the unused growth */
        Py_INCREF(Py_None);
        result = Py_None;
    }
free:
    for (Py_ssize_t n = 0; n < n_cores; n++) {
        PyMem_Free(cores[n].fired);
        PyMem_Free(cores[n].xs);
    }
    PyMem_Free(cores);
done:
    Py_buffer *all[] = {&table, &weights, &w_alive, &v_alive, &v, &monitored, &counts, &targets, &c, &x, &y, &t};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) /* ignores a buffer never filled */
        PyBuffer_Release(all[i]);
    return result;
}

/* select(avx2): the AVX2 update where the CPU has it (what importing chooses), or the portable
 * one; the tests run both. Returns whether AVX2 is in use. */
static PyObject *kernel_select(PyObject *self, PyObject *arg)
{
    (void)self;
    int avx2 = PyObject_IsTrue(arg);
    if (avx2 < 0)
        return NULL;
    integrate_fast = integrate_portable;
#ifdef HAVE_AVX2_PATH
    __builtin_cpu_init();
    if (avx2 && __builtin_cpu_supports("avx2"))
        integrate_fast = integrate_avx2;
#endif
    return PyBool_FromLong(integrate_fast != integrate_portable);
}

static PyMethodDef methods[] = {
    {"run", kernel_run, METH_VARARGS,
     "run(table, weights, w_alive, v_alive, v, monitored, counts, targets, watch_input, c, x, y, t, out): "
     "kernel.run, compiled"},
    {"select", kernel_select, METH_O, "select(avx2: bool) -> bool: the AVX2 or the portable neuron update"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_kernel", "The simulator's event loop, compiled.", -1, methods};

PyMODINIT_FUNC PyInit__kernel(void)
{
    PyObject *m = PyModule_Create(&module), *names = PyTuple_New(NCOL);
    Py_XDECREF(kernel_select(NULL, Py_True)); /* AVX2 where the CPU has it */
    for (int i = 0; names && i < NCOL; i++)
        PyTuple_SET_ITEM(names, i, PyUnicode_FromString(COLUMN_NAMES[i]));
    /* what kernel.py checks before using this module */
    if (!m || !names || PyModule_AddObject(m, "COLUMNS", names) < 0
        || PyModule_AddObject(m, "RECORD", Py_BuildValue("(iiiiii)", REC_SIZE, REC_T, REC_CORE, REC_C, REC_X, REC_Y)) < 0
        || PyModule_AddStringConstant(m, "SOURCE_SHA256", KERNEL_SOURCE_SHA256) < 0) {
        Py_XDECREF(m);
        return NULL;
    }
    return m;
}
