/* fgemm.c: exact products of the functional tiles (see fgemm.h). */
#include "sim/engine/fgemm.h"
#include "quant/int/u8s8.h"

#include <stdlib.h>
#include <string.h>

/* floor(c / 2^t) without >> of a negative number */
static int floor_pow2(int c, int t)
{
    return c >= 0 ? c >> t : -((-c - 1) >> t) - 1;
}

void fgemm_weights_free(FgWeights *w)
{
    free(w->w), free(w->hi), free(w->abs);
    memset(w, 0, sizeof *w);
}

int fgemm_weights(FgWeights *w, const int16_t *codes, const int64_t *row, int64_t K,
                  int64_t N, int amax, Err *e)
{
    memset(w, 0, sizeof *w);
    w->K = K, w->N = N, w->amax = amax, w->mode = FG_ORDERED;
    w->codes = codes, w->row = row;
    int lo = 0, hi = 0, mabs = 0;
    for (int64_t n = 0; n < N; n++) {
        const int16_t *c = codes + n * K;
        int64_t sum = 0;
        int l = 0, h = 0;
        for (int64_t k = 0; k < K; k++) {
            l = QA_MIN(l, c[k]), h = QA_MAX(h, c[k]);
            sum += c[k] < 0 ? -c[k] : c[k];
        }
        lo = QA_MIN(lo, l), hi = QA_MAX(hi, h);
        w->col_abs = QA_MAX(w->col_abs, sum);
    }
    mabs = QA_MAX(-lo, hi);
    w->mabs = mabs;
    /* the whole sum inside int32 (each half's is then too) */
    if (amax < 0 || amax > 255 || (amax > 0 && mabs > 0 && K > INT32_MAX / ((int64_t)amax * mabs)))
        return QA_OK; /* the ordered path */
    int t = u8s8_level() == U8S8_FULL ? 7 : 6;
    int hmin = floor_pow2(lo, t), hmax = floor_pow2(hi, t);
    int odd = K > 0 && N > 0;
    for (int64_t i = 0; odd && i < K * N; i++)
        odd = codes[i] % 2 != 0;
    if (lo >= -128 && hi <= 127 && u8s8_exact(amax, lo, hi, K))
        w->mode = FG_DIRECT;
    else if (odd && u8s8_exact(amax, floor_pow2(lo, 1), floor_pow2(hi, 1), K))
        w->mode = FG_ODD;
    else if (u8s8_exact(amax, hmin, hmax, K) && u8s8_exact(amax, 0, (1 << t) - 1, K))
        w->mode = FG_SPLIT, w->split = t;
    else
        return QA_OK;
    size_t n = (size_t)(K * N);
    w->w = qa_malloc(n ? n : 1);
    w->hi = w->mode == FG_SPLIT ? qa_malloc(n ? n : 1) : NULL;
    if (!w->w || (w->mode == FG_SPLIT && !w->hi)) {
        fgemm_weights_free(w);
        return err_set(e, NULL, 0, NULL, "out of memory");
    }
    /* (N, K) codes to (K, N) operands, 16 channels at a time */
    for (int64_t n0 = 0; n0 < N; n0 += 16) {
        int64_t n1 = QA_MIN(N, n0 + 16);
        for (int64_t k = 0; k < K; k++) {
            int64_t at = (row ? row[k] : k) * N;
            for (int64_t j = n0; j < n1; j++) {
                int c = codes[j * K + k];
                if (w->mode == FG_SPLIT) {
                    int h = floor_pow2(c, t);
                    w->hi[at + j] = (int8_t)h;
                    w->w[at + j] = (int8_t)(c - h * (1 << t));
                } else if (w->mode == FG_ODD) {
                    w->w[at + j] = (int8_t)floor_pow2(c, 1); /* (c - 1) / 2 */
                } else {
                    w->w[at + j] = (int8_t)c;
                }
            }
        }
    }
    return QA_OK;
}

int fgemm_bound_prepare(FgWeights *w, Err *e)
{
    if (w->abs || w->mode == FG_ORDERED)
        return QA_OK;
    int lim = u8s8_level() == U8S8_FULL ? 127 : 63;
    int shift = 0;
    while (((w->mabs + (1 << shift) - 1) >> shift) > lim)
        shift++;
    if (!u8s8_exact(w->amax, 0, (w->mabs + (1 << shift) - 1) >> shift, w->K))
        return QA_OK; /* no exact bound product: such tiles run in order */
    size_t n = (size_t)(w->K * w->N);
    if (!(w->abs = qa_malloc(n ? n : 1)))
        return err_set(e, NULL, 0, NULL, "out of memory");
    w->abs_shift = shift;
    for (int64_t j = 0; j < w->N; j++)
        for (int64_t k = 0; k < w->K; k++) {
            int c = w->codes[j * w->K + k];
            w->abs[(w->row ? w->row[k] : k) * w->N + j] =
                (int8_t)(((c < 0 ? -c : c) + (1 << shift) - 1) >> shift);
        }
    return QA_OK;
}

int64_t fgemm_static_bound(const FgWeights *w)
{
    if (w->amax > 0 && w->col_abs > INT64_MAX / w->amax)
        return INT64_MAX;
    return (int64_t)w->amax * w->col_abs;
}

int fgemm_fast(const FgWeights *w, const uint8_t *A, int64_t lda, int64_t M, int64_t n0,
               int64_t n1, int32_t *C, int32_t *tmp, Err *e)
{
    int64_t N = n1 - n0;
    if (QA_NEVER(w->mode == FG_ORDERED))
        return err_set(e, NULL, 0, "fgemm", "no fast product for these codes");
    if (u8s8_gemm(M, N, w->K, A, lda, w->w + n0, w->N, C, N, e) != QA_OK)
        return QA_ERR;
    if (w->mode == FG_DIRECT)
        return QA_OK;
    if (w->mode == FG_ODD) {
        /* 2 (A x H) + sum_k A[m][k]: the sum fits int32 (fgemm_weights),
         * 2 (A x H) alone may not */
        for (int64_t m = 0; m < M; m++) {
            int64_t rs = 0;
            const uint8_t *a = A + m * lda;
            for (int64_t k = 0; k < w->K; k++)
                rs += a[k];
            int32_t *c = C + m * N;
            for (int64_t n = 0; n < N; n++)
                c[n] = (int32_t)(2 * (int64_t)c[n] + rs);
        }
        return QA_OK;
    }
    if (u8s8_gemm(M, N, w->K, A, lda, w->hi + n0, w->N, tmp, N, e) != QA_OK)
        return QA_ERR;
    /* 2^t hi + lo: the sum fits int32 (fgemm_weights), 2^t hi alone may not */
    for (int64_t i = 0; i < M * N; i++)
        C[i] = (int32_t)((int64_t)tmp[i] * ((int64_t)1 << w->split) + C[i]);
    return QA_OK;
}

int fgemm_bound(const FgWeights *w, const uint8_t *A, int64_t lda, int64_t M, int64_t n0,
                int64_t n1, int32_t *tmp, int64_t *bound, Err *e)
{
    int64_t N = n1 - n0;
    if (QA_NEVER(!w->abs))
        return err_set(e, NULL, 0, "fgemm", "no bound product for these codes");
    if (u8s8_gemm(M, N, w->K, A, lda, w->abs + n0, w->N, tmp, N, e) != QA_OK)
        return QA_ERR;
    int32_t mx = 0; /* every entry is >= 0 */
    for (int64_t i = 0; i < M * N; i++)
        mx = tmp[i] > mx ? tmp[i] : mx;
    *bound = (int64_t)mx << w->abs_shift;
    return QA_OK;
}

/* ---- the ordered path --------------------------------------------------- */

/* T is the type of the sums: int32_t when no partial sum can leave it
 * (|every sum| <= K max|A| max|B| < 2^31, then the results are the same
 * and the inner loop vectorizes), int64_t otherwise. tmp, acc: (N). */
#define GEMM(T, NAME)                                                          \
    static int64_t NAME(const int32_t *A, int64_t lda, const int32_t *B,       \
                        int64_t ldb, int64_t M, int64_t K, int64_t N,          \
                        int64_t fold, int64_t *O, T *tmp, T *acc)              \
    {                                                                          \
        T hi = 0, lo = 0; /* max and min partial sum */                        \
        for (int64_t m = 0; m < M; m++) {                                      \
            const int32_t *a = A + m * lda;                                    \
            memset(acc, 0, sizeof *acc * N);                                   \
            for (int64_t k0 = 0; k0 < K; k0 += fold) {                         \
                int64_t k1 = QA_MIN(K, k0 + fold);                             \
                memset(tmp, 0, sizeof *tmp * N);                               \
                for (int64_t k = k0; k < k1; k++) {                            \
                    T av = (T)a[k];                                            \
                    if (av == 0)                                               \
                        continue; /* the partial sums keep their value */      \
                    const int32_t *b = B + k * ldb;                            \
                    for (int64_t n = 0; n < N; n++) {                          \
                        T v = tmp[n] + av * (T)b[n];                           \
                        tmp[n] = v;                                            \
                        hi = v > hi ? v : hi;                                  \
                        lo = v < lo ? v : lo;                                  \
                    }                                                          \
                }                                                              \
                for (int64_t n = 0; n < N; n++) {                              \
                    T v = acc[n] + tmp[n];                                     \
                    acc[n] = v;                                                \
                    hi = v > hi ? v : hi;                                      \
                    lo = v < lo ? v : lo;                                      \
                }                                                              \
            }                                                                  \
            for (int64_t n = 0; n < N; n++)                                    \
                O[m * N + n] = acc[n];                                         \
        }                                                                      \
        return (int64_t)hi > -(int64_t)lo ? (int64_t)hi : -(int64_t)lo;        \
    }
GEMM(int32_t, gemm32)
GEMM(int64_t, gemm64)

static int64_t max_abs(const int32_t *x, int64_t n, int64_t rows, int64_t ld)
{
    int64_t mx = 0;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t i = 0; i < n; i++) {
            int64_t v = x[r * ld + i];
            mx = QA_MAX(mx, v < 0 ? -v : v);
        }
    return mx;
}

int fgemm_ordered(const int32_t *A, int64_t lda, const int32_t *B, int64_t ldb,
                  int64_t M, int64_t K, int64_t N, int64_t fold, int64_t *O,
                  int64_t *mx, Err *e)
{
    int64_t am = max_abs(A, K, M, lda), bm = max_abs(B, N, K, ldb);
    int narrow = am == 0 || bm == 0 || (am * bm < INT32_MAX && K < INT32_MAX / (am * bm));
    size_t sz = narrow ? sizeof(int32_t) : sizeof(int64_t);
    void *tmp = qa_malloc(sz * (size_t)(N ? N : 1)), *acc = qa_malloc(sz * (size_t)(N ? N : 1));
    if (!tmp || !acc) {
        free(tmp), free(acc);
        return err_set(e, NULL, 0, NULL, "out of memory");
    }
    *mx = narrow ? gemm32(A, lda, B, ldb, M, K, N, fold, O, tmp, acc)
                 : gemm64(A, lda, B, ldb, M, K, N, fold, O, tmp, acc);
    free(tmp), free(acc);
    return QA_OK;
}
