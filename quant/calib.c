/* calib.c: percentiles by quickselect (expected O(n)), FAQ's
 * power-of-two activation range, and the MSE-optimal clip. */
#include "quant/calib.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Rearranges a so that a[k] is the k-th smallest (Hoare selection). */
static float select_kth(float *a, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        float piv = a[lo + (hi - lo) / 2];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (a[i] < piv)
                i++;
            while (a[j] > piv)
                j--;
            if (i <= j) {
                float t = a[i];
                a[i] = a[j];
                a[j] = t;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return a[k];
    }
    return a[k];
}

float q_percentile(const float *x, size_t n, double pct, float *scratch)
{
    memcpy(scratch, x, n * sizeof *x);
    double h = (double)(n - 1) * pct / 100.0; /* numpy "linear" */
    size_t k = (size_t)floor(h);
    if (k >= n - 1)
        return select_kth(scratch, n, n - 1);
    float lo = select_kth(scratch, n, k);
    /* after selection everything right of k is >= a[k]: min of it is a[k+1] */
    float hi = scratch[k + 1];
    for (size_t i = k + 2; i < n; i++)
        hi = scratch[i] < hi ? scratch[i] : hi;
    return (float)((double)lo + (h - (double)k) * ((double)hi - (double)lo));
}

float q_pow2_ceil(float v)
{
    if (!(v > 0.0f))
        return 0.0f;
    int ex;
    float m = frexpf(v, &ex); /* v = m 2^ex, m in [0.5, 1) */
    return m == 0.5f ? v : ldexpf(1.0f, ex);
}

void q_calib_init(QCalib *c, int bits)
{
    c->pct = bits >= 8 ? 99.99 : 99.9;
    c->ymax = 0.0f;
    c->batches = 0;
    c->bits = 0;
    c->clip_sum = 0.0;
}

void q_calib_init_mse(QCalib *c, int bits)
{
    q_calib_init(c, bits);
    c->bits = bits;
}

enum { MSE_BINS = 2048, MSE_CANDIDATES = 256 };

float q_mse_clip(const float *x, size_t n, int bits)
{
    float top = 0.0f;
    for (size_t i = 0; i < n; i++)
        top = x[i] > top ? x[i] : top;
    if (!(top > 0.0f))
        return 0.0f;
    double hist[MSE_BINS] = {0};
    for (size_t i = 0; i < n; i++)
        if (x[i] > 0.0f) {
            int b = (int)(x[i] / top * MSE_BINS);
            hist[b < MSE_BINS ? b : MSE_BINS - 1] += 1.0;
        }
    const double levels = (double)((1 << bits) - 1), width = (double)top / MSE_BINS;
    double best = (double)INFINITY, best_alpha = (double)top;
    for (int k = 1; k <= MSE_CANDIDATES; k++) {
        double alpha = (double)top * k / MSE_CANDIDATES, step = alpha / levels, err = 0.0;
        for (int b = 0; b < MSE_BINS; b++) {
            if (hist[b] == 0.0)
                continue;
            double v = (b + 0.5) * width;
            double q = v >= alpha ? alpha : step * floor(v / step + 0.5);
            err += hist[b] * (v - q) * (v - q);
        }
        if (err < best)
            best = err, best_alpha = alpha;
    }
    return (float)best_alpha;
}

int q_calib_add(QCalib *c, const float *x, size_t n, Err *e)
{
    if (n == 0)
        return err_set(e, NULL, 0, "calib", "empty batch");
    if (c->bits > 0) {
        c->clip_sum += (double)q_mse_clip(x, n, c->bits);
        c->batches++;
        return QA_OK;
    }
    float *s = qa_malloc(n * sizeof *s);
    if (!s)
        return err_set(e, NULL, 0, "calib", "out of memory for %zu values", n);
    float p = q_percentile(x, n, c->pct, s);
    free(s);
    if (c->batches == 0 || p > c->ymax)
        c->ymax = p;
    c->batches++;
    return QA_OK;
}

float q_calib_ymax(const QCalib *c)
{
    if (c->bits > 0)
        return c->batches > 0 ? (float)(c->clip_sum / c->batches) : 0.0f;
    return q_pow2_ceil(c->ymax);
}
