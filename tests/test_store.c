/* test_store.c: the study database (sim/study/store.c) on the tiny study's
 * 32 points with made-up rows (no simulation): rows put and read back
 * give the CSV bytes a direct write gives; every kind of damage (a cell of
 * the wrong type, NUL bytes, megabytes of junk, a changed number, an extra
 * or missing layer row, another study's axis values, another build's run
 * hash, an id past the study, a row of another shard) makes the row fail
 * validation, so it is run again, never copied; a file that is not a
 * qarray database, or of another schema, is refused and left alone;
 * merge joins shards and refuses duplicates, missing points, damaged rows,
 * rows of another study and shards of another build; every allocation
 * that fails gives "out of memory". */
#include "tests/qtest.h"

#include <sqlite3.h>
#include <unistd.h>

#include "sim/study/store.h"

static char root[400];

static void load_tiny(Study *s, const char *sub)
{
    Err e;
    assert_int_equal(study_load(s, "tests/studies/tiny.cfg", &e), QA_OK);
    snprintf(s->out_dir, sizeof s->out_dir, "%s/%s", root, sub);
    assert_int_equal(qa_mkdirs(s->out_dir, &e), QA_OK);
}

/* A made-up result for point id: numbers that depend on the id, two layers
 * (names with a comma and a quote, which CSV must quote); ids 4, 9, ...
 * infeasible, ids 3, 8, ... without a baseline (their speedup cells
 * empty). */
static void fake(int64_t id, PointRow *r, LayerRecord l[2], int *nl)
{
    memset(r, 0, sizeof *r);
    memset(l, 0, 2 * sizeof *l);
    if (id % 5 == 4) {
        snprintf(r->status, sizeof r->status, POINTS_INFEASIBLE);
        snprintf(r->infeasible_layer, sizeof r->infeasible_layer, "layer%d", (int)id);
        snprintf(r->reason, sizeof r->reason, "does not fit: a, \"b\"");
        *nl = 0;
        return;
    }
    snprintf(r->status, sizeof r->status, id % 5 == 3 ? POINTS_NO_BASELINE : POINTS_OK);
    if (id % 5 == 3) {
        snprintf(r->infeasible_layer, sizeof r->infeasible_layer, "conv1");
        snprintf(r->reason, sizeof r->reason, "the study's baseline point: does not fit");
    }
    r->rec.w_bits = r->rec.a_bits = 4;
    r->rec.first_last_bits = 8;
    r->rec.cycles = 1000 + id;
    r->rec.time_ms = 0.1 + (double)id / 3.0;
    r->rec.images_per_s = 1e4 / (double)(id + 1);
    r->rec.util = 1.0 / 3.0;
    r->rec.peak_gain = 4;
    r->baseline_cycles = 4000;
    r->speedup_vs_baseline = 4000.0 / (double)r->rec.cycles;
    points_layers_name(id, r->layers_csv, sizeof r->layers_csv);
    for (int i = 0; i < 2; i++) {
        snprintf(l[i].name, sizeof l[i].name, i ? "fc,\"last\"" : "conv1");
        snprintf(l[i].op, sizeof l[i].op, i ? "fc" : "conv");
        l[i].N = 1;
        l[i].K = 16 + (int)id;
        l[i].cycles = 500 + id + i;
        l[i].util = 0.25 * (i + 1);
        snprintf(l[i].reason, sizeof l[i].reason, "weights once");
    }
    *nl = 2;
}

static void put_all(Store *st, const Study *s, long si, long sn)
{
    Err e;
    for (int64_t id = si; id < s->npoints; id += sn) {
        StudyPoint p;
        PointRow r;
        LayerRecord l[2];
        int nl;
        study_point(s, id, &p);
        fake(id, &r, l, &nl);
        if (store_put(st, &p, &r, l, nl, &e) != QA_OK) {
            err_print(&e, stderr);
            fail();
        }
    }
}

/* The CSV a direct write of the fake rows gives (status columns: the
 * tiny study has infeasible points). */
static char *direct_csv(const Study *s, long si, long sn)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    assert_non_null(f);
    points_print_header(f, s, 1);
    for (int64_t id = si; id < s->npoints; id += sn) {
        StudyPoint p;
        PointRow r;
        LayerRecord l[2];
        int nl;
        study_point(s, id, &p);
        fake(id, &r, l, &nl);
        points_print_row(f, s, &p, &r, 1);
    }
    fclose(f);
    return buf;
}

static void sql(const char *db, const char *q)
{
    sqlite3 *h;
    char *msg = NULL;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    if (sqlite3_exec(h, q, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", q, msg);
    sqlite3_close(h);
}

static int valid(Store *st, int64_t id)
{
    int v;
    Err e;
    assert_int_equal(store_valid(st, id, &v, NULL, &e), QA_OK);
    return v;
}

static void test_round_trip(void **state)
{
    (void)state;
    Study s;
    Store *st;
    Err e;
    char db[1100], csv[1100];
    load_tiny(&s, "rt");
    store_path(&s, 0, 1, db, sizeof db);
    assert_true(strstr(db, "/rt/points.db") != NULL);
    assert_int_equal(store_open(&st, db, &s, 0, 1, 0, &e), QA_OK);
    for (int64_t id = 0; id < s.npoints; id++)
        assert_int_equal(valid(st, id), 0);
    put_all(st, &s, 0, 1);
    for (int64_t id = 0; id < s.npoints; id++)
        assert_int_equal(valid(st, id), 1);
    snprintf(csv, sizeof csv, "%s/points.csv", s.out_dir);
    int64_t inf;
    assert_int_equal(store_export(st, csv, 1, &inf, &e), QA_OK);
    assert_int_equal(inf, 12); /* ids 3, 4, 8, 9, ..., 28, 29 */
    store_close(st);
    char *got = qt_slurp(csv), *want = direct_csv(&s, 0, 1);
    assert_string_equal(got, want);
    /* An infeasible row: empty results, then its status, layer, reason. */
    char line[512];
    int len = snprintf(line, sizeof line, "\n4,resnet20,analytic,1,2,65536,8x8,ws,"
                       "linear,cols,unlimited,same,16/16,");
    for (int i = 1; i < points_result_table.n; i++)
        line[len++] = ',';
    snprintf(line + len, sizeof line - (size_t)len,
             ",infeasible,layer4,\"does not fit: a, \"\"b\"\"\"\n");
    assert_non_null(strstr(got, line));
    /* A row without a baseline: results, empty speedup cells. */
    assert_non_null(strstr(got, ",layers/p000003.csv,baseline_infeasible,conv1,"
                                "the study's baseline point: does not fit\n"));
    assert_non_null(strstr(got, "\n3,resnet20,analytic,1,2,65536,8x8,ws,linear,cols,"
                                "unlimited,8,2/2,4,4,8,1003,"));
    free(got);
    free(want);
    /* The layer CSV of point 0, as report_write_layers writes it. */
    char path[1100], ref[1100];
    LayerRecord l[2];
    PointRow r;
    int nl;
    fake(0, &r, l, &nl);
    snprintf(ref, sizeof ref, "%s/ref_layers.csv", s.out_dir);
    assert_int_equal(report_write_layers(ref, l, nl, &e), QA_OK);
    points_layers_path(&s, 0, path, sizeof path);
    got = qt_slurp(path);
    want = qt_slurp(ref);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
    free(want);
    points_layers_path(&s, 4, path, sizeof path);
    assert_null(qt_slurp(path)); /* infeasible: no layers */

    /* Provenance: what computed the rows. */
    sqlite3 *h;
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, "SELECT value FROM provenance WHERE key = ?1",
                                        -1, &q, NULL), SQLITE_OK);
    const char *keys[] = {"qarray_version", "study_file", "arch_file", "engines", "shard"};
    const char *vals[] = {QA_VERSION, "tests/studies/tiny.cfg", "arch/tiny.cfg", "analytic", "0/1"};
    for (int i = 0; i < 5; i++) {
        sqlite3_reset(q);
        sqlite3_bind_text(q, 1, keys[i], -1, SQLITE_STATIC);
        assert_int_equal(sqlite3_step(q), SQLITE_ROW);
        assert_string_equal((const char *)sqlite3_column_text(q, 0), vals[i]);
    }
    sqlite3_finalize(q);
    sqlite3_close(h);

    /* Open without resume: no rows. */
    assert_int_equal(store_open(&st, db, &s, 0, 1, 0, &e), QA_OK);
    assert_int_equal(valid(st, 0), 0);
    store_close(st);
    study_free(&s);
}

/* Each damage makes its row fail validation (and go); the others stay. */
static void test_damage(void **state)
{
    (void)state;
    static const struct {
        int64_t id;
        const char *sql;
    } cases[] = {
        {0, "UPDATE points SET cycles = 'abc' WHERE point = 0"},
        {1, "UPDATE points SET cycles = cycles + 1 WHERE point = 1"},
        {2, "UPDATE points SET dataflow = CAST(x'7773006a756e6b' AS TEXT) WHERE point = 2"},
        {3, "UPDATE points SET layers_csv = printf('%.*c', 3000000, 'x') WHERE point = 3"},
        {5, "UPDATE layers SET cycles = cycles + 1 WHERE point = 5 AND idx = 1"},
        {6, "CREATE TABLE extra AS SELECT * FROM layers WHERE point = 6 AND idx = 1; "
            "UPDATE extra SET idx = 2; INSERT INTO layers SELECT * FROM extra; "
            "DROP TABLE extra"},
        {7, "DELETE FROM layers WHERE point = 7 AND idx = 0"},
        {8, "UPDATE points SET batch = '4' WHERE point = 8"},   /* another study's */
        {9, "UPDATE points SET status = 'ok' WHERE point = 9"}, /* infeasible made ok */
        {10, "UPDATE points SET run_hash = run_hash + 1 WHERE point = 10"}, /* another build */
        {11, "UPDATE points SET checksum = checksum + 1 WHERE point = 11"},
        {12, "UPDATE points SET time_ms = NULL WHERE point = 12"},
        {13, "UPDATE points SET util = 0.5 WHERE point = 13"},
        {15, "UPDATE points SET nlayers = 3 WHERE point = 15"},
        {16, "UPDATE layers SET reason = CAST(x'00' AS TEXT) || reason WHERE point = 16"},
        {17, "UPDATE layers SET K = 1e300 WHERE point = 17"},
        {18, "UPDATE points SET speedup = 1.5 WHERE point = 18"}, /* no baseline */
        {23, "UPDATE points SET status = 'ok' WHERE point = 23"},
    };
    Study s;
    Store *st;
    Err e;
    char db[1100];
    load_tiny(&s, "damage");
    store_path(&s, 0, 1, db, sizeof db);
    assert_int_equal(store_open(&st, db, &s, 0, 1, 0, &e), QA_OK);
    put_all(st, &s, 0, 1);
    store_close(st);
    for (size_t i = 0; i < QA_COUNT(cases); i++)
        sql(db, cases[i].sql);
    /* Rows no study point has: an id past the study; resume drops them. */
    sql(db, "CREATE TABLE extra AS SELECT * FROM points WHERE point = 20; "
            "UPDATE extra SET point = 999; INSERT INTO points SELECT * FROM extra; "
            "DROP TABLE extra");
    assert_int_equal(store_open(&st, db, &s, 0, 1, 1, &e), QA_OK);
    int64_t dropped = 0;
    for (int64_t id = 0; id < s.npoints; id++) {
        int bad = 0, v;
        for (size_t i = 0; i < QA_COUNT(cases); i++)
            bad |= cases[i].id == id;
        assert_int_equal(store_valid(st, id, &v, &dropped, &e), QA_OK);
        if (v == bad)
            fail_msg("point %lld: valid %d, want %d", (long long)id, v, !bad);
    }
    assert_int_equal(dropped, (int64_t)QA_COUNT(cases));
    /* Dropped rows are gone: asked again they are missing, not damaged. */
    dropped = 0;
    int v;
    assert_int_equal(store_valid(st, 0, &v, &dropped, &e), QA_OK);
    assert_int_equal(v, 0);
    assert_int_equal(dropped, 0);
    /* An export with points missing names the first. */
    char csv[1100];
    snprintf(csv, sizeof csv, "%s/points.csv", s.out_dir);
    assert_int_equal(store_export(st, csv, 0, NULL, &e), QA_ERR);
    assert_string_equal(e.field, "point");
    assert_string_equal(e.msg, "point 0: no row after the run");
    assert_null(qt_slurp(csv));
    /* Run again (put again): the export is the undamaged one. */
    put_all(st, &s, 0, 1);
    assert_int_equal(store_export(st, csv, 0, NULL, &e), QA_OK);
    store_close(st);
    char *got = qt_slurp(csv), *want = direct_csv(&s, 0, 1);
    assert_string_equal(got, want);
    free(got);
    free(want);
    study_free(&s);
}

/* Files that are not this module's databases are refused and kept. */
static void test_refused_files(void **state)
{
    (void)state;
    Study s;
    Store *st;
    Err e;
    char path[1100];
    load_tiny(&s, "refused");
    snprintf(path, sizeof path, "%s/text.db", s.out_dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("point,bits\n0,8/8\n", f);
    fclose(f);
    for (int resume = 0; resume < 2; resume++) {
        assert_int_equal(store_open(&st, path, &s, 0, 1, resume, &e), QA_ERR);
        assert_string_equal(e.file, path);
        assert_string_equal(e.msg, "not a qarray study database (file is not a "
                                   "database): use a new output folder or remove it");
    }
    char *text = qt_slurp(path);
    assert_string_equal(text, "point,bits\n0,8/8\n");
    free(text);

    snprintf(path, sizeof path, "%s/other.db", s.out_dir);
    sql(path, "CREATE TABLE t(x); INSERT INTO t VALUES(1);");
    assert_int_equal(store_open(&st, path, &s, 0, 1, 0, &e), QA_ERR);
    assert_string_equal(e.msg, "not a qarray study database (application_id 0): "
                               "use a new output folder or remove it");
    sql(path, "SELECT x FROM t"); /* still there */

    snprintf(path, sizeof path, "%s/old.db", s.out_dir);
    assert_int_equal(store_open(&st, path, &s, 0, 1, 0, &e), QA_OK);
    store_close(st);
    sql(path, "PRAGMA user_version = 99");
    assert_int_equal(store_open(&st, path, &s, 0, 1, 1, &e), QA_ERR);
    assert_string_equal(e.msg, "a study database of schema 99, this qarray reads "
                               "schema 1: use a new output folder or remove it");

    snprintf(path, sizeof path, "%s", s.out_dir);
    assert_int_equal(store_open(&st, path, &s, 0, 1, 0, &e), QA_ERR);
    assert_string_equal(e.msg, "not a regular file");
    study_free(&s);
}

/* A shard's database keeps only its own points across a resume. */
static void test_shard_rows(void **state)
{
    (void)state;
    Study s;
    Store *st;
    Err e;
    char db[1100];
    load_tiny(&s, "shardrows");
    store_path(&s, 1, 4, db, sizeof db);
    assert_true(strstr(db, "/shardrows/points.shard-1-of-4.db") != NULL);
    assert_int_equal(store_open(&st, db, &s, 0, 1, 0, &e), QA_OK);
    put_all(st, &s, 0, 1); /* every point, as if shard 0/1 */
    store_close(st);
    assert_int_equal(store_open(&st, db, &s, 1, 4, 1, &e), QA_OK);
    for (int64_t id = 0; id < s.npoints; id++)
        assert_int_equal(valid(st, id), id % 4 == 1);
    char csv[1100];
    snprintf(csv, sizeof csv, "%s/shard.csv", s.out_dir);
    assert_int_equal(store_export(st, csv, 0, NULL, &e), QA_OK);
    store_close(st);
    char *got = qt_slurp(csv), *want = direct_csv(&s, 1, 4);
    assert_string_equal(got, want);
    free(got);
    free(want);
    study_free(&s);
}

static void make_shards(const Study *s, int n, char files[][1100])
{
    Err e;
    for (int i = 0; i < n; i++) {
        Store *st;
        store_path(s, i, n, files[i], sizeof files[i]);
        assert_int_equal(store_open(&st, files[i], s, i, n, 0, &e), QA_OK);
        put_all(st, s, i, n);
        store_close(st);
    }
}

static void test_merge(void **state)
{
    (void)state;
    Study s;
    Store *st;
    Err e;
    char files[3][1100], out[1100], csv[1100];
    load_tiny(&s, "merge");
    make_shards(&s, 3, files);
    store_path(&s, 0, 1, out, sizeof out);
    char *order[] = {files[2], files[0], files[1]};
    assert_int_equal(store_merge(&s, order, 3, out, &e), QA_OK);
    assert_int_equal(store_open(&st, out, &s, 0, 1, 1, &e), QA_OK);
    snprintf(csv, sizeof csv, "%s/points.csv", s.out_dir);
    assert_int_equal(store_export(st, csv, 0, NULL, &e), QA_OK);
    store_close(st);
    char *got = qt_slurp(csv), *want = direct_csv(&s, 0, 1);
    assert_string_equal(got, want);
    free(got);
    free(want);
    char p[1200];
    snprintf(p, sizeof p, "%s-wal", out);
    assert_int_equal(access(p, F_OK), -1);

    /* Duplicates, missing points: no database written (the old one stays). */
    char *dup[] = {files[0], files[1], files[0]};
    assert_int_equal(store_merge(&s, dup, 3, out, &e), QA_ERR);
    assert_string_equal(e.file, files[0]);
    assert_string_equal(e.field, "point");
    char want_msg[1300];
    snprintf(want_msg, sizeof want_msg, "point 0 is also in %s", files[0]);
    assert_string_equal(e.msg, want_msg);
    char *two[] = {files[0], files[2]};
    assert_int_equal(store_merge(&s, two, 2, out, &e), QA_ERR);
    assert_string_equal(e.file, "tests/studies/tiny.cfg");
    assert_string_equal(e.msg, "11 of 32 points missing, the first is point 1");
    char *self[] = {out};
    assert_int_equal(store_merge(&s, self, 1, out, &e), QA_ERR);
    assert_string_equal(e.msg, "is the merged database itself: give the shards' databases");
    char missing[1100];
    snprintf(missing, sizeof missing, "%s/nope.db", s.out_dir);
    char *none[] = {missing};
    assert_int_equal(store_merge(&s, none, 1, out, &e), QA_ERR);
    assert_string_equal(e.file, missing);
    assert_string_equal(e.msg, "cannot open: No such file or directory");

    /* A damaged row in a shard: refused, named. */
    sql(files[1], "UPDATE points SET cycles = cycles + 1 WHERE point = 7");
    assert_int_equal(store_merge(&s, order, 3, out, &e), QA_ERR);
    assert_string_equal(e.file, files[1]);
    assert_string_equal(e.msg, "point 7 does not validate (checksum): run its "
                               "shard again with --resume");
    sql(files[1], "UPDATE points SET cycles = cycles - 1 WHERE point = 7");

    /* Rows of another study: the same ids with other axis values. */
    Study other;
    load_tiny(&other, "merge");
    assert_int_equal(study_override(&other, STUDY_BATCH, "2", "batch", &e), QA_OK);
    assert_int_equal(store_merge(&other, order, 3, out, &e), QA_ERR);
    assert_string_equal(e.file, files[2]);
    assert_string_equal(e.msg, "point 2 has other axis values than in study "
                               "tests/studies/tiny.cfg");
    study_free(&other);

    /* A shard computed for another chip (or by another build). */
    sql(files[0], "UPDATE provenance SET value = '0' WHERE key = 'inputs_hash'");
    assert_int_equal(store_merge(&s, order, 3, out, &e), QA_ERR);
    assert_string_equal(e.file, files[0]);
    assert_string_equal(e.field, "provenance");
    assert_true(strstr(e.msg, "computed by another qarray build or for another "
                              "chip or topology") == e.msg);
    /* The earlier merged database is intact. */
    assert_int_equal(store_open(&st, out, &s, 0, 1, 1, &e), QA_OK);
    for (int64_t id = 0; id < s.npoints; id++)
        assert_int_equal(valid(st, id), 1);
    store_close(st);
    /* The first database sets the layers setting: its message does not
     * compare it with itself. */
    sql(files[2], "UPDATE provenance SET value = '0' WHERE key = 'inputs_hash'");
    assert_int_equal(store_merge(&s, order, 3, out, &e), QA_ERR);
    assert_string_equal(e.file, files[2]);
    assert_null(strstr(e.msg, "layers than"));
    /* A failed merge into a database that was not there leaves none (not
     * the empty file its lock was taken on). */
    char fresh[1200];
    snprintf(fresh, sizeof fresh, "%s/fresh.db", s.out_dir);
    assert_int_equal(store_merge(&s, order, 3, fresh, &e), QA_ERR);
    assert_int_equal(access(fresh, F_OK), -1);
    study_free(&s);
}

/* A merge refuses a database a sweep has open, and a sweep refuses the
 * database a merge is writing: the merge holds the lock from its first
 * look at the output until its file is renamed over it. */
static void test_merge_lock(void **state)
{
    (void)state;
    Study s;
    Store *st;
    Err e;
    char files[2][1100], out[1100];
    load_tiny(&s, "mergelock");
    make_shards(&s, 2, files);
    store_path(&s, 0, 1, out, sizeof out);
    char *both[] = {files[0], files[1]};
    assert_int_equal(store_open(&st, out, &s, 0, 1, 0, &e), QA_OK);
    assert_int_equal(store_merge(&s, both, 2, out, &e), QA_ERR);
    assert_string_equal(e.file, out);
    assert_true(strstr(e.msg, "another qarray sweep or merge is writing") == e.msg);
    store_close(st);
    assert_int_equal(store_merge(&s, both, 2, out, &e), QA_OK);
    /* The merged file (renamed over the old one) is locked by whoever
     * opens it next. */
    assert_int_equal(store_open(&st, out, &s, 0, 1, STORE_AS_WRITTEN, &e), QA_OK);
    Store *st2;
    assert_int_equal(store_open(&st2, out, &s, 0, 1, STORE_AS_WRITTEN, &e), QA_ERR);
    store_close(st);
    study_free(&s);
}

/* Open, put every point, export, close: under "fail the n-th allocation"
 * for n = 1, 2, ... until it succeeds, each failure an "out of memory"
 * error (ASan checks for leaks). */
static int store_cycle(const Study *s, const char *db, Err *e)
{
    Store *st;
    char csv[1100];
    snprintf(csv, sizeof csv, "%s/points.csv", s->out_dir);
    if (store_open(&st, db, s, 0, 1, 0, e) != QA_OK)
        return QA_ERR;
    for (int64_t id = 0; id < s->npoints; id++) {
        StudyPoint p;
        PointRow r;
        LayerRecord l[2];
        int nl;
        study_point(s, id, &p);
        fake(id, &r, l, &nl);
        if (store_put(st, &p, &r, l, nl, e) != QA_OK) {
            store_close(st);
            return QA_ERR;
        }
    }
    int rc = store_export(st, csv, 1, NULL, e);
    store_close(st);
    return rc;
}

static void test_out_of_memory(void **state)
{
    (void)state;
    Study s;
    char db[1100];
    load_tiny(&s, "oom");
    store_path(&s, 0, 1, db, sizeof db);
    long n;
    for (n = 1;; n++) {
        Err e;
        err_clear(&e);
        qa_alloc_fail_at(n);
        int rc = store_cycle(&s, db, &e);
        long calls = qa_alloc_count();
        qa_alloc_fail_at(0);
        if (rc == QA_OK) {
            assert_true(calls < n);
            break;
        }
        if (!strstr(e.msg, "memory"))
            fail_msg("allocation %ld failed: '%s'", n, e.msg);
    }
    assert_true(n > 1);
    char csv[1100];
    snprintf(csv, sizeof csv, "%s/points.csv", s.out_dir);
    char *got = qt_slurp(csv), *want = direct_csv(&s, 0, 1);
    assert_string_equal(got, want);
    free(got);
    free(want);
    study_free(&s);
}

static int setup(void **state)
{
    (void)state;
    const char *tmp = getenv("TMPDIR");
    snprintf(root, sizeof root, "%s/qa_store.XXXXXX", tmp && *tmp ? tmp : "/tmp");
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
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_damage),
        cmocka_unit_test(test_refused_files),
        cmocka_unit_test(test_shard_rows),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_merge_lock),
        cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
