/* test_arch_cfg.c: the presets load; every broken file in tests/bad/ gives
 * its exact file:line: key: message; save -> load is the identity. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "tests/qtest.h"
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "arch/arch.h"

static void test_pact2018(void **state)
{
    (void)state;
    Accel a;
    Err e;
    assert_int_equal(arch_load(&a, "arch/pact2018.cfg", &e), QA_OK);
    assert_string_equal(a.name, "pact2018");
    assert_int_equal(a.cores, 4);
    assert_int_equal(a.rows, 32);
    assert_int_equal(a.cols, 16);
    assert_int_equal(a.sram_bytes, 2 * 1024 * 1024); /* "2 MiB" */
    assert_float_equal(a.clock_ghz, 1.5, 0);
    assert_float_equal(a.dram_gbps, 64.0, 0);
    assert_int_equal(a.dram_latency_cycles, 150);
    assert_int_equal(a.scale_rule, SCALE_LINEAR);
    assert_int_equal(a.placement, PLACE_COLS);
    assert_true(a.double_buffer);
    /* the energy group: Horowitz's 45 nm numbers, scaled to 14 nm */
    assert_true(a.energy.set);
    assert_int_equal(a.energy.mac, EMAC_FORMULA);
    assert_float_equal(a.energy.mul8_pj, 0.2, 0);
    assert_int_equal(a.energy.sram_ref_bytes, 128 * 1024);
    assert_float_equal(a.energy.dram_pj_per_bit, 8.0, 0);
    assert_float_equal(a.energy.scale, 0.1377, 0);
}

static void test_tiny(void **state)
{
    (void)state;
    Accel a;
    Err e;
    assert_int_equal(arch_load(&a, "arch/tiny.cfg", &e), QA_OK);
    assert_int_equal(a.sram_bytes, 64 * 1024);
    assert_int_equal(a.rows * a.cols, 64);
    assert_true(a.energy.set);
    Accel b;
    assert_int_equal(arch_load(&b, "arch/bitfusion45.cfg", &e), QA_OK);
    assert_int_equal(b.energy.mac, EMAC_TABLE);
    assert_int_equal(arch_energy_table_len(b.energy.table_bits), 4);
}

typedef struct {
    const char *file;
    int line;
    const char *field;
    const char *msg; /* prefix of the message */
} Bad;

static void test_bad_files(void **state)
{
    (void)state;
    static const Bad bad[] = {
        {"tests/bad/arch_range.cfg", 1, "cores", "must be in 1..4096, is 0"},
        {"tests/bad/arch_unknown.cfg", 4, "core.colz", "unknown key"},
        {"tests/bad/arch_enum.cfg", 2, "core.dataflow", "\"zz\" is not one of ws|os|is"},
        {"tests/bad/arch_syntax.cfg", 2, "", "syntax error"},
        {"tests/bad/arch_type.cfg", 1, "clock_ghz", "expected a number, got \"fast\""},
        {"tests/bad/arch_bw.cfg", 2, "dram.gbps", "expected a number of GB/s or \"unlimited\""},
        {"tests/bad/arch_size.cfg", 2, "core.sram_bytes", "\"2 MeB\" is not a size"},
        {"tests/bad/arch_table.cfg", 0, "lane_table", "scale_rule \"table\" needs lanes >= 1"},
        {"tests/bad/arch_float_int.cfg", 1, "cores", "expected an integer, got a number"},
        {"tests/bad/no_such_file.cfg", 0, "", "cannot open"},
    };
    for (size_t i = 0; i < QA_COUNT(bad); i++) {
        Accel a;
        Err e;
        err_clear(&e);
        if (arch_load(&a, bad[i].file, &e) != QA_ERR)
            fail_msg("%s: loaded without error", bad[i].file);
        qt_assert_err(&e, bad[i].file, bad[i].line, bad[i].field, bad[i].msg);
    }
}

static void test_save_load_identity(void **state)
{
    (void)state;
    Accel a, b;
    Err e;
    assert_int_equal(arch_load(&a, "arch/pact2018.cfg", &e), QA_OK);
    a.scale_rule = SCALE_TABLE;
    for (int i = 1; i <= 16; i++)
        a.lane_table[i] = 16.0 / i;
    a.dram_gbps = 0; /* "unlimited" must round-trip too */
    char path[64];
    snprintf(path, sizeof path, "test_arch_cfg_%d.cfg", (int)getpid());
    assert_int_equal(arch_save(&a, path, &e), QA_OK);
    assert_int_equal(arch_load(&b, path, &e), QA_OK);
    remove(path);
    assert_memory_equal(&a, &b, sizeof a);
}

/* Regression (fuzz_arch_cfg): a name holding a backslash or a quote was
 * written unescaped into the effective config, which then did not load
 * back (`name = "\";` is a syntax error). */
static void test_save_escapes_name(void **state)
{
    (void)state;
    char in[64], out[64];
    snprintf(in, sizeof in, "test_arch_cfg_in_%d.cfg", (int)getpid());
    snprintf(out, sizeof out, "test_arch_cfg_out_%d.cfg", (int)getpid());
    FILE *f = fopen(in, "w");
    assert_non_null(f);
    fputs("name = \"a\\\\b \\\"q\\\" \\x01\\t\";\n", f);
    fclose(f);
    Accel a, b;
    Err e;
    assert_int_equal(arch_load(&a, in, &e), QA_OK);
    remove(in);
    assert_string_equal(a.name, "a\\b \"q\" \x01\t");
    assert_int_equal(arch_save(&a, out, &e), QA_OK);
    int rc = arch_load(&b, out, &e);
    remove(out);
    if (rc != QA_OK)
        fail_msg("effective config does not load back: %s", e.msg);
    assert_string_equal(b.name, a.name);
    assert_memory_equal(&a, &b, sizeof a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pact2018),
        cmocka_unit_test(test_tiny),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_save_load_identity),
        cmocka_unit_test(test_save_escapes_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
