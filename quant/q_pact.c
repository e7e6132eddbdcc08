/* q_pact.c: PACT and CG-PACT activation quantizers.
 *   PACT eq. 1-2:  y = clip(x, 0, alpha),  y_q = round(y a / alpha) alpha / a,
 *                  a = 2^k - 1.
 *   PACT eq. 3:    d y_q / d alpha = 1 for x >= alpha, else 0; STE
 *                  d y_q / d x = 1 on [0, alpha), else 0.
 *   CG-PACT (SAT paper eq. 13, derived in its S4):
 *                  d q / d alpha = q_k(x/alpha) - x/alpha for 0 < x < alpha,
 *                  1 for x >= alpha, 0 for x <= 0, with q_k(t) = round(a t)/a
 *                  (SAT eq. 8). The -x/alpha term is part of the paper's form.
 * alpha starts at 10 (PACT sec. 3.1: a large initial value, then L2). round()
 * is rint(): ties to even, as torch.round and numpy.round. */
#include "quant/quantizer.h"

#include <math.h>

#define PACT_ALPHA_INIT 10.0f

static int pact_setup(Quantizer *q, Err *e)
{
    (void)e;
    q->alpha = PACT_ALPHA_INIT;
    return QA_OK;
}

static int pact_prepare(Quantizer *q, const float *x, size_t n, Err *e)
{
    (void)x;
    (void)n;
    if (!(q->alpha > 0.0f))
        return err_set(e, NULL, 0, "alpha", "must be > 0, got %g", (double)q->alpha);
    return QA_OK;
}

static void pact_forward(const Quantizer *q, const float *x, float *y,
                         int32_t *codes, size_t n)
{
    float a = (float)((1u << q->bits) - 1), alpha = q->alpha;
    float to_code = a / alpha, to_val = alpha / a;
    for (size_t i = 0; i < n; i++) {
        /* eq. 1. max(x, 0) as (x + |x|)/2, exact in float and branch-free
         * (GCC turns the ternary against a constant 0 into a branch, which
         * mispredicts on activations around 0); min(., alpha) is minss. */
        float c = 0.5f * (x[i] + fabsf(x[i]));
        c = c < alpha ? c : alpha;
        float k = rintf(c * to_code);                                   /* eq. 2 */
        if (codes)
            codes[i] = (int32_t)k;
        if (y)
            y[i] = k * to_val;
    }
}

static void pact_backward(const Quantizer *q, const float *x, const float *gy,
                          float *gx, double *galpha, size_t n)
{
    double ga = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (x[i] >= q->alpha)
            ga += (double)gy[i]; /* eq. 3 */
        else if (gx && x[i] >= 0.0f)
            gx[i] += gy[i];
    }
    if (galpha)
        *galpha += ga;
}

static void cgpact_backward(const Quantizer *q, const float *x, const float *gy,
                            float *gx, double *galpha, size_t n)
{
    float a = (float)((1u << q->bits) - 1), alpha = q->alpha;
    double ga = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (x[i] >= alpha) {
            ga += (double)gy[i]; /* SAT eq. 13, x >= alpha */
            continue;
        }
        if (gx && x[i] >= 0.0f)
            gx[i] += gy[i]; /* the same STE for x as PACT */
        if (x[i] > 0.0f) {
            float t = x[i] / alpha;
            ga += (double)gy[i] * (double)(rintf(t * a) / a - t); /* eq. 13, 0 < x < alpha */
        }
    }
    if (galpha)
        *galpha += ga;
}

static void pact_encoding(const Quantizer *q, QEncoding *enc)
{
    int32_t a = (int32_t)((1u << q->bits) - 1);
    *enc = (QEncoding){.scale = q->alpha / (float)a, .code_min = 0, .code_max = a};
}

const QuantOps q_pact_ops = {
    .name = "pact",
    .cite = "PACT eq. 1-3: clip to [0, alpha], k-bit uniform, d/dalpha = 1 above alpha",
    .signs = Q_UNSIGNED,
    .alpha_kind = Q_ALPHA_LEARNED,
    .setup = pact_setup,
    .prepare = pact_prepare,
    .forward = pact_forward,
    .backward = pact_backward,
    .encoding = pact_encoding,
};

const QuantOps q_cgpact_ops = {
    .name = "cgpact",
    .cite = "SAT eq. 13: PACT forward, d/dalpha = q_k(x/alpha) - x/alpha inside",
    .signs = Q_UNSIGNED,
    .alpha_kind = Q_ALPHA_LEARNED,
    .setup = pact_setup,
    .prepare = pact_prepare,
    .forward = pact_forward,
    .backward = cgpact_backward,
    .encoding = pact_encoding,
};
