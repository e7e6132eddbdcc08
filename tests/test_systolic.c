/* test_systolic.c: the closed-form array timing on hand-computed cases of
 * every dataflow, and its bounds: double buffering never slower, never
 * faster than the peak MAC rate, monotonic in the GEMM sizes, saturating
 * instead of overflowing. (The exact agreement with the PE-level array on
 * random shapes is tests/test_pe_ref.c.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "models/scalesim.h"
#include "models/systolic.h"

static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static int64_t rng_range(uint64_t *s, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(rng_next(s) % (uint64_t)(hi - lo + 1));
}

/* R = rows, C = cols. Per fold (systolic.c): WS/IS preload P = Kt, fold
 * L = T + R + b - 2 (T = M for WS, N for IS; b = Nt for WS, Mt for IS),
 * double-buffered issue G = max(T, next Kt); OS P = 0, L = K + Nt + 2R - 3,
 * G = max(K, R). */

/* 4x4 array, M = K = N = 4: one full fold.
 *  WS: P + L = 4 + (4 + 4 + 4 - 2) = 14 (= 2R + C + M - 2, SCALE-Sim's).
 *      Double buffered: the only preload cannot be hidden, also 14.
 *  IS: the same with T = N = 4: 14.
 *  OS: L = 4 + 4 + 8 - 3 = 13, no preload; double buffered also 13. */
static void test_one_fold(void **state)
{
    (void)state;
    for (int db = 0; db <= 1; db++) {
        assert_int_equal(sys_gemm_cycles(DF_WS, 4, 4, 4, 4, 4, db), 14);
        assert_int_equal(sys_gemm_cycles(DF_IS, 4, 4, 4, 4, 4, db), 14);
        assert_int_equal(sys_gemm_cycles(DF_OS, 4, 4, 4, 4, 4, db), 13);
    }
    for (int df = 0; df < DF_COUNT; df++)
        assert_int_equal(sys_gemm_folds((Dataflow)df, 4, 4, 4, 4, 4), 1);
}

/* Two full folds on a 4x4 array.
 *  WS, M = 4, K = 8, N = 4: two K-folds of Kt = 4, Nt = 4.
 *    single: 2 * (4 + 4 + 4 + 4 - 2) = 2 * 14 = 28.
 *    double: s0 = 4, s1 = s0 + max(M, Kt) = 8, end = s1 + L = 8 + 10 = 18.
 *  IS, M = 4, K = 8, N = 4: the same numbers with T = N: 28 and 18.
 *  OS, M = 8, K = 4, N = 4: two M-folds of Mt = 4, Nt = 4.
 *    single: 2 * (4 + 4 + 8 - 3) = 2 * 13 = 26.
 *    double: s1 = max(K, R) = 4, end = 4 + 13 = 17. */
static void test_two_folds(void **state)
{
    (void)state;
    assert_int_equal(sys_gemm_cycles(DF_WS, 4, 4, 4, 8, 4, 0), 28);
    assert_int_equal(sys_gemm_cycles(DF_WS, 4, 4, 4, 8, 4, 1), 18);
    assert_int_equal(sys_gemm_cycles(DF_IS, 4, 4, 4, 8, 4, 0), 28);
    assert_int_equal(sys_gemm_cycles(DF_IS, 4, 4, 4, 8, 4, 1), 18);
    assert_int_equal(sys_gemm_cycles(DF_OS, 4, 4, 8, 4, 4, 0), 26);
    assert_int_equal(sys_gemm_cycles(DF_OS, 4, 4, 8, 4, 4, 1), 17);
    assert_int_equal(sys_gemm_folds(DF_WS, 4, 4, 4, 8, 4), 2);
    assert_int_equal(sys_gemm_folds(DF_IS, 4, 4, 4, 8, 4), 2);
    assert_int_equal(sys_gemm_folds(DF_OS, 4, 4, 8, 4, 4), 2);
}

/* Edge folds on a 4x4 array.
 *  WS, M = 5, K = 6, N = 6: K-folds Kt = 4, 2 (inner), N-folds Nt = 4, 2
 *  (outer); fold order (Kt, Nt) = (4,4) (2,4) (4,2) (2,2).
 *    single: (4+5+4+4-2) + (2+5+4+4-2) + (4+5+4+2-2) + (2+5+4+2-2)
 *          = 15 + 13 + 13 + 11 = 52.
 *    double: s = 4, 4 + max(5,2) = 9, 9 + max(5,4) = 14, 14 + max(5,2) = 19;
 *          ends s + 5 + 4 + Nt - 2 = 15, 20, 23, 28 -> 28.
 *  IS, M = 6, K = 6, N = 5: the same with T = N = 5 and Mt = 4, 2: 52, 28.
 *  OS, M = 6, K = 3, N = 5: M-folds Mt = 4, 2, N-folds Nt = 4, 1;
 *    L = 3 + Nt + 5 = 12 (Nt = 4) or 9 (Nt = 1).
 *    single: 12 + 12 + 9 + 9 = 42.
 *    double: G = max(3, 4) = 4, s = 0, 4, 8, 12; ends 12, 16, 17, 21 -> 21.
 *    (A partial M-fold costs as much as a full one: results drain through
 *    all R rows.) */
static void test_edge_folds(void **state)
{
    (void)state;
    assert_int_equal(sys_gemm_cycles(DF_WS, 4, 4, 5, 6, 6, 0), 52);
    assert_int_equal(sys_gemm_cycles(DF_WS, 4, 4, 5, 6, 6, 1), 28);
    assert_int_equal(sys_gemm_cycles(DF_IS, 4, 4, 6, 6, 5, 0), 52);
    assert_int_equal(sys_gemm_cycles(DF_IS, 4, 4, 6, 6, 5, 1), 28);
    assert_int_equal(sys_gemm_cycles(DF_OS, 4, 4, 6, 3, 5, 0), 42);
    assert_int_equal(sys_gemm_cycles(DF_OS, 4, 4, 6, 3, 5, 1), 21);
    assert_int_equal(sys_gemm_folds(DF_WS, 4, 4, 5, 6, 6), 4);
    assert_int_equal(sys_gemm_folds(DF_OS, 4, 4, 6, 3, 5), 4);
    assert_int_equal(sys_gemm_folds(DF_IS, 4, 4, 6, 6, 5), 4);
}

/* Double buffered, the last fold need not finish last. WS on a 2x8 array,
 * M = 1, K = 2, N = 9: N-folds Nt = 8, 1, one K-fold of Kt = 2.
 *   single: (2 + 1 + 2 + 8 - 2) + (2 + 1 + 2 + 1 - 2) = 11 + 4 = 15.
 *   double: s0 = 2, s1 = 2 + max(1, 2) = 4; ends 2 + 1 + 2 + 8 - 2 = 11 and
 *   4 + 1 + 2 + 1 - 2 = 6: the wide first fold drains last, 11. */
static void test_wide_fold_finishes_last(void **state)
{
    (void)state;
    assert_int_equal(sys_gemm_cycles(DF_WS, 2, 8, 1, 2, 9, 0), 15);
    assert_int_equal(sys_gemm_cycles(DF_WS, 2, 8, 1, 2, 9, 1), 11);
}

/* A fold cannot be shorter than the preload it hides (WS) or the drain it
 * overlaps (OS). 8x8 array, M = 2:
 *  WS, K = 16, N = 8: two K-folds of Kt = 8; s0 = 8, s1 = 8 + max(2, 8) = 16,
 *    end = 16 + 2 + 8 + 8 - 2 = 32 (single: 2 * (8 + 16) = 48).
 *  OS, M = 16, K = 2, N = 8: two M-folds; G = max(2, 8) = 8,
 *    end = 8 + (2 + 8 + 16 - 3) = 31 (single: 2 * 23 = 46). */
static void test_short_streams(void **state)
{
    (void)state;
    assert_int_equal(sys_gemm_cycles(DF_WS, 8, 8, 2, 16, 8, 1), 32);
    assert_int_equal(sys_gemm_cycles(DF_WS, 8, 8, 2, 16, 8, 0), 48);
    assert_int_equal(sys_gemm_cycles(DF_OS, 8, 8, 16, 2, 8, 1), 31);
    assert_int_equal(sys_gemm_cycles(DF_OS, 8, 8, 16, 2, 8, 0), 46);
}

/* 1x1 array, M = K = N = 2, WS: four folds (K-folds inside N-folds), each
 * P + L = 1 + (2 + 1 + 1 - 2) = 3: single 12. Double: s = 1, 3, 5, 7 (G =
 * max(2, 1) = 2), end = 7 + 2 = 9 = 1 + 4 * 2: the array is busy every cycle
 * after the first preload. */
static void test_one_pe(void **state)
{
    (void)state;
    assert_int_equal(sys_gemm_cycles(DF_WS, 1, 1, 2, 2, 2, 0), 12);
    assert_int_equal(sys_gemm_cycles(DF_WS, 1, 1, 2, 2, 2, 1), 9);
    assert_int_equal(sys_gemm_folds(DF_WS, 1, 1, 2, 2, 2), 4);
}

/* Seeded shapes from tiny to ResNet-50-sized on arrays up to 512 x 4096. */
typedef struct {
    int rows, cols;
    int64_t M, K, N;
} Shape;

static Shape random_shape(uint64_t *rng)
{
    Shape s;
    int big = rng_next(rng) & 1;
    s.rows = (int)rng_range(rng, 1, big ? 512 : 16);
    s.cols = (int)rng_range(rng, 1, big ? 4096 : 16);
    s.M = rng_range(rng, 1, big ? 200000 : 64);
    s.K = rng_range(rng, 1, big ? 5000 : 64);
    s.N = rng_range(rng, 1, big ? 2048 : 64);
    return s;
}

static void test_double_buffer_never_slower(void **state)
{
    (void)state;
    uint64_t rng = 0x5851f42d4c957f2dull;
    for (int i = 0; i < 20000; i++) {
        Shape s = random_shape(&rng);
        for (int df = 0; df < DF_COUNT; df++) {
            int64_t one = sys_gemm_cycles((Dataflow)df, s.rows, s.cols, s.M,
                                          s.K, s.N, 0);
            int64_t two = sys_gemm_cycles((Dataflow)df, s.rows, s.cols, s.M,
                                          s.K, s.N, 1);
            assert_true(two > 0);
            assert_true(two <= one);
        }
    }
}

/* cycles >= ceil(M K N / (rows cols)): at most rows * cols MACs a cycle. */
static void test_peak_bound(void **state)
{
    (void)state;
    uint64_t rng = 0x14057b7ef767814full;
    for (int i = 0; i < 20000; i++) {
        Shape s = random_shape(&rng);
        int64_t macs = s.M * s.K * s.N;
        int64_t pes = (int64_t)s.rows * s.cols;
        int64_t bound = (macs + pes - 1) / pes;
        for (int df = 0; df < DF_COUNT; df++)
            for (int db = 0; db <= 1; db++)
                assert_true(sys_gemm_cycles((Dataflow)df, s.rows, s.cols,
                                            s.M, s.K, s.N, db) >= bound);
    }
    /* A perfectly fitting WS stream approaches the bound: 16x16 array,
     * K = N = 16, M = 100000 rows: 16 + 100000 + 16 + 16 - 2 cycles for
     * 100000 * 256 MACs on 256 PEs (bound 100000). */
    assert_int_equal(sys_gemm_cycles(DF_WS, 16, 16, 100000, 16, 16, 1),
                     100046);
}

/* More work never takes fewer cycles: sweep M (and K, N) one at a time. */
static void test_monotonic(void **state)
{
    (void)state;
    uint64_t rng = 0xda942042e4dd58b5ull;
    for (int i = 0; i < 300; i++) {
        Shape s = random_shape(&rng);
        for (int df = 0; df < DF_COUNT; df++)
            for (int db = 0; db <= 1; db++) {
                Dataflow d = (Dataflow)df;
                int64_t prev_m = 0, prev_k = 0, prev_n = 0;
                for (int64_t x = 1; x <= 150; x++) {
                    int64_t cm = sys_gemm_cycles(d, s.rows, s.cols, x, s.K,
                                                 s.N, db);
                    int64_t ck = sys_gemm_cycles(d, s.rows, s.cols, s.M, x,
                                                 s.N, db);
                    int64_t cn = sys_gemm_cycles(d, s.rows, s.cols, s.M, s.K,
                                                 x, db);
                    assert_true(cm >= prev_m);
                    assert_true(ck >= prev_k);
                    assert_true(cn >= prev_n);
                    prev_m = cm, prev_k = ck, prev_n = cn;
                }
            }
    }
}

/* Single buffered full folds beside SCALE-Sim v2's per-fold counts
 * (models/scalesim.h; scalesim/compute/systolic_compute_{ws,is,os}.py of
 * commit 22f88b1). WS and IS: 2R + C + T - 2 in both (T = M resp. N).
 * OS: 2R + C + K - 3 here, K + R + C - 2 in SCALE-Sim, R - 1 cycles less:
 * SCALE-Sim writes a fold's R result rows from cycle K - 1 on, bottom row
 * first (systolic_compute_os.py:316-317, 341-354, 370), although a PE of
 * row r gets its last operands only in cycle K - 1 + r + c; here a column
 * shifts its results out once its bottom PE is done (systolic.c). 32x32
 * array, 3 x 2 full folds, T = 100; and ResNet-50's CB2a_1 at os (M = 3136,
 * K = N = 64: 98 x 2 folds), which SCALE-Sim v2 reports as 196 x 126 - 1
 * = 24,695 cycles (tests/golden/scalesim_v2.csv). */
static void test_scalesim_full_folds(void **state)
{
    (void)state;
    const int64_t per_fold = 2 * 32 + 32 + 100 - 2;
    assert_int_equal(sys_gemm_cycles(DF_WS, 32, 32, 100, 96, 64, 0),
                     6 * per_fold);
    assert_int_equal(scalesim_fold_cycles(DF_WS, 32, 32, 100), per_fold);
    assert_int_equal(sys_gemm_cycles(DF_IS, 32, 32, 64, 96, 100, 0),
                     6 * per_fold);
    assert_int_equal(scalesim_fold_cycles(DF_IS, 32, 32, 100), per_fold);
    assert_int_equal(sys_gemm_cycles(DF_OS, 32, 32, 96, 100, 64, 0),
                     6 * (2 * 32 + 32 + 100 - 3));
    assert_int_equal(scalesim_fold_cycles(DF_OS, 32, 32, 100),
                     100 + 32 + 32 - 2);
    assert_int_equal(sys_gemm_cycles(DF_OS, 32, 32, 3136, 64, 64, 0),
                     196 * (2 * 32 + 32 + 64 - 3));
    assert_int_equal(scalesim_gemm_cycles(DF_OS, 32, 32, 3136, 64, 64),
                     24695);
    assert_int_equal(scalesim_gemm_cycles(DF_OS, 32, 32, 3136, 64, 64),
                     196 * (64 + 32 + 32 - 2) - 1);
}

static void test_bad_and_huge(void **state)
{
    (void)state;
    assert_int_equal(sys_gemm_cycles(DF_WS, 0, 4, 1, 1, 1, 0), -1);
    assert_int_equal(sys_gemm_cycles(DF_WS, 4, 0, 1, 1, 1, 0), -1);
    assert_int_equal(sys_gemm_cycles(DF_OS, 4, 4, 0, 1, 1, 1), -1);
    assert_int_equal(sys_gemm_cycles(DF_IS, 4, 4, 1, -1, 1, 1), -1);
    assert_int_equal(sys_gemm_cycles(DF_IS, 4, 4, 1, 1, 0, 1), -1);
    assert_int_equal(sys_gemm_cycles(DF_COUNT, 4, 4, 1, 1, 1, 0), -1);
    assert_int_equal(sys_gemm_folds(DF_COUNT, 4, 4, 1, 1, 1), -1);
    assert_int_equal(sys_gemm_folds(DF_WS, 4, 4, 1, 0, 1), -1);
    /* Sizes whose cycle count does not fit int64 saturate, never wrap. */
    const int64_t big = INT64_MAX / 2;
    for (int df = 0; df < DF_COUNT; df++)
        for (int db = 0; db <= 1; db++) {
            assert_int_equal(sys_gemm_cycles((Dataflow)df, 1, 1, big, big,
                                             big, db), INT64_MAX);
            assert_int_equal(sys_gemm_cycles((Dataflow)df, 1, 1, INT64_MAX,
                                             INT64_MAX, INT64_MAX, db),
                             INT64_MAX);
        }
    assert_int_equal(sys_gemm_folds(DF_WS, 1, 1, 1, big, big), INT64_MAX);
    /* Large but representable: one WS fold streaming 2^40 rows, 2^40 + 510 +
     * 4096 - 2 + 512 cycles. */
    const int64_t m = (int64_t)1 << 40;
    assert_int_equal(sys_gemm_cycles(DF_WS, 512, 4096, m, 512, 4096, 0),
                     512 + m + 512 + 4096 - 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_fold),
        cmocka_unit_test(test_two_folds),
        cmocka_unit_test(test_edge_folds),
        cmocka_unit_test(test_wide_fold_finishes_last),
        cmocka_unit_test(test_short_streams),
        cmocka_unit_test(test_one_pe),
        cmocka_unit_test(test_double_buffer_never_slower),
        cmocka_unit_test(test_peak_bound),
        cmocka_unit_test(test_monotonic),
        cmocka_unit_test(test_scalesim_full_folds),
        cmocka_unit_test(test_bad_and_huge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
