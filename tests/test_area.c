/* test_area.c: MAC area calibration (PACT Fig. 6b: ~14x from 16 to 2 bits),
 * Bit Fusion table, chip area and peak TOPS by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "models/area.h"

static void test_pact_calibration(void **state)
{
    (void)state;
    Accel a;
    arch_defaults(&a);
    /* (256 + 16k) / (4 + 2k) with k = 50/3: 522.67 / 37.33 = 14 exactly */
    assert_float_equal(area_ratio(&a, 2), 14.0, 1e-9);
    /* 8 bits: 522.67 / (64 + 133.33) = 2.6486; 4 bits: / 82.67 = 6.3226 */
    assert_float_equal(area_ratio(&a, 8), (522.0 / 197.1), 0.01);
    assert_float_equal(area_ratio(&a, 4), 6.3226, 1e-3);
    assert_float_equal(area_mac_um2(&a, 16), a.mac16_um2, 1e-9);
}

static void test_bitfusion_table(void **state)
{
    (void)state;
    Accel a;
    arch_defaults(&a);
    a.area_model = AREA_BITFUSION;
    a.mac16_um2 = 1679;
    /* The table points come back exactly. */
    assert_float_equal(area_mac_um2(&a, 2), 81, 1e-9);
    assert_float_equal(area_mac_um2(&a, 4), 192, 1e-9);
    assert_float_equal(area_mac_um2(&a, 8), 511, 1e-9);
    /* Between points: monotone. */
    assert_true(area_mac_um2(&a, 3) > 81 && area_mac_um2(&a, 3) < 192);
    assert_float_equal(area_ratio(&a, 2), (1679.0 / 81.0), 1e-9);
}

static void test_chip_report(void **state)
{
    (void)state;
    Accel a;
    arch_defaults(&a);
    a.cores = 4;
    a.rows = 32;
    a.cols = 16;
    a.clock_ghz = 1.5;
    a.sram_bytes = 2 * 1024 * 1024;
    a.mac16_um2 = 160;
    a.sram_mm2_per_kib = 0.001;
    a.core_overhead_mm2 = 0.25;
    AreaReport r;
    area_report(&a, 16, &r);
    /* 4 * 512 PEs * 160 um2 = 0.32768 mm2; 4 * 2048 KiB * 0.001 = 8.192 */
    assert_float_equal(r.pe_mm2, 0.32768, 1e-12);
    assert_float_equal(r.sram_mm2, 8.192, 1e-12);
    assert_float_equal(r.chip_mm2, (0.32768 + 8.192 + 1.0), 1e-12);
    assert_true(r.macs_per_cycle == 2048);
    /* 2 ops * 2048 MACs * 1.5 GHz = 6.144 TOPS */
    assert_float_equal(r.peak_tops, 6.144, 1e-12);
    AreaReport r4;
    area_report(&a, 4, &r4);
    /* Iso-area: same mm2, linear rule gives 4x the MACs. */
    assert_float_equal(r4.chip_mm2, r.chip_mm2, 0);
    assert_true(r4.macs_per_cycle == 4 * 2048);
    assert_float_equal(r4.tops_per_mm2, (4 * r.tops_per_mm2), 1e-12);
}

/* An APoT chip's peak: 7 lanes per PE at 4 bits, 2 cycles per MAC:
 * 4 cores * 512 PEs * 7 / 2 = 7168 MACs per cycle. */
static void test_apot_peak(void **state)
{
    (void)state;
    Accel a;
    arch_defaults(&a);
    a.cores = 4;
    a.rows = 32;
    a.cols = 16;
    a.pe = PE_APOT;
    AreaReport r;
    area_report(&a, 4, &r);
    assert_true(r.macs_per_cycle == 7168);
    assert_float_equal(area_apot_ratio(&a, 4), 7.0, 1e-9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pact_calibration),
        cmocka_unit_test(test_bitfusion_table),
        cmocka_unit_test(test_chip_report),
        cmocka_unit_test(test_apot_peak),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
