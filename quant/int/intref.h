/* intref.h: integer-only inference of an exported network: the bit-exact
 * reference the simulated array's functional mode is checked against.
 * Only integer arithmetic runs here; scales are carried for documentation
 * and for reading logits as real numbers. intref_forward is plain loops,
 * one image at a time, (C, H, W): the spot check; quant/int/irun.h runs
 * the same rules on a batch, fast.
 *
 * Rules (all products and sums in int64, floor division by powers of two):
 *   requant(v, m, sh, b) = floor((v*m + b + 2^(sh-1)) / 2^sh)   (sh = 0: v*m + b)
 *                          round half up; |m| < 2^24 so |v*m| < 2^55.
 *   CONV   acc[k,p,q] = sum_{c,r,s} w[k,c,r,s] * x[c, p*stride-pad+r, q*stride-pad+s]
 *          (x = 0 outside the image); y = requant(acc, mult[k], shift[k], bias[k]);
 *          out_bits > 0: y = clamp(y, 0, 2^out_bits - 1)  (ReLU/PACT codes, BN folded
 *          into mult and bias); out_bits == 0: a residual branch in the units of
 *          the consuming ADD, saturated to int32.
 *   ADD    y = clamp(requant(a*mult[0] + b*mult[1], 1, shift[0], 0), 0, 2^out_bits - 1)
 *          (each input rescaled to the output's units times 2^shift).
 *   MAXPOOL  max over the window of codes (padding never wins).
 *   GAPFC  logit[k] = sum_c w[k,c] * (sum_{h,w} x[c,h,w]) + bias[k]   (int64);
 *          real logit = out_scale * logit[k].
 * Value of a tensor element = its scale * integer; weights: w_scale * w. */
#ifndef INTREF_H
#define INTREF_H

#include "arch/qa.h"

typedef enum { IOP_CONV, IOP_ADD, IOP_MAXPOOL, IOP_GAPFC } IOpKind;

#define INTREF_INPUT (-1)

typedef struct {
    IOpKind kind;
    char name[48];
    int in[2];            /* producer op ids, INTREF_INPUT = the image */
    int C, H, W;          /* input shape */
    int K, R, S, stride, pad;
    int P, Q;             /* output K x P x Q */
    int w_bits;           /* bits of the weight codes (CONV, GAPFC) */
    int out_bits;         /* CONV/ADD output code bits; 0 = int32 branch */
    int16_t *w;           /* (K, C, R, S) integer weight values */
    int32_t *mult;        /* CONV: (K); ADD: (2) */
    int32_t *shift;       /* CONV: (K); ADD: (1) */
    int64_t *bias;        /* CONV, GAPFC: (K) */
    float w_scale;        /* real weight = w_scale * w */
    float out_scale;      /* real output = out_scale * y */
} IOp;

typedef struct {
    IOp *ops;
    int n, cap;
    int in_C, in_H, in_W, in_bits;
    float in_scale;       /* real input = in_scale * code */
    int classes;
} INet;

/* Limits intref_validate holds a network to: bits of weight codes (the
 * chip's widest lanes), elements of any tensor and of all op outputs of one
 * image (a forward holds them all: 2^26 int32, 256 MiB). */
#define INTREF_MAX_BITS 16
#define INTREF_MAX_ELEMS ((int64_t)1 << 26)

void intref_init(INet *net);
/* Append an op (its arrays are taken over by the net); returns its id,
 * computing P, Q. Errors: bad shape, out of memory. */
int intref_add(INet *net, const IOp *op, Err *e);
void intref_free(INet *net);
/* Check every op's shape against its producers and every array present,
 * the bits (input 1..8, weights 1..16, outputs 0..16), the sizes
 * (INTREF_MAX_ELEMS), the shifts (0..62) and that the integer arithmetic of
 * the rules above fits int64 for any input: partial sums times multipliers
 * and biases each within 2^61. Errors name the op and the value. */
int intref_validate(const INet *net, Err *e);

/* Integer logits (classes) of one image of in_bits codes (in_C, in_H, in_W).
 * Returns QA_ERR only when out of memory (scratch is allocated per call). */
int intref_forward(const INet *net, const uint8_t *image, int64_t *logits, Err *e);
/* intref_forward, and each op's output copied to outs[i] (K*P*Q int32,
 * (K, P, Q); the classifier's saturated logits) where outs[i] is not NULL:
 * the layer-by-layer reference of the array's functional mode. */
int intref_forward_ops(const INet *net, const uint8_t *image, int64_t *logits,
                       int32_t *const *outs, Err *e);
/* Predictions (n) of images (n, C, H, W): irun_predict (quant/int/irun.h,
 * the same results, fast) in batches of INTREF_BATCH. */
#define INTREF_BATCH 64
int intref_predict(const INet *net, const uint8_t *images, int n, int *pred, Err *e);

/* requant() above; exposed for the array's functional model and tests. */
int64_t intref_requant(int64_t v, int32_t m, int sh, int64_t b);
/* Real multiplier M > 0 or < 0 as m / 2^sh with 2^23 <= |m| < 2^24
 * (m = 0, sh = 0 for M = 0); sh limited to 0..56. */
void intref_multiplier(double M, int32_t *m, int32_t *sh);

#endif
