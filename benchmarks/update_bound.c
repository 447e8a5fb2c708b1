/* The single-core bound for the simulator's update semantics (issue 9, goal 2).
 *
 * Only the neuron updates, no events, no routing: runs of `len` neurons, each update
 * V = sat16(V + w), fire if V >= high (flag it), subtract the threshold, floor at low, as the
 * simulator does (docs/simulator.md "Numerics"). bench_sim.py compiles this file with
 * `cc -O3 -march=native` (the best this CPU can do, which a distributable build cannot assume)
 * and calls `bound` through ctypes in the same run as the simulator, so the two share the load.
 *
 * Two forms: the portable C of dynapspec/sim/_kernel.c, vectorised by the compiler, and (where the
 * CPU has AVX2) hand-written AVX2 with the hardware's saturating add. The bound is the faster.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__AVX2__)
#include <immintrin.h>
#endif

static int update_portable(int16_t *restrict v, const int8_t *restrict w, uint8_t *restrict fired, long len,
                           int16_t high, int16_t low)
{
    int16_t any = 0;
    for (long q = 0; q < len; q++) {
        int16_t a = v[q], b = w[q];
        int16_t s = (int16_t)(uint16_t)((uint16_t)a + (uint16_t)b);
        s = ((a ^ s) & (b ^ s)) < 0 ? (int16_t)((a >> 15) ^ INT16_MAX) : s; /* saturate */
        int16_t fire = (int16_t)-(s >= high);
        s = fire ? (int16_t)(s - high) : s;
        v[q] = s < low ? low : s;
        fired[q] = (uint8_t)(fire & 1);
        any |= fire;
    }
    return any != 0;
}

#if defined(__AVX2__)
static int update_avx2(int16_t *restrict v, const int8_t *restrict w, uint8_t *restrict fired, long len,
                       int16_t high, int16_t low)
{
    __m256i h = _mm256_set1_epi16(high), below = _mm256_set1_epi16((int16_t)(high - 1)), l = _mm256_set1_epi16(low);
    __m256i any = _mm256_setzero_si256();
    long q = 0;
    for (; q + 16 <= len; q += 16) {
        __m256i wq = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w + q)));
        __m256i u = _mm256_adds_epi16(_mm256_loadu_si256((const __m256i *)(v + q)), wq);
        __m256i fire = _mm256_cmpgt_epi16(u, below);
        u = _mm256_max_epi16(_mm256_blendv_epi8(u, _mm256_sub_epi16(u, h), fire), l);
        _mm256_storeu_si256((__m256i *)(v + q), u);
        __m128i bytes = _mm_packs_epi16(_mm256_castsi256_si128(fire), _mm256_extracti128_si256(fire, 1));
        _mm_storeu_si128((__m128i *)(fired + q), _mm_and_si128(bytes, _mm_set1_epi8(1)));
        any = _mm256_or_si256(any, fire);
    }
    return update_portable(v + q, w + q, fired + q, len - q, high, low) | !_mm256_testz_si256(any, any);
}
#endif

/* Zeroed memory from a cache line (64 bytes), as dynapspec/sim/layout.py lays out the simulator's
 * arrays: otherwise where malloc's block starts decides how many vectors straddle two lines, and
 * the AVX2 bound at runs of 256 came out anywhere from 7.5 to 12 G updates/s from run to run. */
static void *line_aligned(size_t size)
{
    return aligned_alloc(64, (size + 63) / 64 * 64);
}

/* Updates per CPU-second over `total` updates in runs of `len` neurons, cycling through `footprint`
 * neurons (and as many weights); form 0 = portable, 1 = AVX2 (returns 0 if not compiled in). */
double bound(int form, long len, long total, long footprint)
{
    int (*update)(int16_t *restrict, const int8_t *restrict, uint8_t *restrict, long, int16_t, int16_t) = update_portable;
#if defined(__AVX2__)
    if (form == 1)
        update = update_avx2;
#else
    if (form == 1)
        return 0.0;
#endif
    int16_t *v = line_aligned(((size_t)footprint + len) * sizeof *v); /* as the simulator's arrays */
    int8_t *w = line_aligned((size_t)footprint + len);
    uint8_t *fired = malloc((size_t)len + 16);
    if (!v || !w || !fired)
        return -1.0;
    memset(v, 0, ((size_t)footprint + len) * sizeof *v);
    srand(1);
    for (long i = 0; i < footprint + len; i++)
        w[i] = (int8_t)(rand() % 64 - 16); /* mostly positive: the neurons fire now and then */
    volatile int sink = 0;
    for (long at = 0; at + len <= footprint; at += len) /* untimed: every page touched, the caches warm */
        sink += update(v + at, w + at, fired, len, 600, -600);
    struct timespec t0, t1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
    long done = 0, at = 0;
    while (done < total) {
        sink += update(v + at, w + at, fired, len, 600, -600);
        done += len;
        at += len;
        if (at + len > footprint)
            at = 0;
    }
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
    free(v);
    free(w);
    free(fired);
    double seconds = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    return (double)done / seconds;
}
