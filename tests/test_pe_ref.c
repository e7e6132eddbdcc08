/* test_pe_ref.c: the PE-level reference array against a plain integer GEMM
 * (results), and against the closed form of systolic.c (cycles and folds),
 * on seeded random shapes of every dataflow, single and double buffered;
 * the max |partial sum| on hand cases; argument errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "models/pe_ref.h"
#include "models/systolic.h"

/* Explicit-state xorshift64: the shapes are the same on every run. */
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

typedef struct {
    int rows, cols;
    int64_t M, K, N;
} Shape;

/* Shapes that hit the corners: 1-sized everything, exact multiples, one
 * past a multiple (edge folds of size 1), one short of a multiple, and
 * tiles much smaller than the array. */
static const Shape corner_shapes[] = {
    { 1, 1, 1, 1, 1 },   { 1, 1, 3, 4, 5 },   { 4, 4, 1, 1, 1 },
    { 4, 4, 4, 4, 4 },   { 4, 4, 8, 8, 8 },   { 4, 4, 5, 5, 5 },
    { 4, 4, 3, 3, 3 },   { 16, 16, 1, 40, 1 }, { 16, 1, 40, 17, 2 },
    { 1, 16, 2, 33, 40 }, { 3, 5, 7, 11, 13 }, { 16, 16, 40, 40, 40 },
    { 2, 8, 1, 2, 9 },   { 8, 2, 9, 2, 1 },   { 5, 3, 1, 6, 4 },
    { 7, 7, 6, 8, 15 },  { 16, 16, 16, 17, 33 }, { 2, 2, 40, 1, 40 },
    { 9, 4, 2, 10, 1 },  { 1, 9, 40, 40, 1 },
};

#define N_RANDOM 400

static Shape shape_at(int i, uint64_t *rng)
{
    if (i < (int)(sizeof corner_shapes / sizeof corner_shapes[0]))
        return corner_shapes[i];
    Shape s;
    s.rows = (int)rng_range(rng, 1, 16);
    s.cols = (int)rng_range(rng, 1, 16);
    s.M = rng_range(rng, 1, 40);
    s.K = rng_range(rng, 1, 40);
    s.N = rng_range(rng, 1, 40);
    /* A third of the random shapes are pushed onto fold boundaries. */
    if (i % 3 == 0) {
        s.K = QA_MIN(40, s.rows * rng_range(rng, 1, 3) + rng_range(rng, 0, 1));
        s.N = QA_MIN(40, s.cols * rng_range(rng, 1, 3) + rng_range(rng, 0, 1));
    }
    return s;
}

static void ref_gemm(int64_t M, int64_t K, int64_t N, const int32_t *A,
                     const int32_t *B, int64_t *O)
{
    for (int64_t m = 0; m < M; m++)
        for (int64_t n = 0; n < N; n++) {
            int64_t s = 0;
            for (int64_t k = 0; k < K; k++)
                s += (int64_t)A[m * K + k] * B[k * N + n];
            O[m * N + n] = s;
        }
}

static const char *df_name[] = { "ws", "os", "is" };

static void differential(Dataflow df, int db, uint64_t seed)
{
    uint64_t rng = seed;
    int n = (int)(sizeof corner_shapes / sizeof corner_shapes[0]) + N_RANDOM;
    for (int i = 0; i < n; i++) {
        Shape s = shape_at(i, &rng);
        int32_t *A = malloc(sizeof *A * (size_t)(s.M * s.K));
        int32_t *B = malloc(sizeof *B * (size_t)(s.K * s.N));
        int64_t *O = malloc(sizeof *O * (size_t)(s.M * s.N));
        int64_t *R = malloc(sizeof *R * (size_t)(s.M * s.N));
        assert_non_null(A);
        assert_non_null(B);
        assert_non_null(O);
        assert_non_null(R);
        /* 4-bit signed activations with 8-bit unsigned weights, and the
         * other way round, on alternate shapes. */
        int swap = i & 1;
        for (int64_t j = 0; j < s.M * s.K; j++)
            A[j] = (int32_t)(swap ? rng_range(&rng, 0, 255)
                                  : rng_range(&rng, -8, 7));
        for (int64_t j = 0; j < s.K * s.N; j++)
            B[j] = (int32_t)(swap ? rng_range(&rng, -8, 7)
                                  : rng_range(&rng, 0, 255));
        ref_gemm(s.M, s.K, s.N, A, B, R);

        PeRefStats st;
        Err e;
        err_clear(&e);
        int rc = pe_ref_gemm(df, s.rows, s.cols, s.M, s.K, s.N, A, B, O, db,
                             &st, &e);
        if (rc != QA_OK)
            fail_msg("%s db=%d shape %d (%dx%d, M=%lld K=%lld N=%lld): %s",
                     df_name[df], db, i, s.rows, s.cols, (long long)s.M,
                     (long long)s.K, (long long)s.N, e.msg);
        int64_t cyc = sys_gemm_cycles(df, s.rows, s.cols, s.M, s.K, s.N, db);
        if (cyc != st.cycles)
            fail_msg("%s db=%d shape %d (%dx%d, M=%lld K=%lld N=%lld): "
                     "closed form %lld, PE-level %lld cycles",
                     df_name[df], db, i, s.rows, s.cols, (long long)s.M,
                     (long long)s.K, (long long)s.N, (long long)cyc,
                     (long long)st.cycles);
        assert_int_equal(st.folds,
                         sys_gemm_folds(df, s.rows, s.cols, s.M, s.K, s.N));
        assert_int_equal(st.macs, s.M * s.K * s.N);
        for (int64_t j = 0; j < s.M * s.N; j++)
            if (O[j] != R[j])
                fail_msg("%s db=%d shape %d (%dx%d, M=%lld K=%lld N=%lld): "
                         "O[%lld][%lld] = %lld, expected %lld", df_name[df],
                         db, i, s.rows, s.cols, (long long)s.M,
                         (long long)s.K, (long long)s.N,
                         (long long)(j / s.N), (long long)(j % s.N),
                         (long long)O[j], (long long)R[j]);
        free(A);
        free(B);
        free(O);
        free(R);
    }
}

/* A few bigger arrays and layers (the size `qarray validate` runs), every
 * dataflow and buffering, against the closed form and the plain GEMM. */
static void test_bigger_shapes(void **state)
{
    (void)state;
    static const Shape shapes[] = {
        { 32, 32, 49, 72, 64 }, { 32, 32, 100, 33, 65 }, { 64, 8, 31, 130, 17 },
        { 8, 64, 70, 9, 130 }, { 32, 32, 196, 27, 16 },
    };
    uint64_t rng = 0x6a09e667f3bcc909ull;
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        Shape s = shapes[i];
        int32_t *A = malloc(sizeof *A * (size_t)(s.M * s.K));
        int32_t *B = malloc(sizeof *B * (size_t)(s.K * s.N));
        int64_t *O = malloc(sizeof *O * (size_t)(s.M * s.N));
        int64_t *R = malloc(sizeof *R * (size_t)(s.M * s.N));
        assert_true(A && B && O && R);
        for (int64_t j = 0; j < s.M * s.K; j++)
            A[j] = (int32_t)rng_range(&rng, -128, 127);
        for (int64_t j = 0; j < s.K * s.N; j++)
            B[j] = (int32_t)rng_range(&rng, -128, 127);
        ref_gemm(s.M, s.K, s.N, A, B, R);
        for (int df = 0; df < DF_COUNT; df++)
            for (int db = 0; db <= 1; db++) {
                PeRefStats st;
                Err e;
                assert_int_equal(pe_ref_gemm((Dataflow)df, s.rows, s.cols, s.M,
                                             s.K, s.N, A, B, O, db, &st, &e),
                                 QA_OK);
                assert_int_equal(st.cycles,
                                 sys_gemm_cycles((Dataflow)df, s.rows, s.cols,
                                                 s.M, s.K, s.N, db));
                assert_memory_equal(O, R, sizeof *O * (size_t)(s.M * s.N));
            }
        free(A);
        free(B);
        free(O);
        free(R);
    }
}

static void test_ws_single(void **state)
{
    (void)state;
    differential(DF_WS, 0, 0x9e3779b97f4a7c15ull);
}

static void test_ws_double(void **state)
{
    (void)state;
    differential(DF_WS, 1, 0x2545f4914f6cdd1dull);
}

static void test_os_single(void **state)
{
    (void)state;
    differential(DF_OS, 0, 0xd1b54a32d192ed03ull);
}

static void test_os_double(void **state)
{
    (void)state;
    differential(DF_OS, 1, 0x8cb92ba72f3d8dd7ull);
}

static void test_is_single(void **state)
{
    (void)state;
    differential(DF_IS, 0, 0xabc98388fb8fac03ull);
}

static void test_is_double(void **state)
{
    (void)state;
    differential(DF_IS, 1, 0x4f1bbcdcbfa53e0bull);
}

/* Every shape of a small grid: rows, cols 1..4 and M, K, N 1..5, each
 * dataflow and buffering (12000 runs), so no corner is left to chance. */
static void test_small_grid(void **state)
{
    (void)state;
    int32_t A[25], B[25];
    int64_t O[25], R[25];
    uint64_t rng = 0xbb67ae8584caa73bull;
    for (int rows = 1; rows <= 4; rows++)
        for (int cols = 1; cols <= 4; cols++)
            for (int64_t M = 1; M <= 5; M++)
                for (int64_t K = 1; K <= 5; K++)
                    for (int64_t N = 1; N <= 5; N++) {
                        for (int j = 0; j < 25; j++) {
                            A[j] = (int32_t)rng_range(&rng, -8, 7);
                            B[j] = (int32_t)rng_range(&rng, -8, 7);
                        }
                        ref_gemm(M, K, N, A, B, R);
                        for (int df = 0; df < DF_COUNT; df++)
                            for (int db = 0; db <= 1; db++) {
                                PeRefStats st;
                                Err e;
                                int rc = pe_ref_gemm((Dataflow)df, rows, cols,
                                                     M, K, N, A, B, O, db,
                                                     &st, &e);
                                int64_t cyc = sys_gemm_cycles(
                                    (Dataflow)df, rows, cols, M, K, N, db);
                                if (rc != QA_OK || st.cycles != cyc ||
                                    memcmp(O, R, sizeof *O * (size_t)(M * N)))
                                    fail_msg("%s db=%d %dx%d M=%lld K=%lld "
                                             "N=%lld: rc %d, cycles %lld vs "
                                             "closed form %lld",
                                             df_name[df], db, rows, cols,
                                             (long long)M, (long long)K,
                                             (long long)N, rc,
                                             (long long)st.cycles,
                                             (long long)cyc);
                            }
                    }
}

/* Every allocation of the reference fails in turn: each failure is a clean
 * QA_ERR with a message and no leak (the ASan build checks), until the run
 * succeeds. */
static void test_out_of_memory(void **state)
{
    (void)state;
    int32_t A[12], B[12];
    int64_t O[9];
    for (int j = 0; j < 12; j++)
        A[j] = j - 6, B[j] = 2 * j - 11;
    for (int df = 0; df < DF_COUNT; df++) {
        long n = 1;
        for (;; n++) {
            PeRefStats st;
            Err e;
            err_clear(&e);
            qa_alloc_fail_at(n);
            int rc = pe_ref_gemm((Dataflow)df, 2, 2, 3, 4, 3, A, B, O, 1, &st,
                                 &e);
            qa_alloc_fail_at(0);
            if (rc == QA_OK)
                break;
            assert_int_equal(rc, QA_ERR);
            assert_non_null(strstr(e.msg, "out of memory"));
        }
        assert_true(n > 1);
        assert_int_equal(O[0], (0 - 6) * (0 - 11) + (1 - 6) * (6 - 11) +
                                   (2 - 6) * (12 - 11) + (3 - 6) * (18 - 11));
    }
}

/* One output, K = 3: A = (100, 100, -150), B = (1, 1, 1)^T. The running sums
 * are 100, 200, 50, so the max |partial sum| is 200 although the result is
 * 50. With rows = 4 (and OS) the sums stay inside a PE column or
 * accumulator; with rows = 1, WS and IS cut K into three folds and the
 * partial sums 100, 200 live in the accumulator buffer. Negated inputs give
 * -100, -200, -50: the maximum is of the magnitude. */
static void test_max_abs_psum(void **state)
{
    (void)state;
    static const int32_t A[3] = { 100, 100, -150 };
    static const int32_t An[3] = { -100, -100, 150 };
    static const int32_t B[3] = { 1, 1, 1 };
    for (int df = 0; df < DF_COUNT; df++)
        for (int rows = 1; rows <= 4; rows += 3)
            for (int db = 0; db <= 1; db++) {
                PeRefStats st;
                int64_t O = 0;
                Err e;
                assert_int_equal(pe_ref_gemm((Dataflow)df, rows, 2, 1, 3, 1, A,
                                             B, &O, db, &st, &e),
                                 QA_OK);
                assert_int_equal(O, 50);
                assert_int_equal(st.max_abs_psum, 200);
                assert_int_equal(pe_ref_gemm((Dataflow)df, rows, 2, 1, 3, 1,
                                             An, B, &O, db, &st, &e),
                                 QA_OK);
                assert_int_equal(O, -50);
                assert_int_equal(st.max_abs_psum, 200);
            }
}

/* WS on a 2x2 array with products of 8-bit extremes, M = 2, K = 4, N = 1:
 * A rows (-128 x4) and (127, -128, 127, -128), B = 127 x4. Row 0's sums run
 * -16256, -32512 in the first K-fold (PE rows 0, 1), then the accumulator
 * buffer holds -32512 + (-32512) = -65024. Row 1 stays within 16129. */
static void test_max_abs_psum_folds(void **state)
{
    (void)state;
    static const int32_t A[8] = { -128, -128, -128, -128,
                                  127, -128, 127, -128 };
    static const int32_t B[4] = { 127, 127, 127, 127 };
    int64_t O[2];
    PeRefStats st;
    Err e;
    assert_int_equal(pe_ref_gemm(DF_WS, 2, 2, 2, 4, 1, A, B, O, 0, &st, &e),
                     QA_OK);
    assert_int_equal(O[0], -65024);
    assert_int_equal(O[1], -254);
    assert_int_equal(st.max_abs_psum, 65024);
    assert_int_equal(st.folds, 2);
}

static void expect_error(int rc, const Err *e, const char *field)
{
    assert_int_equal(rc, QA_ERR);
    assert_string_equal(e->field, field);
    assert_true(e->msg[0] != '\0');
}

static void test_bad_arguments(void **state)
{
    (void)state;
    int32_t a = 1, b = 1;
    int64_t o = 0;
    PeRefStats st;
    Err e;
    expect_error(pe_ref_gemm(DF_WS, 0, 4, 1, 1, 1, &a, &b, &o, 0, &st, &e),
                 &e, "rows");
    expect_error(pe_ref_gemm(DF_OS, 4, -1, 1, 1, 1, &a, &b, &o, 0, &st, &e),
                 &e, "cols");
    expect_error(pe_ref_gemm(DF_IS, 4, 4, 0, 1, 1, &a, &b, &o, 0, &st, &e),
                 &e, "M");
    expect_error(pe_ref_gemm(DF_IS, 4, 4, 1, -3, 1, &a, &b, &o, 0, &st, &e),
                 &e, "K");
    expect_error(pe_ref_gemm(DF_WS, 4, 4, 1, 1, 0, &a, &b, &o, 0, &st, &e),
                 &e, "N");
    expect_error(pe_ref_gemm(DF_COUNT, 4, 4, 1, 1, 1, &a, &b, &o, 0, &st, &e),
                 &e, "dataflow");
    expect_error(pe_ref_gemm(DF_WS, 4, 4, 1, 1, 1, NULL, &b, &o, 0, &st, &e),
                 &e, "pe_ref");
    expect_error(pe_ref_gemm(DF_WS, 4096, 4096, 1, 1, 1, &a, &b, &o, 0, &st,
                             &e), &e, "rows");
    /* Rejected before any matrix is touched: M*N int64 outputs overflow. */
    expect_error(pe_ref_gemm(DF_WS, 4, 4, INT32_MAX, 1, INT32_MAX, &a, &b, &o,
                             0, &st, &e), &e, "pe_ref");
    int32_t big[2] = { INT32_MIN, INT32_MIN };
    int32_t bigb[4] = { INT32_MIN, INT32_MIN, INT32_MIN, INT32_MIN };
    int64_t o2[2];
    expect_error(pe_ref_gemm(DF_WS, 4, 4, 1, 2, 2, big, bigb, o2, 0, &st, &e),
                 &e, "pe_ref");
    /* One product of extremes still fits: 2^62. */
    assert_int_equal(pe_ref_gemm(DF_OS, 1, 1, 1, 1, 1, big, bigb, o2, 0, &st,
                                 &e), QA_OK);
    assert_int_equal(o2[0], (int64_t)1 << 62);
}

/* Accumulator overflow is reported, never wrapped: 8-bit codes over a
 * K = 2^17 reduction reach 127 * 127 * 2^17 = 2114060288 < 2^31 - 1, which
 * a 32-bit accumulator holds and a 31-bit one does not; the reference's
 * int64 result stays exact either way. */
static void test_acc_overflow_reported(void **state)
{
    (void)state;
    const int64_t K = (int64_t)1 << 17;
    int32_t *A = malloc((size_t)K * sizeof *A);
    int32_t *B = malloc((size_t)K * sizeof *B);
    assert_non_null(A);
    assert_non_null(B);
    for (int64_t k = 0; k < K; k++)
        A[k] = B[k] = 127;
    int64_t O;
    PeRefStats st;
    Err e;
    assert_int_equal(pe_ref_gemm(DF_OS, 1, 1, 1, K, 1, A, B, &O, 0, &st, &e),
                     QA_OK);
    assert_true(O == (int64_t)127 * 127 * K);
    assert_true(st.max_abs_psum == O);
    assert_int_equal(pe_ref_check_acc(&st, 32, &e), QA_OK);
    assert_int_equal(pe_ref_check_acc(&st, 31, &e), QA_ERR);
    assert_string_equal(e.field, "acc_bits");
    assert_string_equal(e.msg, "accumulator overflow: a partial sum of "
                               "magnitude 2114060288 needs 32 bits, the PE "
                               "accumulator has 31");
    st.max_abs_psum = INT64_MAX;
    assert_int_equal(pe_ref_check_acc(&st, 64, &e), QA_OK);
    assert_int_equal(pe_ref_check_acc(&st, 63, &e), QA_ERR);
    assert_int_equal(pe_ref_check_acc(&st, 1, &e), QA_ERR);
    free(A);
    free(B);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ws_single),
        cmocka_unit_test(test_ws_double),
        cmocka_unit_test(test_os_single),
        cmocka_unit_test(test_os_double),
        cmocka_unit_test(test_is_single),
        cmocka_unit_test(test_is_double),
        cmocka_unit_test(test_small_grid),
        cmocka_unit_test(test_bigger_shapes),
        cmocka_unit_test(test_out_of_memory),
        cmocka_unit_test(test_max_abs_psum),
        cmocka_unit_test(test_max_abs_psum_folds),
        cmocka_unit_test(test_acc_overflow_reported),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
