/* generate.h: a quantized integer model of a workloads network without
 * pretrained weights (none exist here): seeded He-normal weights, batch-norm
 * statistics measured on seeded synthetic images (so every layer is
 * normalized), weights quantized by the chosen method, activation clipping
 * calibrated on the same images (FAQ percentile rule), BN folded, exported
 * as an integer network. The functional check is bit-exactness against the
 * array, not ImageNet accuracy. */
#ifndef GENERATE_H
#define GENERATE_H

#include "quant/int/export.h"

typedef struct {
    const char *net;      /* workloads name, e.g. "resnet50" */
    const char *method;   /* "pact-sawb", "apot", "faq", "dorefa" */
    int w_bits, a_bits, first_last_bits;
    uint64_t seed;
    int batch;            /* synthetic images per calibration batch */
} GenSpec;

typedef struct {
    int agree, n;         /* integer vs fake-quantized argmax on the images */
    double max_logit_diff;/* largest |real integer logit - fake-quant logit| */
} GenCheck;

/* Map a --method name to weight/activation quantizer names; QA_ERR if unknown. */
int gen_methods(const char *method, const char **w, const char **a);
/* Build, quantize, calibrate and export g's network into out. */
int gen_quantized(const GenSpec *g, INet *out, GenCheck *check, Err *e);

#endif
