/* scalesim.c: SCALE-Sim v2's compute cycles in closed form (scalesim.h).
 *
 * SCALE-Sim builds, fold after fold, a demand matrix with one row per
 * cycle and reports the index of the last row; its length per fold depends
 * only on the stream length T and the array (R x C), never on how much of
 * the array the fold uses, because partial folds are padded with idle
 * entries. So a layer is folds x F rows, and Total Cycles = folds * F - 1.
 * All arithmetic saturates at INT64_MAX instead of wrapping. */
#include "models/scalesim.h"

#include <limits.h>

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

/* ceil(x / d) for x >= 1, d >= 1, without overflow near INT64_MAX. */
static int64_t ceil_div(int64_t x, int64_t d)
{
    return (x - 1) / d + 1;
}

int scalesim_out_dim(int in, int filt, int stride)
{
    if (filt < 1 || in < filt || stride < 1)
        return -1;
    /* ceil((in - filt + stride) / stride) = (in - filt) / stride rounded
     * up, plus one; in - filt >= 0 here. */
    return (int)(((int64_t)in - filt + stride - 1) / stride + 1);
}

/* The three dimensions the dataflow maps on rows (Sr), on columns (Sc)
 * and in time (T), from the GEMM M x K x N (pixels, reduction, filters). */
static int map_gemm(Dataflow df, int64_t M, int64_t K, int64_t N,
                    int64_t *Sr, int64_t *Sc, int64_t *T)
{
    switch (df) {
    case DF_OS: *Sr = M, *Sc = N, *T = K; return QA_OK;
    case DF_WS: *Sr = K, *Sc = N, *T = M; return QA_OK;
    case DF_IS: *Sr = K, *Sc = M, *T = N; return QA_OK;
    default: return QA_ERR;
    }
}

int64_t scalesim_fold_cycles(Dataflow df, int rows, int cols, int64_t T)
{
    if ((unsigned)df >= DF_COUNT || rows < 1 || cols < 1 || T < 1)
        return -1;
    /* os: the stream plus the skew over both edges; ws, is: R more rows
     * for loading the stationary operand. */
    int64_t edge = (int64_t)rows + cols - 2 + (df == DF_OS ? 0 : rows);
    return sat_add(T, edge);
}

int64_t scalesim_folds(Dataflow df, int rows, int cols, int64_t M, int64_t K,
                       int64_t N)
{
    int64_t Sr, Sc, T;
    if (rows < 1 || cols < 1 || M < 1 || K < 1 || N < 1 ||
        map_gemm(df, M, K, N, &Sr, &Sc, &T) != QA_OK)
        return -1;
    return sat_mul(ceil_div(Sr, rows), ceil_div(Sc, cols));
}

int64_t scalesim_gemm_rows(Dataflow df, int rows, int cols, int64_t M,
                           int64_t K, int64_t N)
{
    int64_t Sr, Sc, T;
    int64_t folds = scalesim_folds(df, rows, cols, M, K, N);
    if (folds < 0)
        return -1;
    map_gemm(df, M, K, N, &Sr, &Sc, &T);
    return sat_mul(folds, scalesim_fold_cycles(df, rows, cols, T));
}

int64_t scalesim_gemm_cycles(Dataflow df, int rows, int cols, int64_t M,
                             int64_t K, int64_t N)
{
    int64_t d = scalesim_gemm_rows(df, rows, cols, M, K, N);
    return d < 0 || d == INT64_MAX ? d : d - 1;
}

int64_t scalesim_conv_cycles(Dataflow df, int rows, int cols,
                             const ScalesimConv *c)
{
    int eh = scalesim_out_dim(c->H, c->Fh, c->sh);
    int ew = scalesim_out_dim(c->W, c->Fw, c->sw);
    if (eh < 0 || ew < 0 || c->Ch < 1 || c->K < 1)
        return -1;
    int64_t win = (int64_t)c->Fh * c->Fw * c->Ch;
    return scalesim_gemm_cycles(df, rows, cols, (int64_t)eh * ew, win, c->K);
}
