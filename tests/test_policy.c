/* test_policy.c: per-layer quantization policy: first/last 8 bits,
 * full-precision shortcut, overrides, and filling from a BitPolicy. */
#include "tests/qtest.h"
#include "quant/policy.h"

#include <string.h>

static void test_defaults(void **state)
{
    (void)state;
    QPolicy p;
    q_policy_init(&p, 4, 4);
    QLayerSpec s = q_policy_layer(&p, 0, "conv1", 54, 0);
    assert_int_equal(s.w_bits, 8);
    assert_int_equal(s.a_bits, 8);
    assert_string_equal(s.w_method, "sawb");
    assert_string_equal(s.a_method, "pact");
    s = q_policy_layer(&p, 53, "fc", 54, 0);
    assert_int_equal(s.w_bits, 8);
    s = q_policy_layer(&p, 7, "layer1.0.conv2", 54, 0);
    assert_int_equal(s.w_bits, 4);
    s = q_policy_layer(&p, 4, "layer1.0.downsample", 54, 1);
    assert_int_equal(s.w_bits, 4); /* no fpsc by default */
    p.shortcut_bits = Q_BITS_FP;
    s = q_policy_layer(&p, 4, "layer1.0.downsample", 54, 1);
    assert_int_equal(s.w_bits, Q_BITS_FP);
    assert_int_equal(s.a_bits, Q_BITS_FP);
    p.first_last_bits = 0;
    s = q_policy_layer(&p, 0, "conv1", 54, 0);
    assert_int_equal(s.w_bits, 4);
}

static void test_overrides(void **state)
{
    (void)state;
    QPolicy p;
    Err e;
    q_policy_init(&p, 2, 2);
    QLayerSpec o = {.w_method = "apot", .a_method = "cgpact", .w_bits = 5, .a_bits = 4,
                    .w_alpha = 0, .a_alpha = 8};
    assert_int_equal(q_policy_override(&p, "layer2.1.conv1", &o, &e), QA_OK);
    o.w_bits = 3;
    assert_int_equal(q_policy_override(&p, "0", &o, &e), QA_OK);
    QLayerSpec s = q_policy_layer(&p, 20, "layer2.1.conv1", 54, 0);
    assert_string_equal(s.w_method, "apot");
    assert_int_equal(s.w_bits, 5);
    QT_CLOSE(s.a_alpha, 8, 0);
    s = q_policy_layer(&p, 0, "conv1", 54, 0); /* by index, beats first/last */
    assert_int_equal(s.w_bits, 3);
    o.w_bits = 9;
    assert_int_equal(q_policy_override(&p, "x", &o, &e), QA_ERR);
    assert_string_equal(e.field, "bits");
    o.w_bits = 4;
    strcpy(o.a_method, "relu");
    assert_int_equal(q_policy_override(&p, "x", &o, &e), QA_ERR);
    assert_string_equal(e.field, "method");
    strcpy(o.a_method, "pact");
    while (p.n_over < Q_POLICY_MAX_OVERRIDES)
        assert_int_equal(q_policy_override(&p, "y", &o, &e), QA_OK);
    assert_int_equal(q_policy_override(&p, "z", &o, &e), QA_ERR);
    assert_string_equal(e.field, "override");
}

static void test_from_bit_policy(void **state)
{
    (void)state;
    BitPolicy bp = {.w_bits = 2, .a_bits = 4, .first_last_bits = 0, .shortcut_bits = 16};
    QPolicy p;
    q_policy_from_bits(&p, &bp);
    QLayerSpec s = q_policy_layer(&p, 0, "conv1", 21, 0);
    assert_int_equal(s.w_bits, 2); /* 0 = like the rest */
    assert_int_equal(s.a_bits, 4);
    s = q_policy_layer(&p, 9, "sc", 21, 1);
    assert_int_equal(s.w_bits, Q_BITS_FP);
    bp.first_last_bits = 8;
    bp.shortcut_bits = 8;
    q_policy_from_bits(&p, &bp);
    assert_int_equal(q_policy_layer(&p, 20, "fc", 21, 0).a_bits, 8);
    assert_int_equal(q_policy_layer(&p, 9, "sc", 21, 1).w_bits, 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_overrides),
        cmocka_unit_test(test_from_bit_policy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
