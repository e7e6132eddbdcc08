/* layers.c: forward and backward of the training layers (see layers.h).
 * All threading is OpenMP: a GEMM is cut into column slices of C, one
 * single-threaded cblas_sgemm per thread (OpenBLAS's own thread pool would
 * spin against OpenMP's), and the loops around GEMMs are split over
 * channels. Every output element is computed by one thread with the same
 * reduction order, so results do not depend on the thread count. */
#include "quant/layers.h"
#include "arch/qa.h"

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <omp.h>
#include <string.h>

/* C (M, N) = alpha op(A) op(B) + beta C, row-major, sliced over N. */
static void gemm(int transA, int transB, int M, int N, int K, float alpha,
                 const float *A, int lda, const float *B, int ldb, float beta,
                 float *C, int ldc)
{
    static int blas_single;
    if (!blas_single) {
        openblas_set_num_threads(1);
        blas_single = 1;
    }
    int T = omp_get_max_threads();
    if (T > 1 && N < 64 * T)
        T = 1;
#pragma omp parallel num_threads(T)
    {
        int t = omp_get_thread_num(), nt = omp_get_num_threads();
        int per = (N + nt - 1) / nt;
        per = (per + 15) & ~15; /* whole SIMD panels per slice */
        int j0 = t * per, j1 = QA_MIN(N, j0 + per);
        if (j0 < j1) {
            const float *b = transB ? B + (size_t)j0 * ldb : B + j0;
            cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans,
                        transB ? CblasTrans : CblasNoTrans, M, j1 - j0, K, alpha, A,
                        lda, b, ldb, beta, C + j0, ldc);
        }
    }
}

void nn_dims_finish(ConvDims *d)
{
    d->P = (d->H + 2 * d->pad - d->R) / d->stride + 1;
    d->Q = (d->W + 2 * d->pad - d->S) / d->stride + 1;
}

size_t nn_conv_col_floats(const ConvDims *d)
{
    return (size_t)d->C * d->R * d->S * d->N * d->P * d->Q;
}

static int is_pointwise(const ConvDims *d)
{
    return d->R == 1 && d->S == 1 && d->stride == 1 && d->pad == 0;
}

/* Output columns q whose tap w = q*stride - pad + s lies inside [0, W). */
static void valid_q(const ConvDims *d, int s, int *q0, int *q1)
{
    int lo = d->pad - s, hi = d->W - 1 + d->pad - s; /* q*stride in [lo, hi] */
    *q0 = lo <= 0 ? 0 : (lo + d->stride - 1) / d->stride;
    *q1 = hi < 0 ? 0 : QA_MIN(d->Q, hi / d->stride + 1);
    if (*q1 < *q0)
        *q1 = *q0;
}

/* col (C*R*S, N*P*Q) from x (C, N, H, W); out-of-image taps are 0. */
static void im2col(const ConvDims *d, const float *x, float *col)
{
    const int rows = d->C * d->R * d->S;
    const size_t npq = (size_t)d->N * d->P * d->Q;
#pragma omp parallel for schedule(static)
    for (int row = 0; row < rows; row++) {
        int c = row / (d->R * d->S), r = row / d->S % d->R, s = row % d->S;
        int q0, q1;
        valid_q(d, s, &q0, &q1);
        float *dst = col + (size_t)row * npq;
        for (int n = 0; n < d->N; n++) {
            const float *src = x + ((size_t)c * d->N + n) * d->H * d->W;
            for (int p = 0; p < d->P; p++) {
                int h = p * d->stride - d->pad + r;
                float *o = dst + ((size_t)n * d->P + p) * d->Q;
                if (h < 0 || h >= d->H) {
                    memset(o, 0, sizeof(float) * d->Q);
                    continue;
                }
                const float *in = src + h * d->W - d->pad + s;
                for (int q = 0; q < q0; q++)
                    o[q] = 0.0f;
                if (d->stride == 1)
                    memcpy(o + q0, in + q0, sizeof(float) * (q1 - q0));
                else
                    for (int q = q0; q < q1; q++)
                        o[q] = in[q * d->stride];
                for (int q = q1; q < d->Q; q++)
                    o[q] = 0.0f;
            }
        }
    }
}

/* dx (C, N, H, W) += col2im(dcol); parallel over c: each channel's taps land
 * only in that channel. */
static void col2im_add(const ConvDims *d, const float *dcol, float *dx)
{
    const size_t npq = (size_t)d->N * d->P * d->Q;
#pragma omp parallel for schedule(static)
    for (int c = 0; c < d->C; c++) {
        for (int r = 0; r < d->R; r++)
            for (int s = 0; s < d->S; s++) {
                const float *src = dcol + ((size_t)(c * d->R + r) * d->S + s) * npq;
                int q0, q1;
                valid_q(d, s, &q0, &q1);
                for (int n = 0; n < d->N; n++) {
                    float *dst = dx + ((size_t)c * d->N + n) * d->H * d->W;
                    for (int p = 0; p < d->P; p++) {
                        int h = p * d->stride - d->pad + r;
                        if (h < 0 || h >= d->H)
                            continue;
                        const float *g = src + ((size_t)n * d->P + p) * d->Q;
                        float *o = dst + h * d->W - d->pad + s;
                        for (int q = q0; q < q1; q++)
                            o[q * d->stride] += g[q];
                    }
                }
            }
    }
}

void nn_conv2d_forward(const ConvDims *d, const float *in, const float *w,
                       float *out, float *col)
{
    const int crs = d->C * d->R * d->S;
    const int npq = d->N * d->P * d->Q;
    const float *b = in;
    if (!is_pointwise(d)) {
        im2col(d, in, col);
        b = col;
    }
    gemm(0, 0, d->K, npq, crs,
                1.0f, w, crs, b, npq, 0.0f, out, npq);
}

void nn_conv2d_backward(const ConvDims *d, const float *in, const float *w,
                        const float *dout, float *din, float *dw, float *col)
{
    const int crs = d->C * d->R * d->S;
    const int npq = d->N * d->P * d->Q;
    if (is_pointwise(d)) {
        gemm(0, 1, d->K, crs, npq,
                    1.0f, dout, npq, in, npq, 1.0f, dw, crs);
        if (din)
            gemm(1, 0, crs, npq, d->K,
                        1.0f, w, crs, dout, npq, 1.0f, din, npq);
        return;
    }
    im2col(d, in, col);
    /* dw (K, CRS) += dout (K, NPQ) x col^T (NPQ, CRS) */
    gemm(0, 1, d->K, crs, npq,
                1.0f, dout, npq, col, npq, 1.0f, dw, crs);
    if (!din)
        return;
    /* dcol (CRS, NPQ) = w^T (CRS, K) x dout (K, NPQ), reusing col */
    gemm(1, 0, crs, npq, d->K,
                1.0f, w, crs, dout, npq, 0.0f, col, npq);
    col2im_add(d, col, din);
}

void nn_bn_forward_train(int C, int M, const float *x, const float *gamma,
                         const float *beta, float *y, float *mean, float *rstd,
                         float *run_mean, float *run_var, float momentum, float eps)
{
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++) {
        const float *xc = x + (size_t)c * M;
        float *yc = y + (size_t)c * M;
        double s = 0.0, ss = 0.0;
        for (int i = 0; i < M; i++)
            s += xc[i];
        double mu = s / M;
        for (int i = 0; i < M; i++) {
            double t = xc[i] - mu;
            ss += t * t;
        }
        double var = ss / M;
        float rs = (float)(1.0 / sqrt(var + eps));
        mean[c] = (float)mu;
        rstd[c] = rs;
        float a = gamma[c] * rs, b = beta[c] - (float)mu * a;
        for (int i = 0; i < M; i++)
            yc[i] = xc[i] * a + b;
        double unbiased = M > 1 ? ss / (M - 1) : var;
        run_mean[c] = (1.0f - momentum) * run_mean[c] + momentum * (float)mu;
        run_var[c] = (1.0f - momentum) * run_var[c] + momentum * (float)unbiased;
    }
}

void nn_bn_forward_eval(int C, int M, const float *x, const float *gamma,
                        const float *beta, const float *run_mean,
                        const float *run_var, float eps, float *y)
{
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++) {
        float a = gamma[c] / sqrtf(run_var[c] + eps);
        float b = beta[c] - run_mean[c] * a;
        const float *xc = x + (size_t)c * M;
        float *yc = y + (size_t)c * M;
        for (int i = 0; i < M; i++)
            yc[i] = xc[i] * a + b;
    }
}

/* dx = gamma rstd / M (M dy - sum dy - xhat sum(dy xhat)), xhat = (x-mean) rstd */
void nn_bn_backward(int C, int M, const float *x, const float *gamma,
                    const float *mean, const float *rstd, const float *dy,
                    float *dx, float *dgamma, float *dbeta)
{
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++) {
        const float *xc = x + (size_t)c * M, *dyc = dy + (size_t)c * M;
        float *dxc = dx + (size_t)c * M;
        double sdy = 0.0, sdyx = 0.0;
        float mu = mean[c], rs = rstd[c];
        for (int i = 0; i < M; i++) {
            sdy += dyc[i];
            sdyx += dyc[i] * (xc[i] - mu) * rs;
        }
        dgamma[c] += (float)sdyx;
        dbeta[c] += (float)sdy;
        float k = gamma[c] * rs / M;
        float a = (float)sdy, b = (float)sdyx;
        for (int i = 0; i < M; i++)
            dxc[i] += k * (M * dyc[i] - a - (xc[i] - mu) * rs * b);
    }
}

void nn_bn_fold(int C, const float *gamma, const float *beta,
                const float *run_mean, const float *run_var, float eps,
                float *g, float *h)
{
    for (int c = 0; c < C; c++) {
        g[c] = gamma[c] / sqrtf(run_var[c] + eps);
        h[c] = beta[c] - run_mean[c] * g[c];
    }
}

void nn_relu_forward(size_t n, const float *x, float *y)
{
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++)
        y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void nn_relu_backward(size_t n, const float *y, const float *dy, float *dx)
{
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++)
        if (y[i] > 0.0f)
            dx[i] += dy[i];
}

void nn_add_forward(size_t n, const float *a, const float *b, float *y)
{
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++)
        y[i] = a[i] + b[i];
}

void nn_maxpool_forward(const ConvDims *d, const float *x, float *y, int *argmax)
{
#pragma omp parallel for schedule(static)
    for (int c = 0; c < d->C; c++)
        for (int n = 0; n < d->N; n++) {
            size_t base = ((size_t)c * d->N + n) * d->H * d->W;
            size_t obase = ((size_t)c * d->N + n) * d->P * d->Q;
            for (int p = 0; p < d->P; p++)
                for (int q = 0; q < d->Q; q++) {
                    float best = -FLT_MAX;
                    int arg = -1;
                    for (int r = 0; r < d->R; r++) {
                        int h = p * d->stride - d->pad + r;
                        if (h < 0 || h >= d->H)
                            continue;
                        for (int s = 0; s < d->S; s++) {
                            int w = q * d->stride - d->pad + s;
                            if (w < 0 || w >= d->W)
                                continue;
                            float v = x[base + h * d->W + w];
                            if (arg < 0 || v > best) {
                                best = v;
                                arg = h * d->W + w;
                            }
                        }
                    }
                    y[obase + p * d->Q + q] = best;
                    argmax[obase + p * d->Q + q] = (int)(base + arg);
                }
        }
}

/* Serial: windows overlap, so two outputs may scatter into one input. */
void nn_maxpool_backward(const ConvDims *d, const int *argmax, const float *dy,
                         float *dx)
{
    size_t n = (size_t)d->C * d->N * d->P * d->Q;
    for (size_t i = 0; i < n; i++)
        dx[argmax[i]] += dy[i];
}

void nn_avgpool_forward(const ConvDims *d, const float *x, float *y)
{
    const float inv = 1.0f / (float)(d->R * d->S);
#pragma omp parallel for schedule(static)
    for (int c = 0; c < d->C; c++)
        for (int n = 0; n < d->N; n++) {
            const float *xc = x + ((size_t)c * d->N + n) * d->H * d->W;
            float *yc = y + ((size_t)c * d->N + n) * d->P * d->Q;
            for (int p = 0; p < d->P; p++)
                for (int q = 0; q < d->Q; q++) {
                    float s = 0.0f;
                    for (int r = 0; r < d->R; r++) {
                        int h = p * d->stride - d->pad + r;
                        if (h < 0 || h >= d->H)
                            continue;
                        for (int t = 0; t < d->S; t++) {
                            int w = q * d->stride - d->pad + t;
                            if (w >= 0 && w < d->W)
                                s += xc[h * d->W + w];
                        }
                    }
                    yc[p * d->Q + q] = s * inv;
                }
        }
}

void nn_avgpool_backward(const ConvDims *d, const float *dy, float *dx)
{
    const float inv = 1.0f / (float)(d->R * d->S);
#pragma omp parallel for schedule(static)
    for (int c = 0; c < d->C; c++)
        for (int n = 0; n < d->N; n++) {
            float *xc = dx + ((size_t)c * d->N + n) * d->H * d->W;
            const float *yc = dy + ((size_t)c * d->N + n) * d->P * d->Q;
            for (int p = 0; p < d->P; p++)
                for (int q = 0; q < d->Q; q++) {
                    float g = yc[p * d->Q + q] * inv;
                    for (int r = 0; r < d->R; r++) {
                        int h = p * d->stride - d->pad + r;
                        if (h < 0 || h >= d->H)
                            continue;
                        for (int t = 0; t < d->S; t++) {
                            int w = q * d->stride - d->pad + t;
                            if (w >= 0 && w < d->W)
                                xc[h * d->W + w] += g;
                        }
                    }
                }
        }
}

void nn_gap_forward(int C, int N, int HW, const float *x, float *y)
{
    for (size_t i = 0; i < (size_t)C * N; i++) {
        float s = 0.0f;
        for (int j = 0; j < HW; j++)
            s += x[i * HW + j];
        y[i] = s / (float)HW;
    }
}

void nn_gap_backward(int C, int N, int HW, const float *dy, float *dx)
{
    for (size_t i = 0; i < (size_t)C * N; i++) {
        float g = dy[i] / (float)HW;
        for (int j = 0; j < HW; j++)
            dx[i * HW + j] += g;
    }
}

void nn_linear_forward(int N, int C, int K, const float *x, const float *w,
                       const float *b, float *y)
{
    for (int k = 0; k < K; k++)
        for (int n = 0; n < N; n++)
            y[(size_t)k * N + n] = b ? b[k] : 0.0f;
    gemm(0, 0, K, N, C, 1.0f, w, C,
                x, N, 1.0f, y, N);
}

void nn_linear_backward(int N, int C, int K, const float *x, const float *w,
                        const float *dy, float *dx, float *dw, float *db)
{
    /* dw (K, C) += dy (K, N) x^T (N, C); dx (C, N) += w^T (C, K) dy (K, N) */
    gemm(0, 1, K, C, N, 1.0f, dy, N,
                x, N, 1.0f, dw, C);
    if (dx)
        gemm(1, 0, C, N, K, 1.0f, w, C,
                    dy, N, 1.0f, dx, N);
    if (db)
        for (int k = 0; k < K; k++)
            for (int n = 0; n < N; n++)
                db[k] += dy[(size_t)k * N + n];
}

float nn_softmax_xent(int N, int K, const float *logits, const unsigned char *labels,
                      float *dlogits, int *correct)
{
    double loss = 0.0;
    int ok = 0;
    for (int n = 0; n < N; n++) {
        float mx = -FLT_MAX;
        int arg = 0;
        for (int k = 0; k < K; k++)
            if (logits[(size_t)k * N + n] > mx) {
                mx = logits[(size_t)k * N + n];
                arg = k;
            }
        double z = 0.0;
        for (int k = 0; k < K; k++)
            z += exp((double)logits[(size_t)k * N + n] - mx);
        int y = labels[n];
        loss += log(z) - ((double)logits[(size_t)y * N + n] - mx);
        ok += arg == y;
        if (dlogits)
            for (int k = 0; k < K; k++) {
                double p = exp((double)logits[(size_t)k * N + n] - mx) / z;
                dlogits[(size_t)k * N + n] = (float)((p - (k == y)) / N);
            }
    }
    if (correct)
        *correct = ok;
    return (float)(loss / N);
}
