/* q_faq.c: FAQ's fixed-point quantizer (FAQ sec. 3.1):
 *   unsigned  Q(b,l)(x) = min(round(x 2^-l), 2^b - 1) 2^l
 *   signed    Q(b,l)(x) = max(min(round(x 2^-l), 2^(b-1) - 1), -2^(b-1) + 1) 2^l
 * The extracted text loses the rounding brackets; read as round to nearest.
 * Unsigned inputs below 0 (none after a ReLU) are clamped to code 0.
 * l for weights (sec. 3.1.1), recomputed at every forward: clip at c std devs
 * (c = 4.12, the paper's 4-bit constant, footnote 4; used for every width),
 * split [-c sigma, c sigma] into 2^b - 1 equal bins (one per signed level),
 * Delta = 2 c sigma / (2^b - 1), l = ceil(log2 Delta).
 * l for activations (sec. 3.2): ymax from calib.h (percentile, power of two),
 * fixed after the first batch; the top code 2^b - 1 then sits one step
 * below ymax: l = log2(ymax) - b. alpha given: the clip range (ymax
 * unsigned, c sigma signed). Other parameters use l = -b/2 (q_faq_param_l).
 * Backward: STE inside the representable range, no learned parameter. */
#include "quant/quantizer.h"
#include "quant/calib.h"
#include "quant/faq.h"

#include <math.h>

#define FAQ_SIGMAS_DEFAULT 4.12f

int q_faq_param_l(int bits)
{
    return -(bits / 2);
}

int q_faq_weight_l(const float *w, size_t n, int bits, float sigmas)
{
    double s = 0.0, ss = 0.0;
    for (size_t i = 0; i < n; i++)
        s += (double)w[i];
    double mu = s / (double)n;
    for (size_t i = 0; i < n; i++)
        ss += ((double)w[i] - mu) * ((double)w[i] - mu);
    double sigma = sqrt(ss / (double)n);
    if (!(sigma > 0.0))
        return q_faq_param_l(bits); /* constant tensor: any step is exact */
    double delta = 2.0 * (double)sigmas * sigma / (double)((1L << bits) - 1);
    return (int)ceil(log2(delta));
}

static int faq_setup(Quantizer *q, Err *e)
{
    if (q->is_signed && q->bits < 2)
        return err_set(e, NULL, 0, "bits", "signed faq needs at least 2 bits");
    q->faq_sigmas = FAQ_SIGMAS_DEFAULT;
    return QA_OK;
}

static int faq_prepare(Quantizer *q, const float *x, size_t n, Err *e)
{
    if (q->is_signed) {
        if (q->alpha_set) {
            double delta = 2.0 * (double)q->alpha / (double)((1L << q->bits) - 1);
            q->l = (int)ceil(log2(delta));
        } else {
            q->l = q_faq_weight_l(x, n, q->bits, q->faq_sigmas);
        }
        return QA_OK;
    }
    if (!(q->alpha > 0.0f)) { /* first batch calibrates, then fixed */
        QCalib c;
        q_calib_init(&c, q->bits);
        if (q_calib_add(&c, x, n, e))
            return QA_ERR;
        float ymax = q_calib_ymax(&c);
        /* Nothing positive: FAQ's range for uncalibrated ReLUs,
         * 2^(b/2) - 1 (the text reads "2p/2 - 1", p the bits), rounded up. */
        q->alpha = ymax > 0.0f ? ymax : q_pow2_ceil(ldexpf(1.0f, q->bits / 2) - 1.0f);
    }
    int ex;
    frexpf(q_pow2_ceil(q->alpha), &ex); /* 2^(ex-1) = ymax */
    q->l = ex - 1 - q->bits;
    return QA_OK;
}

static void faq_range(const Quantizer *q, float *lo, float *hi)
{
    if (q->is_signed) {
        *hi = (float)((1L << (q->bits - 1)) - 1);
        *lo = -*hi;
    } else {
        *lo = 0.0f;
        *hi = (float)((1L << q->bits) - 1);
    }
}

static void faq_forward(const Quantizer *q, const float *x, float *y,
                        int32_t *codes, size_t n)
{
    float lo, hi;
    faq_range(q, &lo, &hi);
    float down = ldexpf(1.0f, -q->l), up = ldexpf(1.0f, q->l);
    for (size_t i = 0; i < n; i++) {
        float k = rintf(x[i] * down);
        k = k < lo ? lo : (k > hi ? hi : k);
        if (codes)
            codes[i] = (int32_t)k;
        if (y)
            y[i] = k * up;
    }
}

static void faq_backward(const Quantizer *q, const float *x, const float *gy,
                         float *gx, double *galpha, size_t n)
{
    (void)galpha;
    if (!gx)
        return;
    float lo, hi;
    faq_range(q, &lo, &hi);
    float down = ldexpf(1.0f, -q->l);
    for (size_t i = 0; i < n; i++) {
        float t = x[i] * down;
        if (t >= lo && t <= hi)
            gx[i] += gy[i];
    }
}

static void faq_encoding(const Quantizer *q, QEncoding *enc)
{
    float lo, hi;
    faq_range(q, &lo, &hi);
    *enc = (QEncoding){.scale = ldexpf(1.0f, q->l), .code_min = (int32_t)lo,
                       .code_max = (int32_t)hi};
}

const QuantOps q_faq_ops = {
    .name = "faq",
    .cite = "FAQ sec. 3.1-3.2: Q(b,l) = min(round(x 2^-l), 2^b - 1) 2^l, std/percentile l",
    .signs = Q_UNSIGNED | Q_SIGNED,
    .alpha_kind = Q_ALPHA_CLIP,
    .setup = faq_setup,
    .prepare = faq_prepare,
    .forward = faq_forward,
    .backward = faq_backward,
    .encoding = faq_encoding,
};
