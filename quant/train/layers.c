/* layers.c: forward and backward of the training layers (see layers.h).
 * All threading is OpenMP around single-threaded cblas_sgemm calls (nn_sgemm)
 * (OpenBLAS's own thread pool would spin against OpenMP's): convolutions
 * are split over fixed slices of the batch, the linear layer's GEMM over
 * fixed column slices of C, and the loops around GEMMs over channels. Every
 * output element is computed by one thread in a fixed reduction order, so
 * results do not depend on the thread count. */
#include "quant/train/layers.h"
#include "arch/qa.h"

#include "quant/train/blas.h"
#include <float.h>
#include <math.h>
#include <omp.h>
#include <string.h>

/* C (M, N) = alpha op(A) op(B) + beta C, row-major, in fixed slices of
 * GEMM_SLICE columns (one OpenMP task each): the slices, hence the sums,
 * do not depend on the thread count. */
enum { GEMM_SLICE = 256 };

static void gemm(int transA, int transB, int M, int N, int K, float alpha,
                 const float *A, int lda, const float *B, int ldb, float beta,
                 float *C, int ldc)
{
    int slices = (N + GEMM_SLICE - 1) / GEMM_SLICE;
#pragma omp parallel for schedule(static) if (slices > 1)
    for (int i = 0; i < slices; i++) {
        int j0 = i * GEMM_SLICE, j1 = QA_MIN(N, j0 + GEMM_SLICE);
        const float *b = transB ? B + (size_t)j0 * ldb : B + j0;
        nn_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans,
                    transB ? CblasTrans : CblasNoTrans, M, j1 - j0, K, alpha, A, lda, b,
                    ldb, beta, C + j0, ldc);
    }
}

void nn_dims_finish(ConvDims *d)
{
    d->P = (d->H + 2 * d->pad - d->R) / d->stride + 1;
    d->Q = (d->W + 2 * d->pad - d->S) / d->stride + 1;
}

/* A conv runs over whole images: in NN_GROUPS fixed slices of the batch
 * (one OpenMP task each, so the col2im of two slices never touch the same
 * input) and, inside a slice, in chunks of images whose im2col block is
 * about NN_CHUNK_FLOATS (it then stays in L2 between im2col, the GEMM and
 * col2im). Both depend only on the shape, never on the thread count, so
 * neither do the sums: each slice accumulates its own weight gradient and
 * the slices are added in a fixed order. */
enum { NN_GROUPS = 16, NN_CHUNK_FLOATS = 65536 };

static int conv_groups(const ConvDims *d)
{
    return QA_MIN(d->N, NN_GROUPS);
}

/* Images of slice g: [*lo, *hi). */
static void conv_slice(const ConvDims *d, int g, int *lo, int *hi)
{
    int G = conv_groups(d);
    *lo = (int)((long)g * d->N / G);
    *hi = (int)((long)(g + 1) * d->N / G);
}

/* Images per chunk. */
static int conv_chunk(const ConvDims *d)
{
    size_t per = (size_t)d->C * d->R * d->S * d->P * d->Q;
    int b = per >= NN_CHUNK_FLOATS ? 1 : (int)(NN_CHUNK_FLOATS / per);
    int g = conv_groups(d);
    return QA_MIN(b, (d->N + g - 1) / g);
}

/* Per slice: an im2col block, then that slice's weight gradient. */
static size_t conv_slice_floats(const ConvDims *d)
{
    size_t crs = (size_t)d->C * d->R * d->S;
    return crs * conv_chunk(d) * d->P * d->Q + (size_t)d->K * crs;
}

size_t nn_conv_col_floats(const ConvDims *d)
{
    return conv_groups(d) * conv_slice_floats(d);
}

static int is_pointwise(const ConvDims *d)
{
    return d->R == 1 && d->S == 1 && d->stride == 1 && d->pad == 0;
}

/* Stride 1 and "same" padding: the im2col row of tap (r, s) is the input
 * plane shifted by (r - pad) rows and (s - pad) columns, i.e. one contiguous
 * copy at a fixed offset, with zeros where the shift leaves the plane. */
static int is_same_s1(const ConvDims *d)
{
    return d->stride == 1 && d->P == d->H && d->Q == d->W;
}

/* For the shifted plane of tap (r, s): the flat range [*j0, *j1) of output
 * positions whose input lies in the plane apart from column wrap-around,
 * and the offset of their input (input index = j + *off). */
static void shift_range(const ConvDims *d, int r, int s, int *j0, int *j1, int *off)
{
    int dr = r - d->pad, ds = s - d->pad;
    int pa = QA_MAX(0, -dr), pb = QA_MIN(d->P, d->H - dr);
    *off = dr * d->W + ds;
    *j0 = QA_MIN(d->P * d->Q, pa * d->Q + QA_MAX(0, -ds));
    *j1 = QA_MAX(*j0, pb * d->Q - QA_MAX(0, ds));
}

/* Zero the columns of a (P, Q) plane that the column shift ds wraps around. */
static void zero_wrapped(const ConvDims *d, int ds, float *plane)
{
    int q0 = ds < 0 ? 0 : QA_MAX(0, d->Q - ds), q1 = ds < 0 ? QA_MIN(d->Q, -ds) : d->Q;
    for (int p = 0; p < d->P; p++)
        for (int q = q0; q < q1; q++)
            plane[p * d->Q + q] = 0.0f;
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

/* col (C*R*S, nn*P*Q) from images n0 .. n0+nn-1 of x (C, N, H, W);
 * out-of-image taps are 0. */
static void im2col(const ConvDims *d, const float *x, int n0, int nn, float *col)
{
    const int rows = d->C * d->R * d->S, PQ = d->P * d->Q;
    const size_t ld = (size_t)nn * PQ;
    for (int row = 0; row < rows; row++) {
        int c = row / (d->R * d->S), r = row / d->S % d->R, s = row % d->S;
        for (int n = n0; n < n0 + nn; n++) {
            const float *plane = x + ((size_t)c * d->N + n) * d->H * d->W;
            float *restrict o = col + (size_t)row * ld + (size_t)(n - n0) * PQ;
            if (is_same_s1(d)) {
                int j0, j1, off;
                shift_range(d, r, s, &j0, &j1, &off);
                memset(o, 0, sizeof(float) * j0);
                memcpy(o + j0, plane + j0 + off, sizeof(float) * (j1 - j0));
                memset(o + j1, 0, sizeof(float) * (PQ - j1));
                zero_wrapped(d, s - d->pad, o);
                continue;
            }
            int q0, q1;
            valid_q(d, s, &q0, &q1);
            for (int p = 0; p < d->P; p++, o += d->Q) {
                int h = p * d->stride - d->pad + r;
                if (h < 0 || h >= d->H) {
                    memset(o, 0, sizeof(float) * d->Q);
                    continue;
                }
                const float *restrict in = plane + h * d->W - d->pad + s;
                for (int q = 0; q < q0; q++)
                    o[q] = 0.0f;
                for (int q = q0; q < q1; q++)
                    o[q] = in[q * d->stride];
                for (int q = q1; q < d->Q; q++)
                    o[q] = 0.0f;
            }
        }
    }
}

/* dx (C, N, H, W) += col2im(dcol) for images n0 .. n0+nn-1. dcol is
 * scratch: its out-of-image taps are overwritten with 0. */
static void col2im_add(const ConvDims *d, float *dcol, int n0, int nn, float *dx)
{
    const int PQ = d->P * d->Q;
    const size_t ld = (size_t)nn * PQ;
    for (int c = 0; c < d->C; c++)
        for (int n = n0; n < n0 + nn; n++) {
            float *restrict plane = dx + ((size_t)c * d->N + n) * d->H * d->W;
            for (int r = 0; r < d->R; r++)
                for (int s = 0; s < d->S; s++) {
                    float *restrict g =
                        dcol + ((size_t)(c * d->R + r) * d->S + s) * ld + (size_t)(n - n0) * PQ;
                    if (is_same_s1(d)) {
                        /* zeroed wrap-around taps add 0 to their neighbours */
                        int j0, j1, off;
                        shift_range(d, r, s, &j0, &j1, &off);
                        zero_wrapped(d, s - d->pad, g);
                        for (int j = j0; j < j1; j++)
                            plane[j + off] += g[j];
                        continue;
                    }
                    int q0, q1;
                    valid_q(d, s, &q0, &q1);
                    for (int p = 0; p < d->P; p++, g += d->Q) {
                        int h = p * d->stride - d->pad + r;
                        if (h < 0 || h >= d->H)
                            continue;
                        float *restrict o = plane + h * d->W - d->pad + s;
                        for (int q = q0; q < q1; q++)
                            o[q * d->stride] += g[q];
                    }
                }
        }
}

void nn_conv2d_forward(const ConvDims *d, const float *in, const float *w,
                       float *out, float *col)
{
    const int crs = d->C * d->R * d->S, PQ = d->P * d->Q, npq = d->N * PQ;
    const int G = conv_groups(d), B = conv_chunk(d);
#pragma omp parallel for schedule(static)
    for (int g = 0; g < G; g++) {
        float *buf = col + g * conv_slice_floats(d);
        int lo, hi;
        conv_slice(d, g, &lo, &hi);
        for (int n0 = lo; n0 < hi; n0 += B) {
            int cols = QA_MIN(B, hi - n0) * PQ;
            const float *b = in + (size_t)n0 * PQ;
            int ldb = npq;
            if (!is_pointwise(d)) {
                im2col(d, in, n0, QA_MIN(B, hi - n0), buf);
                b = buf, ldb = cols;
            }
            nn_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, d->K, cols, crs,
                        1.0f, w, crs, b, ldb, 0.0f, out + (size_t)n0 * PQ, npq);
        }
    }
}

void nn_conv2d_backward(const ConvDims *d, const float *in, const float *w,
                        const float *dout, float *din, float *dw, float *col)
{
    const int crs = d->C * d->R * d->S, PQ = d->P * d->Q, npq = d->N * PQ;
    const int G = conv_groups(d), B = conv_chunk(d);
    const size_t slice = conv_slice_floats(d), nw = (size_t)d->K * crs;
#pragma omp parallel for schedule(static)
    for (int g = 0; g < G; g++) {
        float *buf = col + g * slice, *gdw = buf + slice - nw;
        int lo, hi;
        conv_slice(d, g, &lo, &hi);
        for (int n0 = lo; n0 < hi; n0 += B) {
            int nn = QA_MIN(B, hi - n0), cols = nn * PQ;
            const float *go = dout + (size_t)n0 * PQ, *b = in + (size_t)n0 * PQ;
            int ldb = npq;
            if (!is_pointwise(d)) {
                im2col(d, in, n0, nn, buf);
                b = buf, ldb = cols;
            }
            /* slice dw (K, CRS) += dout (K, cols) x col^T */
            nn_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, d->K, crs, cols, 1.0f,
                        go, npq, b, ldb, n0 == lo ? 0.0f : 1.0f, gdw, crs);
            if (!din)
                continue;
            if (is_pointwise(d)) { /* din += w^T x dout in place */
                nn_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, crs, cols, d->K,
                            1.0f, w, crs, go, npq, 1.0f, din + (size_t)n0 * PQ, npq);
                continue;
            }
            /* dcol (CRS, cols) = w^T x dout, reusing the block */
            nn_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, crs, cols, d->K, 1.0f,
                        w, crs, go, npq, 0.0f, buf, cols);
            col2im_add(d, buf, n0, nn, din);
        }
    }
    /* dw += slice gradients, in slice order */
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < nw; i++) {
        float s = dw[i];
        for (int g = 0; g < G; g++)
            s += col[g * slice + slice - nw + i];
        dw[i] = s;
    }
}

/* Sums in double over 8 interleaved partial sums added in a fixed order:
 * deterministic, and not bound by the latency of one chain of adds.
 * lane_sum: sum of a[i];  lane_dot: sum of (a[i] - ma) * (b[i] - mb). */
static double lane_fold(const double acc[8])
{
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

static double lane_sum(const float *restrict a, int n)
{
    double acc[8] = {0};
    int i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++)
            acc[j] += (double)a[i + j];
    for (; i < n; i++)
        acc[0] += (double)a[i];
    return lane_fold(acc);
}

static double lane_dot(const float *restrict a, double ma, const float *restrict b,
                       double mb, int n)
{
    double acc[8] = {0};
    int i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++)
            acc[j] += ((double)a[i + j] - ma) * ((double)b[i + j] - mb);
    for (; i < n; i++)
        acc[0] += ((double)a[i] - ma) * ((double)b[i] - mb);
    return lane_fold(acc);
}

void nn_bn_forward_train(int C, int M, const float *x, const float *gamma,
                         const float *beta, float *y, float *mean, float *rstd,
                         float *run_mean, float *run_var, float momentum, float eps)
{
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++) {
        const float *xc = x + (size_t)c * M;
        float *yc = y + (size_t)c * M;
        double mu = lane_sum(xc, M) / M;
        double ss = lane_dot(xc, mu, xc, mu, M);
        double var = ss / M;
        float rs = (float)(1.0 / sqrt(var + (double)eps));
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
        float mu = mean[c], rs = rstd[c];
        double sdy = lane_sum(dyc, M);
        double sdyx = lane_dot(xc, (double)mu, dyc, 0.0, M) * (double)rs;
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

void nn_relu_backward(size_t n, const float *restrict y, const float *restrict dy,
                      float *restrict dx)
{
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) { /* load dy always: a select, not a branch */
        float g = dy[i];
        dx[i] += y[i] > 0.0f ? g : 0.0f;
    }
}

void nn_add_forward(size_t n, const float *a, const float *b, float *y)
{
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++)
        y[i] = a[i] + b[i];
}

void nn_add_backward(size_t n, const float *dy, float *da, float *db)
{
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
        da[i] += dy[i];
        db[i] += dy[i];
    }
}

void nn_zero(size_t n, float *x)
{
    enum { BLOCK = 1 << 16 };
    size_t blocks = (n + BLOCK - 1) / BLOCK;
#pragma omp parallel for schedule(static) if (blocks > 1)
    for (size_t b = 0; b < blocks; b++)
        memset(x + b * BLOCK, 0, sizeof(float) * QA_MIN(BLOCK, n - b * BLOCK));
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
            z += exp((double)logits[(size_t)k * N + n] - (double)mx);
        int y = labels[n];
        loss += log(z) - ((double)logits[(size_t)y * N + n] - (double)mx);
        ok += arg == y;
        if (dlogits)
            for (int k = 0; k < K; k++) {
                double p = exp((double)logits[(size_t)k * N + n] - (double)mx) / z;
                dlogits[(size_t)k * N + n] = (float)((p - (k == y)) / N);
            }
    }
    if (correct)
        *correct = ok;
    return (float)(loss / N);
}
