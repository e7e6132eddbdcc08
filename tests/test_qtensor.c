/* test_qtensor.c: integer export: narrowest type, and codes read back
 * through scale/zero point/levels equal the fake-quantized forward. */
#include "tests/qtest.h"
#include "quant/qtensor.h"

#include <stdlib.h>
#include <string.h>

static void test_narrowest(void **state)
{
    (void)state;
    assert_int_equal(q_narrowest_type(0, 255), NPY_U8);
    assert_int_equal(q_narrowest_type(-128, 127), NPY_I8);
    assert_int_equal(q_narrowest_type(0, 256), NPY_U16);
    assert_int_equal(q_narrowest_type(-1, 255), NPY_I16);
    assert_int_equal(q_narrowest_type(-32768, 32767), NPY_I16);
    assert_int_equal(q_narrowest_type(-32769, 0), NPY_I32);
}

static void test_round_trip_every_method(void **state)
{
    (void)state;
    struct {
        const char *m;
        int bits, is_signed;
        NpyType t;
    } cases[] = {
        {"pact", 4, 0, NPY_U8},     {"cgpact", 16, 0, NPY_U16},
        {"dorefa", 2, 1, NPY_U8},   {"sawb", 8, 1, NPY_U8},
        {"apot", 5, 1, NPY_U8},     {"pot", 4, 0, NPY_U8},
        {"uniform", 8, 1, NPY_I8},  {"uniform", 16, 1, NPY_I16},
        {"lloyd", 3, 1, NPY_U8},    {"faq", 4, 1, NPY_I8},
        {"faq", 8, 0, NPY_U8},      {"lsq", 16, 1, NPY_I16},
        {"lsq", 8, 0, NPY_U8},
    };
    enum { N = 2000 };
    float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        qt_normal(c, x, N, 1.5f);
        if (!cases[c].is_signed)
            for (int i = 0; i < N; i++)
                x[i] = fabsf(x[i]);
        Quantizer q;
        QTensorInt t;
        Err e;
        assert_int_equal(q_init(&q, cases[c].m, cases[c].bits, cases[c].is_signed, &e),
                         QA_OK);
        if (!strcmp(cases[c].m, "pact") || !strcmp(cases[c].m, "cgpact"))
            q_set_alpha(&q, 3.0f, &e);
        assert_int_equal(q_tensor_export(&q, x, N, &t, &e), QA_OK);
        assert_int_equal(t.dtype, cases[c].t);
        assert_string_equal(t.method, cases[c].m);
        assert_int_equal(t.bits, cases[c].bits);
        assert_int_equal(q_forward(&q, x, y, N, &e), QA_OK);
        for (int i = 0; i < N; i++)
            QT_CLOSE(q_tensor_value(&t, i), y[i], 1e-5 * (1 + fabs(y[i])));
        q_tensor_free(&t);
        q_free(&q);
    }
    free(x);
    free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_narrowest),
        cmocka_unit_test(test_round_trip_every_method),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
