/* The float model's event loop, compiled: dynapspec.evaluate._floatloop.run (docs/evaluate.md).
 *
 * It does exactly what floatnet.py's plain-Python `run_float` does, with the same float64
 * operations in the same order, and the tests compare the two bit for bit; read that one first.
 * In short: every input event is delivered to the input layers; a delivery (layer, c, x, y)
 * updates every output neuron whose kernel covers it, oy ascending, then ox, then f:
 * V = V + w; if V >= high it spikes and V is reset (to 0, or V - high); then V = max(V, low).
 * Each spike is counted, recorded if its layer is the output layer, and routed (pooled, shifted,
 * dropped outside the destination, U04). Deliveries wait on a stack, pushed in reverse after each
 * delivery's updates so that they are taken in the chip's order: spike by spike, slot 0 with all
 * its consequences before slot 1 (U23).
 *
 * It is separate from the chip simulator's kernel (dynapspec/sim/_kernel.c) on purpose: that one
 * is integer code throughout (16-bit saturating updates, AVX2, kill bits, its own weight layout),
 * and the float model is built from the lowered network alone, so that comparing the two on
 * integer weights compares two independent constructions (docs/evaluate.md).
 *
 * Inputs are numpy arrays through the buffer protocol (no numpy headers are needed to build),
 * checked once per call: their types and sizes, every layer's geometry against the weight and
 * state arrays, routes only to later layers (the lowered network is in topological order, so
 * nothing can loop), input events inside their layers. After that the loop reads and writes only
 * inside the arrays, without checks of its own.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <float.h>
#include <stdint.h>
#include <string.h>

/* Bit for bit the same as Python's floats only where doubles are computed as doubles (not in the
 * x87's extended precision): elsewhere the build fails, which is allowed, and Python runs the loop. */
#if !defined(FLT_EVAL_METHOD) || FLT_EVAL_METHOD < 0 || FLT_EVAL_METHOD > 1
#error "double arithmetic is not plain IEEE double here; the plain-Python float loop is used instead"
#endif

/* Columns of the per-layer geometry table, in floatnet.COLUMNS order (checked by floatnet.py). */
enum { F, OH, OW, K, SY, SX, PY, PX, C, H, W, TO_ZERO, W_OFF, V_OFF, NCOL };
static const char *const COLUMN_NAMES[NCOL] = {"f", "oh", "ow", "k", "sy", "sx", "py", "px", "c", "h", "w",
                                               "to_zero", "w_off", "v_off"};

#ifndef FLOATLOOP_SOURCE_SHA256 /* set by setup.py: the sha256 of this file, checked by floatnet.py */
#define FLOATLOOP_SOURCE_SHA256 ""
#endif

enum { MAX_SIZE = 1 << 15 }; /* bound on every size, padding and coordinate: index arithmetic cannot overflow */

typedef struct {
    int64_t to, pool, shift; /* destination layer (-1: none), pooling, feature shift */
} Route;

typedef struct {
    int64_t layer, c, x, y;
} Delivery;

typedef struct {
    int64_t *at; /* (input event index, feature) pairs */
    Py_ssize_t n, size;
} Rows;

/* Output positions [*lo, *hi] whose kernel (size k, stride s) covers the padded input coordinate
 * i, that is 0 <= i - o*s < k, within an output of `out` positions: Python's
 * max(0, -(-(i - k + 1) // s)) and min(out - 1, i // s) for i >= 0. */
static void covered(int64_t i, int64_t k, int64_t s, int64_t out, int64_t *lo, int64_t *hi)
{
    int64_t first = i - k + 1;
    *lo = first <= 0 ? 0 : (first + s - 1) / s;
    *hi = i / s < out - 1 ? i / s : out - 1;
}

static int append(Rows *rows, int64_t e, int64_t f)
{
    if (rows->n == rows->size) {
        Py_ssize_t size = rows->size * 2 + 256;
        int64_t *grown = PyMem_Realloc(rows->at, (size_t)size * 2 * sizeof(int64_t));
        if (!grown) {
            PyErr_NoMemory();
            return -1;
        }
        rows->at = grown, rows->size = size;
    }
    rows->at[2 * rows->n] = e, rows->at[2 * rows->n + 1] = f;
    rows->n++;
    return 0;
}

/* ---------------------------------------------------------------- argument checks */

/* A check the Python side makes impossible; it raises ValueError rather than corrupt memory. */
static int need(int ok, const char *what)
{
    if (!ok)
        PyErr_Format(PyExc_ValueError, "_floatloop.run: %s", what);
    return ok;
}

/* `obj`'s memory as a C-contiguous array of int64 (kind 'i') or float64 ('d'): the view is
 * released by the caller; anything else raises TypeError. */
static int array_of(PyObject *obj, Py_buffer *view, char kind, int writable, const char *name)
{
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0)) < 0)
        return -1;
    const char *format = view->format + (view->format[0] == '@' || view->format[0] == '=');
    int ok = view->itemsize == 8 && (kind == 'd' ? !strcmp(format, "d") : !strcmp(format, "q") || !strcmp(format, "l"));
    if (!ok)
        PyErr_Format(PyExc_TypeError, "_floatloop.run: %s must be a contiguous %s array", name,
                     kind == 'd' ? "float64" : "int64");
    return ok ? 0 : -1;
}

/* Every layer's sizes are positive and bounded, its weights and states lie inside the arrays, its
 * routes go to later layers with a pooling of at least 1; returns the stack one event can need:
 * the input layers, plus on the way down (one delivery per layer at most, as routes go forward)
 * every spike of one delivery times its routes: rows x columns of its field x features. */
static Py_ssize_t check_layers(const int64_t *geometry, const Route *routes, Py_ssize_t n_layers,
                               Py_ssize_t n_targets, Py_ssize_t n_weights, Py_ssize_t n_v)
{
    Py_ssize_t stack = n_targets;
    for (Py_ssize_t n = 0; n < n_layers; n++) {
        const int64_t *g = geometry + n * NCOL;
        int sizes = 1;
        for (int col = F; col <= W; col++) /* every column up to the input width is a size or a padding */
            sizes &= g[col] >= (col == PY || col == PX ? 0 : 1) && g[col] <= MAX_SIZE;
        if (!need(sizes && g[W_OFF] >= 0 && g[V_OFF] >= 0 && g[W_OFF] <= n_weights && g[V_OFF] <= n_v
                      && g[C] * g[K] * g[K] * g[F] <= n_weights - g[W_OFF] && g[OH] * g[OW] * g[F] <= n_v - g[V_OFF],
                  "a layer's sizes do not match the weight or state arrays"))
            return -1;
        for (int slot = 0; slot < 2; slot++) {
            const Route *r = &routes[2 * n + slot];
            if (r->to < 0)
                continue;
            if (!need(r->to > n && r->to < n_layers && r->pool >= 1 && r->shift >= 0 && r->shift <= MAX_SIZE,
                      "a route does not go to a later layer with a pooling of at least 1"))
                return -1;
            int64_t rows = (g[K] + g[SY] - 1) / g[SY], cols = (g[K] + g[SX] - 1) / g[SX];
            stack += (rows < g[OH] ? rows : g[OH]) * (cols < g[OW] ? cols : g[OW]) * g[F];
        }
    }
    return stack;
}

/* ---------------------------------------------------------------- the loop */

typedef struct {
    const int64_t *geometry;
    const double *thresholds; /* high, low per layer (low = -inf: no floor) */
    const Route *routes;
    const double *weights;
    double *v;
    int64_t output;
    Delivery *stack;
    Rows rows;
    int64_t spikes, synops;
} Net;

/* Delivery d: update its layer's neurons covering it, push their spikes' deliveries in firing
 * order (reversed afterwards by the caller); returns the new top of the stack, or -1. */
static Py_ssize_t deliver(Net *net, Delivery d, int64_t e, Py_ssize_t top)
{
    const int64_t *g = net->geometry + d.layer * NCOL;
    const Route *routes = net->routes + 2 * d.layer;
    int64_t k = g[K], nf = g[F], ow = g[OW], iy = d.y + g[PY], ix = d.x + g[PX], oy_lo, oy_hi, ox_lo, ox_hi;
    double high = net->thresholds[2 * d.layer], low = net->thresholds[2 * d.layer + 1];
    covered(iy, k, g[SY], g[OH], &oy_lo, &oy_hi);
    covered(ix, k, g[SX], ow, &ox_lo, &ox_hi);
    for (int64_t oy = oy_lo; oy <= oy_hi; oy++) {
        int64_t i = iy - oy * g[SY];
        for (int64_t ox = ox_lo; ox <= ox_hi; ox++) {
            int64_t j = ix - ox * g[SX];
            const double *w = net->weights + g[W_OFF] + ((d.c * k + i) * k + j) * nf;
            double *v = net->v + g[V_OFF] + (oy * ow + ox) * nf;
            for (int64_t f = 0; f < nf; f++) {
                double value = v[f] + w[f];
                if (value >= high) {
                    value = g[TO_ZERO] ? 0.0 : value - high;
                    net->spikes++;
                    if (d.layer == net->output && append(&net->rows, e, f) < 0)
                        return -1;
                    for (int slot = 0; slot < 2; slot++) {
                        const Route *r = &routes[slot];
                        if (r->to < 0)
                            continue;
                        const int64_t *to = net->geometry + r->to * NCOL;
                        Delivery next = {r->to, f + r->shift, ox / r->pool, oy / r->pool};
                        if (next.c < to[C] && next.x < to[W] && next.y < to[H]) /* else dropped (U04) */
                            net->stack[top++] = next;
                    }
                }
                v[f] = value < low ? low : value; /* Python's max(value, low) */
            }
            net->synops += nf;
        }
    }
    return top;
}

/* Every input event, depth-first; 0, or -1 with an exception set. */
static int play(Net *net, const int64_t *in_c, const int64_t *in_x, const int64_t *in_y, Py_ssize_t n_events,
                const int64_t *targets, Py_ssize_t n_targets)
{
    for (Py_ssize_t e = 0; e < n_events; e++) {
        Py_ssize_t top = 0;
        for (Py_ssize_t i = n_targets - 1; i >= 0; i--)
            net->stack[top++] = (Delivery){targets[i], in_c[e], in_x[e], in_y[e]};
        while (top > 0) {
            Delivery d = net->stack[--top];
            Py_ssize_t first = top;
            if ((top = deliver(net, d, e, top)) < 0)
                return -1;
            for (Py_ssize_t a = first, b = top - 1; a < b; a++, b--) { /* the first spike's slot 0 is taken next */
                Delivery swap = net->stack[a];
                net->stack[a] = net->stack[b], net->stack[b] = swap;
            }
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- the Python entry point */

enum { IN_C, IN_X, IN_Y, TARGETS, GEOMETRY, THRESHOLDS, ROUTES, WEIGHTS, V, NARRAYS };

static PyObject *floatloop_run(PyObject *self, PyObject *args)
{
    (void)self;
    static const char *const names[NARRAYS] = {"in_c", "in_x", "in_y", "targets", "geometry",
                                               "thresholds", "routes", "weights", "v"};
    PyObject *objects[NARRAYS], *out, *result = NULL;
    Py_buffer a[NARRAYS] = {{0}};
    long long output;
    Net net = {0};
    if (!PyArg_ParseTuple(args, "OOOOLOOOOOO!", &objects[IN_C], &objects[IN_X], &objects[IN_Y], &objects[TARGETS],
                          &output, &objects[GEOMETRY], &objects[THRESHOLDS], &objects[ROUTES], &objects[WEIGHTS],
                          &objects[V], &PyByteArray_Type, &out))
        return NULL;
    for (int i = 0; i < NARRAYS; i++)
        if (array_of(objects[i], &a[i], i == THRESHOLDS || i == WEIGHTS || i == V ? 'd' : 'i', i == V, names[i]) < 0)
            goto done;
    Py_ssize_t n_events = a[IN_C].len / 8, n_targets = a[TARGETS].len / 8, n_layers = a[GEOMETRY].len / 8 / NCOL;
    const int64_t *in_c = a[IN_C].buf, *in_x = a[IN_X].buf, *in_y = a[IN_Y].buf, *targets = a[TARGETS].buf;
    net = (Net){.geometry = a[GEOMETRY].buf, .thresholds = a[THRESHOLDS].buf, .routes = a[ROUTES].buf,
                .weights = a[WEIGHTS].buf, .v = a[V].buf, .output = output};
    if (!need(a[GEOMETRY].len == n_layers * NCOL * 8 && a[THRESHOLDS].len == n_layers * 2 * 8
                  && a[ROUTES].len == n_layers * 2 * (Py_ssize_t)sizeof(Route) && a[IN_X].len == a[IN_C].len
                  && a[IN_Y].len == a[IN_C].len,
              "array sizes disagree"))
        goto done;
    Py_ssize_t stack = check_layers(net.geometry, net.routes, n_layers, n_targets, a[WEIGHTS].len / 8, a[V].len / 8);
    if (stack < 0)
        goto done;
    for (Py_ssize_t i = 0; i < n_targets; i++) {
        if (!need(targets[i] >= 0 && targets[i] < n_layers, "an input layer is not a layer"))
            goto done;
        const int64_t *g = net.geometry + targets[i] * NCOL;
        for (Py_ssize_t e = 0; e < n_events; e++)
            if (!need(in_c[e] >= 0 && in_x[e] >= 0 && in_y[e] >= 0 && in_c[e] < g[C] && in_x[e] < g[W] && in_y[e] < g[H],
                      "an input event lies outside its layer's input"))
                goto done;
    }
    if (!(net.stack = PyMem_Malloc((size_t)stack * sizeof(Delivery)))) {
        PyErr_NoMemory();
        goto done;
    }
    if (play(&net, in_c, in_x, in_y, n_events, targets, n_targets) < 0)
        goto done;
    Py_ssize_t size = PyByteArray_GET_SIZE(out), added = net.rows.n * 2 * 8;
    if (PyByteArray_Resize(out, size + added) < 0)
        goto done;
    if (added)
        memcpy(PyByteArray_AS_STRING(out) + size, net.rows.at, (size_t)added);
    result = Py_BuildValue("(LL)", (long long)net.spikes, (long long)net.synops);
done:
    PyMem_Free(net.stack);
    PyMem_Free(net.rows.at);
    for (int i = 0; i < NARRAYS; i++) /* ignores a view never filled */
        PyBuffer_Release(&a[i]);
    return result;
}

static PyMethodDef methods[] = {
    {"run", floatloop_run, METH_VARARGS,
     "run(in_c, in_x, in_y, targets, output, geometry, thresholds, routes, weights, v, out) -> (spikes, synops): "
     "floatnet.run_float, compiled"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_floatloop", "The float model's event loop, compiled.", -1,
                                    methods};

PyMODINIT_FUNC PyInit__floatloop(void)
{
    PyObject *m = PyModule_Create(&module), *names = PyTuple_New(NCOL);
    for (int i = 0; names && i < NCOL; i++)
        PyTuple_SET_ITEM(names, i, PyUnicode_FromString(COLUMN_NAMES[i]));
    /* what floatnet.py checks before using this module */
    if (!m || !names || PyModule_AddObject(m, "COLUMNS", names) < 0
        || PyModule_AddStringConstant(m, "SOURCE_SHA256", FLOATLOOP_SOURCE_SHA256) < 0) {
        Py_XDECREF(names);
        Py_XDECREF(m);
        return NULL;
    }
    return m;
}
