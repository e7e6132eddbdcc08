/* test_scalesim.c: SCALE-Sim v2's compute cycles (models/scalesim.c)
 * against SCALE-Sim v2's own reports: every row of
 * tests/golden/scalesim/cycles.csv (441 layers: os, ws, is; 32x32, 8x8,
 * 16x64, 64x8; conv, fc, GEMM, depthwise, ResNet-50; how they were made:
 * tests/golden/scalesim/README.md) through the closed forms, and through
 * qarray itself with core.timing = "scalesim": the row read as a topology,
 * mapped and timed. Run from the repository root. */
#include "tests/qtest.h"

#include "models/analytic.h"
#include "models/mapper.h"
#include "models/scalesim.h"
#include "workloads/net.h"

#include <unistd.h>

#define GOLDEN "tests/golden/scalesim/cycles.csv"
#define NGOLDEN 441

/* One row of cycles.csv; integers missing in the file are 0. */
typedef struct {
    int rows, cols;
    Dataflow df;
    char topo[32];
    int id;
    char name[64];
    ScalesimConv c;
    int64_t gm, gn, gk;   /* GEMM rows */
    int dp;               /* a DP row's channel layer, -1 otherwise */
    int64_t total, stall;
} Golden;

static Golden golden[NGOLDEN + 1];
static int ngolden;

static int field_int(const char *s)
{
    return *s ? atoi(s) : 0;
}

static int load_golden(void **state)
{
    (void)state;
    FILE *f = fopen(GOLDEN, "r");
    if (!f)
        return -1;
    char line[512];
    int lineno = 0;
    ngolden = 0;
    while (fgets(line, sizeof line, f)) {
        if (lineno++ == 0)
            continue;
        char *fld[24];
        int n = 0;
        for (char *p = line; n < 24;) {
            fld[n++] = p;
            char *comma = strchr(p, ',');
            if (!comma) {
                p[strcspn(p, "\r\n")] = '\0';
                break;
            }
            *comma = '\0';
            p = comma + 1;
        }
        if (n != 21 || ngolden == NGOLDEN + 1) {
            fclose(f);
            return -1;
        }
        Golden *g = &golden[ngolden++];
        g->rows = field_int(fld[0]);
        g->cols = field_int(fld[1]);
        if (arch_dataflow_parse(fld[2], &g->df) != QA_OK) {
            fclose(f);
            return -1;
        }
        snprintf(g->topo, sizeof g->topo, "%s", fld[3]);
        g->id = field_int(fld[4]);
        snprintf(g->name, sizeof g->name, "%s", fld[5]);
        g->c = (ScalesimConv){field_int(fld[6]), field_int(fld[7]),
                              field_int(fld[8]), field_int(fld[9]),
                              field_int(fld[10]), field_int(fld[11]),
                              field_int(fld[12]), field_int(fld[13])};
        g->gm = field_int(fld[14]);
        g->gn = field_int(fld[15]);
        g->gk = field_int(fld[16]);
        g->dp = *fld[17] ? atoi(fld[17]) : -1;
        g->total = atoll(fld[18]);
        g->stall = atoll(fld[19]);
    }
    fclose(f);
    return 0;
}

/* Output size: ceil((H - F + s) / s); one more than the frameworks' floor
 * when s does not divide H - F (FORMULAS in scalesim.h). */
static void test_out_dim(void **state)
{
    (void)state;
    assert_int_equal(scalesim_out_dim(224, 7, 2), 110); /* floor: 109 */
    assert_int_equal(scalesim_out_dim(229, 7, 2), 112);
    assert_int_equal(scalesim_out_dim(230, 7, 2), 113); /* floor: 112 */
    assert_int_equal(scalesim_out_dim(56, 1, 2), 29);   /* floor: 28 */
    assert_int_equal(scalesim_out_dim(15, 3, 2), 7);
    assert_int_equal(scalesim_out_dim(16, 3, 2), 8);    /* floor: 7 */
    assert_int_equal(scalesim_out_dim(224, 11, 4), 55); /* floor: 54 */
    assert_int_equal(scalesim_out_dim(1, 1, 5), 1);
    assert_int_equal(scalesim_out_dim(4, 5, 1), -1);
    assert_int_equal(scalesim_out_dim(4, 0, 1), -1);
    assert_int_equal(scalesim_out_dim(4, 3, 0), -1);
    assert_int_equal(scalesim_out_dim(1 << 30, 1, 1 << 30), 2);
}

/* Hand-computed layers (R = C = 32 unless said):
 *  c7s2_32 os: 14x14 out, Sr = 196, Sc = 16, T = 147: 7 x 1 folds of
 *    147 + 32 + 32 - 2 = 209: 1462.
 *  fc 2048 -> 1000 os: Sr = 1, Sc = 1000, T = 2048: 32 folds of 2110: 67519.
 *  the same ws: Sr = 2048, Sc = 1000, T = 1: 64 x 32 folds of
 *    1 + 64 + 32 - 2 = 95: 194559.
 *  GEMM 128 x 256 x 64 ws: Sr = K = 256, Sc = N = 64, T = M = 128: 8 x 2
 *    folds of 222: 3551.
 *  the same is: Sr = 256, Sc = M = 128, T = N = 64: 8 x 4 folds of 158:
 *    5055.
 *  16x64 os, the fc 100 -> 10: one fold of 100 + 16 + 64 - 2 = 178: 177. */
static void test_hand_cases(void **state)
{
    (void)state;
    ScalesimConv c7 = {32, 32, 7, 7, 3, 16, 2, 2};
    assert_int_equal(scalesim_conv_cycles(DF_OS, 32, 32, &c7), 1462);
    ScalesimConv fc = {1, 1, 1, 1, 2048, 1000, 1, 1};
    assert_int_equal(scalesim_conv_cycles(DF_OS, 32, 32, &fc), 67519);
    assert_int_equal(scalesim_conv_cycles(DF_WS, 32, 32, &fc), 194559);
    assert_int_equal(scalesim_folds(DF_WS, 32, 32, 1, 2048, 1000), 64 * 32);
    assert_int_equal(scalesim_gemm_cycles(DF_WS, 32, 32, 128, 256, 64), 3551);
    assert_int_equal(scalesim_gemm_cycles(DF_IS, 32, 32, 128, 256, 64), 5055);
    assert_int_equal(scalesim_gemm_rows(DF_IS, 32, 32, 128, 256, 64), 5056);
    ScalesimConv fc100 = {1, 1, 1, 1, 100, 10, 1, 1};
    assert_int_equal(scalesim_conv_cycles(DF_OS, 16, 64, &fc100), 177);
    assert_int_equal(scalesim_fold_cycles(DF_OS, 16, 64, 100), 178);
    assert_int_equal(scalesim_fold_cycles(DF_WS, 16, 64, 100), 194);
}

static void test_bad_and_huge(void **state)
{
    (void)state;
    assert_int_equal(scalesim_gemm_rows(DF_COUNT, 4, 4, 1, 1, 1), -1);
    assert_int_equal(scalesim_gemm_rows(DF_OS, 0, 4, 1, 1, 1), -1);
    assert_int_equal(scalesim_gemm_rows(DF_OS, 4, 0, 1, 1, 1), -1);
    assert_int_equal(scalesim_gemm_rows(DF_WS, 4, 4, 0, 1, 1), -1);
    assert_int_equal(scalesim_gemm_cycles(DF_IS, 4, 4, 1, 1, -1), -1);
    assert_int_equal(scalesim_folds(DF_IS, 4, 4, 1, 0, 1), -1);
    assert_int_equal(scalesim_fold_cycles(DF_OS, 4, 4, 0), -1);
    ScalesimConv big_filter = {4, 4, 5, 1, 1, 1, 1, 1};
    assert_int_equal(scalesim_conv_cycles(DF_OS, 4, 4, &big_filter), -1);
    ScalesimConv no_ch = {4, 4, 1, 1, 0, 1, 1, 1};
    assert_int_equal(scalesim_conv_cycles(DF_OS, 4, 4, &no_ch), -1);
    /* saturates instead of wrapping */
    const int64_t big = INT64_MAX / 2;
    for (int df = 0; df < DF_COUNT; df++) {
        assert_int_equal(scalesim_gemm_rows((Dataflow)df, 1, 1, big, big, big),
                         INT64_MAX);
        assert_int_equal(scalesim_gemm_cycles((Dataflow)df, 1, 1, big, big,
                                              big), INT64_MAX);
    }
}

/* Every golden row through the closed forms: a DP row's channel layer is
 * the row with one channel, a GEMM row M x K x N. */
static void test_golden_closed_form(void **state)
{
    (void)state;
    assert_int_equal(ngolden, NGOLDEN);
    int dp = 0, gemm = 0, stride2x1 = 0;
    for (int i = 0; i < ngolden; i++) {
        const Golden *g = &golden[i];
        assert_int_equal(g->stall, 0);
        int64_t got;
        if (g->gm) {
            got = scalesim_gemm_cycles(g->df, g->rows, g->cols, g->gm, g->gk,
                                       g->gn);
            gemm++;
        } else {
            ScalesimConv c = g->c;
            if (g->dp >= 0) {
                c.Ch = 1;
                dp++;
            }
            stride2x1 += c.sh != c.sw;
            got = scalesim_conv_cycles(g->df, g->rows, g->cols, &c);
        }
        if (got != g->total)
            fail_msg("%dx%d %s %s %s: %lld cycles, SCALE-Sim %lld", g->rows,
                     g->cols, arch_dataflow_name(g->df), g->topo, g->name,
                     (long long)got, (long long)g->total);
    }
    int64_t r50 = 0;
    for (int i = 0; i < ngolden; i++)
        if (!strcmp(golden[i].topo, "Resnet50_clean.csv"))
            r50 += golden[i].total;
    assert_int_equal(r50, 4434168);
    assert_int_equal(dp, 12 * 13);   /* 8 + 5 channel layers, 12 configs */
    assert_int_equal(gemm, 12 * 5);
    assert_int_equal(stride2x1, 12); /* c3_s2x1 */
}

/* Every golden row through qarray's scalesim timing: the row as a one-row
 * topology (read with SCALE-Sim's rounding), mapped on one core of the
 * row's array with no DRAM limit or latency and a scratchpad that holds the
 * layer, timed by the analytic model: the layer's compute cycles and the
 * run's cycles are SCALE-Sim's. Rows with two strides (c3_s2x1) are left
 * out: a qarray layer has one stride and the reader refuses them. */
static void test_golden_qarray_mode(void **state)
{
    (void)state;
    char path[256];
    const char *tmp = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/qa_scalesim_%d.csv",
             tmp && *tmp ? tmp : "/tmp", (int)getpid());
    int done = 0;
    for (int i = 0; i < ngolden; i++) {
        const Golden *g = &golden[i];
        if (!g->gm && g->c.sh != g->c.sw)
            continue;
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        if (g->gm)
            fprintf(f, "Layer, M, N, K,\n%s, %lld, %lld, %lld,\n", g->name,
                    (long long)g->gm, (long long)g->gn, (long long)g->gk);
        else /* a DP channel layer: one channel keeps the name */
            fprintf(f, "Layer name, IFMAP Height, IFMAP Width, Filter Height, "
                       "Filter Width, Channels, Num Filter, Strides,\n"
                       "%s, %d, %d, %d, %d, %d, %d, %d,\n", g->name, g->c.H,
                    g->c.W, g->c.Fh, g->c.Fw, g->dp >= 0 ? 1 : g->c.Ch, g->c.K,
                    g->c.sh);
        fclose(f);
        Net net;
        Err e;
        if (topo_csv_read(&net, path, TOPO_CEIL, &e) != QA_OK)
            fail_msg("%s: %s", g->name, e.msg);
        assert_int_equal(net.n, 1);
        Accel a;
        arch_defaults(&a);
        a.rows = g->rows, a.cols = g->cols, a.dataflow = g->df;
        a.timing = TIMING_SCALESIM;
        a.dram_gbps = 0, a.dram_latency_cycles = 0;
        a.sram_bytes = (int64_t)1 << 30;
        assert_int_equal(arch_validate(&a, NULL, &e), QA_OK);
        TileSchedule ts;
        RunStats rs;
        assert_int_equal(map_net(&a, &net, &ts, &e), QA_OK);
        assert_int_equal(ts.layers[0].tiles, 1);
        assert_int_equal(analytic_run(&a, &net, &ts, &rs, &e), QA_OK);
        if (rs.layers[0].compute_cycles != g->total || rs.cycles != g->total)
            fail_msg("%dx%d %s %s %s: qarray %lld compute, %lld total; "
                     "SCALE-Sim %lld", g->rows, g->cols,
                     arch_dataflow_name(g->df), g->topo, g->name,
                     (long long)rs.layers[0].compute_cycles,
                     (long long)rs.cycles, (long long)g->total);
        stats_free(&rs);
        tile_free(&ts);
        net_free(&net);
        done++;
    }
    unlink(path);
    assert_int_equal(done, NGOLDEN - 12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_out_dim),
        cmocka_unit_test(test_hand_cases),
        cmocka_unit_test(test_bad_and_huge),
        cmocka_unit_test(test_golden_closed_form),
        cmocka_unit_test(test_golden_qarray_mode),
    };
    return cmocka_run_group_tests(tests, load_golden, NULL);
}
