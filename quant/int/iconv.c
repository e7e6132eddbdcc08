/* iconv.c: the reference's convolution accumulators (see iconv.h). */
#include "quant/int/iconv.h"
#include "quant/int/u8s8.h"

#include <dnnl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct IConv {
    const IOp *op;
    int batch, in_wide, acc_wide;
    char impl[64];
    /* loops: weights as (R, S, C, K), so the inner loop runs over k */
    int32_t *wr;
    /* oneDNN: one primitive, or two for weights beyond s8, split
     * w = 128 hi + lo (lo in 0..127): acc = 128 acc_hi + acc_lo; or, when
     * every weight is odd (SAWB's half-step codes, up to +-255 at 8 bits),
     * one primitive of h = (w - 1) / 2: acc = 2 acc_h + the window's sum
     * of the input, added here */
    int nprim, odd;
    dnnl_primitive_t prim[2];
    dnnl_memory_t wei[2];
    dnnl_memory_t src, dst;
    dnnl_stream_t stream; /* its own: a stream is not thread-safe, and the
                           * reference runs convolutions on several threads */
    int32_t *hi_acc;  /* (batch, P, Q, K) of the second primitive */
    int32_t *xsum;    /* odd: (batch, H, W) the input summed over channels */
};

/* One CPU engine for the process (an engine is thread-safe). */
static dnnl_engine_t engine;
static pthread_once_t engine_once = PTHREAD_ONCE_INIT;

static void engine_make(void)
{
    if (dnnl_engine_create(&engine, dnnl_cpu, 0) != dnnl_success)
        engine = NULL;
}

void iconv_free(IConv *c)
{
    if (!c)
        return;
    free(c->wr), free(c->hi_acc), free(c->xsum);
    for (int i = 0; i < 2; i++) {
        if (c->prim[i])
            dnnl_primitive_destroy(c->prim[i]);
        if (c->wei[i])
            dnnl_memory_destroy(c->wei[i]);
    }
    if (c->src)
        dnnl_memory_destroy(c->src);
    if (c->dst)
        dnnl_memory_destroy(c->dst);
    if (c->stream)
        dnnl_stream_destroy(c->stream);
    free(c);
}

int iconv_acc_wide(const IConv *c)
{
    return c->acc_wide;
}

const char *iconv_impl(const IConv *c)
{
    return c->impl;
}

/* Primitive j of c's op for weights w8 (K, C, R, S), reordered into the
 * layout it chose; 0 when oneDNN offers none of its own (then the caller
 * frees c's oneDNN objects). */
static int make_primitive(IConv *c, int j, const int8_t *w8)
{
    const IOp *op = c->op;
    dnnl_dims_t sd = {c->batch, op->C, op->H, op->W};
    dnnl_dims_t wd = {op->K, op->C, op->R, op->S};
    dnnl_dims_t dd = {c->batch, op->K, op->P, op->Q};
    dnnl_dims_t st = {op->stride, op->stride}, pl = {op->pad, op->pad};
    /* the right/bottom padding that makes exactly P x Q outputs */
    dnnl_dims_t pr = {(int64_t)(op->P - 1) * op->stride + op->R - op->H - op->pad,
                      (int64_t)(op->Q - 1) * op->stride + op->S - op->W - op->pad};
    dnnl_memory_desc_t smd, wumd, wmd, dmd;
    dnnl_convolution_desc_t cd;
    dnnl_primitive_desc_t pd = NULL, rpd = NULL;
    dnnl_primitive_t reorder = NULL;
    dnnl_memory_t wuser = NULL;
    int ok = 0;
    if (dnnl_memory_desc_init_by_tag(&smd, 4, sd, dnnl_u8, dnnl_nhwc) ||
        dnnl_memory_desc_init_by_tag(&wumd, 4, wd, dnnl_s8, dnnl_oihw) ||
        dnnl_memory_desc_init_by_tag(&wmd, 4, wd, dnnl_s8, dnnl_format_tag_any) ||
        dnnl_memory_desc_init_by_tag(&dmd, 4, dd, dnnl_s32, dnnl_nhwc) ||
        dnnl_convolution_forward_desc_init(&cd, dnnl_forward_inference,
                                           dnnl_convolution_direct, &smd, &wmd, NULL,
                                           &dmd, st, pl, pr) ||
        dnnl_primitive_desc_create(&pd, &cd, NULL, engine, NULL))
        goto done;
    const char *name = NULL;
    if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name) || !name ||
        (strncmp(name, "brg", 3) && strncmp(name, "jit", 3)))
        goto done; /* gemm-based (the chip's kernels) or oneDNN's slow reference */
    snprintf(c->impl, sizeof c->impl, "%s%s", name,
             c->nprim == 2 ? " x2 (split)" : c->odd ? " (odd weights)" : "");
    const dnnl_memory_desc_t *wpd = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    if (dnnl_primitive_create(&c->prim[j], pd) ||
        (!c->src && dnnl_memory_create(&c->src, &smd, engine, DNNL_MEMORY_NONE)) ||
        (!c->dst && dnnl_memory_create(&c->dst, &dmd, engine, DNNL_MEMORY_NONE)) ||
        dnnl_memory_create(&c->wei[j], wpd, engine, DNNL_MEMORY_ALLOCATE) ||
        dnnl_memory_create(&wuser, &wumd, engine, (void *)w8) ||
        dnnl_reorder_primitive_desc_create(&rpd, &wumd, engine, wpd, engine, NULL) ||
        dnnl_primitive_create(&reorder, rpd))
        goto done;
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, wuser}, {DNNL_ARG_TO, c->wei[j]}};
    if (dnnl_primitive_execute(reorder, c->stream, 2, args) || dnnl_stream_wait(c->stream))
        goto done;
    ok = 1;
done:
    if (reorder)
        dnnl_primitive_destroy(reorder);
    if (rpd)
        dnnl_primitive_desc_destroy(rpd);
    if (pd)
        dnnl_primitive_desc_destroy(pd);
    if (wuser)
        dnnl_memory_destroy(wuser);
    return ok;
}

/* floor(c / 2^t) without >> of a negative number */
static int floor_pow2(int c, int t)
{
    return c >= 0 ? c >> t : -((-c - 1) >> t) - 1;
}

/* The oneDNN route of c (weights lo..hi): one primitive when they fit
 * s8, two halves when they fit 15 bits; 0 when not taken. */
static int make_onednn(IConv *c, int amax, int wlo, int whi, int64_t kd)
{
    const IOp *op = c->op;
    size_t nw = (size_t)op->K * op->C * op->R * op->S;
    int split = !(wlo >= -128 && whi <= 127);
    int odd = split && u8s8_exact(amax, floor_pow2(wlo, 1), floor_pow2(whi, 1), kd);
    for (size_t i = 0; odd && i < nw; i++)
        odd = op->w[i] % 2 != 0;
    if (odd)
        split = 0;
    if (split ? !(u8s8_exact(amax, floor_pow2(wlo, 7), floor_pow2(whi, 7), kd) &&
                  u8s8_exact(amax, 0, 127, kd))
              : !odd && !u8s8_exact(amax, wlo, whi, kd))
        return 0;
    int8_t *w8 = malloc(nw * 2);
    if (!w8)
        return 0;
    for (size_t i = 0; i < nw; i++) {
        int h = split ? floor_pow2(op->w[i], 7) : 0;
        w8[i] = (int8_t)(odd ? floor_pow2(op->w[i], 1) /* (w - 1) / 2 */
                             : op->w[i] - h * 128);  /* lo, or the code */
        w8[nw + i] = (int8_t)h;
    }
    c->nprim = split ? 2 : 1;
    c->odd = odd;
    int ok = make_primitive(c, 0, w8) && (!split || make_primitive(c, 1, w8 + nw));
    free(w8);
    if (ok && split) {
        size_t n = (size_t)c->batch * op->P * op->Q * op->K;
        ok = (c->hi_acc = malloc(sizeof *c->hi_acc * (n ? n : 1))) != NULL;
    }
    if (ok && odd) {
        size_t n = (size_t)c->batch * op->H * op->W;
        ok = (c->xsum = malloc(sizeof *c->xsum * (n ? n : 1))) != NULL;
    }
    if (!ok) {
        for (int j = 0; j < 2; j++) {
            if (c->prim[j])
                dnnl_primitive_destroy(c->prim[j]);
            if (c->wei[j])
                dnnl_memory_destroy(c->wei[j]);
            c->prim[j] = NULL, c->wei[j] = NULL;
        }
        if (c->src)
            dnnl_memory_destroy(c->src);
        if (c->dst)
            dnnl_memory_destroy(c->dst);
        c->src = c->dst = NULL;
        c->nprim = 0;
        snprintf(c->impl, sizeof c->impl, "loops");
    }
    return ok;
}

int iconv_init(IConv **cp, const IOp *op, int batch, int in_wide, int amax, Err *e)
{
    *cp = NULL;
    IConv *c = qa_calloc(1, sizeof *c);
    if (!c)
        return err_set(e, NULL, 0, op->name, "out of memory");
    c->op = op, c->batch = batch, c->in_wide = in_wide;
    int64_t kd = (int64_t)op->C * op->R * op->S;
    int wlo = 0, whi = 0, wabs = 0;
    for (int64_t i = 0; i < kd * op->K; i++) {
        wlo = QA_MIN(wlo, op->w[i]), whi = QA_MAX(whi, op->w[i]);
        wabs = QA_MAX(wabs, op->w[i] < 0 ? -op->w[i] : op->w[i]);
    }
    /* int32 sums when no sum can leave int32 (u8 input: |x| <= amax) */
    c->acc_wide = in_wide || !(amax == 0 || wabs == 0 ||
                               kd <= INT32_MAX / ((int64_t)amax * wabs));
    snprintf(c->impl, sizeof c->impl, "loops");
    if (!in_wide && !c->acc_wide && u8s8_level() == U8S8_FULL) {
        pthread_once(&engine_once, engine_make);
        if (engine && !c->stream &&
            dnnl_stream_create(&c->stream, engine, dnnl_stream_default_flags) != dnnl_success)
            c->stream = NULL;
        if (engine && c->stream && make_onednn(c, amax, wlo, whi, kd)) {
            *cp = c;
            return QA_OK;
        }
    }
    /* the loops */
    size_t nw = (size_t)(kd * op->K);
    c->wr = qa_malloc(sizeof *c->wr * (nw ? nw : 1));
    if (!c->wr) {
        iconv_free(c);
        return err_set(e, NULL, 0, op->name, "out of memory");
    }
    for (int k = 0; k < op->K; k++)
        for (int ch = 0; ch < op->C; ch++)
            for (int r = 0; r < op->R; r++)
                for (int s = 0; s < op->S; s++)
                    c->wr[(((size_t)r * op->S + s) * op->C + ch) * op->K + k] =
                        op->w[(((size_t)k * op->C + ch) * op->R + r) * op->S + s];
    *cp = c;
    return QA_OK;
}

/* Every output pixel: the window's taps inside the image, each input
 * channel times its row of (R, S, C, K) weights added over k. X: input
 * type, T: sum type. */
#define CONV_LOOPS(X, T, NAME)                                                         \
    static void NAME(const IConv *c, const X *x, T *acc)                               \
    {                                                                                  \
        const IOp *op = c->op;                                                         \
        const int64_t npix = (int64_t)c->batch * op->P * op->Q;                        \
        _Pragma("omp parallel for schedule(static)")                                   \
        for (int64_t pix = 0; pix < npix; pix++) {                                     \
            int64_t n = pix / ((int64_t)op->P * op->Q);                                \
            int p = (int)(pix / op->Q % op->P), q = (int)(pix % op->Q);                \
            T *a = acc + pix * op->K;                                                  \
            memset(a, 0, sizeof *a * (size_t)op->K);                                   \
            for (int r = 0; r < op->R; r++) {                                          \
                int h = p * op->stride - op->pad + r;                                  \
                if (h < 0 || h >= op->H)                                               \
                    continue;                                                          \
                for (int s = 0; s < op->S; s++) {                                      \
                    int w = q * op->stride - op->pad + s;                              \
                    if (w < 0 || w >= op->W)                                           \
                        continue;                                                      \
                    const X *xp = x + ((n * op->H + h) * op->W + w) * op->C;           \
                    const int32_t *wk = c->wr + ((size_t)r * op->S + s) * op->C * op->K; \
                    for (int ch = 0; ch < op->C; ch++) {                               \
                        T xv = (T)xp[ch];                                              \
                        if (xv == 0)                                                   \
                            continue;                                                  \
                        const int32_t *wc = wk + (size_t)ch * op->K;                   \
                        for (int k = 0; k < op->K; k++)                                \
                            a[k] += xv * (T)wc[k];                                     \
                    }                                                                  \
                }                                                                      \
            }                                                                          \
        }                                                                              \
    }
CONV_LOOPS(uint8_t, int32_t, loops_u8_32)
CONV_LOOPS(uint8_t, int64_t, loops_u8_64)
CONV_LOOPS(int32_t, int64_t, loops_s32_64)

/* Odd weights: acc = 2 acc_h + the sum of the input codes under the
 * window (channels, then the taps inside the image): the sum fits int32
 * (acc_wide is 0), 2 acc_h alone may not. */
static void add_window_sums(IConv *c, const uint8_t *x, int32_t *acc)
{
    const IOp *op = c->op;
    const int64_t npx = (int64_t)c->batch * op->H * op->W;
    _Pragma("omp parallel for schedule(static)")
    for (int64_t i = 0; i < npx; i++) {
        int32_t sum = 0;
        for (int ch = 0; ch < op->C; ch++)
            sum += x[i * op->C + ch];
        c->xsum[i] = sum;
    }
    const int64_t npix = (int64_t)c->batch * op->P * op->Q;
    _Pragma("omp parallel for schedule(static)")
    for (int64_t pix = 0; pix < npix; pix++) {
        int64_t n = pix / ((int64_t)op->P * op->Q);
        int p = (int)(pix / op->Q % op->P), q = (int)(pix % op->Q);
        int64_t box = 0;
        for (int r = 0; r < op->R; r++) {
            int h = p * op->stride - op->pad + r;
            if (h < 0 || h >= op->H)
                continue;
            for (int s = 0; s < op->S; s++) {
                int w = q * op->stride - op->pad + s;
                if (w >= 0 && w < op->W)
                    box += c->xsum[(n * op->H + h) * op->W + w];
            }
        }
        int32_t *a = acc + pix * op->K;
        for (int k = 0; k < op->K; k++)
            a[k] = (int32_t)(2 * (int64_t)a[k] + box);
    }
}

int iconv_run(IConv *c, const void *x, void *acc, Err *e)
{
    if (c->nprim) {
        if (dnnl_memory_set_data_handle(c->src, (void *)x))
            return err_set(e, NULL, 0, c->op->name, "oneDNN convolution failed");
        for (int j = 0; j < c->nprim; j++) {
            dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, c->src},
                                       {DNNL_ARG_WEIGHTS, c->wei[j]},
                                       {DNNL_ARG_DST, c->dst}};
            if (dnnl_memory_set_data_handle(c->dst, j ? (void *)c->hi_acc : acc) ||
                dnnl_primitive_execute(c->prim[j], c->stream, 3, args) ||
                dnnl_stream_wait(c->stream))
                return err_set(e, NULL, 0, c->op->name, "oneDNN convolution failed");
        }
        if (c->odd)
            add_window_sums(c, x, acc);
        if (c->nprim == 2) {
            /* 128 hi + lo: the sum fits int32 (acc_wide is 0) */
            const IOp *op = c->op;
            int32_t *a = acc;
            const int64_t n = (int64_t)c->batch * op->P * op->Q * op->K;
            _Pragma("omp parallel for schedule(static)")
            for (int64_t i = 0; i < n; i++)
                a[i] = (int32_t)((int64_t)c->hi_acc[i] * 128 + a[i]);
        }
        return QA_OK;
    }
    if (c->in_wide)
        loops_s32_64(c, x, acc);
    else if (c->acc_wide)
        loops_u8_64(c, x, acc);
    else
        loops_u8_32(c, x, acc);
    return QA_OK;
}
