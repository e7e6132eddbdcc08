/* test_model.c: QNet construction from workloads layer graphs.
 *
 * ResNet-20 is defined once, in workloads/resnet.c; the trainable net is
 * that graph lowered. Checked here: every workloads layer of resnet20 is an
 * op of the QNet with its name and shape, in the same order, and the op
 * graph around it (BN, ReLU, residual adds) is the post-activation or the
 * full pre-activation form; MACs 31,021,952 and the parameter counts
 * (272,205 post-activation: 270,608 weights + 2 x 784 BN + 10 bias + 19
 * clipping levels; 272,013 pre-activation: 2 x 688 BN); the parameter
 * layout of both forms equals the one the hand-built ResNet-20 of earlier
 * versions had (checkpoints keep loading); the generic rules on a small
 * hand-written net with a max pool; errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "quant/train/model.h"

static void build(QNet *net, const char *arch, float width, const QuantSpec *qs)
{
    QNetSpec spec = {.arch = arch, .width_mult = width, .batch = 2, .classes = 10,
                     .quant = qs};
    Err e;
    if (qnet_build(net, &spec, &e) != QA_OK) {
        err_print(&e, stderr);
        fail();
    }
}

static int op_find(const QNet *net, const char *name)
{
    for (int i = 0; i < net->n_ops; i++)
        if (!strcmp(net->ops[i].name, name))
            return i;
    fail_msg("%s has no op %s", net->arch, name);
    return -1;
}

/* The ops that are layers (not a BN or a ReLU) are exactly the workloads
 * layers, with their names and shapes, in the same order unless the
 * pre-activation form moved a projection before its block's branch; the
 * others are named "<layer>.bn" / "<layer>.act" after a layer. */
static void check_layers(const QNet *net, const Net *src)
{
    char seen[256] = {0};
    int last = 0;
    assert_true(src->n <= 256);
    static const QOpKind kind_of[] = {[OP_CONV] = QOP_CONV, [OP_FC] = QOP_FC,
                                      [OP_MAXPOOL] = QOP_MAXPOOL, [OP_AVGPOOL] = QOP_GAP,
                                      [OP_ADD] = QOP_ADD};
    int j = 0;
    for (int i = 0; i < net->n_ops; i++) {
        const QOp *op = &net->ops[i];
        if (op->kind == QOP_BN || op->kind == QOP_ACT) {
            const char *dot = strrchr(op->name, '.');
            assert_non_null(dot);
            assert_string_equal(dot, op->kind == QOP_BN ? ".bn" : ".act");
            char layer[48];
            snprintf(layer, sizeof layer, "%.*s", (int)(dot - op->name), op->name);
            assert_true(net_find(src, layer) >= 0);
            continue;
        }
        assert_true(j < src->n);
        int id = net_find(src, op->name);
        assert_true(id >= 0);
        assert_false(seen[id]);
        seen[id] = 1;
        if (!(net->preact && src->layers[id].shortcut)) {
            if (id < last)
                fail_msg("%s: op %s after layer %s", net->arch, op->name,
                         src->layers[last].name);
            last = id;
        }
        j++;
        const Layer *l = &src->layers[id];
        assert_int_equal(op->kind, kind_of[l->op]);
        assert_int_equal(op->C, l->K); /* output shape */
        assert_int_equal(op->H, l->P);
        assert_int_equal(op->W, l->Q);
        if (op->kind == QOP_CONV || op->kind == QOP_FC) {
            assert_int_equal(op->d.C, l->C);
            assert_int_equal(op->d.H, l->H);
            assert_int_equal(op->d.K, l->K);
            assert_int_equal(op->d.R, l->R);
            assert_int_equal(op->d.S, l->S);
            assert_int_equal(op->d.stride, l->stride);
            assert_int_equal(op->d.pad, l->pad);
            assert_int_equal(op->shortcut, l->shortcut);
        }
    }
    assert_int_equal(j, src->n);
}

/* Names of ops from..from+n-1 and of their inputs (NULL: the network input). */
static void check_ops(const QNet *net, const char *from, const char *const *names,
                      const char *const (*inputs)[2], int n)
{
    int i0 = op_find(net, from);
    assert_true(i0 + n <= net->n_ops);
    for (int i = 0; i < n; i++) {
        const QOp *op = &net->ops[i0 + i];
        assert_string_equal(op->name, names[i]);
        for (int s = 0; s < 2; s++) {
            int in = op->in[s];
            if (s == 1 && op->kind != QOP_ADD)
                continue;
            if (!inputs[i][s])
                assert_int_equal(in, QNET_INPUT);
            else
                assert_string_equal(net->ops[in].name, inputs[i][s]);
        }
    }
}

static void test_resnet20_is_workloads(void **state)
{
    (void)state;
    QNet q;
    Net src;
    Err e;
    build(&q, "resnet20", 1.0f, NULL);
    assert_int_equal(net_build(&src, "resnet20", &e), QA_OK);
    check_layers(&q, &src);
    assert_string_equal(q.arch, "resnet20");
    assert_int_equal(q.width, 16);
    assert_int_equal(q.preact, 0);
    assert_int_equal(q.classes, 10);
    assert_int_equal(q.in_C, 1);
    assert_int_equal(q.in_H, 28);
    assert_int_equal(q.n_ops, 72); /* 32 layers, 21 BN, 19 ReLU */
    assert_int_equal(q.n_params, 272205);
    assert_int_equal(q.n_state, 2 * 784);
    assert_true(qnet_macs_per_image(&q) == 31021952.0);
    assert_int_equal(net_macs(&src), 31021952);
    /* the fc's weights and bias close the block */
    const QOp *fc = &q.ops[q.n_ops - 1];
    assert_int_equal(fc->p_w, 272205 - 650);
    assert_int_equal(fc->p_b, 272205 - 10);

    /* the stem feeds the first block's conv and identity shortcut through
     * its ReLU; a branch's last conv and the projection end in BN */
    static const char *const stem[] = {
        "conv1", "conv1.bn", "conv1.act", "layer1.0.conv1", "layer1.0.conv1.bn",
        "layer1.0.conv1.act", "layer1.0.conv2", "layer1.0.conv2.bn", "layer1.0.add",
        "layer1.0.add.act", "layer1.1.conv1"};
    static const char *const stem_in[][2] = {
        {NULL, NULL}, {"conv1", NULL}, {"conv1.bn", NULL}, {"conv1.act", NULL},
        {"layer1.0.conv1", NULL}, {"layer1.0.conv1.bn", NULL}, {"layer1.0.conv1.act", NULL},
        {"layer1.0.conv2", NULL}, {"layer1.0.conv2.bn", "conv1.act"}, {"layer1.0.add", NULL},
        {"layer1.0.add.act", NULL}};
    check_ops(&q, "conv1", stem, stem_in, (int)QA_COUNT(stem));
    static const char *const down[] = {
        "layer2.0.conv1", "layer2.0.conv1.bn", "layer2.0.conv1.act", "layer2.0.conv2",
        "layer2.0.conv2.bn", "layer2.0.downsample", "layer2.0.downsample.bn",
        "layer2.0.add", "layer2.0.add.act"};
    static const char *const down_in[][2] = {
        {"layer1.2.add.act", NULL}, {"layer2.0.conv1", NULL}, {"layer2.0.conv1.bn", NULL},
        {"layer2.0.conv1.act", NULL}, {"layer2.0.conv2", NULL}, {"layer1.2.add.act", NULL},
        {"layer2.0.downsample", NULL}, {"layer2.0.conv2.bn", "layer2.0.downsample.bn"},
        {"layer2.0.add", NULL}};
    check_ops(&q, "layer2.0.conv1", down, down_in, (int)QA_COUNT(down));
    static const char *const tail[] = {"layer3.2.add", "layer3.2.add.act", "avgpool", "fc"};
    static const char *const tail_in[][2] = {
        {"layer3.2.conv2.bn", "layer3.1.add.act"}, {"layer3.2.add", NULL},
        {"layer3.2.add.act", NULL}, {"avgpool", NULL}};
    check_ops(&q, "layer3.2.add", tail, tail_in, (int)QA_COUNT(tail));
    assert_int_equal(q.ops[op_find(&q, "layer3.0.downsample")].shortcut, 1);
    assert_int_equal(q.ops[op_find(&q, "layer3.0.conv1")].shortcut, 0);
    net_free(&src);
    qnet_free(&q);
}

/* Full pre-activation: the stem and every add pass raw to the next
 * identity shortcut and through one BN-ReLU to everything else; the
 * projection reads that BN-ReLU and comes before the branch; a last
 * BN-ReLU before the pool. */
static void test_resnet20_preact(void **state)
{
    (void)state;
    QNet q;
    Net src;
    Err e;
    build(&q, "resnet20-preact", 1.0f, NULL);
    assert_int_equal(net_build(&src, "resnet20", &e), QA_OK);
    check_layers(&q, &src);
    assert_int_equal(q.preact, 1);
    assert_int_equal(q.n_ops, 70); /* 32 layers, 19 BN, 19 ReLU */
    assert_int_equal(q.n_params, 272013);
    assert_int_equal(q.n_state, 2 * 688);
    assert_true(qnet_macs_per_image(&q) == 31021952.0);
    static const char *const stem[] = {
        "conv1", "conv1.bn", "conv1.act", "layer1.0.conv1", "layer1.0.conv1.bn",
        "layer1.0.conv1.act", "layer1.0.conv2", "layer1.0.add", "layer1.0.add.bn",
        "layer1.0.add.act", "layer1.1.conv1"};
    static const char *const stem_in[][2] = {
        {NULL, NULL}, {"conv1", NULL}, {"conv1.bn", NULL}, {"conv1.act", NULL},
        {"layer1.0.conv1", NULL}, {"layer1.0.conv1.bn", NULL}, {"layer1.0.conv1.act", NULL},
        {"layer1.0.conv2", "conv1"}, {"layer1.0.add", NULL}, {"layer1.0.add.bn", NULL},
        {"layer1.0.add.act", NULL}};
    check_ops(&q, "conv1", stem, stem_in, (int)QA_COUNT(stem));
    static const char *const down[] = {
        "layer1.2.add.bn", "layer1.2.add.act", "layer2.0.downsample", "layer2.0.conv1",
        "layer2.0.conv1.bn", "layer2.0.conv1.act", "layer2.0.conv2", "layer2.0.add"};
    static const char *const down_in[][2] = {
        {"layer1.2.add", NULL}, {"layer1.2.add.bn", NULL}, {"layer1.2.add.act", NULL},
        {"layer1.2.add.act", NULL}, {"layer2.0.conv1", NULL}, {"layer2.0.conv1.bn", NULL},
        {"layer2.0.conv1.act", NULL}, {"layer2.0.conv2", "layer2.0.downsample"}};
    check_ops(&q, "layer1.2.add.bn", down, down_in, (int)QA_COUNT(down));
    static const char *const tail[] = {"layer3.2.add", "layer3.2.add.bn", "layer3.2.add.act",
                                       "avgpool", "fc"};
    static const char *const tail_in[][2] = {
        {"layer3.2.conv2", "layer3.1.add"}, {"layer3.2.add", NULL}, {"layer3.2.add.bn", NULL},
        {"layer3.2.add.act", NULL}, {"avgpool", NULL}};
    check_ops(&q, "layer3.2.add", tail, tail_in, (int)QA_COUNT(tail));
    net_free(&src);
    qnet_free(&q);
}

/* FNV-1a over the integers that fix where every parameter, statistic and
 * quantizer sits; qnet_init_params walks the ops in order, so equal
 * fingerprints also mean the same seeded initial values. */
#define MIX(v) (h = (h ^ (uint64_t)(int64_t)(v)) * 1099511628211ULL)
static uint64_t layout_hash(const QNet *net)
{
    uint64_t h = 1469598103934665603ULL;
    MIX(net->n_ops), MIX(net->n_params), MIX(net->n_state), MIX(net->n_segs);
    for (int i = 0; i < net->n_ops; i++) {
        const QOp *op = &net->ops[i];
        MIX(op->kind), MIX(op->in[0]), MIX(op->in[1]), MIX(op->C), MIX(op->H), MIX(op->W);
        MIX(op->d.K), MIX(op->d.R), MIX(op->d.stride), MIX(op->d.pad);
        MIX(op->p_w), MIX(op->p_b), MIX(op->p_alpha), MIX(op->s_mean), MIX(op->s_var);
        MIX(op->w_bits), MIX(op->a_bits), MIX(op->learned), MIX(op->shortcut);
    }
    for (int i = 0; i < net->n_segs; i++)
        MIX(net->segs[i].off), MIX(net->segs[i].n), MIX(net->segs[i].kind);
    return h;
}

/* The fingerprints were taken from the hand-built ResNet-20 of
 * quant/train/model.c before it was replaced by the lowering of workloads'
 * resnet20: float, and APoT weights (a learned alpha each) / PACT at 4 bits
 * with first/last at 8 and 16-bit projections (fpsc). */
static void test_layout_unchanged(void **state)
{
    (void)state;
    static const struct {
        const char *arch;
        float width;
        int quant;
        size_t params;
        uint64_t hash;
    } want[] = {
        {"resnet20", 1.0f, 0, 272205, 0xb5bced4ee3d73782ull},
        {"resnet20", 1.0f, 1, 272225, 0x5697678dd80036dfull},
        {"resnet20", 0.25f, 0, 17481, 0x841b479e166f3a72ull},
        {"resnet20", 0.25f, 1, 17501, 0x9c27b1c3e619138full},
        {"resnet20-preact", 1.0f, 0, 272013, 0x402d5a77c237d21cull},
        {"resnet20-preact", 1.0f, 1, 272033, 0xf5596fa3ab5ff507ull},
        {"resnet20-preact", 0.25f, 0, 17433, 0xaea521dd56b32874ull},
        {"resnet20-preact", 0.25f, 1, 17453, 0x8a98e64f424fc167ull},
    };
    QuantSpec qs = {.w_method = "apot", .a_method = "pact", .w_bits = 4, .a_bits = 4,
                    .first_last_bits = 8, .fpsc = 1};
    for (size_t i = 0; i < QA_COUNT(want); i++) {
        QNet q;
        build(&q, want[i].arch, want[i].width, want[i].quant ? &qs : NULL);
        assert_int_equal(q.n_params, want[i].params);
        if (layout_hash(&q) != want[i].hash)
            fail_msg("%s width %g quant %d: layout 0x%016llx, want 0x%016llx", want[i].arch,
                     (double)want[i].width, want[i].quant, (unsigned long long)layout_hash(&q),
                     (unsigned long long)want[i].hash);
        qnet_free(&q);
    }
}

/* Width 0.5: workloads' resnet20 at stem width 8, 7,783,872 MACs
 * (test_resnet.c's derivation with the 32 x 10 fc). */
static void test_width(void **state)
{
    (void)state;
    QNet q;
    Net src;
    Err e;
    build(&q, "resnet20", 0.5f, NULL);
    assert_int_equal(net_build_scaled(&src, "resnet20", 8, 10, &e), QA_OK);
    check_layers(&q, &src);
    assert_int_equal(q.width, 8);
    assert_true(qnet_macs_per_image(&q) == 7783872.0);
    assert_int_equal(net_macs(&src), 7783872);
    net_free(&src);
    qnet_free(&q);
    build(&q, "resnet20", 0.01f, NULL); /* rounds to 0 channels: 1 */
    assert_int_equal(q.width, 1);
    assert_int_equal(q.ops[0].d.K, 1);
    qnet_free(&q);
}

/* A small net by hand (test_net.c's): conv1 -> maxpool -> convA -> convB,
 * a projection of the pool's output, add, global pool, fc. */
static Layer mk(const char *name, LayerOp op, int in0, int C, int H, int K, int R,
                int stride, int pad)
{
    Layer l;
    memset(&l, 0, sizeof l);
    snprintf(l.name, sizeof l.name, "%s", name);
    l.op = op;
    l.N = 1;
    l.C = C, l.H = l.W = H, l.K = K;
    l.R = l.S = R;
    l.stride = stride, l.pad = pad, l.groups = 1;
    l.in[0] = in0;
    return l;
}

static void build_small(Net *net)
{
    Err e;
    net_init(net, "small");
    Layer ls[8] = {
        mk("conv1", OP_CONV, -1, 3, 8, 8, 3, 1, 1),
        mk("maxpool", OP_MAXPOOL, 0, 8, 8, 8, 2, 2, 0),
        mk("convA", OP_CONV, 1, 8, 4, 8, 3, 1, 1),
        mk("convB", OP_CONV, 2, 8, 4, 16, 1, 1, 0),
        mk("proj", OP_CONV, 1, 8, 4, 16, 1, 1, 0),
        mk("add", OP_ADD, 3, 16, 4, 16, 1, 1, 0),
        mk("avgpool", OP_AVGPOOL, 5, 16, 4, 16, 4, 1, 0),
        mk("fc", OP_FC, 6, 16, 1, 10, 1, 1, 0),
    };
    ls[4].shortcut = 1;
    ls[5].in[1] = 4;
    for (int i = 0; i < 8; i++)
        assert_int_equal(net_add(net, &ls[i], &e), i);
}

/* Both forms on the small net: op order and inputs, then one train-mode
 * forward and backward with finite logits. In the pre-activation form the
 * pool's output is read as it is (its input already passed a BN-ReLU). */
static void test_small_net_forms(void **state)
{
    (void)state;
    Net src;
    build_small(&src);
    static const char *const post[] = {
        "conv1", "conv1.bn", "conv1.act", "maxpool", "convA", "convA.bn", "convA.act",
        "convB", "convB.bn", "proj", "proj.bn", "add", "add.act", "avgpool", "fc"};
    static const char *const post_in[][2] = {
        {NULL, NULL}, {"conv1", NULL}, {"conv1.bn", NULL}, {"conv1.act", NULL},
        {"maxpool", NULL}, {"convA", NULL}, {"convA.bn", NULL}, {"convA.act", NULL},
        {"convB", NULL}, {"maxpool", NULL}, {"proj", NULL}, {"convB.bn", "proj.bn"},
        {"add", NULL}, {"add.act", NULL}, {"avgpool", NULL}};
    static const char *const pre[] = {
        "conv1", "conv1.bn", "conv1.act", "maxpool", "convA", "convA.bn", "convA.act",
        "convB", "proj", "add", "add.bn", "add.act", "avgpool", "fc"};
    static const char *const pre_in[][2] = {
        {NULL, NULL}, {"conv1", NULL}, {"conv1.bn", NULL}, {"conv1.act", NULL},
        {"maxpool", NULL}, {"convA", NULL}, {"convA.bn", NULL}, {"convA.act", NULL},
        {"maxpool", NULL}, {"convB", "proj"}, {"add", NULL}, {"add.bn", NULL},
        {"add.act", NULL}, {"avgpool", NULL}};
    for (int preact = 0; preact < 2; preact++) {
        QNet q;
        Err e;
        assert_int_equal(qnet_build_net(&q, &src, preact, 2, NULL, &e), QA_OK);
        assert_string_equal(q.arch, "small");
        assert_int_equal(q.in_C, 3);
        assert_int_equal(q.classes, 10);
        int n = preact ? (int)QA_COUNT(pre) : (int)QA_COUNT(post);
        assert_int_equal(q.n_ops, n);
        check_ops(&q, "conv1", preact ? pre : post, preact ? pre_in : post_in, n);
        check_layers(&q, &src);
        Rng r;
        rng_seed(&r, 3);
        qnet_init_params(&q, &r);
        float x[2 * 3 * 8 * 8], dl[10 * 2];
        for (size_t i = 0; i < QA_COUNT(x); i++)
            x[i] = (float)rng_uniform(&r);
        const float *lg = qnet_forward(&q, x, 2, 1, &e);
        assert_non_null(lg);
        for (int i = 0; i < 20; i++) {
            assert_true(isfinite(lg[i]));
            dl[i] = 0.05f * (float)(i % 3);
        }
        qnet_zero_grads(&q);
        qnet_backward(&q, x, dl);
        for (size_t i = 0; i < q.n_params; i++)
            assert_true(isfinite(q.grads[i]));
        qnet_free(&q);
    }
    net_free(&src);
}

static void test_errors(void **state)
{
    (void)state;
    Net src;
    QNet q;
    Err e;
    build_small(&src);
    src.layers[2].groups = 2; /* convA */
    assert_int_equal(qnet_build_net(&q, &src, 0, 2, NULL, &e), QA_ERR);
    assert_string_equal(e.field, "convA");
    assert_non_null(strstr(e.msg, "grouped"));
    assert_null(q.ops);
    src.layers[2].groups = 1;
    src.layers[6].R = src.layers[6].S = 2; /* avgpool 2x2, not global */
    assert_int_equal(qnet_build_net(&q, &src, 1, 2, NULL, &e), QA_ERR);
    assert_string_equal(e.field, "avgpool");
    src.layers[6].R = src.layers[6].S = 4;
    src.n = 7; /* ends in the pool */
    assert_int_equal(qnet_build_net(&q, &src, 0, 2, NULL, &e), QA_ERR);
    assert_string_equal(e.field, "net");
    assert_non_null(strstr(e.msg, "fc"));
    assert_int_equal(qnet_build_net(&q, &src, 0, 0, NULL, &e), QA_ERR);
    assert_string_equal(e.field, "net");
    src.n = 8;
    net_free(&src);

    QNetSpec spec = {.arch = "resnet21", .width_mult = 1.0f, .batch = 2, .classes = 10};
    assert_int_equal(qnet_build(&q, &spec, &e), QA_ERR);
    assert_string_equal(e.field, "arch");
    assert_non_null(strstr(e.msg, "resnet20-preact"));
    spec.arch = "resnet20";
    spec.classes = 1;
    assert_int_equal(qnet_build(&q, &spec, &e), QA_ERR);
    assert_string_equal(e.field, "classes");
    spec.classes = 10;
    spec.width_mult = 17.0f;
    assert_int_equal(qnet_build(&q, &spec, &e), QA_ERR);
    assert_string_equal(e.field, "width");
    spec.width_mult = 1.0f;
    QuantSpec qs = {.w_method = "nope", .a_method = "pact", .w_bits = 4, .a_bits = 4};
    spec.quant = &qs;
    assert_int_equal(qnet_build(&q, &spec, &e), QA_ERR);
    assert_string_equal(e.field, "quant.w_method");
    assert_null(q.ops);
}

/* The n-th allocation fails, for every n until the build succeeds: a clean
 * "out of memory" each time and nothing leaked (the ASan run checks). */
static void test_build_oom(void **state)
{
    (void)state;
    QNetSpec spec = {.arch = "resnet20-preact", .width_mult = 0.25f, .batch = 2,
                     .classes = 10};
    int failures = 0;
    for (long n = 1;; n++) {
        QNet q;
        Err e;
        err_clear(&e);
        qa_alloc_fail_at(n);
        int rc = qnet_build(&q, &spec, &e);
        qa_alloc_fail_at(0);
        if (rc == QA_OK) {
            assert_int_equal(q.n_params, 17433);
            qnet_free(&q);
            break;
        }
        assert_non_null(strstr(e.msg, "out of memory"));
        assert_null(q.ops);
        failures++;
    }
    assert_true(failures > 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resnet20_is_workloads),
        cmocka_unit_test(test_resnet20_preact),
        cmocka_unit_test(test_layout_unchanged),
        cmocka_unit_test(test_width),
        cmocka_unit_test(test_small_net_forms),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_build_oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
