/* test_q_sat.c: SAT constant rescaling (SAT eq. 7, 10). */
#include "tests/qtest.h"
#include "quant/quantizer.h"
#include "quant/sat.h"

#include <stdlib.h>

static void test_hand_values(void **state)
{
    (void)state;
    /* Q = +-1: VAR = mean(Q^2) = 1; n_out = 4 -> 1/sqrt(4) = 0.5 */
    float q[] = {1, -1, 1, -1}, out[4], scale;
    q_sat_forward(q, out, 4, 4, &scale);
    QT_CLOSE(scale, 0.5, 0);
    QT_CLOSE(out[1], -0.5, 0);
    /* {3, 0, 0, 0}: mean square 9/4, n_out 1 -> 1/1.5 */
    float r[] = {3, 0, 0, 0};
    QT_CLOSE(q_sat_scale(r, 4, 1), 1.0 / 1.5, 1e-7);
    float z[] = {0, 0};
    QT_CLOSE(q_sat_scale(z, 2, 10), 1.0, 0);
    /* backward: the variance is a constant, so gq += scale * g */
    float g[] = {1, 2, 3, 4}, gq[] = {1, 1, 1, 1};
    q_sat_backward(g, gq, 4, 0.5f);
    QT_CLOSE(gq[3], 3.0, 0);
}

static void test_restores_variance_of_dorefa_weights(void **state)
{
    (void)state;
    /* The SAT setting: DoReFa-quantized weights of a last FC layer,
     * 1000 outputs x 512 inputs; after eq. 10 n_out VAR[Q*] = 1. */
    enum { K = 1000, C = 512, N = K * C };
    float *w = malloc(N * sizeof *w), *qw = malloc(N * sizeof *qw);
    qt_normal(3, w, N, (float)sqrt(1.0 / C));
    Quantizer q;
    Err e;
    for (int bits = 1; bits <= 8; bits++) {
        assert_int_equal(q_init(&q, "dorefa", bits, 1, &e), QA_OK);
        assert_int_equal(q_forward(&q, w, qw, N, &e), QA_OK);
        q_sat_forward(qw, qw, N, K, NULL);
        double ss = 0;
        for (int i = 0; i < N; i++)
            ss += (double)qw[i] * (double)qw[i];
        QT_CLOSE(K * ss / N, 1.0, 1e-4);
        q_free(&q);
    }
    free(w);
    free(qw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_values),
        cmocka_unit_test(test_restores_variance_of_dorefa_weights),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
