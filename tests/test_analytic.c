/* test_analytic.c: the load/compute/store pipeline by hand, the bandwidth
 * floor, and the transfer time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "models/analytic.h"
#include "quant/rng.h"

static void chip(Accel *a)
{
    arch_defaults(a);
    a->clock_ghz = 1.0;
    a->dram_gbps = 10.0;       /* 10 bytes per cycle */
    a->dram_latency_cycles = 5;
}

static void test_xfer(void **state)
{
    (void)state;
    Accel a;
    chip(&a);
    assert_int_equal(analytic_xfer_cycles(&a, 0), 0);
    assert_int_equal(analytic_xfer_cycles(&a, 100), 5 + 10);
    assert_int_equal(analytic_xfer_cycles(&a, 101), 5 + 11); /* rounds up */
    a.dram_gbps = 0; /* unlimited: latency only */
    assert_int_equal(analytic_xfer_cycles(&a, 1 << 30), 5);
}

/* Three tiles: load 100 B (15 cycles), compute 20, store 50 B (10).
 * Double-buffered (B = 2):
 *   t1: ld 15, compute 15..35, store 35..45
 *   t2: ld 15..30, compute 35..55, store 55..65
 *   t3: ld starts at max(30, cd1 = 35) -> 50, compute 55..75, store 75..85
 * Single buffer (B = 1):
 *   t1: ld 15, compute 15..35, store 35..45
 *   t2: ld 35..50, compute 50..70, store 70..80
 *   t3: ld 70..85, compute 85..105, store 105..115 */
static void test_pipeline_by_hand(void **state)
{
    (void)state;
    Accel a;
    chip(&a);
    TileGroup g = {0};
    g.count = 3;
    g.load_in_bytes = 100;
    g.compute_cycles = 20;
    g.store_out_bytes = 50;
    int64_t busy;
    a.double_buffer = 1;
    assert_int_equal(analytic_core_cycles(&a, &g, 1, &busy), 85);
    assert_int_equal(busy, 60);
    a.double_buffer = 0;
    assert_int_equal(analytic_core_cycles(&a, &g, 1, &busy), 115);
    /* The same tiles as three runs of one give the same time. */
    TileGroup three[3] = {g, g, g};
    for (int i = 0; i < 3; i++)
        three[i].count = 1;
    assert_int_equal(analytic_core_cycles(&a, three, 3, NULL), 115);
}

/* Compute-bound: with double buffering the layer costs one load, all
 * computes and one store: 15 + 10 * 100 + 10. */
static void test_compute_bound(void **state)
{
    (void)state;
    Accel a;
    chip(&a);
    TileGroup g = {0};
    g.count = 10;
    g.load_w_bytes = 60;
    g.load_in_bytes = 40;
    g.compute_cycles = 100;
    g.store_out_bytes = 50;
    assert_int_equal(analytic_core_cycles(&a, &g, 1, NULL), 15 + 1000 + 10);
}

/* The layer never beats its DRAM bytes / bandwidth, and is the slowest
 * core's pipeline otherwise. */
static void test_run_floor(void **state)
{
    (void)state;
    Accel a;
    chip(&a);
    a.cores = 2;
    TileGroup groups[2] = {{0}, {0}};
    groups[0].count = 1;
    groups[0].load_in_bytes = 1000; /* 105 cycles alone */
    groups[0].compute_cycles = 10;
    groups[1] = groups[0];
    groups[1].compute_cycles = 30;
    int first[3] = {0, 1, 2};
    LayerMap m;
    memset(&m, 0, sizeof m);
    m.cores_used = 2;
    m.groups = groups;
    m.first = first;
    m.ngroups = 2;
    m.dram_in_bytes = 2000;
    m.macs = 0;
    TileSchedule ts = {1, &m, 0};
    Net net;
    memset(&net, 0, sizeof net);
    net.n = 1;
    RunStats rs;
    Err e;
    assert_int_equal(analytic_run(&a, &net, &ts, &rs, &e), QA_OK);
    /* pipelines: 105 + 10 and 105 + 30 = 135; floor 2000 / 10 = 200 */
    assert_int_equal(rs.layers[0].mem_cycles, 200);
    assert_int_equal(rs.layers[0].cycles, 200);
    assert_int_equal(rs.layers[0].compute_cycles, 30);
    assert_int_equal(rs.cycles, 200);
    assert_int_equal(rs.dram_rd_bytes, 2000);
    stats_free(&rs);
    a.dram_gbps = 0;
    assert_int_equal(analytic_run(&a, &net, &ts, &rs, &e), QA_OK);
    assert_int_equal(rs.layers[0].cycles, 5 + 30);
    stats_free(&rs);
}

/* The recurrences of the file comment, tile by tile, with no shortcut. */
static int64_t naive_core(const Accel *a, const TileGroup *g, int ng,
                          int64_t reps)
{
    int64_t ld1 = 0, cd1 = 0, cd2 = 0, sd1 = 0, sd2 = 0;
    int two = a->double_buffer != 0;
    for (int64_t r = 0; r < reps; r++)
        for (int i = 0; i < ng; i++)
            for (int64_t t = 0; t < g[i].count; t++) {
                int64_t load = analytic_xfer_cycles(a, g[i].load_w_bytes + g[i].load_in_bytes);
                int64_t store = analytic_xfer_cycles(a, g[i].store_out_bytes);
                int64_t ld = QA_MAX(ld1, two ? cd2 : cd1) + load;
                int64_t cs = QA_MAX(QA_MAX(ld, cd1), two ? sd2 : sd1);
                int64_t cd = cs + g[i].compute_cycles;
                int64_t sd = QA_MAX(cd, sd1) + store;
                ld1 = ld, cd2 = cd1, cd1 = cd, sd2 = sd1, sd1 = sd;
            }
    return QA_MAX(sd1, cd1);
}

/* Long runs and repeated sequences are added in a few steps (a state that
 * shifts by the same amount each step keeps doing so): the result must be
 * the tile-by-tile one on random runs, including empty loads and stores,
 * zero compute, and runs long enough to take the shortcut. */
static void test_runs_equal_tile_by_tile(void **state)
{
    (void)state;
    Rng r;
    rng_seed(&r, 7);
    for (int trial = 0; trial < 3000; trial++) {
        Accel a;
        chip(&a);
        a.double_buffer = (int)(rng_u64(&r) % 2);
        a.dram_latency_cycles = (int64_t)(rng_u64(&r) % 200);
        a.dram_gbps = rng_u64(&r) % 4 == 0 ? 0 : 0.5 + (double)(rng_u64(&r) % 64);
        TileGroup g[4];
        int ng = 1 + (int)(rng_u64(&r) % 4);
        for (int i = 0; i < ng; i++) {
            memset(&g[i], 0, sizeof g[i]);
            g[i].count = 1 + (int64_t)(rng_u64(&r) % 40);
            g[i].load_in_bytes = rng_u64(&r) % 3 == 0 ? 0 : (int64_t)(rng_u64(&r) % 5000);
            g[i].compute_cycles = rng_u64(&r) % 5 == 0 ? 0 : (int64_t)(rng_u64(&r) % 3000);
            g[i].store_out_bytes = rng_u64(&r) % 3 == 0 ? 0 : (int64_t)(rng_u64(&r) % 5000);
        }
        int64_t reps = 1 + (int64_t)(rng_u64(&r) % 12);
        Pipeline p;
        analytic_pipe_init(&p);
        analytic_pipe_run(&p, &a, g, ng, reps);
        int64_t want = naive_core(&a, g, ng, reps);
        if (analytic_pipe_end(&p) != want)
            fail_msg("trial %d: %lld cycles, tile by tile %lld", trial,
                     (long long)analytic_pipe_end(&p), (long long)want);
        if (reps == 1)
            assert_int_equal(analytic_core_cycles(&a, g, ng, NULL), want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xfer),
        cmocka_unit_test(test_pipeline_by_hand),
        cmocka_unit_test(test_compute_bound),
        cmocka_unit_test(test_run_floor),
        cmocka_unit_test(test_runs_equal_tile_by_tile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
