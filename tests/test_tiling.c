/* test_tiling.c: the mapper on hand cases and the invariants the issue
 * asks for on ResNet-50: traffic never below the compulsory bytes and equal
 * to them when everything fits, more scratchpad never more traffic, more
 * bandwidth never slower, fewer bits never slower at unlimited bandwidth,
 * and the per-core schedule adds up to the layer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "models/analytic.h"
#include "models/tiling.h"

static int64_t net_traffic(const TileSchedule *ts)
{
    int64_t sum = 0;
    for (int i = 0; i < ts->n; i++)
        sum += tile_layer_dram_bytes(&ts->layers[i]);
    return sum;
}

static void resnet(Net *net, int bits, int batch)
{
    Err e;
    assert_int_equal(net_build(net, "resnet50", &e), QA_OK);
    net_set_batch(net, batch);
    BitPolicy bp = {bits, bits, bits < 8 ? 8 : bits, 0};
    assert_int_equal(net_apply_bits(net, &bp, &e), QA_OK);
}

static void pact(Accel *a)
{
    Err e;
    assert_int_equal(arch_load(a, "arch/pact2018.cfg", &e), QA_OK);
}

/* A one-layer network: everything fits, so the traffic is exactly the
 * weights, the input and the output once. */
static void test_single_layer_fits(void **state)
{
    (void)state;
    Net net;
    Err e;
    net_init(&net, "one");
    Layer l;
    memset(&l, 0, sizeof l);
    snprintf(l.name, sizeof l.name, "conv");
    l.op = OP_CONV;
    l.N = 1; l.C = 16; l.K = 32; l.H = l.W = 8; l.R = l.S = 3;
    l.stride = 1; l.pad = 1; l.groups = 1;
    l.in[0] = l.in[1] = LAYER_NO_INPUT;
    assert_int_equal(layer_finish(&l, &e), QA_OK);
    assert_true(net_add(&net, &l, &e) >= 0);
    BitPolicy bp = {8, 8, 0, 0};
    assert_int_equal(net_apply_bits(&net, &bp, &e), QA_OK);
    Accel a;
    arch_defaults(&a);
    a.sram_bytes = 1 << 20;
    TileSchedule ts;
    assert_int_equal(tile_map_net(&a, &net, &ts, &e), QA_OK);
    const LayerMap *m = &ts.layers[0];
    /* W = 32*16*9 B; I = 16*64 B; O = 32*64 logits at 16 bits */
    assert_int_equal(m->dram_w_bytes, 4608);
    assert_int_equal(m->dram_in_bytes, 1024);
    assert_int_equal(m->dram_out_bytes, 4096);
    assert_int_equal(tile_layer_dram_bytes(m), m->compulsory_bytes);
    assert_int_equal(m->out_resident, 0); /* the network output leaves */
    tile_free(&ts);
    net_free(&net);
}

/* A scratchpad too small for even one row of one filter is an error that
 * names the layer. */
static void test_does_not_fit(void **state)
{
    (void)state;
    Net net;
    resnet(&net, 16, 1);
    Accel a;
    pact(&a);
    a.sram_bytes = 1024;
    TileSchedule ts;
    Err e;
    assert_int_equal(tile_map_net(&a, &net, &ts, &e), QA_ERR);
    assert_string_equal(e.field, "conv1");
    assert_non_null(strstr(e.msg, "does not fit"));
    net_free(&net);
}

/* Sums over the per-core schedule equal the layer totals: every MAC is
 * done once, and the bytes in the tiles are the bytes reported. */
static void test_schedule_adds_up(void **state)
{
    (void)state;
    static const int bits[] = {16, 4, 2};
    for (size_t b = 0; b < QA_COUNT(bits); b++) {
        Net net;
        resnet(&net, bits[b], 2);
        Accel a;
        pact(&a);
        TileSchedule ts;
        Err e;
        assert_int_equal(tile_map_net(&a, &net, &ts, &e), QA_OK);
        for (int i = 0; i < net.n; i++) {
            const LayerMap *m = &ts.layers[i];
            int64_t macs = 0, w = 0, in = 0, out = 0;
            for (int g = 0; g < m->ngroups; g++) {
                macs += m->groups[g].count * m->groups[g].macs;
                w += m->groups[g].count * m->groups[g].load_w_bytes;
                in += m->groups[g].count * m->groups[g].load_in_bytes;
                out += m->groups[g].count * m->groups[g].store_out_bytes;
            }
            assert_int_equal(macs, layer_macs(&net.layers[i]));
            assert_int_equal(w, m->dram_w_bytes);
            assert_int_equal(in, m->dram_in_bytes);
            assert_int_equal(out, m->dram_out_bytes);
            assert_true(tile_layer_dram_bytes(m) >= m->compulsory_bytes);
            assert_true(m->sram_peak_bytes <= a.sram_bytes);
        }
        tile_free(&ts);
        net_free(&net);
    }
}

/* Network traffic is at least weights + input image + logits, and exactly
 * that when the scratchpads hold everything. */
static void test_compulsory(void **state)
{
    (void)state;
    Net net;
    resnet(&net, 4, 1);
    Accel a;
    pact(&a);
    int64_t w = 0;
    for (int i = 0; i < net.n; i++)
        w += layer_weight_bytes(&net.layers[i]);
    int64_t compulsory = w + layer_in_bytes(&net.layers[0]) +
                         layer_out_bytes(&net.layers[net.n - 1]);
    TileSchedule ts;
    Err e;
    assert_int_equal(tile_map_net(&a, &net, &ts, &e), QA_OK);
    assert_true(net_traffic(&ts) >= compulsory);
    tile_free(&ts);
    /* One core: no halo rows shared between cores' slices. */
    a.cores = 1;
    a.sram_bytes = (int64_t)1 << 30;
    assert_int_equal(tile_map_net(&a, &net, &ts, &e), QA_OK);
    assert_int_equal(net_traffic(&ts), compulsory);
    tile_free(&ts);
    net_free(&net);
}

static void test_more_sram_never_more_traffic(void **state)
{
    (void)state;
    static const int bits[] = {16, 8, 4, 2};
    static const int batch[] = {1, 8};
    for (size_t b = 0; b < QA_COUNT(bits); b++)
        for (size_t n = 0; n < QA_COUNT(batch); n++) {
            Net net;
            resnet(&net, bits[b], batch[n]);
            Accel a;
            pact(&a);
            int64_t prev = INT64_MAX;
            for (int64_t kib = 256; kib <= 16384; kib *= 2) {
                a.sram_bytes = kib * 1024;
                TileSchedule ts;
                Err e;
                assert_int_equal(tile_map_net(&a, &net, &ts, &e), QA_OK);
                int64_t t = net_traffic(&ts);
                if (t > prev)
                    fail_msg("%d bits batch %d: %lld KiB gives %lld bytes, "
                             "half of it %lld", bits[b], batch[n],
                             (long long)kib, (long long)t, (long long)prev);
                prev = t;
                tile_free(&ts);
            }
            net_free(&net);
        }
}

static int64_t run_cycles(const Accel *a, const Net *net)
{
    TileSchedule ts;
    RunStats rs;
    Err e;
    assert_int_equal(tile_map_net(a, net, &ts, &e), QA_OK);
    assert_int_equal(analytic_run(a, net, &ts, &rs, &e), QA_OK);
    int64_t c = rs.cycles;
    stats_free(&rs);
    tile_free(&ts);
    return c;
}

static void test_more_bandwidth_never_slower(void **state)
{
    (void)state;
    static const double gbps[] = {4, 8, 16, 32, 64, 128, 256, 0};
    static const int bits[] = {16, 4};
    for (size_t b = 0; b < QA_COUNT(bits); b++) {
        Net net;
        resnet(&net, bits[b], 4);
        Accel a;
        pact(&a);
        int64_t prev = INT64_MAX;
        for (size_t i = 0; i < QA_COUNT(gbps); i++) {
            a.dram_gbps = gbps[i];
            int64_t c = run_cycles(&a, &net);
            if (c > prev)
                fail_msg("%d bits: %g GB/s takes %lld cycles, less took %lld",
                         bits[b], gbps[i], (long long)c, (long long)prev);
            prev = c;
        }
        net_free(&net);
    }
}

static void test_fewer_bits_never_slower(void **state)
{
    (void)state;
    static const int bits[] = {16, 8, 4, 2};
    for (int df = 0; df < DF_COUNT; df++) {
        Accel a;
        pact(&a);
        a.dram_gbps = 0;
        a.dataflow = (Dataflow)df;
        int64_t prev = INT64_MAX;
        for (size_t b = 0; b < QA_COUNT(bits); b++) {
            Net net;
            resnet(&net, bits[b], 1);
            int64_t c = run_cycles(&a, &net);
            if (c > prev)
                fail_msg("%s: %d bits takes %lld cycles, more bits %lld",
                         arch_dataflow_name((Dataflow)df), bits[b],
                         (long long)c, (long long)prev);
            prev = c;
            net_free(&net);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_layer_fits),
        cmocka_unit_test(test_does_not_fit),
        cmocka_unit_test(test_schedule_adds_up),
        cmocka_unit_test(test_compulsory),
        cmocka_unit_test(test_more_sram_never_more_traffic),
        cmocka_unit_test(test_more_bandwidth_never_slower),
        cmocka_unit_test(test_fewer_bits_never_slower),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
