/* test_oom.c: every loader and model that allocates, under "fail the n-th
 * allocation" (qa_alloc_fail_at) for n = 1, 2, ... until the call succeeds.
 * Each failing run must return QA_ERR with a message that says what ran
 * out, leave its output empty, and leak nothing (this binary also runs
 * under ASan with leak detection, tests/run.sh). A call that succeeds while
 * an injected failure hit it would have swallowed the failure: that fails
 * the test too. (The quantizers have their own loops in test_quantizer.c.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "arch/arch.h"
#include "models/analytic.h"
#include "models/pe_ref.h"
#include "sim/report/report.h"
#include "models/mapper.h"
#include "quant/levels.h"
#include "quant/train/idx.h"
#include "quant/npy.h"
#include "quant/int/safetensors.h"
#include "sim/study/study.h"
#include "sim/study/point.h"
#include "sim/report/table.h"
#include "tests/qtest.h"
#include "workloads/net.h"
#include "workloads/onnx.h"

#include <string.h>

/* One allocating call under test: run it into ctx; on failure it must have
 * left ctx empty (empty() checks), on success release() frees it. */
typedef struct {
    const char *what;
    int (*run)(void *ctx, Err *e);
    int (*empty)(const void *ctx);
    void (*release)(void *ctx);
} OomCase;

/* Returns the number of allocation points the call went through. With
 * forks set, the call may fork a child that inherits the countdown (the
 * SystemC engine): a failure can then come from the child's n-th
 * allocation while the parent counted fewer. */
static long oom_loop_fork(const OomCase *c, void *ctx, int forks)
{
    for (long n = 1;; n++) {
        Err e;
        err_clear(&e);
        qa_alloc_fail_at(n);
        int rc = c->run(ctx, &e);
        long calls = qa_alloc_count();
        qa_alloc_fail_at(0);
        if (rc == QA_OK) {
            if (calls >= n)
                fail_msg("%s: succeeded although allocation %ld failed",
                         c->what, n);
            c->release(ctx);
            return n - 1;
        }
        if (calls < n && !forks)
            fail_msg("%s: failed without an injected failure: %s", c->what,
                     e.msg);
        if (!strstr(e.msg, "memory"))
            fail_msg("%s: allocation %ld failed, message '%s' does not say "
                     "out of memory", c->what, n, e.msg);
        if (!c->empty(ctx))
            fail_msg("%s: output not empty after failure %ld", c->what, n);
    }
}

static long oom_loop(const OomCase *c, void *ctx)
{
    return oom_loop_fork(c, ctx, 0);
}

static char dir[512];

static int setup(void **state)
{
    (void)state;
    return qt_tmpdir(dir, sizeof dir);
}

static int teardown(void **state)
{
    (void)state;
    return qt_rmtree(dir);
}

/* net_build and topo_csv_load: a Net. */
typedef struct {
    Net net;
    const char *arg;
} NetCtx;

static int net_is_empty(const void *ctx)
{
    const Net *net = &((const NetCtx *)ctx)->net;
    return net->n == 0 && net->layers == NULL;
}

static void net_release(void *ctx) { net_free(&((NetCtx *)ctx)->net); }

static int run_net_build(void *ctx, Err *e)
{
    NetCtx *c = ctx;
    return net_build(&c->net, c->arg, e);
}

static int run_topo_load(void *ctx, Err *e)
{
    NetCtx *c = ctx;
    return topo_csv_load(&c->net, c->arg, e);
}

static void test_net_build_every_builtin(void **state)
{
    (void)state;
    static const char *const names[] = {"resnet50", "resnet50v1",
                                        "resnet50preact", "resnet18",
                                        "resnet34", "resnet20"};
    const OomCase c = {"net_build", run_net_build, net_is_empty, net_release};
    for (size_t i = 0; i < QA_COUNT(names); i++) {
        NetCtx ctx = {.arg = names[i]};
        /* The layer array grows 16, 32, 64, 128: one point per growth. */
        assert_true(oom_loop(&c, &ctx) >= 2);
    }
}

static void test_topo_csv_load(void **state)
{
    (void)state;
    char path[640];
    snprintf(path, sizeof path, "%s/r50.csv", dir);
    Net net;
    Err e;
    assert_int_equal(net_build(&net, "resnet50", &e), QA_OK);
    assert_int_equal(topo_csv_save(&net, path, &e), QA_OK);
    net_free(&net);
    const OomCase c = {"topo_csv_load", run_topo_load, net_is_empty,
                       net_release};
    NetCtx ctx = {.arg = path};
    assert_true(oom_loop(&c, &ctx) >= 3); /* 53 rows: 16, 32, 64 */
}

static int run_onnx_load(void *ctx, Err *e)
{
    NetCtx *c = ctx;
    return onnx_load(&c->net, c->arg, NULL, e);
}

/* The ONNX reader: its file buffer, value table, constants (a reshape's
 * target shape from an external file) and layers. */
static void test_onnx_load(void **state)
{
    (void)state;
    static const char *const paths[] = {"tests/onnx/external.onnx",
                                        "tests/onnx/vit_b16_block_op13.onnx"};
    for (size_t i = 0; i < QA_COUNT(paths); i++) {
        const OomCase c = {"onnx_load", run_onnx_load, net_is_empty, net_release};
        NetCtx ctx = {.arg = paths[i]};
        assert_true(oom_loop(&c, &ctx) >= 5);
    }
}

/* map_net and analytic_run on ResNet-50 and the PACT chip. */
typedef struct {
    Accel a;
    Net net;
    TileSchedule ts;
    RunStats rs;
} MapCtx;

static int run_map(void *ctx, Err *e)
{
    MapCtx *c = ctx;
    memset(&c->ts, 0, sizeof c->ts);
    return map_net(&c->a, &c->net, &c->ts, e);
}

static int map_is_empty(const void *ctx)
{
    const TileSchedule *ts = &((const MapCtx *)ctx)->ts;
    return ts->layers == NULL;
}

static void map_release(void *ctx) { tile_free(&((MapCtx *)ctx)->ts); }

static int run_analytic(void *ctx, Err *e)
{
    MapCtx *c = ctx;
    memset(&c->rs, 0, sizeof c->rs);
    return analytic_run(&c->a, &c->net, &c->ts, &c->rs, e);
}

static int stats_is_empty(const void *ctx)
{
    return ((const MapCtx *)ctx)->rs.layers == NULL;
}

static void stats_release(void *ctx) { stats_free(&((MapCtx *)ctx)->rs); }

static void test_tile_map_and_analytic(void **state)
{
    (void)state;
    MapCtx ctx;
    Err e;
    assert_int_equal(arch_load(&ctx.a, "arch/pact2018.cfg", &e), QA_OK);
    assert_int_equal(net_build(&ctx.net, "resnet50", &e), QA_OK);
    const BitPolicy bits = {4, 4, 8, 0};
    assert_int_equal(net_apply_bits(&ctx.net, &bits, &e), QA_OK);
    const OomCase map = {"map_net", run_map, map_is_empty, map_release};
    assert_true(oom_loop(&map, &ctx) >= 3);

    assert_int_equal(map_net(&ctx.a, &ctx.net, &ctx.ts, &e), QA_OK);
    const OomCase an = {"analytic_run", run_analytic, stats_is_empty,
                        stats_release};
    assert_true(oom_loop(&an, &ctx) >= 1);
    tile_free(&ctx.ts);
    net_free(&ctx.net);
}

/* point_run: the whole of `qarray run` short of writing files. */
typedef struct {
    PointSpec spec;
    RunRecord rec;
    LayerRecord *rows;
    int n;
} PointCtx;

static int run_point(void *ctx, Err *e)
{
    PointCtx *c = ctx;
    c->rows = NULL;
    c->n = 0;
    return point_run(&c->spec, &c->rec, &c->rows, &c->n, e);
}

static int point_is_empty(const void *ctx)
{
    return ((const PointCtx *)ctx)->rows == NULL;
}

static void point_release(void *ctx) { free(((PointCtx *)ctx)->rows); }

static void test_point_run(void **state)
{
    (void)state;
    PointCtx ctx;
    Err e;
    point_defaults(&ctx.spec);
    assert_int_equal(arch_load(&ctx.spec.accel, "arch/tiny.cfg", &e), QA_OK);
    snprintf(ctx.spec.workload, sizeof ctx.spec.workload, "resnet20");
    ctx.spec.w_bits = ctx.spec.a_bits = 4;
    ctx.spec.engine = ENGINE_ANALYTIC;
    const OomCase c = {"point_run", run_point, point_is_empty, point_release};
    assert_true(oom_loop(&c, &ctx) >= 5);
}

/* The SystemC engine: sim_run forks one child per simulation; failures in
 * the parent and in the child must both come back as a clean Err. */
static void test_point_run_systemc(void **state)
{
    (void)state;
    PointCtx ctx;
    Err e;
    point_defaults(&ctx.spec);
    assert_int_equal(arch_load(&ctx.spec.accel, "arch/tiny.cfg", &e), QA_OK);
    snprintf(ctx.spec.workload, sizeof ctx.spec.workload, "resnet20");
    ctx.spec.w_bits = ctx.spec.a_bits = 4;
    ctx.spec.engine = ENGINE_SYSTEMC;
    const OomCase c = {"point_run systemc", run_point, point_is_empty,
                       point_release};
    assert_true(oom_loop_fork(&c, &ctx, 1) >= 5);
}

/* npy_read_f32. */
typedef struct {
    const char *path;
    float *x;
    NpyShape sh;
} NpyCtx;

static int run_npy(void *ctx, Err *e)
{
    NpyCtx *c = ctx;
    return npy_read_f32(c->path, &c->x, &c->sh, e);
}

static int npy_is_empty(const void *ctx) { return ((const NpyCtx *)ctx)->x == NULL; }

static void npy_release(void *ctx) { free(((NpyCtx *)ctx)->x); }

static void test_npy_read(void **state)
{
    (void)state;
    char path[640];
    snprintf(path, sizeof path, "%s/t.npy", dir);
    float x[6] = {1, 2, 3, 4, 5, 6};
    NpyShape sh = {.ndim = 2, .shape = {2, 3}, .n = 6};
    Err e;
    assert_int_equal(npy_write(path, NPY_F32, x, &sh, &e), QA_OK);
    const OomCase c = {"npy_read_f32", run_npy, npy_is_empty, npy_release};
    NpyCtx ctx = {.path = path};
    assert_int_equal(oom_loop(&c, &ctx), 2); /* header, data */
}

/* pe_ref_gemm: the PE-level reference array. */
typedef struct {
    Dataflow df;
    int32_t A[6 * 5], B[5 * 7];
    int64_t O[6 * 7];
} PeCtx;

static int run_pe(void *ctx, Err *e)
{
    PeCtx *c = ctx;
    PeRefStats st;
    return pe_ref_gemm(c->df, 3, 4, 6, 5, 7, c->A, c->B, c->O, 1, &st, e);
}

static int pe_is_empty(const void *ctx)
{
    (void)ctx;
    return 1; /* nothing is handed out; ASan checks the internal buffers */
}

static void pe_release(void *ctx) { (void)ctx; }

static void test_pe_ref(void **state)
{
    (void)state;
    PeCtx ctx;
    for (int i = 0; i < 30; i++)
        ctx.A[i] = i % 7 - 3;
    for (int i = 0; i < 35; i++)
        ctx.B[i] = i % 5 - 2;
    const OomCase c = {"pe_ref_gemm", run_pe, pe_is_empty, pe_release};
    for (int df = 0; df < DF_COUNT; df++) {
        ctx.df = (Dataflow)df;
        assert_true(oom_loop(&c, &ctx) >= 3);
    }
}

/* q_levels_*: level sets for the quantizers and `qarray levels`. */
typedef struct {
    QLevels lv;
    int kind;
} LevelCtx;

static int run_levels(void *ctx, Err *e)
{
    LevelCtx *c = ctx;
    memset(&c->lv, 0, sizeof c->lv);
    switch (c->kind) {
    case 0: return q_levels_apot(&c->lv, 4, 1, e);
    case 1: return q_levels_pot(&c->lv, 4, 0, e);
    default: return q_levels_uniform(&c->lv, 3, 1, e);
    }
}

static int levels_is_empty(const void *ctx)
{
    const QLevels *lv = &((const LevelCtx *)ctx)->lv;
    return lv->v == NULL && lv->mid == NULL && lv->lut == NULL;
}

static void levels_release(void *ctx) { q_levels_free(&((LevelCtx *)ctx)->lv); }

static void test_levels(void **state)
{
    (void)state;
    const OomCase c = {"q_levels", run_levels, levels_is_empty, levels_release};
    for (int k = 0; k < 3; k++) {
        LevelCtx ctx = {.kind = k};
        assert_true(oom_loop(&c, &ctx) >= 3);
    }
}

/* study_load and table_read: what `qarray sweep --resume` and
 * `qarray merge` read. */
typedef struct {
    Study s;
    Table t;
    const char *path;
} SweepCtx;

static int run_study(void *ctx, Err *e)
{
    SweepCtx *c = ctx;
    return study_load(&c->s, c->path, e);
}

static int study_is_empty(const void *ctx)
{
    const Study *s = &((const SweepCtx *)ctx)->s;
    for (int ax = 0; ax < STUDY_NAXES; ax++)
        if (s->axes[ax].v)
            return 0;
    return 1;
}

static void study_release(void *ctx) { study_free(&((SweepCtx *)ctx)->s); }

static int run_table(void *ctx, Err *e)
{
    SweepCtx *c = ctx;
    return table_read(&c->t, c->path, e);
}

static int table_is_empty(const void *ctx)
{
    const Table *t = &((const SweepCtx *)ctx)->t;
    return t->buf == NULL && t->names == NULL && t->cells == NULL;
}

static void table_release(void *ctx) { table_free(&((SweepCtx *)ctx)->t); }

static void test_study_and_table(void **state)
{
    (void)state;
    const OomCase st = {"study_load", run_study, study_is_empty, study_release};
    SweepCtx ctx = {.path = "arch/studies/pact2018.cfg"};
    assert_true(oom_loop(&st, &ctx) >= 5);

    char path[640];
    snprintf(path, sizeof path, "%s/points.csv", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("point,bits,cycles\n0,16,100\n1,\"4/4\",30\n", f);
    fclose(f);
    const OomCase tb = {"table_read", run_table, table_is_empty, table_release};
    ctx.path = path;
    assert_int_equal(oom_loop(&tb, &ctx), 4); /* buffer, names, cells, lines */
}

/* st_read (model files) and idx_load (datasets). */
typedef struct {
    StFile f;
    Dataset ds;
    const char *a, *b;
} QuantFileCtx;

static int run_st(void *ctx, Err *e)
{
    QuantFileCtx *c = ctx;
    return st_read(&c->f, c->a, e);
}

static int st_is_empty(const void *ctx)
{
    const StFile *f = &((const QuantFileCtx *)ctx)->f;
    return f->buf == NULL && f->t == NULL && f->meta == NULL;
}

static void st_release(void *ctx) { st_close(&((QuantFileCtx *)ctx)->f); }

static int run_idx(void *ctx, Err *e)
{
    QuantFileCtx *c = ctx;
    return idx_load(&c->ds, c->a, c->b, e);
}

static int idx_is_empty(const void *ctx)
{
    const Dataset *d = &((const QuantFileCtx *)ctx)->ds;
    return d->images == NULL && d->labels == NULL;
}

static void idx_release(void *ctx) { idx_free(&((QuantFileCtx *)ctx)->ds); }

static void test_model_and_dataset_files(void **state)
{
    (void)state;
    char st[640], im[640], lb[640];
    snprintf(st, sizeof st, "%s/m.safetensors", dir);
    float w[6] = {1, 2, 3, 4, 5, 6};
    int8_t b[2] = {-1, 1};
    StTensor t[2] = {
        {.name = "conv1.w", .dtype = ST_F32, .ndim = 2, .shape = {2, 3}, .data = w,
         .bytes = sizeof w},
        {.name = "conv1.b", .dtype = ST_I8, .ndim = 1, .shape = {2}, .data = b,
         .bytes = sizeof b},
    };
    const char *meta[2] = {"format", "qarray"};
    Err e;
    assert_int_equal(st_write(st, t, 2, meta, 1, &e), QA_OK);
    QuantFileCtx ctx = {.a = st};
    const OomCase sc = {"st_read", run_st, st_is_empty, st_release};
    assert_true(oom_loop(&sc, &ctx) >= 5);

    snprintf(im, sizeof im, "%s/im.idx", dir);
    snprintf(lb, sizeof lb, "%s/lb.idx", dir);
    static const uint8_t imb[16 + 2 * 2 * 3] = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3};
    static const uint8_t lbb[8 + 2] = {0, 0, 8, 1, 0, 0, 0, 2, 7, 9};
    FILE *f = fopen(im, "wb");
    assert_non_null(f);
    fwrite(imb, 1, sizeof imb, f);
    fclose(f);
    f = fopen(lb, "wb");
    assert_non_null(f);
    fwrite(lbb, 1, sizeof lbb, f);
    fclose(f);
    ctx.a = im;
    ctx.b = lb;
    const OomCase ic = {"idx_load", run_idx, idx_is_empty, idx_release};
    assert_true(oom_loop(&ic, &ctx) >= 6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_net_build_every_builtin),
        cmocka_unit_test(test_topo_csv_load),
        cmocka_unit_test(test_onnx_load),
        cmocka_unit_test(test_tile_map_and_analytic),
        cmocka_unit_test(test_point_run),
        cmocka_unit_test(test_point_run_systemc),
        cmocka_unit_test(test_npy_read),
        cmocka_unit_test(test_pe_ref),
        cmocka_unit_test(test_levels),
        cmocka_unit_test(test_study_and_table),
        cmocka_unit_test(test_model_and_dataset_files),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
