/* test_q_sawb.c: SAWB (SAWB paper sec. 4): alpha formula and levels on hand
 * values, STE backward, the coefficient fit against the published table,
 * and Table 1's claim (SAWB's alpha within 7% of the optimal squared
 * error) on Gaussian, Laplace and He-initialized conv weights. */
#include "tests/qtest.h"
#include "quant/quantizer.h"
#include "quant/sawb.h"

#include <stdlib.h>
#include <string.h>

static void test_alpha_and_levels_hand_values(void **state)
{
    (void)state;
    /* w = {1, -1, 2, -2}: E w^2 = 2.5, E|w| = 1.5;
     * 2 bits: alpha = 3.12 sqrt(2.5) - 2.064 * 1.5 = 1.837 */
    float w[] = {1, -1, 2, -2}, y[4];
    double alpha = 3.12 * sqrt(2.5) - 2.064 * 1.5;
    Quantizer q;
    Err e;
    assert_int_equal(q_init(&q, "sawb", 2, 0, &e), QA_OK);
    assert_true(q.is_signed); /* weights: always signed */
    assert_int_equal(q_forward(&q, w, y, 4, &e), QA_OK);
    QT_CLOSE(q.alpha, alpha, 1e-5);
    /* levels {-a, -a/3, a/3, a}: 1 -> a/3 (1.5 u = 2.32 -> 2), 2 -> a */
    QT_CLOSE(y[0], alpha / 3, 1e-5);
    QT_CLOSE(y[1], -alpha / 3, 1e-5);
    QT_CLOSE(y[2], alpha, 1e-5);
    QT_CLOSE(y[3], -alpha, 1e-5);
    int32_t c[4];
    QEncoding enc;
    assert_int_equal(q_encode(&q, w, c, 4, &enc, &e), QA_OK);
    assert_int_equal(c[0], 2);
    assert_int_equal(c[3], 0);
    QT_CLOSE(enc.scale * (c[0] - enc.zero_point), alpha / 3, 1e-5);
    QT_CLOSE(enc.zero_point, 1.5, 0);
    q_free(&q);
    /* 8 bits, |w| constant: 31.76 - 35.04 < 0, so alpha = max|w| */
    float u[] = {0.5f, -0.5f, 0.5f, -0.5f};
    assert_int_equal(q_init(&q, "sawb", 8, 1, &e), QA_OK);
    assert_int_equal(q_forward(&q, u, y, 4, &e), QA_OK);
    QT_CLOSE(q.alpha, 0.5, 0);
    QT_CLOSE(y[0], 0.5, 1e-7);
    q_free(&q);
}

static void test_table_and_errors(void **state)
{
    (void)state;
    double c1, c2;
    Err e;
    assert_int_equal(q_sawb_coef(2, &c1, &c2, &e), QA_OK);
    QT_CLOSE(c1, 3.12, 0);
    QT_CLOSE(c2, 2.064, 0);
    assert_int_equal(q_sawb_coef(8, &c1, &c2, &e), QA_OK);
    QT_CLOSE(c1, 31.76, 0);
    QT_CLOSE(c2, 35.04, 0);
    assert_int_equal(q_sawb_coef(6, &c1, &c2, &e), QA_ERR);
    assert_string_equal(e.field, "bits");
    Quantizer q;
    assert_int_equal(q_init(&q, "sawb", 16, 1, &e), QA_ERR);
    assert_int_equal(q_init(&q, "sawb", 4, 1, &e), QA_OK);
    assert_int_equal(q_set_alpha(&q, 1.0f, &e), QA_ERR);
    assert_string_equal(e.field, "alpha");
}

static void test_forward_backward_random(void **state)
{
    (void)state;
    enum { N = 5000 };
    int bits[] = {2, 3, 4, 5, 8};
    float *w = malloc(N * sizeof *w), *y = malloc(N * sizeof *y),
          *g = malloc(N * sizeof *g), *gx = malloc(N * sizeof *gx);
    for (int b = 0; b < 5; b++) {
        qt_normal(50 + b, w, N, 0.1f);
        qt_uniform(60 + b, g, N, -1, 1);
        Quantizer q;
        Err e;
        assert_int_equal(q_init(&q, "sawb", bits[b], 1, &e), QA_OK);
        assert_int_equal(q_forward(&q, w, y, N, &e), QA_OK);
        double s1 = 0, s2 = 0, c1, c2;
        for (int i = 0; i < N; i++) {
            s1 += fabs(w[i]);
            s2 += (double)w[i] * (double)w[i];
        }
        q_sawb_coef(bits[b], &c1, &c2, &e);
        double alpha = c1 * sqrt(s2 / N) - c2 * s1 / N, L1 = (1 << bits[b]) - 1;
        QT_CLOSE(q.alpha, alpha, 1e-5 * alpha);
        memset(gx, 0, N * sizeof *gx);
        double ga = 0.0;
        q_backward(&q, w, g, gx, &ga, N);
        assert_true(ga == 0.0); /* alpha is a statistic, not learned */
        for (int i = 0; i < N; i++) {
            /* nearest of alpha (2i - L1)/L1: brute force over the levels */
            double best = 1e30, bl = 0;
            for (int k = 0; k <= (int)L1; k++) {
                double lv = alpha * (2 * k - L1) / L1;
                if (fabs((double)w[i] - lv) < best) {
                    best = fabs((double)w[i] - lv);
                    bl = lv;
                }
            }
            QT_CLOSE(y[i], bl, 1e-5 * alpha);
            assert_true(gx[i] == (fabs(w[i]) <= (double)q.alpha ? g[i] : 0.0f));
        }
        q_free(&q);
    }
    free(w);
    free(y);
    free(g);
    free(gx);
}

static void test_fit_reproduces_published(void **state)
{
    (void)state;
    int bits[] = {2, 3, 4, 5, 8};
    QSawbFit f[5];
    Err e;
    /* 200k samples per distribution (the CLI default is 1M) */
    assert_int_equal(q_sawb_fit(bits, 5, 200000, 1, f, &e), QA_OK);
    /* alpha* / E|w| = c1 x - c2 at the Gaussian (x = sqrt(pi/2)) and Laplace
     * (x = sqrt 2) points, fitted vs published. 8-bit alpha* sits far in
     * the tails and moves with the sample size, hence its looser bound. */
    double tol[] = {0.01, 0.04, 0.05, 0.06, 0.12};
    for (int b = 0; b < 5; b++) {
        double c1, c2;
        q_sawb_coef(bits[b], &c1, &c2, &e);
        double xs[] = {sqrt(QT_PI / 2), sqrt(2.0)};
        for (int k = 0; k < 2; k++) {
            double pub = c1 * xs[k] - c2, fit = f[b].c1 * xs[k] - f[b].c2;
            assert_true(fabs(fit / pub - 1) < tol[b]);
        }
        /* a least-squares line with intercept has residuals summing to 0 */
        double rs = 0;
        for (int d = 0; d < Q_DIST_COUNT; d++)
            rs += f[b].c1 * f[b].x[d] - f[b].c2 - f[b].y[d];
        QT_CLOSE(rs, 0.0, 1e-9);
        assert_true(f[b].max_resid > 0.0);
        /* the sample statistics are the distributions' own */
        QT_CLOSE(f[b].x[Q_DIST_GAUSS], sqrt(QT_PI / 2), 0.01);
        QT_CLOSE(f[b].x[Q_DIST_UNIFORM], 2 / sqrt(3.0), 0.01);
        QT_CLOSE(f[b].x[Q_DIST_LAPLACE], sqrt(2.0), 0.01);
        QT_CLOSE(f[b].x[Q_DIST_TRIANGULAR], 3 / sqrt(6.0), 0.01);
    }
    /* 2 bits: the published pair itself, (3.12, 2.064) */
    QT_CLOSE(f[0].c1, 3.12, 0.04);
    QT_CLOSE(f[0].c2, 2.064, 0.04);
    /* MSE-optimal 4-level uniform quantizer of N(0,1) (Max 1960): outer
     * level 1.494 sigma, so alpha* / E|w| = 1.494 / 0.7979 = 1.872 */
    QT_CLOSE(f[0].y[Q_DIST_GAUSS], 1.872, 0.01);
}

/* SAWB Table 1: the SAWB alpha's squared error is within 7% of the
 * exhaustive-search optimum on bell-shaped weights. */
static void test_table1_within_7_percent(void **state)
{
    (void)state;
    enum { N = 3 * 3 * 64 * 64 }; /* a ResNet 3x3 conv, 64 -> 64 channels */
    float *w = malloc(N * sizeof *w);
    int bits[] = {2, 3, 4, 5, 8};
    for (int d = 0; d < 3; d++) {
        Rng r;
        rng_seed(&r, 90 + d);
        if (d == 0)
            q_dist_sample(Q_DIST_GAUSS, &r, w, N);
        else if (d == 1)
            q_dist_sample(Q_DIST_LAPLACE, &r, w, N);
        else /* He-normal init: std sqrt(2 / fan_in), fan_in = 64*3*3 */
            for (int i = 0; i < N; i++)
                w[i] = (float)(sqrt(2.0 / 576) * rng_normal(&r));
        QMagnitudes mg;
        Err e;
        assert_int_equal(q_mag_init(&mg, w, N, &e), QA_OK);
        for (int b = 0; b < 5; b++) {
            double c1, c2, se_opt;
            q_sawb_coef(bits[b], &c1, &c2, &e);
            float a = q_sawb_alpha(w, N, c1, c2);
            q_sawb_opt_alpha(&mg, bits[b], &se_opt);
            double se = q_sawb_sq_error(&mg, bits[b], a);
            assert_true(se >= se_opt * (1 - 1e-9)); /* the search is optimal */
            /* Table 1 is 2-bit; 2..5 bits stay within 7%. At 8 bits the
             * optimum hinges on the few tail samples of a 36864-weight
             * tensor: measured 7.6% (Gaussian), 4.4%, 3.7%; bound 10%. */
            assert_true(se <= (bits[b] <= 5 ? 1.07 : 1.10) * se_opt);
            /* the error function agrees with quantizing element by element */
            if (b == 0) {
                Quantizer q;
                assert_int_equal(q_init(&q, "sawb", 2, 1, &e), QA_OK);
                float *y = malloc(N * sizeof *y);
                q_forward(&q, w, y, N, &e);
                double s = 0;
                for (int i = 0; i < N; i++)
                    s += ((double)w[i] - (double)y[i]) * ((double)w[i] - (double)y[i]);
                QT_CLOSE(s, se, 1e-4 * se);
                free(y);
                q_free(&q);
            }
        }
        q_mag_free(&mg);
    }
    free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alpha_and_levels_hand_values),
        cmocka_unit_test(test_table_and_errors),
        cmocka_unit_test(test_forward_backward_random),
        cmocka_unit_test(test_fit_reproduces_published),
        cmocka_unit_test(test_table1_within_7_percent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
