/* test_levels.c: exact level sets of the APoT paper (eq. 2, 3, 5, 6),
 * Lloyd-Max against Max's published Gaussian quantizer, and the fast
 * projection against a brute-force nearest-level search. */
#include "tests/qtest.h"
#include "quant/levels.h"

#include <stdlib.h>

static void expect_set(const QLevels *lv, const double *want, int n, double scale)
{
    assert_int_equal(lv->n, n);
    for (int i = 0; i < n; i++)
        QT_CLOSE(lv->v[i], want[i] / scale, 1e-7);
}

static void test_apot_unsigned_sets(void **state)
{
    (void)state;
    QLevels lv;
    Err e;
    /* b = 2 (eq. 5, n = 1): p0 in {0, 1, 1/2, 1/4} */
    assert_int_equal(q_levels_apot(&lv, 2, 0, &e), QA_OK);
    expect_set(&lv, (double[]){0, 1, 2, 4}, 4, 4);
    q_levels_free(&lv);
    /* b = 3 (eq. 6): the paper's {0, .1, .2, .3, .4, .6, .8, 1} */
    assert_int_equal(q_levels_apot(&lv, 3, 0, &e), QA_OK);
    expect_set(&lv, (double[]){0, .1, .2, .3, .4, .6, .8, 1}, 8, 1);
    q_levels_free(&lv);
    /* b = 4: gamma (p0 + p1), p0 in {0, 1, 2^-2, 2^-4}, p1 in {0, 2^-1,
     * 2^-3, 2^-5}; in units of 2^-5 the 16 sums are listed here, max 48 =
     * 1.5 (gamma = 2 alpha / 3), smallest positive 1/48 of the max */
    assert_int_equal(q_levels_apot(&lv, 4, 0, &e), QA_OK);
    expect_set(&lv, (double[]){0, 1, 2, 3, 4, 6, 8, 9, 12, 16, 18, 24, 32, 33, 36, 48},
               16, 48);
    QT_CLOSE(lv.v[1], 1.0 / 48, 1e-9);
    q_levels_free(&lv);
    /* b = 5 (eq. 6, n = 2): p0 {0, 1, 2^-2, 2^-5}, p1 {0, 2^-1, 2^-3, 2^-6},
     * p~ {0, 2^-4}: in units of 2^-6 the max is 64 + 32 + 4 = 100 */
    assert_int_equal(q_levels_apot(&lv, 5, 0, &e), QA_OK);
    assert_int_equal(lv.n, 32);
    QT_CLOSE(lv.v[1], 1.0 / 100, 1e-8);
    QT_CLOSE(lv.v[31], 1.0, 0);
    QT_CLOSE(lv.v[30], 96.0 / 100, 1e-7); /* 64 + 32, p~ = 0 */
    for (int i = 0; i < 32; i++) {
        double k = (double)lv.v[i] * 100.0;
        QT_CLOSE(k, rint(k), 1e-4);
    }
    q_levels_free(&lv);
}

static void test_apot_signed_and_errors(void **state)
{
    (void)state;
    QLevels lv;
    Err e;
    /* 2-bit signed: {-1, 0, 1} (APoT sec. 3: only +-alpha and 0) */
    assert_int_equal(q_levels_apot(&lv, 2, 1, &e), QA_OK);
    expect_set(&lv, (double[]){-1, 0, 1}, 3, 1);
    q_levels_free(&lv);
    /* 4-bit signed: sign + 3-bit unsigned magnitude, 15 levels */
    assert_int_equal(q_levels_apot(&lv, 4, 1, &e), QA_OK);
    expect_set(&lv, (double[]){-1, -.8, -.6, -.4, -.3, -.2, -.1, 0, .1, .2, .3, .4, .6, .8, 1},
               15, 1);
    q_levels_free(&lv);
    assert_int_equal(q_levels_apot(&lv, 6, 0, &e), QA_ERR);
    assert_string_equal(e.field, "bits");
    assert_int_equal(q_levels_apot(&lv, 7, 1, &e), QA_ERR);
    assert_int_equal(q_levels_apot(&lv, 1, 1, &e), QA_ERR);
}

static void test_pot_and_uniform(void **state)
{
    (void)state;
    QLevels lv;
    Err e;
    /* PoT eq. 3, 3 bits signed: {0, +-2^-2, +-2^-1, +-1} */
    assert_int_equal(q_levels_pot(&lv, 3, 1, &e), QA_OK);
    expect_set(&lv, (double[]){-4, -2, -1, 0, 1, 2, 4}, 7, 4);
    q_levels_free(&lv);
    /* unsigned 3 bits: 0 and 2^0 .. 2^-6 */
    assert_int_equal(q_levels_pot(&lv, 3, 0, &e), QA_OK);
    expect_set(&lv, (double[]){0, 1, 2, 4, 8, 16, 32, 64}, 8, 64);
    q_levels_free(&lv);
    /* 5 bits signed: smallest positive 2^-14 (15 positive levels) */
    assert_int_equal(q_levels_pot(&lv, 5, 1, &e), QA_OK);
    assert_int_equal(lv.n, 31);
    QT_CLOSE(lv.v[16], ldexp(1.0, -14), 0);
    q_levels_free(&lv);
    assert_int_equal(q_levels_pot(&lv, 9, 1, &e), QA_ERR);
    /* uniform eq. 2, 3 bits signed: j/3 */
    assert_int_equal(q_levels_uniform(&lv, 3, 1, &e), QA_OK);
    expect_set(&lv, (double[]){-3, -2, -1, 0, 1, 2, 3}, 7, 3);
    q_levels_free(&lv);
    assert_int_equal(q_levels_uniform(&lv, 2, 0, &e), QA_OK);
    expect_set(&lv, (double[]){0, 1, 2, 3}, 4, 3);
    q_levels_free(&lv);
    assert_int_equal(q_levels_uniform(&lv, 16, 1, &e), QA_OK);
    assert_int_equal(lv.n, 65535);
    q_levels_free(&lv);
}

static void test_lloyd(void **state)
{
    (void)state;
    QLevels lv;
    Err e;
    /* two clusters, one bit: the two cluster means */
    float t[200];
    for (int i = 0; i < 200; i++)
        t[i] = i < 100 ? 0.1f + 0.001f * (i % 5) : 0.9f - 0.001f * (i % 5);
    assert_int_equal(q_levels_lloyd(&lv, t, 200, 1, 100, &e), QA_OK);
    assert_int_equal(lv.n, 2);
    QT_CLOSE(lv.v[0], 0.102, 1e-6);
    QT_CLOSE(lv.v[1], 0.898, 1e-6);
    q_levels_free(&lv);
    /* Max (1960), table for N(0,1), 4 levels: outputs +-0.4528, +-1.510 */
    enum { N = 400000 };
    float *g = malloc(N * sizeof *g);
    qt_normal(11, g, N, 1.0f);
    assert_int_equal(q_levels_lloyd(&lv, g, N, 2, 200, &e), QA_OK);
    assert_int_equal(lv.n, 4);
    QT_CLOSE(lv.v[2], 0.4528, 0.01);
    QT_CLOSE(lv.v[3], 1.510, 0.02);
    QT_CLOSE(lv.v[0], -1.510, 0.02);
    q_levels_free(&lv);
    free(g);
}

static int brute_nearest(const QLevels *lv, float t)
{
    int best = 0;
    for (int i = 1; i < lv->n; i++) {
        float d = fabsf(t - lv->v[i]), db = fabsf(t - lv->v[best]);
        if (d < db || (d == db && lv->v[i] > lv->v[best]))
            best = i;
    }
    return best;
}

static void check_projection(const QLevels *lv, uint64_t seed)
{
    Rng r;
    rng_seed(&r, seed);
    float lo = lv->v[0], hi = lv->v[lv->n - 1];
    for (int i = 0; i < 20000; i++) {
        float t = lo + (hi - lo) * (float)rng_uniform(&r);
        if (i % 4 == 0) /* exact levels and midpoints too */
            t = lv->v[i % lv->n];
        if (i % 4 == 1 && lv->n > 1)
            t = lv->mid[i % (lv->n - 1)];
        int k = q_levels_index(lv, t);
        int b = brute_nearest(lv, t);
        /* a t exactly on the (float) midpoint goes up by contract, even
         * when float rounding makes the lower level a hair nearer */
        if (k != b) {
            int m = k < b ? k : b;
            assert_int_equal(abs(k - b), 1);
            assert_true(t == lv->mid[m] && k == m + 1);
        }
    }
    assert_int_equal(q_levels_index(lv, hi), lv->n - 1);
    assert_int_equal(q_levels_index(lv, lo), 0);
}

static void test_projection_matches_brute_force(void **state)
{
    (void)state;
    QLevels lv;
    Err e;
    for (int s = 0; s <= 1; s++) {
        for (int b = 1 + s; b <= 5 + s; b++) {
            assert_int_equal(q_levels_apot(&lv, b, s, &e), QA_OK);
            check_projection(&lv, 100 + b);
            q_levels_free(&lv);
        }
        for (int b = 1 + s; b <= 7 + s; b++) {
            assert_int_equal(q_levels_pot(&lv, b, s, &e), QA_OK);
            check_projection(&lv, 200 + b);
            q_levels_free(&lv);
        }
        for (int b = 1 + s; b <= 8; b++) {
            assert_int_equal(q_levels_uniform(&lv, b, s, &e), QA_OK);
            check_projection(&lv, 300 + b);
            q_levels_free(&lv);
        }
    }
    float g[5000];
    qt_normal(5, g, 5000, 0.3f);
    assert_int_equal(q_levels_lloyd(&lv, g, 5000, 4, 50, &e), QA_OK);
    check_projection(&lv, 400);
    q_levels_free(&lv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_apot_unsigned_sets),
        cmocka_unit_test(test_apot_signed_and_errors),
        cmocka_unit_test(test_pot_and_uniform),
        cmocka_unit_test(test_lloyd),
        cmocka_unit_test(test_projection_matches_brute_force),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
