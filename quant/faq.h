/* faq.h: FAQ's rules for the LSB position l of its fixed-point quantizer
 * Q(b,l) (FAQ sec. 3.1). The quantizer is q_faq_ops (quantizer.h); the
 * activation calibration is in calib.h. */
#ifndef FAQ_H
#define FAQ_H

#include "arch/qa.h"

/* Weights: l = ceil(log2(2 sigmas std(w) / (2^bits - 1))); -bits/2 for a
 * constant tensor. n > 0. */
int q_faq_weight_l(const float *w, size_t n, int bits, float sigmas);
/* Other parameters (e.g. batch norm): l = -bits/2. */
int q_faq_param_l(int bits);

#endif
