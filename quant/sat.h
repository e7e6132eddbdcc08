/* sat.h: SAT constant rescaling (SAT paper eq. 7 and 10) of quantized
 * weights of a layer not followed by batch norm (always the last FC; every
 * conv of a pre-activation ResNet):  Q* = Q / sqrt(n_out VAR[Q]).
 * VAR[Q] is, as the paper says under eq. 7, the mean of the squared
 * elements; backward treats it as a constant. */
#ifndef SAT_H
#define SAT_H

#include "arch/qa.h"

/* 1 / sqrt(n_out mean(q^2)); 1 for an all-zero tensor. n_out is the number
 * of output neurons of the layer (FC: output features; conv: K R S, the
 * fan-out). */
float q_sat_scale(const float *q, size_t n, int n_out);
/* out[i] = scale q[i]; *scale (if not NULL) gets the factor. out may alias q. */
void q_sat_forward(const float *q, float *out, size_t n, int n_out, float *scale);
/* gq[i] += scale gout[i] (the variance is a constant in backward). */
void q_sat_backward(const float *gout, float *gq, size_t n, float scale);

#endif
