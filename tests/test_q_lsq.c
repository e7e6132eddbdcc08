/* test_q_lsq.c: LSQ (Esser et al. 2020): forward and step-size gradient on
 * hand values and against the formula at random points; the init rule. */
#include "tests/qtest.h"
#include "quant/quantizer.h"

#include <stdlib.h>
#include <string.h>

static void test_hand_values(void **state)
{
    (void)state;
    /* signed 3 bits: Q_N = 4, Q_P = 3; s = 0.5.
     * x/s = {1.2, -6, 4, 0.5} -> clip {1.2, -4, 3, 0.5} -> round {1, -4, 3, 0} */
    float x[] = {0.6f, -3.0f, 2.0f, 0.25f}, y[4], g[4] = {1, 1, 1, 1}, gx[4] = {0};
    float want[] = {0.5f, -2.0f, 1.5f, 0.0f};
    Quantizer q;
    Err e;
    assert_int_equal(q_init(&q, "lsq", 3, 1, &e), QA_OK);
    assert_int_equal(q_set_alpha(&q, 0.5f, &e), QA_OK);
    assert_int_equal(q_forward(&q, x, y, 4, &e), QA_OK);
    for (int i = 0; i < 4; i++)
        QT_CLOSE(y[i], want[i], 0);
    /* ds = (-0.2 - 4 + 3 - 0.5) / sqrt(4 * 3) */
    double gs = 0;
    q_backward(&q, x, g, gx, &gs, 4);
    QT_CLOSE(gs, -1.7 / sqrt(12.0), 1e-6);
    float wgx[] = {1, 0, 0, 1};
    for (int i = 0; i < 4; i++)
        QT_CLOSE(gx[i], wgx[i], 0);
    int32_t c[4];
    QEncoding enc;
    assert_int_equal(q_encode(&q, x, c, 4, &enc, &e), QA_OK);
    assert_int_equal(c[1], -4);
    assert_int_equal(enc.code_min, -4);
    assert_int_equal(enc.code_max, 3);
    q_free(&q);
    /* init: s = 2 mean|x| / sqrt(Q_P); unsigned 2 bits Q_P = 3 */
    assert_int_equal(q_init(&q, "lsq", 2, 0, &e), QA_OK);
    float z[] = {1, 2, 3, 6};
    assert_int_equal(q_forward(&q, z, y, 4, &e), QA_OK);
    QT_CLOSE(q.alpha, 2 * 3.0 / sqrt(3.0), 1e-6);
    q_free(&q);
}

static void test_gradient_random(void **state)
{
    (void)state;
    enum { N = 5000 };
    float *x = malloc(N * sizeof *x), *g = malloc(N * sizeof *g),
          *gx = malloc(N * sizeof *gx), *y = malloc(N * sizeof *y);
    for (int trial = 0; trial < 16; trial++) {
        int bits = 2 + trial % 7, s = trial % 2;
        Quantizer q;
        Err e;
        assert_int_equal(q_init(&q, "lsq", bits, s, &e), QA_OK);
        float step = 0.01f + 0.1f * (float)(trial + 1) / 16;
        q_set_alpha(&q, step, &e);
        qt_normal(trial, x, N, step * (1 << bits) * 0.4f);
        qt_uniform(trial + 50, g, N, -1, 1);
        assert_int_equal(q_forward(&q, x, y, N, &e), QA_OK);
        memset(gx, 0, N * sizeof *gx);
        double gs = 0, want = 0;
        q_backward(&q, x, g, gx, &gs, N);
        double qn = s ? 1 << (bits - 1) : 0, qp = s ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;
        for (int i = 0; i < N; i++) {
            double v = (double)x[i] / (double)step;
            if (v < -qn) {
                want += (double)g[i] * -qn;
                assert_true(gx[i] == 0.0f);
            } else if (v > qp) {
                want += (double)g[i] * qp;
                assert_true(gx[i] == 0.0f);
            } else {
                want += (double)g[i] * (rint(v) - v);
                assert_true(gx[i] == g[i]);
            }
            QT_CLOSE(y[i], fmin(fmax(rint(fmin(fmax(v, -qn), qp)), -qn), qp) * (double)step,
                     1e-6);
        }
        QT_CLOSE(gs, want / sqrt(N * qp), 1e-4);
        q_free(&q);
    }
    free(x);
    free(g);
    free(gx);
    free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_values),
        cmocka_unit_test(test_gradient_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
