/* test_layer.c: shape arithmetic of single layers, checked by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#include "workloads/layer.h"

static Layer conv(const char *name, int C, int H, int K, int R, int stride,
                  int pad)
{
    Layer l;
    memset(&l, 0, sizeof l);
    snprintf(l.name, sizeof l.name, "%s", name);
    l.op = OP_CONV;
    l.N = 1;
    l.C = C;
    l.H = l.W = H;
    l.K = K;
    l.R = l.S = R;
    l.stride = stride;
    l.pad = pad;
    l.groups = 1;
    l.in[0] = l.in[1] = LAYER_NO_INPUT;
    return l;
}

/* ResNet-50 conv1: 3x224x224, 7x7/2 pad 3 -> 64x112x112.
 * P = (224 + 6 - 7)/2 + 1 = 111 + 1 = 112 (223/2 rounds down).
 * MACs = K*P*Q*C*R*S = 64*112*112*3*7*7 = 64*12544*147 = 118,013,952.
 * weights = 64*3*7*7 = 9,408. */
static void test_resnet50_conv1(void **state)
{
    (void)state;
    Err e;
    Layer l = conv("conv1", 3, 224, 64, 7, 2, 3);
    assert_int_equal(layer_finish(&l, &e), QA_OK);
    assert_int_equal(l.P, 112);
    assert_int_equal(l.Q, 112);
    assert_int_equal(layer_macs(&l), 118013952);
    assert_int_equal(layer_weights(&l), 9408);
    assert_int_equal(layer_in_elems(&l), 3 * 224 * 224);
    assert_int_equal(layer_out_elems(&l), 64 * 112 * 112);

    Gemm g = layer_gemm(&l);
    assert_int_equal(g.M, 12544); /* N*P*Q */
    assert_int_equal(g.K, 147);   /* C*R*S */
    assert_int_equal(g.N, 64);    /* K */

    l.w_bits = 4;
    l.a_bits = 8;
    l.o_bits = 16;
    assert_int_equal(layer_weight_bytes(&l), 4704);          /* 9408/2 */
    assert_int_equal(layer_in_bytes(&l), 150528);            /* 1 B each */
    assert_int_equal(layer_out_bytes(&l), 64 * 112 * 112 * 2);
    l.w_bits = 3;
    assert_int_equal(layer_weight_bytes(&l), 3528); /* 9408*3/8 exactly */

    /* Batch 8 scales MACs, activations and M, not weights. */
    l.N = 8;
    assert_int_equal(layer_finish(&l, &e), QA_OK);
    assert_int_equal(layer_macs(&l), 8 * 118013952LL);
    assert_int_equal(layer_weights(&l), 9408);
    assert_int_equal(layer_gemm(&l).M, 8 * 12544);
    assert_int_equal(layer_in_bytes(&l), 8 * 150528);
}

static void test_bits_to_bytes_rounds_up(void **state)
{
    (void)state;
    assert_int_equal(bits_to_bytes(0, 8), 0);
    assert_int_equal(bits_to_bytes(1, 1), 1);  /* 1 bit -> 1 byte */
    assert_int_equal(bits_to_bytes(8, 1), 1);
    assert_int_equal(bits_to_bytes(9, 1), 2);
    assert_int_equal(bits_to_bytes(5, 3), 2);  /* 15 bits */
    assert_int_equal(bits_to_bytes(3, 16), 6);
    assert_int_equal(bits_to_bytes(7, 2), 2);  /* 14 bits */
    assert_int_equal(bits_to_bytes(25502912, 4), 12751456);
}

/* 3x3/2 pad 1 on 56: (56 + 2 - 3)/2 + 1 = 27 + 1 = 28 (55/2 rounds down). */
static void test_strided_3x3(void **state)
{
    (void)state;
    Err e;
    Layer l = conv("layer2.0.conv2", 128, 56, 128, 3, 2, 1);
    assert_int_equal(layer_finish(&l, &e), QA_OK);
    assert_int_equal(l.P, 28);
    assert_int_equal(layer_macs(&l), 128LL * 28 * 28 * 128 * 9); /* 115,605,504 */
    /* 1x1/2 pad 0 on 56: (56 - 1)/2 + 1 = 28. */
    Layer d = conv("layer2.0.downsample", 256, 56, 512, 1, 2, 0);
    assert_int_equal(layer_finish(&d, &e), QA_OK);
    assert_int_equal(d.P, 28);
    assert_int_equal(layer_macs(&d), 512LL * 28 * 28 * 256); /* 102,760,448 */
}

/* groups 4, C=32, K=64, 3x3 pad 1 on 56: each group is a GEMM of
 * M = 56*56 = 3136, K = 8*9 = 72, N = 16; MACs = 64*3136*8*9 = 14,450,688. */
static void test_grouped_conv(void **state)
{
    (void)state;
    Err e;
    Layer l = conv("g", 32, 56, 64, 3, 1, 1);
    l.groups = 4;
    assert_int_equal(layer_finish(&l, &e), QA_OK);
    assert_int_equal(l.P, 56);
    assert_int_equal(layer_macs(&l), 14450688);
    assert_int_equal(layer_weights(&l), 64 * 8 * 9);
    Gemm g = layer_gemm(&l);
    assert_int_equal(g.M, 3136);
    assert_int_equal(g.K, 72);
    assert_int_equal(g.N, 16);
    /* 4 groups x one group's GEMM == MACs */
    assert_int_equal(4 * g.M * g.K * g.N, layer_macs(&l));
}

static void test_fc_and_pools(void **state)
{
    (void)state;
    Err e;
    Layer fc = conv("fc", 2048, 1, 1000, 1, 1, 0);
    fc.op = OP_FC;
    assert_int_equal(layer_finish(&fc, &e), QA_OK);
    assert_int_equal(fc.P, 1);
    assert_int_equal(fc.Q, 1);
    assert_int_equal(layer_macs(&fc), 2048000);
    assert_int_equal(layer_weights(&fc), 2048000);
    Gemm g = layer_gemm(&fc);
    assert_int_equal(g.M, 1);
    assert_int_equal(g.K, 2048);
    assert_int_equal(g.N, 1000);

    /* maxpool 3x3/2 pad 1: 112 -> (112 + 2 - 3)/2 + 1 = 56; no MACs. */
    Layer mp = conv("maxpool", 64, 112, 64, 3, 2, 1);
    mp.op = OP_MAXPOOL;
    assert_int_equal(layer_finish(&mp, &e), QA_OK);
    assert_int_equal(mp.P, 56);
    assert_int_equal(layer_macs(&mp), 0);
    assert_int_equal(layer_weights(&mp), 0);
    mp.w_bits = 0;
    assert_int_equal(layer_weight_bytes(&mp), 0);
    assert_int_equal(layer_gemm(&mp).M, 0);
    assert_false(layer_on_array(&mp));

    /* global average pool: R = H, S = W -> 1x1 */
    Layer ap = conv("avgpool", 2048, 7, 2048, 7, 1, 0);
    ap.op = OP_AVGPOOL;
    assert_int_equal(layer_finish(&ap, &e), QA_OK);
    assert_int_equal(ap.P, 1);
    assert_int_equal(layer_out_elems(&ap), 2048);

    Layer add = conv("layer1.0.add", 256, 56, 256, 1, 1, 0);
    add.op = OP_ADD;
    assert_int_equal(layer_finish(&add, &e), QA_OK);
    assert_int_equal(add.P, 56);
    assert_int_equal(layer_macs(&add), 0);
}

/* Each bad layer must fail naming the layer and saying what is wrong. */
static void expect_bad(Layer l, const char *field, const char *msg_part)
{
    Err e;
    err_clear(&e);
    assert_int_equal(layer_finish(&l, &e), QA_ERR);
    assert_string_equal(e.field, field);
    if (!strstr(e.msg, msg_part))
        fail_msg("message '%s' lacks '%s'", e.msg, msg_part);
}

static void test_bad_shapes(void **state)
{
    (void)state;
    Layer l = conv("layer1.0.conv2", 30, 56, 64, 3, 1, 1);
    l.groups = 4;
    expect_bad(l, "layer1.0.conv2", "not divisible by groups 4");

    l = conv("c", 3, 5, 8, 7, 1, 0);
    expect_bad(l, "c", "filter 7x7 larger than padded input 5x5");
    l.pad = 1; /* 7 = 5 + 2: exactly one output */
    Err e;
    assert_int_equal(layer_finish(&l, &e), QA_OK);
    assert_int_equal(l.P, 1);

    l = conv("s0", 3, 5, 8, 1, 0, 0);
    expect_bad(l, "s0", "stride is 0, must be >= 1");
    l = conv("neg", 3, 5, 8, 1, 1, -1);
    expect_bad(l, "neg", "pad is -1, must be >= 0");
    l = conv("k0", 3, 5, 0, 1, 1, 0);
    expect_bad(l, "k0", "K is 0, must be >= 1");
    l = conv("n0", 3, 5, 8, 1, 1, 0);
    l.N = 0;
    expect_bad(l, "n0", "N is 0");
    l = conv("big", 3, LAYER_DIM_MAX + 1, 8, 1, 1, 0);
    expect_bad(l, "big", "H is 1048577, must be <= 1048576");
    /* 2^20 x 2^20 channels on 1024x1024: 2^60 MACs per image */
    l = conv("huge", LAYER_DIM_MAX, 1024, LAYER_DIM_MAX, 1, 1, 0);
    expect_bad(l, "huge", "layer too large");

    l = conv("fc", 2048, 7, 1000, 1, 1, 0);
    l.op = OP_FC;
    expect_bad(l, "fc", "fc needs W=R=S=stride=groups=1");
    l = conv("pool", 64, 8, 32, 2, 2, 0);
    l.op = OP_MAXPOOL;
    expect_bad(l, "pool", "pool keeps channels: K=32, C=64");
    l = conv("add", 64, 8, 64, 3, 1, 0);
    l.op = OP_ADD;
    expect_bad(l, "add", "add needs R=S=stride=1");
    l = conv("", 3, 5, 8, 1, 1, 0);
    expect_bad(l, "layer", "layer has no name");
    l = conv("op", 3, 5, 8, 1, 1, 0);
    l.op = OP_COUNT;
    expect_bad(l, "op", "unknown op");
}

/* Limits (absurd shapes are refused before anything is sized from them):
 * 2^40 MACs per image is the last accepted count, one more filter is not;
 * 2^36 elements of input, output or weights per image likewise. */
static void test_limits_macs_and_elements(void **state)
{
    (void)state;
    Err e;
    /* 1024 x 1024 x 1024 channels -> 1024 filters of 1x1: exactly 2^40 */
    Layer l = conv("edge", 1024, 1024, 1024, 1, 1, 0);
    assert_int_equal(layer_finish(&l, &e), QA_OK);
    assert_true(layer_macs(&l) == LAYER_MACS_MAX);
    l = conv("over", 1024, 1024, 1025, 1, 1, 0);
    expect_bad(l, "over", "layer too large: 1.101e+12 MACs per image, more "
                          "than 2^40");
    /* input 64 x 32768 x 32768 = 2^36 + 1 channel over */
    l = conv("in", 65, 32768, 1, 32768, 1, 0);
    expect_bad(l, "in", "layer too large: input of 69793218560 elements "
                        "per image, more than 2^36");
    l = conv("out", 1, 32768, 65, 1, 1, 0);
    expect_bad(l, "out", "layer too large: output of 69793218560 elements "
                         "per image, more than 2^36");
    /* fc 2^20 x 2^20 = 2^40 weights (and MACs) */
    l = conv("fc", LAYER_DIM_MAX, 1, LAYER_DIM_MAX, 1, 1, 0);
    l.op = OP_FC;
    expect_bad(l, "fc", "layer too large: 1.1e+12 weights, more than 2^36");
    /* a window of 2^60 weights per filter: no int64 overflow on the way */
    l = conv("win", LAYER_DIM_MAX, 1, 1, 1, 1, 0);
    l.H = l.R = l.W = l.S = LAYER_DIM_MAX;
    expect_bad(l, "win", "layer too large: input of");
    /* pools have no weights: a 2^20-channel global pool is fine */
    l = conv("gap", LAYER_DIM_MAX, 8, LAYER_DIM_MAX, 8, 1, 0);
    l.op = OP_AVGPOOL;
    assert_int_equal(layer_finish(&l, &e), QA_OK);
    /* but its windows are work: 2^17 x 2^17 pooled by 2^16 x 2^16 windows
     * is 2^64 operations, which the vector unit's cycles would wrap */
    l = conv("pool", 1, 1 << 17, 1, 1 << 16, 1, 0);
    l.op = OP_MAXPOOL;
    expect_bad(l, "pool", "layer too large: 1.845e+19 pooling operations per image, "
                          "more than 2^40");
}

static void test_groups_zero_and_idempotent(void **state)
{
    (void)state;
    Err e;
    Layer l = conv("c", 16, 9, 16, 3, 2, 0);
    l.groups = 0;
    assert_int_equal(layer_finish(&l, &e), QA_OK);
    assert_int_equal(l.groups, 1);
    assert_int_equal(l.P, 4); /* (9 - 3)/2 + 1 */
    Layer again = l;
    assert_int_equal(layer_finish(&again, &e), QA_OK);
    assert_memory_equal(&again, &l, sizeof l);
}

static void test_op_names(void **state)
{
    (void)state;
    const char *names[] = {"conv",    "fc",      "maxpool", "avgpool",
                           "add",     "matmul",  "eltwise", "softmax",
                           "norm",    "reduce",  "copy"};
    assert_int_equal(QA_COUNT(names), OP_COUNT);
    for (int i = 0; i < OP_COUNT; i++) {
        LayerOp op;
        assert_string_equal(layer_op_name((LayerOp)i), names[i]);
        assert_int_equal(layer_op_parse(names[i], &op), QA_OK);
        assert_int_equal(op, i);
    }
    LayerOp op = OP_FC;
    assert_int_equal(layer_op_parse("relu", &op), QA_ERR);
    assert_int_equal(layer_op_parse("Conv", &op), QA_ERR);
    assert_int_equal(op, OP_FC);
    assert_string_equal(layer_op_name(OP_COUNT), "?");
}

/* Asymmetric pads, dilation and a width stride (an ONNX Conv with pads
 * [0, 1, 2, 1], dilations 2, strides [2, 1] on 4x21x16):
 * span = 2*(3-1)+1 = 5; P = (21 + 0 + 2 - 5)/2 + 1 = 10,
 * Q = (16 + 1 + 1 - 5)/1 + 1 = 14. MACs = 8*10*14*4*9 = 40,320. */
static void test_asym_pads_dilation(void **state)
{
    (void)state;
    Err e;
    Layer l = conv("asym", 4, 21, 8, 3, 2, 0);
    l.W = 16;
    l.stride_w = 1;
    l.dil_h = l.dil_w = 2;
    l.pads[0] = 0, l.pads[1] = 1, l.pads[2] = 2, l.pads[3] = 1;
    assert_int_equal(layer_finish(&l, &e), QA_OK);
    assert_int_equal(l.P, 10);
    assert_int_equal(l.Q, 14);
    assert_int_equal(layer_macs(&l), 40320);
    assert_int_equal(layer_span_h(&l), 5);
    assert_int_equal(layer_pad(&l, 2), 2);
    assert_int_equal(layer_stride_w(&l), 1);
    /* all-zero pads mean the symmetric pad */
    Layer s = conv("sym", 4, 21, 8, 3, 2, 1);
    assert_int_equal(layer_pad(&s, 3), 1);
    assert_int_equal(layer_stride_w(&s), 2);
    /* a dilated filter wider than the padded input */
    l.dil_w = 9;
    expect_bad(l, "asym", "filter 5x19 larger than padded input 23x18");
    l.dil_w = -1;
    expect_bad(l, "asym", "dil_w is -1, must be >= 0");
}

/* fc over H rows (tokens): ViT's MLP, 197 tokens x 768 -> 3072. */
static void test_fc_rows(void **state)
{
    (void)state;
    Err e;
    Layer l = conv("mlp", 768, 197, 3072, 1, 1, 0);
    l.op = OP_FC;
    l.W = 1;
    assert_int_equal(layer_finish(&l, &e), QA_OK);
    assert_int_equal(l.P, 197);
    assert_int_equal(layer_macs(&l), 197LL * 768 * 3072);
    assert_int_equal(layer_weights(&l), 768LL * 3072);
    Gemm g = layer_gemm(&l);
    assert_int_equal(g.M, 197);
    assert_int_equal(g.K, 768);
    assert_int_equal(g.N, 3072);
}

/* Attention scores Q K^T of 12 heads, 197 tokens of 64 each, batch 2:
 * in[0] 12 x 197 x 64 (C = 768), in[1] 12 x 64 x 197, out 12 x 197 x 197
 * (K = 12*197). 24 GEMMs of 197 x 64 x 197. No weights; the second
 * operand has 64 * 12*197 elements per image. */
static void test_matmul(void **state)
{
    (void)state;
    Err e;
    Layer l = conv("qk", 768, 197, 12 * 197, 1, 1, 0);
    l.op = OP_MATMUL;
    l.W = 1;
    l.N = 2;
    l.groups = 12;
    l.in[1] = 3;
    assert_int_equal(layer_finish(&l, &e), QA_OK);
    assert_true(layer_on_array(&l));
    assert_int_equal(layer_inputs(&l), 2);
    assert_int_equal(layer_macs(&l), 24LL * 197 * 64 * 197);
    assert_int_equal(layer_weights(&l), 0);
    assert_int_equal(layer_in1_elems(&l), 2LL * 12 * 64 * 197);
    Gemm g = layer_gemm(&l);
    assert_int_equal(g.M, 197);
    assert_int_equal(g.K, 64);
    assert_int_equal(g.N, 197);
    l.w_bits = 4, l.a_bits = 8;
    assert_int_equal(layer_in1_bytes(&l), 12LL * 64 * 197); /* 2 images x 4 bits */
    l.groups = 5;
    expect_bad(l, "qk", "not divisible by groups 5");
    l.groups = 12;
    l.R = 3;
    expect_bad(l, "qk", "matmul needs R=S=stride=1");
}

/* Flat vector ops: a reduction 768 -> 1 per token, a broadcast second
 * input, a concat. */
static void test_flat_ops(void **state)
{
    (void)state;
    Err e;
    Layer l = conv("mean", 768, 197, 1, 1, 1, 0);
    l.op = OP_REDUCE;
    l.W = 1;
    l.vec_ops = 1;
    assert_int_equal(layer_finish(&l, &e), QA_OK);
    assert_true(layer_is_flat(&l));
    assert_false(layer_on_array(&l));
    assert_int_equal(layer_out_elems(&l), 197);
    assert_int_equal(layer_in_elems(&l), 197 * 768);
    assert_int_equal(layer_inputs(&l), 1);
    assert_int_equal(layer_macs(&l), 0);

    Layer b = conv("sub", 768, 197, 768, 1, 1, 0);
    b.op = OP_ELTWISE;
    b.W = 1;
    b.vec_ops = 1;
    b.in1_elems = 197;
    assert_int_equal(layer_finish(&b, &e), QA_OK);
    assert_int_equal(layer_inputs(&b), 2);
    assert_int_equal(layer_in1_elems(&b), 197);
    b.vec_ops = 0;
    expect_bad(b, "sub", "vec_ops is 0, must be in 1..1024");
    b.vec_ops = 1;
    b.R = 3;
    expect_bad(b, "sub", "eltwise needs R=S=stride=groups=1 and pad 0");

    Layer c = conv("conv", 8, 5, 8, 3, 1, 1);
    c.vec_ops = 2;
    expect_bad(c, "conv", "vec_ops and in1_elems are for vector ops");
    c = conv("pool", 8, 5, 8, 3, 1, 1);
    c.op = OP_MAXPOOL;
    c.groups = 2;
    expect_bad(c, "pool", "only conv and matmul have groups");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resnet50_conv1),
        cmocka_unit_test(test_bits_to_bytes_rounds_up),
        cmocka_unit_test(test_strided_3x3),
        cmocka_unit_test(test_grouped_conv),
        cmocka_unit_test(test_fc_and_pools),
        cmocka_unit_test(test_bad_shapes),
        cmocka_unit_test(test_limits_macs_and_elements),
        cmocka_unit_test(test_groups_zero_and_idempotent),
        cmocka_unit_test(test_op_names),
        cmocka_unit_test(test_asym_pads_dilation),
        cmocka_unit_test(test_fc_rows),
        cmocka_unit_test(test_matmul),
        cmocka_unit_test(test_flat_ops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
