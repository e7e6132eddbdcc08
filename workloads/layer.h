/* layer.h: one layer of a network: its shape, its precision, its producers.
 *
 * Shapes use the literature's letters: N batch, C input channels, K output
 * channels, H x W input, R x S filter, P x Q output. A conv or fc layer is
 * the GEMM  M = N*P*Q  x  Kg = C/groups*R*S  x  Nn = K  (per group).
 * No timing here, no quantization: just shapes, bits and byte counts. */
#ifndef LAYER_H
#define LAYER_H

#include "arch/qa.h"

typedef enum {
    OP_CONV,     /* 2-D convolution, on the systolic array */
    OP_FC,       /* fully connected: a conv with H=W=R=S=1 */
    OP_MAXPOOL,  /* vector unit */
    OP_AVGPOOL,  /* vector unit (global average pool has R=H, S=W) */
    OP_ADD,      /* residual add of in[0] and in[1], vector unit */
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
    int w_bits;     /* weight bits (conv/fc; 0 for pool/add) */
    int a_bits;     /* input activation bits */
    int o_bits;     /* output bits as stored (the consumer's a_bits) */
    int in[2];      /* producer layer ids; in[1] only for OP_ADD; -1 = input */
    int shortcut;   /* 1: projection conv on a residual path (fpsc policy) */
    int bn_after;   /* 1: the output feeds a batch norm directly (conv/fc
                       only). Pre-activation blocks end in convs without one;
                       SAT rescales the weights of exactly those layers. */
} Layer;

const char *layer_op_name(LayerOp op);
/* Parse "conv", "fc", "maxpool", "avgpool", "add"; QA_ERR if unknown. */
int layer_op_parse(const char *s, LayerOp *op);

/* Limits: a dimension, the batch, the elements of one image's input, output
 * or weights, and one image's MACs. Far above any real network, they stop
 * absurd input before anything is sized from it, and keep every count of a
 * finished layer inside int64_t at any batch up to LAYER_BATCH_MAX. */
#define LAYER_DIM_MAX (1 << 20)
#define LAYER_BATCH_MAX 65536
#define LAYER_ELEMS_MAX ((int64_t)1 << 36)
#define LAYER_MACS_MAX ((int64_t)1 << 40)

/* Compute P and Q from H, W, R, S, stride, pad and check the shape; fills e
 * naming the layer (field = layer name) when the shape is impossible.
 * P = (H + 2*pad - R)/stride + 1 rounded down, as the frameworks do.
 * groups 0 is taken as 1 (a zero-initialised Layer). fc needs
 * H=W=R=S=stride=1 and pad 0; add needs K == C, R=S=stride=1, pad 0;
 * pools need K == C. Idempotent. */
int layer_finish(Layer *l, Err *e);

/* 1 for conv and fc (they run on the systolic array). */
int layer_on_array(const Layer *l);

int64_t layer_macs(const Layer *l);        /* N*K*P*Q*(C/groups)*R*S; 0 for pool/add */
int64_t layer_weights(const Layer *l);     /* K*(C/groups)*R*S; 0 for pool/add */
int64_t layer_in_elems(const Layer *l);    /* N*C*H*W (per input tensor) */
int64_t layer_out_elems(const Layer *l);   /* N*K*P*Q */

/* Bytes of a count of elements at a bit width, rounded up to whole bytes. */
int64_t bits_to_bytes(int64_t elems, int bits);

int64_t layer_weight_bytes(const Layer *l); /* at w_bits */
int64_t layer_in_bytes(const Layer *l);     /* one input tensor at a_bits */
int64_t layer_out_bytes(const Layer *l);    /* at o_bits */

/* The GEMM of one group: M x Kg x Nn (all 0 for pool/add). */
typedef struct {
    int64_t M, K, N;
} Gemm;
Gemm layer_gemm(const Layer *l);

#endif
