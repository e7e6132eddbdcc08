/* scalesim.h: SCALE-Sim v2's compute cycles of one layer, as closed forms,
 * to compare qarray's timing with it.
 *
 * Read from SCALE-Sim v2 (github.com/scalesim-project/scale-sim-v2,
 * commit 22f88b17f1dd3160e18bff5df165035bf8146e83, version 2.0.2) and
 * checked against its reports (tests/golden/scalesim/cycles.csv); no SCALE-Sim
 * code is used. References are file:line in scalesim/ of that commit:
 *  - output size ceil((H - Fh + s) / s), no padding parameter:
 *    topology_utils.py:209-210;
 *  - operand matrices: ifmap P x Win, filter Win x K, ofmap P x K with
 *    P = Eh*Ew pixels, Win = Fh*Fw*Ch: compute/operand_matrix.py:83-96;
 *  - what is mapped on rows (Sr), on columns (Sc) and streamed (T):
 *    os Sr = P, Sc = K, T = Win (compute/systolic_compute_os.py:69-71);
 *    ws Sr = Win, Sc = K, T = P (systolic_compute_ws.py:67-69);
 *    is Sr = Win, Sc = P, T = K (systolic_compute_is.py:69-71);
 *  - folds ceil(Sr/R) * ceil(Sc/C), each padded to the full array with
 *    idle entries (os.py:75-76, 243-245, 337-343; ws.py:73-74, 201-203,
 *    244-250; is.py:75-76, 203-209, 261-263) and run back to back, never
 *    overlapped (os.py:255-258, ws.py:214,219, is.py:231-234);
 *  - demand rows per fold, one per cycle: os T + R + C - 2 (ifmap T + C - 1
 *    rows skewed over R: os.py:224-225, 250, 253), ws and is T + 2R + C - 2
 *    (R rows of preload, T + C - 1, skewed over R: ws.py:181-186, 206-212;
 *    is.py:242-246, 266-272);
 *  - Total Cycles is the cycle index of the last demand row, counted from
 *    0 (memory/double_buffered_scratchpad_mem.py:168-170, 209), so
 *    folds * F - 1 once per layer, plus stalls, which are 0 with
 *    InterfaceBandwidth CALC (memory/read_buffer_estimate_bw.py:96);
 *  - a GEMM row "Layer, M, N, K" is the conv H=M, W=K, Fh=1, Fw=K, Ch=1,
 *    K=N, stride 1 (topology_utils.py:74): P = M, Win = K, K = N.
 * No memory, no DRAM, no cores: one array, compute only. */
#ifndef SCALESIM_H
#define SCALESIM_H

#include "arch/arch.h"

/* Output rows (or columns) of a filter of `filt` over `in` at `stride`,
 * SCALE-Sim v2's rule: ceil((in - filt + stride) / stride), one more than
 * floor((in - filt) / stride) + 1 whenever the stride does not divide
 * in - filt. Needs 1 <= filt <= in and stride >= 1; else -1. */
int scalesim_out_dim(int in, int filt, int stride);

/* Cycles of one fold for a stream of T: os T + R + C - 2, ws and is
 * T + 2R + C - 2. -1 on bad arguments. */
int64_t scalesim_fold_cycles(Dataflow df, int rows, int cols, int64_t T);

/* Folds of the GEMM (M pixels x K reduction x N filters) on R x C:
 * os ceil(M/R) * ceil(N/C), ws ceil(K/R) * ceil(N/C), is ceil(K/R) *
 * ceil(M/C). -1 on bad arguments. */
int64_t scalesim_folds(Dataflow df, int rows, int cols, int64_t M, int64_t K,
                       int64_t N);

/* The cycles the array is busy with the GEMM, folds * fold cycles (the
 * demand rows SCALE-Sim issues, one per cycle). Saturates at INT64_MAX;
 * -1 on bad arguments (a size < 1, an unknown dataflow). */
int64_t scalesim_gemm_rows(Dataflow df, int rows, int cols, int64_t M,
                           int64_t K, int64_t N);

/* What SCALE-Sim reports as the layer's Total Cycles (stall-free):
 * scalesim_gemm_rows - 1. */
int64_t scalesim_gemm_cycles(Dataflow df, int rows, int cols, int64_t M,
                             int64_t K, int64_t N);

/* A conv row of a SCALE-Sim topology, as SCALE-Sim reads it (separate
 * strides for height and width; no padding). */
typedef struct {
    int H, W;        /* IFMAP Height, Width */
    int Fh, Fw;      /* Filter Height, Width */
    int Ch, K;       /* Channels, Num Filter */
    int sh, sw;      /* strides */
} ScalesimConv;

/* Total Cycles of one conv row (a "DP" row's per-channel layers are each
 * one row with Ch = 1). -1 on a shape SCALE-Sim refuses (a filter larger
 * than the input, a size < 1). */
int64_t scalesim_conv_cycles(Dataflow df, int rows, int cols,
                             const ScalesimConv *c);

#endif
