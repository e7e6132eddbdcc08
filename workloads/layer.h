/* layer.h: one layer of a network: its shape, its precision, its producers.
 *
 * Shapes use the literature's letters: N batch, C input channels, K output
 * channels, H x W input, R x S filter, P x Q output. A conv or fc layer is
 * `groups` GEMMs of  M = N*P*Q  x  Kg = C/groups*R*S  x  Nn = K/groups;
 * a matmul of two activations is N*groups GEMMs of  M = P*Q  x  C/groups  x
 * K/groups (groups = heads, the second operand in[1] takes the weights'
 * place). The other ops run on the vector unit.
 * No timing here, no quantization: just shapes, bits and byte counts. */
#ifndef LAYER_H
#define LAYER_H

#include "arch/qa.h"

typedef enum {
    OP_CONV,     /* 2-D convolution (grouped, dilated), on the systolic array */
    OP_FC,       /* fully connected: a 1x1 conv of H rows (tokens), W=R=S=1 */
    OP_MAXPOOL,  /* vector unit */
    OP_AVGPOOL,  /* vector unit (global average pool has R=H, S=W) */
    OP_ADD,      /* residual add of in[0] and in[1], vector unit */
    OP_MATMUL,   /* in[0] (groups x P x C/groups) times in[1] (groups x
                    C/groups x K/groups) per image: both activations */
    /* Vector-unit ops of real models. Output K x P x Q with P = H, Q = W;
     * in[0] is C x H x W, in[1] (when in1_elems > 0) any size; a tile reads
     * each input in proportion to the outputs it makes, and costs vec_ops
     * lane operations per element of the larger of in[0] and the output. */
    OP_ELTWISE,  /* element-wise (activation, arithmetic, broadcast) */
    OP_SOFTMAX,
    OP_NORM,     /* layer norm, or a batch norm no conv absorbs */
    OP_REDUCE,   /* reduction (mean, sum, max) over C: K = 1 */
    OP_COPY,     /* data movement: concatenation */
    OP_COUNT
} LayerOp;

#define LAYER_NAME_MAX 48
#define LAYER_NO_INPUT (-1) /* producer id of the network input */

typedef struct {
    char name[LAYER_NAME_MAX];
    LayerOp op;
    int N;          /* batch */
    int C, K;       /* input, output channels (pool/add: K == C) */
    int H, W;       /* input height, width */
    int R, S;       /* filter height, width (pool window) */
    int P, Q;       /* output height, width (derived by layer_finish) */
    int stride, pad, groups;
    int stride_w;   /* width stride; 0: the same as stride */
    int dil_h, dil_w; /* dilation of the filter; 0: 1 */
    int pads[4];    /* top, left, bottom, right; all 0: pad on every side */
    int vec_ops;    /* vector-unit ops (OP_ELTWISE..OP_COPY): lane operations
                       per element, >= 1 */
    int64_t in1_elems; /* vector-unit ops: elements per image of in[1];
                          0: no second input */
    int w_bits;     /* weight bits (conv/fc; 0 for pool/add) */
    int a_bits;     /* input activation bits */
    int o_bits;     /* output bits as stored (the consumer's a_bits) */
    int in[2];      /* producer layer ids; in[1] only for two-input layers
                       (layer_inputs); -1 = input */
    int shortcut;   /* 1: projection conv on a residual path (fpsc policy) */
    int bn_after;   /* 1: the output feeds a batch norm directly (conv/fc
                       only). Pre-activation blocks end in convs without one;
                       SAT rescales the weights of exactly those layers. */
} Layer;

const char *layer_op_name(LayerOp op);
/* Parse an op name ("conv", "fc", "maxpool", "avgpool", "add", "matmul",
 * "eltwise", "softmax", "norm", "reduce", "copy"); QA_ERR if unknown. */
int layer_op_parse(const char *s, LayerOp *op);

/* Lane operations per element of a vector op, at most this many. */
#define LAYER_VEC_OPS_MAX 1024

/* Limits: a dimension, the batch, the elements of one image's input, output
 * or weights, and one image's MACs. Far above any real network, they stop
 * absurd input before anything is sized from it, and keep every count of a
 * finished layer inside int64_t at any batch up to LAYER_BATCH_MAX. */
#define LAYER_DIM_MAX (1 << 20)
#define LAYER_BATCH_MAX 65536
#define LAYER_ELEMS_MAX ((int64_t)1 << 36)
#define LAYER_MACS_MAX ((int64_t)1 << 40)

/* Compute P and Q from H, W, R, S, strides, pads and dilations and check
 * the shape; fills e naming the layer (field = layer name) when the shape is
 * impossible. P = (H + pad_top + pad_bottom - dil_h*(R-1) - 1)/stride + 1
 * rounded down, as the frameworks do (Q alike with the width's values).
 * groups 0 is taken as 1 (a zero-initialised Layer). fc needs
 * W=R=S=stride=groups=1 and pad 0 (H rows of C features each); matmul
 * needs R=S=stride=1, pad 0 and C, K divisible by groups; add needs K == C,
 * R=S=stride=1, pad 0; pools need K == C; the other vector ops need
 * R=S=stride=1, pad 0 and vec_ops in 1..LAYER_VEC_OPS_MAX. Idempotent. */
int layer_finish(Layer *l, Err *e);

/* 1 for conv, fc and matmul (they run on the systolic array). */
int layer_on_array(const Layer *l);
/* Input tensors the layer reads: 2 for add, matmul and a vector op with
 * in1_elems > 0, else 1. */
int layer_inputs(const Layer *l);
/* 1 for the vector ops whose inputs are read in proportion to the output
 * (OP_ELTWISE .. OP_COPY). */
int layer_is_flat(const Layer *l);

/* Effective strides, dilations and pads (0 fields resolved). side: 0 top,
 * 1 left, 2 bottom, 3 right. */
int layer_stride_w(const Layer *l);
int layer_dil_h(const Layer *l);
int layer_dil_w(const Layer *l);
int layer_pad(const Layer *l, int side);
/* Rows and columns the filter spans: dil*(R-1) + 1. */
int layer_span_h(const Layer *l);
int layer_span_w(const Layer *l);

int64_t layer_macs(const Layer *l);        /* N*K*P*Q*(C/groups)*R*S; 0 off the array */
int64_t layer_weights(const Layer *l);     /* K*(C/groups)*R*S for conv/fc; 0 else */
int64_t layer_in_elems(const Layer *l);    /* N*C*H*W (in[0]; add: each input) */
int64_t layer_in1_elems(const Layer *l);   /* in[1]: add N*C*H*W, matmul
                                              N*(C/groups)*K, vector ops
                                              N*in1_elems; 0 if none */
int64_t layer_out_elems(const Layer *l);   /* N*K*P*Q */

/* Bytes of a count of elements at a bit width, rounded up to whole bytes. */
int64_t bits_to_bytes(int64_t elems, int bits);

int64_t layer_weight_bytes(const Layer *l); /* at w_bits */
int64_t layer_in_bytes(const Layer *l);     /* in[0] at a_bits */
int64_t layer_in1_bytes(const Layer *l);    /* in[1] at a_bits (matmul: w_bits) */
int64_t layer_out_bytes(const Layer *l);    /* at o_bits */

/* The GEMM of one group: M x Kg x Nn (all 0 off the array); a matmul's per
 * image and group, M = P*Q. */
typedef struct {
    int64_t M, K, N;
} Gemm;
Gemm layer_gemm(const Layer *l);

#endif
