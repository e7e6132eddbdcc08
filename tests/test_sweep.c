/* test_sweep.c: the tiny study (32 points of ResNet-20 on arch/tiny.cfg,
 * analytic engine) end to end: points.csv rows and values, agreement with
 * point_run, parallel == serial, resume skips finished points and gives
 * the same bytes, shards 0/2 + 1/2 merged == the unsharded run, merge
 * refuses duplicates, missing points and rows of another study, a stale
 * point file is refused, a failing point leaves no table. */
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
#include "sim/study/sweep.h"
#include "sim/report/table.h"

static char root[400];

static void load_tiny(Study *s, const char *sub)
{
    Err e;
    assert_int_equal(study_load(s, "tests/studies/tiny.cfg", &e), QA_OK);
    snprintf(s->out_dir, sizeof s->out_dir, "%s/%s", root, sub);
}

static void run(const Study *s, int jobs, long si, long sn, int resume,
                SweepResult *r)
{
    SweepOpts o = {jobs, si, sn, resume, 0};
    Err e;
    if (sweep_run(s, &o, r, &e) != QA_OK) {
        err_print(&e, stderr);
        fail();
    }
}

static void test_points_csv(void **state)
{
    (void)state;
    Study s;
    SweepResult r;
    load_tiny(&s, "serial");
    assert_int_equal(s.npoints, 32);
    run(&s, 1, 0, 1, 0, &r);
    assert_int_equal(r.points, 32);
    assert_int_equal(r.run, 32);
    assert_int_equal(r.skipped, 0);

    Table t;
    Err e;
    assert_int_equal(table_read(&t, r.table, &e), QA_OK);
    assert_int_equal(t.nrows, 32);
    int c_id = table_col(&t, "point"), c_bits = table_col(&t, "bits");
    int c_cyc = table_col(&t, "cycles"), c_sp = table_col(&t, "speedup");
    int c_base = table_col(&t, "baseline_cycles");
    int c_fl = table_col(&t, "first_last_bits");
    assert_true(c_id == 0 && c_bits > 0 && c_cyc > 0 && c_sp > 0 && c_base > 0);
    for (int i = 0; i < 32; i++)
        assert_int_equal(atoi(table_get(&t, i, c_id)), i);
    /* Point 0: batch 1, unlimited, 16 bits: its own baseline. The cycle
     * count is the analytic model's (golden value). */
    assert_string_equal(table_get(&t, 0, c_bits), "16/16");
    assert_string_equal(table_get(&t, 0, c_cyc), "248350");
    assert_string_equal(table_get(&t, 0, c_base), "248350");
    assert_float_equal(table_num(&t, 0, c_sp), 1.0, 0);
    /* Point 3: 2 bits with first/last at 8; point 7: first/last "same". */
    assert_string_equal(table_get(&t, 3, c_bits), "2/2");
    assert_string_equal(table_get(&t, 3, c_fl), "8");
    assert_string_equal(table_get(&t, 7, c_fl), "2");
    assert_true(table_num(&t, 7, c_sp) > table_num(&t, 3, c_sp));

    /* Each row is what point_run gives for the point, also where the sweep
     * reused a baseline or an identical run (16 bits, first_last 8 or same). */
    for (int64_t id = 0; id < 32; id++) {
        StudyPoint p;
        PointSpec ps;
        RunRecord rec;
        study_point(&s, id, &p);
        sweep_point_spec(&p, &ps);
        assert_int_equal(point_run(&ps, &rec, NULL, NULL, &e), QA_OK);
        assert_int_equal(atoll(table_get(&t, (int)id, c_cyc)), rec.cycles);
        assert_int_equal(atoll(table_get(&t, (int)id, c_base)), rec.base_cycles);
    }
    table_free(&t);

    /* The layer CSV of a point: one row per ResNet-20 layer. */
    char path[1100];
    points_layers_path(&s, 5, path, sizeof path);
    assert_int_equal(table_read(&t, path, &e), QA_OK);
    assert_int_equal(t.nrows, 32);
    assert_string_equal(table_get(&t, 0, table_col(&t, "layer")), "conv1");
    table_free(&t);
    study_free(&s);
}

static void test_parallel_and_resume(void **state)
{
    (void)state;
    Study s1, s2;
    SweepResult r;
    char path[1100];
    load_tiny(&s1, "serial");
    load_tiny(&s2, "parallel");
    snprintf(path, sizeof path, "%s/points.csv", s1.out_dir);
    char *serial = qt_slurp(path);
    assert_non_null(serial);

    run(&s2, 2, 0, 1, 0, &r);
    char *par = qt_slurp(r.table);
    assert_string_equal(par, serial);
    free(par);

    /* Resume with everything done: nothing runs, same bytes. */
    run(&s2, 2, 0, 1, 1, &r);
    assert_int_equal(r.run, 0);
    assert_int_equal(r.skipped, 32);
    par = qt_slurp(r.table);
    assert_string_equal(par, serial);
    free(par);

    /* Three points lost (a killed run): only those run again. */
    for (int64_t id = 10; id < 13; id++) {
        points_point_path(&s2, id, path, sizeof path);
        assert_int_equal(remove(path), 0);
    }
    run(&s2, 2, 0, 1, 1, &r);
    assert_int_equal(r.run, 3);
    assert_int_equal(r.skipped, 29);
    par = qt_slurp(r.table);
    assert_string_equal(par, serial);
    free(par);

    /* A point file of another study is refused, not reused. */
    points_point_path(&s2, 4, path, sizeof path);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("point,bits\n4,8/8\n", f);
    fclose(f);
    SweepOpts o = {1, 0, 1, 1, 0};
    Err e;
    assert_int_equal(sweep_run(&s2, &o, &r, &e), QA_ERR);
    assert_string_equal(e.file, path);
    assert_string_equal(e.field, "point");
    assert_true(strstr(e.msg, "not point 4 of study tests/studies/tiny.cfg") == e.msg);
    free(serial);
    study_free(&s1);
    study_free(&s2);
}

static void test_shards_and_merge(void **state)
{
    (void)state;
    Study s;
    SweepResult r;
    Err e;
    char t0[1100], t1[1100], out[1100], ref[1100];
    load_tiny(&s, "sharded");
    run(&s, 1, 0, 2, 0, &r);
    assert_int_equal(r.points, 16);
    snprintf(t0, sizeof t0, "%s", r.table);
    assert_true(strstr(t0, "/sharded/points.shard-0-of-2.csv") != NULL);
    run(&s, 2, 1, 2, 0, &r);
    assert_int_equal(r.points, 16);
    snprintf(t1, sizeof t1, "%s", r.table);
    /* Shard 1 holds the odd ids only. */
    Table t;
    assert_int_equal(table_read(&t, t1, &e), QA_OK);
    assert_int_equal(t.nrows, 16);
    assert_string_equal(table_get(&t, 0, 0), "1");
    assert_string_equal(table_get(&t, 15, 0), "31");
    table_free(&t);

    snprintf(out, sizeof out, "%s/merged.csv", s.out_dir);
    snprintf(ref, sizeof ref, "%s/serial/points.csv", root);
    char *files[] = {t1, t0};
    assert_int_equal(points_merge(&s, files, 2, out, &e), QA_OK);
    char *a = qt_slurp(out), *b = qt_slurp(ref);
    assert_non_null(a);
    assert_non_null(b);
    assert_string_equal(a, b);
    free(a);
    free(b);
    remove(out);

    /* Duplicates: shard 0 twice. */
    char *dup[] = {t0, t1, t0};
    assert_int_equal(points_merge(&s, dup, 3, out, &e), QA_ERR);
    assert_string_equal(e.file, t0);
    assert_int_equal(e.line, 2);
    assert_string_equal(e.field, "point");
    char want[2400];
    snprintf(want, sizeof want, "point 0 is also in %s:2", t0);
    assert_string_equal(e.msg, want);
    assert_null(qt_slurp(out));

    /* Missing: shard 1 alone. */
    char *half[] = {t1};
    assert_int_equal(points_merge(&s, half, 1, out, &e), QA_ERR);
    assert_string_equal(e.file, "tests/studies/tiny.cfg");
    assert_string_equal(e.field, "point");
    assert_string_equal(e.msg, "16 of 32 points missing, the first is point 0");
    assert_null(qt_slurp(out));

    /* Rows of another study: the same ids with other axis values. */
    Study other;
    assert_int_equal(study_override(&s, STUDY_BATCH, "2", "batch", &e), QA_OK);
    other = s;
    char *both[] = {t0, t1};
    assert_int_equal(points_merge(&other, both, 2, out, &e), QA_ERR);
    assert_int_equal(e.line, 2);
    assert_string_equal(e.msg, "point 0 has other axis values than in study "
                               "tests/studies/tiny.cfg");
    assert_null(qt_slurp(out));
    study_free(&s);
}

/* A baseline that moves another axis: every point's speedup is over the
 * 16-bit point at unlimited bandwidth with its other axes. */
static void test_other_baseline(void **state)
{
    (void)state;
    char path[1100];
    snprintf(path, sizeof path, "%s/base.cfg", root);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("arch = \"arch/tiny.cfg\";\nengine = \"analytic\";\n"
          "workload = \"resnet20\";\ndram_gbps = (\"unlimited\", 4);\n"
          "bits = [16, 4];\n"
          "baseline = { bits = 16; first_last = \"same\"; "
          "dram_gbps = \"unlimited\"; };\n", f);
    fclose(f);
    Study s;
    Err e;
    SweepResult r;
    assert_int_equal(study_load(&s, path, &e), QA_OK);
    snprintf(s.out_dir, sizeof s.out_dir, "%s/base", root);
    run(&s, 1, 0, 1, 0, &r);
    Table t;
    assert_int_equal(table_read(&t, r.table, &e), QA_OK);
    assert_int_equal(t.nrows, 4);
    int c_cyc = table_col(&t, "cycles"), c_b = table_col(&t, "baseline_cycles");
    int c_sp = table_col(&t, "speedup"), c_16 = table_col(&t, "speedup_16");
    double unl16 = table_num(&t, 0, c_cyc);
    for (int i = 0; i < 4; i++) {
        assert_float_equal(table_num(&t, i, c_b), unl16, 0);
        assert_float_equal(table_num(&t, i, c_sp),
                           (unl16 / table_num(&t, i, c_cyc)), (1e-5 * unl16));
    }
    /* At 4 GB/s the 16-bit point is slower than the baseline (< 1x), and
     * speedup_16 stays over the same chip's own 16-bit run. */
    assert_true(table_num(&t, 2, c_sp) < 1.0);
    assert_float_equal(table_num(&t, 2, c_16), 1.0, 0);
    table_free(&t);
    remove(path);
    study_free(&s);
}

/* A point that cannot run stops the sweep: the error names the point and
 * no table is written. */
static void test_failing_point(void **state)
{
    (void)state;
    Study s;
    SweepResult r;
    Err e;
    load_tiny(&s, "failing");
    assert_int_equal(study_override(&s, STUDY_SRAM, "2048", "sram", &e), QA_OK);
    SweepOpts o = {2, 0, 1, 0, 0};
    assert_int_equal(sweep_run(&s, &o, &r, &e), QA_ERR);
    assert_true(strstr(e.msg, "does not fit") != NULL);
    assert_true(strstr(e.msg, "(point ") != NULL);
    char path[1100];
    snprintf(path, sizeof path, "%s/points.csv", s.out_dir);
    assert_null(qt_slurp(path));
    study_free(&s);
}

static int setup(void **state)
{
    (void)state;
    const char *tmp = getenv("TMPDIR");
    snprintf(root, sizeof root, "%s/qa_sweep.XXXXXX", tmp && *tmp ? tmp : "/tmp");
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
        cmocka_unit_test(test_points_csv),
        cmocka_unit_test(test_parallel_and_resume),
        cmocka_unit_test(test_shards_and_merge),
        cmocka_unit_test(test_other_baseline),
        cmocka_unit_test(test_failing_point),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
