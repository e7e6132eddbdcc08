/* test_study.c: study files: the default study's axes and its cross
 * product decoded point by point, every axis applied to the chip, the
 * first/last rule, overrides, shards, and every broken study file in
 * tests/bad/ with its exact file:line: field: message. */
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

#include "sim/study/points.h"
#include "sim/study/study.h"

static void test_pact2018(void **state)
{
    (void)state;
    Study s;
    Err e;
    assert_int_equal(study_load(&s, "arch/studies/pact2018.cfg", &e), QA_OK);
    assert_string_equal(s.name, "pact2018");
    assert_string_equal(s.out_dir, "results/pact2018");
    assert_string_equal(s.compare, "pact2018");
    /* 2 batches x 3 bandwidths x 2 first/last x 4 bits */
    assert_int_equal(s.npoints, 48);
    assert_int_equal(s.axes[STUDY_BITS].n, 4);
    assert_string_equal(s.axes[STUDY_BITS].v[3].text, "2/2");
    assert_string_equal(s.axes[STUDY_DRAM].v[0].text, "unlimited");
    assert_string_equal(s.axes[STUDY_DRAM].v[1].text, "64");
    assert_float_equal(s.axes[STUDY_DRAM].v[2].d, 32.0, 0);
    assert_string_equal(s.axes[STUDY_FIRST_LAST].v[1].text, "same");
    assert_string_equal(s.axes[STUDY_ENGINE].v[0].text, "systemc");
    /* Axes the file does not give come from the chip. */
    assert_int_equal(s.axes[STUDY_CORES].n, 1);
    assert_string_equal(s.axes[STUDY_CORES].v[0].text, "4");
    assert_string_equal(s.axes[STUDY_SRAM].v[0].text, "2097152");
    assert_string_equal(s.axes[STUDY_ARRAY].v[0].text, "32x16");
    assert_string_equal(s.axes[STUDY_DATAFLOW].v[0].text, "ws");
    assert_int_equal(s.axes[STUDY_CORES].v[0].line, 0);
    assert_int_equal(s.axes[STUDY_BITS].v[0].line, 34);
    /* The paper's numbers are the study file's data. */
    assert_float_equal(s.claims.area_ratio, 14.0, 0);
    assert_float_equal(s.claims.bw_speedup, 4.5, 0);
    assert_float_equal(s.claims.bw_gbps, 64.0, 0);
    assert_float_equal(s.claims.super_gbps, 32.0, 0);
    assert_float_equal(s.claims.fl_gain, 1.24, 0);
    assert_float_equal(s.claims.energy_exponent, 2.0, 0);
    assert_float_equal(s.claims.energy_tolerance, 0.2, 0);
    /* Baseline and plot groups. */
    assert_true(s.baseline_set[STUDY_BITS]);
    assert_string_equal(s.baseline[STUDY_BITS].text, "16/16");
    assert_string_equal(s.baseline[STUDY_FIRST_LAST].text, "same");
    assert_false(s.baseline_set[STUDY_DRAM]);
    assert_true(s.plot_set[STUDY_BATCH]);
    assert_string_equal(s.plot[STUDY_BATCH].text, "16");

    /* id = ((batch * 3 + dram) * 2 + first_last) * 4 + bits */
    StudyPoint p;
    study_point(&s, 0, &p);
    assert_string_equal(p.v[STUDY_BATCH]->text, "1");
    assert_string_equal(p.v[STUDY_DRAM]->text, "unlimited");
    assert_string_equal(p.v[STUDY_FIRST_LAST]->text, "8");
    assert_string_equal(p.v[STUDY_BITS]->text, "16/16");
    assert_float_equal(p.accel.dram_gbps, 0, 0);
    study_point(&s, 29, &p); /* batch 16, unlimited, same, 8 bits */
    assert_string_equal(p.v[STUDY_BATCH]->text, "16");
    assert_string_equal(p.v[STUDY_DRAM]->text, "unlimited");
    assert_string_equal(p.v[STUDY_FIRST_LAST]->text, "same");
    assert_string_equal(p.v[STUDY_BITS]->text, "8/8");
    assert_int_equal(study_first_last_bits(&p), 8);
    study_point(&s, 34, &p); /* batch 16, 64 GB/s, 8, 4 bits */
    assert_string_equal(p.v[STUDY_DRAM]->text, "64");
    assert_float_equal(p.accel.dram_gbps, 64.0, 0);
    assert_string_equal(p.v[STUDY_BITS]->text, "4/4");
    assert_int_equal(study_first_last_bits(&p), 8);
    assert_true(study_point_in_plot(&s, &p));
    study_point(&s, 47, &p);
    assert_string_equal(p.v[STUDY_DRAM]->text, "32");
    assert_string_equal(p.v[STUDY_FIRST_LAST]->text, "same");
    assert_string_equal(p.v[STUDY_BITS]->text, "2/2");
    assert_int_equal(study_first_last_bits(&p), 2);
    assert_false(study_point_in_plot(&s, &p));

    StudyPoint b;
    study_baseline(&s, &p, &b);
    assert_string_equal(b.v[STUDY_BITS]->text, "16/16");
    assert_int_equal(study_first_last_bits(&b), 16);
    assert_string_equal(b.v[STUDY_DRAM]->text, "32");

    /* --engine analytic: one value replaced, same count. */
    assert_int_equal(study_override(&s, STUDY_ENGINE, "analytic", "--engine", &e), QA_OK);
    assert_int_equal(s.npoints, 48);
    study_point(&s, 5, &p);
    assert_string_equal(p.v[STUDY_ENGINE]->text, "analytic");
    /* Overriding a listed axis shrinks the cross product. */
    assert_int_equal(study_override(&s, STUDY_DRAM, "64", "--bw", &e), QA_OK);
    assert_int_equal(s.npoints, 16);
    assert_int_equal(study_override(&s, STUDY_ENGINE, "fast", "--engine", &e), QA_ERR);
    assert_string_equal(e.field, "--engine");
    assert_string_equal(e.msg, "'fast': expected \"analytic\" or \"systemc\"");
    study_free(&s);
}

static char tmpdir[400];

static const char *write_tmp(const char *name, const char *text)
{
    static char path[600];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

/* Every chip axis reaches the point's Accel; the last axis varies fastest. */
static void test_chip_axes(void **state)
{
    (void)state;
    const char *path = write_tmp("axes.cfg",
        "arch = \"arch/tiny.cfg\";\n"
        "cores = [1, 2];\n"
        "sram_bytes = (\"64 KiB\", 131072);\n"
        "array = [\"16x16\", \"32x8\"];\n"
        "dataflow = [\"ws\", \"os\"];\n"
        "rule = \"area\";\n"
        "placement = [\"cols\", \"both\"];\n"
        "first_last = (\"same\", 4);\n"
        "bits = (8, \"4/2\");\n");
    Study s;
    Err e;
    assert_int_equal(study_load(&s, path, &e), QA_OK);
    assert_int_equal(s.npoints, 128);
    assert_string_equal(s.name, "axes");
    assert_string_equal(s.out_dir, "results/axes");
    assert_string_equal(s.axes[STUDY_SRAM].v[0].text, "65536");
    StudyPoint p;
    study_point(&s, 127, &p);
    assert_int_equal(p.accel.cores, 2);
    assert_int_equal(p.accel.sram_bytes, 131072);
    assert_int_equal(p.accel.rows, 32);
    assert_int_equal(p.accel.cols, 8);
    assert_int_equal(p.accel.dataflow, DF_OS);
    assert_int_equal(p.accel.scale_rule, SCALE_AREA);
    assert_int_equal(p.accel.placement, PLACE_BOTH);
    assert_int_equal(p.v[STUDY_BITS]->i0, 4);
    assert_int_equal(p.v[STUDY_BITS]->i1, 2);
    /* first_last 4 with 4/2 inner bits: 4 */
    assert_int_equal(study_first_last_bits(&p), 4);
    study_point(&s, 126, &p); /* bits 8, first_last 4: at least the inner 8 */
    assert_int_equal(study_first_last_bits(&p), 8);
    study_point(&s, 1, &p); /* "same" with 4/2: the wider, 4 */
    assert_int_equal(study_first_last_bits(&p), 4);
    study_point(&s, 0, &p);
    assert_int_equal(p.accel.cores, 1);
    assert_int_equal(p.accel.sram_bytes, 65536);
    assert_int_equal(p.accel.rows, 16);
    assert_int_equal(p.accel.dataflow, DF_WS);
    /* Point ids 0..63 have 1 core: cores is the slowest chip axis here. */
    study_point(&s, 63, &p);
    assert_int_equal(p.accel.cores, 1);
    study_point(&s, 64, &p);
    assert_int_equal(p.accel.cores, 2);
    study_free(&s);
}

/* The points table's header line for s (caller frees). */
static char *header_text(const Study *s)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (!f)
        return NULL;
    points_print_header(f, s, 0);
    fclose(f);
    return buf;
}

/* The timing axis sets core.timing; like area_model, a points column only
 * when the study names it. */
static void test_timing_axis(void **state)
{
    (void)state;
    const char *path = write_tmp("timing.cfg",
        "arch = \"arch/tiny.cfg\";\n"
        "timing = [\"qarray\", \"scalesim\"];\n");
    Study s;
    Err e;
    assert_int_equal(study_load(&s, path, &e), QA_OK);
    remove(path);
    assert_int_equal(s.npoints, 2);
    assert_true(study_axis_shown(&s, STUDY_TIMING));
    StudyPoint p;
    study_point(&s, 1, &p);
    assert_int_equal(p.accel.timing, TIMING_SCALESIM);
    assert_string_equal(p.v[STUDY_TIMING]->text, "scalesim");
    char *h = header_text(&s);
    assert_non_null(h);
    assert_non_null(strstr(h, ",dataflow,timing,rule,"));
    free(h);
    study_free(&s);

    path = write_tmp("timing_bad.cfg", "arch = \"arch/tiny.cfg\";\n"
                               "timing = \"scale-sim\";\n");
    assert_int_equal(study_load(&s, path, &e), QA_ERR);
    remove(path);
    assert_string_equal(e.field, "timing");

    assert_int_equal(study_load(&s, "arch/studies/pact2018.cfg", &e), QA_OK);
    assert_false(study_axis_shown(&s, STUDY_TIMING));
    h = header_text(&s);
    assert_non_null(h);
    assert_null(strstr(h, "timing"));
    free(h);
    study_free(&s);
}

/* The area model axis: it sets the chip's area.model, and the points table
 * has its column only when the study names it (studies that do not keep
 * the table they had). */
static void test_area_axis(void **state)
{
    (void)state;
    const char *path = write_tmp("area.cfg",
        "arch = \"arch/tiny.cfg\";\n"
        "rule = \"area\";\n"
        "area_model = [\"pact\", \"synth\"];\n"
        "bits = [16, 2];\n");
    Study s;
    Err e;
    assert_int_equal(study_load(&s, path, &e), QA_OK);
    assert_int_equal(s.npoints, 4);
    assert_true(study_axis_shown(&s, STUDY_AREA));
    StudyPoint p;
    study_point(&s, 3, &p);
    assert_int_equal(p.accel.area_model, AREA_SYNTH);
    assert_string_equal(p.v[STUDY_AREA]->text, "synth");
    char *h = header_text(&s);
    assert_non_null(h);
    assert_non_null(strstr(h, ",placement,area_model,dram_gbps,"));
    char key[256];
    points_key(&s, &p, key, sizeof key);
    assert_non_null(strstr(key, ",cols,synth,"));
    free(h);
    study_free(&s);

    assert_int_equal(study_load(&s, "arch/studies/pact2018.cfg", &e), QA_OK);
    assert_false(study_axis_shown(&s, STUDY_AREA));
    assert_string_equal(s.axes[STUDY_AREA].v[0].text, "pact");
    h = header_text(&s);
    assert_non_null(h);
    assert_non_null(strstr(h, ",placement,dram_gbps,"));
    assert_null(strstr(h, "area_model"));
    free(h);
    study_free(&s);

    /* Named only in the plot group: a column, so the slice can be found. */
    path = write_tmp("area_plot.cfg",
        "arch = \"arch/tiny.cfg\";\n"
        "plot = { area_model = \"pact\"; };\n");
    assert_int_equal(study_load(&s, path, &e), QA_OK);
    assert_true(study_axis_shown(&s, STUDY_AREA));
    study_free(&s);

    path = write_tmp("area_bad.cfg",
        "arch = \"arch/tiny.cfg\";\n"
        "area_model = \"gates\";\n");
    assert_int_equal(study_load(&s, path, &e), QA_ERR);
    qt_assert_err(&e, path, 2, "area_model",
                  "\"gates\" is not one of pact|bitfusion|synth");
    static const char *const files[] = {"area.cfg", "area_plot.cfg",
                                        "area_bad.cfg"};
    for (size_t i = 0; i < QA_COUNT(files); i++) {
        char f[600];
        snprintf(f, sizeof f, "%s/%s", tmpdir, files[i]);
        remove(f);
    }
}

static void test_shard_parse(void **state)
{
    (void)state;
    long i, n;
    assert_int_equal(study_parse_shard("0/2", &i, &n), QA_OK);
    assert_int_equal(i, 0);
    assert_int_equal(n, 2);
    assert_int_equal(study_parse_shard("99/100", &i, &n), QA_OK);
    assert_int_equal(study_parse_shard("2/2", &i, &n), QA_ERR);
    assert_int_equal(study_parse_shard("1/0", &i, &n), QA_ERR);
    assert_int_equal(study_parse_shard("-1/2", &i, &n), QA_ERR);
    assert_int_equal(study_parse_shard("a/b", &i, &n), QA_ERR);
    assert_int_equal(study_parse_shard("3", &i, &n), QA_ERR);
}

typedef struct {
    const char *file;
    int line;
    const char *field;
    const char *msg;
} Bad;

static void test_bad_files(void **state)
{
    (void)state;
    static const Bad bad[] = {
        {"tests/bad/study_unknown.cfg", 3, "bitz", "unknown key (qarray sweep --help lists them)"},
        {"tests/bad/study_empty.cfg", 2, "bits", "empty list: give at least one value"},
        {"tests/bad/study_bits.cfg", 4, "bits", "17: expected bits (an integer 1..16)"},
        {"tests/bad/study_bits_pair.cfg", 2, "bits", "\"4-2\": expected bits 1..16 or \"W/A\""},
        {"tests/bad/study_bw.cfg", 2, "dram_gbps", "expected a number of GB/s or \"unlimited\", got \"fast\""},
        {"tests/bad/study_noarch.cfg", 0, "arch", "missing: the architecture file of the base chip"},
        {"tests/bad/study_dup.cfg", 2, "bits", "8/8 is listed twice"},
        {"tests/bad/study_plot.cfg", 3, "plot.batch", "16 is not a value of the batch axis"},
        {"tests/bad/study_baseline.cfg", 4, "baseline.bitz", "unknown axis (see qarray sweep --help)"},
        {"tests/bad/study_array.cfg", 2, "array", "\"32by16\": expected \"ROWSxCOLS\" (e.g. \"32x16\")"},
        {"tests/bad/study_syntax.cfg", 2, "", "syntax error"},
        {"tests/bad/study_arch.cfg", 1, "arch", "tests/bad/arch_range.cfg:1: cores: must be in 1..4096, is 0"},
        {"tests/bad/study_compare.cfg", 2, "compare", "\"pact2019\" is not one of pact2018|none"},
        {"tests/bad/study_claims.cfg", 3, "claims.bw_speedup", "must be in 1..1000 x, is 0.5"},
        {"tests/bad/study_claims_key.cfg", 2, "claims.bw_speeedup", "unknown key (qarray sweep --help lists them)"},
        {"tests/bad/study_sram.cfg", 2, "sram_bytes", "\"2 MeB\" is not a size (e.g. 2097152 or \"2 MiB\")"},
        {"tests/bad/study_group.cfg", 2, "bits", "expected a value or a list of values, got a group"},
        {"tests/bad/study_dataflow.cfg", 2, "dataflow", "\"xs\" is not one of ws|os|is"},
        {"tests/bad/study_batch.cfg", 2, "batch", "0: expected a batch size (an integer 1..65536)"},
        {"tests/bad/study_input_shape.cfg", 4, "input_shape", "no workload of the study is an ONNX model (.onnx): the shapes would apply to nothing"},
        {"tests/bad/study_input_shape_empty.cfg", 4, "input_shape", "empty list: give at least one NAME=D0xD1x... or leave input_shape out"},
        {"tests/bad/no_such_study.cfg", 0, "", "cannot open study file"},
    };
    for (size_t i = 0; i < QA_COUNT(bad); i++) {
        Study s;
        Err e;
        err_clear(&e);
        if (study_load(&s, bad[i].file, &e) != QA_ERR)
            fail_msg("%s: loaded without error", bad[i].file);
        qt_assert_err(&e, bad[i].file, bad[i].line, bad[i].field, bad[i].msg);
    }
}

/* Every allocation of the loader may fail: a clean error, no leak. */
static void test_alloc_failures(void **state)
{
    (void)state;
    for (long n = 1;; n++) {
        Study s;
        Err e;
        qa_alloc_fail_at(n);
        int rc = study_load(&s, "arch/studies/pact2018.cfg", &e);
        qa_alloc_fail_at(0);
        if (rc == QA_OK) {
            study_free(&s);
            assert_true(n > 3);
            break;
        }
        /* out of memory in the study or in its architecture file */
        assert_non_null(strstr(e.msg, "out of memory"));
    }
}

static int setup(void **state)
{
    (void)state;
    const char *tmp = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/qa_study.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char path[600];
    snprintf(path, sizeof path, "%s/axes.cfg", tmpdir);
    remove(path);
    return rmdir(tmpdir);
}

/* Limits: a cross product over 2^24 points is refused when the study is
 * read, naming the axis that crossed the line, before a sweep sizes its
 * list of points (2^32 points made it fill memory). */
static void test_too_many_points(void **state)
{
    (void)state;
    char path[600];
    snprintf(path, sizeof path, "%s/big.cfg", tmpdir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("arch = \"arch/tiny.cfg\";\nbatch = [", f);
    for (int i = 1; i <= 4096; i++)
        fprintf(f, "%s%d", i > 1 ? ", " : "", i);
    fputs("];\ncores = [", f);
    for (int i = 1; i <= 4096; i++)
        fprintf(f, "%s%d", i > 1 ? ", " : "", i);
    fputs("];\nbits = [16, 8];\n", f);
    fclose(f);
    Study s;
    Err e;
    assert_int_equal(study_load(&s, path, &e), QA_ERR);
    remove(path);
    assert_int_equal(e.line, 4);
    assert_string_equal(e.field, "bits");
    assert_string_equal(e.msg, "more than 2^24 (16777216) points in the cross "
                               "product: split the study");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pact2018),
        cmocka_unit_test(test_chip_axes),
        cmocka_unit_test(test_area_axis),
        cmocka_unit_test(test_timing_axis),
        cmocka_unit_test(test_shard_parse),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_alloc_failures),
        cmocka_unit_test(test_too_many_points),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
