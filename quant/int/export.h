/* export.h: a trained, quantized post-activation QNet as an integer network
 * (intref.h): weights as integer values with one scale per layer, batch norm
 * folded into per-channel fixed-point multipliers and biases, activation
 * clipping as code ranges; and that integer network as a safetensors file
 * (tensors <layer>.weight/.mult/.shift/.bias, the layer graph with bits,
 * scales and alphas in the metadata). Pre-activation nets (float BN before
 * each conv) and partly-float nets are refused. */
#ifndef EXPORT_H
#define EXPORT_H

#include "quant/int/intref.h"
#include "quant/train/model.h"

/* Residual branches are carried in 2^-EXPORT_ADD_FRAC_BITS of the add's
 * output code, so the add rounds once. */
#define EXPORT_ADD_FRAC_BITS 16

/* Build the integer network of net (its quantizers must have run a forward:
 * activation scales come from their last state). */
int export_intnet(QNet *net, INet *out, Err *e);
/* Write / read the safetensors model file (atomic write; the reader checks
 * the metadata graph line by line and every tensor's dtype and shape). */
int export_save(const INet *net, const char *path, const char *const *extra_meta,
                int n_extra, Err *e);
int export_load(INet *net, const char *path, Err *e);

#endif
