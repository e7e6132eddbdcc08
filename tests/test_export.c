/* test_export.c: a quantized network trained briefly on the synthetic set
 * exported to integers: the integer layers keep the net's layer names
 * (resnet20: workloads' names), the integer network classifies like the
 * fake-quantized one, its requantized codes match the fake-quantized
 * activations, the model file round-trips to identical logits, and broken
 * or unexportable inputs are refused with a named error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "quant/int/export.h"
#include "quant/int/safetensors.h"
#include "quant/int/check.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[64];

static int setup(void **s)
{
    (void)s;
    snprintf(path, sizeof path, "/tmp/qa_export_%d.safetensors", (int)getpid());
    return 0;
}

static int teardown(void **s)
{
    (void)s;
    unlink(path);
    return 0;
}

static void recipe(Recipe *r, const char *arch, const char *wm, const char *am, int bits)
{
    recipe_defaults(r);
    snprintf(r->arch, sizeof r->arch, "%s", arch);
    r->width = strcmp(arch, "cnn") ? 0.25 : 1.0;
    r->synthetic = strcmp(arch, "cnn") ? 1000 : 800;
    r->epochs = 2;
    r->batch = 50;
    r->lr = 0.1;
    r->alpha_init = 3.0;
    r->seed = 11;
    snprintf(r->w_method, sizeof r->w_method, "%s", wm);
    snprintf(r->a_method, sizeof r->a_method, "%s", am);
    r->w_bits = r->a_bits = bits;
    r->calib_batches = !strcmp(am, "faq") ? 4 : 0;
}

/* The integer layers carry the trained net's layer names: for resnet20
 * those of workloads' resnet20, its convs and adds in order, then the
 * classifier (global pool + fc) as "fc". */
static void check_names(const QNet *q, const INet *inet)
{
    assert_string_equal(inet->ops[inet->n - 1].name, "fc");
    if (strcmp(q->arch, "resnet20"))
        return;
    Net src;
    Err e;
    assert_int_equal(net_build_scaled(&src, "resnet20", q->width, q->classes, &e), QA_OK);
    int j = 0;
    for (int i = 0; i < src.n; i++) {
        const Layer *l = &src.layers[i];
        if (l->op != OP_CONV && l->op != OP_ADD)
            continue;
        assert_true(j < inet->n - 1);
        assert_string_equal(inet->ops[j].name, l->name);
        assert_int_equal(inet->ops[j].kind, l->op == OP_CONV ? IOP_CONV : IOP_ADD);
        assert_int_equal(inet->ops[j].C, l->C);
        j++;
    }
    assert_int_equal(j, inet->n - 1); /* 21 convs, 9 adds, the classifier */
    net_free(&src);
}

/* Train one epoch, export, compare with the fake-quantized network. */
static void check_method(const char *arch, const char *wm, const char *am, int bits)
{
    Recipe r;
    recipe(&r, arch, wm, am, bits);
    Trainer t;
    Err e;
    if (train_init(&t, &r, &e))
        err_print(&e, stderr), fail();
    EpochStats st;
    for (int ep = 0; ep < r.epochs; ep++)
        assert_int_equal(train_epoch(&t, &st, &e), QA_OK);
    assert_true(train_evaluate(&t, &t.test, NULL) >= 0.0f);
    INet inet;
    if (export_intnet(&t.net, &inet, &e))
        err_print(&e, stderr), fail();
    check_names(&t.net, &inet);
    IntCheck c;
    assert_int_equal(train_check_int(&t, &inet, &t.test, &c, &e), QA_OK);
    print_message("%s %s/%s %d bits: fake-quant %.2f%%, integer %.2f%%, agree %d/%d\n", arch,
                  wm, am, bits, (double)c.fq_acc, (double)c.int_acc, c.agree, c.n);
    assert_true(c.fq_acc > 30.0f);                 /* learned: 3x chance (10%) at least */
    assert_true(c.agree >= c.n - c.n / 100);       /* >= 99% identical decisions */
    assert_true(fabsf(c.int_acc - c.fq_acc) <= 1.0f);

    /* codes: the first conv's integer output equals the fake-quantized act
     * output / step on (nearly) every element: only exact rounding ties of
     * the float path may differ, by one code */
    const QOp *act = NULL;
    for (int i = 0; i < t.net.n_ops && !act; i++)
        if (t.net.ops[i].kind == QOP_ACT)
            act = &t.net.ops[i];
    int idx[1] = {0};
    idx_batch(&t.test, idx, 1, 0, 0, NULL, t.x, t.y);
    assert_non_null(qnet_forward(&t.net, t.x, 1, 0, &e));
    const IOp *c0 = &inet.ops[0];
    int64_t lg[16];
    assert_int_equal(intref_forward(&inet, t.test.images, lg, &e), QA_OK);
    /* recompute op 0 alone through a one-op net view */
    size_t n = (size_t)c0->K * c0->P * c0->Q, off = 0;
    int32_t *codes = malloc(sizeof(int32_t) * n);
    {
        /* integer conv of op 0 by the rules, directly */
        for (int k = 0; k < c0->K; k++)
            for (int p = 0; p < c0->P; p++)
                for (int q = 0; q < c0->Q; q++) {
                    int64_t acc = 0;
                    for (int ci = 0; ci < c0->C; ci++)
                        for (int rr = 0; rr < c0->R; rr++)
                            for (int ss = 0; ss < c0->S; ss++) {
                                int h = p * c0->stride - c0->pad + rr, w = q * c0->stride - c0->pad + ss;
                                if (h < 0 || h >= c0->H || w < 0 || w >= c0->W)
                                    continue;
                                acc += (int64_t)c0->w[((k * c0->C + ci) * c0->R + rr) * c0->S + ss] *
                                       t.test.images[(ci * c0->H + h) * c0->W + w];
                            }
                    int64_t y = intref_requant(acc, c0->mult[k], c0->shift[k], c0->bias[k]);
                    int64_t hi = (1 << c0->out_bits) - 1;
                    codes[off++] = (int32_t)(y < 0 ? 0 : y > hi ? hi : y);
                }
    }
    int exact = 0, off1 = 0;
    for (size_t i = 0; i < n; i++) {
        float v = act->y[i] / c0->out_scale;
        int d = abs((int)lrintf(v) - codes[i]);
        exact += d == 0;
        off1 += d == 1;
    }
    print_message("first layer codes: %d of %zu exact, %d off by one\n", exact, n, off1);
    assert_true(exact + off1 == (int)n);
    assert_true(exact >= (int)(n - n / 200));
    free(codes);

    /* model file round trip: identical logits */
    if (export_save(&inet, path, NULL, 0, &e))
        err_print(&e, stderr), fail();
    INet back;
    if (export_load(&back, path, &e))
        err_print(&e, stderr), fail();
    int64_t lg2[16];
    for (int i = 0; i < 20; i++) {
        const uint8_t *img = t.test.images + (size_t)i * 784;
        assert_int_equal(intref_forward(&inet, img, lg, &e), QA_OK);
        assert_int_equal(intref_forward(&back, img, lg2, &e), QA_OK);
        assert_memory_equal(lg, lg2, sizeof(int64_t) * 10);
    }
    intref_free(&back);
    intref_free(&inet);
    train_free(&t);
}

static void test_cnn_pact_sawb_4(void **s) { (void)s; check_method("cnn", "sawb", "pact", 4); }
static void test_cnn_pact_dorefa_2(void **s) { (void)s; check_method("cnn", "dorefa", "pact", 2); }
static void test_cnn_apot_4(void **s) { (void)s; check_method("cnn", "apot", "uniform", 4); }
static void test_cnn_faq_4(void **s) { (void)s; check_method("cnn", "faq", "faq", 4); }
/* residual adds (branches in 2^-16 code units), projection shortcuts, SAT fc */
static void test_resnet20_sat_3(void **s) { (void)s; check_method("resnet20", "sat", "cgpact", 3); }

static void test_refusals(void **s)
{
    (void)s;
    Recipe r;
    Trainer t;
    Err e;
    INet inet;
    recipe(&r, "resnet20-preact", "sawb", "pact", 4);
    r.synthetic = 200;
    assert_int_equal(train_init(&t, &r, &e), QA_OK);
    assert_true(train_evaluate(&t, &t.test, NULL) >= 0.0f);
    assert_int_equal(export_intnet(&t.net, &inet, &e), QA_ERR);
    assert_string_equal(e.field, "arch");
    train_free(&t);
    recipe(&r, "cnn", "none", "none", 0);
    r.synthetic = 200;
    assert_int_equal(train_init(&t, &r, &e), QA_OK);
    assert_true(train_evaluate(&t, &t.test, NULL) >= 0.0f);
    assert_int_equal(export_intnet(&t.net, &inet, &e), QA_ERR);
    assert_non_null(strstr(e.msg, "float weights"));
    train_free(&t);
    /* a file that is not a qarray model, and a model whose graph is cut */
    uint8_t v[1] = {0};
    StTensor x = {.name = "x", .dtype = ST_U8, .ndim = 1, .shape = {1}, .data = v, .bytes = 1};
    assert_int_equal(st_write(path, &x, 1, NULL, 0, &e), QA_OK);
    assert_int_equal(export_load(&inet, path, &e), QA_ERR);
    assert_string_equal(e.field, "format");
    const char *meta[] = {"format", "qarray-intref", "version", "1", "input", "1 28 28 8 0.0039",
                          "classes", "10", "graph", "c0 conv -1 -1 1 28 28 4 3 3 1 1 8 4 0.1 0.2 3\n"};
    assert_int_equal(st_write(path, &x, 1, meta, 5, &e), QA_OK);
    assert_int_equal(export_load(&inet, path, &e), QA_ERR);
    assert_string_equal(e.field, "c0.weight");
    assert_string_equal(e.msg, "tensor missing");
    const char *meta2[] = {"format", "qarray-intref", "version", "1", "input", "1 28 28 8 0.0039",
                           "classes", "10", "graph", "# header\nc0 conv -1 -1 1 28\n"};
    assert_int_equal(st_write(path, &x, 1, meta2, 5, &e), QA_OK);
    assert_int_equal(export_load(&inet, path, &e), QA_ERR);
    assert_string_equal(e.field, "c0");
    assert_string_equal(e.msg, "W: missing or too long");
    assert_int_equal(e.line, 2);
}

static void *dup_bytes(const void *p, size_t n)
{
    void *q = malloc(n);
    assert_non_null(q);
    memcpy(q, p, n);
    return q;
}

/* A three-layer model (conv 1x1 to 4-bit codes, a 1x1 max pool, the
 * classifier) that the tests below damage one field at a time. */
static void small_net(INet *net)
{
    Err e;
    intref_init(net);
    net->in_C = 1, net->in_H = 2, net->in_W = 2, net->in_bits = 8, net->classes = 2;
    net->in_scale = 1.0f / 255.0f;
    int16_t w = 3, wfc[2] = {1, -2};
    int32_t m = 1 << 20, sh = 24;
    int64_t b = 5, bfc[2] = {0, 7};
    IOp c0 = {.kind = IOP_CONV, .name = "c0", .in = {INTREF_INPUT, 0}, .C = 1, .H = 2, .W = 2,
              .K = 1, .R = 1, .S = 1, .stride = 1, .w_bits = 4, .out_bits = 4,
              .w_scale = 0.5f, .out_scale = 0.25f, .w = dup_bytes(&w, 2),
              .mult = dup_bytes(&m, 4), .shift = dup_bytes(&sh, 4), .bias = dup_bytes(&b, 8)};
    IOp pool = {.kind = IOP_MAXPOOL, .name = "pool", .in = {0, 0}, .C = 1, .H = 2, .W = 2,
                .R = 1, .S = 1, .stride = 1, .out_scale = 0.25f};
    IOp fc = {.kind = IOP_GAPFC, .name = "fc", .in = {1, 0}, .C = 1, .H = 2, .W = 2, .K = 2,
              .w_bits = 4, .w_scale = 0.5f, .out_scale = 0.1f, .w = dup_bytes(wfc, 4),
              .bias = dup_bytes(bfc, 16)};
    assert_int_equal(intref_add(net, &c0, &e), 0);
    assert_int_equal(intref_add(net, &pool, &e), 1);
    assert_int_equal(intref_add(net, &fc, &e), 2);
    assert_int_equal(intref_validate(net, &e), QA_OK);
}

/* Save net, load it back: the error (file, field, message start). */
static void expect_load_error(const INet *net, const char *field, const char *msg)
{
    INet back;
    Err e;
    err_clear(&e);
    assert_int_equal(export_save(net, path, NULL, 0, &e), QA_OK);
    assert_int_equal(export_load(&back, path, &e), QA_ERR);
    if (strcmp(e.field, field) || strncmp(e.msg, msg, strlen(msg)))
        fprintf(stderr, "got %s: %s\n", e.field, e.msg);
    assert_string_equal(e.file, path);
    assert_string_equal(e.field, field);
    assert_true(!strncmp(e.msg, msg, strlen(msg)));
}

/* Model files get the checks of configuration files: every number of the
 * graph in range, and the integer arithmetic of intref.h inside int64 for
 * any input (a bias of INT64_MAX overflowed in the integer reference and
 * the functional engine, and a release build printed an accuracy). */
static void test_model_file_ranges(void **s)
{
    (void)s;
    INet net, back;
    Err e;
    small_net(&net);
    assert_int_equal(export_save(&net, path, NULL, 0, &e), QA_OK);
    assert_int_equal(export_load(&back, path, &e), QA_OK);
    intref_free(&back);

    net.ops[0].bias[0] = INT64_MAX;
    expect_load_error(&net, "c0", "bias[0] = 9223372036854775807 is outside +-2^61");
    net.ops[0].bias[0] = 5;
    net.ops[2].bias[1] = INT64_MIN;
    expect_load_error(&net, "fc", "bias[1] = -9223372036854775808 is outside +-2^61");
    net.ops[2].bias[1] = 7;
    net.ops[1].w_bits = 3;
    expect_load_error(&net, "pool", "w_bits 3 on an op without weights");
    net.ops[1].w_bits = 0;
    /* weight bits the chip cannot time */
    net.ops[0].w_bits = 0;
    expect_load_error(&net, "c0", "w_bits 0 outside 1..16");
    net.ops[0].w_bits = 32;
    expect_load_error(&net, "c0", "w_bits: '32' is not an integer in 0..16");
    net.ops[0].w_bits = 4;
    net.ops[0].shift[0] = 63;
    expect_load_error(&net, "c0", "shift 63 outside 0..62");
    net.ops[0].shift[0] = 24;
    snprintf(net.ops[1].name, sizeof net.ops[1].name, "c0");
    expect_load_error(&net, "c0", "layer name used twice");
    snprintf(net.ops[1].name, sizeof net.ops[1].name, "pool");
    net.ops[0].w_scale = NAN;
    expect_load_error(&net, "c0", "w_scale: 'nan' is not a finite number >= 0");
    net.ops[0].w_scale = 0.5f;
    net.in_bits = 9;
    expect_load_error(&net, "input", "bits: '9' is not an integer in 1..8");
    net.in_bits = 8;
    intref_free(&net);

    /* Numbers sscanf would wrap, and a path that is a folder. */
    uint8_t v[1] = {0};
    StTensor x = {.name = "x", .dtype = ST_U8, .ndim = 1, .shape = {1}, .data = v, .bytes = 1};
    const char *meta[] = {"format", "qarray-intref", "version", "1", "input", "1 28 28 8 0.0039",
                          "classes", "10", "graph",
                          "c0 conv -1 -1 99999999999 28 28 4 3 3 1 1 8 4 0.1 0.2 3\n"};
    assert_int_equal(st_write(path, &x, 1, meta, 5, &e), QA_OK);
    assert_int_equal(export_load(&back, path, &e), QA_ERR);
    assert_string_equal(e.field, "c0");
    assert_string_equal(e.msg, "C: '99999999999' is not an integer in 1..65536");
    meta[5] = "1 28 28 8 0.0039 junk";
    assert_int_equal(st_write(path, &x, 1, meta, 5, &e), QA_OK);
    assert_int_equal(export_load(&back, path, &e), QA_ERR);
    assert_string_equal(e.field, "input");
    assert_string_equal(e.msg, "unexpected 'junk' after the last field");
    assert_int_equal(export_load(&back, "/tmp", &e), QA_ERR);
    assert_string_equal(e.msg, "cannot open model file: it is a folder");
}

/* A conv reading an int32 branch: its partial sums times its multiplier
 * pass 2^61 for some input, so the model is refused before it runs. */
static void test_model_arithmetic_bound(void **s)
{
    (void)s;
    INet net;
    Err e;
    small_net(&net);
    /* c1: a branch (out_bits 0) feeding a conv of weight 32767 */
    int16_t w = 32767;
    int32_t m = (1 << 24) - 1, sh = 24;
    int64_t b = 0;
    IOp c1 = net.ops[0];
    snprintf(c1.name, sizeof c1.name, "c1");
    c1.in[0] = 0;
    c1.out_bits = 4;
    c1.w = dup_bytes(&w, 2), c1.mult = dup_bytes(&m, 4), c1.shift = dup_bytes(&sh, 4);
    c1.bias = dup_bytes(&b, 8);
    net.ops[0].out_bits = 0;
    IOp pool = net.ops[1], fc = net.ops[2];
    net.n = 1; /* re-append the pool and the classifier after c1 */
    assert_int_equal(intref_add(&net, &c1, &e), 1);
    pool.in[0] = 1;
    assert_int_equal(intref_add(&net, &pool, &e), 2);
    fc.in[0] = 2;
    assert_int_equal(intref_add(&net, &fc, &e), 3);
    assert_int_equal(intref_validate(&net, &e), QA_ERR);
    assert_string_equal(e.field, "c1");
    assert_non_null(strstr(e.msg, "pass 2^61: the integer arithmetic would overflow int64"));
    expect_load_error(&net, "c1", "partial sums up to");
    intref_free(&net);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cnn_pact_sawb_4),
        cmocka_unit_test(test_cnn_pact_dorefa_2),
        cmocka_unit_test(test_cnn_apot_4),
        cmocka_unit_test(test_cnn_faq_4),
        cmocka_unit_test(test_resnet20_sat_3),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_model_file_ranges),
        cmocka_unit_test(test_model_arithmetic_bound),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
