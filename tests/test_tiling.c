/* test_tiling.c: schedules of single mappings: hand cases, traffic never
 * below the compulsory bytes and equal to them when everything fits, the
 * per-core schedule adding up to the layer, and the mapper's fast pricing
 * equal to the written schedule's timing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "models/analytic.h"
#include "models/mapper.h"
#include "models/traffic.h"

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
    assert_int_equal(map_net(&a, &net, &ts, &e), QA_OK);
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
    assert_int_equal(map_net(&a, &net, &ts, &e), QA_ERR);
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
        assert_int_equal(map_net(&a, &net, &ts, &e), QA_OK);
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
    assert_int_equal(map_net(&a, &net, &ts, &e), QA_OK);
    assert_true(net_traffic(&ts) >= compulsory);
    tile_free(&ts);
    /* One core: no halo rows shared between cores' slices. */
    a.cores = 1;
    a.sram_bytes = (int64_t)1 << 30;
    assert_int_equal(map_net(&a, &net, &ts, &e), QA_OK);
    assert_int_equal(net_traffic(&ts), compulsory);
    tile_free(&ts);
    net_free(&net);
}

/* The pricing the mapper uses (tile_core_cycles, core by core, without
 * writing the schedule) gives the cycles and bytes analytic_layer reports
 * for the written schedule, on every layer of ResNet-50 and a spread of
 * candidates and contexts. */
static void test_fast_price_is_the_schedules(void **state)
{
    (void)state;
    static const int bits[] = {16, 4};
    static const double gbps[] = {64, 0};
    int64_t checked = 0;
    for (size_t b = 0; b < QA_COUNT(bits); b++) {
        Net net;
        resnet(&net, bits[b], 1 + (int)b * 3);
        Accel a;
        pact(&a);
        a.dram_gbps = gbps[b];
        a.double_buffer = (int)b;
        for (int id = 0; id < net.n; id++) {
            TileContext x;
            memset(&x, 0, sizeof x);
            x.in_resident[0] = id % 2;
            x.spill_bytes = id % 3 == 0 ? 1000 + id : 0;
            LayerView v;
            tile_view(&net, id, &x, &v);
            LayerMap arr;
            memset(&arr, 0, sizeof arr);
            tile_array(&a, &net.layers[id], &arr);
            for (int split = 0; split < 2; split++)
                for (int cu = 1; cu <= a.cores; cu++) {
                    if (cu > traffic_units(&v, (CoreSplit)split))
                        continue;
                    TileChoice base;
                    memset(&base, 0, sizeof base);
                    base.split = (CoreSplit)split;
                    base.cores_used = cu;
                    base.tn = base.tr = INT64_MAX;
                    traffic_shape(&v, &base);
                    for (int64_t dn = 1; dn <= base.share_ch; dn *= 4)
                        for (int64_t dm = 1; dm <= base.share_rows; dm *= 3)
                            for (int k = 0; k < 8; k++) {
                                TileChoice c = base;
                                c.tn = QA_CEIL_DIV(base.share_ch, dn);
                                c.tr = QA_CEIL_DIV(base.share_rows, dm);
                                traffic_shape(&v, &c);
                                c.order = (LoopOrder)(k & 1);
                                c.cache = k >> 1 & 1;
                                c.keep_out = k >> 2 & 1;
                                traffic_eval(&a, &v, 0, &c);
                                int64_t worst = 0, bytes = 0;
                                Err e;
                                for (int core = 0; core < cu; core++) {
                                    int64_t by;
                                    int64_t cyc = tile_core_cycles(&a, &v, &c, x.spill_bytes,
                                                                   &arr, core, &by, &e);
                                    worst = QA_MAX(worst, cyc);
                                    bytes += by;
                                }
                                LayerMap m = arr;
                                assert_int_equal(tile_build(&a, &net, id, &v, &c, &x, &m, &e), QA_OK);
                                LayerStats s;
                                memset(&s, 0, sizeof s);
                                analytic_layer(&a, &m, &s);
                                assert_int_equal(QA_MAX(worst, s.mem_cycles), s.cycles);
                                assert_int_equal(bytes, tile_layer_dram_bytes(&m));
                                tile_free_layer(&m);
                                checked++;
                            }
                }
        }
        net_free(&net);
    }
    assert_true(checked > 10000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_layer_fits),
        cmocka_unit_test(test_does_not_fit),
        cmocka_unit_test(test_schedule_adds_up),
        cmocka_unit_test(test_compulsory),
        cmocka_unit_test(test_fast_price_is_the_schedules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
