/* test_energy.c: the energy model (models/energy.c) and the systolic
 * traffic it prices (sys_gemm_traffic): every component of a conv layer
 * and of a pool layer on arch/tiny.cfg computed by hand; the traffic of
 * one small GEMM per dataflow by hand; components that sum to the total
 * exactly; DRAM energy that never grows with fewer bytes; the Bit Fusion
 * preset reproducing its synthesis table; the energy keys' errors. */
#include "tests/qtest.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "models/analytic.h"
#include "models/energy.h"
#include "models/mapper.h"
#include "models/scale.h"
#include "models/systolic.h"
#include "models/traffic.h"

/* a equals b to 1e-12 of their size (the hand values are written in
 * decimal; the model adds them in another order). */
static void near(double a, double b, const char *what)
{
    if (fabs(a - b) > 1e-12 * fmax(fabs(a), fabs(b)))
        fail_msg("%s: %.17g, expected %.17g", what, a, b);
}

static Accel tiny(void)
{
    Accel a;
    Err e;
    if (arch_load(&a, "arch/tiny.cfg", &e) != QA_OK) {
        err_print(&e, stderr);
        fail();
    }
    return a;
}

/* One layer alone in a network, mapped as one tile on one core (split by
 * channels, weights outer): a schedule the hand calculation can follow. */
static void one_tile(const Accel *a, const Layer *l, Net *net, LayerMap *m)
{
    Err e;
    net_init(net, "one");
    assert_int_equal(net_add(net, l, &e), 0);
    TileContext x;
    memset(&x, 0, sizeof x);
    LayerView v;
    tile_view(net, 0, &x, &v);
    memset(m, 0, sizeof *m);
    tile_array(a, &net->layers[0], m);
    TileChoice c;
    memset(&c, 0, sizeof c);
    c.split = SPLIT_K;
    c.cores_used = 1;
    c.order = LOOP_W_OUTER;
    c.tn = c.tr = INT64_MAX;
    traffic_shape(&v, &c);
    assert_true(traffic_eval(a, &v, 0, &c));
    assert_int_equal(tile_build(a, net, 0, &v, &c, &x, m, &e), QA_OK);
}

static Layer conv_layer(void)
{
    Layer l;
    memset(&l, 0, sizeof l);
    snprintf(l.name, sizeof l.name, "conv");
    l.op = OP_CONV;
    l.N = 1, l.C = 16, l.K = 8, l.H = l.W = 4, l.R = l.S = 3;
    l.stride = 1, l.pad = 1, l.groups = 1;
    l.w_bits = l.a_bits = l.o_bits = 8;
    l.in[0] = l.in[1] = LAYER_NO_INPUT;
    return l;
}

/* tiny: 8 x 8 PEs per core, 2 cores, 64 KiB scratchpad, linear lanes as
 * columns; its energy group: multiply w*a/64 pJ, add b/16 pJ, lanes below
 * 16 bits x2, hop 0.01 pJ/bit, scratchpad 2 pJ/B read and 4 pJ/B written
 * (1 and 2 at 16 KiB, x (64/16)^0.5), DRAM 10 pJ/bit, leakage 100 and 10
 * mW/mm2.
 *
 * Conv 16 -> 8 channels, 3x3, 4x4 input, pad 1, W/A/O 8 bits: GEMM M = 16
 * output pixels, K = 16*9 = 144, N = 8. At 8 bits a PE holds 2 lanes: the
 * array is 8 x 16. WS folds: 18 over K (rows 8, the last full), one over
 * N (8 of 16 columns); the stream is M = 16 rows.
 *   weights read     K*N            = 1152 elements  = 1152 B
 *   inputs read      M*K*1 fold     = 2304 elements  = 2304 B
 *   partial sums     17 folds * M*N = 2176 each way, 24 bits (8 + 8 +
 *                    ceil(log2 144) = 8): 6528 B read, 6528 B written
 *   outputs          M*N = 128 elements = 128 B written
 *   hops             inputs 16*144*8 = 18432 x 8 bits; weights down the
 *                    load chain 18 folds * (1+..+8 = 36) * 8 columns =
 *                    5184 x 8 bits; partial sums 16*8*18 folds*8 rows =
 *                    18432 x 24 bits; 631296 bits
 *   DRAM             weights 1152 + input 256 read, output 128 written
 * so, in pJ:
 *   mac    18432 MACs x (1 + 24/16) x 2 (lanes below 16 bits)  = 92160
 *   array  631296 x 0.01                                       = 6312.96
 *   sram   (2304 + 1152 + 6528 + 128 stored) x 2
 *          + (6528 + 128 + 1408 loaded) x 4 = 20224 + 32256    = 52480
 *   dram   1536 B x 8 x 10                                     = 122880
 *   leak   (2 cores x 64 PEs x 160 um2 x 100 mW/mm2 + 2 x 64 KiB x
 *          0.00096 mm2/KiB x 10 mW/mm2) = 3.2768 mW x cycles ns */
static void test_conv_layer_by_hand(void **state)
{
    (void)state;
    Accel a = tiny();
    Layer l = conv_layer();
    Net net;
    LayerMap m;
    one_tile(&a, &l, &net, &m);
    assert_int_equal(m.rows, 8);
    assert_int_equal(m.cols, 16);
    assert_int_equal(m.dram_w_bytes, 1152);
    assert_int_equal(m.dram_in_bytes, 256);
    assert_int_equal(m.dram_out_bytes, 128);
    const ChipAccess *c = &m.access;
    assert_int_equal(c->psum_bits, 24);
    assert_int_equal(c->kg, 144);
    assert_int_equal(c->macs, 18432);
    assert_int_equal(c->macs, layer_macs(&net.layers[0]));
    near(c->rd_w_bits, 1152 * 8, "weights read");
    near(c->rd_in_bits, 2304 * 8, "inputs read");
    near(c->rd_psum_bits, 2176 * 24, "partial sums read");
    near(c->wr_psum_bits, 2176 * 24, "partial sums written");
    near(c->wr_out_bits, 128 * 8, "outputs written");
    near(c->hop_bits, 631296, "hops");

    LayerStats s;
    memset(&s, 0, sizeof s);
    analytic_layer(&a, &m, &s);
    assert_true(s.cycles > 0);
    near(s.energy.mac_pj, 92160, "mac");
    near(s.energy.array_pj, 6312.96, "array");
    near(s.energy.sram_pj, 52480, "sram");
    near(s.energy.dram_pj, 122880, "dram");
    near(energy_leak_mw(&a), 3.2768, "leakage power");
    near(s.energy.leak_pj, 3.2768 * (double)s.cycles, "leak");
    /* exactly the sum of the five, in their order */
    assert_true(s.energy.total_pj == s.energy.mac_pj + s.energy.array_pj +
                                         s.energy.sram_pj + s.energy.dram_pj +
                                         s.energy.leak_pj);
    tile_free_layer(&m);
    net_free(&net);
}

/* Max pool 2x2, stride 2, 8 channels of 4x4 at 8 bits: 32 outputs, each
 * reading its 4 inputs: 128 operations of an 8-bit add (8/16 pJ) = 64 pJ
 * (no lanes: the flex overhead is the array's); 128 B read, 32 B written
 * into the scratchpad, besides DRAM (input 128 B, output 32 B). */
static void test_pool_layer_by_hand(void **state)
{
    (void)state;
    Accel a = tiny();
    Layer l;
    memset(&l, 0, sizeof l);
    snprintf(l.name, sizeof l.name, "pool");
    l.op = OP_MAXPOOL;
    l.N = 1, l.C = l.K = 8, l.H = l.W = 4, l.R = l.S = 2, l.stride = 2;
    l.groups = 1;
    l.a_bits = l.o_bits = 8;
    l.in[0] = l.in[1] = LAYER_NO_INPUT;
    Net net;
    LayerMap m;
    one_tile(&a, &l, &net, &m);
    assert_int_equal(m.access.vec_ops, 128);
    assert_int_equal(m.access.macs, 0);
    near(m.access.rd_in_bits, 128 * 8, "pool reads");
    near(m.access.wr_out_bits, 32 * 8, "pool writes");
    LayerStats s;
    memset(&s, 0, sizeof s);
    analytic_layer(&a, &m, &s);
    assert_int_equal(s.dram_rd_bytes, 128);
    assert_int_equal(s.dram_wr_bytes, 32);
    near(s.energy.mac_pj, 64, "mac");
    assert_true(s.energy.array_pj == 0);
    near(s.energy.sram_pj, (128 + 32) * 2 + (32 + 128) * 4, "sram");
    near(s.energy.dram_pj, 160 * 8 * 10, "dram");
    tile_free_layer(&m);
    net_free(&net);
}

/* Depthwise 3x3 conv, 4 channels of 4x4, pad 1, 8 bits: four GEMMs of
 * M = 16, K = 9, N = 1, not one of N = 4 sharing its inputs. Per group
 * on the 8 x 16 array (WS): folds over K 8 and 1, one over N; weights
 * read 9, inputs 16*9 = 144, partial sums of the first fold 16 each way
 * at 8 + 8 + ceil(log2 9) = 20 bits, outputs 16; hops: inputs 144 x 8
 * bits, weights down the load chain (1+..+8) + 1 = 37 x 8 bits, partial
 * sums 16 x 2 folds x 8 rows = 256 x 20 bits. Times four groups.
 * A flat op (a sigmoid of 2 lane operations per element) on 4 x 16
 * elements with a second input of 16: 128 operations, 80 elements read,
 * 64 written. */
static void test_grouped_and_flat_by_hand(void **state)
{
    (void)state;
    Accel a = tiny();
    Layer l = conv_layer();
    l.C = l.K = l.groups = 4;
    Net net;
    LayerMap m;
    one_tile(&a, &l, &net, &m);
    const ChipAccess *c = &m.access;
    assert_int_equal(c->kg, 9);
    assert_int_equal(c->psum_bits, 20);
    assert_int_equal(c->macs, 4 * 16 * 9);
    assert_int_equal(c->macs, layer_macs(&net.layers[0]));
    near(c->rd_w_bits, 4 * 9 * 8, "weights read");
    near(c->rd_in_bits, 4 * 144 * 8, "inputs read");
    near(c->rd_psum_bits, 4 * 16 * 20, "partial sums read");
    near(c->wr_psum_bits, 4 * 16 * 20, "partial sums written");
    near(c->wr_out_bits, 4 * 16 * 8, "outputs written");
    near(c->hop_bits, 4 * (144 * 8 + 37 * 8 + 256 * 20), "hops");
    tile_free_layer(&m);
    net_free(&net);

    memset(&l, 0, sizeof l);
    snprintf(l.name, sizeof l.name, "sigmoid");
    l.op = OP_ELTWISE;
    l.N = 1, l.C = l.K = 4, l.H = l.W = 4, l.R = l.S = 1, l.stride = 1;
    l.groups = 1, l.vec_ops = 2, l.in1_elems = 16;
    l.a_bits = l.o_bits = 8;
    l.in[0] = l.in[1] = LAYER_NO_INPUT;
    one_tile(&a, &l, &net, &m);
    assert_int_equal(m.access.vec_ops, 128);
    assert_int_equal(m.access.macs, 0);
    near(m.access.rd_in_bits, 80 * 8, "flat reads");
    near(m.access.wr_out_bits, 64 * 8, "flat writes");
    tile_free_layer(&m);
    net_free(&net);
}

/* M = 3, K = 5, N = 3 on a 2 x 2 array.
 * WS: folds K 2,2,1 (3) x N 2,1 (2), stream M = 3. Weights once (15),
 * inputs once per column fold (3*5*2 = 30), partial sums of the two
 * folds before the last (2*3*3 = 18 each way); hops: inputs one per MAC
 * (45), weights down the chain (1+2, 1+2, 1 = 7 per column, x 3 columns
 * = 21), partial sums through both rows every fold (3*3*3*2 = 54).
 * IS: A held (15 reads, 21 hops), B streams N = 3 per row per column
 * fold (30 reads, 45 hops), partial sums as WS (18, 54).
 * OS: folds M 2,1 x N 2,1, K streams: A 3*5 per column fold (30), B 3*5
 * per row fold (30); A hops one per MAC (45), B through both rows (60);
 * results drained: a fold of 2 rows 2*2 - 1 = 3 writes per column, of 1
 * row 2, x 3 columns = 15. */
static void test_gemm_traffic_by_hand(void **state)
{
    (void)state;
    static const struct {
        Dataflow df;
        SysTraffic t;
    } want[] = {
        {DF_WS, {30, 15, 18, 18, 9, 45, 21, 54}},
        {DF_IS, {15, 30, 18, 18, 9, 21, 45, 54}},
        {DF_OS, {30, 30, 0, 0, 9, 45, 60, 15}},
    };
    for (size_t i = 0; i < QA_COUNT(want); i++) {
        SysTraffic t;
        assert_int_equal(sys_gemm_traffic(want[i].df, 2, 2, 3, 5, 3, &t), QA_OK);
        assert_memory_equal(&t, &want[i].t, sizeof t);
    }
    SysTraffic t;
    assert_int_equal(sys_gemm_traffic(DF_WS, 2, 2, 0, 5, 3, &t), QA_ERR);
    /* Rules on many shapes: each operand crosses once at least, the
     * streamed one moves one PE per MAC, no partial sum leaves a single
     * fold of the reduction. */
    for (int64_t M = 1; M <= 9; M += 4)
        for (int64_t K = 1; K <= 40; K += 13)
            for (int64_t N = 1; N <= 20; N += 6)
                for (int df = 0; df < DF_COUNT; df++) {
                    assert_int_equal(sys_gemm_traffic((Dataflow)df, 4, 8, M, K, N, &t), QA_OK);
                    assert_true(t.a_reads >= M * K && t.b_reads >= K * N);
                    assert_int_equal(t.outputs, M * N);
                    assert_int_equal(df == DF_IS ? t.b_hops : t.a_hops, M * K * N);
                    if (K <= 4 || df == DF_OS)
                        assert_int_equal(t.psum_writes, 0);
                }
}

/* Every layer and the run: the components sum to the total exactly (the
 * same additions in the same order), with either engine's bookkeeping. */
static void test_components_sum_exactly(void **state)
{
    (void)state;
    Accel a;
    Err e;
    assert_int_equal(arch_load(&a, "arch/pact2018.cfg", &e), QA_OK);
    for (int bits = 16; bits >= 2; bits /= 2) {
        Net net;
        TileSchedule ts;
        RunStats rs;
        BitPolicy bp = {bits, bits, 0, 0};
        assert_int_equal(net_build(&net, "resnet50", &e), QA_OK);
        assert_int_equal(net_apply_bits(&net, &bp, &e), QA_OK);
        assert_int_equal(map_net(&a, &net, &ts, &e), QA_OK);
        assert_int_equal(analytic_run(&a, &net, &ts, &rs, &e), QA_OK);
        double sum = 0;
        for (int l = 0; l < rs.n; l++) {
            const Energy *x = &rs.layers[l].energy;
            assert_true(x->total_pj == x->mac_pj + x->array_pj + x->sram_pj +
                                           x->dram_pj + x->leak_pj);
            assert_true(x->mac_pj >= 0 && x->array_pj >= 0 && x->sram_pj >= 0 &&
                        x->dram_pj >= 0 && x->leak_pj > 0);
            assert_int_equal(ts.layers[l].access.macs, layer_macs(&net.layers[l]));
            sum += x->total_pj;
        }
        const Energy *t = &rs.energy;
        assert_true(t->total_pj == t->mac_pj + t->array_pj + t->sram_pj +
                                       t->dram_pj + t->leak_pj);
        near(sum, t->total_pj, "layers vs run");
        assert_true(t->total_pj > 0);
        stats_free(&rs);
        tile_free(&ts);
        net_free(&net);
    }
}

/* DRAM energy is the bytes times a constant: over runs that move
 * different bytes (bits, bandwidth, scratchpad, batch), fewer bytes never
 * cost more DRAM energy, layer by layer and in total; and one layer's
 * schedule priced with fewer bytes costs no more DRAM or scratchpad
 * energy. */
static void test_fewer_dram_bytes_never_more_energy(void **state)
{
    (void)state;
    Accel base = tiny();
    enum { NRUNS = 24 };
    int64_t bytes[NRUNS];
    double pj[NRUNS];
    int n = 0;
    for (int bits = 16; bits >= 2; bits /= 2)
        for (int sram = 0; sram < 3; sram++)
            for (int batch = 1; batch <= 2; batch++) {
                Accel a = base;
                Err e;
                a.sram_bytes = (int64_t)16384 << (2 * sram);
                a.dram_gbps = batch == 1 ? 0 : 8;
                Net net;
                TileSchedule ts;
                RunStats rs;
                BitPolicy bp = {bits, bits, 0, 0};
                assert_int_equal(net_build(&net, "resnet20", &e), QA_OK);
                net_set_batch(&net, batch);
                assert_int_equal(net_apply_bits(&net, &bp, &e), QA_OK);
                assert_int_equal(map_net(&a, &net, &ts, &e), QA_OK);
                assert_int_equal(analytic_run(&a, &net, &ts, &rs, &e), QA_OK);
                for (int l = 0; l < rs.n; l++) {
                    const LayerStats *s = &rs.layers[l];
                    int64_t b = s->dram_rd_bytes + s->dram_wr_bytes;
                    near(s->energy.dram_pj, (double)b * 8 * 10, "layer DRAM");
                    Energy less;
                    energy_layer(&a, &ts.layers[l], s->cycles,
                                 s->dram_rd_bytes / 2, s->dram_wr_bytes / 2, &less);
                    assert_true(less.dram_pj <= s->energy.dram_pj);
                    assert_true(less.sram_pj <= s->energy.sram_pj);
                }
                bytes[n] = rs.dram_rd_bytes + rs.dram_wr_bytes;
                pj[n++] = rs.energy.dram_pj;
                stats_free(&rs);
                tile_free(&ts);
                net_free(&net);
            }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            if (bytes[i] < bytes[j] && !(pj[i] <= pj[j]))
                fail_msg("%lld bytes cost %g pJ, %lld bytes %g pJ",
                         (long long)bytes[i], pj[i], (long long)bytes[j], pj[j]);
}

/* arch/bitfusion45.cfg holds Bit Fusion's 16/2 fusion PE: the 4x4 array's
 * 16907600 nW dynamic power at 500 MHz over 16 PEs, per MAC at (16/b)^2
 * MACs per cycle (results/systolic_array_synth.csv). A chip of that PE
 * reproduces the table's energy per MAC at every width it lists, and its
 * energy per PE cycle is the one power figure at every width. A preset
 * of the fixed-precision rows (2/2, 4/4, 8/8, 16/16) reproduces those. */
static void test_bitfusion_table(void **state)
{
    (void)state;
    Accel a;
    Err e;
    assert_int_equal(arch_load(&a, "arch/bitfusion45.cfg", &e), QA_OK);
    assert_int_equal(a.energy.mac, EMAC_TABLE);
    double per_cycle = 16907600e-9 / 16 / 500e6 * 1e12; /* pJ */
    for (int b = 2; b <= 16; b *= 2) {
        double lanes = (16.0 / b) * (16.0 / b);
        near(energy_mac_pj(&a, b, b, 4608), per_cycle / lanes, "fusion PE per MAC");
        near(energy_mac_pj(&a, b, b, 4608) * scale_lanes(&a, b), per_cycle,
             "fusion PE per cycle");
    }
    /* Between listed widths: log-log, here 4x per doubling, so sqrt(4*8)
     * bits costs (sqrt(32)/4)^2 = 2x the 4-bit value. */
    near(energy_mac_pj(&a, 4, 8, 4608), 2 * per_cycle / 16, "4 x 8 bits");

    static const double dyn_nw[] = {325616, 659402, 1627500, 4821500};
    for (int i = 0; i < 4; i++) {
        a.energy.table_bits[i + 1] = 2 << i;
        a.energy.table_pj[i + 1] = dyn_nw[i] * 1e-9 / 16 / 500e6 * 1e12;
    }
    for (int i = 0; i < 4; i++)
        near(energy_fixed_mac_pj(&a, 2 << i, 2 << i, 4608),
             dyn_nw[i] * 1e-9 / 16 / 500e6 * 1e12, "fixed PE per MAC");
    near(energy_fixed_mac_pj(&a, 4, 4, 1), 0.08242525, "fixed 4-bit PE");
}

/* Formula, shift-add and peak on tiny, by hand. A 4 x 4-bit MAC over 144
 * products: multiply 16/64 = 0.25, partial sum 4 + 4 + 8 = 16 bits, add
 * 1 pJ; lanes below 16 bits x2: 2.5 pJ. The same as APoT: 2 terms of a
 * shift and an add of 16 bits: 4 x 1 x 2 = 8 pJ. At 16 bits, peak: an
 * 8-row fold (partial sums 16 + 16 + 3 = 35 -> 32 bits): multiply 4 +
 * add 2 = 6 pJ, hops 16 + 32 bits x 0.01 = 0.48 pJ, leakage 3.2768 mW
 * over 128 MACs per ns = 0.0256 pJ: 6.5056 pJ, 2 / 6.5056 TOPS/W. */
static void test_mac_and_peak_by_hand(void **state)
{
    (void)state;
    Accel a = tiny();
    assert_int_equal(energy_psum_bits(&a, 4, 4, 144), 16);
    assert_int_equal(energy_psum_bits(&a, 16, 16, 8), 32);
    assert_int_equal(energy_psum_bits(&a, 2, 2, 1), 4);
    near(energy_mac_pj(&a, 4, 4, 144), 2.5, "uniform 4-bit");
    near(energy_fixed_mac_pj(&a, 4, 4, 144), 1.25, "fixed 4-bit");
    near(energy_mac_pj(&a, 16, 16, 144), 6, "16-bit: no overhead");
    near(energy_sram_pj_per_byte(&a, 0), 2, "read");
    near(energy_sram_pj_per_byte(&a, 1), 4, "write");
    near(energy_peak_pj_per_mac(&a, 16), 6.5056, "peak");
    near(energy_peak_tops_per_w(&a, 16), 2 / 6.5056, "TOPS/W");
    a.pe = PE_APOT;
    near(energy_mac_pj(&a, 4, 4, 144), 8, "APoT 4-bit");
    /* No energy group: no energy, whatever the schedule. */
    arch_defaults(&a);
    assert_true(energy_peak_pj_per_mac(&a, 16) == 0);
    LayerMap m;
    memset(&m, 0, sizeof m);
    m.access.macs = 1000;
    Energy en;
    energy_layer(&a, &m, 100, 64, 64, &en);
    assert_true(en.total_pj == 0 && en.dram_pj == 0 && en.leak_pj == 0);
}

/* Every broken energy group gives file:line: key and what is wrong. */
static void test_bad_energy_keys(void **state)
{
    (void)state;
    static const struct { const char *file; int line; const char *field, *msg; } bad[] = {
        {"tests/bad/energy_negative.cfg", 4, "energy.mul8_pj", "must be in 0..1000000 pJ, is -0.2"},
        {"tests/bad/energy_missing.cfg", 2, "energy.scale", "missing: an energy group gives every key"},
        {"tests/bad/energy_unknown.cfg", 18, "energy.dram_type", "unknown key (qarray run --help-config lists them)"},
        {"tests/bad/energy_unit.cfg", 14, "energy.dram_pj_per_bit", "\"8 mW/mm2\": mW/mm2 is not a unit of pJ/bit (fJ/bit|pJ/bit|nJ/bit|pJ/B)"},
        {"tests/bad/energy_table.cfg", 5, "energy.table_pj", "has 2 entries, energy.table_bits 3: one energy per width"},
        {"tests/bad/energy_notable.cfg", 2, "energy.table_bits", "mac = \"table\" needs the widths of the table"},
        {"tests/bad/energy_formula_table.cfg", 4, "energy.table_bits", "is read only with mac = \"table\"; mac is \"formula\""},
    };
    for (size_t i = 0; i < QA_COUNT(bad); i++) {
        Accel a;
        Err e;
        err_clear(&e);
        if (arch_load(&a, bad[i].file, &e) != QA_ERR)
            fail_msg("%s: loaded without error", bad[i].file);
        qt_assert_err(&e, bad[i].file, bad[i].line, bad[i].field, bad[i].msg);
    }
    /* A chip without the group has none and writes none; one with it
     * writes every key and reads back the same. */
    Accel a, b;
    Err e;
    char path[64], text[8192];
    snprintf(path, sizeof path, "test_energy_%d.cfg", (int)getpid());
    arch_defaults(&a);
    assert_false(a.energy.set);
    assert_int_equal(arch_save(&a, path, &e), QA_OK);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    assert_null(strstr(text, "energy"));
    assert_int_equal(arch_load(&a, "arch/bitfusion45.cfg", &e), QA_OK);
    assert_true(a.energy.set);
    assert_int_equal(arch_save(&a, path, &e), QA_OK);
    assert_int_equal(arch_load(&b, path, &e), QA_OK);
    remove(path);
    assert_memory_equal(&a.energy, &b.energy, sizeof a.energy);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv_layer_by_hand),
        cmocka_unit_test(test_pool_layer_by_hand),
        cmocka_unit_test(test_grouped_and_flat_by_hand),
        cmocka_unit_test(test_gemm_traffic_by_hand),
        cmocka_unit_test(test_components_sum_exactly),
        cmocka_unit_test(test_fewer_dram_bytes_never_more_energy),
        cmocka_unit_test(test_bitfusion_table),
        cmocka_unit_test(test_mac_and_peak_by_hand),
        cmocka_unit_test(test_bad_energy_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
