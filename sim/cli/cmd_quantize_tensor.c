/* cmd_quantize_tensor.c: `qarray quantize-tensor`: a .npy in, the
 * fake-quantized .npy and optional integer codes out, with one quantizer.
 * Arguments are checked before any output is opened; outputs are atomic. */
#include "quant/npy.h"
#include "quant/qtensor.h"
#include "quant/quantizer.h"
#include "sim/cli/args.h"
#include "sim/cli/cmd.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *method, *in, *out, *codes;
    int bits, is_signed, wn;
    double alpha;
} QtOpts;

static void methods_help(FILE *f)
{
    fprintf(f, "methods:\n");
    for (int i = 0; q_method_at(i); i++)
        fprintf(f, "  %-8s %s\n", q_method_at(i)->name, q_method_at(i)->cite);
}

static const ArgOpt opts[] = {
    {.name = "method", .kind = ARG_STR, .off = offsetof(QtOpts, method), .meta = "M",
     .help = "the quantizer (listed below)", .flags = ARG_REQUIRED},
    {.name = "bits", .letter = 'b', .kind = ARG_INT, .off = offsetof(QtOpts, bits),
     .meta = "N", .help = "1..8 or 16; methods narrow this: sawb 2,3,4,5,8;\n"
     "apot 1..5 unsigned, 2..6 signed; pot up to 7/8;\nlloyd up to 8",
     .lo = 1, .hi = 16, .flags = ARG_REQUIRED},
    {.name = "alpha", .kind = ARG_REAL, .off = offsetof(QtOpts, alpha), .meta = "A",
     .help = "clip level (pact, cgpact, apot, pot, uniform, lloyd),\n"
             "step size (lsq) or clip range (faq). Default: pact/cgpact\n"
             "10, apot family max|x|, lsq 2 mean|x|/sqrt(Q_P), faq\n"
             "calibrated. dorefa and sawb take no alpha.",
     /* a float the quantizers can divide by: 1e39 became inf, 1e-46 became
      * 0 ("must be > 0, got 0"), 1.2e-38 gave NaN outputs */
     .lo = Q_ALPHA_MIN, .hi = Q_ALPHA_MAX},
    {.name = "signed", .kind = ARG_FLAG, .off = offsetof(QtOpts, is_signed),
     .help = "signed levels (weights); dorefa and sawb are always\n"
             "signed, pact and cgpact never"},
    {.name = "wn", .kind = ARG_FLAG, .off = offsetof(QtOpts, wn),
     .help = "weight normalization (APoT eq. 9) first (apot family only)"},
    {.name = "in", .letter = 'i', .kind = ARG_STR, .off = offsetof(QtOpts, in),
     .meta = "FILE.npy", .help = "the tensor: float32, little-endian, C order",
     .flags = ARG_REQUIRED | ARG_IN},
    ARGS_OPT_OUT(QtOpts, out, "FILE.npy", "the fake-quantized values (float32, same shape)",
                 ARG_REQUIRED | ARG_OUT),
    {.name = "codes", .kind = ARG_STR, .off = offsetof(QtOpts, codes), .meta = "FILE.npy",
     .help = "the integer codes, in the narrowest integer dtype", .flags = ARG_OUT},
};

static int run(const Args *a, void *obj, Err *e)
{
    const QtOpts *o = obj;
    float *x = NULL, *y = NULL;
    QTensorInt t = {0};
    Quantizer q = {0};
    int q_ready = 0;
    if (q_init(&q, o->method, o->bits, o->is_signed, e))
        goto fail;
    q_ready = 1;
    if (args_given(a, "alpha") && q_set_alpha(&q, (float)o->alpha, e))
        goto fail;
    if (o->wn) {
        if (q.ops->forward != q_apot_ops.forward) {
            err_set(e, NULL, 0, "--wn", "only for apot, pot, uniform and lloyd");
            goto fail;
        }
        q.wn = 1;
    }
    NpyShape sh;
    if (npy_read_f32(o->in, &x, &sh, e) || npy_check_finite(o->in, x, sh.n, e))
        goto fail;
    y = qa_malloc(sh.n * sizeof *y);
    if (!y) {
        err_set(e, o->in, 0, NULL, "out of memory for %zu values", sh.n);
        goto fail;
    }
    if (q_tensor_export(&q, x, sh.n, &t, e))
        goto fail;
    /* The forward itself, so out.npy is exactly what q_forward computes. */
    if (q_forward(&q, x, y, sh.n, e))
        goto fail;
    /* Error against what the quantizer sees: with --wn that is the
     * normalized tensor (APoT eq. 9), which is also what the layer uses. */
    double se = 0.0;
    for (size_t i = 0; i < sh.n; i++) {
        double xi = (double)x[i];
        if (q.wn)
            xi = (xi - (double)q.wn_mu) / ((double)q.wn_sigma + (double)Q_WN_EPS);
        se += (xi - (double)y[i]) * (xi - (double)y[i]);
    }
    if (npy_write(o->out, NPY_F32, y, &sh, e))
        goto fail;
    if (o->codes && npy_write(o->codes, t.dtype, t.codes, &sh, e)) {
        remove(o->out); /* all or nothing */
        goto fail;
    }
    char al[32] = "-"; /* dorefa has none; faq signed uses the std rule */
    if (q.alpha > 0.0f)
        snprintf(al, sizeof al, "%.6g", (double)q.alpha);
    printf("%s %d-bit %s: %zu values, alpha %s, scale %.6g, zero_point %g, "
           "codes %s, levels %d, mse %.6g\n",
           q.ops->name, o->bits, q.is_signed ? "signed" : "unsigned", sh.n, al,
           (double)t.scale, (double)t.zero_point, npy_descr(t.dtype), t.n_levels,
           se / (double)sh.n);
    free(x);
    free(y);
    q_tensor_free(&t);
    q_free(&q);
    return QA_OK;
fail:
    free(x);
    free(y);
    q_tensor_free(&t);
    if (q_ready)
        q_free(&q);
    return QA_ERR;
}

const ArgCmd cmd_quantize_tensor = {
    .name = "quantize-tensor",
    .summary = "quantize a .npy tensor with one method",
    .about = "Quantizes a float32 little-endian C-order .npy array as one tensor and\n"
             "writes the fake-quantized values (float32, same shape) and, with --codes,\n"
             "the integer codes. Prints one summary line.",
    .opts = opts, .nopts = (int)QA_COUNT(opts),
    .more = methods_help,
    .size = sizeof(QtOpts),
    .run = run,
};
