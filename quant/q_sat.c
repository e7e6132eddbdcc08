/* q_sat.c: SAT constant rescaling, eq. 7 and 10. */
#include "quant/sat.h"

#include <math.h>

float q_sat_scale(const float *q, size_t n, int n_out)
{
    double ss = 0.0;
    for (size_t i = 0; i < n; i++)
        ss += (double)q[i] * (double)q[i];
    double var = n ? ss / (double)n : 0.0; /* "averaging the square of elements" */
    return var > 0.0 && n_out > 0 ? (float)(1.0 / sqrt((double)n_out * var)) : 1.0f;
}

void q_sat_forward(const float *q, float *out, size_t n, int n_out, float *scale)
{
    float s = q_sat_scale(q, n, n_out);
    for (size_t i = 0; i < n; i++)
        out[i] = s * q[i];
    if (scale)
        *scale = s;
}

void q_sat_backward(const float *gout, float *gq, size_t n, float scale)
{
    for (size_t i = 0; i < n; i++)
        gq[i] += scale * gout[i];
}
