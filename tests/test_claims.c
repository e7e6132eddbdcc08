/* test_claims.c: the PACT Section 6 comparison on the default study run
 * with the analytic engine: the model's numbers, the verdicts, the
 * deviation from the paper, the DRAM explanation, the energy claims with
 * where the energy goes, and the summary line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "tests/qtest.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/study/claims.h"
#include "sim/study/sweep.h"

static char root[400];

static void expect_line(const char *text, const char *line)
{
    if (!strstr(text, line))
        fail_msg("missing line \"%s\" in:\n%s", line, text);
}

static void test_pact2018(void **state)
{
    (void)state;
    Study s;
    Err e;
    SweepResult r;
    assert_int_equal(study_load(&s, "arch/studies/pact2018.cfg", &e), QA_OK);
    assert_int_equal(study_override(&s, STUDY_ENGINE, "analytic", "engine", &e), QA_OK);
    snprintf(s.out_dir, sizeof s.out_dir, "%s", root);
    SweepOpts o = {2, 0, 1, 0, 0};
    assert_int_equal(sweep_run(&s, &o, &r, &e), QA_OK);

    char *text = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&text, &n);
    assert_non_null(f);
    assert_int_equal(claims_print(&s, r.table, f, &e), QA_OK);
    fclose(f);
    expect_line(text, "PACT Section 6 vs qarray: pact2018, analytic engine, batch=1\n");
    expect_line(text, "PACT Section 6 vs qarray: pact2018, analytic engine, batch=16\n");
    expect_line(text, "MAC area 16 -> 2 bits (Fig. 6b)    ~14x smaller       14.00x        holds   +0% vs 14x\n");
    /* What synthesis of qarray's own MACs says, whatever the model. */
    expect_line(text, "  synthesized: fixed MACs          ~14x smaller       6.55x         FAILS   -53% vs 14x, Yosys, 32-bit acc.\n");
    expect_line(text, "  synthesized: configurable MAC    ~14x smaller       3.32x         FAILS   -76% vs 14x, 8 lanes of 2 bits\n");
    /* batch 16: the paper's super-linearity at 64 and 32 GB/s. */
    expect_line(text, "unlimited BW: 16 -> 8, 4 bits      near-linear        2.00x, 3.87x  holds   100%, 97% of linear\n");
    expect_line(text, "unlimited BW: 16 -> 2 bits         small drop         6.60x         holds   83% of 8x\n");
    expect_line(text, "64 GB/s: 16 -> 4 bits              >= 4.5x (4x peak)  4.67x         holds   +3.8% vs 4.5x\n");
    expect_line(text, "32 GB/s: 16 -> 4 bits              super-linear       5.59x         holds   1.40x the 4x peak\n");
    /* batch 1: only weights cross DRAM, no super-linearity. */
    expect_line(text, "64 GB/s: 16 -> 4 bits              >= 4.5x (4x peak)  3.63x         FAILS   -19.4% vs 4.5x\n");
    expect_line(text, "first/last at 4, 2 bits, not 8     1.24x more         1.03x, 1.06x  FAILS   -17%, -14% vs 1.24x\n");
    /* The explanation: 16 -> 4 bits at batch 16 cuts DRAM traffic 10x. */
    expect_line(text, "16/16      1.00x      1116.8        71.5     1045.3       35 of 72      27 of 72\n");
    expect_line(text, "4/4        4.67x       112.6        13.8       98.8       66 of 72      11 of 72\n");
    /* Energy (FAQ: "scales down quadratically"): the MAC alone 16 -> 4
     * bits 5.3x of 16x, the chip at batch 1 3.2x; where it goes. */
    expect_line(text, "MAC energy 16 -> 4, 2 bits (FAQ)   ~b^2: 16x, 64x     5.29x, 9.6x   FAILS   b^1.20, b^1.09 (b^2)\n");
    expect_line(text, "chip energy 16 -> 4, 2 bits (FAQ)  ~b^2: 16x, 64x     3.24x, 5.0x   FAILS   b^0.85, b^0.78 (b^2)\n");
    expect_line(text, "chip energy 16 -> 4, 2 bits (FAQ)  ~b^2: 16x, 64x     4.54x, 7.5x   FAILS   b^1.09, b^0.97 (b^2)\n");
    expect_line(text, "16/16           7726.8     499.7     507.1    3371.5    3283.8      64.8    1.00x\n");
    expect_line(text, "2/2             1184.7      52.1     161.7     870.7      92.3       7.9    7.53x\n");
    expect_line(text, "b^x, 16->2        0.97      1.09      0.54      0.65      1.87      1.07\n");
    expect_line(text, "  SRAM    73%  b^0.65: operand bytes ~ b, partial sums of w + a + log2 K bits\n");
    expect_line(text, "claims holding, of the groups that have the points: area 2/2, "
                      "lin 2/2, drop 1/2, bw64 1/2, bw32 1/2, fl 0/2, emac 0/2, "
                      "esys 0/2\n");
    free(text);

    /* A table without the claim's points: n/a, not a wrong verdict. */
    char one[1100];
    snprintf(one, sizeof one, "%s/one.csv", root);
    f = fopen(one, "w");
    assert_non_null(f);
    FILE *src = fopen(r.table, "r");
    assert_non_null(src);
    char line[4096];
    for (int i = 0; i < 3 && fgets(line, sizeof line, src); i++)
        fputs(line, f);
    fclose(src);
    fclose(f);
    f = open_memstream(&text, &n);
    assert_int_equal(claims_print(&s, one, f, &e), QA_OK);
    fclose(f);
    expect_line(text, "64 GB/s: 16 -> 4 bits              >= 4.5x (4x peak)  -             n/a");
    free(text);
    study_free(&s);
}

static int setup(void **state)
{
    (void)state;
    const char *tmp = getenv("TMPDIR");
    snprintf(root, sizeof root, "%s/qa_claims.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return qt_rmtree(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pact2018),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
