/* irun.h: the integer reference (rules in intref.h) on a batch of images
 * at once, channels last, fast: convolutions through iconv.h, every other
 * op, the requantization and the classifier as loops here, threads over
 * pixels (OpenMP). Bit for bit intref_forward's results; what the chip's
 * functional mode is compared with, and what `qarray eval` runs.
 * Codes of 1..8 bits are kept as u8, everything else (int32 branches,
 * wider codes, the classifier's outputs) as int32. */
#ifndef IRUN_H
#define IRUN_H

#include "quant/int/intref.h"

typedef struct IRun IRun;

/* A runner of net for `batch` images (net must outlive it): one
 * convolution per conv op, every output buffer. Errors: the net fails
 * intref_validate, out of memory, oneDNN fails. */
int irun_init(IRun **r, const INet *net, int batch, Err *e);
void irun_free(IRun *r);

/* Run images (batch, in_C, in_H, in_W) of in_bits codes. QA_ERR only when
 * oneDNN fails. */
int irun_forward(IRun *r, const uint8_t *images, Err *e);
/* After irun_forward: logits (batch, classes); op i's output (batch, P,
 * Q, K) (the classifier's: (batch, K) saturated to int32), u8 codes when
 * *wide is 0, int32 when 1. */
const int64_t *irun_logits(const IRun *r);
const void *irun_out(const IRun *r, int i, int *wide);
/* oneDNN's implementation name of conv op i, "loops", or NULL (not a conv). */
const char *irun_conv_impl(const IRun *r, int i);

/* Predicted classes (n) of images (n, C, H, W), `batch` images per
 * forward (the last one padded with blank images). */
int irun_predict(const INet *net, const uint8_t *images, int n, int batch, int *pred,
                 Err *e);

#endif
