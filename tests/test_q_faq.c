/* test_q_faq.c: FAQ's Q(b,l) (FAQ sec. 3.1) on hand values, the weight
 * step rule, percentile calibration (sec. 3.2) and the STE backward. */
#include "tests/qtest.h"
#include "quant/calib.h"
#include "quant/faq.h"
#include "quant/quantizer.h"

#include <stdlib.h>
#include <string.h>

static void test_signed_hand_values(void **state)
{
    (void)state;
    Quantizer q;
    Err e;
    assert_int_equal(q_init(&q, "faq", 4, 1, &e), QA_OK);
    /* clip range 1.875: Delta = 2 * 1.875 / 15 = 0.25, l = -2; codes
     * clamp at +-(2^3 - 1) = +-7 */
    assert_int_equal(q_set_alpha(&q, 1.875f, &e), QA_OK);
    float x[] = {0.3f, -0.3f, 0.375f, 5.0f, -5.0f}, y[5];
    float want[] = {0.25f, -0.25f, 0.5f, 1.75f, -1.75f};
    assert_int_equal(q_forward(&q, x, y, 5, &e), QA_OK);
    assert_int_equal(q.l, -2);
    for (int i = 0; i < 5; i++)
        QT_CLOSE(y[i], want[i], 0);
    int32_t c[5];
    QEncoding enc;
    assert_int_equal(q_encode(&q, x, c, 5, &enc, &e), QA_OK);
    assert_int_equal(c[3], 7);
    assert_int_equal(c[4], -7);
    QT_CLOSE(enc.scale, 0.25, 0);
    q_free(&q);
}

static void test_unsigned_hand_values(void **state)
{
    (void)state;
    Quantizer q;
    Err e;
    assert_int_equal(q_init(&q, "faq", 4, 0, &e), QA_OK);
    /* ymax 3 rounds up to 4 = 2^2: l = 2 - 4 = -2, top code 15 -> 3.75 */
    assert_int_equal(q_set_alpha(&q, 3.0f, &e), QA_OK);
    float x[] = {-1.0f, 0.1f, 0.2f, 3.8f, 10.0f}, y[5];
    float want[] = {0, 0, 0.25f, 3.75f, 3.75f};
    assert_int_equal(q_forward(&q, x, y, 5, &e), QA_OK);
    assert_int_equal(q.l, -2);
    for (int i = 0; i < 5; i++)
        QT_CLOSE(y[i], want[i], 0);
    q_free(&q);
}

static void test_weight_step_rule(void **state)
{
    (void)state;
    float w[1000];
    for (int i = 0; i < 1000; i++)
        w[i] = i % 2 ? 1.0f : -1.0f; /* std 1 */
    /* Delta = 2 * 4.12 / 15 = 0.549, log2 = -0.86 -> l = 0 */
    assert_int_equal(q_faq_weight_l(w, 1000, 4, 4.12f), 0);
    for (int i = 0; i < 1000; i++)
        w[i] *= 0.1f; /* std 0.1: Delta 0.0549, log2 = -4.19 -> -4 */
    assert_int_equal(q_faq_weight_l(w, 1000, 4, 4.12f), -4);
    /* 8 bits: Delta = 2 * 4.12 * 0.1 / 255 = 0.00323 -> log2 -8.27 -> -8 */
    assert_int_equal(q_faq_weight_l(w, 1000, 8, 4.12f), -8);
    float c[4] = {2, 2, 2, 2};
    assert_int_equal(q_faq_weight_l(c, 4, 8, 4.12f), -4);
    assert_int_equal(q_faq_param_l(8), -4);
    assert_int_equal(q_faq_param_l(4), -2);
    /* the quantizer applies the rule when no alpha is given */
    Quantizer q;
    Err e;
    assert_int_equal(q_init(&q, "faq", 4, 1, &e), QA_OK);
    float y[1000];
    assert_int_equal(q_forward(&q, w, y, 1000, &e), QA_OK);
    assert_int_equal(q.l, -4);
    QT_CLOSE(y[1], 0.125, 0); /* 0.1 * 16 = 1.6 -> 2 -> 2/16 */
    q_free(&q);
    assert_int_equal(q_init(&q, "faq", 1, 1, &e), QA_ERR);
}

static int cmp(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static void test_percentile_and_calibration(void **state)
{
    (void)state;
    enum { N = 10001 };
    float *x = malloc(N * sizeof *x), *s = malloc(N * sizeof *s),
          *sorted = malloc(N * sizeof *sorted);
    qt_normal(8, x, N, 2.0f);
    memcpy(sorted, x, N * sizeof *x);
    qsort(sorted, N, sizeof *sorted, cmp);
    double pcts[] = {0, 12.5, 50, 99.9, 99.99, 100};
    for (int i = 0; i < 6; i++) {
        double h = (N - 1) * pcts[i] / 100.0;
        size_t k = (size_t)floor(h);
        double want = k + 1 < N
                          ? (double)sorted[k] + (h - k) * (double)(sorted[k + 1] - sorted[k])
                          : (double)sorted[k];
        QT_CLOSE(q_percentile(x, N, pcts[i], s), want, 1e-5);
    }
    /* heavy duplicates and tiny sizes against the sorted reference */
    for (int trial = 0; trial < 200; trial++) {
        Rng r;
        rng_seed(&r, trial);
        size_t m = 1 + (size_t)(rng_u64(&r) % 300);
        for (size_t i = 0; i < m; i++)
            x[i] = (float)(rng_u64(&r) % 3);
        memcpy(sorted, x, m * sizeof *x);
        qsort(sorted, m, sizeof *sorted, cmp);
        double pct = 100.0 * rng_uniform(&r);
        double h = (m - 1) * pct / 100.0;
        size_t k = (size_t)floor(h);
        double want = k + 1 < m
                          ? (double)sorted[k] + (h - k) * (double)(sorted[k + 1] - sorted[k])
                          : (double)sorted[k];
        QT_CLOSE(q_percentile(x, m, pct, s), want, 1e-5);
    }
    float ramp[5] = {4, 1, 3, 0, 2};
    QT_CLOSE(q_percentile(ramp, 5, 50, s), 2.0, 0);
    QT_CLOSE(q_percentile(ramp, 5, 90, s), 3.6, 1e-6);
    QT_CLOSE(q_pow2_ceil(3.0f), 4.0, 0);
    QT_CLOSE(q_pow2_ceil(4.0f), 4.0, 0);
    QT_CLOSE(q_pow2_ceil(0.3f), 0.5, 0);
    QT_CLOSE(q_pow2_ceil(0.0f), 0.0, 0);
    /* max over batches of the 99.9th (4-bit) / 99.99th (8-bit) percentile */
    QCalib c;
    Err e;
    q_calib_init(&c, 4);
    QT_CLOSE(c.pct, 99.9, 0);
    for (int i = 0; i < N; i++)
        x[i] = (float)i / 1000.0f; /* 0 .. 10.001 */
    assert_int_equal(q_calib_add(&c, x, N, &e), QA_OK);
    QT_CLOSE(c.ymax, 0.999 * 10.0, 1e-4);
    for (int i = 0; i < N; i++)
        x[i] *= 2.0f;
    assert_int_equal(q_calib_add(&c, x, N, &e), QA_OK);
    QT_CLOSE(c.ymax, 0.999 * 20.0, 2e-4);
    for (int i = 0; i < N; i++)
        x[i] *= 0.1f;
    assert_int_equal(q_calib_add(&c, x, N, &e), QA_OK); /* a smaller batch */
    QT_CLOSE(c.ymax, 0.999 * 20.0, 2e-4);
    QT_CLOSE(q_calib_ymax(&c), 32.0, 0);
    assert_int_equal(c.batches, 3);
    assert_int_equal(q_calib_add(&c, x, 0, &e), QA_ERR);
    q_calib_init(&c, 8);
    QT_CLOSE(c.pct, 99.99, 0);
    /* unsigned faq without alpha calibrates on its first batch, then keeps it */
    Quantizer q;
    assert_int_equal(q_init(&q, "faq", 4, 0, &e), QA_OK);
    for (int i = 0; i < N; i++)
        x[i] = (float)i / 1000.0f;
    float *y = malloc(N * sizeof *y);
    assert_int_equal(q_forward(&q, x, y, N, &e), QA_OK);
    QT_CLOSE(q.alpha, 16.0, 0); /* 9.99 -> 16 = 2^4, l = 4 - 4 = 0 */
    assert_int_equal(q.l, 0);
    for (int i = 0; i < N; i++)
        x[i] *= 10.0f;
    assert_int_equal(q_forward(&q, x, y, N, &e), QA_OK);
    assert_int_equal(q.l, 0); /* fixed after calibration */
    QT_CLOSE(y[N - 1], 15.0, 0);
    q_free(&q);
    free(x);
    free(s);
    free(sorted);
    free(y);
}

/* The MSE rule on a uniform ramp over [0, M]: clipping at a costs
 * (M-a)^3 / 3M, rounding a^3 / (12 L^2 M) with L = 2^b - 1 steps; the
 * derivative vanishes at M - a = a / 2L, so a = 2L M / (2L + 1): 6M/7 at
 * 2 bits, 30M/31 at 4 bits. The histogram search lands within one
 * candidate step (M/256). */
static void test_mse_clip(void **state)
{
    (void)state;
    enum { N = 10001 };
    float *x = malloc(N * sizeof *x);
    for (int i = 0; i < N; i++)
        x[i] = (float)i / 1000.0f - 0.001f * (i % 2); /* 0 .. 10, some negatives */
    x[1] = -3.0f;
    const double M = 10.0;
    QT_CLOSE(q_mse_clip(x, N, 2), 6.0 * M / 7.0, M / 256);
    QT_CLOSE(q_mse_clip(x, N, 4), 30.0 * M / 31.0, M / 256);
    /* the calibrated clip is the mean of the batches' clips, not rounded */
    QCalib c;
    Err e;
    q_calib_init_mse(&c, 2);
    assert_int_equal(q_calib_add(&c, x, N, &e), QA_OK);
    for (int i = 0; i < N; i++)
        x[i] *= 2.0f;
    assert_int_equal(q_calib_add(&c, x, N, &e), QA_OK);
    QT_CLOSE(q_calib_ymax(&c), 1.5 * 6.0 * M / 7.0, 1.5 * M / 256);
    /* nothing positive: no clip */
    for (int i = 0; i < N; i++)
        x[i] = -1.0f;
    QT_CLOSE(q_mse_clip(x, N, 2), 0.0, 0);
    /* ReLU'd Gaussian at 2 bits: far inside FAQ's power-of-two clip */
    qt_normal(3, x, N, 1.0f);
    q_calib_init(&c, 2);
    assert_int_equal(q_calib_add(&c, x, N, &e), QA_OK);
    float faq = q_calib_ymax(&c), mse = q_mse_clip(x, N, 2);
    print_message("N(0,1) at 2 bits: FAQ clip %.3f, MSE clip %.3f\n", (double)faq, (double)mse);
    assert_true(faq == 4.0f);
    assert_true(mse > 1.5f && mse < 2.5f);
    free(x);
}

static void test_backward_mask(void **state)
{
    (void)state;
    enum { N = 3000 };
    float x[N], g[N], gx[N], y[N];
    for (int s = 0; s <= 1; s++) {
        qt_normal(20 + s, x, N, 1.0f);
        qt_uniform(30 + s, g, N, -1, 1);
        Quantizer q;
        Err e;
        assert_int_equal(q_init(&q, "faq", 3, s, &e), QA_OK);
        assert_int_equal(q_set_alpha(&q, 1.0f, &e), QA_OK);
        assert_int_equal(q_forward(&q, x, y, N, &e), QA_OK);
        memset(gx, 0, sizeof gx);
        double ga = 0;
        q_backward(&q, x, g, gx, &ga, N);
        assert_true(ga == 0.0);
        double lo = s ? -3 : 0, hi = s ? 3 : 7, step = ldexp(1.0, q.l);
        for (int i = 0; i < N; i++) {
            double t = (double)x[i] / step;
            assert_true(gx[i] == (t >= lo && t <= hi ? g[i] : 0.0f));
            double k = fmin(fmax(rint(t), lo), hi);
            QT_CLOSE(y[i], k * step, 0);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signed_hand_values),
        cmocka_unit_test(test_unsigned_hand_values),
        cmocka_unit_test(test_weight_step_rule),
        cmocka_unit_test(test_percentile_and_calibration),
        cmocka_unit_test(test_mse_clip),
        cmocka_unit_test(test_backward_mask),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
