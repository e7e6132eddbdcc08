/* test_net.c: the layer array (add, grow, producers, totals) and the bit
 * policies, on a small residual net built by hand:
 *
 *   0 conv1    3x8x8  -> 8x8x8    3x3 pad 1        (first array layer)
 *   1 maxpool  8x8x8  -> 8x4x4    2x2/2
 *   2 convA    8x4x4  -> 8x4x4    3x3 pad 1
 *   3 convB    8x4x4  -> 16x4x4   1x1
 *   4 proj     8x4x4  -> 16x4x4   1x1, shortcut      (reads 1)
 *   5 add      in 3, 4
 *   6 avgpool  16x4x4 -> 16x1x1   global
 *   7 fc       16 -> 10                              (last array layer) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#include "workloads/net.h"

static Layer mk(const char *name, LayerOp op, int in0, int C, int H, int K,
                int R, int stride, int pad)
{
    Layer l;
    memset(&l, 0, sizeof l);
    snprintf(l.name, sizeof l.name, "%s", name);
    l.op = op;
    l.N = 1;
    l.C = C;
    l.H = l.W = H;
    l.K = K;
    l.R = l.S = R;
    l.stride = stride;
    l.pad = pad;
    l.groups = 1;
    l.in[0] = in0;
    l.in[1] = 0; /* net_add clears it for everything but add */
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

static void test_add_and_totals(void **state)
{
    (void)state;
    Net net;
    build_small(&net);
    assert_string_equal(net.name, "small");
    assert_int_equal(net.n, 8);
    assert_int_equal(net_array_layers(&net), 5);
    /* net_add finished the copies */
    assert_int_equal(net.layers[1].P, 4);
    assert_int_equal(net.layers[6].P, 1);
    /* in[1] kept for the add, cleared elsewhere */
    assert_int_equal(net.layers[5].in[1], 4);
    assert_int_equal(net.layers[3].in[1], LAYER_NO_INPUT);
    /* MACs: conv1 8*64*3*9 = 13824; convA 8*16*8*9 = 9216;
     *       convB 16*16*8 = 2048; proj 2048; fc 160. */
    assert_int_equal(net_macs(&net), 13824 + 9216 + 2048 + 2048 + 160);
    /* weights: 216 + 576 + 128 + 128 + 160 */
    assert_int_equal(net_weights(&net), 216 + 576 + 128 + 128 + 160);
    net_set_batch(&net, 4);
    for (int i = 0; i < net.n; i++)
        assert_int_equal(net.layers[i].N, 4);
    assert_int_equal(net_macs(&net), 4 * (13824 + 9216 + 2048 + 2048 + 160));
    assert_int_equal(net_weights(&net), 216 + 576 + 128 + 128 + 160);
    assert_int_equal(net_find(&net, "proj"), 4);
    assert_int_equal(net_find(&net, "nope"), -1);
    net_free(&net);
    assert_null(net.layers);
    assert_int_equal(net.n, 0);
    net_free(&net); /* twice is harmless */
}

static void test_last_use(void **state)
{
    (void)state;
    Net net;
    build_small(&net);
    assert_int_equal(net_last_use(&net, 0), 1);
    assert_int_equal(net_last_use(&net, 1), 4); /* convA (2) and proj (4) */
    assert_int_equal(net_last_use(&net, 3), 5);
    assert_int_equal(net_last_use(&net, 4), 5); /* through in[1] */
    assert_int_equal(net_last_use(&net, 6), 7);
    assert_int_equal(net_last_use(&net, 7), -1); /* the output */
    net_free(&net);
}

static void test_bad_producers(void **state)
{
    (void)state;
    Net net;
    Err e;
    build_small(&net);
    Layer l = mk("late", OP_CONV, 8, 10, 1, 10, 1, 1, 0); /* 8 is itself */
    err_clear(&e);
    assert_int_equal(net_add(&net, &l, &e), QA_ERR);
    assert_string_equal(e.field, "late");
    assert_string_equal(e.msg, "in[0] = 8 is not an earlier layer (0..7) or -1");
    l.in[0] = -2;
    assert_int_equal(net_add(&net, &l, &e), QA_ERR);
    Layer a = mk("add2", OP_ADD, 7, 10, 1, 10, 1, 1, 0);
    a.in[1] = 99;
    assert_int_equal(net_add(&net, &a, &e), QA_ERR);
    assert_string_equal(e.msg, "in[1] = 99 is not an earlier layer (0..7) or -1");
    /* a bad shape is refused with the layer's name */
    Layer bad = mk("bad", OP_CONV, 7, 10, 1, 10, 3, 1, 0);
    assert_int_equal(net_add(&net, &bad, &e), QA_ERR);
    assert_string_equal(e.field, "bad");
    assert_int_equal(net.n, 8);
    net_free(&net);
}

/* 40 layers force two reallocations (16 -> 32 -> 64); all survive. */
static void test_grow(void **state)
{
    (void)state;
    Net net;
    Err e;
    net_init(&net, "chain");
    for (int i = 0; i < 40; i++) {
        char name[16];
        snprintf(name, sizeof name, "c%d", i);
        Layer l = mk(name, OP_CONV, i - 1, 4, 3, 4, 1, 1, 0);
        assert_int_equal(net_add(&net, &l, &e), i);
    }
    assert_int_equal(net.n, 40);
    assert_true(net.cap >= 40);
    for (int i = 0; i < 40; i++)
        assert_int_equal(net.layers[i].in[0], i - 1);
    assert_string_equal(net.layers[39].name, "c39");
    assert_int_equal(net_macs(&net), 40 * 9 * 4 * 4);
    net_free(&net);
}

/* The first allocation fails: QA_ERR, "out of memory", net unchanged. */
static void test_oom(void **state)
{
    (void)state;
    Net net;
    Err e;
    net_init(&net, "oom");
    Layer l = mk("c0", OP_CONV, -1, 4, 3, 4, 1, 1, 0);
    qa_alloc_fail_at(1);
    assert_int_equal(net_add(&net, &l, &e), QA_ERR);
    qa_alloc_fail_at(0);
    assert_string_equal(e.msg, "out of memory");
    assert_int_equal(net.n, 0);
    assert_int_equal(net_add(&net, &l, &e), 0);
    net_free(&net);
}

typedef struct {
    int w, a, o;
} Bits;

static void expect_bits(const Net *net, const Bits *want)
{
    for (int i = 0; i < net->n; i++) {
        const Layer *l = &net->layers[i];
        if (l->w_bits != want[i].w || l->a_bits != want[i].a ||
            l->o_bits != want[i].o)
            fail_msg("%s: w/a/o %d/%d/%d, want %d/%d/%d", l->name, l->w_bits,
                     l->a_bits, l->o_bits, want[i].w, want[i].a, want[i].o);
    }
}

static void test_bits_uniform(void **state)
{
    (void)state;
    Net net;
    Err e;
    build_small(&net);
    BitPolicy p = {4, 4, 0, 0};
    assert_int_equal(net_apply_bits(&net, &p, &e), QA_OK);
    const Bits want[8] = {
        {4, 4, 4}, {0, 4, 4}, {4, 4, 4}, {4, 4, 4},
        {4, 4, 4}, {0, 4, 4}, {0, 4, 4}, {4, 4, 16},
    };
    expect_bits(&net, want);
    /* bytes follow the bits: conv1 weights 216 at 4 bits, fc output 10 at 16 */
    assert_int_equal(layer_weight_bytes(&net.layers[0]), 108);
    assert_int_equal(layer_out_bytes(&net.layers[7]), 20);
    net_free(&net);
}

/* w4/a2, first/last at 8, full-precision shortcut (16):
 *   conv1, fc: 8/8; convA, convB: 4/2; proj: 16/16.
 *   o_bits = max a_bits of the consumers: maxpool feeds convA (2) and
 *   proj (16) -> 16, so conv1 stores 16; avgpool feeds fc (8) -> 8, so add
 *   is 8 and so are convB and proj outputs; convA feeds convB (2);
 *   the fc output (no consumer) is 16. */
static void test_bits_first_last_fpsc(void **state)
{
    (void)state;
    Net net;
    Err e;
    build_small(&net);
    BitPolicy p = {4, 2, 8, 16};
    assert_int_equal(net_apply_bits(&net, &p, &e), QA_OK);
    const Bits want[8] = {
        {8, 8, 16}, {0, 16, 16}, {4, 2, 2}, {4, 2, 8},
        {16, 16, 8}, {0, 8, 8}, {0, 8, 8}, {8, 8, 16},
    };
    expect_bits(&net, want);
    /* 3-bit weights of conv1 round up: 216*3/8 = 81 bytes */
    BitPolicy q = {3, 3, 0, 0};
    assert_int_equal(net_apply_bits(&net, &q, &e), QA_OK);
    assert_int_equal(layer_weight_bytes(&net.layers[0]), 81);
    assert_int_equal(net.layers[4].w_bits, 3); /* shortcut_bits 0: as rest */
    net_free(&net);
}

static void expect_bits_error(int w, int a, int fl, int sc, const char *field,
                              const char *msg)
{
    Net net;
    Err e;
    build_small(&net);
    BitPolicy p = {w, a, fl, sc};
    err_clear(&e);
    assert_int_equal(net_apply_bits(&net, &p, &e), QA_ERR);
    assert_string_equal(e.field, field);
    assert_string_equal(e.msg, msg);
    /* no layer touched: the hand-built layers still carry 0 bits */
    assert_int_equal(net.layers[0].w_bits, 0);
    net_free(&net);
}

static void test_bits_errors(void **state)
{
    (void)state;
    expect_bits_error(0, 4, 0, 0, "w_bits", "0 bits, must be in 1..16");
    expect_bits_error(4, 17, 0, 0, "a_bits", "17 bits, must be in 1..16");
    expect_bits_error(4, 4, -1, 0, "first_last_bits",
                      "-1 bits, must be in 1..16 (or 0 for the default)");
    expect_bits_error(4, 4, 8, 32, "shortcut_bits",
                      "32 bits, must be in 1..16 (or 0 for the default)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_and_totals),
        cmocka_unit_test(test_last_use),
        cmocka_unit_test(test_bad_producers),
        cmocka_unit_test(test_grow),
        cmocka_unit_test(test_oom),
        cmocka_unit_test(test_bits_uniform),
        cmocka_unit_test(test_bits_first_last_fpsc),
        cmocka_unit_test(test_bits_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
