/* test_tradeoff.c: one row of the accuracy/speed trade-off
 * (sim/study/tradeoff.h) for a small seeded one-channel integer network
 * written as a model file: its accuracy is the integer reference's on the
 * data set, the fake-quant accuracy is read back from the file, and the
 * speedups and TOPS/mm2 are exactly point_run's for the model and for
 * ResNet-50 at the model's bits; files that are no model, or whose input
 * is not the data set's, are refused. */
#include "tests/qtest.h"

#include <stdlib.h>
#include <string.h>

#include "quant/int/export.h"
#include "sim/study/tradeoff.h"
#include "tests/fnet.h"

#define N_IMAGES 20

/* in 1 x 12 x 12 at 8 bits: c0 conv3x3 K8 (8-bit weights) -> 4-bit codes,
 * c1 and c2 conv3x3 K8 at 4/4 bits, fc: gap + fc 10 classes at 8-bit
 * weights. The most common bits of its array layers (the model's bits on
 * the chip) are 4/4. */
static void build(INet *net)
{
    Err e;
    Rng rng;
    rng_seed(&rng, 5);
    intref_init(net);
    net->in_C = 1, net->in_H = 12, net->in_W = 12, net->in_bits = 8;
    net->classes = 10;
    int c0 = fn_conv(net, &rng, "c0", INTREF_INPUT, 1, 12, 8, 3, 1, 8, 8, 4, &e);
    int c1 = fn_conv(net, &rng, "c1", c0, 8, 12, 8, 3, 1, 4, 4, 4, &e);
    int c2 = fn_conv(net, &rng, "c2", c1, 8, 12, 8, 3, 1, 4, 4, 4, &e);
    assert_true(c0 >= 0 && c1 >= 0 && c2 >= 0);
    assert_true(fn_gapfc(net, &rng, c2, 8, 12, &e) >= 0);
    assert_int_equal(intref_validate(net, &e), QA_OK);
}

static void test_row(void **s)
{
    (void)s;
    Err e;
    INet net;
    build(&net);
    char dir[256], path[300];
    assert_int_equal(qt_tmpdir(dir, sizeof dir), 0);
    snprintf(path, sizeof path, "%s/m.safetensors", dir);
    const char *meta[] = {"test_acc_fake_quant", "91.25"};
    assert_int_equal(export_save(&net, path, meta, 1, &e), QA_OK);

    Dataset te = {N_IMAGES, 12, 12, fn_alloc(N_IMAGES * 144), fn_alloc(N_IMAGES)};
    fn_images(&net, 3, N_IMAGES, te.images);
    int pred[N_IMAGES], ok = 0;
    assert_int_equal(intref_predict(&net, te.images, N_IMAGES, pred, &e), QA_OK);
    /* labels: the reference's class for the first half, another for the rest */
    for (int i = 0; i < N_IMAGES; i++) {
        te.labels[i] = (uint8_t)(i < N_IMAGES / 2 ? pred[i] : (pred[i] + 1) % 10);
        ok += te.labels[i] == pred[i];
    }
    assert_int_equal(ok, N_IMAGES / 2);

    PointSpec base;
    point_defaults(&base);
    assert_int_equal(arch_load(&base.accel, "arch/pact2018.cfg", &e), QA_OK);
    base.engine = ENGINE_ANALYTIC;
    TradeoffRow r;
    if (tradeoff_row(path, &te, &base, &r, &e) != QA_OK) {
        err_print(&e, stderr);
        fail();
    }
    assert_string_equal(r.name, path);
    assert_true(r.acc == 50.0);
    assert_true(r.fq_acc == 91.25);

    /* the model's design point, then ResNet-50 at its bits */
    PointSpec p = base;
    RunRecord rec;
    snprintf(p.model_path, sizeof p.model_path, "%s", path);
    assert_int_equal(point_run(&p, &rec, NULL, NULL, &e), QA_OK);
    assert_int_equal(r.w_bits, 4);
    assert_int_equal(r.a_bits, 4);
    assert_int_equal(r.w_bits, rec.w_bits);
    assert_int_equal(r.a_bits, rec.a_bits);
    assert_true(r.speedup == rec.speedup);
    assert_true(r.tops_mm2 == rec.tops_per_mm2);
    assert_true(r.speedup > 1.0);
    p = base;
    p.w_bits = p.a_bits = 4;
    assert_int_equal(point_run(&p, &rec, NULL, NULL, &e), QA_OK);
    assert_string_equal(rec.workload, "resnet50");
    assert_true(r.r50_speedup == rec.speedup);
    assert_true(r.r50_tops_mm2 == rec.tops_per_mm2);

    /* no fake-quant accuracy in a file without one */
    assert_int_equal(export_save(&net, path, NULL, 0, &e), QA_OK);
    assert_int_equal(tradeoff_row(path, &te, &base, &r, &e), QA_OK);
    assert_true(r.fq_acc < 0);

    /* a data set of another shape; a file that is no model */
    te.H = te.W = 28;
    assert_int_equal(tradeoff_row(path, &te, &base, &r, &e), QA_ERR);
    qt_assert_err(&e, path, 0, "input", "the model reads 1x12x12 images, the data set "
                  "has 1x28x28");
    te.H = te.W = 12;
    snprintf(path, sizeof path, "%s/none.safetensors", dir);
    assert_int_equal(tradeoff_row(path, &te, &base, &r, &e), QA_ERR);
    assert_string_equal(e.file, path);
    free(te.images);
    free(te.labels);
    intref_free(&net);
    assert_int_equal(qt_rmtree(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_row),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
