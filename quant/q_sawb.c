/* q_sawb.c: the SAWB weight quantizer and its shipped coefficient table.
 *   SAWB sec. 4:  alpha = c1 sqrt(E[w^2]) - c2 E[|w|]   (max|w| if <= 0),
 *   levels alpha (2i - (L-1)) / (L-1), i = 0..L-1, L = 2^b: for 2 bits
 *   {-alpha, -alpha/3, alpha/3, alpha}. Each weight goes to the nearest level.
 * Backward: STE, d w_q / d w = 1 inside [-alpha, alpha], 0 outside; alpha is
 * a statistic, not a learned parameter, and gets no gradient. */
#include "quant/quantizer.h"
#include "quant/sawb.h"

#include <math.h>

/* The published coefficients (the 2-bit pair of the SAWB paper's later
 * version; the older (3.212, 2.178) is close). qarray sawb-fit prints them
 * beside the ones it derives. */
static const struct {
    int bits;
    double c1, c2;
} coef[] = {
    {2, 3.12, 2.064}, {3, 7.509, 6.892}, {4, 12.68, 12.80},
    {5, 17.74, 18.64}, {8, 31.76, 35.04},
};

int q_sawb_coef(int bits, double *c1, double *c2, Err *e)
{
    for (size_t i = 0; i < QA_COUNT(coef); i++)
        if (coef[i].bits == bits) {
            *c1 = coef[i].c1;
            *c2 = coef[i].c2;
            return QA_OK;
        }
    return err_set(e, NULL, 0, "bits",
                   "sawb has coefficients for 2, 3, 4, 5 and 8 bits, not %d", bits);
}

float q_sawb_alpha(const float *w, size_t n, double c1, double c2)
{
    double s1 = 0.0, s2 = 0.0, mx = 0.0;
    for (size_t i = 0; i < n; i++) {
        double a = fabs((double)w[i]);
        s1 += a;
        s2 += a * a;
        mx = a > mx ? a : mx;
    }
    double alpha = c1 * sqrt(s2 / (double)n) - c2 * (s1 / (double)n);
    return (float)(alpha > 0.0 ? alpha : mx);
}

static int sawb_setup(Quantizer *q, Err *e)
{
    double c1 = 0.0, c2 = 0.0;
    return q_sawb_coef(q->bits, &c1, &c2, e);
}

static int sawb_prepare(Quantizer *q, const float *x, size_t n, Err *e)
{
    double c1 = 0.0, c2 = 0.0;
    if (q_sawb_coef(q->bits, &c1, &c2, e))
        return QA_ERR;
    q->alpha = q_sawb_alpha(x, n, c1, c2);
    return QA_OK;
}

static void sawb_forward(const Quantizer *q, const float *x, float *y,
                         int32_t *codes, size_t n)
{
    float L1 = (float)((1u << q->bits) - 1), alpha = q->alpha;
    /* All-zero weights: alpha = max|w| = 0, every weight maps to level 0
     * of a zero-width grid; the output is 0 whatever the code. */
    float to_u = alpha > 0.0f ? 0.5f * L1 / alpha : 0.0f;
    float to_val = alpha / L1;
    for (size_t i = 0; i < n; i++) {
        /* u = (w/alpha (L-1) + (L-1)) / 2 is the level index in real units */
        float u = rintf(x[i] * to_u + 0.5f * L1);
        u = u < 0.0f ? 0.0f : (u > L1 ? L1 : u);
        if (codes)
            codes[i] = (int32_t)u;
        if (y)
            y[i] = (2.0f * u - L1) * to_val;
    }
}

static void sawb_backward(const Quantizer *q, const float *x, const float *gy,
                          float *gx, double *galpha, size_t n)
{
    (void)galpha;
    if (!gx)
        return;
    for (size_t i = 0; i < n; i++)
        if (fabsf(x[i]) <= q->alpha)
            gx[i] += gy[i];
}

static void sawb_encoding(const Quantizer *q, QEncoding *enc)
{
    int32_t L1 = (int32_t)((1u << q->bits) - 1);
    *enc = (QEncoding){.scale = 2.0f * q->alpha / (float)L1,
                       .zero_point = 0.5f * (float)L1,
                       .code_min = 0, .code_max = L1};
}

const QuantOps q_sawb_ops = {
    .name = "sawb",
    .cite = "SAWB sec. 4, eq. 6, Fig. 7: alpha = c1 sqrt(E w^2) - c2 E|w|, 2^b even levels",
    .signs = Q_SIGNED,
    .alpha_kind = Q_ALPHA_NONE,
    .setup = sawb_setup,
    .prepare = sawb_prepare,
    .forward = sawb_forward,
    .backward = sawb_backward,
    .encoding = sawb_encoding,
};
