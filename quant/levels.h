/* levels.h: finite quantization level sets and projection to the nearest
 * level. APoT (APoT paper eq. 5, odd b eq. 6), PoT (eq. 3), uniform (eq. 2)
 * and Lloyd-Max (iterative, data-driven) sets, all in normalized units
 * (clip range [-1, 1] signed, [0, 1] unsigned). Projection is a table lookup
 * plus a few branch-free steps (binary search where levels crowd), never
 * a scan of all levels. */
#ifndef LEVELS_H
#define LEVELS_H

#include "arch/qa.h"

typedef struct {
    float *v;          /* (n) levels, ascending, distinct */
    float *mid;        /* (n) mid[i] = (v[i] + v[i+1]) / 2; mid[n-1] = +inf */
    uint32_t *lut;     /* (n_lut + 1) first candidate index per bucket */
    int n, n_lut;
    int steps;         /* most forward steps any t needs from its lut entry */
    float lo, lut_scale; /* bucket of t in [v[0], v[n-1]]: (int)((t - lo) * lut_scale) */
} QLevels;

/* Unsigned APoT with k = 2 (eq. 5; odd b eq. 6) normalized to max 1, for
 * b = 1..5 magnitude bits (b = 1 is {0, 1}). Signed sets use one bit of
 * `bits` for the sign: the (bits-1)-bit unsigned set mirrored, 2^bits - 1
 * levels. Errors name the field "bits". */
int q_levels_apot(QLevels *lv, int bits, int is_signed, Err *e);
/* PoT eq. 3: {0, 2^-(m-1), ..., 2^-1, 1} with m = 2^(bits-1) - 1 positive
 * levels signed, m = 2^bits - 1 unsigned. Levels must stay normal floats:
 * bits <= 8 signed, <= 7 unsigned. */
int q_levels_pot(QLevels *lv, int bits, int is_signed, Err *e);
/* Uniform eq. 2: {0, +-1/(2^(bits-1)-1), ..., +-1} signed, i/(2^bits-1)
 * unsigned. */
int q_levels_uniform(QLevels *lv, int bits, int is_signed, Err *e);
/* Lloyd-Max (Lloyd 1982): 2^bits levels minimizing the squared error on the
 * n samples t (already in normalized units), started at the sample quantiles
 * and iterated to a fixed point (at most iters rounds). */
int q_levels_lloyd(QLevels *lv, const float *t, size_t n, int bits,
                   int iters, Err *e);
/* Build a set from arbitrary values (sorted and de-duplicated here). */
int q_levels_set(QLevels *lv, const double *v, int n, Err *e);
void q_levels_free(QLevels *lv);

/* Binary search for the first i >= from with t < mid[i]: the path for sets
 * whose levels crowd far below the table's resolution (PoT at 8 bits). */
int q_levels_search(const QLevels *lv, float t, uint32_t from);
#define Q_LEVELS_MAX_STEPS 8

/* The table bucket of t, within 0..n_lut whatever float rounding does at
 * the top of the range (and 0 for a NaN). */
static inline int q_levels_bucket(const QLevels *lv, float t)
{
    float b = (t - lv->lo) * lv->lut_scale;
    return b >= 0.0f ? (b < (float)lv->n_lut ? (int)b : lv->n_lut) : 0;
}

/* Index of the level nearest to t; t must lie in [v[0], v[n-1]]. A t equal
 * to the float midpoint mid[i] goes to the upper level i+1. */
static inline int q_levels_index(const QLevels *lv, float t)
{
    uint32_t i = lv->lut[q_levels_bucket(lv, t)];
    if (lv->steps > Q_LEVELS_MAX_STEPS)
        return q_levels_search(lv, t, i);
    /* A fixed number of branch-free steps: once t < mid[i], i stops. */
    for (int s = 0; s < lv->steps; s++)
        i += t >= lv->mid[i];
    return (int)i;
}

#endif
