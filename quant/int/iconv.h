/* iconv.h: the integer reference's convolution accumulators of one op
 * over a batch, channels last:
 *   acc[n][p][q][k] = sum_{c,r,s} w[k][c][r][s] * x[n][p*stride-pad+r][q*stride-pad+s][c]
 * (x = 0 outside the image). On oneDNN's convolution primitive where it is
 * exact: u8 input codes, s8 weights, a VNNI machine (quant/int/u8s8.h,
 * level full) and sums inside int32; and only an implementation of its own
 * (brgconv, jit), never one built on oneDNN's GEMM, which the chip's tiles
 * use: a bug in one must show as a mismatch. Otherwise a direct loop nest
 * in int32 or int64. Results are the same either way. */
#ifndef ICONV_H
#define ICONV_H

#include "quant/int/intref.h"

typedef struct IConv IConv;

/* For op (IOP_CONV) at `batch` images whose input codes are u8 in 0..amax
 * (in_wide == 0) or int32 of any value (in_wide == 1). op must outlive c.
 * QA_ERR when out of memory or oneDNN fails outright. */
int iconv_init(IConv **c, const IOp *op, int batch, int in_wide, int amax, Err *e);
void iconv_free(IConv *c);

/* x: (batch, H, W, C), u8 or int32 as given to iconv_init; acc: (batch,
 * P, Q, K), int64 when iconv_acc_wide(c), else int32. */
int iconv_run(IConv *c, const void *x, void *acc, Err *e);
int iconv_acc_wide(const IConv *c);
/* "brgconv:avx512_core_vnni" (oneDNN's name) or "loops". */
const char *iconv_impl(const IConv *c);

#endif
