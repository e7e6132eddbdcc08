/* test_validate.c: an integer network validated on the chip batch by batch
 * (sim/engine/validate.h): the small residual network of tests/fnet.h on
 * tiny.cfg is bit-exact through the SystemC cores and through the analytic
 * path, with the same totals whatever the batch; on one core with unlimited
 * bandwidth the SystemC cycles equal analytic_run's exactly; a flipped
 * weight bit is reported at its layer and channel, a narrow accumulator
 * at the stem; bad fault positions are refused with their field; the
 * PE-level re-runs sampled per run, deterministic from the seed. */
#include "tests/qtest.h"

#include <stdlib.h>
#include <string.h>

#include "models/analytic.h"
#include "models/mapper.h"
#include "sim/engine/validate.h"
#include "tests/fnet.h"

#define IMAGES 3

/* tiny.cfg, the network at bits/bits, IMAGES seeded images. */
typedef struct {
    Accel a;
    INet ref;
    uint8_t *images;
} Rig;

static void rig_up(Rig *g, int bits)
{
    Err e;
    if (arch_load(&g->a, "arch/tiny.cfg", &e) != QA_OK ||
        fn_build(&g->ref, 7 + (uint64_t)bits, bits, bits, &e) != QA_OK ||
        validate_random_images(&g->ref, 99, IMAGES, &g->images, &e) != QA_OK) {
        err_print(&e, stderr);
        fail();
    }
}

static void rig_down(Rig *g)
{
    free(g->images);
    intref_free(&g->ref);
}

static void run(const Rig *g, const ValOptions *o, ValResult *r)
{
    Err e;
    if (validate_run(&g->a, &g->ref, g->images, IMAGES, o, r, &e) != QA_OK) {
        err_print(&e, stderr);
        fail();
    }
}

/* Cycles of analytic_run on the batches a run of `batch` makes. */
static int64_t analytic_cycles(const Accel *a, const INet *ref, int batch)
{
    int64_t total = 0;
    Err e;
    for (int i = 0; i < IMAGES; i += batch) {
        Net net;
        TileSchedule ts;
        RunStats rs;
        assert_int_equal(func_net(ref, QA_MIN(batch, IMAGES - i), &net, &e), QA_OK);
        assert_int_equal(map_net(a, &net, &ts, &e), QA_OK);
        assert_int_equal(analytic_run(a, &net, &ts, &rs, &e), QA_OK);
        total += rs.cycles;
        stats_free(&rs);
        tile_free(&ts);
        net_free(&net);
    }
    return total;
}

/* Bit-exact on both paths, the same totals at batch 1, 2 and 3, and the
 * images the library draws are the seeded codes of fnet.h. */
static void test_bitexact(void **s)
{
    (void)s;
    Rig g;
    rig_up(&g, 4);
    uint8_t want[IMAGES * 3 * 12 * 12];
    fn_images(&g.ref, 99, IMAGES, want);
    assert_memory_equal(g.images, want, sizeof want);

    ValOptions o = {2, 1, 20000, NULL, 0, 0, 0, 0, 0};
    ValResult sc, c;
    run(&g, &o, &sc);
    o.systemc = 0;
    run(&g, &o, &c);
    Err e;
    for (const ValResult *r = &sc; r; r = r == &sc ? &c : NULL) {
        assert_int_equal(r->n, IMAGES);
        assert_int_equal(r->shape.n, 11); /* the classifier is a pool and an fc */
        assert_int_equal(r->mismatches, 0);
        assert_int_equal(r->overflows, 0);
        assert_int_equal(r->pe_bad, 0);
        assert_true(r->pe_tiles > 0);
        assert_int_equal(r->first_bad, -1);
        assert_int_equal(r->agree, IMAGES);
        assert_int_equal(validate_verdict(r, &g.a, "m", &e), QA_OK);
        int64_t elems = 0, macs = 0;
        for (int l = 0; l < r->shape.n; l++) {
            elems += layer_out_elems(&r->shape.layers[l]) * IMAGES;
            if (layer_on_array(&r->shape.layers[l]))
                macs += layer_macs(&r->shape.layers[l]) * IMAGES;
        }
        assert_int_equal(r->elems, elems);
        assert_int_equal(r->macs, macs);
    }
    /* the same tiles computed: everything but the cycles is equal */
    for (int l = 0; l < sc.shape.n; l++)
        assert_memory_equal(&sc.layers[l].f, &c.layers[l].f, sizeof(FuncLayer));
    assert_memory_equal(sc.chip_pred, c.chip_pred, IMAGES * sizeof(int));
    assert_memory_equal(sc.ref_pred, c.ref_pred, IMAGES * sizeof(int));
    /* the analytic path's cycles are analytic_run's of each batch */
    assert_int_equal(c.cycles, analytic_cycles(&g.a, &g.ref, 2));

    /* batch 1 and batch 3: the same totals */
    for (int b = 1; b <= 3; b += 2) {
        ValResult r;
        o.batch = b;
        run(&g, &o, &r);
        for (int l = 0; l < r.shape.n; l++) {
            assert_int_equal(r.layers[l].f.elems, c.layers[l].f.elems);
            assert_int_equal(r.layers[l].f.macs, c.layers[l].f.macs);
            assert_int_equal(r.layers[l].f.max_acc, c.layers[l].f.max_acc);
        }
        assert_memory_equal(r.chip_pred, c.chip_pred, IMAGES * sizeof(int));
        assert_int_equal(r.cycles, analytic_cycles(&g.a, &g.ref, b));
        validate_free(&r);
    }
    validate_free(&sc);
    validate_free(&c);
    rig_down(&g);
}

/* The PE-level sample: every eligible tile with pe_tiles 0; with
 * pe_tiles T, exactly T of them per simulated run, the same ones for the
 * same seed, never more than a layer's eligible tiles, spread over more
 * than one layer, and the outputs and verdicts as with every tile. */
static void test_pe_sample(void **s)
{
    (void)s;
    Rig g;
    rig_up(&g, 4);
    ValOptions o = {1, 0, 20000, NULL, 0, 0, 0, 0, 5};
    ValResult all, a, b, c;
    run(&g, &o, &all);
    assert_int_equal(all.pe_tiles, all.pe_eligible);
    assert_true(all.pe_eligible > 3 * IMAGES);
    o.pe_tiles = 3;
    run(&g, &o, &a);
    run(&g, &o, &b);
    o.seed = 6;
    run(&g, &o, &c);
    assert_int_equal(a.pe_tiles, 3 * IMAGES);
    assert_int_equal(a.pe_eligible, all.pe_eligible);
    assert_int_equal(a.pe_bad, 0);
    int layers = 0, differ = 0;
    for (int l = 0; l < a.shape.n; l++) {
        const FuncLayer *fa = &a.layers[l].f, *fb = &b.layers[l].f, *fc = &c.layers[l].f;
        assert_memory_equal(fa, fb, sizeof *fa);
        assert_true(fa->pe_tiles <= fa->pe_eligible);
        assert_int_equal(fa->pe_eligible, all.layers[l].f.pe_eligible);
        layers += fa->pe_tiles > 0;
        differ += fa->pe_tiles != fc->pe_tiles;
        assert_int_equal(fa->mismatches, 0);
        assert_int_equal(fa->max_acc, all.layers[l].f.max_acc);
    }
    assert_true(layers > 1);
    assert_true(differ > 0); /* another seed, other tiles */
    assert_memory_equal(a.chip_pred, all.chip_pred, IMAGES * sizeof(int));
    validate_free(&all);
    validate_free(&a);
    validate_free(&b);
    validate_free(&c);
    rig_down(&g);
}

/* One core, unlimited bandwidth: the SystemC model has no contention to
 * add, so its cycles are analytic_run's to the cycle, layer by layer. */
static void test_one_core_cycles(void **s)
{
    (void)s;
    Rig g;
    rig_up(&g, 8);
    g.a.cores = 1;
    g.a.dram_gbps = 0;
    ValOptions o = {IMAGES, 1, 0, NULL, 0, 0, 0, 0, 0};
    ValResult sc, c;
    run(&g, &o, &sc);
    o.systemc = 0;
    run(&g, &o, &c);
    assert_true(sc.cycles > 0);
    assert_int_equal(sc.cycles, c.cycles);
    assert_int_equal(sc.cycles, analytic_cycles(&g.a, &g.ref, IMAGES));
    for (int l = 0; l < sc.shape.n; l++)
        assert_int_equal(sc.layers[l].cycles, c.layers[l].cycles);
    assert_int_equal(sc.mismatches, 0);
    validate_free(&sc);
    validate_free(&c);
    rig_down(&g);
}

/* A flipped weight code of b2a (layer 5; weight 7 * 108 + 40 is in output
 * channel 7; bit 3 is the sign of a 4-bit code) is found at that layer and
 * channel on both paths; the layers before it stay exact. */
static void test_flipped_weight(void **s)
{
    (void)s;
    Rig g;
    rig_up(&g, 4);
    Err e;
    for (int systemc = 0; systemc <= 1; systemc++) {
        ValOptions o = {2, systemc, 0, "b2a", 7 * 108 + 40, 3, 0, 0, 0};
        ValResult r;
        run(&g, &o, &r);
        assert_int_equal(r.first_bad, 5);
        for (int l = 0; l < 5; l++)
            assert_int_equal(r.layers[l].f.mismatches, 0);
        const FuncLayer *f = &r.layers[5].f;
        assert_true(f->mismatches > 0);
        assert_true(f->mismatches <= IMAGES * 9); /* channel 7 of 3x3 outputs */
        assert_int_equal(f->first[1], 7);
        assert_true(f->got != f->want);
        assert_int_equal(validate_verdict(&r, &g.a, "m.safetensors", &e), QA_ERR);
        assert_string_equal(e.file, "m.safetensors");
        assert_string_equal(e.field, "b2a");
        char want[200];
        snprintf(want, sizeof want, "%lld outputs differ from the integer reference, "
                 "first at image %lld channel 7 row %lld column %lld: chip %lld, "
                 "reference %lld", (long long)f->mismatches, (long long)f->first[0],
                 (long long)f->first[2], (long long)f->first[3], (long long)f->got,
                 (long long)f->want);
        assert_string_equal(e.msg, want);
        validate_free(&r);
    }
    /* bad fault positions: no such layer, a bit past the code's width */
    ValOptions o = {2, 0, 0, "nope", 0, 0, 0, 0, 0};
    ValResult r;
    assert_int_equal(validate_run(&g.a, &g.ref, g.images, IMAGES, &o, &r, &e), QA_ERR);
    qt_assert_err(&e, "", 0, "flip", "no layer 'nope' in the model");
    validate_free(&r);
    o.flip_layer = "b2a", o.flip_bit = 4;
    assert_int_equal(validate_run(&g.a, &g.ref, g.images, IMAGES, &o, &r, &e), QA_ERR);
    assert_string_equal(e.field, "bit");
    validate_free(&r);
    rig_down(&g);
}

/* 8-bit codes overflow 16-bit accumulators in the stem: the outputs stay
 * exact (never wrapped) and the verdict names the stem. */
static void test_overflow(void **s)
{
    (void)s;
    Rig g;
    rig_up(&g, 8);
    g.a.acc_bits = 16;
    ValOptions o = {IMAGES, 0, 0, NULL, 0, 0, 0, 0, 0};
    ValResult r;
    run(&g, &o, &r);
    assert_int_equal(r.mismatches, 0);
    assert_true(r.overflows >= 1);
    assert_int_equal(r.first_bad, 0);
    Err e;
    assert_int_equal(validate_verdict(&r, &g.a, "m", &e), QA_ERR);
    char want[120];
    snprintf(want, sizeof want, "accumulator overflow: partial sums need %d bits, the "
             "chip has 16", r.layers[0].f.acc_bits_needed);
    qt_assert_err(&e, "m", 0, "c0", want);
    assert_true(r.layers[0].f.acc_bits_needed > 16);
    validate_free(&r);
    rig_down(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bitexact),
        cmocka_unit_test(test_pe_sample),
        cmocka_unit_test(test_one_core_cycles),
        cmocka_unit_test(test_flipped_weight),
        cmocka_unit_test(test_overflow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
