/* test_q_pact.c: PACT (PACT eq. 1-3) and CG-PACT (SAT eq. 13) forward on
 * hand-computed values, backward against the formulas at random points. */
#include "tests/qtest.h"
#include "quant/quantizer.h"

#include <stdlib.h>
#include <string.h>

static void test_forward_hand_values(void **state)
{
    (void)state;
    Quantizer q;
    Err e;
    assert_int_equal(q_init(&q, "pact", 2, 0, &e), QA_OK);
    assert_true(q.alpha == 10.0f); /* PACT's initial alpha */
    assert_int_equal(q_set_alpha(&q, 3.0f, &e), QA_OK);
    /* 2 bits, alpha 3: step alpha/(2^2-1) = 1; round ties to even */
    float x[] = {-1.0f, 0.0f, 0.4f, 0.5f, 1.49f, 1.5f, 2.6f, 3.0f, 7.0f};
    float want[] = {0, 0, 0, 0, 1, 2, 3, 3, 3};
    float y[9];
    int32_t c[9];
    QEncoding enc;
    assert_int_equal(q_forward(&q, x, y, 9, &e), QA_OK);
    assert_int_equal(q_encode(&q, x, c, 9, &enc, &e), QA_OK);
    for (int i = 0; i < 9; i++) {
        assert_true(y[i] == want[i]);
        assert_int_equal(c[i], (int)want[i]);
    }
    assert_true(enc.scale == 1.0f);
    assert_int_equal(enc.code_max, 3);
    /* 4 bits, alpha 1.5: step 0.1; 0.74 -> code 7 -> 0.7 */
    assert_int_equal(q_init(&q, "pact", 4, 0, &e), QA_OK);
    q_set_alpha(&q, 1.5f, &e);
    float x2[] = {0.74f, 0.76f, 1.6f};
    assert_int_equal(q_forward(&q, x2, y, 3, &e), QA_OK);
    QT_CLOSE(y[0], 0.7, 1e-6);
    QT_CLOSE(y[1], 0.8, 1e-6);
    QT_CLOSE(y[2], 1.5, 1e-6);
    q_free(&q);
}

static void test_errors(void **state)
{
    (void)state;
    Quantizer q;
    Err e;
    assert_int_equal(q_init(&q, "pact", 4, 1, &e), QA_ERR);
    assert_string_equal(e.field, "signed");
    assert_int_equal(q_init(&q, "pact", 9, 0, &e), QA_ERR);
    assert_string_equal(e.field, "bits");
    assert_int_equal(q_init(&q, "pact", 0, 0, &e), QA_ERR);
    assert_int_equal(q_init(&q, "pact", 16, 0, &e), QA_OK);
    assert_int_equal(q_set_alpha(&q, 0.0f, &e), QA_ERR);
    assert_string_equal(e.field, "alpha");
    assert_int_equal(q_set_alpha(&q, -2.0f, &e), QA_ERR);
    assert_int_equal(q_set_alpha(&q, NAN, &e), QA_ERR);
    /* 65535 / 1.2e-38 is no float: the output was NaN */
    assert_int_equal(q_set_alpha(&q, 1.2e-38f, &e), QA_ERR);
    assert_string_equal(e.msg, "must be in 1e-30..3e+38, got 1.2e-38");
    assert_int_equal(q_set_alpha(&q, INFINITY, &e), QA_ERR);
    assert_int_equal(q_set_alpha(&q, 1e-30f, &e), QA_OK);
    float tiny[3] = {0.0f, 1e-31f, 5.0f}, ty[3];
    assert_int_equal(q_forward(&q, tiny, ty, 3, &e), QA_OK);
    for (int i = 0; i < 3; i++)
        assert_true(isfinite(ty[i]));
    assert_int_equal(q_init(&q, "pactt", 4, 0, &e), QA_ERR);
    assert_string_equal(e.field, "method");
    float bad[2] = {1.0f, INFINITY}, y[2];
    assert_int_equal(q_init(&q, "pact", 4, 0, &e), QA_OK);
    assert_int_equal(q_forward(&q, bad, y, 2, &e), QA_ERR);
    assert_string_equal(e.field, "input");
}

/* Backward of both methods against the formulas, many seeded points. */
static void check_backward(const char *method, int cg)
{
    enum { N = 4000 };
    float *x = malloc(N * sizeof *x), *g = malloc(N * sizeof *g),
          *gx = calloc(N, sizeof *gx);
    for (int trial = 0; trial < 20; trial++) {
        Rng r;
        rng_seed(&r, 1000 + trial);
        int bits = 1 + trial % 8;
        float alpha = 0.5f + 5.0f * (float)rng_uniform(&r);
        qt_uniform(trial, x, N, -alpha, 2.0f * alpha);
        qt_uniform(trial + 77, g, N, -1.0f, 1.0f);
        x[0] = alpha; /* the boundaries belong to the "x >= alpha" branch */
        x[1] = 0.0f;
        Quantizer q;
        Err e;
        assert_int_equal(q_init(&q, method, bits, 0, &e), QA_OK);
        q_set_alpha(&q, alpha, &e);
        float *y = malloc(N * sizeof *y);
        assert_int_equal(q_forward(&q, x, y, N, &e), QA_OK);
        memset(gx, 0, N * sizeof *gx);
        double ga = 0.5; /* accumulates onto what is there */
        q_backward(&q, x, g, gx, &ga, N);
        double want = 0.5, a = (1 << bits) - 1;
        for (int i = 0; i < N; i++) {
            double xi = x[i];
            if (xi >= (double)alpha) {
                want += (double)g[i];
                assert_true(gx[i] == 0.0f);
            } else {
                if (cg && xi > 0)
                    want += (double)g[i] * (rint(xi / (double)alpha * a) / a - xi / (double)alpha);
                assert_true(gx[i] == (xi >= 0 ? g[i] : 0.0f));
            }
            /* forward: y = round(clip(x) a / alpha) alpha / a */
            double c = xi < 0 ? 0 : (xi > (double)alpha ? (double)alpha : xi);
            QT_CLOSE(y[i], rint(c * a / (double)alpha) * (double)alpha / a, 1e-5 * (double)alpha);
        }
        QT_CLOSE(ga, want, 1e-3);
        free(y);
        q_free(&q);
    }
    free(x);
    free(g);
    free(gx);
}

static void test_pact_backward(void **state)
{
    (void)state;
    check_backward("pact", 0);
}

static void test_cgpact_backward(void **state)
{
    (void)state;
    check_backward("cgpact", 1);
}

static void test_cgpact_hand_values(void **state)
{
    (void)state;
    /* 2 bits, alpha 3 (a = 3): x = 0.4: q_k(0.1333) = 0 -> -0.1333;
     * x = 1.2: q_k(0.4) = 1/3 -> -0.0667; x = 2: q_k = 2/3 -> 0;
     * x = 3 -> 1; x = -1 -> 0. PACT's eq. 3 gives only the 1. */
    float x[] = {0.4f, 1.2f, 2.0f, 3.0f, -1.0f};
    float want[] = {-0.4f / 3, 1.0f / 3 - 0.4f, 0.0f, 1.0f, 0.0f};
    Quantizer q;
    Err e;
    q_init(&q, "cgpact", 2, 0, &e);
    q_set_alpha(&q, 3.0f, &e);
    float y[5];
    q_forward(&q, x, y, 5, &e);
    for (int i = 0; i < 5; i++) {
        float g = 1.0f;
        double ga = 0.0;
        q_backward(&q, &x[i], &g, NULL, &ga, 1);
        QT_CLOSE(ga, want[i], 1e-6);
    }
    Quantizer p;
    q_init(&p, "pact", 2, 0, &e);
    q_set_alpha(&p, 3.0f, &e);
    float g[5] = {1, 1, 1, 1, 1};
    double ga = 0.0;
    q_backward(&p, x, g, NULL, &ga, 5);
    QT_CLOSE(ga, 1.0, 0.0);
}

static void test_l2_regularizer(void **state)
{
    (void)state;
    double ga = 1.0;
    double loss = q_pact_l2(10.0f, 0.0002f, &ga);
    QT_CLOSE(loss, 0.5 * 0.0002 * 100.0, 1e-9);
    QT_CLOSE(ga, 1.0 + 0.0002 * 10.0, 1e-9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forward_hand_values),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_pact_backward),
        cmocka_unit_test(test_cgpact_backward),
        cmocka_unit_test(test_cgpact_hand_values),
        cmocka_unit_test(test_l2_regularizer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
