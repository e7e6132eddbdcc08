/* test_sim.c: the SystemC engine through its C facade (sim.h).
 *
 * Hand-computed cycle counts (the arithmetic is in the comment above each
 * test), exact equality with analytic_run wherever the SystemC model has no
 * contention to add, bounds where it has, and exact byte and burst counts
 * measured in the Dram target. Every sim_run forks one SystemC child. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "models/analytic.h"
#include "models/mapper.h"
#include "sim/engine/acct.h"
#include "sim/engine/chan.h"
#include "sim/engine/sim.h"
#include "tests/qtest.h"
#include "quant/rng.h"

#define MAXL 8
#define MAXC 4
#define MAXG 64

/* A hand-built schedule: fixed-size storage for up to MAXL layers. */
typedef struct {
    TileSchedule ts;
    LayerMap maps[MAXL];
    TileGroup groups[MAXL][MAXG];
    int first[MAXL][MAXC + 1];
} Sched;

static TileGroup tg(int64_t count, int64_t load, int64_t compute,
                    int64_t store)
{
    TileGroup g;
    memset(&g, 0, sizeof g);
    g.count = count;
    g.load_in_bytes = load;
    g.compute_cycles = compute;
    g.store_out_bytes = store;
    return g;
}

static void sched_init(Sched *s)
{
    memset(s, 0, sizeof *s);
    s->ts.layers = s->maps;
}

/* Appends a layer; core c runs groups g[per_core[0] + ... + per_core[c-1]
 * .. + per_core[c] - 1]. The layer's DRAM byte counts (the mapper's) are
 * the sums over its tiles. */
static void sched_add(Sched *s, int cores_used, const int *per_core,
                      const TileGroup *g)
{
    int l = s->ts.n++;
    assert_true(l < MAXL);
    LayerMap *m = &s->maps[l];
    m->layer = l;
    m->cores_used = cores_used;
    m->rows = m->cols = 4;
    m->groups = s->groups[l];
    m->first = s->first[l];
    int n = 0;
    for (int c = 0; c < cores_used; c++) {
        m->first[c] = n;
        n += per_core[c];
    }
    m->first[cores_used] = n;
    m->ngroups = n;
    assert_true(n <= MAXG);
    for (int i = 0; i < n; i++) {
        m->groups[i] = g[i];
        m->dram_w_bytes += g[i].count * g[i].load_w_bytes;
        m->dram_in_bytes += g[i].count * g[i].load_in_bytes;
        m->dram_psum_rd_bytes += g[i].count * g[i].load_psum_bytes;
        m->dram_out_bytes += g[i].count * g[i].store_out_bytes;
        m->dram_psum_wr_bytes += g[i].count * g[i].store_psum_bytes;
        m->macs += g[i].count * g[i].macs;
    }
}

/* 1 GHz, so GB/s are bytes per cycle. */
static Accel chip(int cores, double gbps, int64_t latency, int burst,
                  int double_buffer)
{
    Accel a;
    arch_defaults(&a);
    a.clock_ghz = 1.0;
    a.cores = cores;
    a.dram_gbps = gbps;
    a.dram_latency_cycles = latency;
    a.burst_bytes = burst;
    a.double_buffer = double_buffer;
    return a;
}

static void run_opt(const Accel *a, const Sched *s, const SimOptions *opt,
                    RunStats *rs)
{
    Err e;
    err_clear(&e);
    int rc = sim_run(a, &s->ts, opt, rs, &e);
    if (rc != QA_OK)
        err_print(&e, stderr);
    assert_int_equal(rc, QA_OK);
    assert_int_equal(rs->n, s->ts.n);
}

static void run_ok(const Accel *a, const Sched *s, RunStats *rs)
{
    run_opt(a, s, NULL, rs);
}

/* The layer's bytes and bursts as the schedule defines them. */
static void expect_traffic(const Accel *a, const LayerMap *m,
                           const LayerStats *st, int64_t *bursts)
{
    int64_t rd = m->dram_w_bytes + m->dram_in_bytes + m->dram_psum_rd_bytes;
    int64_t wr = m->dram_out_bytes + m->dram_psum_wr_bytes;
    assert_int_equal(st->dram_rd_bytes, rd);
    assert_int_equal(st->dram_wr_bytes, wr);
    assert_int_equal(rd + wr, tile_layer_dram_bytes(m));
    for (int i = 0; i < m->ngroups; i++) {
        const TileGroup *g = &m->groups[i];
        int64_t ld = g->load_w_bytes + g->load_in_bytes + g->load_psum_bytes;
        int64_t sd = g->store_out_bytes + g->store_psum_bytes;
        *bursts += g->count * (QA_CEIL_DIV(ld, a->burst_bytes) +
                               QA_CEIL_DIV(sd, a->burst_bytes));
    }
}

/* Every field both engines define the same way must be equal. */
static void expect_same_as_analytic(const Accel *a, const Sched *s,
                                    const RunStats *rs)
{
    RunStats an;
    Net net;
    Err e;
    net_init(&net, "hand");
    net.n = s->ts.n;
    assert_int_equal(analytic_run(a, &net, &s->ts, &an, &e), QA_OK);
    for (int l = 0; l < s->ts.n; l++) {
        const LayerStats *x = &rs->layers[l], *y = &an.layers[l];
        assert_int_equal(x->cycles, y->cycles);
        assert_int_equal(x->compute_cycles, y->compute_cycles);
        assert_int_equal(x->stall_cycles, y->stall_cycles);
        assert_int_equal(x->mem_cycles, y->mem_cycles);
        assert_int_equal(x->dram_rd_bytes, y->dram_rd_bytes);
        assert_int_equal(x->dram_wr_bytes, y->dram_wr_bytes);
        assert_true(x->util == y->util);
    }
    assert_int_equal(rs->cycles, an.cycles);
    stats_free(&an);
}

/* --- the channel arithmetic alone (C, no SystemC) ----------------------- */

/* 10 bytes/cycle, latency 7. A lone 1000-byte transfer in 64-byte bursts
 * (15 of 64 + one of 40) opens a busy period at its arrival, 50:
 * the last burst is delivered at 50 + 7 + ceil(1000 / 10) = 157, exactly
 * analytic_xfer_cycles(1000) after the arrival; the channel is free at 150.
 * A burst arriving at 149 finds it busy (continues: 1064 bytes, free at
 * 50 + ceil(106.4) = 157); one arriving at 157 opens a new period. */
static void test_chan_lone_transfer(void **state)
{
    (void)state;
    Accel a = chip(1, 10.0, 7, 64, 1);
    SimChan ch;
    sim_chan_init(&ch, &a);
    int64_t done = 0, free_at = 0, left = 1000;
    while (left > 0) {
        int64_t b = QA_MIN(left, 64);
        sim_chan_serve(&ch, 50, b, &done, &free_at);
        left -= b;
    }
    assert_int_equal(done, 157);
    assert_int_equal(done - 50, analytic_xfer_cycles(&a, 1000));
    assert_int_equal(free_at, 150);
    assert_true(sim_chan_busy_at(&ch, 149));
    assert_false(sim_chan_busy_at(&ch, 150));
    sim_chan_serve(&ch, 149, 64, &done, &free_at);
    assert_int_equal(free_at, 157);
    assert_int_equal(done, 164);
    sim_chan_serve(&ch, 157, 64, &done, &free_at);
    assert_int_equal(free_at, 157 + 7);
    assert_int_equal(done, 157 + 7 + 7);
    assert_int_equal(sim_chan_floor_cycles(&a, 1001), 101);

    /* Unlimited: only the latency, and the channel never stays busy. */
    Accel u = chip(1, 0, 7, 64, 1);
    sim_chan_init(&ch, &u);
    sim_chan_serve(&ch, 5, 1 << 20, &done, &free_at);
    assert_int_equal(done, 12);
    assert_int_equal(free_at, 5);
    assert_int_equal(sim_chan_floor_cycles(&u, 1 << 20), 0);
    /* 1 GHz -> 1 ns; 1.5 GHz -> 666666.67 fs, rounded; 667 ps; 1 ns. */
    assert_int_equal(sim_period_units(&a, -15), 1000000);
    a.clock_ghz = 1.5;
    assert_int_equal(sim_period_units(&a, -15), 666667);
    assert_int_equal(sim_period_units(&a, -12), 667);
    assert_int_equal(sim_period_units(&a, -9), 1);
    assert_int_equal(sim_period_units(&a, -6), 0);
}

/* --- double buffering: hand cases -------------------------------------- */

/* Compute-bound, one core, unlimited bandwidth, latency 10: 4 tiles of
 * 100 compute cycles, each loading and storing 64 bytes (10 cycles each).
 * Double-buffered: the loads of tiles 1..3 hide under computes, so
 *   10 (load 0) + 4 * 100 + 10 (store 3) = 420.
 * Single-buffered (B = 1): load t waits for compute t-1, compute t for
 * store t-1: ld0 10, cd0 110, sd0 120, then each tile adds 10 + 100:
 *   ld1 = 120, cd1 = 220, sd1 = 230, ..., sd3 = 120 + 3 * 110 = 450.
 * Layer 1 loads nothing (its inputs are on chip), so only the output slot
 * holds the array back. Double-buffered: 4 * 100 + 10 = 410. Single:
 * compute t waits for store t-1: cd0 100, sd0 110, cd1 210, sd1 220, ...,
 * sd3 = 110 * 4 = 440.
 * The array waits for data only for layer 0's loads: 10 cycles before
 * tile 0 double-buffered; single-buffered 10 before each tile (load t
 * starts when compute t-1 ends), 40 in all. */
static void test_double_buffer_compute_bound(void **state)
{
    (void)state;
    int one[1] = {1};
    TileGroup g0[1] = {tg(4, 64, 100, 64)};
    TileGroup g1[1] = {tg(4, 0, 100, 64)};
    Sched s;
    sched_init(&s);
    sched_add(&s, 1, one, g0);
    sched_add(&s, 1, one, g1);
    RunStats rs;
    Accel a = chip(1, 0, 10, 64, 1);
    run_ok(&a, &s, &rs);
    assert_int_equal(rs.layers[0].cycles, 420);
    assert_int_equal(rs.layers[0].compute_cycles, 400);
    assert_int_equal(rs.layers[0].stall_cycles, 20);
    assert_int_equal(rs.layers[0].data_stall_cycles, 10);
    assert_true(fabs(rs.core_busy[0] - 400.0 / 420) < 1e-12);
    assert_int_equal(rs.layers[1].cycles, 410);
    assert_int_equal(rs.layers[1].data_stall_cycles, 0);
    assert_int_equal(rs.cycles, 830);
    expect_same_as_analytic(&a, &s, &rs);
    stats_free(&rs);

    a.double_buffer = 0;
    run_ok(&a, &s, &rs);
    assert_int_equal(rs.layers[0].cycles, 450);
    assert_int_equal(rs.layers[0].data_stall_cycles, 40);
    assert_int_equal(rs.layers[1].cycles, 440);
    assert_int_equal(rs.layers[1].data_stall_cycles, 0);
    expect_same_as_analytic(&a, &s, &rs);
    stats_free(&rs);
}

/* Memory-bound, one core, 8 bytes/cycle, latency 0, 64-byte bursts:
 * 3 tiles, each loads 800 bytes (100 cycles), computes 10, stores nothing
 * (so no store competes for the channel).
 * Double-buffered: loads back to back, ld = 100, 200, 300; the last compute
 * ends at 310. Single-buffered: load t waits for compute t-1:
 * ld0 100, cd0 110, ld1 210, cd1 220, ld2 320, cd2 330.
 * 13 bursts per load (12 of 64 + one of 32): 39 in all. All stalls wait
 * for data: 100 + 90 + 90 = 280 double-buffered, 3 * 100 single. */
static void test_double_buffer_memory_bound(void **state)
{
    (void)state;
    int one[1] = {1};
    TileGroup g[1] = {tg(3, 800, 10, 0)};
    Sched s;
    sched_init(&s);
    sched_add(&s, 1, one, g);
    RunStats rs;
    Accel a = chip(1, 8.0, 0, 64, 1);
    run_ok(&a, &s, &rs);
    assert_int_equal(rs.layers[0].cycles, 310);
    assert_int_equal(rs.layers[0].mem_cycles, 300);
    assert_int_equal(rs.layers[0].dram_rd_bytes, 2400);
    assert_int_equal(rs.layers[0].dram_wr_bytes, 0);
    assert_int_equal(rs.transactions, 39);
    assert_int_equal(rs.layers[0].data_stall_cycles, 280);
    assert_true(fabs(rs.layers[0].dram_busy - 300.0 / 310) < 1e-12);
    expect_same_as_analytic(&a, &s, &rs);
    stats_free(&rs);

    a.double_buffer = 0;
    run_ok(&a, &s, &rs);
    assert_int_equal(rs.layers[0].cycles, 330);
    assert_int_equal(rs.layers[0].data_stall_cycles, 300);
    expect_same_as_analytic(&a, &s, &rs);
    stats_free(&rs);
}

/* --- contention: two cores, hand-computed ------------------------------- */

/* Two cores, 8 bytes/cycle, latency 10, 64-byte bursts (8 cycles each).
 * Each core: one tile, load 128 bytes (2 bursts), compute 100, store 64.
 * Both loads ask at cycle 0; round-robin over the queues (core0 load = 0,
 * core1 load = 2) interleaves their bursts on the channel:
 *   c0 burst 0..8, c1 8..16, c0 16..24 (c0 load delivered 24 + 10 = 34),
 *   c1 24..32 (delivered 42).
 * Computes: c0 34..134, c1 42..142. Stores: c0 134..142, delivered 152;
 * c1 asks at 142, when the channel is just free: 142..150, delivered 160.
 * Layer: 160 cycles (alone, a core would take 10+16 + 100 + 10+8 = 144,
 * which is what analytic_run says). Channel floor: 384 bytes / 8 = 48.
 * The slowest core, c1, waited 42 cycles for its data. */
static void test_contention_two_cores(void **state)
{
    (void)state;
    int per_core[2] = {1, 1};
    TileGroup g[2] = {tg(1, 128, 100, 64), tg(1, 128, 100, 64)};
    Sched s;
    sched_init(&s);
    sched_add(&s, 2, per_core, g);
    RunStats rs;
    Accel a = chip(2, 8.0, 10, 64, 1);
    run_ok(&a, &s, &rs);
    assert_int_equal(rs.layers[0].cycles, 160);
    assert_int_equal(rs.layers[0].compute_cycles, 100);
    assert_int_equal(rs.layers[0].stall_cycles, 60);
    assert_int_equal(rs.layers[0].data_stall_cycles, 42);
    assert_int_equal(rs.layers[0].mem_cycles, 48);
    assert_int_equal(rs.transactions, 6);
    assert_true(fabs(rs.core_busy[0] - 100.0 / 160) < 1e-12);
    assert_true(fabs(rs.core_busy[1] - 100.0 / 160) < 1e-12);

    RunStats an;
    Net net;
    Err e;
    net_init(&net, "hand");
    net.n = 1;
    assert_int_equal(analytic_run(&a, &net, &s.ts, &an, &e), QA_OK);
    assert_int_equal(an.layers[0].cycles, 144);
    stats_free(&an);
    stats_free(&rs);
}

/* The arbitration policy, by hand. Two cores, 8 bytes/cycle, latency 10,
 * 64-byte bursts (8 cycles); nothing is stored. Core 0 loads 128 bytes and
 * computes 100 cycles, core 1 loads 64 bytes and computes 200.
 * Round-robin: c0 0..8, c1 8..16 (c1 delivered 16 + 10 = 26), c0 16..24
 * (delivered 34); c0 ends at 134, c1 at 26 + 200 = 226: layer 226.
 * FCFS (both arrive at 0, the tie goes to core 0): c0 0..16 (delivered 26),
 * c1 16..24 (delivered 34); c0 ends at 126, c1 at 234: layer 234. */
static void test_arbitration_policies(void **state)
{
    (void)state;
    int per_core[2] = {1, 1};
    TileGroup g[2] = {tg(1, 128, 100, 0), tg(1, 64, 200, 0)};
    Sched s;
    sched_init(&s);
    sched_add(&s, 2, per_core, g);
    Accel a = chip(2, 8.0, 10, 64, 1);
    RunStats rs;
    SimOptions rr = {.arbitration = SIM_ARB_ROUND_ROBIN};
    SimOptions fcfs = {.arbitration = SIM_ARB_FCFS};
    run_opt(&a, &s, &rr, &rs);
    assert_int_equal(rs.layers[0].cycles, 226);
    assert_int_equal(rs.layers[0].data_stall_cycles, 26);
    stats_free(&rs);
    run_opt(&a, &s, &fcfs, &rs);
    assert_int_equal(rs.layers[0].cycles, 234);
    assert_int_equal(rs.layers[0].data_stall_cycles, 34);
    assert_int_equal(rs.transactions, 3);
    stats_free(&rs);

    SimArbitration arb;
    assert_int_equal(sim_arbitration_parse("fcfs", &arb), QA_OK);
    assert_int_equal(arb, SIM_ARB_FCFS);
    assert_int_equal(sim_arbitration_parse("round-robin", &arb), QA_OK);
    assert_int_equal(arb, SIM_ARB_ROUND_ROBIN);
    assert_int_equal(sim_arbitration_parse("lottery", &arb), QA_ERR);
    assert_string_equal(sim_arbitration_name(SIM_ARB_FCFS), "fcfs");
}

/* Four cores each load 4096 bytes in one tile from a 16 bytes/cycle
 * channel with no latency: whatever the interleaving, the channel needs
 * 16384 / 16 = 1024 cycles, and round-robin makes every core wait for
 * almost all of it: core c's last burst is one of the last four, so the
 * layer (compute 0, nothing stored) ends at exactly 1024. */
static void test_contention_shared_floor(void **state)
{
    (void)state;
    int per_core[4] = {1, 1, 1, 1};
    TileGroup g[4];
    for (int c = 0; c < 4; c++)
        g[c] = tg(1, 4096, 0, 0);
    Sched s;
    sched_init(&s);
    sched_add(&s, 4, per_core, g);
    RunStats rs;
    Accel a = chip(4, 16.0, 0, 64, 1);
    run_ok(&a, &s, &rs);
    assert_int_equal(rs.layers[0].cycles, 1024);
    assert_int_equal(rs.layers[0].mem_cycles, 1024);
    assert_true(fabs(rs.layers[0].dram_busy - 1.0) < 1e-12);
    assert_int_equal(rs.transactions, 256);
    stats_free(&rs);
}

/* --- random schedules ---------------------------------------------------- */

static uint64_t rng_next(uint64_t *x)
{
    /* xorshift64*: deterministic, seeded per test. */
    *x ^= *x >> 12;
    *x ^= *x << 25;
    *x ^= *x >> 27;
    return *x * 2685821657736338717ULL;
}

static int64_t rnd(uint64_t *x, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(rng_next(x) % (uint64_t)(hi - lo + 1));
}

/* Bytes are 0 about a quarter of the time (data already on chip). */
static int64_t rnd_bytes(uint64_t *x)
{
    return rnd(x, 0, 3) == 0 ? 0 : rnd(x, 1, 3000);
}

static void random_sched(Sched *s, uint64_t *x, int cores)
{
    sched_init(s);
    int layers = (int)rnd(x, 2, MAXL);
    for (int l = 0; l < layers; l++) {
        int used = (int)rnd(x, 1, cores);
        int per_core[MAXC];
        TileGroup g[MAXG];
        int n = 0;
        for (int c = 0; c < used; c++) {
            per_core[c] = (int)rnd(x, 0, 3);
            for (int i = 0; i < per_core[c]; i++) {
                TileGroup *t = &g[n++];
                memset(t, 0, sizeof *t);
                t->count = rnd(x, 1, 12);
                t->load_w_bytes = rnd_bytes(x);
                t->load_in_bytes = rnd_bytes(x);
                t->load_psum_bytes = rnd(x, 0, 1) ? 0 : rnd_bytes(x);
                t->compute_cycles = rnd(x, 0, 3) == 0 ? 0 : rnd(x, 1, 400);
                t->store_out_bytes = rnd_bytes(x);
                t->store_psum_bytes = rnd(x, 0, 1) ? 0 : rnd_bytes(x);
                t->macs = t->compute_cycles * 8;
            }
        }
        sched_add(s, used, per_core, g);
    }
}

/* Unlimited bandwidth: no transfer ever waits for another, so with any
 * number of cores, any latency and either buffering the SystemC engine
 * must equal the analytic pipeline exactly, layer by layer; the bytes and
 * bursts counted by the Dram target are the schedule's. */
static void test_random_unlimited_equals_analytic(void **state)
{
    (void)state;
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (int trial = 0; trial < 12; trial++) {
        int cores = (int)rnd(&x, 1, MAXC);
        Accel a = chip(cores, 0, rnd(&x, 0, 200), (int)rnd(&x, 1, 256),
                       trial % 2);
        Sched s;
        random_sched(&s, &x, cores);
        RunStats rs;
        run_ok(&a, &s, &rs);
        expect_same_as_analytic(&a, &s, &rs);
        int64_t bursts = 0;
        for (int l = 0; l < s.ts.n; l++)
            expect_traffic(&a, &s.maps[l], &rs.layers[l], &bursts);
        assert_int_equal(rs.transactions, bursts);
        stats_free(&rs);
    }
}

/* One core, limited bandwidth, nothing stored: the load queue is the only
 * requester, so even the bandwidth-bound pipeline equals analytic_run. */
static void test_random_one_core_loads_only(void **state)
{
    (void)state;
    uint64_t x = 12345;
    for (int trial = 0; trial < 6; trial++) {
        Accel a = chip(1, (double)rnd(&x, 1, 64) / 4, rnd(&x, 0, 100),
                       (int)rnd(&x, 16, 128), trial % 2);
        Sched s;
        random_sched(&s, &x, 1);
        for (int l = 0; l < s.ts.n; l++) {
            LayerMap *m = &s.maps[l];
            for (int i = 0; i < m->ngroups; i++) {
                m->groups[i].store_out_bytes = 0;
                m->groups[i].store_psum_bytes = 0;
            }
            m->dram_out_bytes = m->dram_psum_wr_bytes = 0;
        }
        RunStats rs;
        run_ok(&a, &s, &rs);
        expect_same_as_analytic(&a, &s, &rs);
        stats_free(&rs);
    }
}

/* Limited bandwidth, several cores, either arbitration policy: the shared
 * channel can only slow a transfer down, so every layer takes at least what analytic_run says
 * (the slowest core's contention-free pipeline and the bandwidth floor
 * DRAM bytes / bytes per cycle), at least the busiest core's compute, and
 * the DRAM bytes and bursts are exactly the schedule's. */
static void test_random_limited_bounds(void **state)
{
    (void)state;
    uint64_t x = 77;
    for (int trial = 0; trial < 12; trial++) {
        int cores = (int)rnd(&x, 1, MAXC);
        Accel a = chip(cores, (double)rnd(&x, 1, 64) / 2, rnd(&x, 0, 150),
                       (int)rnd(&x, 8, 256), trial % 2);
        Sched s;
        random_sched(&s, &x, cores);
        RunStats rs, an;
        Net net;
        Err e;
        SimOptions opt = {.arbitration = (SimArbitration)(trial / 2 % 2)};
        run_opt(&a, &s, &opt, &rs);
        net_init(&net, "random");
        net.n = s.ts.n;
        assert_int_equal(analytic_run(&a, &net, &s.ts, &an, &e), QA_OK);
        int64_t bursts = 0;
        for (int l = 0; l < s.ts.n; l++) {
            const LayerStats *st = &rs.layers[l];
            expect_traffic(&a, &s.maps[l], st, &bursts);
            int64_t floor_cycles = (int64_t)ceil(
                (double)(st->dram_rd_bytes + st->dram_wr_bytes) /
                arch_dram_bytes_per_cycle(&a));
            assert_int_equal(st->mem_cycles, floor_cycles);
            assert_true(st->cycles >= floor_cycles);
            assert_true(st->cycles >= st->compute_cycles);
            assert_true(st->cycles >= an.layers[l].cycles);
            assert_true(st->data_stall_cycles >= 0);
            assert_true(st->data_stall_cycles <= st->stall_cycles);
            assert_true(st->dram_busy <= 1.0);
            for (int c = 0; c < cores; c++)
                assert_true(rs.core_busy[l * cores + c] <= 1.0);
        }
        assert_int_equal(rs.transactions, bursts);
        stats_free(&an);
        stats_free(&rs);
    }
}

/* Turning double buffering off never makes a layer faster. */
static void test_random_single_buffer_never_faster(void **state)
{
    (void)state;
    uint64_t x = 4242;
    for (int trial = 0; trial < 10; trial++) {
        int cores = (int)rnd(&x, 1, MAXC);
        Accel a = chip(cores, trial % 3 == 0 ? 0 : (double)rnd(&x, 4, 64),
                       rnd(&x, 0, 150), (int)rnd(&x, 8, 256), 1);
        Sched s;
        random_sched(&s, &x, cores);
        RunStats on, off;
        run_ok(&a, &s, &on);
        a.double_buffer = 0;
        run_ok(&a, &s, &off);
        for (int l = 0; l < s.ts.n; l++)
            assert_true(off.layers[l].cycles >= on.layers[l].cycles);
        stats_free(&on);
        stats_free(&off);
    }
}

/* Same inputs, same outputs, bit for bit (two separate children). */
static void test_deterministic(void **state)
{
    (void)state;
    uint64_t x = 99;
    Accel a = chip(3, 12.0, 40, 64, 1);
    Sched s;
    random_sched(&s, &x, 3);
    RunStats r1, r2;
    run_ok(&a, &s, &r1);
    run_ok(&a, &s, &r2);
    assert_memory_equal(r1.layers, r2.layers, sizeof *r1.layers * r1.n);
    assert_memory_equal(r1.core_busy, r2.core_busy,
                        sizeof *r1.core_busy * r1.n * r1.cores);
    assert_int_equal(r1.transactions, r2.transactions);
    stats_free(&r1);
    stats_free(&r2);
}

/* --- ResNet-50 through the mapper --------------------------------------- */

static void map_resnet50(Accel *a, int bits, Net *net, TileSchedule *ts)
{
    Err e;
    BitPolicy bp = {bits, bits, 0, 0};
    int rc = net_build(net, "resnet50", &e);
    if (rc == QA_OK)
        rc = net_apply_bits(net, &bp, &e);
    if (rc == QA_OK)
        rc = map_net(a, net, ts, &e);
    if (rc != QA_OK)
        err_print(&e, stderr);
    assert_int_equal(rc, QA_OK);
}

/* One core, unlimited bandwidth: ResNet-50 at 16/8/4/2 bits under every
 * dataflow takes exactly the analytic cycles, layer by layer, and the DRAM
 * bytes counted in the Dram target are the mapper's; the energy (with
 * pact2018's energy group) is the same to the last bit. */
static void test_resnet50_one_core_equals_analytic(void **state)
{
    (void)state;
    static const int bits[] = {16, 8, 4, 2};
    Accel pact;
    Err pe;
    assert_int_equal(arch_load(&pact, "arch/pact2018.cfg", &pe), QA_OK);
    for (int df = 0; df < DF_COUNT; df++)
        for (size_t b = 0; b < QA_COUNT(bits); b++) {
            Accel a;
            arch_defaults(&a);
            a.energy = pact.energy;
            a.cores = 1;
            a.dram_gbps = 0;
            a.dataflow = (Dataflow)df;
            Net net;
            TileSchedule ts;
            RunStats rs, an;
            Err e;
            map_resnet50(&a, bits[b], &net, &ts);
            assert_int_equal(sim_run(&a, &ts, NULL, &rs, &e), QA_OK);
            assert_int_equal(analytic_run(&a, &net, &ts, &an, &e), QA_OK);
            assert_int_equal(rs.n, net.n);
            int64_t bursts = 0;
            for (int l = 0; l < rs.n; l++) {
                assert_int_equal(rs.layers[l].cycles, an.layers[l].cycles);
                assert_int_equal(rs.layers[l].compute_cycles,
                                 an.layers[l].compute_cycles);
                assert_int_equal(rs.layers[l].stall_cycles,
                                 an.layers[l].stall_cycles);
                expect_traffic(&a, &ts.layers[l], &rs.layers[l], &bursts);
                assert_memory_equal(&rs.layers[l].energy,
                                    &an.layers[l].energy, sizeof(Energy));
            }
            assert_int_equal(rs.cycles, an.cycles);
            assert_memory_equal(&rs.energy, &an.energy, sizeof(Energy));
            assert_true(rs.energy.total_pj > 0);
            assert_int_equal(rs.transactions, bursts);
            assert_true(rs.cycles > 0);
            stats_free(&rs);
            stats_free(&an);
            tile_free(&ts);
            net_free(&net);
        }
}

/* Four cores sharing 64 GB/s at 1.5 GHz, 4 bits: every layer takes at least
 * its DRAM bytes / bandwidth and at least the contention-free analytic
 * estimate; the bytes are the mapper's, to the byte. */
static void test_resnet50_four_cores_bandwidth(void **state)
{
    (void)state;
    Accel a;
    arch_defaults(&a);
    a.cores = 4;
    a.clock_ghz = 1.5;
    a.dram_gbps = 64;
    Net net;
    TileSchedule ts;
    RunStats rs, an;
    Err e;
    map_resnet50(&a, 4, &net, &ts);
    assert_int_equal(sim_run(&a, &ts, NULL, &rs, &e), QA_OK);
    assert_int_equal(analytic_run(&a, &net, &ts, &an, &e), QA_OK);
    double bpc = arch_dram_bytes_per_cycle(&a);
    int64_t bursts = 0;
    for (int l = 0; l < rs.n; l++) {
        const LayerStats *st = &rs.layers[l];
        expect_traffic(&a, &ts.layers[l], st, &bursts);
        int64_t bytes = tile_layer_dram_bytes(&ts.layers[l]);
        assert_true(st->cycles >= (int64_t)ceil((double)bytes / bpc));
        assert_true(st->cycles >= an.layers[l].cycles);
    }
    assert_int_equal(rs.transactions, bursts);
    assert_int_equal(rs.dram_rd_bytes + rs.dram_wr_bytes,
                     an.dram_rd_bytes + an.dram_wr_bytes);
    stats_free(&rs);
    stats_free(&an);
    tile_free(&ts);
    net_free(&net);
}

/* Both engines on the mapper's plans, a design point and its neighbor with
 * one resource more (or fewer bits): the analytic total never grows (the
 * mapper's promise), and the SystemC engine is never faster than the
 * analytic model on the same plan (contention only delays). So when the
 * SystemC engine shows the neighbor slower, the slowdown is at most the
 * neighbor's own contention overhead, SystemC over analytic: the bound
 * stated in sim/engine/README.md. The sample's worst case is printed. */
static int64_t engines(const Accel *a, const char *name, int bits, int batch,
                       int64_t *analytic)
{
    Net net;
    TileSchedule ts;
    RunStats rs, an;
    Err e;
    assert_int_equal(net_build(&net, name, &e), QA_OK);
    net_set_batch(&net, batch);
    BitPolicy bp = {bits, bits, bits < 8 ? 8 : bits, 0};
    assert_int_equal(net_apply_bits(&net, &bp, &e), QA_OK);
    assert_int_equal(map_net(a, &net, &ts, &e), QA_OK);
    assert_int_equal(sim_run(a, &ts, NULL, &rs, &e), QA_OK);
    assert_int_equal(analytic_run(a, &net, &ts, &an, &e), QA_OK);
    int64_t c = rs.cycles;
    *analytic = an.cycles;
    assert_true(c >= an.cycles);
    stats_free(&rs);
    stats_free(&an);
    tile_free(&ts);
    net_free(&net);
    return c;
}

static void test_more_resources_contention_bound(void **state)
{
    (void)state;
    Rng r;
    rng_seed(&r, 11);
    static const int bits[] = {16, 8, 4, 2};
    double worst = 1, worst_gap = 1;
    int slower = 0, pairs = 0;
    for (int trial = 0; trial < 24; trial++) {
        Accel a;
        Err e;
        assert_int_equal(arch_load(&a, "arch/pact2018.cfg", &e), QA_OK);
        a.cores = 1 + (int)(rng_u64(&r) % 3);
        a.sram_bytes = (int64_t)65536 << (rng_u64(&r) % 5);
        a.dram_gbps = (double)(4 << (rng_u64(&r) % 5));
        a.dataflow = (Dataflow)(rng_u64(&r) % DF_COUNT);
        int b = (int)(rng_u64(&r) % 3), batch = 1 + (int)(rng_u64(&r) % 3);
        int64_t an, an2;
        int64_t sc = engines(&a, "resnet20", bits[b], batch, &an);
        for (int k = 0; k < 4; k++) {
            Accel m = a;
            int mb = bits[b];
            if (k == 0)
                m.sram_bytes *= 2;
            else if (k == 1)
                m.dram_gbps *= 2;
            else if (k == 2)
                m.cores++;
            else
                mb = bits[b + 1];
            int64_t sc2 = engines(&m, "resnet20", mb, batch, &an2);
            assert_true(an2 <= an);
            pairs++;
            double gap = (double)sc2 / (double)an2;
            worst_gap = fmax(worst_gap, gap);
            if (sc2 > sc) {
                slower++;
                double ratio = (double)sc2 / (double)sc;
                worst = fmax(worst, ratio);
                assert_true(ratio <= gap);
            }
        }
    }
    print_message("%d pairs: SystemC slower with more in %d, worst %.3fx; "
                  "contention overhead up to %.3fx\n", pairs, slower, worst,
                  worst_gap);
}

/* --- facade: errors, VCD, silence --------------------------------------- */

static void test_bad_inputs(void **state)
{
    (void)state;
    int one[1] = {1};
    TileGroup g[1] = {tg(2, 64, 10, 64)};
    Sched s;
    sched_init(&s);
    sched_add(&s, 1, one, g);
    Accel a = chip(1, 0, 10, 64, 1);
    RunStats rs;
    Err e;

    a.burst_bytes = 0;
    assert_int_equal(sim_run(&a, &s.ts, NULL, &rs, &e), QA_ERR);
    assert_string_equal(e.field, "burst_bytes");
    assert_string_equal(e.msg, "must be at least 1");
    stats_free(&rs);

    a.burst_bytes = 64;
    s.maps[0].cores_used = 2;
    assert_int_equal(sim_run(&a, &s.ts, NULL, &rs, &e), QA_ERR);
    assert_string_equal(e.field, "schedule");
    assert_string_equal(e.msg, "layer 0 uses 2 cores, the chip has 1");
    stats_free(&rs);

    s.maps[0].cores_used = 1;
    s.groups[0][0].compute_cycles = -1;
    assert_int_equal(sim_run(&a, &s.ts, NULL, &rs, &e), QA_ERR);
    assert_string_equal(e.msg,
                        "layer 0 group 0: negative count, cycles or bytes");
    stats_free(&rs);

    s.groups[0][0].compute_cycles = 10;
    SimOptions bad = {.arbitration = SIM_ARB_COUNT};
    assert_int_equal(sim_run(&a, &s.ts, &bad, &rs, &e), QA_ERR);
    assert_string_equal(e.field, "arbitration");
    stats_free(&rs);

    /* A VCD in a folder that does not exist: the child's error comes back. */
    SimOptions opt = {.vcd_path = "no-such-folder/x/trace.vcd"};
    assert_int_equal(sim_run(&a, &s.ts, &opt, &rs, &e), QA_ERR);
    assert_string_equal(e.field, "systemc");
    stats_free(&rs);
}

/* --- counts that do not wrap -------------------------------------------- */

/* A long legal run: 0.01 GHz, one 1x1 array, ResNet-50 at batch 32 takes
 * 1.3e11 cycles of 100 ns, 1.3e19 fs: beyond 2^63 femtoseconds, where the
 * SystemC engine's time wrapped (negative cycles, exit 0). With one core
 * and unlimited bandwidth both engines must agree to the cycle, the
 * SystemC one in a coarser time base. */
static void test_long_run_counts(void **state)
{
    (void)state;
    Accel a;
    arch_defaults(&a);
    a.clock_ghz = 0.01;
    a.cores = 1;
    a.rows = a.cols = 1;
    a.sram_bytes = 2 << 20;
    a.dram_gbps = 0;
    a.dram_latency_cycles = 150;
    a.burst_bytes = 4096;
    Net net;
    TileSchedule ts;
    Err e;
    assert_int_equal(net_build(&net, "resnet50", &e), QA_OK);
    net_set_batch(&net, 32);
    BitPolicy bp = {16, 16, 16, 0};
    assert_int_equal(net_apply_bits(&net, &bp, &e), QA_OK);
    assert_int_equal(map_net(&a, &net, &ts, &e), QA_OK);
    SimTimeBase tb;
    assert_int_equal(sim_time_base(&a, &ts, &tb, &e), QA_OK);
    assert_int_equal(tb.exp10, -12); /* 100 ns = 1e5 ps */
    assert_int_equal(tb.period, 100000);
    RunStats rs, an;
    assert_int_equal(sim_run(&a, &ts, NULL, &rs, &e), QA_OK);
    assert_int_equal(analytic_run(&a, &net, &ts, &an, &e), QA_OK);
    /* more than 2^63 fs of 1e8 fs each */
    assert_true(an.cycles > 92233720368LL);
    assert_int_equal(rs.cycles, an.cycles);
    for (int l = 0; l < rs.n; l++)
        assert_int_equal(rs.layers[l].cycles, an.layers[l].cycles);
    stats_free(&rs);
    stats_free(&an);
    /* The default chip's runs keep femtoseconds (their VCDs unchanged). */
    a.clock_ghz = 1.5;
    assert_int_equal(sim_time_base(&a, &ts, &tb, &e), QA_OK);
    assert_int_equal(tb.exp10, -15);
    assert_int_equal(tb.period, 666667);
    tile_free(&ts);
    net_free(&net);
}

/* A schedule whose cycles no time base and no int64 can hold: both
 * engines refuse it, naming why, instead of printing wrapped numbers. */
static void test_uncountable_run_refused(void **state)
{
    (void)state;
    int one[1] = {1};
    TileGroup g[1] = {tg((int64_t)1 << 40, 64, (int64_t)1 << 30, 64)};
    Sched s;
    sched_init(&s);
    sched_add(&s, 1, one, g);
    Accel a = chip(1, 0, 10, 64, 1);
    RunStats rs;
    Err e;
    err_clear(&e);
    assert_int_equal(sim_run(&a, &s.ts, NULL, &rs, &e), QA_ERR);
    assert_string_equal(e.field, "systemc");
    assert_non_null(strstr(e.msg, "more time than SystemC can count"));
    stats_free(&rs);
    Net net;
    Layer big;
    net_init(&net, "hand");
    memset(&big, 0, sizeof big);
    snprintf(big.name, sizeof big.name, "big");
    net.layers = &big;
    net.n = 1;
    assert_int_equal(analytic_run(&a, &net, &s.ts, &rs, &e), QA_ERR);
    assert_string_equal(e.field, "big");
    assert_non_null(strstr(e.msg, "more than 2^62 cycles"));
}

/* A tile that moves more than the TLM payload's 4 GiB: the length travels
 * in the XferExt extension, so the SystemC engine takes what a 1 TiB
 * scratchpad allows: every byte is counted, in the right number of bursts,
 * and it agrees with the analytic engine where nothing contends. */
static void test_transfer_over_4gib(void **state)
{
    (void)state;
    int one[1] = {1};
    int64_t big = ((int64_t)5 << 30) + 7;
    TileGroup g[1] = {tg(2, big, 1000, 64)};
    Sched s;
    sched_init(&s);
    sched_add(&s, 1, one, g);
    Accel a = chip(1, 0, 100, 1 << 20, 1);
    RunStats rs;
    run_ok(&a, &s, &rs);
    expect_same_as_analytic(&a, &s, &rs);
    int64_t bursts = 0;
    expect_traffic(&a, &s.maps[0], &rs.layers[0], &bursts);
    assert_int_equal(rs.transactions, bursts);
    assert_int_equal(rs.dram_rd_bytes, 2 * big);
    stats_free(&rs);
    a.dram_gbps = 64.0; /* 64 bytes per cycle: the bytes take their time */
    run_ok(&a, &s, &rs);
    assert_int_equal(rs.dram_rd_bytes, 2 * big);
    assert_true(rs.cycles >= 2 * big / 64);
    stats_free(&rs);
}

/* Under AddressSanitizer, SystemC's coroutine stack switches make ASan
 * print one fixed three-line notice per process; it is the only output
 * allowed besides nothing. Removes those lines in place. */
static char *strip_asan_notice(char *text)
{
    static const char *const notice[] = {
        "ASan is ignoring requested __asan_handle_no_return",
        "False positive error reports may follow",
        "github.com/google/sanitizers/issues/189",
    };
    char *w = text;
    for (char *line = text; *line;) {
        char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line + 1) : strlen(line);
        int drop = 0;
        for (size_t i = 0; i < QA_COUNT(notice); i++) {
            char *hit = strstr(line, notice[i]);
            if (hit && hit < line + len)
                drop = 1;
        }
        if (!drop) {
            memmove(w, line, len);
            w += len;
        }
        line += len;
    }
    *w = '\0';
    return text;
}

/* sim_run with this process's stdout and stderr (so the child's too) sent
 * to the file `log`. */
static int run_captured(const Accel *a, const TileSchedule *ts,
                        const SimOptions *opt, RunStats *rs, Err *e,
                        const char *log)
{
    fflush(stdout);
    fflush(stderr);
    int out = dup(1), err = dup(2);
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(out >= 0 && err >= 0 && fd >= 0);
    dup2(fd, 1);
    dup2(fd, 2);
    int rc = sim_run(a, ts, opt, rs, e);
    fflush(stdout);
    fflush(stderr);
    dup2(out, 1);
    dup2(err, 2);
    close(fd);
    close(out);
    close(err);
    return rc;
}

/* --vcd: a complete value-change dump with every busy flag, and nothing
 * left behind but the file itself. Quiet by default: the child prints
 * nothing on stdout or stderr (no banner, no reports); verbose, it does. */
static void test_vcd_and_silence(void **state)
{
    (void)state;
    const char *tmp = getenv("TMPDIR");
    char dir[256];
    snprintf(dir, sizeof dir, "%s/qarray-test-sim-XXXXXX",
             tmp && tmp[0] ? tmp : "/tmp");
    assert_non_null(mkdtemp(dir));
    char vcd[300], log[300];
    snprintf(vcd, sizeof vcd, "%s/trace.vcd", dir);
    snprintf(log, sizeof log, "%s/out.log", dir);

    int per_core[2] = {1, 1};
    TileGroup g[2] = {tg(3, 256, 50, 128), tg(2, 512, 80, 64)};
    Sched s;
    sched_init(&s);
    sched_add(&s, 2, per_core, g);
    Accel a = chip(2, 16.0, 20, 64, 1);
    SimOptions opt = {.vcd_path = vcd};
    RunStats rs;
    Err e;

    assert_int_equal(run_captured(&a, &s.ts, &opt, &rs, &e, log), QA_OK);

    char *out_text = qt_slurp(log);
    assert_non_null(out_text);
    assert_string_equal(strip_asan_notice(out_text), "");
    free(out_text);

    char *text = qt_slurp(vcd);
    assert_non_null(text);
    assert_non_null(strstr(text, "$enddefinitions"));
    /* VCD scopes: chip.core1.load_busy is "core1" inside "chip". */
    assert_non_null(strstr(text, "$scope module chip $end"));
    assert_non_null(strstr(text, "$scope module core1 $end"));
    assert_non_null(strstr(text, "$scope module interconnect $end"));
    assert_non_null(strstr(text, "compute_busy"));
    assert_non_null(strstr(text, "load_busy"));
    assert_non_null(strstr(text, "store_busy"));
    assert_non_null(strstr(text, "dram_busy"));
    assert_non_null(strstr(text, "1 fs"));
    free(text);
    remove(vcd);
    stats_free(&rs);

    /* Verbose: SystemC's own reports do reach the output (the capture
     * above would have seen them). */
    SimOptions loud = {.verbose = 1};
    assert_int_equal(run_captured(&a, &s.ts, &loud, &rs, &e, log), QA_OK);
    out_text = qt_slurp(log);
    assert_non_null(out_text);
    assert_non_null(strstr(out_text, "Simulation stopped by user"));
    free(out_text);
    stats_free(&rs);

    remove(log);
    assert_int_equal(rmdir(dir), 0); /* no temp file left behind */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chan_lone_transfer),
        cmocka_unit_test(test_long_run_counts),
        cmocka_unit_test(test_uncountable_run_refused),
        cmocka_unit_test(test_transfer_over_4gib),
        cmocka_unit_test(test_double_buffer_compute_bound),
        cmocka_unit_test(test_double_buffer_memory_bound),
        cmocka_unit_test(test_contention_two_cores),
        cmocka_unit_test(test_arbitration_policies),
        cmocka_unit_test(test_contention_shared_floor),
        cmocka_unit_test(test_random_unlimited_equals_analytic),
        cmocka_unit_test(test_random_one_core_loads_only),
        cmocka_unit_test(test_random_limited_bounds),
        cmocka_unit_test(test_random_single_buffer_never_faster),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_resnet50_one_core_equals_analytic),
        cmocka_unit_test(test_resnet50_four_cores_bandwidth),
        cmocka_unit_test(test_more_resources_contention_bound),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_vcd_and_silence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
