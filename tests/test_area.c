/* test_area.c: MAC area calibration (PACT Fig. 6b: ~14x from 16 to 2 bits),
 * Bit Fusion table, the synthesized model against the committed synthesis
 * data (models/rtl/mac_area.csv), chip area and peak TOPS by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "models/area.h"
#include "tests/qtest.h"
#include "models/area_synth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* The table of area_synth.c is models/rtl/mac_area.csv row for row, and
 * the synth model's ratios are the data's gate-equivalent ratios. */
static void test_synth_data(void **state)
{
    (void)state;
    FILE *f = fopen("models/rtl/mac_area.csv", "r");
    assert_non_null(f);
    char line[512];
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "kind,bits,lanes,acc_bits,cells,not,nand,nor,"
                              "and,or,xor,xnor,mux,dff,transistors,ge\n");
    int n = 0;
    double ge16 = 0;
    while (fgets(line, sizeof line, f)) {
        char kind[16];
        int bits, lanes, acc, cells, g[9];
        long long tr;
        double ge;
        assert_int_equal(sscanf(line, "%15[^,],%d,%d,%d,%d,%d,%d,%d,%d,%d,"
                                      "%d,%d,%d,%d,%lld,%lf", kind, &bits,
                                &lanes, &acc, &cells, &g[0], &g[1], &g[2],
                                &g[3], &g[4], &g[5], &g[6], &g[7], &g[8], &tr,
                                &ge), 16);
        const AreaSynthMac *m = area_synth_row(n++);
        assert_non_null(m);
        assert_string_equal(m->kind, kind);
        assert_int_equal(m->bits, bits);
        assert_int_equal(m->lanes, lanes);
        assert_int_equal(m->acc_bits, acc);
        assert_int_equal(m->cells, cells);
        assert_int_equal(m->transistors, tr);
        assert_float_equal(m->ge, ge, 0);
        /* The weights of the script: NOT 2, NAND 4, NOR 4, AND 6, OR 6,
         * XOR 12, XNOR 12, MUX 12, DFF 16; GE = transistors / 4. */
        static const int w[9] = {2, 4, 4, 6, 6, 12, 12, 12, 16};
        long long sum = 0;
        int sum_cells = 0;
        for (int i = 0; i < 9; i++) {
            sum += (long long)g[i] * w[i];
            sum_cells += g[i];
        }
        assert_int_equal(sum, tr);
        assert_int_equal(sum_cells, cells);
        QT_CLOSE(ge, tr / 4.0, 0);
        if (!strcmp(kind, "fixed") && bits == 16)
            ge16 = ge;
    }
    fclose(f);
    assert_int_equal(n, area_synth_count());
    assert_true(ge16 > 0);

    Accel a;
    arch_defaults(&a);
    a.area_model = AREA_SYNTH;
    static const int pts[] = {2, 3, 4, 8, 16};
    for (size_t i = 0; i < QA_COUNT(pts); i++) {
        const AreaSynthMac *m = area_synth_find("fixed", pts[i]);
        assert_non_null(m);
        QT_CLOSE(area_ratio(&a, pts[i]), ge16 / m->ge, 1e-12);
        QT_CLOSE(area_mac_um2(&a, pts[i]), a.mac16_um2 * m->ge / ge16, 1e-9);
    }
    /* 585 GE at 2 bits, 3833 at 16: 6.55x, not PACT's 14x. */
    QT_CLOSE(area_ratio(&a, 2), 3833.0 / 585.0, 1e-12);
    /* Between the points: interpolated, monotone. */
    for (int b = 2; b < 16; b++)
        assert_true(area_mac_um2(&a, b) < area_mac_um2(&a, b + 1));
    /* The configurable MAC: 8 lanes at 2 bits in 9236 GE against one
     * 16-bit lane in 3833: 8 * 3833 / 9236 = 3.32x the MACs per area. */
    QT_CLOSE(area_synth_config_density(2), 8 * 3833.0 / 9236.0, 1e-12);
    QT_CLOSE(area_synth_config_density(16), 3833.0 / 9236.0, 1e-12);
    QT_CLOSE(area_synth_config_density(3), 0, 0);
    assert_null(area_synth_find("config", 3));
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
        cmocka_unit_test(test_synth_data),
        cmocka_unit_test(test_chip_report),
        cmocka_unit_test(test_apot_peak),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
