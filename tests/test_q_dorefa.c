/* test_q_dorefa.c: DoReFa weights (SAT eq. 5, 8, 9): hand values, the
 * formula at random points, and the tanh STE backward. */
#include "tests/qtest.h"
#include "quant/quantizer.h"

#include <stdlib.h>
#include <string.h>

static void test_hand_values(void **state)
{
    (void)state;
    /* k = 2: tanh = {-0.7616, -0.1974, 0, 0.2913, 0.9640}, max 0.9640;
     * w' = {0.1050, 0.3976, 0.5, 0.6511, 1}; 3 w' = {0.315, 1.193, 1.5,
     * 1.953, 3} -> {0, 1, 2 (tie to even), 2, 3}; 2 q/3 - 1 */
    float w[] = {-1.0f, -0.2f, 0.0f, 0.3f, 2.0f}, y[5];
    float want[] = {-1.0f, -1.0f / 3, 1.0f / 3, 1.0f / 3, 1.0f};
    Quantizer q;
    Err e;
    assert_int_equal(q_init(&q, "dorefa", 2, 0, &e), QA_OK);
    assert_int_equal(q_forward(&q, w, y, 5, &e), QA_OK);
    for (int i = 0; i < 5; i++)
        QT_CLOSE(y[i], want[i], 1e-6);
    int32_t c[5];
    QEncoding enc;
    assert_int_equal(q_encode(&q, w, c, 5, &enc, &e), QA_OK);
    assert_int_equal(c[1], 1);
    QT_CLOSE(enc.scale * (c[1] - enc.zero_point), -1.0 / 3, 1e-6);
    assert_int_equal(q_set_alpha(&q, 1.0f, &e), QA_ERR);
    /* all zeros: w' = 1/2 everywhere, no division by zero */
    float z[3] = {0, 0, 0};
    assert_int_equal(q_forward(&q, z, y, 3, &e), QA_OK);
    QT_CLOSE(y[0], 1.0 / 3, 1e-6);
}

static void test_random_against_formula(void **state)
{
    (void)state;
    enum { N = 4000 };
    float *w = malloc(N * sizeof *w), *y = malloc(N * sizeof *y),
          *g = malloc(N * sizeof *g), *gx = malloc(N * sizeof *gx);
    for (int k = 1; k <= 8; k++) {
        qt_normal(k, w, N, 0.5f);
        qt_uniform(k + 10, g, N, -1, 1);
        Quantizer q;
        Err e;
        assert_int_equal(q_init(&q, "dorefa", k, 1, &e), QA_OK);
        assert_int_equal(q_forward(&q, w, y, N, &e), QA_OK);
        double m = 0, a = (1 << k) - 1;
        for (int i = 0; i < N; i++)
            m = fmax(m, fabs(tanh(w[i])));
        memset(gx, 0, N * sizeof *gx);
        q_backward(&q, w, g, gx, NULL, N);
        for (int i = 0; i < N; i++) {
            double w1 = tanh(w[i]) / (2 * m) + 0.5;
            double qk = rint(w1 * a) / a;
            /* the float path may round a value within 1e-6 of a tie the
             * other way: accept either neighbour there */
            if (fabs(w1 * a - floor(w1 * a) - 0.5) > 1e-5)
                QT_CLOSE(y[i], 2 * qk - 1, 1e-5);
            double t = tanh(w[i]);
            QT_CLOSE(gx[i], (double)g[i] * (1 - t * t) / m, 1e-5);
        }
        q_free(&q);
    }
    free(w);
    free(y);
    free(g);
    free(gx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_values),
        cmocka_unit_test(test_random_against_formula),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
