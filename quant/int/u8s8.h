/* u8s8.h: oneDNN's integer product C (M, N) = A (M, K; u8) x B (K, N; s8)
 * in int32 (dnnl_gemm_u8s8s32, row major), and when it is exact here.
 *
 * oneDNN's int8 kernels for processors without VNNI (AVX-512 before
 * Cascade Lake, AVX2, AVX, SSE4.1) add each pair of u8 x s8 products in 16
 * bits with saturation (vpmaddubsw): 255 x -128 twice is -65280, which does
 * not fit, and the sum comes out wrong without a word. A pair always fits
 * when a <= 127 (any s8) or b is in -64..63 (any u8). With VNNI (vpdpbusd)
 * each product reaches its int32 sum directly. Which holds is decided once
 * per process from oneDNN's effective ISA (ONEDNN_MAX_CPU_ISA caps it) and
 * a probe: products of the extreme codes in shapes that reach its GEMM and
 * GEMV kernels, compared with int64 loops. Never assumed. QARRAY_ONEDNN=off
 * in the environment sets the level to none (valgrind cannot follow
 * definedness through oneDNN's generated code: tests/memcheck.sh). */
#ifndef U8S8_H
#define U8S8_H

#include "arch/qa.h"

typedef enum {
    U8S8_NONE, /* no product is trusted: callers use their own exact loops */
    U8S8_HALF, /* exact when every a <= 127, or every b is in -64..63 */
    U8S8_FULL  /* exact for every u8 and s8 (VNNI, and the probe agrees) */
} U8s8Level;

/* The level of this process (decided at the first call; thread-safe). */
U8s8Level u8s8_level(void);
/* "full", "half" or "none". */
const char *u8s8_level_name(U8s8Level l);
/* oneDNN's effective instruction set, e.g. "avx512_core_bf16 (VNNI)". */
const char *u8s8_isa_name(void);

/* 1 when u8s8_gemm sums K products of a in 0..amax and b in bmin..bmax
 * exactly: the level allows those codes, and K * amax * max|b| < 2^31, so
 * no sum, partial or final, leaves int32. */
int u8s8_exact(int amax, int bmin, int bmax, int64_t K);

/* C = A B (lda, ldb, ldc: row strides in elements). Only QA_ERR when
 * oneDNN refuses the call. Exact only under u8s8_exact. */
int u8s8_gemm(int64_t M, int64_t N, int64_t K, const uint8_t *A, int64_t lda,
              const int8_t *B, int64_t ldb, int32_t *C, int64_t ldc, Err *e);

#endif
