/* systolic.h: closed-form cycle counts of a GEMM on one rows x cols
 * systolic array, for the weight-, output- and input-stationary dataflows.
 *
 * The GEMM is  O[M][N] = sum_k A[M][K] * B[K][N]  (A: inputs / im2col rows,
 * B: weights, M = output pixels, K = reduction, N = output channels).
 * The formulas are exact for the PE-level reference array in pe_ref.c; the
 * derivation of each is in systolic.c. No memory, no DRAM: compute only. */
#ifndef SYSTOLIC_H
#define SYSTOLIC_H

#include "arch/arch.h"

/* Cycles for the whole GEMM on one array, folds run back to back.
 * double_buffer: the next fold's stationary operands are preloaded while the
 * current fold streams (shadow registers), as in the reference array.
 * Counted from the first operand entering to the last result leaving the
 * bottom edge. O(1): no loop over folds. Saturates at INT64_MAX instead of
 * overflowing; returns -1 for an unknown dataflow or a size < 1 (callers
 * validate their inputs first, this is not an error report). */
int64_t sys_gemm_cycles(Dataflow df, int rows, int cols,
                        int64_t M, int64_t K, int64_t N, int double_buffer);

/* Number of folds (array-sized pieces) the GEMM is cut into:
 * WS ceil(K/rows)*ceil(N/cols), OS ceil(M/rows)*ceil(N/cols),
 * IS ceil(K/rows)*ceil(M/cols). -1 on bad arguments, like sys_gemm_cycles. */
int64_t sys_gemm_folds(Dataflow df, int rows, int cols,
                       int64_t M, int64_t K, int64_t N);

/* What one GEMM moves, for the energy model: elements of A (inputs) and B
 * (weights) fetched from the scratchpad into the array, partial sums of
 * the reduction written out and read back between folds (WS, IS: a fold
 * after the first adds to the sums the previous fold left), outputs, and
 * register hops inside the array (one element written into one PE's
 * register: the stationary load chain, operands passed PE to PE, partial
 * sums moved down through every row, OS results drained). The paths are
 * those of pe_ref.c, whose timing sys_gemm_cycles gives. Counts, not bits;
 * saturating like the cycles. QA_ERR on bad arguments. */
typedef struct {
    int64_t a_reads, b_reads;
    int64_t psum_writes, psum_reads;
    int64_t outputs;
    int64_t a_hops, b_hops, psum_hops;
} SysTraffic;

int sys_gemm_traffic(Dataflow df, int rows, int cols, int64_t M, int64_t K,
                     int64_t N, SysTraffic *t);

#endif
