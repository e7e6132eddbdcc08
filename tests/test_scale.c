/* test_scale.c: lanes per PE for every rule at 16/8/4/2 bits, and the
 * effective array shape for every placement. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "models/area.h"
#include "models/scale.h"

static void test_rules(void **state)
{
    (void)state;
    Accel a;
    arch_defaults(&a);
    static const int bits[] = {16, 8, 4, 2, 3};
    /* linear 16/b; quadratic (16/b)^2; area floor(ratio) with the pact model
     * ratios 1, 2.65, 6.32, 14.0 and 8.86 at 3 bits (522.67 / (9 + 50)) */
    static const int linear[] = {1, 2, 4, 8, 5};
    static const int quad[] = {1, 4, 16, 64, 28};
    static const int area[] = {1, 2, 6, 14, 8};
    for (size_t i = 0; i < 5; i++) {
        a.scale_rule = SCALE_LINEAR;
        assert_int_equal(scale_lanes(&a, bits[i]), linear[i]);
        a.scale_rule = SCALE_QUADRATIC;
        assert_int_equal(scale_lanes(&a, bits[i]), quad[i]);
        a.scale_rule = SCALE_AREA;
        assert_int_equal(scale_lanes(&a, bits[i]), area[i]);
    }
    a.scale_rule = SCALE_TABLE;
    for (int b = 1; b <= 16; b++)
        a.lane_table[b] = b == 4 ? 3.5 : 1;
    assert_int_equal(scale_lanes(&a, 4), 3);
    assert_int_equal(scale_lanes(&a, 8), 1);
}

static void test_placement(void **state)
{
    (void)state;
    Accel a;
    arch_defaults(&a);
    a.rows = 32;
    a.cols = 16;
    int r, c;
    a.placement = PLACE_COLS;
    scale_array(&a, 2, &r, &c);
    assert_int_equal(r, 32);
    assert_int_equal(c, 128);
    a.placement = PLACE_ROWS;
    scale_array(&a, 2, &r, &c);
    assert_int_equal(r, 256);
    assert_int_equal(c, 16);
    a.placement = PLACE_BOTH;
    scale_array(&a, 2, &r, &c); /* 8 lanes -> 2 x 4 */
    assert_int_equal(r, 64);
    assert_int_equal(c, 64);
    scale_array(&a, 4, &r, &c); /* 4 lanes -> 2 x 2 */
    assert_int_equal(r, 64);
    assert_int_equal(c, 32);
    scale_array(&a, 16, &r, &c);
    assert_int_equal(r, 32);
    assert_int_equal(c, 16);
}

/* APoT shift-add lanes: the pact area split (multiplier b^2, rest (50/3) b)
 * with the multiplier replaced by ~2b: lane ratio 522.67 / (2b + 16.67b):
 * 4 bits 7.0, 2 bits 14.0; ceil(w/2) cycles per MAC. */
static void test_apot(void **state)
{
    (void)state;
    Accel a;
    arch_defaults(&a);
    a.pe = PE_APOT;
    assert_int_equal(scale_apot_lanes(&a, 4), 7);
    assert_int_equal(scale_apot_lanes(&a, 2), 14);
    assert_int_equal(scale_apot_lanes(&a, 16), 1);
    assert_int_equal(scale_cycles_per_mac(&a, 4, 4), 2);
    assert_int_equal(scale_cycles_per_mac(&a, 3, 4), 2);
    assert_int_equal(scale_cycles_per_mac(&a, 5, 4), 3);
    int r, c;
    a.rows = 32;
    a.cols = 16;
    scale_array(&a, 4, &r, &c);
    assert_int_equal(c, 16 * 7);
    a.pe = PE_UNIFORM;
    assert_int_equal(scale_cycles_per_mac(&a, 4, 4), 1);
}

/* Bits above base_bits: digit by digit on the base_bits lane. A chip of
 * 4-bit lanes takes 16 cycles for a 16-bit MAC (4 x 4 digits), 2 for
 * 8-bit weights on 4-bit activations, 1 at or below 4 bits; an int32 sum
 * on a 16-bit lane 2. The vector unit makes one pass per digit. */
static void test_bits_above_base(void **state)
{
    (void)state;
    Accel a;
    arch_defaults(&a);
    a.base_bits = 4;
    assert_int_equal(scale_cycles_per_mac(&a, 16, 16), 16);
    assert_int_equal(scale_cycles_per_mac(&a, 8, 4), 2);
    assert_int_equal(scale_cycles_per_mac(&a, 4, 8), 2);
    assert_int_equal(scale_cycles_per_mac(&a, 5, 5), 4);
    assert_int_equal(scale_cycles_per_mac(&a, 4, 4), 1);
    assert_int_equal(scale_cycles_per_mac(&a, 2, 3), 1);
    assert_int_equal(scale_vector_passes(&a, 16), 4);
    assert_int_equal(scale_vector_passes(&a, 4), 1);
    a.pe = PE_APOT; /* ceil(w/2) terms, times the activation digits */
    assert_int_equal(scale_cycles_per_mac(&a, 4, 8), 4);
    a.base_bits = 16;
    a.pe = PE_UNIFORM;
    assert_int_equal(scale_cycles_per_mac(&a, 16, 32), 2);
    assert_int_equal(scale_cycles_per_mac(&a, 16, 16), 1);
    assert_int_equal(scale_vector_passes(&a, 32), 2);
    /* the peak follows: 4-bit lanes at 16 bits, 1/16 of their 4-bit peak */
    AreaReport lo, hi;
    a.base_bits = 4;
    area_report(&a, 4, &lo);
    area_report(&a, 16, &hi);
    assert_true(lo.macs_per_cycle == 16 * hi.macs_per_cycle);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_placement),
        cmocka_unit_test(test_apot),
        cmocka_unit_test(test_bits_above_base),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
