/* systolic.c: closed-form cycles of a GEMM on one rows x cols systolic array.
 *
 * Each formula below is derived from the micro-architecture that pe_ref.c
 * steps cycle by cycle, and the two agree exactly on every shape (the
 * differential test in tests/test_pe_ref.c). Cycles are counted from the
 * first operand entering the array (cycle 0) to the cycle in which the last
 * result is written into a bottom-edge register, inclusive.
 *
 * Common timing facts (R = rows, C = cols; PE(r,c) is row r, column c):
 *  - an operand injected at the left edge of row r in cycle t is used by
 *    PE(r,c) in cycle t + c; one injected at the top of column c in cycle t
 *    reaches PE(r,c) in cycle t + r. Feeders skew row r by r cycles and
 *    column c by c cycles, so element i of a stream meets PE(r,c) in cycle
 *    s + i + r + c when the stream starts at s.
 *  - outputs leave at the bottom edge, so they pass through all R rows even
 *    when the tile uses fewer (a partial fold pays the full vertical skew);
 *    columns beyond the tile are never waited for (a fold b < C columns
 *    wide finishes C - b cycles earlier). SCALE-Sim instead pads every fold
 *    to the full array.
 *
 * Folds are ordered with the fold index over the tile's column dimension
 * outermost (WS: N, IS: M, OS: N) and the other one innermost (WS, IS: K,
 * OS: M), as in pe_ref.c. Call the inner fold count nI, the outer nO, the
 * inner tile size a (= R for all but the last inner fold) and the outer
 * tile size b (= C for all but the last outer fold); T is the stream length.
 *
 * Every dataflow is three per-fold costs, P(a) (preload before the stream),
 * G(a') (double buffered: least distance between the stream starts of a fold
 * and the next one, whose inner size is a') and L(b) (stream start to last
 * result, inclusive). Then, with fold f = o * nI + i:
 *
 *   single buffered:  cycles = sum_f (P(a_f) + L(b_f))
 *                            = nO * sum_i P(a_i) + nI * sum_o L(b_o)
 *   double buffered:  s_0 = P(a_0),  s_f = s_{f-1} + G(a_f)
 *                     cycles = max_f (s_f + L(b_f))
 *
 * In the double-buffered sum, L depends only on the outer index and s grows
 * with f, so the maximum is the last fold of the last outer group or the
 * last fold of the one before it (full width C); s_f itself is P(a_0) plus
 * G over the folds 1..f, of which E(f) = (f + 1) / nI - [nI == 1] are last
 * inner folds (edge size) and the rest full. So both forms are O(1).
 *
 * All arithmetic saturates at INT64_MAX instead of wrapping. */
#include "models/systolic.h"

#include <limits.h>
#include <string.h>

/* How the GEMM is cut into folds, in the generic names of the file comment. */
typedef struct {
    int64_t n_inner, n_outer;       /* fold counts nI, nO */
    int64_t inner_full, inner_edge; /* inner tile size: R, and the last one */
    int64_t outer_full, outer_edge; /* outer tile size: C, and the last one */
    int64_t stream;                 /* T: elements streamed per fold */
    int64_t rows;                   /* R */
} FoldPlan;

/* One dataflow: how it folds the GEMM, and its per-fold costs P, G, L. */
typedef struct {
    void (*plan)(int rows, int cols, int64_t M, int64_t K, int64_t N,
                 FoldPlan *p);
    int64_t (*preload_cycles)(const FoldPlan *p, int64_t inner);  /* P */
    int64_t (*issue_cycles)(const FoldPlan *p, int64_t next_inner); /* G */
    int64_t (*fold_cycles)(const FoldPlan *p, int64_t outer);     /* L */
} DataflowOps;

static int64_t sat_add(int64_t a, int64_t b)
{
    int64_t r;
    return __builtin_add_overflow(a, b, &r) ? INT64_MAX : r;
}

static int64_t sat_mul(int64_t a, int64_t b)
{
    int64_t r;
    return __builtin_mul_overflow(a, b, &r) ? INT64_MAX : r;
}

/* x >= 1 cut into pieces of `size`: count and size of the last piece.
 * Written as (x - 1) / size + 1 so that x near INT64_MAX cannot overflow. */
static void cut(int64_t x, int64_t size, int64_t *count, int64_t *edge)
{
    *count = (x - 1) / size + 1;
    *edge = x - (*count - 1) * size;
}

static void plan_cut(FoldPlan *p, int rows, int cols, int64_t inner,
                     int64_t outer, int64_t stream)
{
    cut(inner, rows, &p->n_inner, &p->inner_edge);
    cut(outer, cols, &p->n_outer, &p->outer_edge);
    p->inner_full = rows;
    p->outer_full = cols;
    p->stream = stream;
    p->rows = rows;
}

/* WS: B tiles (Kt x Nt) stationary, the M rows of A stream. */
static void ws_plan(int rows, int cols, int64_t M, int64_t K, int64_t N,
                    FoldPlan *p)
{
    plan_cut(p, rows, cols, K, N, M);
}

/* IS: A^T tiles (Kt x Mt) stationary, the N columns of B stream. */
static void is_plan(int rows, int cols, int64_t M, int64_t K, int64_t N,
                    FoldPlan *p)
{
    plan_cut(p, rows, cols, K, M, N);
}

/* OS: O tiles (Mt x Nt) stationary, the K-long reduction streams. */
static void os_plan(int rows, int cols, int64_t M, int64_t K, int64_t N,
                    FoldPlan *p)
{
    plan_cut(p, rows, cols, M, N, K);
}

/* WS and IS are the same hardware with a different operand held still.
 *
 * Preload P(a) = a: the a rows of the stationary tile enter a load chain at
 * the top of each column, one row per cycle, last row first, and move down
 * one PE per cycle; each PE captures the value meant for its row into its
 * shadow register. Started in cycle L, column c (skewed by c like the data)
 * captures all its rows at the end of cycle L + c + a - 1. The stream starts
 * the cycle after, s = L + a, and PE(r,c) swaps at s + r + c.
 *
 * Fold L(b) = T + R + b - 2: element t of the stream enters row r at
 * s + t + r, meets PE(r,c) at s + t + r + c, and its partial sum for column
 * c, started in PE(0,c) and moved down one row per cycle, is written into
 * the bottom PE(R-1,c) in cycle s + t + (R-1) + c. The last one (t = T-1,
 * c = b-1) is written in cycle s + T + R + b - 3: L = T + R + b - 2 cycles.
 * Full fold: P + L = 2R + C + T - 2, SCALE-Sim's count per fold.
 *
 * Double buffered G(a') = max(T, a'): the next tile is loaded into the
 * shadow registers while the current fold streams. A PE swaps shadow into
 * active when the first element of a fold reaches it (a wavefront: PE(r,c)
 * in cycle s + r + c). The load of the next fold may begin in the cycle the
 * current stream begins, L' = s: it writes the shadow of PE(r,c), r < a', at
 * the end of cycle s + c + a' - 1, never before the current swap there read
 * it (cycle s + r + c, r <= a' - 1). The next stream starts when the feeders
 * are free (s + T) and the load is done (L' + a' = s + a'). Without double
 * buffering the next load waits for the current fold's last result, so
 * folds add up. */
static int64_t stat_preload(const FoldPlan *p, int64_t inner)
{
    (void)p;
    return inner;
}

static int64_t stat_issue(const FoldPlan *p, int64_t next_inner)
{
    return QA_MAX(p->stream, next_inner);
}

static int64_t stat_fold(const FoldPlan *p, int64_t outer)
{
    return sat_add(p->stream, p->rows + outer - 2);
}

/* OS: no preload, P = 0. A row r and B column c enter skewed; the k-th pair
 * meets in PE(r,c) at s + k + r + c, so PE(r,c) finishes its sum at
 * s + K - 1 + r + c and holds it in its result register. The last B element
 * of column c carries on down to the bottom row (through unused rows too),
 * reaching it in cycle s + K - 1 + c + R - 1; that cycle the whole column's
 * results are copied in parallel into the column's drain chain (the bottom
 * PE's own result bypasses its result register). The chain shifts down one
 * row per cycle, so row 0's result is written into the bottom register
 * R - 1 cycles later, at s + K + c + 2R - 3. The last column is c = b-1:
 *
 *   L(b) = K + b + 2R - 3      (full fold 2R + C + K - 3)
 *
 * SCALE-Sim v2 counts K + R + C - 2 per fold (scalesim.h), R - 1 less: it
 * writes a fold's result rows from cycle K - 1 on, bottom row first, while
 * the lower rows still accumulate; here a column's results leave only
 * after its bottom PE has its last operands.
 *
 * Double buffered G = max(K, R): accumulators restart on the first element of
 * the next fold while the results drain, so the next stream may start when
 * the feeders are free (s + K), but a column's drain chain takes one
 * parallel copy every R cycles (a copy in cycle X puts row 0's result into
 * the bottom register in cycle X + R - 1, where the collector takes it; the
 * next copy may overwrite the chain in X + R), and the copies of consecutive
 * folds are as far apart as their stream starts. Without double buffering
 * the next fold starts after the last result has left. */
static int64_t os_preload(const FoldPlan *p, int64_t inner)
{
    (void)p;
    (void)inner;
    return 0;
}

static int64_t os_issue(const FoldPlan *p, int64_t next_inner)
{
    (void)next_inner;
    return QA_MAX(p->stream, p->rows);
}

static int64_t os_fold(const FoldPlan *p, int64_t outer)
{
    return sat_add(p->stream, outer + 2 * p->rows - 3);
}

static const DataflowOps dataflow_ops[DF_COUNT] = {
    [DF_WS] = { ws_plan, stat_preload, stat_issue, stat_fold },
    [DF_OS] = { os_plan, os_preload, os_issue, os_fold },
    [DF_IS] = { is_plan, stat_preload, stat_issue, stat_fold },
};

static int valid_args(Dataflow df, int rows, int cols, int64_t M, int64_t K,
                      int64_t N)
{
    return (unsigned)df < DF_COUNT && rows >= 1 && cols >= 1 && M >= 1 &&
           K >= 1 && N >= 1;
}

/* Single buffered: nO * sum_i P(a_i) + nI * sum_o L(b_o). */
static int64_t serial_cycles(const DataflowOps *ops, const FoldPlan *p)
{
    int64_t pre = sat_add(sat_mul(p->n_inner - 1,
                                  ops->preload_cycles(p, p->inner_full)),
                          ops->preload_cycles(p, p->inner_edge));
    int64_t len = sat_add(sat_mul(p->n_outer - 1,
                                  ops->fold_cycles(p, p->outer_full)),
                          ops->fold_cycles(p, p->outer_edge));
    return sat_add(sat_mul(p->n_outer, pre), sat_mul(p->n_inner, len));
}

/* Double buffered: stream start s_f of fold f (0-based). */
static int64_t stream_start(const DataflowOps *ops, const FoldPlan *p,
                            int64_t f)
{
    int64_t first = p->n_inner == 1 ? p->inner_edge : p->inner_full;
    int64_t edges = (f + 1) / p->n_inner - (p->n_inner == 1);
    int64_t s = ops->preload_cycles(p, first);
    s = sat_add(s, sat_mul(edges, ops->issue_cycles(p, p->inner_edge)));
    return sat_add(s, sat_mul(f - edges, ops->issue_cycles(p, p->inner_full)));
}

static int64_t pipelined_cycles(const DataflowOps *ops, const FoldPlan *p)
{
    int64_t folds = sat_mul(p->n_inner, p->n_outer);
    if (folds == INT64_MAX)      /* at least a cycle per fold: saturated */
        return INT64_MAX;
    int64_t end = sat_add(stream_start(ops, p, folds - 1),
                          ops->fold_cycles(p, p->outer_edge));
    if (p->n_outer >= 2) {
        int64_t f = folds - 1 - p->n_inner;   /* last fold of width C */
        end = QA_MAX(end, sat_add(stream_start(ops, p, f),
                                  ops->fold_cycles(p, p->outer_full)));
    }
    return end;
}

int64_t sys_gemm_cycles(Dataflow df, int rows, int cols, int64_t M,
                        int64_t K, int64_t N, int double_buffer)
{
    if (!valid_args(df, rows, cols, M, K, N))
        return -1;
    const DataflowOps *ops = &dataflow_ops[df];
    FoldPlan p;
    ops->plan(rows, cols, M, K, N, &p);
    return double_buffer ? pipelined_cycles(ops, &p) : serial_cycles(ops, &p);
}

int64_t sys_gemm_folds(Dataflow df, int rows, int cols, int64_t M, int64_t K,
                       int64_t N)
{
    if (!valid_args(df, rows, cols, M, K, N))
        return -1;
    FoldPlan p;
    dataflow_ops[df].plan(rows, cols, M, K, N, &p);
    return sat_mul(p.n_inner, p.n_outer);
}

/* Elements that enter a stationary load chain, summed over the inner folds
 * of one column: a value meant for row r moves r + 1 registers down the
 * chain (pe_ref.c loads last row first), so a fold of a rows costs
 * a(a + 1)/2 hops per column. */
static int64_t chain_hops(const FoldPlan *p)
{
    int64_t full = sat_mul(p->inner_full, p->inner_full + 1) / 2;
    int64_t edge = sat_mul(p->inner_edge, p->inner_edge + 1) / 2;
    return sat_add(sat_mul(p->n_inner - 1, full), edge);
}

/* OS results leave through the column's drain chain: the copy of row r's
 * result into the chain and its R - 1 - r moves to the bottom register,
 * R - r writes; a fold of a rows costs a*R - a(a - 1)/2 per column. */
static int64_t drain_hops(const FoldPlan *p)
{
    int64_t R = p->rows;
    int64_t full = sat_mul(p->inner_full, R) - sat_mul(p->inner_full, p->inner_full - 1) / 2;
    int64_t edge = sat_mul(p->inner_edge, R) - sat_mul(p->inner_edge, p->inner_edge - 1) / 2;
    return sat_add(sat_mul(p->n_inner - 1, full), edge);
}

int sys_gemm_traffic(Dataflow df, int rows, int cols, int64_t M, int64_t K,
                     int64_t N, SysTraffic *t)
{
    memset(t, 0, sizeof *t);
    if (!valid_args(df, rows, cols, M, K, N))
        return QA_ERR;
    FoldPlan p;
    dataflow_ops[df].plan(rows, cols, M, K, N, &p);
    int64_t macs = sat_mul(sat_mul(M, K), N);
    t->outputs = sat_mul(M, N);
    if (df == DF_OS) {
        /* Folds of M (rows) x N (columns); the K-long reduction streams
         * through both edges. A rows move across the fold's b columns, B
         * columns down all R rows (through unused rows too). */
        t->a_reads = sat_mul(sat_mul(M, K), p.n_outer);
        t->b_reads = sat_mul(sat_mul(N, K), p.n_inner);
        t->a_hops = macs;
        t->b_hops = sat_mul(sat_mul(sat_mul(N, K), p.n_inner), rows);
        t->psum_hops = sat_mul(drain_hops(&p), N);
        return QA_OK;
    }
    /* WS (B stationary, A streams) and IS (A stationary, B streams): folds
     * of K (rows, inner) x the stationary operand's other dimension
     * (columns, outer); the stream is T = M (WS) or N (IS) long. */
    int64_t outer = df == DF_WS ? N : M;
    int64_t stat_reads = sat_mul(K, outer);
    int64_t stat_hops = sat_mul(chain_hops(&p), outer);
    int64_t stream_reads = sat_mul(sat_mul(p.stream, K), p.n_outer);
    /* Every streamed element crosses the fold's b columns (b hops); every
     * partial sum starts in row 0 and moves down all R rows (pe_ref.c). */
    int64_t stream_hops = macs;
    t->psum_hops = sat_mul(sat_mul(sat_mul(p.stream, outer), p.n_inner), rows);
    t->psum_writes = t->psum_reads = sat_mul(sat_mul(p.n_inner - 1, p.stream),
                                             outer);
    if (df == DF_WS) {
        t->b_reads = stat_reads, t->b_hops = stat_hops;
        t->a_reads = stream_reads, t->a_hops = stream_hops;
    } else {
        t->a_reads = stat_reads, t->a_hops = stat_hops;
        t->b_reads = stream_reads, t->b_hops = stream_hops;
    }
    return QA_OK;
}
