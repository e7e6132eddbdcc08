/* model.h: QNet, a trainable network as an ordered list of ops (conv, batch
 * norm, activation, residual add, pools, linear) over channel-major tensors,
 * with fake quantization of weights (conv/fc) and activations (act ops)
 * through the quantizer library. Networks come from workloads layer graphs
 * (ResNet-20 is workloads' resnet20, lowered in the post-activation or full
 * pre-activation form, width multiplier), and a small CNN for quick tests.
 * Parameters live in one block (params/grads/velocity): the float layout
 * first, then one alpha per quantized weight tensor, so a float checkpoint
 * is a prefix of a quantized one. BN running statistics live in `state`. */
#ifndef QNET_MODEL_H
#define QNET_MODEL_H

#include "arch/qa.h"
#include "quant/train/layers.h"
#include "quant/calib.h"
#include "quant/train/optim.h"
#include "quant/quantizer.h"
#include "quant/rng.h"
#include "quant/sat.h"
#include "workloads/net.h"

typedef enum { QOP_CONV, QOP_BN, QOP_ACT, QOP_ADD, QOP_GAP, QOP_FC, QOP_MAXPOOL } QOpKind;

#define QNET_INPUT (-1) /* producer id of the network input */

typedef struct {
    QOpKind kind;
    char name[48];
    int in[2];           /* producer op ids (QNET_INPUT = network input) */
    int C, H, W;         /* output shape per image */
    ConvDims d;          /* conv/pool geometry (d.N is the current batch) */
    size_t p_w, p_b;     /* params: conv/fc weight, fc bias; bn gamma, beta; act alpha */
    size_t s_mean, s_var;/* state: bn running mean, variance (C each) */
    int w_bits, a_bits;  /* 0: float. conv/fc: weight bits; act: output bits */
    Quantizer q;         /* conv/fc weights (w_bits > 0) or act output (a_bits > 0) */
    size_t p_alpha;      /* conv/fc: alpha of a learned weight quantizer */
    int learned;         /* the quantizer's alpha is a trained parameter */
    int sat;             /* SAT eq. 7/10 constant rescaling (fc not followed by BN) */
    float sat_scale;
    float *wq, *gwq;     /* conv/fc: fake-quantized weights and their gradient */
    QCalib calib;        /* act: calibration statistics (FAQ) */
    int shortcut;        /* conv: 1x1 projection on a residual path */
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
    float alpha_init;    /* initial learned activation alpha (0: quantizer's rule) */
    int calibrating;     /* act ops run float ReLU and collect calibration stats */
    float *wq_mem;       /* all wq and gwq, one block */
} QNet;

/* Quantization of a network (recipe keys quant.*). */
typedef struct {
    char w_method[16];   /* "none", "dorefa", "sawb", "apot", "faq", "sat" */
    char a_method[16];   /* "none", "pact", "cgpact", "apot", "faq" */
    int w_bits, a_bits;
    int first_last_bits; /* first conv, last fc and the fc's input act; 0 = as the rest */
    int fpsc;            /* projection shortcuts with 16-bit weights */
    int wn;              /* APoT weight normalization (eq. 9) */
    float alpha_init;    /* learned activation alpha at start; 0: the quantizer's rule */
} QuantSpec;

typedef struct {
    const char *arch;    /* "resnet20", "resnet20-preact" (workloads' resnet20
                          * lowered post-/pre-activation), "cnn" */
    float width_mult;    /* channels = round(16 * width_mult) (cnn: 8 *) */
    int batch;           /* max batch the buffers hold */
    int classes;
    const QuantSpec *quant; /* NULL: full precision */
} QNetSpec;

/* Build and allocate; parameters are not initialized (qnet_init_params).
 * Errors: unknown arch (field "arch"), bad width or batch, a quantizer the
 * library rejects (field "quant.*"), out of memory. */
int qnet_build(QNet *net, const QNetSpec *spec, Err *e);
/* A QNet from a workloads layer graph (shapes are not duplicated here),
 * every op named after its layer, in the graph's order but for the
 * pre-activation projections:
 *   post-activation (preact 0): conv -> conv, BN "<layer>.bn" and a ReLU or
 *     quantized act "<layer>.act" unless all its readers are adds (a
 *     branch's last conv, a projection); add -> add, act "<layer>.act";
 *   full pre-activation (preact 1, He et al. 2016, "Identity Mappings"):
 *     conv -> conv, add -> add; adds read conv and add outputs as they are,
 *     every other reader through one BN-ReLU "<layer>.bn", "<layer>.act"
 *     made before the first such reader, with the projection shortcuts
 *     reading it right after (before the block's branch);
 *   both: max pool, global average pool, fc as they are.
 * Input C x H x W of the first layer; arch = the graph's name. Errors name
 * the layer (grouped convs, non-global avg pool), or field "net" (empty
 * graph, batch < 1, no fc at the end). */
int qnet_build_net(QNet *net, const Net *src, int preact, int batch, const QuantSpec *quant,
                   Err *e);

/* He-normal conv/fc weights (std sqrt(2/fan_in)), gamma 1, beta 0, bias 0,
 * running mean 0 / var 1, velocity 0. */
void qnet_init_params(QNet *net, Rng *rng);
void qnet_free(QNet *net);

/* x (in_C, N, H, W) -> logits (classes, N) (returned, owned by the net).
 * train: batch statistics (and running-stat update) vs running statistics.
 * NULL on error (a non-finite value reached a quantizer: training diverged). */
const float *qnet_forward(QNet *net, const float *x, int N, int train, Err *e);
/* Backward from dlogits (classes, N) of the last forward (train mode);
 * accumulates into grads (zero them with qnet_zero_grads). */
void qnet_backward(QNet *net, const float *x, const float *dlogits);
void qnet_zero_grads(QNet *net);

/* Copy learned alphas from params into the quantizers (after loading). */
void qnet_sync_alphas(QNet *net);
/* Activation calibration: begin (act ops collect statistics of their inputs
 * while running float ReLU), then end (each act's clip, written to its
 * quantizer and alpha parameter). mse = 0: FAQ's rule (percentile rounded up
 * to a power of two); 1: the MSE-optimal clip at the act's bits (calib.h). */
void qnet_calib_begin(QNet *net, int mse);
int qnet_calib_end(QNet *net, Err *e);
/* 1 if some quantized weights lose the float weights' scale (DoReFa's
 * [-1, 1], weight normalization): BN running statistics of a float
 * checkpoint then no longer fit its convs' outputs. */
int qnet_weights_rescaled(const QNet *net);

/* Multiply-accumulates of one forward image over conv and fc layers. */
double qnet_macs_per_image(const QNet *net);

#endif
