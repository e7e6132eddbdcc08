/* test_onnx.c: the ONNX reader on models exported by PyTorch and built by
 * hand (tests/onnx/make_models.py): ResNet-50 v1.5 and ResNet-18 equal the
 * built-in networks layer by layer (shapes, MACs, and cycles on the chip),
 * MobileNetV2 has its depthwise convolutions and 3.0e8 MACs, a ViT-B/16
 * encoder block its matmuls, softmax and layer norms (as one op at opset
 * 17, decomposed at 13), the layer kinds of a hand-made model their exact
 * shapes; every broken model (tests/onnx/bad) its exact error; every
 * prefix of a model fails cleanly. Run from the repository root. */
#include "tests/qtest.h"

#include "models/analytic.h"
#include "models/mapper.h"
#include "workloads/onnx.h"

#include <stdlib.h>
#include <string.h>

static void load(Net *net, const char *path)
{
    Err e;
    err_clear(&e);
    if (onnx_load(net, path, NULL, &e) != QA_OK)
        fail_msg("%s: %s: %s", e.file, e.field, e.msg);
}

static void pact(Accel *a)
{
    Err e;
    assert_int_equal(arch_load(a, "arch/pact2018.cfg", &e), QA_OK);
}

/* Per-layer cycles of net on chip a at bits (first/last 8). */
static int64_t *layer_cycles(const Accel *a, Net *net, int bits)
{
    Err e;
    BitPolicy bp = {bits, bits, QA_MAX(8, bits), 0};
    assert_int_equal(net_apply_bits(net, &bp, &e), QA_OK);
    TileSchedule ts;
    RunStats rs;
    assert_int_equal(map_net(a, net, &ts, &e), QA_OK);
    assert_int_equal(analytic_run(a, net, &ts, &rs, &e), QA_OK);
    int64_t *c = calloc((size_t)net->n + 1, sizeof *c);
    assert_non_null(c);
    for (int i = 0; i < net->n; i++)
        c[i] = rs.layers[i].cycles;
    c[net->n] = rs.cycles;
    stats_free(&rs);
    tile_free(&ts);
    return c;
}

/* The model equals the built-in network layer by layer: op, every shape
 * field, producers, MACs, weights, the projection shortcuts, and the
 * cycles of every layer at 16 and 4 bits on the pact2018 chip. */
static void expect_builtin(const char *path, const char *builtin, int bn)
{
    Net x, y;
    Err e;
    load(&x, path);
    assert_int_equal(net_build(&y, builtin, &e), QA_OK);
    assert_int_equal(x.n, y.n);
    for (int i = 0; i < x.n; i++) {
        const Layer *a = &x.layers[i], *b = &y.layers[i];
        if (a->op != b->op || a->N != b->N || a->C != b->C || a->K != b->K ||
            a->H != b->H || a->W != b->W || a->R != b->R || a->S != b->S ||
            a->P != b->P || a->Q != b->Q || a->stride != b->stride ||
            a->pad != b->pad || a->groups != b->groups || a->in[0] != b->in[0] ||
            a->in[1] != b->in[1] || a->shortcut != b->shortcut ||
            (bn && a->bn_after != b->bn_after) ||
            layer_macs(a) != layer_macs(b) || layer_weights(a) != layer_weights(b))
            fail_msg("%s layer %d (%s) differs from %s's %s", path, i, a->name,
                     builtin, b->name);
    }
    assert_int_equal(net_macs(&x), net_macs(&y));
    Accel a;
    pact(&a);
    static const int bits[] = {16, 4};
    for (size_t k = 0; k < QA_COUNT(bits); k++) {
        int64_t *cx = layer_cycles(&a, &x, bits[k]);
        int64_t *cy = layer_cycles(&a, &y, bits[k]);
        assert_memory_equal(cx, cy, (size_t)(x.n + 1) * sizeof *cx);
        free(cx);
        free(cy);
    }
    net_free(&x);
    net_free(&y);
}

static void test_resnets_equal_builtin(void **state)
{
    (void)state;
    expect_builtin("tests/onnx/resnet50.onnx", "resnet50", 0);
    expect_builtin("tests/onnx/resnet18.onnx", "resnet18", 0);
    /* batch norms kept as nodes (TrainingMode.PRESERVE), folded here */
    expect_builtin("tests/onnx/resnet18_bn.onnx", "resnet18", 1);
    /* torchvision's names */
    Net net;
    load(&net, "tests/onnx/resnet50.onnx");
    assert_string_equal(net.name, "resnet50");
    assert_string_equal(net.layers[0].name, "conv1");
    assert_string_equal(net.layers[2].name, "layer1.0.conv1");
    assert_string_equal(net.layers[6].name, "layer1.0.add");
    assert_string_equal(net.layers[net.n - 1].name, "fc");
    net_free(&net);
}

/* MobileNetV2: 52 convs, 17 of them depthwise (3x3, one channel per
 * group), 10 residual adds, 300,774,272 MACs (torchvision's 300.8 M). */
static void test_mobilenet_v2(void **state)
{
    (void)state;
    Net net;
    load(&net, "tests/onnx/mobilenet_v2.onnx");
    int convs = 0, dw = 0, adds = 0;
    for (int i = 0; i < net.n; i++) {
        const Layer *l = &net.layers[i];
        convs += l->op == OP_CONV;
        adds += l->op == OP_ADD;
        if (l->op == OP_CONV && l->groups > 1) {
            assert_int_equal(l->groups, l->C);
            assert_int_equal(l->K, l->C);
            assert_int_equal(l->R, 3);
            dw++;
        }
    }
    assert_int_equal(convs, 52);
    assert_int_equal(dw, 17);
    assert_int_equal(adds, 10);
    assert_int_equal(net_macs(&net), 300774272);
    assert_int_equal(net.layers[net.n - 1].op, OP_FC);
    /* the depthwise layers run as groups, packed when that is faster */
    Accel a;
    pact(&a);
    Err e;
    BitPolicy bp = {8, 8, 8, 0};
    assert_int_equal(net_apply_bits(&net, &bp, &e), QA_OK);
    TileSchedule ts;
    assert_int_equal(map_net(&a, &net, &ts, &e), QA_OK);
    const LayerMap *m = &ts.layers[1];
    assert_int_equal(net.layers[1].groups, 32);
    assert_true(m->pack >= 1);
    assert_non_null(strstr(m->reason, "32 groups"));
    tile_free(&ts);
    net_free(&net);
}

/* A ViT-B/16 encoder block (197 tokens of 768, 12 heads of 64, MLP 3072):
 * Q K^T and A V as matmuls of 12 groups, the projections as fc layers of
 * 197 rows; 1,453,954,560 MACs:
 *   qkv 197*768*2304 + 2 * 12*197*64*197 + out 197*768*768
 *   + MLP 2 * 197*768*3072. */
static void test_vit_block(void **state)
{
    (void)state;
    static const char *const paths[] = {"tests/onnx/vit_b16_block_op17.onnx",
                                        "tests/onnx/vit_b16_block_op13.onnx"};
    for (size_t p = 0; p < QA_COUNT(paths); p++) {
        Net net;
        load(&net, paths[p]);
        assert_int_equal(net_macs(&net), 1453954560LL);
        int mm = 0, fc = 0, sm = 0, norm = 0, reduce = 0;
        for (int i = 0; i < net.n; i++) {
            const Layer *l = &net.layers[i];
            if (l->op == OP_MATMUL) {
                assert_int_equal(l->groups, 12);
                assert_int_equal(l->P, 197);
                assert_true(l->in[1] >= 0);
                mm++;
            }
            fc += l->op == OP_FC;
            sm += l->op == OP_SOFTMAX;
            norm += l->op == OP_NORM;
            reduce += l->op == OP_REDUCE;
        }
        assert_int_equal(mm, 2);
        assert_int_equal(fc, 4);
        assert_int_equal(sm, 1);
        /* LayerNormalization at opset 17; ReduceMean, Sub, Pow, ... at 13 */
        assert_int_equal(norm, p == 0 ? 2 : 0);
        assert_int_equal(reduce, p == 0 ? 0 : 4);
        /* The report says a matmul's operands are both activations. */
        Accel a;
        pact(&a);
        Err e;
        BitPolicy bp = {8, 8, 8, 0};
        assert_int_equal(net_apply_bits(&net, &bp, &e), QA_OK);
        TileSchedule ts;
        assert_int_equal(map_net(&a, &net, &ts, &e), QA_OK);
        for (int i = 0; i < net.n; i++)
            if (net.layers[i].op == OP_MATMUL) {
                assert_non_null(strstr(ts.layers[i].reason,
                                       "both operands activations"));
                assert_int_equal(ts.layers[i].w_fetches <= 1, 1);
            }
        tile_free(&ts);
        net_free(&net);
    }
}

/* The hand-made model of layer kinds (make_models.py), shape by shape:
 * input 1x4x21x16;
 *   asym: conv 3x3, pads [0,1,2,1], strides [2,1], dilation 2 -> 8x10x14
 *   pool: maxpool 3x3/2 with ceil_mode -> 8x5x7 (6x... without it)
 *   same: conv 3x3 SAME_UPPER -> 8x5x7, pad 1
 *   cat:  concat of pool and same -> 16x5x7: a copy layer
 *   mean + gate: ReduceMean over H, W, then Sigmoid joined to it -> 16
 *   scale: Mul of cat by the gate (broadcast): two inputs, 16 + 560
 *   qk:   MatMul of t (1x16x35, a view) by its transpose -> 16x16
 *   softmax, av: MatMul 16x16 by 16x35.
 * The same model with its data in an external file reads the same. */
static void test_layer_kinds(void **state)
{
    (void)state;
    static const char *const paths[] = {"tests/onnx/kinds_op13.onnx",
                                        "tests/onnx/external.onnx"};
    for (size_t p = 0; p < QA_COUNT(paths); p++) {
        Net net;
        load(&net, paths[p]);
        assert_int_equal(net.n, 9);
        const Layer *l = net.layers;
        assert_int_equal(l[0].op, OP_CONV);
        assert_int_equal(l[0].P, 10);
        assert_int_equal(l[0].Q, 14);
        assert_int_equal(layer_pad(&l[0], 2), 2);
        assert_int_equal(layer_dil_h(&l[0]), 2);
        assert_int_equal(layer_stride_w(&l[0]), 1);
        assert_int_equal(l[1].op, OP_MAXPOOL);
        assert_int_equal(l[1].P, 5);
        assert_int_equal(l[1].Q, 7);
        assert_int_equal(l[2].pad, 1);
        assert_int_equal(l[2].P, 5);
        assert_int_equal(l[3].op, OP_COPY);
        assert_int_equal(layer_out_elems(&l[3]), 16 * 35);
        assert_int_equal(layer_inputs(&l[3]), 2);
        assert_int_equal(l[4].op, OP_REDUCE);
        assert_int_equal(layer_out_elems(&l[4]), 16);
        assert_int_equal(l[4].vec_ops, 1 + 2); /* mean, then the sigmoid */
        assert_int_equal(l[5].op, OP_ELTWISE);
        assert_int_equal(l[5].in[1], 4);
        assert_int_equal(l[5].in1_elems, 16);
        assert_int_equal(l[6].op, OP_MATMUL);
        assert_int_equal(l[6].in[0], 5);
        assert_int_equal(l[6].in[1], 5);
        assert_int_equal(layer_macs(&l[6]), 16 * 35 * 16);
        assert_int_equal(l[7].op, OP_SOFTMAX);
        assert_int_equal(l[8].op, OP_MATMUL);
        assert_int_equal(layer_macs(&l[8]), 16 * 16 * 35);
        net_free(&net);
    }
}

/* Opsets 11 and 21 read the same; a grouped conv keeps its groups; a
 * Relu fuses into a conv whose output a Shape also reads. */
static void test_opsets_and_groups(void **state)
{
    (void)state;
    Net a, b, g;
    load(&a, "tests/onnx/small_op11.onnx");
    load(&b, "tests/onnx/small_op21.onnx");
    load(&g, "tests/onnx/grouped_op13.onnx");
    assert_int_equal(a.n, 4);
    assert_int_equal(b.n, 4);
    for (int i = 0; i < a.n; i++)
        assert_int_equal(layer_macs(&a.layers[i]), layer_macs(&b.layers[i]));
    assert_int_equal(g.layers[0].groups, 8);
    /* a Shape reading conv1's output does not stop the Relu fusing */
    Net sr;
    load(&sr, "tests/onnx/shape_reader_op13.onnx");
    assert_int_equal(sr.n, 4);
    assert_int_equal(sr.layers[1].op, OP_CONV);
    assert_int_equal(sr.layers[1].in[0], 0);
    net_free(&sr);
    assert_int_equal(layer_macs(&g.layers[0]), 16 * 100 * 9);
    assert_int_equal(layer_macs(&a.layers[0]), 16 * 100 * 72);
    net_free(&a);
    net_free(&b);
    net_free(&g);
}

static void expect_error(const char *path, const OnnxOptions *o,
                         const char *field, const char *msg)
{
    Net net;
    Err e;
    err_clear(&e);
    if (onnx_load(&net, path, o, &e) == QA_OK)
        fail_msg("%s: loaded, expected '%s'", path, msg);
    assert_int_equal(net.n, 0);
    assert_null(net.layers);
    assert_string_equal(e.file, path);
    if (field)
        assert_string_equal(e.field, field);
    if (!strstr(e.msg, msg))
        fail_msg("%s: message '%s: %s' lacks '%s'", path, e.field, e.msg, msg);
}

static void test_bad_models(void **state)
{
    (void)state;
    expect_error("tests/onnx/bad/unsupported_op.onnx", NULL, "nms1",
                 "NonMaxSuppression: unsupported op 'NonMaxSuppression' of "
                 "domain 'ai.onnx' (opset 13)");
    expect_error("tests/onnx/bad/custom_domain.onnx", NULL, "relu1",
                 "unsupported op 'Relu' of domain 'com.example'");
    expect_error("tests/onnx/bad/truncated.onnx", NULL, "",
                 "not an ONNX model, or cut short");
    expect_error("tests/onnx/bad/dynamic_batch.onnx", NULL, "graph",
                 "input 'input': dimension 0 ('batch') is dynamic: give the "
                 "input's shape with --input-shape input=D0xD1x... (a study: "
                 "input_shape = \"input=...\")");
    expect_error("tests/onnx/bad/cycle.onnx", NULL, NULL, "the graph has a cycle");
    expect_error("tests/onnx/bad/absurd_dims.onnx", NULL, "graph",
                 "tensor 'input': dimension 2 is 1099511627776, outside 0..2^31");
    expect_error("tests/onnx/bad/undefined_input.onnx", NULL, "conv2",
                 "input 'nowhere' is made by no node and is neither an "
                 "initializer nor a graph input");
    expect_error("tests/onnx/bad/old_opset.onnx", NULL, "graph",
                 "opset 9 of the default domain: qarray reads opsets 11..21");
    expect_error("tests/onnx/bad/missing_weight.onnx", NULL, "conv1",
                 "input 'w1' is made by no node");
    expect_error("tests/onnx/no_such.onnx", NULL, "", "cannot open");
    expect_error("tests/onnx", NULL, "", "it is a folder");
    /* a shape for the dynamic input loads it; one for a name that is not
     * an input is refused */
    OnnxOptions o;
    memset(&o, 0, sizeof o);
    Err e;
    assert_int_equal(onnx_options_add(&o, "input=1x8x10x10", "--input-shape", &e), QA_OK);
    Net net;
    assert_int_equal(onnx_load(&net, "tests/onnx/bad/dynamic_batch.onnx", &o, &e), QA_OK);
    assert_int_equal(net.n, 4);
    net_free(&net);
    memset(&o, 0, sizeof o);
    assert_int_equal(onnx_options_add(&o, "image=1x3x4x4", "--input-shape", &e), QA_OK);
    expect_error("tests/onnx/small_op11.onnx", &o, "graph",
                 "an input shape is given for 'image', which is not an input");
    /* a misspelt name on a model with an open dimension names the
     * misspelling, not the open dimension whose shape was meant */
    expect_error("tests/onnx/bad/dynamic_batch.onnx", &o, "graph",
                 "an input shape is given for 'image', which is not an input");
    /* an initializer is no input to give a shape */
    memset(&o, 0, sizeof o);
    assert_int_equal(onnx_options_add(&o, "input=1x8x10x10", "--input-shape", &e), QA_OK);
    assert_int_equal(onnx_options_add(&o, "w1=16x8x3x3", "--input-shape", &e), QA_OK);
    expect_error("tests/onnx/bad/dynamic_batch.onnx", &o, "graph",
                 "an input shape is given for 'w1', which is not an input of "
                 "the graph (or is an initializer)");
}

static void test_parse_shape(void **state)
{
    (void)state;
    OnnxShape s;
    Err e;
    assert_int_equal(onnx_parse_shape("input=1x3x224x224", &s, "--input-shape", &e), QA_OK);
    assert_string_equal(s.name, "input");
    assert_int_equal(s.rank, 4);
    assert_int_equal(s.dims[3], 224);
    assert_int_equal(onnx_parse_shape("a=b=2,3", &s, "f", &e), QA_OK);
    assert_string_equal(s.name, "a=b");
    assert_int_equal(s.dims[1], 3);
    static const char *const bad[] = {"input", "=1x3", "x=", "x=1x", "x=0",
                                      "x=1x2x3x4x5x6x7x8x9", "x=1048577", "x=1.5"};
    for (size_t i = 0; i < QA_COUNT(bad); i++) {
        err_clear(&e);
        if (onnx_parse_shape(bad[i], &s, "--input-shape", &e) == QA_OK)
            fail_msg("'%s' parsed", bad[i]);
        assert_string_equal(e.field, "--input-shape");
    }
    OnnxOptions o;
    memset(&o, 0, sizeof o);
    assert_int_equal(onnx_options_add(&o, "x=1", "f", &e), QA_OK);
    assert_int_equal(onnx_options_add(&o, "x=2", "f", &e), QA_ERR);
    assert_non_null(strstr(e.msg, "given twice"));
    assert_true(onnx_is_path("a/b.onnx"));
    assert_false(onnx_is_path("resnet50"));
    assert_false(onnx_is_path(".onnx"));
}

static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)len);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return buf;
}

/* Every prefix of a model fails with one message (or, rarely, reads as a
 * smaller model), and nothing leaks (ASan); so do flipped bytes. */
static void test_every_prefix(void **state)
{
    (void)state;
    size_t n;
    uint8_t *buf = slurp("tests/onnx/grouped_op13.onnx", &n);
    int failed = 0;
    for (size_t k = 0; k < n; k++) {
        Net net;
        Err e;
        err_clear(&e);
        if (onnx_load_buffer(&net, "cut.onnx", buf, k, NULL, &e) == QA_OK) {
            net_free(&net);
            continue;
        }
        failed++;
        assert_int_equal(net.n, 0);
        assert_true(e.msg[0] != '\0');
        assert_string_equal(e.file, "cut.onnx");
    }
    assert_true(failed > (int)n / 2);
    Net net;
    Err e;
    assert_int_equal(onnx_load_buffer(&net, "whole.onnx", buf, n, NULL, &e), QA_OK);
    assert_string_equal(net.name, "whole");
    net_free(&net);
    for (size_t k = 0; k < n; k += 7) {
        uint8_t save = buf[k];
        buf[k] ^= 0x5a;
        if (onnx_load_buffer(&net, "flip.onnx", buf, n, NULL, &e) == QA_OK)
            net_free(&net);
        buf[k] = save;
    }
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resnets_equal_builtin),
        cmocka_unit_test(test_mobilenet_v2),
        cmocka_unit_test(test_vit_block),
        cmocka_unit_test(test_layer_kinds),
        cmocka_unit_test(test_opsets_and_groups),
        cmocka_unit_test(test_bad_models),
        cmocka_unit_test(test_parse_shape),
        cmocka_unit_test(test_every_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
