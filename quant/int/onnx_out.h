/* onnx_out.h: qarray's integer network (intref.h) written as a standard
 * QDQ ONNX model that ONNX Runtime runs, and that onnx_q.h reads back into
 * the same integer network. Float image in (1 x C x H x W), logits out.
 * Each conv: QuantizeLinear/DequantizeLinear codes (uint8, uint16 above 8
 * bits; a Clip before the QuantizeLinear for fewer than 8 bits), weights as
 * int4/int8/int16 codes with one scale per output channel chosen so the
 * reader's multiplier is exactly the network's, the bias as int32 codes
 * (split into two parts when wider than 31 bits). Opset 13, or 21 when a
 * layer needs int4 or 16-bit codes. Residual adds (int32 branches) are
 * refused. Must not print or exit. */
#ifndef ONNX_OUT_H
#define ONNX_OUT_H

#include "quant/int/intref.h"

/* Write net as a QDQ ONNX model at path (atomically); *opset gets the
 * opset written. */
int onnxq_save(const INet *net, const char *path, int *opset, Err *e);

/* 0 when a and b are the same integer network (shapes, bits, weights,
 * multipliers, shifts, biases); else QA_ERR naming the first layer and
 * field that differ. Scales are not compared (they only document). */
int onnxq_same(const INet *a, const INet *b, Err *e);

#endif
