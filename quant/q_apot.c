/* q_apot.c: level-set quantizers of the APoT paper: APoT (eq. 5-6), PoT
 * (eq. 3), uniform (eq. 2) and Lloyd-Max levels, with the reparameterized
 * clipping function and optional weight normalization.
 *   WN eq. 9:   w~ = (w - mu) / (sigma + eps), eps = Q_WN_EPS, over the tensor.
 *   RCF eq. 7:  w^ = alpha Pi(clip(w~ / alpha, -1, 1))   (signed;
 *               [0, 1] unsigned), Pi = projection to the nearest level.
 *   RCF eq. 8:  d w^ / d alpha = sign(w~) for |w~| > alpha,
 *               Pi(w~/alpha) - w~/alpha inside; STE d w^ / d w~ = 1 inside,
 *               0 outside (unsigned: 0 below 0, 1 above alpha for alpha).
 * alpha not set: max|w~| (no clipping, the ablation's alpha = max|W|).
 * Lloyd levels are refitted to the clipped data at every forward. */
#include "quant/quantizer.h"

#include <math.h>
#include <stdlib.h>

#define LLOYD_ITERS 100

static int apot_setup(Quantizer *q, Err *e)
{
    return q_levels_apot(&q->lv, q->bits, q->is_signed, e);
}

static int pot_setup(Quantizer *q, Err *e)
{
    return q_levels_pot(&q->lv, q->bits, q->is_signed, e);
}

static int uniform_setup(Quantizer *q, Err *e)
{
    return q_levels_uniform(&q->lv, q->bits, q->is_signed, e);
}

static int lloyd_setup(Quantizer *q, Err *e)
{
    if (q->bits > 8)
        return err_set(e, NULL, 0, "bits", "lloyd supports 1..8 bits, got %d", q->bits);
    return QA_OK;
}

static inline float wn_apply(const Quantizer *q, float x)
{
    return q->wn ? (x - q->wn_mu) / (q->wn_sigma + Q_WN_EPS) : x;
}

/* Statistics and first-batch alpha shared by the four methods. */
static int rcf_prepare(Quantizer *q, const float *x, size_t n, Err *e)
{
    if (q->wn) { /* eq. 9, in double: the tensor may be large */
        double s = 0.0, ss = 0.0;
        for (size_t i = 0; i < n; i++)
            s += (double)x[i];
        double mu = s / (double)n;
        for (size_t i = 0; i < n; i++)
            ss += ((double)x[i] - mu) * ((double)x[i] - mu);
        q->wn_mu = (float)mu;
        q->wn_sigma = (float)sqrt(ss / (double)n);
    }
    if (!(q->alpha > 0.0f)) {
        float mx = 0.0f;
        for (size_t i = 0; i < n; i++) {
            float t = fabsf(wn_apply(q, x[i]));
            mx = t > mx ? t : mx;
        }
        q->alpha = mx > 0.0f ? mx : 1.0f;
    }
    (void)e;
    return QA_OK;
}

static int lloyd_prepare(Quantizer *q, const float *x, size_t n, Err *e)
{
    if (rcf_prepare(q, x, n, e))
        return QA_ERR;
    float *t = qa_malloc(n * sizeof *t);
    if (!t)
        return err_set(e, NULL, 0, "lloyd", "out of memory for %zu values", n);
    float lo = q->is_signed ? -1.0f : 0.0f;
    for (size_t i = 0; i < n; i++) {
        float u = wn_apply(q, x[i]) / q->alpha;
        t[i] = u < lo ? lo : (u > 1.0f ? 1.0f : u);
    }
    q_levels_free(&q->lv);
    int rc = q_levels_lloyd(&q->lv, t, n, q->bits, LLOYD_ITERS, e);
    free(t);
    return rc;
}

static void rcf_forward(const Quantizer *q, const float *x, float *y,
                        int32_t *codes, size_t n)
{
    const QLevels *lv = &q->lv;
    float alpha = q->alpha;
    /* u = w~ / alpha as one multiply-add: u = x a + b */
    float a = 1.0f / alpha, b = 0.0f;
    if (q->wn) {
        a = 1.0f / ((q->wn_sigma + Q_WN_EPS) * alpha);
        b = -q->wn_mu * a;
    }
    /* The table in locals: stores through y or codes cannot alias them, so
     * the compiler keeps them in registers (the hot loop of `make bench`). */
    const uint32_t *lut = lv->lut;
    const float *mid = lv->mid, *v = lv->v;
    float lo = lv->v[0], hi = lv->v[lv->n - 1], l0 = lv->lo, ls = lv->lut_scale;
    int steps = lv->steps, crowded = steps > Q_LEVELS_MAX_STEPS;
    float top = (float)lv->n_lut;
    /* uniform codes are centred so that code 0 is the level 0 */
    int32_t off = (q->ops == &q_uniform_ops && q->is_signed) ? (lv->n - 1) / 2 : 0;
    for (size_t i = 0; i < n; i++) {
        /* clip, eq. 7, written so that it compiles to maxss/minss (fminf
         * is a libm call, other orderings become branches) */
        float u = x[i] * a + b;
        u = u > lo ? u : lo;
        u = u < hi ? u : hi;
        /* the bucket clamped to the table (float rounding at the top;
         * maxss/minss, no branch) */
        float bk = (u - l0) * ls;
        bk = bk > 0.0f ? bk : 0.0f;
        bk = bk < top ? bk : top;
        uint32_t k = lut[(int)bk];
        if (crowded) {
            k = (uint32_t)q_levels_search(lv, u, k);
        } else {
            for (int s = 0; s < steps; s++)
                k += u >= mid[k];
        }
        if (y)
            y[i] = alpha * v[k];
        if (codes)
            codes[i] = (int32_t)k - off;
    }
}

static void rcf_backward(const Quantizer *q, const float *x, const float *gy,
                         float *gx, double *galpha, size_t n)
{
    const QLevels *lv = &q->lv;
    float alpha = q->alpha, inv = 1.0f / alpha;
    float lo = q->is_signed ? -1.0f : 0.0f;
    double ga = 0.0, sg = 0.0, sgt = 0.0;
    for (size_t i = 0; i < n; i++) {
        float t = wn_apply(q, x[i]), u = t * inv;
        if (u > 1.0f) {
            ga += (double)gy[i]; /* eq. 8 outside: sign(w) = +1 */
        } else if (u < lo) {
            if (q->is_signed)
                ga -= (double)gy[i]; /* sign(w) = -1; unsigned: 0 below 0 */
        } else {
            float cu = u < lv->v[0] ? lv->v[0] : (u > lv->v[lv->n - 1] ? lv->v[lv->n - 1] : u);
            ga += (double)gy[i] * (double)(lv->v[q_levels_index(lv, cu)] - u); /* eq. 8 inside */
            sg += (double)gy[i];
            sgt += (double)gy[i] * (double)t;
        }
    }
    if (galpha)
        *galpha += ga;
    if (!gx)
        return;
    /* STE: g~ = gy inside the clip range, 0 outside. Without WN gx += g~.
     * With WN (w~ = (w - mu)/(sigma + eps), sigma the population std):
     *   gx_j += (g~_j - mean(g~)) / (sigma + eps) - w~_j mean(g~ w~) / sigma. */
    double mg = sg / (double)n, mgt = sgt / (double)n;
    double d = (double)q->wn_sigma + (double)Q_WN_EPS;
    for (size_t i = 0; i < n; i++) {
        float t = wn_apply(q, x[i]), u = t * inv;
        float gt = (u > 1.0f || u < lo) ? 0.0f : gy[i];
        if (!q->wn)
            gx[i] += gt;
        else
            gx[i] += (float)(((double)gt - mg) / d -
                             (q->wn_sigma > 0.0f ? (double)t * mgt / (double)q->wn_sigma : 0.0));
    }
}

static void levels_encoding(const Quantizer *q, QEncoding *enc)
{
    *enc = (QEncoding){.scale = q->alpha, .levels = q->lv.v, .n_levels = q->lv.n,
                       .code_min = 0, .code_max = q->lv.n - 1};
}

static void uniform_encoding(const Quantizer *q, QEncoding *enc)
{
    int32_t m = q->is_signed ? (q->lv.n - 1) / 2 : q->lv.n - 1;
    *enc = (QEncoding){.scale = q->alpha / (float)m,
                       .code_min = q->is_signed ? -m : 0, .code_max = m};
}

#define RCF_OPS(NAME, CITE, SETUP, PREPARE, ENCODING)                         \
    {                                                                         \
        .name = NAME, .cite = CITE, .signs = Q_UNSIGNED | Q_SIGNED,           \
        .alpha_kind = Q_ALPHA_LEARNED, .setup = SETUP, .prepare = PREPARE,    \
        .forward = rcf_forward, .backward = rcf_backward, .encoding = ENCODING \
    }

const QuantOps q_apot_ops = RCF_OPS("apot",
    "APoT eq. 5-6 (k = 2) levels, RCF eq. 7-8, WN eq. 9",
    apot_setup, rcf_prepare, levels_encoding);
const QuantOps q_pot_ops = RCF_OPS("pot",
    "APoT paper eq. 3 (powers of two), RCF eq. 7-8",
    pot_setup, rcf_prepare, levels_encoding);
const QuantOps q_uniform_ops = RCF_OPS("uniform",
    "APoT paper eq. 2 (uniform levels), RCF eq. 7-8",
    uniform_setup, rcf_prepare, uniform_encoding);
const QuantOps q_lloyd_ops = RCF_OPS("lloyd",
    "Lloyd-Max levels fitted to the data (APoT paper table 3), RCF eq. 7-8",
    lloyd_setup, lloyd_prepare, levels_encoding);
