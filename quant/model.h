/* model.h: QNet, a trainable network as an ordered list of ops (conv, batch
 * norm, activation, residual add, pools, linear) over channel-major tensors.
 * Builders for ResNet-20 (post-activation and full pre-activation, width
 * multiplier) on 1x28x28 input and a small CNN. Parameters live in one block
 * (params/grads/velocity), batch-norm running statistics in another (state).
 * Forward in train or eval mode; backward walks the ops in reverse. */
#ifndef QNET_MODEL_H
#define QNET_MODEL_H

#include "arch/qa.h"
#include "quant/layers.h"
#include "quant/optim.h"
#include "quant/trng.h"

typedef enum { QOP_CONV, QOP_BN, QOP_ACT, QOP_ADD, QOP_GAP, QOP_FC, QOP_MAXPOOL } QOpKind;

#define QNET_INPUT (-1) /* producer id of the network input */

typedef struct {
    QOpKind kind;
    char name[32];
    int in[2];           /* producer op ids (QNET_INPUT = network input) */
    int C, H, W;         /* output shape per image */
    ConvDims d;          /* conv/pool geometry (d.N is the current batch) */
    size_t p_w, p_b;     /* params: conv/fc weight, fc bias; bn gamma, beta; act alpha */
    size_t s_mean, s_var;/* state: bn running mean, variance (C each) */
    int w_bits, a_bits;  /* 0: float. conv/fc: weight bits; act: output bits */
    float *y, *dy;       /* output and its gradient (C, N, H, W) */
    float *save;         /* bn: batch mean, rstd (2C) */
    int *argmax;         /* maxpool */
} QOp;

typedef struct {
    char arch[32];
    int width;           /* base channels (16 for ResNet-20) */
    int preact;          /* 1: full pre-activation blocks */
    int classes;
    int in_C, in_H, in_W;
    int max_N, N;        /* buffer batch, current batch */
    QOp *ops;
    int n_ops, cap_ops;
    float *params, *grads, *velocity; /* (n_params) each, one block */
    size_t n_params;
    float *state;        /* (n_state) bn running statistics */
    size_t n_state;
    ParamSeg *segs;
    int n_segs;
    float *col;          /* im2col scratch, shared by all convs */
    size_t col_floats;
    float *act_mem;      /* all y and dy, one block */
    int *argmax_mem;
    float bn_momentum, bn_eps;
} QNet;

typedef struct {
    const char *arch;    /* "resnet20", "resnet20-preact", "cnn" */
    float width_mult;    /* channels = round(16 * width_mult) (cnn: 8 *) */
    int batch;           /* max batch the buffers hold */
    int classes;
} QNetSpec;

/* Build and allocate; parameters are not initialized (qnet_init_params).
 * Errors: unknown arch (field "arch"), bad width or batch, out of memory. */
int qnet_build(QNet *net, const QNetSpec *spec, Err *e);
/* He-normal conv/fc weights (std sqrt(2/fan_in)), gamma 1, beta 0, bias 0,
 * running mean 0 / var 1, velocity 0. */
void qnet_init_params(QNet *net, TRng *rng);
void qnet_free(QNet *net);

/* x (in_C, N, H, W) -> logits (classes, N) (returned, owned by the net).
 * train: batch statistics (and running-stat update) vs running statistics. */
const float *qnet_forward(QNet *net, const float *x, int N, int train);
/* Backward from dlogits (classes, N) of the last forward (train mode);
 * accumulates into grads (zero them with qnet_zero_grads). */
void qnet_backward(QNet *net, const float *x, const float *dlogits);
void qnet_zero_grads(QNet *net);

/* Multiply-accumulates of one forward image over conv and fc layers. */
double qnet_macs_per_image(const QNet *net);

#endif
