/* test_sweep.c: the tiny study (32 points of ResNet-20 on arch/tiny.cfg,
 * analytic engine) end to end: points.csv rows and values, agreement with
 * point_run, parallel == serial, resume skips finished points and gives
 * the same bytes, runs again the rows lost or damaged in the database
 * (never copies them), shards 0/2 + 1/2 merged == the unsharded run, merge
 * refuses duplicates, missing points and rows of another study; points
 * that do not fit are rows with status infeasible and the sweep goes on;
 * bad shard arguments are refused. */
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

#include <sqlite3.h>

#include "sim/study/points.h"
#include "sim/study/store.h"
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
    SweepOpts o = {jobs, si, sn, resume, 0, 0};
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

    /* Rows lost (a killed run), damaged or of another study in the
     * database: only those run again, and the table is the same bytes. */
    sqlite3 *h;
    assert_int_equal(sqlite3_open(r.db, &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h,
        "DELETE FROM layers WHERE point BETWEEN 10 AND 12;"
        "DELETE FROM points WHERE point BETWEEN 10 AND 12;"
        "UPDATE points SET cycles = 'abc' WHERE point = 20;"
        "UPDATE points SET dataflow = CAST(x'7773006a756e6b' AS TEXT) WHERE point = 21;"
        "UPDATE points SET reason = printf('%.*c', 2000000, 'x') WHERE point = 22;"
        "UPDATE layers SET dram_bytes = dram_bytes + 1 WHERE point = 23 AND idx = 4;"
        "UPDATE points SET batch = '16' WHERE point = 4;",
        NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
    run(&s2, 2, 0, 1, 1, &r);
    assert_int_equal(r.run, 8);
    assert_int_equal(r.skipped, 24);
    assert_int_equal(r.dropped, 5);
    par = qt_slurp(r.table);
    assert_string_equal(par, serial);
    free(par);
    /* Nothing damaged is left behind: all 32 rows validate. */
    run(&s2, 1, 0, 1, 1, &r);
    assert_int_equal(r.run, 0);
    assert_int_equal(r.dropped, 0);

    /* A file in place of the database that is not one is refused, kept. */
    Study s3;
    load_tiny(&s3, "notdb");
    Err e;
    assert_int_equal(qa_mkdirs(s3.out_dir, &e), QA_OK);
    snprintf(path, sizeof path, "%s/points.db", s3.out_dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("point,bits\n4,8/8\n", f);
    fclose(f);
    SweepOpts o = {1, 0, 1, 1, 0, 0};
    assert_int_equal(sweep_run(&s3, &o, &r, &e), QA_ERR);
    assert_string_equal(e.file, path);
    assert_true(strstr(e.msg, "not a qarray study database") == e.msg);
    char *text = qt_slurp(path);
    assert_string_equal(text, "point,bits\n4,8/8\n");
    free(text);
    free(serial);
    study_free(&s1);
    study_free(&s2);
    study_free(&s3);
}

static void test_shards_and_merge(void **state)
{
    (void)state;
    Study s;
    SweepResult r;
    Err e;
    char t0[1100], t1[1100], d0[1100], d1[1100], out[1100], ref[1100];
    load_tiny(&s, "sharded");
    run(&s, 1, 0, 2, 0, &r);
    assert_int_equal(r.points, 16);
    snprintf(t0, sizeof t0, "%s", r.table);
    snprintf(d0, sizeof d0, "%s", r.db);
    assert_true(strstr(t0, "/sharded/points.shard-0-of-2.csv") != NULL);
    assert_true(strstr(d0, "/sharded/points.shard-0-of-2.db") != NULL);
    run(&s, 2, 1, 2, 0, &r);
    assert_int_equal(r.points, 16);
    snprintf(t1, sizeof t1, "%s", r.table);
    snprintf(d1, sizeof d1, "%s", r.db);
    /* Shard 1 holds the odd ids only. */
    Table t;
    assert_int_equal(table_read(&t, t1, &e), QA_OK);
    assert_int_equal(t.nrows, 16);
    assert_string_equal(table_get(&t, 0, 0), "1");
    assert_string_equal(table_get(&t, 15, 0), "31");
    table_free(&t);

    /* The merged database exports the unsharded run's bytes. */
    snprintf(out, sizeof out, "%s/merged.db", s.out_dir);
    snprintf(ref, sizeof ref, "%s/serial/points.csv", root);
    char *files[] = {d1, d0};
    assert_int_equal(store_merge(&s, files, 2, out, &e), QA_OK);
    Store *st;
    char csv[1100];
    snprintf(csv, sizeof csv, "%s/merged.csv", s.out_dir);
    assert_int_equal(store_open(&st, out, &s, 0, 1, 1, &e), QA_OK);
    assert_int_equal(store_export(st, csv, 1, NULL, &e), QA_OK);
    store_close(st);
    char *a = qt_slurp(csv), *b = qt_slurp(ref);
    assert_non_null(a);
    assert_non_null(b);
    assert_string_equal(a, b);
    free(a);
    free(b);
    char p5[1100], r5[1100];
    points_layers_path(&s, 5, p5, sizeof p5);
    snprintf(r5, sizeof r5, "%s/serial/layers/p000005.csv", root);
    a = qt_slurp(p5);
    b = qt_slurp(r5);
    assert_non_null(a);
    assert_string_equal(a, b);
    free(a);
    free(b);
    remove(out);

    /* Duplicates: shard 0 twice. */
    char *dup[] = {d0, d1, d0};
    assert_int_equal(store_merge(&s, dup, 3, out, &e), QA_ERR);
    assert_string_equal(e.file, d0);
    assert_string_equal(e.field, "point");
    char want[2400];
    snprintf(want, sizeof want, "point 0 is also in %s", d0);
    assert_string_equal(e.msg, want);
    assert_null(qt_slurp(out));

    /* Missing: shard 1 alone. */
    char *half[] = {d1};
    assert_int_equal(store_merge(&s, half, 1, out, &e), QA_ERR);
    assert_string_equal(e.file, "tests/studies/tiny.cfg");
    assert_string_equal(e.field, "point");
    assert_string_equal(e.msg, "16 of 32 points missing, the first is point 0");
    assert_null(qt_slurp(out));

    /* Rows of another study: the same ids with other axis values. */
    assert_int_equal(study_override(&s, STUDY_BATCH, "2", "batch", &e), QA_OK);
    char *both[] = {d0, d1};
    assert_int_equal(store_merge(&s, both, 2, out, &e), QA_ERR);
    assert_string_equal(e.msg, "point 0 has other axis values than in study "
                               "tests/studies/tiny.cfg");
    assert_null(qt_slurp(out));
    study_free(&s);
}

/* Without layers: the points only; a resume with layers runs them all
 * again (they are rows of another run), and a merge of shards with and
 * without layers is refused. */
static void test_no_layers(void **state)
{
    (void)state;
    Study s;
    SweepResult r;
    Err e;
    load_tiny(&s, "nolayers");
    SweepOpts o = {2, 0, 2, 0, 0, 1};
    assert_int_equal(sweep_run(&s, &o, &r, &e), QA_OK);
    char d0[1100], d1[1100], out[1100];
    snprintf(d0, sizeof d0, "%s", r.db);
    Table t;
    assert_int_equal(table_read(&t, r.table, &e), QA_OK);
    assert_string_equal(table_get(&t, 0, table_col(&t, "layers_csv")), "");
    table_free(&t);
    SweepOpts o1 = {2, 1, 2, 0, 0, 0};
    assert_int_equal(sweep_run(&s, &o1, &r, &e), QA_OK);
    snprintf(d1, sizeof d1, "%s", r.db);
    snprintf(out, sizeof out, "%s/merged.db", s.out_dir);
    char *both[] = {d0, d1};
    assert_int_equal(store_merge(&s, both, 2, out, &e), QA_ERR);
    assert_string_equal(e.file, d1);
    assert_string_equal(e.field, "provenance");
    assert_non_null(strstr(e.msg, "or with layers than"));
    /* Shard 0 resumed with layers: every point again. */
    SweepOpts o2 = {2, 0, 2, 1, 0, 0};
    assert_int_equal(sweep_run(&s, &o2, &r, &e), QA_OK);
    assert_int_equal(r.run, 16);
    assert_int_equal(r.dropped, 16);
    assert_int_equal(store_merge(&s, both, 2, out, &e), QA_OK);
    study_free(&s);
}

/* Bad shard arguments: a clear error, nothing written. */
static void test_bad_shards(void **state)
{
    (void)state;
    Study s;
    SweepResult r;
    Err e;
    load_tiny(&s, "badshard");
    SweepOpts o = {1, 2, 2, 0, 0, 0};
    assert_int_equal(sweep_run(&s, &o, &r, &e), QA_ERR);
    assert_string_equal(e.field, "--shard");
    assert_string_equal(e.msg, "2/2 is not I/N with 0 <= I < N");
    SweepOpts o2 = {1, 0, 33, 0, 0, 0};
    assert_int_equal(sweep_run(&s, &o2, &r, &e), QA_ERR);
    assert_string_equal(e.msg, "33 shards of a study of 32 points: at most one "
                               "shard per point");
    char path[1100];
    snprintf(path, sizeof path, "%s", s.out_dir);
    assert_int_equal(access(path, F_OK), -1);
    long i, n;
    assert_int_equal(study_parse_shard("0/0", &i, &n), QA_ERR);
    assert_int_equal(study_parse_shard("-1/4", &i, &n), QA_ERR);
    assert_int_equal(study_parse_shard("1/x", &i, &n), QA_ERR);
    assert_int_equal(study_parse_shard("3/4", &i, &n), QA_OK);
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

/* Points that do not fit are results: at 9728 bytes of scratchpad the
 * batch-1 points fit and, of the batch-4 ones, the 16-bit ones do not
 * (infeasible) while the narrower ones fit but have no 16-bit baseline
 * (baseline_infeasible: results, no speedups). The sweep goes on, the
 * table has the status columns, and the figures of a slice with no ok
 * point are not drawn. */
static void test_infeasible(void **state)
{
    (void)state;
    Study s;
    SweepResult r;
    Err e;
    load_tiny(&s, "infeasible");
    assert_int_equal(study_override(&s, STUDY_SRAM, "9728", "sram", &e), QA_OK);
    run(&s, 2, 0, 1, 0, &r);
    assert_int_equal(r.infeasible, 16);
    Table t;
    assert_int_equal(table_read(&t, r.table, &e), QA_OK);
    assert_int_equal(t.nrows, 32);
    int c_st = table_col(&t, "status"), c_l = table_col(&t, "infeasible_layer");
    int c_why = table_col(&t, "reason"), c_cyc = table_col(&t, "cycles");
    int c_b = table_col(&t, "batch"), c_csv = table_col(&t, "layers_csv");
    int c_sp = table_col(&t, "speedup"), c_bits = table_col(&t, "bits");
    assert_true(c_st > c_csv && c_l == c_st + 1 && c_why == c_st + 2);
    const char *nofit = "does not fit: the smallest tile (one output row of one "
                        "filter) needs more than the 9728 bytes of scratchpad per core";
    char want[600];
    for (int i = 0; i < 32; i++) {
        int fits = !strcmp(table_get(&t, i, c_b), "1");
        int wide = !strcmp(table_get(&t, i, c_bits), "16/16");
        assert_int_equal(points_row_ok(&t, i), fits);
        if (fits) {
            assert_string_equal(table_get(&t, i, c_st), "ok");
            assert_string_equal(table_get(&t, i, c_l), "");
            assert_true(atoll(table_get(&t, i, c_cyc)) > 0);
            assert_true(table_num(&t, i, c_sp) > 0);
        } else if (wide) {
            assert_string_equal(table_get(&t, i, c_st), "infeasible");
            assert_string_equal(table_get(&t, i, c_l), "layer3.0.conv1");
            assert_string_equal(table_get(&t, i, c_why), nofit);
            assert_string_equal(table_get(&t, i, c_cyc), "");
            assert_string_equal(table_get(&t, i, c_csv), "");
        } else {
            assert_string_equal(table_get(&t, i, c_st), "baseline_infeasible");
            assert_string_equal(table_get(&t, i, c_l), "layer3.0.conv1");
            snprintf(want, sizeof want, "the study's baseline point: %s", nofit);
            assert_string_equal(table_get(&t, i, c_why), want);
            assert_true(atoll(table_get(&t, i, c_cyc)) > 0);
            assert_string_equal(table_get(&t, i, c_sp), "");
            assert_string_equal(table_get(&t, i, table_col(&t, "speedup_16")), "");
        }
    }
    table_free(&t);
    /* Layer CSVs for every point that fits, not for the 16-bit batch-4. */
    char path[1100];
    for (int64_t id = 0; id < 32; id++) {
        points_layers_path(&s, id, path, sizeof path);
        assert_int_equal(access(path, F_OK), id >= 16 && id % 4 == 0 ? -1 : 0);
    }
    /* The plot slice (batch 4) is all infeasible: only the area figure. */
    assert_int_equal(sweep_finish(&s, r.table, 1, stdout, &e), QA_OK);
    snprintf(path, sizeof path, "%s/plots/area.png", s.out_dir);
    assert_int_equal(access(path, F_OK), 0);
    snprintf(path, sizeof path, "%s/plots/speedup.png", s.out_dir);
    assert_int_equal(access(path, F_OK), -1);
    /* Resume keeps infeasible rows: they validate like the others. */
    run(&s, 2, 0, 1, 1, &r);
    assert_int_equal(r.run, 0);
    assert_int_equal(r.infeasible, 16);
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
        cmocka_unit_test(test_no_layers),
        cmocka_unit_test(test_bad_shards),
        cmocka_unit_test(test_infeasible),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
