/* test_q_apot.c: the APoT-family quantizers (apot, pot, uniform, lloyd):
 * RCF forward (APoT eq. 7) on hand values, RCF gradient (eq. 8) against
 * the formula at random points, weight normalization (eq. 9) forward and
 * its backward against finite differences. */
#include "tests/qtest.h"
#include "quant/quantizer.h"

#include <stdlib.h>
#include <string.h>

static void test_forward_hand_values(void **state)
{
    (void)state;
    Quantizer q;
    Err e;
    /* 3-bit signed APoT: sign + {0, 1/4, 1/2, 1}; alpha 1 */
    assert_int_equal(q_init(&q, "apot", 3, 1, &e), QA_OK);
    q_set_alpha(&q, 1.0f, &e);
    float x[] = {-2.0f, -0.3f, 0.1f, 0.37f, 0.8f, 0.74f};
    float want[] = {-1.0f, -0.25f, 0.0f, 0.25f, 1.0f, 0.5f};
    float y[6];
    assert_int_equal(q_forward(&q, x, y, 6, &e), QA_OK);
    for (int i = 0; i < 6; i++)
        QT_CLOSE(y[i], want[i], 1e-7);
    q_free(&q);
    /* 4-bit unsigned APoT, alpha 2: x = 0.1 -> 0.05 of the range, between
     * 2/48 and 3/48 (midpoint 0.0521): 2/48 -> y = 2 * 2/48 */
    assert_int_equal(q_init(&q, "apot", 4, 0, &e), QA_OK);
    q_set_alpha(&q, 2.0f, &e);
    float x2[] = {0.1f, -0.5f, 1.9f, 5.0f};
    assert_int_equal(q_forward(&q, x2, y, 4, &e), QA_OK);
    QT_CLOSE(y[0], 4.0 / 48, 1e-7);
    QT_CLOSE(y[1], 0.0, 0);
    QT_CLOSE(y[2], 2.0, 0);     /* 0.95: between 36/48 and 1 -> 1 */
    QT_CLOSE(y[3], 2.0, 0);     /* clipped */
    int32_t c[4];
    QEncoding enc;
    assert_int_equal(q_encode(&q, x2, c, 4, &enc, &e), QA_OK);
    assert_int_equal(c[0], 2);
    assert_int_equal(c[3], 15);
    assert_non_null(enc.levels);
    QT_CLOSE(enc.scale * enc.levels[c[0]], 4.0 / 48, 1e-7);
    q_free(&q);
}

static void test_default_alpha_and_uniform_codes(void **state)
{
    (void)state;
    Quantizer q;
    Err e;
    /* alpha not set: max|x| (no clipping) */
    assert_int_equal(q_init(&q, "uniform", 3, 1, &e), QA_OK);
    float x[] = {-0.9f, 0.2f, 3.0f, -1.4f};
    float y[4];
    int32_t c[4];
    QEncoding enc;
    assert_int_equal(q_encode(&q, x, c, 4, &enc, &e), QA_OK);
    assert_true(q.alpha == 3.0f);
    /* levels j/3 * 3 = j: -0.9 -> -1, 0.2 -> 0, 3 -> 3, -1.4 -> -1 */
    int want[] = {-1, 0, 3, -1};
    for (int i = 0; i < 4; i++)
        assert_int_equal(c[i], want[i]);
    assert_null(enc.levels);
    QT_CLOSE(enc.scale, 1.0, 1e-7);
    assert_int_equal(enc.code_min, -3);
    assert_int_equal(enc.code_max, 3);
    assert_int_equal(q_forward(&q, x, y, 4, &e), QA_OK);
    QT_CLOSE(y[3], -1.0, 1e-6);
    q_free(&q);
    /* pot 3-bit signed, alpha 4: {0, +-1, +-2, +-4}; 2.9 -> 2 (mid 3) */
    assert_int_equal(q_init(&q, "pot", 3, 1, &e), QA_OK);
    q_set_alpha(&q, 4.0f, &e);
    float x2[] = {2.9f, 3.1f, -0.4f, 0.6f};
    assert_int_equal(q_forward(&q, x2, y, 4, &e), QA_OK);
    QT_CLOSE(y[0], 2.0, 0);
    QT_CLOSE(y[1], 4.0, 0);
    QT_CLOSE(y[2], 0.0, 0);
    QT_CLOSE(y[3], 1.0, 0);
    q_free(&q);
}

static int nearest(const QLevels *lv, double t)
{
    int b = 0;
    for (int i = 1; i < lv->n; i++)
        if (fabs(t - (double)lv->v[i]) < fabs(t - (double)lv->v[b]))
            b = i;
    return b;
}

/* RCF eq. 8 at random points, every method and sign, without WN. */
static void test_rcf_gradient(void **state)
{
    (void)state;
    const char *methods[] = {"apot", "pot", "uniform", "lloyd"};
    enum { N = 3000 };
    float *x = malloc(N * sizeof *x), *g = malloc(N * sizeof *g),
          *gx = malloc(N * sizeof *gx), *y = malloc(N * sizeof *y);
    for (int m = 0; m < 4; m++)
        for (int s = 0; s <= 1; s++)
            for (int bits = 2; bits <= 5; bits++) {
                uint64_t seed = 1000 * m + 100 * s + bits;
                Quantizer q;
                Err e;
                assert_int_equal(q_init(&q, methods[m], bits, s, &e), QA_OK);
                Rng r;
                rng_seed(&r, seed);
                float alpha = 0.2f + (float)rng_uniform(&r);
                q_set_alpha(&q, alpha, &e);
                qt_normal(seed, x, N, alpha * 0.7f);
                qt_uniform(seed + 1, g, N, -1.0f, 1.0f);
                assert_int_equal(q_forward(&q, x, y, N, &e), QA_OK);
                memset(gx, 0, N * sizeof *gx);
                double ga = 0.0, want = 0.0;
                q_backward(&q, x, g, gx, &ga, N);
                double lo = s ? -1.0 : 0.0;
                for (int i = 0; i < N; i++) {
                    double u = (double)x[i] / (double)alpha;
                    if (u > 1.0) {
                        want += (double)g[i];
                        assert_true(gx[i] == 0.0f);
                    } else if (u < lo) {
                        want -= s ? (double)g[i] : 0.0;
                        assert_true(gx[i] == 0.0f);
                    } else {
                        /* Pi(w/alpha) - w/alpha, Pi = nearest level */
                        double pu = q.lv.v[nearest(&q.lv, u)];
                        want += (double)g[i] * (pu - u);
                        assert_true(gx[i] == g[i]);
                        QT_CLOSE(y[i], (double)alpha * pu, 1e-6);
                    }
                }
                QT_CLOSE(ga, want, 1e-3);
                q_free(&q);
            }
    free(x);
    free(g);
    free(gx);
    free(y);
}

/* w~ = (w - mu) / (sigma + eps) in double, as APoT eq. 9. */
static double wn_dot(const float *w, const float *c, int n, int k, double h)
{
    double mu = 0, ss = 0;
    for (int i = 0; i < n; i++)
        mu += (double)w[i] + (i == k ? h : 0);
    mu /= n;
    for (int i = 0; i < n; i++) {
        double d = (double)w[i] + (i == k ? h : 0) - mu;
        ss += d * d;
    }
    double sig = sqrt(ss / n), f = 0;
    for (int i = 0; i < n; i++)
        f += (double)c[i] * ((double)w[i] + (i == k ? h : 0) - mu) / (sig + 1e-5);
    return f;
}

static void test_weight_normalization(void **state)
{
    (void)state;
    enum { N = 64 };
    float w[N], g[N], gx[N], y[N];
    qt_normal(3, w, N, 0.05f);
    for (int i = 0; i < N; i++)
        w[i] += 0.01f; /* a non-zero mean */
    qt_uniform(4, g, N, -1.0f, 1.0f);
    Quantizer q;
    Err e;
    assert_int_equal(q_init(&q, "apot", 5, 1, &e), QA_OK);
    q.wn = 1;
    q_set_alpha(&q, 1.5f, &e);
    assert_int_equal(q_forward(&q, w, y, N, &e), QA_OK);
    /* forward: the quantizer sees (w - mu)/(sigma + eps) */
    double mu = 0, ss = 0;
    for (int i = 0; i < N; i++)
        mu += (double)w[i];
    mu /= N;
    for (int i = 0; i < N; i++)
        ss += ((double)w[i] - mu) * ((double)w[i] - mu);
    double sig = sqrt(ss / N);
    QT_CLOSE(q.wn_mu, mu, 1e-7);
    QT_CLOSE(q.wn_sigma, sig, 1e-7);
    float c[N];
    for (int i = 0; i < N; i++) {
        double t = ((double)w[i] - mu) / (sig + 1e-5), u = t / 1.5;
        u = u > 1 ? 1 : (u < -1 ? -1 : u);
        QT_CLOSE(y[i], 1.5 * (double)q.lv.v[nearest(&q.lv, u)], 1e-5);
        c[i] = fabs(t) <= 1.5 ? g[i] : 0.0f; /* STE mask */
    }
    /* backward: gx = d/dw sum_i c_i w~_i(w) by central differences */
    memset(gx, 0, sizeof gx);
    q_backward(&q, w, g, gx, NULL, N);
    for (int k = 0; k < N; k++) {
        double h = 1e-6;
        double fd = (wn_dot(w, c, N, k, h) - wn_dot(w, c, N, k, -h)) / (2 * h);
        QT_CLOSE(gx[k], fd, 1e-3 * (1 + fabs(fd)));
    }
    q_free(&q);
}

static void test_lloyd_quantizer(void **state)
{
    (void)state;
    Quantizer q;
    Err e;
    assert_int_equal(q_init(&q, "lloyd", 1, 0, &e), QA_OK);
    float x[6] = {1, 1.2f, 0.8f, 5, 5.5f, 4.5f}, y[6];
    assert_int_equal(q_forward(&q, x, y, 6, &e), QA_OK);
    /* alpha = 5.5; levels are the cluster means 1 and 5 */
    QT_CLOSE(y[1], 1.0, 1e-6);
    QT_CLOSE(y[5], 5.0, 1e-6);
    assert_int_equal(q.lv.n, 2);
    q_free(&q);
    assert_int_equal(q_init(&q, "lloyd", 16, 0, &e), QA_ERR);
    /* alpha 1e36: the levels span about 1e-36, too little for a float
     * bucket scale; every value still finds its level (this read outside
     * the level table and crashed) */
    float big[8] = {-1, 0.25f, 0.5f, 1, 1.5f, 2, 3, 7}, yb[8];
    int32_t codes[8];
    assert_int_equal(q_init(&q, "lloyd", 4, 1, &e), QA_OK);
    assert_int_equal(q_set_alpha(&q, 1e36f, &e), QA_OK);
    assert_int_equal(q_forward(&q, big, yb, 8, &e), QA_OK);
    QEncoding enc;
    assert_int_equal(q_encode(&q, big, codes, 8, &enc, &e), QA_OK);
    for (int i = 0; i < 8; i++) {
        assert_true(isfinite(yb[i]));
        assert_true(codes[i] >= 0 && codes[i] < q.lv.n);
        QT_CLOSE(yb[i], big[i], 1e-3 * fabs(big[i]) + 1e-6);
    }
    q_free(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forward_hand_values),
        cmocka_unit_test(test_default_alpha_and_uniform_codes),
        cmocka_unit_test(test_rcf_gradient),
        cmocka_unit_test(test_weight_normalization),
        cmocka_unit_test(test_lloyd_quantizer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
