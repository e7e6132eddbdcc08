/* irun.c: the integer reference on a batch, channels last (see irun.h).
 *
 * Threads: the batch is cut into lanes, one per thread, and each lane runs
 * the whole network on its own images with its own convolutions, so a
 * forward is one parallel region (a region per op or per row waits for
 * every thread at its end, and on a shared machine one descheduled thread
 * stalls them all). One image, or one thread: one lane, whose
 * convolutions and loops then use the threads themselves. */
#include "quant/int/irun.h"
#include "quant/int/iconv.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

/* A convolution's sums of this many bytes at most are requantized while
 * still in the caches (L2 is 0.5-2 MiB per core on current x86). */
#define IRUN_ACC_BYTES ((size_t)512 * 1024)

/* Elements per call of the element loops. */
#define RQ_SPAN 1024

/* 2^62: see wide_row */
#define WIDE_OFS ((int64_t)1 << 62)

typedef struct {
    int n0, n;        /* its images n0 .. n0+n-1 */
    IConv **conv;     /* (ops) conv ops only: sb[i] images at a time */
    IConv **tail;     /* (ops) its last n % sb[i] images, if any */
    int *sb;          /* (ops) */
    void *acc;        /* a conv's sums of sb[i] images, int32 or int64 */
    int64_t *sums;    /* (n, C) of the classifier's pool */
    Err err;
} Lane;

struct IRun {
    const INet *net;
    int batch, nlanes;
    Lane *lane;       /* (nlanes) */
    void **y;         /* (ops) (batch, P, Q, K) u8 or int32 */
    int *wide;        /* (ops) */
    int *bits;        /* (ops) code bits of u8 outputs, 0 for int32 */
    int64_t **rqc;    /* (ops) conv: bias + 2^(shift-1) per channel, repeated
                       * for rq_rows[i] pixels (one call of the element
                       * loops takes several pixels of a narrow layer), and
                       * mult and shift the same way */
    int32_t **rqm, **rqs;
    int64_t **rqo, **rqd; /* (ops) rqc + 2^62 and 2^(62-shift): wide_row's */
    int *rq_rows;
    int *rqfast;      /* (ops) every |rqc| < 2^61: wide_row applies */
    uint8_t *img;     /* (batch, H, W, C) */
    int64_t *logits;  /* (batch, classes) */
};

static inline int64_t clamp_code(int64_t y, int bits)
{
    if (bits == 0)
        return y < INT32_MIN ? INT32_MIN : y > INT32_MAX ? INT32_MAX : y;
    int64_t hi = ((int64_t)1 << bits) - 1;
    return y < 0 ? 0 : y > hi ? hi : y;
}

/* floor(t / 2^sh) without >> of a negative number */
static inline int64_t floor_shift(int64_t t, int sh)
{
    return t >= 0 ? t >> sh : -(((-t) - 1) >> sh) - 1;
}

static size_t per_image(const IOp *op)
{
    return (size_t)op->P * op->Q * op->K;
}

static void lane_free(const IRun *r, Lane *l)
{
    for (int i = 0; l->conv && i < r->net->n; i++)
        iconv_free(l->conv[i]), iconv_free(l->tail[i]);
    free(l->conv), free(l->tail), free(l->sb), free(l->acc), free(l->sums);
}

void irun_free(IRun *r)
{
    if (!r)
        return;
    for (int l = 0; r->lane && l < r->nlanes; l++)
        lane_free(r, &r->lane[l]);
    for (int i = 0; r->y && i < r->net->n; i++)
        qa_private_free(r->y[i]);
    for (int i = 0; r->rqc && i < r->net->n; i++)
        free(r->rqc[i]), free(r->rqm[i]), free(r->rqs[i]), free(r->rqo[i]), free(r->rqd[i]);
    free(r->lane), free(r->y), free(r->wide), free(r->bits), free(r->rqc), free(r->rqm);
    free(r->rqs), free(r->rqo), free(r->rqd), free(r->rq_rows), free(r->rqfast), free(r->img), free(r->logits);
    free(r);
}

/* A lane's convolutions and scratch. */
static int lane_init(IRun *r, Lane *l, Err *e)
{
    const INet *net = r->net;
    int n = net->n;
    l->conv = qa_calloc((size_t)n, sizeof *l->conv);
    l->tail = qa_calloc((size_t)n, sizeof *l->tail);
    l->sb = qa_calloc((size_t)n, sizeof *l->sb);
    if (!l->conv || !l->tail || !l->sb)
        return err_set(e, NULL, 0, "intref", "out of memory");
    size_t acc = 1, sums = 1;
    for (int i = 0; i < n; i++) {
        const IOp *op = &net->ops[i];
        if (op->kind == IOP_GAPFC)
            sums = QA_MAX(sums, (size_t)l->n * op->C);
        if (op->kind != IOP_CONV)
            continue;
        int src = op->in[0];
        int in_bits = src == INTREF_INPUT ? net->in_bits : r->bits[src];
        int in_wide = src == INTREF_INPUT ? 0 : r->wide[src];
        int amax = in_wide ? 0 : (1 << in_bits) - 1;
        /* images per convolution: its sums stay in cache until requantized */
        size_t per = per_image(op) * sizeof(int32_t);
        int sb = (int)QA_MAX(1, QA_MIN((size_t)l->n, IRUN_ACC_BYTES / per));
        l->sb[i] = sb;
        if (iconv_init(&l->conv[i], op, sb, in_wide, amax, e) != QA_OK ||
            (l->n % sb && iconv_init(&l->tail[i], op, l->n % sb, in_wide, amax, e) != QA_OK))
            return QA_ERR;
        acc = QA_MAX(acc, (size_t)sb * per * (iconv_acc_wide(l->conv[i]) ? 2 : 1));
    }
    l->acc = qa_malloc(acc);
    l->sums = qa_malloc(sizeof *l->sums * sums);
    if (!l->acc || !l->sums)
        return err_set(e, NULL, 0, "intref", "out of memory");
    return QA_OK;
}

int irun_init(IRun **rp, const INet *net, int batch, Err *e)
{
    *rp = NULL;
    if (batch < 1)
        return err_set(e, NULL, 0, "batch", "%d: must be at least 1", batch);
    if (intref_validate(net, e) != QA_OK)
        return QA_ERR;
    IRun *r = qa_calloc(1, sizeof *r);
    if (!r)
        return err_set(e, NULL, 0, "intref", "out of memory");
    r->net = net, r->batch = batch;
    int n = net->n;
    r->nlanes = QA_MAX(1, QA_MIN(batch, omp_get_max_threads()));
    r->lane = qa_calloc((size_t)r->nlanes, sizeof *r->lane);
    r->y = qa_calloc((size_t)n, sizeof *r->y);
    r->wide = qa_calloc((size_t)n, sizeof *r->wide);
    r->bits = qa_calloc((size_t)n, sizeof *r->bits);
    r->rqc = qa_calloc((size_t)n, sizeof *r->rqc);
    r->rqm = qa_calloc((size_t)n, sizeof *r->rqm);
    r->rqs = qa_calloc((size_t)n, sizeof *r->rqs);
    r->rqo = qa_calloc((size_t)n, sizeof *r->rqo);
    r->rqd = qa_calloc((size_t)n, sizeof *r->rqd);
    r->rq_rows = qa_calloc((size_t)n, sizeof *r->rq_rows);
    r->rqfast = qa_calloc((size_t)n, sizeof *r->rqfast);
    r->img = qa_malloc((size_t)batch * net->in_C * net->in_H * net->in_W);
    r->logits = qa_calloc((size_t)batch * net->classes, sizeof *r->logits);
    if (!r->lane || !r->y || !r->wide || !r->bits || !r->rqc || !r->rqm || !r->rqs ||
        !r->rqo || !r->rqd ||
        !r->rq_rows || !r->rqfast || !r->img ||
        !r->logits)
        goto oom;
    for (int i = 0; i < n; i++) {
        const IOp *op = &net->ops[i];
        int src = op->in[0];
        int in_bits = src == INTREF_INPUT ? net->in_bits : r->bits[src];
        int in_wide = src == INTREF_INPUT ? 0 : r->wide[src];
        switch (op->kind) {
        case IOP_CONV:
        case IOP_ADD:
            r->bits[i] = op->out_bits >= 1 && op->out_bits <= 8 ? op->out_bits : 0;
            break;
        case IOP_MAXPOOL:
            r->bits[i] = in_wide ? 0 : in_bits;
            break;
        case IOP_GAPFC:
            r->bits[i] = 0;
            break;
        }
        r->wide[i] = r->bits[i] == 0;
        r->y[i] = qa_private_calloc(per_image(op) * (size_t)batch *
                                    (r->wide[i] ? sizeof(int32_t) : 1));
        if (!r->y[i])
            goto oom;
        if (op->kind != IOP_CONV)
            continue;
        int rows = QA_MAX(1, RQ_SPAN / op->K);
        size_t nr = (size_t)rows * op->K;
        r->rq_rows[i] = rows;
        r->rqc[i] = qa_malloc(sizeof **r->rqc * nr);
        r->rqm[i] = qa_malloc(sizeof **r->rqm * nr);
        r->rqs[i] = qa_malloc(sizeof **r->rqs * nr);
        r->rqo[i] = qa_malloc(sizeof **r->rqo * nr);
        r->rqd[i] = qa_malloc(sizeof **r->rqd * nr);
        if (!r->rqc[i] || !r->rqm[i] || !r->rqs[i] || !r->rqo[i] || !r->rqd[i])
            goto oom;
        r->rqfast[i] = 1;
        for (size_t j = 0; j < nr; j++) {
            int k = (int)(j % (size_t)op->K);
            int64_t c = op->bias[k] + (op->shift[k] ? (int64_t)1 << (op->shift[k] - 1) : 0);
            r->rqc[i][j] = c, r->rqm[i][j] = op->mult[k], r->rqs[i][j] = op->shift[k];
            r->rqo[i][j] = c + WIDE_OFS, r->rqd[i][j] = WIDE_OFS >> op->shift[k];
            if (c >= ((int64_t)1 << 61) || c <= -((int64_t)1 << 61))
                r->rqfast[i] = 0;
        }
    }
    for (int l = 0; l < r->nlanes; l++) {
        Lane *ln = &r->lane[l];
        ln->n0 = (int)((int64_t)batch * l / r->nlanes);
        ln->n = (int)((int64_t)batch * (l + 1) / r->nlanes) - ln->n0;
        if (lane_init(r, ln, e) != QA_OK)
            goto fail;
    }
    *rp = r;
    return QA_OK;
oom:
    err_set(e, NULL, 0, "intref", "out of memory");
fail:
    irun_free(r);
    return QA_ERR;
}

const int64_t *irun_logits(const IRun *r)
{
    return r->logits;
}

const void *irun_out(const IRun *r, int i, int *wide)
{
    *wide = r->wide[i];
    return r->y[i];
}

const char *irun_conv_impl(const IRun *r, int i)
{
    return r->lane[0].conv[i] ? iconv_impl(r->lane[0].conv[i]) : NULL;
}

/* ---- element loops ------------------------------------------------------ */

/* One row at a time. x86-64's baseline (SSE2) has no multiply of 64-bit
 * lanes, so GCC leaves these scalar; AVX-512 and AVX2 clones, picked at
 * load time where the processor has them, run them 8 and 4 lanes wide.
 * For codes the floor of a negative number never matters (it clamps to
 * 0), so the shift is logical. */
#define QA_CLONES __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))

/* u8 codes: y = min(max(v m + c, 0) >> sh, hi), c = bias + 2^(sh-1). */
QA_CLONES static void codes_row(const int32_t *restrict v, int n, const int32_t *restrict m,
                                const int64_t *restrict c, const int32_t *restrict sh,
                                int64_t hi, uint8_t *restrict y)
{
    for (int j = 0; j < n; j++) {
        int64_t t = (int64_t)v[j] * m[j] + c[j];
        t = t < 0 ? 0 : t;
        int64_t u = (int64_t)((uint64_t)t >> sh[j]);
        y[j] = (uint8_t)(u > hi ? hi : u);
    }
}

/* int32 outputs: floor(t / 2^sh) saturated, for |t| < 2^62: t + 2^62
 * is then >= 0 and a multiple of 2^sh apart from t, so a logical shift
 * floors it (AVX2 has no 64-bit arithmetic shift): c holds bias +
 * 2^(sh-1) + 2^62, d 2^(62-sh). */
QA_CLONES static void wide_row(const int32_t *restrict v, int n, const int32_t *restrict m,
                               const int64_t *restrict c, const int32_t *restrict sh,
                               const int64_t *restrict d, int32_t *restrict y)
{
    const int64_t lo = INT32_MIN, hi = INT32_MAX;
    for (int j = 0; j < n; j++) {
        int64_t t = (int64_t)v[j] * m[j] + c[j];
        int64_t u = (int64_t)((uint64_t)t >> sh[j]) - d[j];
        u = u < lo ? lo : u;
        u = u > hi ? hi : u;
        y[j] = (int32_t)u;
    }
}

/* the add's u8 codes: y = min(max(a m0 + b m1 + c, 0) >> sh, hi) */
QA_CLONES static void add_row(const int32_t *restrict a, const int32_t *restrict b, int n,
                              int64_t m0, int64_t m1, int64_t c, int sh, int64_t hi,
                              uint8_t *restrict y)
{
    for (int j = 0; j < n; j++) {
        int64_t t = a[j] * m0 + b[j] * m1 + c;
        t = t < 0 ? 0 : t;
        int64_t u = (int64_t)((uint64_t)t >> sh);
        y[j] = (uint8_t)(u > hi ? hi : u);
    }
}

/* y (npix, K) = clamp(requant(acc)) per output channel of op i, rq_rows
 * pixels per call. T: the sums' type. */
#define REQUANT(T, NAME)                                                               \
    static void NAME(const IRun *r, int i, const T *acc, int64_t npix, void *y)        \
    {                                                                                  \
        const IOp *op = &r->net->ops[i];                                               \
        const int K = op->K, bits = r->bits[i], fast = r->rqfast[i];                   \
        const int64_t g = r->rq_rows[i], groups = QA_CEIL_DIV(npix, g);                \
        _Pragma("omp parallel for schedule(static) if (r->nlanes == 1 && npix * K >= 65536)") \
        for (int64_t gi = 0; gi < groups; gi++) {                                      \
            const int64_t pix = gi * g, len = QA_MIN(g, npix - pix) * K;               \
            const T *a = acc + pix * K;                                                \
            if (sizeof *a == sizeof(int32_t) && bits > 0) {                            \
                codes_row((const int32_t *)a, (int)len, r->rqm[i], r->rqc[i], r->rqs[i], \
                          ((int64_t)1 << bits) - 1, (uint8_t *)y + pix * K);           \
                continue;                                                              \
            }                                                                          \
            if (sizeof *a == sizeof(int32_t) && fast) {                                \
                wide_row((const int32_t *)a, (int)len, r->rqm[i], r->rqo[i], r->rqs[i], \
                         r->rqd[i], (int32_t *)y + pix * K);                           \
                continue;                                                              \
            }                                                                          \
            for (int64_t j = 0; j < len; j++) {                                        \
                int k = (int)(j % K);                                                  \
                int64_t t = a[j] * (int64_t)op->mult[k] + r->rqc[i][k];                \
                t = op->shift[k] ? floor_shift(t, op->shift[k]) : t;                   \
                if (bits > 0)                                                          \
                    ((uint8_t *)y)[pix * K + j] = (uint8_t)clamp_code(t, bits);        \
                else                                                                   \
                    ((int32_t *)y)[pix * K + j] = (int32_t)clamp_code(t, 0);           \
            }                                                                          \
        }                                                                              \
    }
REQUANT(int32_t, requant32)
REQUANT(int64_t, requant64)

/* n elements of an op output (u8 or int32) from `at`, widened to int32. */
static inline void widen(const void *p, int wide, int64_t at, int n, int32_t *out)
{
    if (wide)
        memcpy(out, (const int32_t *)p + at, sizeof *out * (size_t)n);
    else
        for (int j = 0; j < n; j++)
            out[j] = ((const uint8_t *)p)[at + j];
}

static inline int64_t at(const void *p, int wide, size_t i)
{
    return wide ? ((const int32_t *)p)[i] : ((const uint8_t *)p)[i];
}

/* ---- the ops, on one lane's images -------------------------------------- */

static int run_conv(const IRun *r, Lane *l, int i, Err *e)
{
    const IOp *op = &r->net->ops[i];
    int in_wide = op->in[0] == INTREF_INPUT ? 0 : r->wide[op->in[0]];
    const char *x = op->in[0] == INTREF_INPUT ? (const char *)r->img
                                             : (const char *)r->y[op->in[0]];
    size_t in_per = (size_t)op->H * op->W * op->C * (in_wide ? sizeof(int32_t) : 1);
    size_t out_pix = (size_t)op->P * op->Q;
    size_t out_per = out_pix * op->K * (r->wide[i] ? sizeof(int32_t) : 1);
    for (int n0 = l->n0; n0 < l->n0 + l->n; n0 += l->sb[i]) {
        int nb = QA_MIN(l->sb[i], l->n0 + l->n - n0);
        IConv *c = nb == l->sb[i] ? l->conv[i] : l->tail[i];
        char *y = (char *)r->y[i] + out_per * (size_t)n0;
        if (iconv_run(c, x + in_per * (size_t)n0, l->acc, e) != QA_OK)
            return QA_ERR;
        if (iconv_acc_wide(c))
            requant64(r, i, l->acc, (int64_t)(out_pix * (size_t)nb), y);
        else
            requant32(r, i, l->acc, (int64_t)(out_pix * (size_t)nb), y);
    }
    return QA_OK;
}

static void run_add(const IRun *r, const Lane *l, int i)
{
    const IOp *op = &r->net->ops[i];
    int wa = op->in[0] == INTREF_INPUT ? 0 : r->wide[op->in[0]];
    int wb = op->in[1] == INTREF_INPUT ? 0 : r->wide[op->in[1]];
    const void *a = op->in[0] == INTREF_INPUT ? r->img : r->y[op->in[0]];
    const void *b = op->in[1] == INTREF_INPUT ? r->img : r->y[op->in[1]];
    const int sh = op->shift[0], bits = r->bits[i];
    const int64_t m0 = op->mult[0], m1 = op->mult[1];
    const int64_t c = sh ? (int64_t)1 << (sh - 1) : 0;
    enum { CHUNK = 1024 };
    const int64_t first = (int64_t)per_image(op) * l->n0, n = (int64_t)per_image(op) * l->n;
    const int64_t chunks = QA_CEIL_DIV(n, CHUNK);
    _Pragma("omp parallel for schedule(static) if (r->nlanes == 1 && n >= 65536)")
    for (int64_t ch = 0; ch < chunks; ch++) {
        int32_t xa[CHUNK], xb[CHUNK];
        int64_t from = first + ch * CHUNK;
        int len = (int)QA_MIN(CHUNK, first + n - from);
        widen(a, wa, from, len, xa);
        widen(b, wb, from, len, xb);
        if (bits > 0) {
            add_row(xa, xb, len, m0, m1, c, sh, ((int64_t)1 << bits) - 1,
                    (uint8_t *)r->y[i] + from);
        } else {
            for (int j = 0; j < len; j++) {
                int64_t t = xa[j] * m0 + xb[j] * m1 + c;
                ((int32_t *)r->y[i])[from + j] =
                    (int32_t)clamp_code(sh ? floor_shift(t, sh) : t, 0);
            }
        }
    }
}

static void run_maxpool(const IRun *r, const Lane *l, int i)
{
    const IOp *op = &r->net->ops[i];
    int wx = op->in[0] == INTREF_INPUT ? 0 : r->wide[op->in[0]];
    int wy = r->wide[i];
    const void *x = op->in[0] == INTREF_INPUT ? r->img : r->y[op->in[0]];
    const int64_t pq = (int64_t)op->P * op->Q;
    const int64_t pix0 = pq * l->n0, npix = pq * l->n;
    _Pragma("omp parallel for schedule(static) if (r->nlanes == 1 && npix * op->C >= 65536)")
    for (int64_t pix = pix0; pix < pix0 + npix; pix++) {
        int64_t n = pix / pq;
        int p = (int)(pix / op->Q % op->P), q = (int)(pix % op->Q);
        for (int c = 0; c < op->C; c++) {
            int64_t best = INT32_MIN; /* padding never wins */
            for (int rr = 0; rr < op->R; rr++)
                for (int s = 0; s < op->S; s++) {
                    int h = p * op->stride - op->pad + rr;
                    int w = q * op->stride - op->pad + s;
                    if (h >= 0 && h < op->H && w >= 0 && w < op->W) {
                        int64_t v = at(x, wx, (((size_t)n * op->H + h) * op->W + w) * op->C + c);
                        best = v > best ? v : best;
                    }
                }
            size_t o = (size_t)pix * op->C + c;
            if (wy)
                ((int32_t *)r->y[i])[o] = (int32_t)best;
            else
                ((uint8_t *)r->y[i])[o] = (uint8_t)best;
        }
    }
}

static void run_gapfc(const IRun *r, Lane *l, int i)
{
    const IOp *op = &r->net->ops[i];
    int wx = op->in[0] == INTREF_INPUT ? 0 : r->wide[op->in[0]];
    const void *x = op->in[0] == INTREF_INPUT ? r->img : r->y[op->in[0]];
    int last = i == r->net->n - 1;
    const int hw = op->H * op->W;
    for (int j = 0; j < l->n; j++) {
        int n = l->n0 + j;
        int64_t *s = l->sums + (size_t)j * op->C;
        for (int c = 0; c < op->C; c++)
            s[c] = 0;
        for (int p = 0; p < hw; p++)
            for (int c = 0; c < op->C; c++)
                s[c] += at(x, wx, ((size_t)n * hw + p) * op->C + c);
        for (int k = 0; k < op->K; k++) {
            int64_t v = op->bias[k];
            for (int c = 0; c < op->C; c++)
                v += (int64_t)op->w[(size_t)k * op->C + c] * s[c];
            if (last)
                r->logits[(size_t)n * op->K + k] = v;
            ((int32_t *)r->y[i])[(size_t)n * op->K + k] = (int32_t)clamp_code(v, 0);
        }
    }
}

/* Every op in order on the lane's images: no lane reads another's. */
static int lane_forward(const IRun *r, Lane *l)
{
    for (int i = 0; i < r->net->n; i++) {
        switch (r->net->ops[i].kind) {
        case IOP_CONV:
            if (run_conv(r, l, i, &l->err) != QA_OK)
                return QA_ERR;
            break;
        case IOP_ADD:
            run_add(r, l, i);
            break;
        case IOP_MAXPOOL:
            run_maxpool(r, l, i);
            break;
        case IOP_GAPFC:
            run_gapfc(r, l, i);
            break;
        }
    }
    return QA_OK;
}

int irun_forward(IRun *r, const uint8_t *images, Err *e)
{
    const INet *net = r->net;
    const int C = net->in_C, HW = net->in_H * net->in_W;
    for (int n = 0; n < r->batch; n++)
        for (int c = 0; c < C; c++)
            for (int j = 0; j < HW; j++)
                r->img[((size_t)n * HW + j) * C + c] = images[((size_t)n * C + c) * HW + j];
    int bad = -1;
    if (r->nlanes == 1) {
        bad = lane_forward(r, &r->lane[0]) == QA_OK ? -1 : 0;
    } else {
        _Pragma("omp parallel for schedule(static, 1) num_threads(r->nlanes)")
        for (int l = 0; l < r->nlanes; l++)
            if (lane_forward(r, &r->lane[l]) != QA_OK) {
                _Pragma("omp critical")
                bad = bad < 0 || l < bad ? l : bad;
            }
    }
    if (bad >= 0) {
        if (e)
            *e = r->lane[bad].err;
        return QA_ERR;
    }
    return QA_OK;
}

int irun_predict(const INet *net, const uint8_t *images, int n, int batch, int *pred,
                 Err *e)
{
    if (n < 1)
        return QA_OK;
    batch = QA_MAX(1, QA_MIN(batch, n));
    size_t per = (size_t)net->in_C * net->in_H * net->in_W;
    IRun *r;
    if (irun_init(&r, net, batch, e) != QA_OK)
        return QA_ERR;
    uint8_t *pad = NULL;
    int rc = QA_OK;
    for (int i = 0; i < n && rc == QA_OK; i += batch) {
        int b = QA_MIN(batch, n - i);
        const uint8_t *x = images + per * (size_t)i;
        if (b < batch) {
            /* the last, short batch: blank images after it */
            pad = qa_calloc(per * (size_t)batch, 1);
            if (!pad) {
                rc = err_set(e, NULL, 0, "intref", "out of memory");
                break;
            }
            memcpy(pad, x, per * (size_t)b);
            x = pad;
        }
        rc = irun_forward(r, x, e);
        for (int j = 0; rc == QA_OK && j < b; j++) {
            const int64_t *lg = r->logits + (size_t)j * net->classes;
            int best = 0;
            for (int k = 1; k < net->classes; k++)
                if (lg[k] > lg[best])
                    best = k;
            pred[i + j] = best;
        }
        qa_progress("inference", (long)(i + b), n);
    }
    free(pad);
    irun_free(r);
    return rc;
}
