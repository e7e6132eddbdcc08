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
} QCalib;

/* pct = 99.99 for bits >= 8, 99.9 below (FAQ sec. 3.2 gives 8 and 4 bits;
 * 5..7 bits take the 4-bit rule). */
void q_calib_init(QCalib *c, int bits);
/* Fold one batch of n values in. Errors: n == 0, out of memory. */
int q_calib_add(QCalib *c, const float *x, size_t n, Err *e);
/* ymax rounded up to a power of two (0 if no positive value was seen). */
float q_calib_ymax(const QCalib *c);

/* The pct-th percentile of x (n > 0) with linear interpolation between
 * order statistics; scratch holds n floats and is reordered. */
float q_percentile(const float *x, size_t n, double pct, float *scratch);
/* Smallest power of two >= v, for v > 0 (0 for v <= 0). */
float q_pow2_ceil(float v);

#endif
