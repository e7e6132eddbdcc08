/* onnx_q.h: a quantized ONNX model (QDQ: QuantizeLinear / DequantizeLinear
 * around float Conv, Gemm, MatMul, Add, MaxPool; QLinearConv, QLinearMatMul)
 * as qarray's integer network
 * (intref.h), so `qarray validate/eval/run -m MODEL.onnx` run it as they run
 * qarray's own model files. Reads weight values (unlike workloads/onnx.c,
 * which reads shapes only). What maps to integers and how the requantization
 * relates to ONNX's float rounding: quant/int/README.md. Everything that
 * cannot run as integers is an error naming the node; nothing falls back to
 * float. Must not print or exit. */
#ifndef ONNX_Q_H
#define ONNX_Q_H

#include "quant/int/intref.h"

/* Model metadata key (ModelProto.metadata_props) declaring the bits of a
 * weight tensor narrower than its container: key ONNXQ_WBITS_KEY followed by
 * the tensor's name, value the bits ("3"). onnx_out.c writes it for 2- and
 * 3-bit weights in int4, APoT weights and the like; the reader honours it for
 * a dequantized constant of at least that many bits. */
#define ONNXQ_WBITS_KEY "qarray.weight_bits."

/* Load the QDQ model at path as an integer network (empty on error). */
int onnxq_load(INet *net, const char *path, Err *e);
/* The same from a buffer (`name` names it in errors). */
int onnxq_load_buffer(INet *net, const char *name, const uint8_t *buf, size_t len, Err *e);

/* ONNX QuantizeLinear of one value: x / scale in float, rounded half to
 * even, plus the zero point, saturated to lo..hi. */
int32_t onnxq_quantize(float x, float scale, int32_t zp, int32_t lo, int32_t hi);

#endif
