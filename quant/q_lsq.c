/* q_lsq.c: learned step size quantization (Esser et al., ICLR 2020), the
 * modern baseline:
 *   v^ = round(clip(v/s, -Q_N, Q_P)) s;  unsigned Q_N = 0, Q_P = 2^b - 1;
 *   signed Q_N = 2^(b-1), Q_P = 2^(b-1) - 1.
 *   d v^/d s = -v/s + round(v/s) inside, -Q_N below, Q_P above, times the
 *   gradient scale g = 1/sqrt(N Q_P) with N the number of elements of the
 *   tensor passed in; STE d v^/d v = 1 inside, 0 outside.
 * s not set: the paper's init 2 mean|v| / sqrt(Q_P). */
#include "quant/quantizer.h"

#include <math.h>

static void lsq_range(const Quantizer *q, float *qn, float *qp)
{
    if (q->is_signed) {
        *qn = (float)(1L << (q->bits - 1));
        *qp = *qn - 1.0f;
    } else {
        *qn = 0.0f;
        *qp = (float)((1L << q->bits) - 1);
    }
}

static int lsq_setup(Quantizer *q, Err *e)
{
    if (q->is_signed && q->bits < 2)
        return err_set(e, NULL, 0, "bits", "signed lsq needs at least 2 bits");
    return QA_OK;
}

static int lsq_prepare(Quantizer *q, const float *x, size_t n, Err *e)
{
    (void)e;
    if (q->alpha > 0.0f)
        return QA_OK;
    float qn, qp;
    lsq_range(q, &qn, &qp);
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += fabs((double)x[i]);
    double init = 2.0 * (s / (double)n) / sqrt((double)qp);
    q->alpha = init > 0.0 ? (float)init : 1.0f;
    return QA_OK;
}

static void lsq_forward(const Quantizer *q, const float *x, float *y,
                        int32_t *codes, size_t n)
{
    float qn, qp, s = q->alpha, inv = 1.0f / q->alpha;
    lsq_range(q, &qn, &qp);
    for (size_t i = 0; i < n; i++) {
        float t = x[i] * inv;
        t = t < -qn ? -qn : (t > qp ? qp : t);
        float k = rintf(t);
        if (codes)
            codes[i] = (int32_t)k;
        if (y)
            y[i] = k * s;
    }
}

static void lsq_backward(const Quantizer *q, const float *x, const float *gy,
                         float *gx, double *galpha, size_t n)
{
    float qn, qp, inv = 1.0f / q->alpha;
    lsq_range(q, &qn, &qp);
    double gs = 0.0;
    for (size_t i = 0; i < n; i++) {
        float t = x[i] * inv;
        if (t < -qn) {
            gs -= (double)gy[i] * (double)qn;
        } else if (t > qp) {
            gs += (double)gy[i] * (double)qp;
        } else {
            gs += (double)gy[i] * (double)(rintf(t) - t);
            if (gx)
                gx[i] += gy[i];
        }
    }
    if (galpha)
        *galpha += gs / sqrt((double)n * (double)qp);
}

static void lsq_encoding(const Quantizer *q, QEncoding *enc)
{
    float qn, qp;
    lsq_range(q, &qn, &qp);
    *enc = (QEncoding){.scale = q->alpha, .code_min = -(int32_t)qn,
                       .code_max = (int32_t)qp};
}

const QuantOps q_lsq_ops = {
    .name = "lsq",
    .cite = "LSQ (Esser et al. 2020) eq. 1-3: learned step s, gradient scale 1/sqrt(N Q_P)",
    .signs = Q_UNSIGNED | Q_SIGNED,
    .alpha_kind = Q_ALPHA_LEARNED,
    .setup = lsq_setup,
    .prepare = lsq_prepare,
    .forward = lsq_forward,
    .backward = lsq_backward,
    .encoding = lsq_encoding,
};
