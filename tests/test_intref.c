/* test_intref.c: the integer rules of intref.h by hand: rounding of the
 * multiply-and-shift (including negatives and ties), multiplier encoding,
 * and a small network (conv to codes, conv to a branch, add, max pool,
 * gap+fc) whose logits are worked out in the comments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "quant/int/intref.h"

#include <stdlib.h>
#include <string.h>

static void test_requant_rounding(void **s)
{
    (void)s;
    assert_int_equal(intref_requant(10, 3, 2, 0), 8);    /* 30/4 = 7.5 -> 8 (half up) */
    assert_int_equal(intref_requant(-10, 3, 2, 0), -7);  /* -7.5 -> -7 (half up) */
    assert_int_equal(intref_requant(-11, 3, 2, 0), -8);  /* -8.25 -> -8 */
    assert_int_equal(intref_requant(-13, 3, 2, 0), -10); /* -9.75 -> -10 */
    assert_int_equal(intref_requant(5, 7, 0, -3), 32);   /* no shift: 35 - 3 */
    assert_int_equal(intref_requant(100, 1, 3, 4), 13);  /* (100 + 4)/8 = 13 */
    /* large operands stay exact in int64 */
    assert_int_equal(intref_requant(1 << 30, (1 << 24) - 1, 24, 0), (1LL << 30) - 64);
}

static void test_multiplier(void **s)
{
    (void)s;
    int32_t m, sh;
    intref_multiplier(0.75, &m, &sh);
    assert_int_equal(sh, 24);
    assert_int_equal(m, 12582912); /* 0.75 * 2^24 */
    intref_multiplier(3.0, &m, &sh);
    assert_int_equal(sh, 22);
    assert_int_equal(m, 12582912);
    intref_multiplier(-0.001, &m, &sh);
    assert_true(m < 0 && -m >= (1 << 23) && -m < (1 << 24));
    assert_true(abs((int)(-0.001 * (double)(1LL << sh)) - m) <= 1);
    intref_multiplier(0.0, &m, &sh);
    assert_int_equal(m, 0);
    /* 1 - 2^-30 rounds up to 2^24 at sh = 24: it must step down a bit */
    intref_multiplier(1.0 - 1e-9, &m, &sh);
    assert_true(m < (1 << 24) && m >= (1 << 23));
}

static void *dup(const void *p, size_t n)
{
    void *q = malloc(n);
    memcpy(q, p, n);
    return q;
}

/* image 1x2x2 codes [1 2; 3 4]
 * op0 conv 1x1 w=3, mult 1, shift 1, bias 1, 2-bit codes:
 *     floor((3x + 1 + 1)/2) = 2, 4, 5, 7 -> clamp 0..3 -> 2 3 3 3
 * op1 conv 1x1 w=-1, mult 1, shift 0, bias 0, branch: -1 -2 -3 -4
 * op2 add(op0, op1), mult (4, 1), shift 2, 3-bit codes:
 *     v = 4a + b = 7 10 9 8; floor((v + 2)/4) = 2 3 2 2
 * then either gapfc(op2): sum 9, w (1, -2), bias (0, 5) -> logits 9, -13
 * or maxpool 2x2 (-> 3) then gapfc: 3, -1 */
static void build(INet *net, int with_pool)
{
    Err e;
    intref_init(net);
    net->in_C = 1, net->in_H = 2, net->in_W = 2, net->in_bits = 8, net->classes = 2;
    int16_t w3 = 3, wm1 = -1, wfc[2] = {1, -2};
    int32_t one = 1, sh1 = 1, sh0 = 0, m2[2] = {4, 1}, sh2 = 2;
    int64_t b1 = 1, b0 = 0, bfc[2] = {0, 5};
    IOp c0 = {.kind = IOP_CONV, .name = "c0", .in = {INTREF_INPUT, 0}, .C = 1, .H = 2, .W = 2,
              .K = 1, .R = 1, .S = 1, .stride = 1, .w_bits = 4, .out_bits = 2,
              .w = dup(&w3, 2), .mult = dup(&one, 4), .shift = dup(&sh1, 4), .bias = dup(&b1, 8)};
    IOp c1 = c0;
    strcpy(c1.name, "c1");
    c1.out_bits = 0;
    c1.w = dup(&wm1, 2), c1.mult = dup(&one, 4), c1.shift = dup(&sh0, 4), c1.bias = dup(&b0, 8);
    IOp add = {.kind = IOP_ADD, .name = "add", .in = {0, 1}, .C = 1, .H = 2, .W = 2,
               .out_bits = 3, .mult = dup(m2, 8), .shift = dup(&sh2, 4)};
    assert_int_equal(intref_add(net, &c0, &e), 0);
    assert_int_equal(intref_add(net, &c1, &e), 1);
    assert_int_equal(intref_add(net, &add, &e), 2);
    int last = 2, H = 2;
    if (with_pool) {
        IOp mp = {.kind = IOP_MAXPOOL, .name = "pool", .in = {2, 0}, .C = 1, .H = 2, .W = 2,
                  .R = 2, .S = 2, .stride = 2};
        assert_int_equal(intref_add(net, &mp, &e), 3);
        last = 3, H = 1;
    }
    IOp fc = {.kind = IOP_GAPFC, .name = "fc", .in = {last, 0}, .C = 1, .H = H, .W = H,
              .K = 2, .w_bits = 4, .w = dup(wfc, 4), .bias = dup(bfc, 16)};
    assert_true(intref_add(net, &fc, &e) >= 0);
    if (intref_validate(net, &e))
        err_print(&e, stderr), fail();
}

static void test_small_network(void **s)
{
    (void)s;
    INet net;
    Err e;
    uint8_t img[4] = {1, 2, 3, 4};
    int64_t lg[2];
    build(&net, 0);
    assert_int_equal(intref_forward(&net, img, lg, &e), QA_OK);
    assert_int_equal(lg[0], 9);
    assert_int_equal(lg[1], -13);
    int pred[3];
    uint8_t three[12] = {1, 2, 3, 4, 0, 0, 0, 0, 3, 3, 3, 3};
    assert_int_equal(intref_predict(&net, three, 3, pred, &e), QA_OK);
    /* image 2 (zeros): op0 = floor(2/2) = 1, op1 = 0, add floor((4+2)/4) = 1 each,
     * sum 4 -> logits 4, -3: class 0. image 3: op0 = floor(11/2)=5->3, op1 = -3,
     * add floor((12-3+2)/4) = 2 each, sum 8 -> 8, -11: class 0 */
    assert_int_equal(pred[0], 0);
    assert_int_equal(pred[1], 0);
    assert_int_equal(pred[2], 0);
    intref_free(&net);
    build(&net, 1);
    assert_int_equal(intref_forward(&net, img, lg, &e), QA_OK);
    assert_int_equal(lg[0], 3);
    assert_int_equal(lg[1], -1);
    intref_free(&net);
}

static void test_validate_errors(void **s)
{
    (void)s;
    INet net;
    Err e;
    build(&net, 0);
    net.ops[2].H = 3; /* add claims a 1x3x2 input */
    assert_int_equal(intref_validate(&net, &e), QA_ERR);
    assert_string_equal(e.field, "add");
    net.ops[2].H = 2;
    net.classes = 3;
    assert_int_equal(intref_validate(&net, &e), QA_ERR);
    assert_string_equal(e.field, "graph");
    intref_free(&net);
    IOp big = {.kind = IOP_CONV, .name = "big", .in = {INTREF_INPUT, 0}, .C = 1, .H = 2,
               .W = 2, .K = 1, .R = 5, .S = 5, .stride = 1};
    intref_init(&net);
    assert_int_equal(intref_add(&net, &big, &e), QA_ERR);
    assert_string_equal(e.field, "big");
    intref_free(&net);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_requant_rounding),
        cmocka_unit_test(test_multiplier),
        cmocka_unit_test(test_small_network),
        cmocka_unit_test(test_validate_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
