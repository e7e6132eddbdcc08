/* fgemm.h: the products of the chip's functional tiles (func.c), exact:
 * O (M, N) = A (M, K) x W (K, N), activation codes times weight codes.
 *
 *  fgemm_ordered   int64 loops (int32 when no sum can leave it) in the
 *                  chip's accumulation order, k ascending, cut into folds;
 *                  returns the largest |partial sum| the dataflow holds
 *                  (func.c says which). Any codes. The exact path.
 *  fgemm_fast      oneDNN's u8 x s8 product (quant/int/u8s8.h) of u8
 *                  activations: final sums only. Weights that do not fit
 *                  s8, or that the machine's kernels could saturate on
 *                  (16-bit pairs, no VNNI), are split w = 2^t hi + lo,
 *                  lo in 0..2^t-1 (t = 7, or 6 without VNNI: each half
 *                  exact with any u8), and the two products added in int64;
 *                  weights that are all odd (SAWB's half-step codes, up to
 *                  +-255 at 8 bits) are w = 2h + 1, one product of h.
 *  fgemm_bound     an upper bound of |every partial sum| of each output in
 *                  any order and any folding: A x |W|, with |W| rounded up
 *                  to a multiple of 2^s that the exact kernels take.
 * FgWeights holds a layer's weights in the forms these need, made once. */
#ifndef FGEMM_H
#define FGEMM_H

#include "arch/qa.h"

typedef enum {
    FG_ORDERED, /* the codes do not fit an exact oneDNN product */
    FG_DIRECT,  /* one u8 x s8 product */
    FG_SPLIT,   /* two: w = 2^split hi + lo */
    FG_ODD      /* every code odd, w = 2 h + 1 with h in s8: one product,
                 * A x W = 2 (A x H) + the row sums of A */
} FgMode;

typedef struct {
    int64_t K, N;     /* reduction, output channels */
    int amax;         /* the activations' largest code */
    FgMode mode;
    int8_t *w;        /* (K, N) the codes (DIRECT), lo (SPLIT) or h (ODD) */
    int8_t *hi;       /* (K, N) SPLIT only */
    int split;        /* SPLIT: t */
    int8_t *abs;      /* (K, N) ceil(|w| / 2^abs_shift): fgemm_bound_prepare */
    int abs_shift;
    int mabs;         /* max |w| */
    int64_t col_abs;  /* max over n of sum_k |w[k][n]| */
    const int16_t *codes; /* what fgemm_weights was given */
    const int64_t *row;
} FgWeights;

/* From codes (N, K): output channel n's K codes (any int16), whose code k
 * becomes operand row row[k] (NULL: k), and the largest activation code.
 * The mode follows u8s8_exact. codes and row must outlive w. Only QA_ERR
 * when out of memory. */
int fgemm_weights(FgWeights *w, const int16_t *codes, const int64_t *row, int64_t K,
                  int64_t N, int amax, Err *e);
void fgemm_weights_free(FgWeights *w);

/* Make the operand of fgemm_bound, where an exact product can take it
 * (w->abs stays NULL otherwise). Only QA_ERR when out of memory. */
int fgemm_bound_prepare(FgWeights *w, Err *e);

/* The layer-wide bound amax * col_abs: no partial sum of any tile exceeds
 * it. Free to compute; INT64_MAX if it would overflow. */
int64_t fgemm_static_bound(const FgWeights *w);

/* C (M, n1-n0; row stride n1-n0) = A (M, K; row stride lda) x W[:, n0:n1].
 * Requires mode != FG_ORDERED and every code of A <= amax. tmp: M*(n1-n0)
 * int32 scratch for FG_SPLIT (NULL otherwise). QA_ERR if oneDNN fails. */
int fgemm_fast(const FgWeights *w, const uint8_t *A, int64_t lda, int64_t M, int64_t n0,
               int64_t n1, int32_t *C, int32_t *tmp, Err *e);

/* *bound = max over the block of 2^abs_shift (A x abs)[m][n] >= every
 * |partial sum|. Requires w->abs (fgemm_bound_prepare). tmp: M*(n1-n0)
 * int32 scratch. */
int fgemm_bound(const FgWeights *w, const uint8_t *A, int64_t lda, int64_t M, int64_t n0,
                int64_t n1, int32_t *tmp, int64_t *bound, Err *e);

/* O (M, N) = A (M, K; row stride lda) x B (K, N; row stride ldb), partial
 * sums cut into folds of `fold` along K; *mx = the largest |partial sum|
 * held: every prefix within a fold (from zero) and at every fold end. */
int fgemm_ordered(const int32_t *A, int64_t lda, const int32_t *B, int64_t ldb,
                  int64_t M, int64_t K, int64_t N, int64_t fold, int64_t *O,
                  int64_t *mx, Err *e);

#endif
