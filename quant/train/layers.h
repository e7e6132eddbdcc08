/* layers.h: the training layers of quant/: each _forward beside its _backward.
 *
 * Activations are channel-major (C, N, H, W): a batched convolution is then
 * one GEMM  out (K, N*P*Q) = w (K, C*R*S) x col (C*R*S, N*P*Q)  (cblas_sgemm),
 * and batch norm works on contiguous rows. Backward functions ACCUMULATE (+=)
 * into input gradients (a tensor may feed several layers) and into parameter
 * gradients; callers zero them. No allocation here: scratch comes from the caller. */
#ifndef NN_LAYERS_H
#define NN_LAYERS_H

#include <stddef.h>

/* Shape of a convolution or pooling window. P, Q come from nn_dims_finish. */
typedef struct {
    int N, C, H, W;   /* input (C, N, H, W) */
    int K, R, S;      /* output channels, window */
    int stride, pad;
    int P, Q;         /* output (K, N, P, Q) */
} ConvDims;

/* P = (H + 2 pad - R) / stride + 1, same for Q. */
void nn_dims_finish(ConvDims *d);
/* Floats of the scratch a conv of these dims needs: per batch slice an
 * im2col block of a few images and a weight gradient (see layers.c). */
size_t nn_conv_col_floats(const ConvDims *d);

/* conv2d: out (K,N,P,Q) = w (K,C,R,S) * in (C,N,H,W), zero padding.
 * col: scratch of nn_conv_col_floats floats. */
void nn_conv2d_forward(const ConvDims *d, const float *in, const float *w,
                       float *out, float *col);
/* dw (K,C,R,S) += dout x col^T;  din (C,N,H,W) += col2im(w^T x dout) when
 * din != NULL. col: scratch as in forward (im2col is recomputed, not kept).
 * The result does not depend on the number of OpenMP threads. */
void nn_conv2d_backward(const ConvDims *d, const float *in, const float *w,
                        const float *dout, float *din, float *dw, float *col);

/* Batch norm over x (C, M) with M = N*H*W per channel.
 * Train: batch statistics (biased variance for normalising, unbiased for the
 * running estimate), running = (1-momentum) running + momentum batch;
 * saves mean and rstd = 1/sqrt(var+eps) per channel for backward. */
void nn_bn_forward_train(int C, int M, const float *x, const float *gamma,
                         const float *beta, float *y, float *mean, float *rstd,
                         float *run_mean, float *run_var, float momentum, float eps);
void nn_bn_forward_eval(int C, int M, const float *x, const float *gamma,
                        const float *beta, const float *run_mean,
                        const float *run_var, float eps, float *y);
void nn_bn_backward(int C, int M, const float *x, const float *gamma,
                    const float *mean, const float *rstd, const float *dy,
                    float *dx, float *dgamma, float *dbeta);
/* Fold eval-mode BN into a per-channel affine y = g[c] x + h[c]. */
void nn_bn_fold(int C, const float *gamma, const float *beta,
                const float *run_mean, const float *run_var, float eps,
                float *g, float *h);

/* ReLU; backward uses the forward output (y > 0). */
void nn_relu_forward(size_t n, const float *x, float *y);
void nn_relu_backward(size_t n, const float *y, const float *dy, float *dx);

/* Residual add y = a + b; backward: da += dy, db += dy. */
void nn_add_forward(size_t n, const float *a, const float *b, float *y);
void nn_add_backward(size_t n, const float *dy, float *da, float *db);

/* x[0..n) = 0, on all threads (gradient buffers are large). */
void nn_zero(size_t n, float *x);

/* Max pool over an R x S window, padding never wins; argmax (K,N,P,Q) keeps
 * the flat input index of each maximum for backward. K == C. */
void nn_maxpool_forward(const ConvDims *d, const float *x, float *y, int *argmax);
void nn_maxpool_backward(const ConvDims *d, const int *argmax, const float *dy,
                         float *dx);
/* Average pool, padding counted as zeros (divisor R*S). */
void nn_avgpool_forward(const ConvDims *d, const float *x, float *y);
void nn_avgpool_backward(const ConvDims *d, const float *dy, float *dx);

/* Global average pool: x (C, N, HW) -> y (C, N). */
void nn_gap_forward(int C, int N, int HW, const float *x, float *y);
void nn_gap_backward(int C, int N, int HW, const float *dy, float *dx);

/* Linear: y (K, N) = w (K, C) x (C, N) + b (K). */
void nn_linear_forward(int N, int C, int K, const float *x, const float *w,
                       const float *b, float *y);
void nn_linear_backward(int N, int C, int K, const float *x, const float *w,
                        const float *dy, float *dx, float *dw, float *db);

/* Softmax cross-entropy averaged over the batch. logits (K, N), labels (N).
 * Returns the mean loss; dlogits (K, N) = (softmax - onehot) / N (overwritten,
 * not accumulated); correct (may be NULL) gets the count of argmax == label. */
float nn_softmax_xent(int N, int K, const float *logits, const unsigned char *labels,
                      float *dlogits, int *correct);

#endif
