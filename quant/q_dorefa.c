/* q_dorefa.c: DoReFa weight quantizer (as used by PACT sec. 4 and written
 * out in the SAT paper eq. 5, 8, 9):
 *   w' = tanh(w) / (2 max|tanh w|) + 1/2,   q = round(w' a) / a,  a = 2^k - 1,
 *   w_q = 2 q - 1.
 * Backward: STE through the rounding, d w_q / d w = (1 - tanh^2 w) / max|tanh w|
 * with the max treated as a constant. The general formula is used for k = 1
 * too (w_q = +-1); DoReFa's separate 1-bit rule (sign times E|w|) is not. */
#include "quant/quantizer.h"

#include <math.h>

static int dorefa_prepare(Quantizer *q, const float *x, size_t n, Err *e)
{
    (void)e;
    float m = 0.0f;
    for (size_t i = 0; i < n; i++) {
        float t = fabsf(tanhf(x[i]));
        m = t > m ? t : m;
    }
    q->tanh_max = m;
    return QA_OK;
}

static void dorefa_forward(const Quantizer *q, const float *x, float *y,
                           int32_t *codes, size_t n)
{
    float a = (float)((1u << q->bits) - 1);
    /* An all-zero tensor has max|tanh| = 0: every w' is 1/2. */
    float inv = q->tanh_max > 0.0f ? 0.5f / q->tanh_max : 0.0f;
    for (size_t i = 0; i < n; i++) {
        float w1 = tanhf(x[i]) * inv + 0.5f;
        float k = rintf(w1 * a);
        if (codes)
            codes[i] = (int32_t)k;
        if (y)
            y[i] = 2.0f * (k / a) - 1.0f;
    }
}

static void dorefa_backward(const Quantizer *q, const float *x, const float *gy,
                            float *gx, double *galpha, size_t n)
{
    (void)galpha;
    if (!gx || !(q->tanh_max > 0.0f))
        return;
    for (size_t i = 0; i < n; i++) {
        float t = tanhf(x[i]);
        gx[i] += gy[i] * (1.0f - t * t) / q->tanh_max;
    }
}

static void dorefa_encoding(const Quantizer *q, QEncoding *enc)
{
    int32_t a = (int32_t)((1u << q->bits) - 1);
    /* w_q = 2 code / a - 1 = (2 / a) (code - a / 2) */
    *enc = (QEncoding){.scale = 2.0f / (float)a, .zero_point = 0.5f * (float)a,
                       .code_min = 0, .code_max = a};
}

const QuantOps q_dorefa_ops = {
    .name = "dorefa",
    .cite = "DoReFa (PACT sec. 4, SAT eq. 5, 8-9): tanh(w)/(2max|tanh w|)+1/2, k bits, 2q-1",
    .signs = Q_SIGNED,
    .alpha_kind = Q_ALPHA_NONE,
    .unit_range = 1,
    .prepare = dorefa_prepare,
    .forward = dorefa_forward,
    .backward = dorefa_backward,
    .encoding = dorefa_encoding,
};
