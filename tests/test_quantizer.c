/* test_quantizer.c: the method table and what every method must survive:
 * constant and extreme tensors (finite outputs, no UB under UBSan), the
 * bits each accepts, and the n-th allocation failing in every allocating
 * path (clean Err, no leak under ASan). */
#include "tests/qtest.h"
#include "quant/npy.h"
#include "quant/qtensor.h"
#include "quant/quantizer.h"
#include "quant/sawb.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *names[] = {"pact", "cgpact", "dorefa", "sawb", "apot",
                              "pot", "uniform", "lloyd", "faq", "lsq"};

static void test_table(void **state)
{
    (void)state;
    int n = 0;
    while (q_method_at(n))
        n++;
    assert_int_equal(n, 10);
    for (int i = 0; i < 10; i++) {
        const QuantOps *o = q_find(names[i]);
        assert_non_null(o);
        assert_string_equal(o->name, names[i]);
        assert_ptr_equal(q_method_at(i), o);
        assert_non_null(strstr(q_method_names(), names[i]));
        assert_non_null(o->cite);
    }
    assert_null(q_find("PACT"));
    assert_null(q_find(""));
}

/* Which widths each method accepts (unsigned / signed where it applies). */
static void test_accepted_bits(void **state)
{
    (void)state;
    Quantizer q;
    Err e;
    int bits[] = {1, 2, 3, 4, 5, 6, 7, 8, 16};
    /* expected acceptance per method, unsigned then signed, per width */
    const char *want[10][2] = {
        {"111111111", "---------"}, /* pact: unsigned only */
        {"111111111", "---------"}, /* cgpact */
        {"111111111", "111111111"}, /* dorefa: always signed */
        {"011110010", "011110010"}, /* sawb: 2, 3, 4, 5, 8 */
        {"111110000", "011111000"}, /* apot */
        {"111111100", "011111110"}, /* pot */
        {"111111111", "011111111"}, /* uniform */
        {"111111110", "111111110"}, /* lloyd */
        {"111111111", "011111111"}, /* faq */
        {"111111111", "011111111"}, /* lsq */
    };
    for (int m = 0; m < 10; m++)
        for (int s = 0; s <= 1; s++)
            for (int b = 0; b < 9; b++) {
                int ok = q_init(&q, names[m], bits[b], s, &e) == QA_OK;
                if (ok)
                    q_free(&q);
                char w = want[m][s][b];
                if ((w == '1') != ok)
                    print_error("%s bits %d signed %d: %s\n", names[m], bits[b], s,
                                ok ? "accepted" : e.msg);
                assert_true((w == '1') == ok);
            }
    assert_int_equal(q_init(&q, "uniform", 0, 0, &e), QA_ERR);
    assert_int_equal(q_init(&q, "uniform", 9, 0, &e), QA_ERR);
    assert_int_equal(q_init(&q, "uniform", 17, 0, &e), QA_ERR);
}

static void check_finite_run(const char *m, int s, const float *x, size_t n)
{
    Quantizer q;
    Err e;
    int bits = !strcmp(m, "sawb") ? 4 : 3;
    assert_int_equal(q_init(&q, m, bits, s, &e), QA_OK);
    float *y = malloc(n * sizeof *y), *g = malloc(n * sizeof *g), *gx = calloc(n, sizeof *gx);
    int32_t *c = malloc(n * sizeof *c);
    for (size_t i = 0; i < n; i++)
        g[i] = 1.0f;
    QEncoding enc;
    assert_int_equal(q_forward(&q, x, y, n, &e), QA_OK);
    assert_int_equal(q_encode(&q, x, c, n, &enc, &e), QA_OK);
    double ga = 0;
    q_backward(&q, x, g, gx, &ga, n);
    assert_true(isfinite(ga));
    for (size_t i = 0; i < n; i++) {
        assert_true(isfinite(y[i]));
        assert_true(isfinite(gx[i]));
        assert_true(c[i] >= enc.code_min && c[i] <= enc.code_max);
    }
    q_free(&q);
    free(y);
    free(g);
    free(gx);
    free(c);
}

static void test_constant_and_extreme_tensors(void **state)
{
    (void)state;
    float zeros[16] = {0}, ones[16], big[16], tiny[16];
    for (int i = 0; i < 16; i++) {
        ones[i] = 1.0f;
        big[i] = (i % 2 ? -1.0f : 1.0f) * 1e30f * (float)(i + 1);
        tiny[i] = (i % 3 - 1) * 1e-30f;
    }
    const float *xs[] = {zeros, ones, big, tiny};
    for (int m = 0; m < 10; m++)
        for (int s = 0; s <= 1; s++) {
            if (s && q_find(names[m])->signs == Q_UNSIGNED)
                continue;
            for (int k = 0; k < 4; k++)
                check_finite_run(names[m], s, xs[k], 16);
        }
    /* with weight normalization too */
    Quantizer q;
    Err e;
    float y[16];
    assert_int_equal(q_init(&q, "apot", 4, 1, &e), QA_OK);
    q.wn = 1;
    assert_int_equal(q_forward(&q, ones, y, 16, &e), QA_OK); /* sigma = 0 */
    for (int i = 0; i < 16; i++)
        assert_true(y[i] == 0.0f);
    q_free(&q);
}

/* Fail the 1st, 2nd, ... allocation until the call succeeds. */
#define OOM_LOOP(CALL, CLEANUP)                                            \
    for (long k = 1;; k++) {                                               \
        Err e;                                                             \
        err_clear(&e);                                                     \
        qa_alloc_fail_at(k);                                               \
        int rc = (CALL);                                                   \
        qa_alloc_fail_at(0);                                               \
        if (rc == QA_OK) {                                                 \
            CLEANUP;                                                       \
            break;                                                         \
        }                                                                  \
        assert_true(e.msg[0] != '\0');                                     \
        assert_true(k < 100);                                              \
    }

/* The bounds of alpha as the option documents them (1e-30..3e+38) are
 * accepted once made floats; the next float outside is not. */
static void test_alpha_bounds(void **state)
{
    (void)state;
    Quantizer q;
    Err e;
    assert_int_equal(q_init(&q, "uniform", 4, 0, &e), QA_OK);
    assert_int_equal(q_set_alpha(&q, (float)Q_ALPHA_MAX, &e), QA_OK);
    assert_int_equal(q_set_alpha(&q, (float)Q_ALPHA_MIN, &e), QA_OK);
    assert_int_equal(q_set_alpha(&q, nextafterf((float)Q_ALPHA_MAX, INFINITY), &e), QA_ERR);
    assert_string_equal(e.field, "alpha");
    assert_int_equal(q_set_alpha(&q, nextafterf((float)Q_ALPHA_MIN, 0), &e), QA_ERR);
    assert_int_equal(q_set_alpha(&q, NAN, &e), QA_ERR);
    q_free(&q);
}

static void test_allocation_failures(void **state)
{
    (void)state;
    QLevels lv;
    Quantizer q;
    QTensorInt t;
    QSawbFit f;
    int bits2 = 2;
    float x[300];
    qt_normal(1, x, 300, 1.0f);
    OOM_LOOP(q_levels_apot(&lv, 5, 1, &e), q_levels_free(&lv));
    OOM_LOOP(q_levels_uniform(&lv, 8, 0, &e), q_levels_free(&lv));
    OOM_LOOP(q_levels_lloyd(&lv, x, 300, 3, 20, &e), q_levels_free(&lv));
    OOM_LOOP(q_init(&q, "apot", 4, 1, &e), q_free(&q));
    /* lloyd allocates in its forward */
    assert_int_equal(q_init(&q, "lloyd", 3, 1, NULL), QA_OK);
    float y[300];
    OOM_LOOP(q_forward(&q, x, y, 300, &e), (void)0);
    q_free(&q);
    assert_int_equal(q_init(&q, "apot", 4, 1, NULL), QA_OK);
    OOM_LOOP(q_tensor_export(&q, x, 300, &t, &e), q_tensor_free(&t));
    q_free(&q);
    OOM_LOOP(q_sawb_fit(&bits2, 1, 2000, 1, &f, &e), (void)0);
    /* the .npy reader */
    char dir[512], path[600];
    assert_int_equal(qt_tmpdir(dir, sizeof dir), 0);
    snprintf(path, sizeof path, "%s/x.npy", dir);
    NpyShape sh = {.ndim = 1, .shape = {300}, .n = 300};
    assert_int_equal(npy_write(path, NPY_F32, x, &sh, NULL), QA_OK);
    float *data;
    OOM_LOOP(npy_read_f32(path, &data, &sh, &e), free(data));
    remove(path);
    remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_accepted_bits),
        cmocka_unit_test(test_constant_and_extreme_tensors),
        cmocka_unit_test(test_alpha_bounds),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
