/* test_fgemm.c: the products of the functional tiles (sim/engine/fgemm.h).
 * On seeded tiles of many shapes, with the largest codes (activations all
 * amax, weights all at the ends of their range, alternating) and wider
 * weights: oneDNN's fast product equals the ordered int64 loops on every
 * output and every channel block; the bound product is >= the largest
 * |partial sum| of every folding, and the layer's static bound >= the
 * bound product; the mode follows the level (direct, split, ordered).
 * The ordered loops against a hand count of the partial sums held. Then
 * the same with oneDNN capped below VNNI (a fresh process under
 * ONEDNN_MAX_CPU_ISA=AVX2 and AVX512_CORE), where a direct product of
 * full-range codes would saturate: the weights must be split, and every
 * product stays exact. */
#include "tests/qtest.h"

#include "quant/int/u8s8.h"
#include "sim/engine/fgemm.h"

typedef struct {
    int amax;       /* activations 0..amax */
    int wlo, whi;   /* weights */
    int pattern;    /* 0 seeded, 1 all extreme (amax x wlo), 2 amax x whi,
                     * 3 alternating wlo/whi along k, 4 seeded odd codes
                     * (wlo odd) */
} Codes;

static const Codes codes[] = {
    {255, -128, 127, 0}, {255, -128, 127, 1}, {255, -128, 127, 2}, {255, -128, 127, 3},
    {15, -8, 7, 0},      {15, -8, 7, 1},      {1, -1, 1, 0},       {127, -128, 127, 1},
    {255, -64, 63, 1},   {255, -193, 153, 0}, {255, -193, 153, 1}, {255, -4096, 4095, 0},
    {255, -16384, 16383, 1}, {255, -32768, 32767, 0},
    /* SAWB's half-step 8-bit weights: odd codes up to +-255 */
    {255, -255, 255, 4}, {255, -255, 255, 1}, {255, -255, 255, 2}, {255, -255, 255, 3},
    {15, -15, 15, 4},
};

static const int64_t shapes[][3] = {
    {1, 1, 1}, {1, 1, 2048}, {37, 1, 300}, {1, 29, 147}, {17, 16, 144}, {64, 64, 576},
    {100, 3, 9},
};

/* One tile: A (M, K) u8 and W (K, N) int16 from the codes. */
static void fill(uint64_t seed, const Codes *c, int64_t M, int64_t N, int64_t K,
                 uint8_t *A, int16_t *W)
{
    Rng r;
    rng_seed(&r, seed);
    for (int64_t i = 0; i < M * K; i++)
        A[i] = (uint8_t)(c->pattern ? c->amax
                                    : (int)(rng_u64(&r) % (uint64_t)(c->amax + 1)));
    for (int64_t k = 0; k < K; k++)
        for (int64_t n = 0; n < N; n++) {
            int v = c->wlo + (int)(rng_u64(&r) % (uint64_t)(c->whi - c->wlo + 1));
            if (c->pattern == 4)
                v = c->wlo + 2 * (int)(rng_u64(&r) % (uint64_t)((c->whi - c->wlo) / 2 + 1));
            else if (c->pattern == 1)
                v = c->wlo;
            else if (c->pattern == 2)
                v = c->whi;
            else if (c->pattern == 3)
                v = k % 2 ? c->whi : c->wlo;
            W[k * N + n] = (int16_t)v;
        }
}

/* Every tile of every code set and shape: returns the number of wrong
 * results (printed), and counts the fast tiles. */
static int tiles_exact(int *fast)
{
    int bad = 0;
    *fast = 0;
    uint64_t seed = 5;
    for (size_t ci = 0; ci < QA_COUNT(codes); ci++)
        for (size_t si = 0; si < QA_COUNT(shapes); si++) {
            const Codes *c = &codes[ci];
            int64_t M = shapes[si][0], N = shapes[si][1], K = shapes[si][2];
            uint8_t *A = malloc((size_t)(M * K));
            int16_t *W = malloc(sizeof *W * (size_t)(K * N));
            int32_t *A32 = malloc(sizeof *A32 * (size_t)(M * K));
            int32_t *W32 = malloc(sizeof *W32 * (size_t)(K * N));
            int64_t *O = malloc(sizeof *O * (size_t)(M * N));
            int32_t *C = malloc(sizeof *C * (size_t)(M * N));
            int32_t *T = malloc(sizeof *T * (size_t)(M * N));
            assert_true(A && W && A32 && W32 && O && C && T);
            fill(seed++, c, M, N, K, A, W);
            for (int64_t i = 0; i < M * K; i++)
                A32[i] = A[i];
            for (int64_t i = 0; i < K * N; i++)
                W32[i] = W[i];
            Err e;
            FgWeights fw;
            /* fgemm takes the codes channel by channel, (N, K) */
            int16_t *Wn = malloc(sizeof *Wn * (size_t)(K * N));
            assert_non_null(Wn);
            for (int64_t k = 0; k < K; k++)
                for (int64_t n = 0; n < N; n++)
                    Wn[n * K + k] = W[k * N + n];
            assert_int_equal(fgemm_weights(&fw, Wn, NULL, K, N, c->amax, &e), QA_OK);
            assert_int_equal(fgemm_bound_prepare(&fw, &e), QA_OK);
            /* the mode follows the level and the codes drawn */
            int lo = 0, hi = 0;
            for (int64_t i = 0; i < K * N; i++)
                lo = QA_MIN(lo, W[i]), hi = QA_MAX(hi, W[i]);
            int want_direct = u8s8_exact(c->amax, lo, hi, K);
            int all_odd = 1;
            for (int64_t i = 0; i < K * N; i++)
                all_odd &= W[i] % 2 != 0;
            /* odd codes beyond s8 take one product of h = (w - 1) / 2 */
            int hlo = lo < 0 ? -((-lo + 1) / 2) : (lo - 1) / 2; /* (w - 1) / 2 */
            int hhi = hi < 0 ? -((-hi + 1) / 2) : (hi - 1) / 2;
            int want_odd = !want_direct && all_odd && u8s8_exact(c->amax, hlo, hhi, K) &&
                           (int64_t)c->amax * QA_MAX(-lo, hi) * K <= INT32_MAX;
            if (want_direct != (fw.mode == FG_DIRECT) || want_odd != (fw.mode == FG_ODD) ||
                (u8s8_level() == U8S8_FULL && lo >= -128 && hi <= 127 && !want_direct)) {
                printf("mode %d: codes %zu shape %zu\n", (int)fw.mode, ci, si);
                bad++;
            }
            int64_t mx_fold[3];
            int64_t folds[3] = {1, 7, K};
            for (int f = 0; f < 3; f++)
                assert_int_equal(fgemm_ordered(A32, K, W32, N, M, K, N, folds[f], O,
                                               &mx_fold[f], &e), QA_OK);
            if (fw.mode != FG_ORDERED) {
                (*fast)++;
                /* the whole block, then two channel blocks */
                int64_t cuts[3] = {0, N / 2, N};
                for (int part = 0; part < 3; part++) {
                    int64_t n0 = part == 0 ? 0 : cuts[part - 1];
                    int64_t n1 = part == 0 ? N : cuts[part];
                    if (n1 == n0)
                        continue;
                    assert_int_equal(fgemm_fast(&fw, A, K, M, n0, n1, C, T, &e), QA_OK);
                    for (int64_t m = 0; m < M; m++)
                        for (int64_t n = n0; n < n1; n++)
                            if (C[m * (n1 - n0) + n - n0] != O[m * N + n]) {
                                printf("fast %lld != ordered %lld: codes %zu shape %zu "
                                       "(%lld, %lld) mode %d\n",
                                       (long long)C[m * (n1 - n0) + n - n0],
                                       (long long)O[m * N + n], ci, si, (long long)m,
                                       (long long)n, (int)fw.mode);
                                bad++;
                                m = M, n = n1;
                            }
                }
                if (fw.abs) {
                    int64_t ub;
                    assert_int_equal(fgemm_bound(&fw, A, K, M, 0, N, T, &ub, &e), QA_OK);
                    for (int f = 0; f < 3; f++)
                        if (ub < mx_fold[f]) {
                            printf("bound %lld < partial sum %lld: codes %zu shape %zu\n",
                                   (long long)ub, (long long)mx_fold[f], ci, si);
                            bad++;
                        }
                }
            }
            for (int f = 0; f < 3; f++)
                if (fgemm_static_bound(&fw) < mx_fold[f]) {
                    printf("static bound below a partial sum: codes %zu shape %zu\n", ci, si);
                    bad++;
                }
            fgemm_weights_free(&fw);
            free(Wn);
            free(A), free(W), free(A32), free(W32), free(O), free(C), free(T);
        }
    return bad;
}

static void test_fast_equals_ordered(void **s)
{
    (void)s;
    int fast;
    assert_int_equal(tiles_exact(&fast), 0);
    /* most code sets take a fast product (16-bit weights never do) */
    assert_true(fast >= (int)(QA_COUNT(shapes) * (QA_COUNT(codes) - 3)));
}

/* The ordered loops by hand: A = [1 2 3 4], W = [5 -6 7 -8]^T: prefix
 * sums 5, -7, 14, -18 (one fold: the largest |partial sum| is 18); folds
 * of 2 hold 5, -7 | 21, -11 and the fold ends -7, -18: 21. */
static void test_ordered_by_hand(void **s)
{
    (void)s;
    int32_t A[4] = {1, 2, 3, 4}, W[4] = {5, -6, 7, -8};
    int64_t O, mx;
    Err e;
    assert_int_equal(fgemm_ordered(A, 4, W, 1, 1, 4, 1, 4, &O, &mx, &e), QA_OK);
    assert_int_equal(O, -18), assert_int_equal(mx, 18);
    assert_int_equal(fgemm_ordered(A, 4, W, 1, 1, 4, 1, 2, &O, &mx, &e), QA_OK);
    assert_int_equal(O, -18), assert_int_equal(mx, 21);
    /* a partial sum larger than the final one: 3 x 100 then -3 x 100 */
    int32_t B[2] = {100, -100}, X[2] = {3, 3};
    assert_int_equal(fgemm_ordered(X, 2, B, 1, 1, 2, 1, 2, &O, &mx, &e), QA_OK);
    assert_int_equal(O, 0), assert_int_equal(mx, 300);
    assert_int_equal(fgemm_ordered(X, 2, B, 1, 1, 2, 1, 1, &O, &mx, &e), QA_OK);
    assert_int_equal(mx, 300);
}

static void test_capped(void **s)
{
    (void)s;
    assert_int_equal(qt_run_capped("AVX2", "--capped"), 0);
    assert_int_equal(qt_run_capped("AVX512_CORE", "--capped"), 0);
}

/* The child of test_capped: 0 when every check holds. */
static int capped(void)
{
    int bad = 0, fast;
    printf("capped: oneDNN ISA %s, level %s\n", u8s8_isa_name(),
           u8s8_level_name(u8s8_level()));
    /* full-range codes cannot go direct below VNNI: split, exact */
    int16_t W[4] = {-128, 127, -128, 127};
    FgWeights fw;
    Err e;
    if (fgemm_weights(&fw, W, NULL, 4, 1, 255, &e) != QA_OK)
        return 1;
    if (u8s8_level() != U8S8_NONE && fw.mode != FG_SPLIT) {
        printf("capped: full-range weights not split (mode %d)\n", (int)fw.mode);
        bad++;
    }
    fgemm_weights_free(&fw);
    bad += tiles_exact(&fast);
    return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--capped"))
        return capped();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fast_equals_ordered),
        cmocka_unit_test(test_ordered_by_hand),
        cmocka_unit_test(test_capped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
