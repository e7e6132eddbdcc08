/* fnet.h: seeded small integer networks for the functional-mode tests,
 * built directly with intref_add (no training): a stem conv, a max pool,
 * an identity residual block, a strided block with a projection shortcut,
 * and the classifier. Weights are uniform over the symmetric w_bits codes
 * (-(2^(b-1)-1) .. 2^(b-1)-1; the fault test flips into -2^(b-1)); each
 * channel's multiplier spreads its accumulator over the output codes, so
 * every layer's outputs vary (not all clamped). Test-only, header-only:
 * every function is static inline. */
#ifndef FNET_H
#define FNET_H

#include "quant/int/intref.h"
#include "quant/rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static inline void *fn_alloc(size_t n)
{
    void *p = calloc(1, n ? n : 1);
    if (!p)
        abort();
    return p;
}

/* A conv of the network: weights in w_bits codes; out_bits > 0: codes,
 * 0: a residual branch in 2^-16 units of the next add's output code. */
static inline int fn_conv(INet *net, Rng *rng, const char *name, int in, int C,
                          int H, int K, int R, int stride, int w_bits,
                          int in_bits, int out_bits, Err *e)
{
    IOp op;
    memset(&op, 0, sizeof op);
    op.kind = IOP_CONV;
    snprintf(op.name, sizeof op.name, "%s", name);
    op.in[0] = in;
    op.C = C, op.H = H, op.W = H, op.K = K, op.R = R, op.S = R;
    op.stride = stride, op.pad = R / 2;
    op.w_bits = w_bits, op.out_bits = out_bits;
    size_t nw = (size_t)K * C * R * R;
    op.w = fn_alloc(nw * sizeof *op.w);
    op.mult = fn_alloc(K * sizeof *op.mult);
    op.shift = fn_alloc(K * sizeof *op.shift);
    op.bias = fn_alloc(K * sizeof *op.bias);
    /* symmetric codes -m..m (zero mean, as symmetric quantizers give) */
    int m = (1 << (w_bits - 1)) - 1;
    for (size_t i = 0; i < nw; i++)
        op.w[i] = (int16_t)(-m + (int)(rng_u64(rng) % (uint64_t)(2 * m + 1)));
    /* accumulator spread: sqrt(C R S) * rms(w) * rms(x) */
    double xr = ((1 << in_bits) - 1) / sqrt(3.0), wr = sqrt(m * (m + 1) / 3.0);
    double sd = sqrt((double)C * R * R) * wr * xr;
    double codes = out_bits ? (1 << out_bits) - 1 : 15;
    double units = out_bits ? 1.0 : 65536.0;
    for (int k = 0; k < K; k++) {
        double M = units * codes / (2.0 * sd) * (0.75 + 0.5 * rng_uniform(rng));
        intref_multiplier(M, &op.mult[k], &op.shift[k]);
        double b = units * codes * (0.25 + 0.5 * rng_uniform(rng));
        op.bias[k] = (int64_t)llround(b * ldexp(1.0, op.shift[k]));
    }
    return intref_add(net, &op, e);
}

/* Add of a (codes of a_bits or a branch) and b (a branch), to out_bits. */
static inline int fn_add(INet *net, const char *name, int a, int a_is_code,
                         int b, int C, int H, int out_bits, Err *e)
{
    IOp op;
    memset(&op, 0, sizeof op);
    op.kind = IOP_ADD;
    snprintf(op.name, sizeof op.name, "%s", name);
    op.in[0] = a, op.in[1] = b;
    op.C = C, op.H = H, op.W = H;
    op.out_bits = out_bits;
    op.mult = fn_alloc(2 * sizeof *op.mult);
    op.shift = fn_alloc(sizeof *op.shift);
    op.mult[0] = a_is_code ? 65536 : 1, op.mult[1] = 1;
    op.shift[0] = 16;
    return intref_add(net, &op, e);
}

/* The classifier "fc": global sum pool of in (C x H x H) and an fc to 10
 * classes with 8-bit weights and seeded biases. */
static inline int fn_gapfc(INet *net, Rng *rng, int in, int C, int H, Err *e)
{
    IOp fc;
    memset(&fc, 0, sizeof fc);
    fc.kind = IOP_GAPFC;
    snprintf(fc.name, sizeof fc.name, "fc");
    fc.in[0] = in, fc.C = C, fc.H = H, fc.W = H, fc.K = 10, fc.w_bits = 8;
    fc.w = fn_alloc((size_t)C * 10 * sizeof *fc.w);
    fc.bias = fn_alloc(10 * sizeof *fc.bias);
    for (int i = 0; i < C * 10; i++)
        fc.w[i] = (int16_t)(-128 + (int)(rng_u64(rng) % 256));
    for (int k = 0; k < 10; k++)
        fc.bias[k] = (int64_t)(rng_u64(rng) % 2001) - 1000;
    return intref_add(net, &fc, e);
}

/* in 3 x 12 x 12 at 8 bits:
 *   c0 conv3x3 K12 -> a codes        mp maxpool 3x3/2 -> 12x6x6
 *   b1a conv3x3 -> codes, b1b conv3x3 -> branch, add1 = mp + b1b
 *   b2a conv3x3/2 K20 -> codes 3x3, b2b conv3x3 -> branch,
 *   b2s conv1x1/2 of add1 -> branch, add2 = b2b + b2s
 *   fc  gap + fc 10 classes at 8-bit weights
 * Inner layers at w_bits/a_bits; the stem takes the 8-bit image. */
static inline int fn_build(INet *net, uint64_t seed, int w_bits, int a_bits, Err *e)
{
    Rng rng;
    rng_seed(&rng, seed);
    intref_init(net);
    net->in_C = 3, net->in_H = 12, net->in_W = 12, net->in_bits = 8;
    net->classes = 10;
    int c0 = fn_conv(net, &rng, "c0", INTREF_INPUT, 3, 12, 12, 3, 1, 8, 8, a_bits, e);
    IOp mp;
    memset(&mp, 0, sizeof mp);
    mp.kind = IOP_MAXPOOL;
    snprintf(mp.name, sizeof mp.name, "mp");
    mp.in[0] = c0, mp.C = 12, mp.H = 12, mp.W = 12, mp.R = 3, mp.S = 3;
    mp.stride = 2, mp.pad = 1;
    int p = intref_add(net, &mp, e);
    int b1a = fn_conv(net, &rng, "b1a", p, 12, 6, 12, 3, 1, w_bits, a_bits, a_bits, e);
    int b1b = fn_conv(net, &rng, "b1b", b1a, 12, 6, 12, 3, 1, w_bits, a_bits, 0, e);
    int add1 = fn_add(net, "add1", p, 1, b1b, 12, 6, a_bits, e);
    int b2a = fn_conv(net, &rng, "b2a", add1, 12, 6, 20, 3, 2, w_bits, a_bits, a_bits, e);
    int b2b = fn_conv(net, &rng, "b2b", b2a, 20, 3, 20, 3, 1, w_bits, a_bits, 0, e);
    int b2s = fn_conv(net, &rng, "b2s", add1, 12, 6, 20, 1, 2, w_bits, a_bits, 0, e);
    int add2 = fn_add(net, "add2", b2b, 0, b2s, 20, 3, a_bits, e);
    int ids[] = {c0, p, b1a, b1b, add1, b2a, b2b, b2s, add2,
                 fn_gapfc(net, &rng, add2, 20, 3, e)};
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++)
        if (ids[i] < 0)
            return QA_ERR;
    return intref_validate(net, e);
}

/* n images of the network's input, uniform over the in_bits codes. */
static inline void fn_images(const INet *net, uint64_t seed, int n, uint8_t *img)
{
    Rng rng;
    rng_seed(&rng, seed);
    size_t total = (size_t)n * net->in_C * net->in_H * net->in_W;
    for (size_t i = 0; i < total; i++)
        img[i] = (uint8_t)(rng_u64(&rng) % (uint64_t)(1 << net->in_bits));
}

#endif
