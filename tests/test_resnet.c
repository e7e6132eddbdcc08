/* test_resnet.c: the built-in networks: exact totals, layer names, shapes,
 * producers, batch-norm flags, bit defaults, scaled builds, allocation
 * failures.
 *
 * Derivations (batch 1; MACs = K*P*Q*C*R*S, weights = K*C*R*S, no BN, no
 * bias). Stems: conv1 7x7/2 3->64 on 224 -> 112: 118,013,952 MACs, 9,408
 * weights; maxpool -> 56. A 3x3 conv w->w on HxW: 9*H*W*w^2 MACs.
 *
 * resnet50 (v1.5). An identity bottleneck of width w on HxW costs
 * H*W*(4w*w + 9w*w + w*4w) = 17*H*W*w^2, which is 17*3136*4096 =
 * 218,365,952 in every stage (H halves as w doubles). First blocks:
 *   stage 1 (56, 64->256): 1x1 64->64 12,845,056 + 3x3 115,605,504
 *     + 1x1 64->256 51,380,224 + proj 64->256 51,380,224 = 231,211,008
 *   stages 2-4: 1x1 at the input size 102,760,448 + 3x3/2 115,605,504
 *     + 1x1 51,380,224 + proj/2 102,760,448 = 372,506,624
 *   stages: 231,211,008 + 2*218,365,952 = 667,942,912
 *           372,506,624 + 3*218,365,952 = 1,027,604,480
 *           372,506,624 + 5*218,365,952 = 1,464,336,384
 *           372,506,624 + 2*218,365,952 = 809,238,528
 *   + conv1 118,013,952 + fc 2,048,000 = 4,089,184,256 MACs (torchvision
 *   publishes 4.09 GFLOPS, counting multiply-adds).
 *   weights: 9,408 + stages 212,992 + 1,212,416 + 7,077,888 + 14,942,208
 *   + fc 2,048,000 = 25,502,912; torchvision's 25,557,032 parameters =
 *   this + 1,000 fc bias + 2*26,560 BN parameters.
 * resnet50v1: the stride moves to the first 1x1, which then runs at the
 *   output size: 102,760,448 / 4 = 25,690,112 in stages 2-4, i.e.
 *   77,070,336 less per stage: 4,089,184,256 - 3*77,070,336 =
 *   3,857,973,248 MACs; weights unchanged.
 * resnet18: 3x3 64->64 on 56 = 115,605,504 (the cost of every 3x3 of
 *   width w on 56/(w/64), stride 1). stage 1: 4 of them = 462,422,016;
 *   stages 2-4: 3x3/2 w/2->w 57,802,752 + 3 x 115,605,504 + proj 1x1/2
 *   6,422,528 = 411,041,792 each. Total 118,013,952 + 462,422,016 +
 *   3*411,041,792 + fc 512,000 = 1,814,073,344 (torchvision: 1.81 GFLOPS).
 *   weights 9,408 + 147,456 + 524,288 + 2,097,152 + 8,388,608 + 512,000 =
 *   11,678,912 (torchvision 11,689,512 = this + 1,000 + 2*4,800 BN).
 * resnet34: stage 1: 6 x 115,605,504 = 693,633,024; stages 2-4 with 4, 6, 3
 *   blocks: 57,802,752 + 6,422,528 + (2n-1) x 115,605,504 = 873,463,808,
 *   1,335,885,824, 642,252,800. Total with conv1 and fc: 3,663,761,408
 *   (torchvision: 3.66 GFLOPS); weights 21,779,648 (torchvision
 *   21,797,672 = this + 1,000 + 2*8,512 BN).
 * resnet20 on 1x28x28: conv1 3x3 1->16: 28*28*16*9 = 112,896 (144 w).
 *   stage 1 (28x28): 6 x 3x3 16->16 = 6 x 1,806,336 = 10,838,016 (6 x 2,304 w)
 *   stage 2 (14x14): 3x3/2 16->32 903,168 (4,608 w) + 5 x 1,806,336
 *     (5 x 9,216 w) + proj 1x1/2 16->32 100,352 (512 w) = 10,035,200
 *   stage 3 (7x7): 3x3/2 32->64 903,168 (18,432 w) + 5 x 1,806,336
 *     (5 x 36,864 w) + proj 32->64 100,352 (2,048 w) = 10,035,200
 *   fc 64->10: 640. MACs 112,896 + 10,838,016 + 2*10,035,200 + 640 =
 *   31,021,952; weights 144 + 13,824 + 51,200 + 204,800 + 640 = 270,608. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#include "workloads/net.h"

typedef struct {
    const char *name;
    int64_t macs, weights;
    int array_layers, layers, classes;
} Totals;

static const Totals totals[] = {
    {"resnet50", 4089184256LL, 25502912, 54, 72, 1000},
    {"resnet50v1", 3857973248LL, 25502912, 54, 72, 1000},
    {"resnet50preact", 4089184256LL, 25502912, 54, 72, 1000},
    {"resnet18", 1814073344LL, 11678912, 21, 31, 1000},
    {"resnet34", 3663761408LL, 21779648, 37, 55, 1000},
    {"resnet20", 31021952, 270608, 22, 32, 10},
};

static const Layer *find(const Net *net, const char *name)
{
    int id = net_find(net, name);
    if (id < 0)
        fail_msg("%s has no layer %s", net->name, name);
    return &net->layers[id];
}

static void test_totals(void **state)
{
    (void)state;
    for (size_t i = 0; i < QA_COUNT(totals); i++) {
        Net net;
        Err e;
        assert_int_equal(net_build(&net, totals[i].name, &e), QA_OK);
        assert_string_equal(net.name, totals[i].name);
        assert_int_equal(net_macs(&net), totals[i].macs);
        assert_int_equal(net_weights(&net), totals[i].weights);
        assert_int_equal(net_array_layers(&net), totals[i].array_layers);
        assert_int_equal(net.n, totals[i].layers);
        const Layer *fc = &net.layers[net.n - 1];
        assert_string_equal(fc->name, "fc");
        assert_int_equal(fc->op, OP_FC);
        assert_int_equal(fc->K, totals[i].classes);
        net_set_batch(&net, 2);
        assert_int_equal(net_macs(&net), 2 * totals[i].macs);
        net_free(&net);
    }
}

/* Every producer's output shape is its consumer's input shape, ids point
 * backwards, the add inputs agree, names are unique, and fresh nets are
 * at 16 bits. */
static void test_graph_consistent(void **state)
{
    (void)state;
    for (size_t i = 0; i < QA_COUNT(totals); i++) {
        Net net;
        Err e;
        assert_int_equal(net_build(&net, totals[i].name, &e), QA_OK);
        for (int j = 0; j < net.n; j++) {
            const Layer *l = &net.layers[j];
            assert_int_equal(net_find(&net, l->name), j);
            assert_int_equal(l->N, 1);
            assert_int_equal(l->a_bits, 16);
            assert_int_equal(l->o_bits, 16);
            assert_int_equal(l->w_bits, layer_on_array(l) ? 16 : 0);
            int slots = l->op == OP_ADD ? 2 : 1;
            for (int s = 0; s < slots; s++) {
                int in = l->in[s];
                assert_true(in < j);
                if (in == LAYER_NO_INPUT) {
                    assert_int_equal(j, 0);
                    continue;
                }
                const Layer *p = &net.layers[in];
                if (p->K != l->C || p->P != l->H || p->Q != l->W)
                    fail_msg("%s: %s gives %dx%dx%d, %s reads %dx%dx%d",
                             net.name, p->name, p->K, p->P, p->Q, l->name,
                             l->C, l->H, l->W);
            }
            if (l->op != OP_ADD)
                assert_int_equal(l->in[1], LAYER_NO_INPUT);
            /* nothing but the fc is left unread */
            assert_true(net_last_use(&net, j) > j || j == net.n - 1);
        }
        net_free(&net);
    }
}

static void test_resnet50_v15_layers(void **state)
{
    (void)state;
    Net net;
    Err e;
    assert_int_equal(net_build(&net, "resnet50", &e), QA_OK);
    const Layer *c1 = find(&net, "conv1");
    assert_int_equal(c1->R, 7);
    assert_int_equal(c1->stride, 2);
    assert_int_equal(c1->pad, 3);
    assert_int_equal(c1->P, 112);
    assert_int_equal(find(&net, "maxpool")->P, 56);
    assert_int_equal(net.layers[0].in[0], LAYER_NO_INPUT);

    /* execution order of the first block */
    const char *order[] = {"conv1", "maxpool", "layer1.0.conv1",
                           "layer1.0.conv2", "layer1.0.conv3",
                           "layer1.0.downsample", "layer1.0.add",
                           "layer1.1.conv1"};
    for (int i = 0; i < (int)QA_COUNT(order); i++)
        assert_string_equal(net.layers[i].name, order[i]);

    /* v1.5: the stride sits on the 3x3 */
    const Layer *a = find(&net, "layer2.0.conv1");
    const Layer *b = find(&net, "layer2.0.conv2");
    assert_int_equal(a->stride, 1);
    assert_int_equal(a->H, 56);
    assert_int_equal(a->P, 56);
    assert_int_equal(b->stride, 2);
    assert_int_equal(b->P, 28);
    const Layer *ds = find(&net, "layer2.0.downsample");
    assert_int_equal(ds->shortcut, 1);
    assert_int_equal(ds->stride, 2);
    assert_int_equal(ds->C, 256);
    assert_int_equal(ds->K, 512);
    assert_int_equal(ds->in[0], net_find(&net, "layer1.2.add"));

    const Layer *add0 = find(&net, "layer1.0.add");
    assert_int_equal(add0->in[0], net_find(&net, "layer1.0.conv3"));
    assert_int_equal(add0->in[1], net_find(&net, "layer1.0.downsample"));
    const Layer *add1 = find(&net, "layer1.1.add");
    assert_int_equal(add1->in[0], net_find(&net, "layer1.1.conv3"));
    assert_int_equal(add1->in[1], net_find(&net, "layer1.0.add"));
    assert_int_equal(net_find(&net, "layer1.1.downsample"), -1);
    assert_int_equal(net_find(&net, "layer4.2.add"), net.n - 3);

    const Layer *avg = find(&net, "avgpool");
    assert_int_equal(avg->op, OP_AVGPOOL);
    assert_int_equal(avg->R, 7);
    assert_int_equal(avg->P, 1);
    assert_int_equal(find(&net, "fc")->C, 2048);

    int shortcuts = 0;
    for (int i = 0; i < net.n; i++) {
        const Layer *l = &net.layers[i];
        shortcuts += l->shortcut;
        /* post-activation: every conv feeds a BN, the fc does not */
        if (l->op == OP_CONV)
            assert_int_equal(l->bn_after, 1);
        else
            assert_int_equal(l->bn_after, 0);
    }
    assert_int_equal(shortcuts, 4);
    net_free(&net);
}

static void test_resnet50_v1_and_preact(void **state)
{
    (void)state;
    Net v1, pre, v15;
    Err e;
    assert_int_equal(net_build(&v1, "resnet50v1", &e), QA_OK);
    assert_int_equal(net_build(&pre, "resnet50preact", &e), QA_OK);
    assert_int_equal(net_build(&v15, "resnet50", &e), QA_OK);
    /* v1: the stride sits on the first 1x1 */
    const Layer *a = find(&v1, "layer3.0.conv1");
    const Layer *b = find(&v1, "layer3.0.conv2");
    assert_int_equal(a->stride, 2);
    assert_int_equal(a->P, 14);
    assert_int_equal(layer_macs(a), 25690112); /* 14*14*512*256 */
    assert_int_equal(b->stride, 1);
    assert_int_equal(b->H, 14);

    /* pre-activation: same shapes as v1.5, conv3 and projections feed the
     * add, not a batch norm */
    assert_int_equal(pre.n, v15.n);
    for (int i = 0; i < pre.n; i++) {
        const Layer *p = &pre.layers[i], *q = &v15.layers[i];
        assert_string_equal(p->name, q->name);
        assert_int_equal(p->stride, q->stride);
        assert_int_equal(p->P, q->P);
        assert_int_equal(layer_macs(p), layer_macs(q));
        int tail = strstr(p->name, "conv3") || strstr(p->name, "downsample");
        if (p->op == OP_CONV)
            assert_int_equal(p->bn_after, !tail);
    }
    assert_int_equal(find(&pre, "conv1")->bn_after, 1);
    assert_int_equal(find(&pre, "layer4.2.conv2")->bn_after, 1);
    assert_int_equal(find(&pre, "layer4.2.conv3")->bn_after, 0);
    assert_int_equal(find(&pre, "layer2.0.downsample")->bn_after, 0);
    assert_int_equal(find(&pre, "fc")->bn_after, 0);
    net_free(&v1);
    net_free(&pre);
    net_free(&v15);
}

static void test_basic_block_nets(void **state)
{
    (void)state;
    Net r18, r20;
    Err e;
    assert_int_equal(net_build(&r18, "resnet18", &e), QA_OK);
    /* no projection in stage 1 (64 -> 64, stride 1) */
    assert_int_equal(net_find(&r18, "layer1.0.downsample"), -1);
    assert_int_equal(net_find(&r18, "layer1.0.conv3"), -1);
    const Layer *c = find(&r18, "layer2.0.conv1");
    assert_int_equal(c->R, 3);
    assert_int_equal(c->stride, 2);
    assert_int_equal(c->P, 28);
    const Layer *ds = find(&r18, "layer4.0.downsample");
    assert_int_equal(ds->K, 512);
    assert_int_equal(ds->P, 7);
    assert_int_equal(find(&r18, "layer1.1.add")->in[1],
                     net_find(&r18, "layer1.0.add"));
    net_free(&r18);

    assert_int_equal(net_build(&r20, "resnet20", &e), QA_OK);
    const Layer *stem = &r20.layers[0];
    assert_string_equal(stem->name, "conv1");
    assert_int_equal(stem->C, 1);
    assert_int_equal(stem->H, 28);
    assert_int_equal(stem->R, 3);
    assert_int_equal(stem->K, 16);
    assert_int_equal(stem->P, 28);
    assert_string_equal(r20.layers[1].name, "layer1.0.conv1"); /* no maxpool */
    assert_int_equal(net_find(&r20, "maxpool"), -1);
    assert_int_equal(net_find(&r20, "layer1.0.downsample"), -1);
    const Layer *p2 = find(&r20, "layer2.0.downsample");
    assert_int_equal(p2->R, 1);
    assert_int_equal(p2->C, 16);
    assert_int_equal(p2->K, 32);
    assert_int_equal(p2->P, 14);
    assert_int_equal(find(&r20, "layer3.0.downsample")->P, 7);
    assert_int_equal(net_find(&r20, "layer4.0.conv1"), -1);
    assert_int_equal(find(&r20, "avgpool")->R, 7);
    net_free(&r20);
}

/* First/last at 8 and fpsc on ResNet-50: conv1 and fc at 8, the four
 * projections at 16, the rest at 4/4; the input of a downsampling block
 * is stored at 16 because its projection reads it at 16. */
static void test_resnet50_policy(void **state)
{
    (void)state;
    Net net;
    Err e;
    assert_int_equal(net_build(&net, "resnet50", &e), QA_OK);
    BitPolicy p = {4, 4, 8, 16};
    assert_int_equal(net_apply_bits(&net, &p, &e), QA_OK);
    assert_int_equal(find(&net, "conv1")->w_bits, 8);
    assert_int_equal(find(&net, "conv1")->a_bits, 8);
    assert_int_equal(find(&net, "fc")->w_bits, 8);
    assert_int_equal(find(&net, "fc")->o_bits, 16);
    assert_int_equal(find(&net, "avgpool")->a_bits, 8);
    assert_int_equal(find(&net, "layer3.0.downsample")->w_bits, 16);
    assert_int_equal(find(&net, "layer2.3.add")->o_bits, 16);
    assert_int_equal(find(&net, "layer3.1.conv1")->a_bits, 4);
    assert_int_equal(find(&net, "layer3.1.conv3")->o_bits, 16);
    /* after the last projection the residual stream follows the fc (8) */
    assert_int_equal(find(&net, "layer4.1.add")->o_bits, 8);
    assert_int_equal(find(&net, "layer4.2.conv2")->o_bits, 4);
    int at16 = 0;
    for (int i = 0; i < net.n; i++)
        at16 += layer_on_array(&net.layers[i]) && net.layers[i].w_bits == 16;
    assert_int_equal(at16, 4);
    net_free(&net);
}

static void test_names_and_unknown(void **state)
{
    (void)state;
    char list[256];
    snprintf(list, sizeof list, "%s", net_builtin_names());
    int count = 0;
    for (char *tok = strtok(list, ", "); tok; tok = strtok(NULL, ", ")) {
        Net net;
        Err e;
        assert_int_equal(net_build(&net, tok, &e), QA_OK);
        net_free(&net);
        count++;
    }
    assert_int_equal(count, (int)QA_COUNT(totals));

    Net net;
    Err e;
    err_clear(&e);
    assert_int_equal(net_build(&net, "resnet51", &e), QA_ERR);
    assert_string_equal(e.field, "network");
    assert_non_null(strstr(e.msg, "unknown network 'resnet51'"));
    assert_int_equal(net.n, 0);
    net_free(&net);
}

/* Scaled builds: resnet20 at stem width 8 (the trained net at width 0.5)
 * with 3 classes has stages 8, 16, 32: its stage convs cost a quarter, the
 * stem half, the fc 32 x 3: 56,448 + (10,838,016 + 2 x 10,035,200) / 4 + 96
 * = 7,783,648 MACs; same names and order as at 16. Width 0 and classes 0
 * are the net's own (net_build); out-of-range values name their field. */
static void test_scaled(void **state)
{
    (void)state;
    Net a, b;
    Err e;
    assert_int_equal(net_build(&a, "resnet20", &e), QA_OK);
    assert_int_equal(net_build_scaled(&b, "resnet20", 16, 10, &e), QA_OK);
    assert_int_equal(a.n, b.n);
    assert_memory_equal(a.layers, b.layers, sizeof(Layer) * (size_t)a.n);
    net_free(&b);
    assert_int_equal(net_build_scaled(&b, "resnet20", 8, 3, &e), QA_OK);
    assert_string_equal(b.name, "resnet20");
    assert_int_equal(b.n, a.n);
    for (int i = 0; i < a.n; i++) {
        assert_string_equal(b.layers[i].name, a.layers[i].name);
        assert_int_equal(b.layers[i].op, a.layers[i].op);
        assert_int_equal(b.layers[i].P, a.layers[i].P);
        assert_int_equal(b.layers[i].in[0], a.layers[i].in[0]);
        assert_int_equal(b.layers[i].in[1], a.layers[i].in[1]);
        assert_int_equal(b.layers[i].shortcut, a.layers[i].shortcut);
    }
    assert_int_equal(find(&b, "conv1")->K, 8);
    assert_int_equal(find(&b, "layer2.0.downsample")->K, 16);
    assert_int_equal(find(&b, "layer3.2.conv2")->K, 32);
    assert_int_equal(find(&b, "fc")->C, 32);
    assert_int_equal(find(&b, "fc")->K, 3);
    assert_int_equal(net_macs(&b), 7783648);
    net_free(&b);
    net_free(&a);
    /* resnet50 at stem 32: every channel count halves, 2048 -> 1024 */
    assert_int_equal(net_build_scaled(&b, "resnet50", 32, 0, &e), QA_OK);
    assert_int_equal(find(&b, "layer4.2.conv3")->K, 1024);
    assert_int_equal(find(&b, "fc")->K, 1000);
    net_free(&b);

    err_clear(&e);
    assert_int_equal(net_build_scaled(&b, "resnet20", -1, 0, &e), QA_ERR);
    assert_string_equal(e.field, "width");
    assert_int_equal(b.n, 0);
    assert_int_equal(net_build_scaled(&b, "resnet20", NET_WIDTH_MAX + 1, 0, &e), QA_ERR);
    assert_string_equal(e.field, "width");
    assert_int_equal(net_build_scaled(&b, "resnet20", 0, -2, &e), QA_ERR);
    assert_string_equal(e.field, "classes");
    assert_int_equal(net_build_scaled(&b, "resnet21", 8, 0, &e), QA_ERR);
    assert_string_equal(e.field, "network");
    /* too wide to hold: refused by the layer's own limits, naming it */
    assert_int_equal(net_build_scaled(&b, "resnet50", NET_WIDTH_MAX, 0, &e), QA_ERR);
    assert_int_equal(b.n, 0);
    assert_null(b.layers);
    net_free(&b);
}

/* The n-th allocation fails, for every n until the build succeeds: a clean
 * error each time and nothing leaked (the ASan run checks the leaks). */
static void test_build_oom(void **state)
{
    (void)state;
    int failures = 0;
    for (long n = 1;; n++) {
        Net net;
        Err e;
        err_clear(&e);
        qa_alloc_fail_at(n);
        int rc = net_build(&net, "resnet50", &e);
        qa_alloc_fail_at(0);
        if (rc == QA_OK) {
            assert_int_equal(net_macs(&net), 4089184256LL);
            net_free(&net);
            break;
        }
        assert_string_equal(e.msg, "out of memory");
        assert_int_equal(net.n, 0);
        assert_null(net.layers);
        failures++;
    }
    /* 72 layers: the array grows 16 -> 32 -> 64 -> 128, four allocations */
    assert_int_equal(failures, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_totals),
        cmocka_unit_test(test_graph_consistent),
        cmocka_unit_test(test_resnet50_v15_layers),
        cmocka_unit_test(test_resnet50_v1_and_preact),
        cmocka_unit_test(test_basic_block_nets),
        cmocka_unit_test(test_resnet50_policy),
        cmocka_unit_test(test_names_and_unknown),
        cmocka_unit_test(test_scaled),
        cmocka_unit_test(test_build_oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
