/* calib.h: activation-range calibration shared by calibrating quantizers:
 * percentiles (linear interpolation, as numpy.percentile) and FAQ's rule
 * (FAQ sec. 3.2): ymax = max over calibration batches of the 99.99th (8-bit)
 * or 99.9th (4-bit and below) percentile, rounded up to a power of two, then
 * kept fixed. No quantization here. */
#ifndef CALIB_H
#define CALIB_H

#include "arch/qa.h"

typedef struct {
    double pct;     /* percentile in (0, 100] */
    float ymax;     /* running max of the batch percentiles (raw) */
    long batches;
    int bits;       /* 0: FAQ's rule; > 0: the MSE rule at these bits */
    double clip_sum; /* MSE rule: sum of the batches' best clips */
} QCalib;

/* pct = 99.99 for bits >= 8, 99.9 below (FAQ sec. 3.2 gives 8 and 4 bits;
 * 5..7 bits take the 4-bit rule). */
void q_calib_init(QCalib *c, int bits);
/* The MSE rule instead (for learned clips such as PACT's, whose L2 term
 * moves a far too large start only slowly): per batch, the clip alpha that
 * minimizes the squared error between ReLU(x) and its bits-bit uniform
 * quantization on [0, alpha] (values above alpha clip to it), searched over
 * 256 candidates on a 2048-bin histogram; the result is the mean over
 * batches, not rounded. */
void q_calib_init_mse(QCalib *c, int bits);
/* The MSE rule's clip for one set of values (0 if none is positive). */
float q_mse_clip(const float *x, size_t n, int bits);
/* Fold one batch of n values in. Errors: n == 0, out of memory. */
int q_calib_add(QCalib *c, const float *x, size_t n, Err *e);
/* FAQ: ymax rounded up to a power of two; MSE: the mean clip (0 if no
 * positive value was seen). */
float q_calib_ymax(const QCalib *c);

/* The pct-th percentile of x (n > 0) with linear interpolation between
 * order statistics; scratch holds n floats and is reordered. */
float q_percentile(const float *x, size_t n, double pct, float *scratch);
/* Smallest power of two >= v, for v > 0 (0 for v <= 0). */
float q_pow2_ceil(float v);

#endif
