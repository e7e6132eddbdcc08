/* test_func.c: the chip's functional mode (sim/engine/func.h) against the integer
 * reference (quant/int/intref.h), bit for bit: a small residual network on
 * tiny.cfg at every dataflow and at 2, 4 and 8 bits, through the C path and
 * through the SystemC cores; every array tile (or the leading part of big
 * ones) re-run on the PE-level array with equal results, cycles and largest
 * partial sum; one flipped weight code found at its layer and channel; a
 * too-narrow accumulator reported (with a hand-computed partial sum) and
 * never wrapped; the tiles of every layer cover its outputs exactly once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "models/mapper.h"
#include "sim/engine/func.h"
#include "sim/engine/sim.h"
#include "tests/fnet.h"

#define IMAGES 3

typedef struct {
    Accel a;
    INet ref;
    Net net;
    TileSchedule ts;
    FuncChip *f;
} Rig;

static void tiny(Accel *a)
{
    Err e;
    if (arch_load(a, "arch/tiny.cfg", &e) != QA_OK) {
        err_print(&e, stderr);
        fail();
    }
}

/* The small network at w/a bits, mapped on a, images loaded. */
static void rig_up(Rig *r, const Accel *a, int bits, int64_t pe_macs)
{
    Err e;
    memset(r, 0, sizeof *r);
    r->a = *a;
    if (fn_build(&r->ref, 7 + (uint64_t)bits, bits, bits, &e) != QA_OK ||
        func_net(&r->ref, IMAGES, &r->net, &e) != QA_OK ||
        map_net(&r->a, &r->net, &r->ts, &e) != QA_OK) {
        err_print(&e, stderr);
        fail();
    }
    FuncOptions o = {.pe_max_macs = pe_macs};
    assert_int_equal(func_init(&r->f, &r->a, &r->ref, &r->net, &r->ts, &o, &e), QA_OK);
    uint8_t img[IMAGES * 3 * 12 * 12];
    fn_images(&r->ref, 99, IMAGES, img);
    assert_int_equal(func_set_images(r->f, img, &e), QA_OK);
}

static void rig_down(Rig *r)
{
    func_free(r->f);
    tile_free(&r->ts);
    net_free(&r->net);
    intref_free(&r->ref);
}

/* Every layer: zero mismatches over all its outputs; array layers: no
 * overflow at 32 bits and the reference array agrees on every re-run tile. */
static void check_exact(const Rig *r)
{
    const FuncLayer *fl = func_layers(r->f);
    int64_t tiles = 0;
    for (int l = 0; l < r->net.n; l++) {
        const Layer *ly = &r->net.layers[l];
        assert_int_equal(fl[l].mismatches, 0);
        assert_int_equal(fl[l].elems, layer_out_elems(ly));
        tiles += fl[l].tiles;
        if (!layer_on_array(ly))
            continue;
        assert_int_equal(fl[l].macs, layer_macs(ly));
        assert_false(fl[l].overflow);
        assert_true(fl[l].max_acc > 0);
        assert_true(fl[l].pe_tiles > 0);
        assert_int_equal(fl[l].pe_mismatches, 0);
        assert_int_equal(fl[l].pe_cycles, fl[l].sys_cycles);
        assert_int_equal(fl[l].pe_max_acc, fl[l].pe_max_want);
        assert_true(fl[l].pe_max_acc <= fl[l].max_acc);
    }
    /* the network's outputs depend on the image (nothing is all clamped) */
    assert_memory_not_equal(func_logits(r->f), func_logits(r->f) + 10, 10 * sizeof(int64_t));
    /* the schedule really cuts layers into tiles over both cores */
    assert_true(tiles > r->net.n);
    assert_int_equal(func_total_mismatches(r->f), 0);
}

static void test_net_shape(void **s)
{
    (void)s;
    Accel a;
    tiny(&a);
    Rig r;
    rig_up(&r, &a, 4, 0);
    /* 9 ops, the classifier split into pool + fc */
    assert_int_equal(r.net.n, 11);
    assert_int_equal(net_array_layers(&r.net), 7);
    const Layer *c0 = &r.net.layers[0], *b1b = &r.net.layers[3];
    const Layer *pool = &r.net.layers[9], *fc = &r.net.layers[10];
    assert_int_equal(c0->a_bits, 8);
    assert_int_equal(c0->w_bits, 8);
    assert_int_equal(c0->o_bits, 4);
    assert_int_equal(b1b->o_bits, 32); /* int32 residual branch */
    assert_int_equal(r.net.layers[4].op, OP_ADD);
    assert_int_equal(r.net.layers[4].a_bits, 32);
    assert_int_equal(pool->op, OP_AVGPOOL);
    assert_int_equal(pool->o_bits, 8); /* 4-bit codes summed over 3x3 */
    assert_int_equal(fc->op, OP_FC);
    assert_int_equal(fc->C, 20);
    assert_int_equal(fc->K, 10);
    assert_int_equal(fc->N, IMAGES);
    /* b1a: 12 x (12*3*3) x 36 pixels per image */
    assert_int_equal(layer_macs(&r.net.layers[2]), (int64_t)IMAGES * 12 * 108 * 36);
    rig_down(&r);
}

/* Each output element of every layer is in exactly one tile's block. */
static void test_tiles_cover_outputs(void **s)
{
    (void)s;
    Accel a;
    tiny(&a);
    for (int cores = 1; cores <= 3; cores++) {
        a.cores = cores;
        a.sram_bytes = cores == 3 ? 2048 : a.sram_bytes; /* many small tiles */
        Rig r;
        rig_up(&r, &a, 8, 0);
        for (int l = 0; l < r.net.n; l++) {
            const Layer *ly = &r.net.layers[l];
            const LayerMap *m = &r.ts.layers[l];
            int64_t rows = (int64_t)ly->N * ly->P;
            char *seen = calloc((size_t)(rows * ly->K), 1);
            for (int c = 0; c < m->cores_used; c++) {
                int64_t n = 0;
                for (int g = m->first[c]; g < m->first[c + 1]; g++)
                    n += m->groups[g].count;
                TileBlock b;
                assert_int_equal(tile_block(m, ly, c, n, &b), QA_ERR);
                for (int64_t t = 0; t < n; t++) {
                    assert_int_equal(tile_block(m, ly, c, t, &b), QA_OK);
                    for (int64_t k = b.k0; k < b.k1; k++)
                        for (int64_t q = b.r0; q < b.r1; q++)
                            seen[k * rows + q]++;
                }
            }
            for (int64_t i = 0; i < rows * ly->K; i++)
                assert_int_equal(seen[i], 1);
            free(seen);
        }
        rig_down(&r);
    }
}

/* Every dataflow x 2/4/8 bits on tiny.cfg (2 cores): the C path. Tiles of
 * up to 20k MACs are re-run whole on the PE-level array, the first and last
 * tile of each core otherwise. */
static void test_bitexact_every_dataflow_and_bits(void **s)
{
    (void)s;
    static const int bits[] = {2, 4, 8};
    Err e;
    for (int df = 0; df < DF_COUNT; df++)
        for (size_t b = 0; b < QA_COUNT(bits); b++) {
            Accel a;
            tiny(&a);
            a.dataflow = (Dataflow)df;
            Rig r;
            rig_up(&r, &a, bits[b], 20000);
            assert_int_equal(func_run(r.f, &e), QA_OK);
            assert_int_equal(func_compare(r.f, &e), QA_OK);
            check_exact(&r);
            /* at 2 bits the array is 8x as wide: the folds change */
            assert_int_equal(r.ts.layers[2].cols, bits[b] == 2 ? 64 : bits[b] == 4 ? 32 : 16);
            rig_down(&r);
        }
}

/* One flipped weight code in the chip's copy: the layer and channel are
 * found, the layers before it stay exact. b2a is layer 5; weight index
 * 7 * 108 + 40 is channel 7; bit 3 is the sign of a 4-bit code. */
static void test_fault_injection(void **s)
{
    (void)s;
    Err e;
    Accel a;
    tiny(&a);
    Rig r;
    rig_up(&r, &a, 4, 0);
    int16_t before = r.ref.ops[5].w[7 * 108 + 40];
    assert_int_equal(func_flip_weight(r.f, 5, 7 * 108 + 40, 3, &e), QA_OK);
    assert_int_equal(r.ref.ops[5].w[7 * 108 + 40], before); /* reference untouched */
    assert_int_equal(func_run(r.f, &e), QA_OK);
    assert_int_equal(func_compare(r.f, &e), QA_OK);
    const FuncLayer *fl = func_layers(r.f);
    for (int l = 0; l < 5; l++)
        assert_int_equal(fl[l].mismatches, 0);
    assert_true(fl[5].mismatches > 0);
    assert_int_equal(fl[5].first[1], 7);
    /* only channel 7 of b2a can differ: at most 3 images x 3 x 3 */
    assert_true(fl[5].mismatches <= IMAGES * 9);
    assert_true(fl[5].got != fl[5].want);
    assert_true(func_total_mismatches(r.f) >= fl[5].mismatches);
    /* bad fault positions are refused */
    assert_int_equal(func_flip_weight(r.f, 1, 0, 0, &e), QA_ERR); /* max pool */
    assert_string_equal(e.field, "layer");
    assert_int_equal(func_flip_weight(r.f, 5, 20 * 108, 0, &e), QA_ERR);
    assert_string_equal(e.field, "index");
    assert_int_equal(func_flip_weight(r.f, 5, 0, 4, &e), QA_ERR);
    assert_string_equal(e.field, "bit");
    /* a schedule with partial sums crossing tiles is refused, naming the layer */
    FuncChip *g;
    r.ts.layers[6].groups[0].load_psum_bytes = 64;
    FuncOptions o = {0};
    assert_int_equal(func_init(&g, &r.a, &r.ref, &r.net, &r.ts, &o, &e), QA_ERR);
    assert_string_equal(e.field, "b2b");
    r.ts.layers[6].groups[0].load_psum_bytes = 0;
    rig_down(&r);
}

/* One 1x1 conv of 4 channels, every weight 127, every pixel 255: each
 * partial sum grows by 127 * 255 = 32385 per channel up to 129540, which
 * needs 18 signed bits. acc_bits 17 overflows, 18 does not; the outputs
 * stay exact either way (int64 arithmetic, overflow reported, not wrapped). */
static void test_overflow_hand(void **s)
{
    (void)s;
    Err e;
    for (int acc = 17; acc <= 18; acc++) {
        INet ref;
        intref_init(&ref);
        ref.in_C = 4, ref.in_H = 2, ref.in_W = 2, ref.in_bits = 8, ref.classes = 2;
        IOp c;
        memset(&c, 0, sizeof c);
        c.kind = IOP_CONV;
        snprintf(c.name, sizeof c.name, "c");
        c.in[0] = INTREF_INPUT, c.C = 4, c.H = 2, c.W = 2, c.K = 2, c.R = c.S = 1;
        c.stride = 1, c.w_bits = 8, c.out_bits = 8;
        c.w = fn_alloc(8 * sizeof *c.w);
        c.mult = fn_alloc(2 * sizeof *c.mult), c.shift = fn_alloc(2 * sizeof *c.shift);
        c.bias = fn_alloc(2 * sizeof *c.bias);
        for (int i = 0; i < 8; i++)
            c.w[i] = 127;
        c.mult[0] = c.mult[1] = 1, c.shift[0] = c.shift[1] = 10;
        assert_int_equal(intref_add(&ref, &c, &e), 0);
        IOp fc;
        memset(&fc, 0, sizeof fc);
        fc.kind = IOP_GAPFC;
        snprintf(fc.name, sizeof fc.name, "fc");
        fc.in[0] = 0, fc.C = 2, fc.H = 2, fc.W = 2, fc.K = 2, fc.w_bits = 2;
        fc.w = fn_alloc(4 * sizeof *fc.w), fc.bias = fn_alloc(2 * sizeof *fc.bias);
        fc.w[0] = 1;
        assert_int_equal(intref_add(&ref, &fc, &e), 1);
        Accel a;
        tiny(&a);
        a.acc_bits = acc;
        Net net;
        TileSchedule ts;
        FuncChip *f;
        assert_int_equal(func_net(&ref, 1, &net, &e), QA_OK);
        assert_int_equal(map_net(&a, &net, &ts, &e), QA_OK);
        FuncOptions o = {.pe_max_macs = 1000};
        assert_int_equal(func_init(&f, &a, &ref, &net, &ts, &o, &e), QA_OK);
        uint8_t img[16];
        memset(img, 255, sizeof img);
        assert_int_equal(func_set_images(f, img, &e), QA_OK);
        assert_int_equal(func_run(f, &e), QA_OK);
        assert_int_equal(func_compare(f, &e), QA_OK);
        const FuncLayer *fl = func_layers(f);
        assert_int_equal(fl[0].max_acc, 129540);
        assert_int_equal(fl[0].pe_max_acc, 129540);
        assert_int_equal(fl[0].acc_bits_needed, 18);
        assert_int_equal(fl[0].overflow, acc < 18);
        assert_int_equal(func_overflows(f), acc < 18);
        assert_int_equal(func_total_mismatches(f), 0);
        /* requant: floor((129540 + 512) / 1024) = 127 in every pixel; the
         * fc sums 4 x 127 of channel 0 */
        assert_int_equal(func_logits(f)[0], 508);
        func_free(f);
        tile_free(&ts);
        net_free(&net);
        intref_free(&ref);
    }
}

/* A narrow accumulator on the residual network: 8-bit codes overflow 16
 * bits in the stem; the results stay exact. */
static void test_overflow_network(void **s)
{
    (void)s;
    Err e;
    Accel a;
    tiny(&a);
    a.acc_bits = 16;
    Rig r;
    rig_up(&r, &a, 8, 0);
    assert_int_equal(func_run(r.f, &e), QA_OK);
    assert_int_equal(func_compare(r.f, &e), QA_OK);
    const FuncLayer *fl = func_layers(r.f);
    assert_true(fl[0].overflow);
    assert_true(fl[0].acc_bits_needed > 16);
    assert_true(func_overflows(r.f) >= 1);
    assert_int_equal(func_total_mismatches(r.f), 0);
    rig_down(&r);
}

/* The overflow verdict at every accumulator width around every layer's
 * edge, bounds against exact partial sums: for acc_bits 8..34 on the 4-
 * and 8-bit networks at each dataflow, a run with every tile in order
 * (exact_acc) gives each layer's largest |partial sum| E; the default run
 * (bounds where they fit) must report overflow exactly where E needs more
 * than acc_bits, report E itself on every overflowing layer, a bound >= E
 * elsewhere, the same outputs and logits, and a largest final sum <= E. */
static void test_bounds_at_the_edge(void **s)
{
    (void)s;
    Err e;
    static const int bits[] = {4, 8};
    int edges = 0, bounded = 0, products = 0;
    for (int df = 0; df < DF_COUNT; df++)
        for (size_t b = 0; b < QA_COUNT(bits); b++)
            for (int acc = 8; acc <= 34; acc++) {
                Accel a;
                tiny(&a);
                a.dataflow = (Dataflow)df;
                a.acc_bits = acc;
                Rig r, x;
                rig_up(&r, &a, bits[b], 0);
                rig_up(&x, &a, bits[b], 0);
                func_free(x.f);
                FuncOptions o = {.exact_acc = 1};
                uint8_t img[IMAGES * 3 * 12 * 12];
                fn_images(&x.ref, 99, IMAGES, img);
                assert_int_equal(func_init(&x.f, &x.a, &x.ref, &x.net, &x.ts, &o, &e), QA_OK);
                assert_int_equal(func_set_images(x.f, img, &e), QA_OK);
                assert_int_equal(func_run(r.f, &e), QA_OK);
                assert_int_equal(func_compare(r.f, &e), QA_OK);
                assert_int_equal(func_run(x.f, &e), QA_OK);
                assert_int_equal(func_compare(x.f, &e), QA_OK);
                const FuncLayer *fb = func_layers(r.f), *fx = func_layers(x.f);
                for (int l = 0; l < r.net.n; l++) {
                    if (!layer_on_array(&r.net.layers[l]))
                        continue;
                    int64_t E = fx[l].max_acc;
                    assert_int_equal(fx[l].exact_tiles, fx[l].tiles);
                    assert_int_equal(fb[l].overflow, fx[l].overflow);
                    assert_int_equal(fx[l].overflow, fx[l].acc_bits_needed > acc);
                    if (fb[l].overflow) {
                        assert_int_equal(fb[l].max_acc, E);
                        assert_int_equal(fb[l].acc_bits_needed, fx[l].acc_bits_needed);
                    }
                    assert_true(fb[l].max_acc >= E);
                    assert_true(fb[l].max_sum <= E);
                    assert_int_equal(fb[l].max_sum, fx[l].max_sum);
                    edges += fx[l].acc_bits_needed == acc || fx[l].acc_bits_needed == acc + 1;
                    bounded += fb[l].exact_tiles < fb[l].tiles;
                }
                products += func_times(r.f)->bound_macs > 0;
                assert_int_equal(func_total_mismatches(r.f), 0);
                assert_int_equal(func_total_mismatches(x.f), 0);
                assert_memory_equal(func_logits(r.f), func_logits(x.f),
                                    IMAGES * 10 * sizeof(int64_t));
                rig_down(&r);
                rig_down(&x);
            }
    /* every array layer met its edge from both sides; bounds decided
     * layers, and the bound product A x |W| decided tiles */
    assert_true(edges >= 2 * 7 * DF_COUNT * (int)QA_COUNT(bits));
    assert_true(bounded > 0);
    assert_true(products > 0);
}

/* The same through the SystemC cores: the tiles are computed in the
 * simulation process at their simulated time, the results come back equal
 * to the C path's, and the cycles equal a timing-only run's. */
static void test_systemc_functional(void **s)
{
    (void)s;
    Err e;
    for (int df = 0; df < DF_COUNT; df++) {
        Accel a;
        tiny(&a);
        a.dataflow = (Dataflow)df;
        Rig r, c;
        rig_up(&r, &a, 4, 20000);
        rig_up(&c, &a, 4, 20000);
        SimFunctional h = func_sim_hooks(r.f);
        SimOptions o = {NULL, 0, SIM_ARB_ROUND_ROBIN, &h};
        RunStats rs, plain;
        if (sim_run(&r.a, &r.ts, &o, &rs, &e) != QA_OK) {
            err_print(&e, stderr);
            fail();
        }
        check_exact(&r);
        assert_int_equal(func_run(c.f, &e), QA_OK);
        assert_int_equal(func_compare(c.f, &e), QA_OK);
        assert_memory_equal(func_logits(r.f), func_logits(c.f), IMAGES * 10 * sizeof(int64_t));
        assert_memory_equal(func_layers(r.f), func_layers(c.f), r.net.n * sizeof(FuncLayer));
        assert_int_equal(sim_run(&r.a, &r.ts, NULL, &plain, &e), QA_OK);
        assert_int_equal(rs.cycles, plain.cycles);
        assert_true(rs.cycles > 0);
        stats_free(&rs);
        stats_free(&plain);
        rig_down(&r);
        rig_down(&c);
    }
    /* a fault in the chip's copy is found through SystemC too */
    Accel a;
    tiny(&a);
    Rig r;
    rig_up(&r, &a, 4, 0);
    assert_int_equal(func_flip_weight(r.f, 5, 7 * 108 + 40, 3, &e), QA_OK);
    SimFunctional h = func_sim_hooks(r.f);
    SimOptions o = {NULL, 0, SIM_ARB_ROUND_ROBIN, &h};
    RunStats rs;
    assert_int_equal(sim_run(&r.a, &r.ts, &o, &rs, &e), QA_OK);
    assert_true(func_layers(r.f)[5].mismatches > 0);
    assert_int_equal(func_layers(r.f)[5].first[1], 7);
    stats_free(&rs);
    rig_down(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_net_shape),
        cmocka_unit_test(test_tiles_cover_outputs),
        cmocka_unit_test(test_bitexact_every_dataflow_and_bits),
        cmocka_unit_test(test_fault_injection),
        cmocka_unit_test(test_overflow_hand),
        cmocka_unit_test(test_overflow_network),
        cmocka_unit_test(test_bounds_at_the_edge),
        cmocka_unit_test(test_systemc_functional),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
