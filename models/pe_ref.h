/* pe_ref.h: the PE-level reference systolic array, the ground truth of the
 * closed-form timing in systolic.c. Every PE's registers are updated
 * synchronously each cycle (next state from current state, then swap), edge
 * feeders inject skewed operands and collectors take results off the bottom
 * edge; it computes the exact integer GEMM and counts cycles by stepping.
 * Slow on purpose: for tests and `qarray validate` on small layers only. */
#ifndef PE_REF_H
#define PE_REF_H

#include "arch/arch.h"

typedef struct {
    int64_t cycles;       /* first operand entering .. last result leaving */
    int64_t folds;        /* array-sized pieces the GEMM was cut into */
    int64_t macs;         /* multiply-accumulates the PEs performed */
    int64_t max_abs_psum; /* largest |partial sum| held anywhere: a PE's
                           * partial-sum or accumulator register, or the
                           * accumulator buffer that adds K-folds (WS, IS) */
} PeRefStats;

/* O[M][N] = sum_k A[M][K] * B[K][N] on a rows x cols array with dataflow
 * df, folds in the order systolic.c documents. A is (M,K), B is (K,N), O is
 * (M,N), all row-major; O is fully written. double_buffer: shadow registers
 * let the next fold's stationary operand load (WS, IS) or the results drain
 * (OS) while the current fold streams. Returns QA_ERR with a message for
 * bad arguments (sizes < 1, NULL pointers, shapes too big for memory, |A|*|B|
 * sums that could overflow int64) and for an internal hazard of the array
 * (which would be a bug: every register read is checked against its fold). */
int pe_ref_gemm(Dataflow df, int rows, int cols, int64_t M, int64_t K,
                int64_t N, const int32_t *A, const int32_t *B, int64_t *O,
                int double_buffer, PeRefStats *st, Err *e);

/* Accumulator overflow, reported instead of wrapped: QA_ERR (field
 * "acc_bits") when a partial sum of the run (st->max_abs_psum) does not fit
 * a signed acc_bits-bit accumulator, as a PE of that width would have
 * wrapped it. The reference itself sums in int64 and never wraps. */
int pe_ref_check_acc(const PeRefStats *st, int acc_bits, Err *e);

#endif
