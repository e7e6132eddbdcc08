/* test_arch.c: defaults, enum names, derived values, cross-field rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "arch/arch.h"

static void test_defaults_validate(void **state)
{
    (void)state;
    Accel a;
    Err e;
    arch_defaults(&a);
    assert_int_equal(arch_validate(&a, NULL, &e), QA_OK);
    assert_int_equal(a.base_bits, 16);
    assert_int_equal(a.dataflow, DF_WS);
}

static void test_names_round_trip(void **state)
{
    (void)state;
    for (int d = 0; d < DF_COUNT; d++) {
        Dataflow got;
        assert_int_equal(arch_dataflow_parse(arch_dataflow_name((Dataflow)d), &got), QA_OK);
        assert_int_equal(got, d);
    }
    for (int r = 0; r < SCALE_COUNT; r++) {
        ScaleRule got;
        assert_int_equal(arch_scale_parse(arch_scale_name((ScaleRule)r), &got), QA_OK);
        assert_int_equal(got, r);
    }
    Placement p;
    assert_int_equal(arch_place_parse("both", &p), QA_OK);
    assert_int_equal(p, PLACE_BOTH);
    assert_int_equal(arch_place_parse("diagonal", &p), QA_ERR);
    Dataflow d;
    assert_int_equal(arch_dataflow_parse("WS", &d), QA_ERR); /* case matters */
}

static void test_bytes_per_cycle(void **state)
{
    (void)state;
    Accel a;
    arch_defaults(&a);
    a.clock_ghz = 1.5;
    a.dram_gbps = 64;
    /* 64e9 B/s / 1.5e9 cycles/s = 42.666... B/cycle */
    assert_float_equal(arch_dram_bytes_per_cycle(&a), (64.0 / 1.5), 1e-12);
    a.dram_gbps = 0;
    assert_float_equal(arch_dram_bytes_per_cycle(&a), 0.0, 0.0);
}

static void test_validate_rules(void **state)
{
    (void)state;
    Accel a;
    Err e;
    arch_defaults(&a);
    a.scale_rule = SCALE_TABLE; /* table with no entries */
    assert_int_equal(arch_validate(&a, "x.cfg", &e), QA_ERR);
    assert_string_equal(e.field, "lane_table");
    for (int b = 1; b <= 16; b++)
        a.lane_table[b] = 16.0 / b;
    assert_int_equal(arch_validate(&a, "x.cfg", &e), QA_OK);
    /* more lanes at 8 bits (3) than at 7 (16/7 = 2.29, 2 whole lanes) */
    a.lane_table[8] = 3;
    assert_int_equal(arch_validate(&a, "x.cfg", &e), QA_ERR);
    assert_string_equal(e.field, "lane_table");
    assert_string_equal(e.msg, "lanes at 8 bits (3) exceed lanes at 7 bits "
                               "(2.28571): a narrower MAC must not give fewer lanes");
    a.lane_table[8] = 2;
    assert_int_equal(arch_validate(&a, "x.cfg", &e), QA_OK);
    a.rows = 2048;
    a.cols = 1024;
    assert_int_equal(arch_validate(&a, "x.cfg", &e), QA_ERR);
    assert_string_equal(e.field, "rows");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_validate),
        cmocka_unit_test(test_names_round_trip),
        cmocka_unit_test(test_bytes_per_cycle),
        cmocka_unit_test(test_validate_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
