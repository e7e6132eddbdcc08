/* test_iconv.c: the reference's convolution accumulators
 * (quant/int/iconv.h) against a plain int64 loop nest written here: seeded
 * convs of 1x1, 3x3 and 7x7 windows, strides 1 and 2, padding that leaves
 * a short right edge, batches of 1 to 5, u8 codes up to 255 with weights
 * in s8, beyond s8 (the two-primitive split), odd up to +-255 (one
 * primitive of (w - 1) / 2 and the window sums) and over 16 bits, the
 * extremes (all 255 x -128, x -255, x 255), and int32 inputs. On a VNNI machine the u8
 * convs take oneDNN's own implementations (never a GEMM-based one); with
 * oneDNN capped below VNNI (a fresh process under ONEDNN_MAX_CPU_ISA=AVX2)
 * full-range codes go to the loops, and every result stays exact. */
#include "tests/qtest.h"

#include "quant/int/iconv.h"
#include "quant/int/u8s8.h"

typedef struct {
    int C, H, K, R, stride, pad, batch;
    int amax;        /* u8 input codes 0..amax; -1: int32 input */
    int wlo, whi;
    int extreme;     /* 1: all inputs amax, all weights wlo; 2: seeded odd
                      * weights (wlo odd); 3: all inputs amax, weights whi */
} Case;

static const Case cases[] = {
    {3, 12, 8, 7, 2, 3, 1, 255, -128, 127, 0},  {16, 9, 16, 3, 1, 1, 3, 15, -8, 7, 0},
    {16, 9, 32, 1, 2, 0, 2, 15, -8, 7, 0},      {1, 28, 16, 3, 1, 1, 5, 255, -193, 153, 0},
    {64, 7, 64, 3, 1, 1, 2, 255, -128, 127, 1}, {32, 8, 16, 3, 2, 1, 3, 255, -128, 127, 0},
    {8, 10, 8, 3, 1, 1, 2, 255, -16384, 16383, 0}, {8, 6, 8, 3, 1, 1, 2, 255, -32768, 32767, 1},
    {4, 5, 4, 3, 1, 1, 2, -1, -128, 127, 0},    {24, 8, 12, 1, 1, 0, 4, 255, -128, 127, 0},
    {12, 6, 20, 3, 2, 1, 3, 255, -64, 63, 0},
    /* SAWB's half-step 8-bit weights: odd codes up to +-255 */
    {16, 9, 16, 3, 1, 1, 3, 255, -255, 255, 2}, {3, 12, 8, 7, 2, 3, 2, 255, -255, 255, 2},
    {64, 7, 64, 3, 1, 1, 2, 255, -255, 255, 1}, {24, 8, 12, 1, 1, 0, 4, 255, -255, 255, 3},
    {32, 8, 16, 3, 2, 1, 3, 15, -255, 255, 2},
};

/* Runs case c; 0 when iconv equals the loops here. Prints the impl. */
static int run_case(const Case *c, uint64_t seed)
{
    Rng r;
    rng_seed(&r, seed);
    IOp op;
    memset(&op, 0, sizeof op);
    op.kind = IOP_CONV;
    snprintf(op.name, sizeof op.name, "conv");
    op.C = c->C, op.H = op.W = c->H, op.K = c->K, op.R = op.S = c->R;
    op.stride = c->stride, op.pad = c->pad;
    op.P = (op.H + 2 * op.pad - op.R) / op.stride + 1, op.Q = op.P;
    size_t nw = (size_t)op.K * op.C * op.R * op.S;
    op.w = malloc(nw * sizeof *op.w);
    for (size_t i = 0; i < nw; i++)
        op.w[i] = (int16_t)(c->extreme == 1   ? c->wlo
                            : c->extreme == 3 ? c->whi
                            : c->extreme == 2
                                ? c->wlo + 2 * (int)(rng_u64(&r) % (uint64_t)((c->whi - c->wlo) / 2 + 1))
                                : c->wlo + (int)(rng_u64(&r) % (uint64_t)(c->whi - c->wlo + 1)));
    int wide = c->amax < 0;
    size_t nx = (size_t)c->batch * op.H * op.W * op.C, ny = (size_t)c->batch * op.P * op.Q * op.K;
    uint8_t *x8 = malloc(nx);
    int32_t *x32 = malloc(nx * sizeof *x32);
    int64_t *want = calloc(ny, sizeof *want);
    int64_t *got64 = malloc(ny * sizeof *got64);
    int32_t *got32 = malloc(ny * sizeof *got32);
    assert_true(op.w && x8 && x32 && want && got64 && got32);
    for (size_t i = 0; i < nx; i++) {
        if (wide)
            x32[i] = (int32_t)(rng_u64(&r) % 2000001) - 1000000;
        else
            x32[i] = x8[i] = (uint8_t)(c->extreme == 1 || c->extreme == 3 ? c->amax
                                                  : (int)(rng_u64(&r) % (uint64_t)(c->amax + 1)));
    }
    for (int n = 0; n < c->batch; n++)
        for (int p = 0; p < op.P; p++)
            for (int q = 0; q < op.Q; q++)
                for (int k = 0; k < op.K; k++) {
                    int64_t s = 0;
                    for (int ch = 0; ch < op.C; ch++)
                        for (int rr = 0; rr < op.R; rr++)
                            for (int ss = 0; ss < op.S; ss++) {
                                int h = p * op.stride - op.pad + rr;
                                int w = q * op.stride - op.pad + ss;
                                if (h < 0 || h >= op.H || w < 0 || w >= op.W)
                                    continue;
                                s += (int64_t)op.w[((k * op.C + ch) * op.R + rr) * op.S + ss] *
                                     x32[(((size_t)n * op.H + h) * op.W + w) * op.C + ch];
                            }
                    want[(((size_t)n * op.P + p) * op.Q + q) * op.K + k] = s;
                }
    IConv *ic;
    Err e;
    assert_int_equal(iconv_init(&ic, &op, c->batch, wide, wide ? 0 : c->amax, &e), QA_OK);
    int accw = iconv_acc_wide(ic);
    assert_int_equal(iconv_run(ic, wide ? (const void *)x32 : (const void *)x8,
                               accw ? (void *)got64 : (void *)got32, &e), QA_OK);
    int bad = 0;
    for (size_t i = 0; i < ny; i++)
        bad += (accw ? got64[i] : got32[i]) != want[i];
    printf("C%-3d H%-3d K%-3d %dx%d/%d pad %d batch %d codes %4d w %6d..%-6d: %s%s\n",
           c->C, c->H, c->K, c->R, c->R, c->stride, c->pad, c->batch, c->amax, c->wlo,
           c->whi, iconv_impl(ic), bad ? " WRONG" : "");
    /* never an implementation built on oneDNN's GEMM (the chip's kernels) */
    if (!strncmp(iconv_impl(ic), "gemm", 4))
        bad++;
    iconv_free(ic);
    free(op.w), free(x8), free(x32), free(want), free(got64), free(got32);
    return bad;
}

static int all_cases(void)
{
    int bad = 0;
    for (size_t i = 0; i < QA_COUNT(cases); i++)
        bad += run_case(&cases[i], 100 + i);
    return bad;
}

static void test_exact(void **s)
{
    (void)s;
    assert_int_equal(all_cases(), 0);
}

/* On a VNNI machine oneDNN takes the u8 convs whose sums fit int32. */
static void test_onednn_where_exact(void **s)
{
    (void)s;
    if (u8s8_level() != U8S8_FULL)
        skip();
    Rng r;
    rng_seed(&r, 1);
    IOp op;
    memset(&op, 0, sizeof op);
    op.kind = IOP_CONV;
    op.C = 16, op.H = op.W = 8, op.K = 16, op.R = op.S = 3, op.stride = 1, op.pad = 1;
    op.P = op.Q = 8;
    op.w = calloc(16 * 16 * 9, sizeof *op.w);
    IConv *ic;
    Err e;
    assert_int_equal(iconv_init(&ic, &op, 2, 0, 255, &e), QA_OK);
    assert_int_equal(strncmp(iconv_impl(ic), "loops", 5) != 0, 1);
    iconv_free(ic);
    /* odd weights beyond s8: one primitive, not the split's two */
    for (int i = 0; i < 16 * 16 * 9; i++)
        op.w[i] = (int16_t)(i % 3 ? 255 : -255);
    assert_int_equal(iconv_init(&ic, &op, 2, 0, 255, &e), QA_OK);
    assert_non_null(strstr(iconv_impl(ic), "(odd weights)"));
    iconv_free(ic);
    op.w[5] = 254; /* one even weight: the split */
    assert_int_equal(iconv_init(&ic, &op, 2, 0, 255, &e), QA_OK);
    assert_non_null(strstr(iconv_impl(ic), "x2 (split)"));
    iconv_free(ic);
    /* int32 input: the loops */
    assert_int_equal(iconv_init(&ic, &op, 2, 1, 0, &e), QA_OK);
    assert_string_equal(iconv_impl(ic), "loops");
    iconv_free(ic);
    free(op.w);
}

static void test_capped(void **s)
{
    (void)s;
    assert_int_equal(qt_run_capped("AVX2", "--capped"), 0);
}

/* The child of test_capped: full-range u8 convs must not take oneDNN. */
static int capped(void)
{
    printf("capped: oneDNN ISA %s, level %s\n", u8s8_isa_name(),
           u8s8_level_name(u8s8_level()));
    int bad = all_cases();
    IOp op;
    memset(&op, 0, sizeof op);
    op.kind = IOP_CONV;
    op.C = 4, op.H = op.W = 4, op.K = 4, op.R = op.S = 1, op.stride = 1;
    op.P = op.Q = 4;
    op.w = calloc(16, sizeof *op.w);
    op.w[0] = -128;
    IConv *ic;
    Err e;
    if (iconv_init(&ic, &op, 1, 0, 255, &e) != QA_OK)
        return 1;
    if (strcmp(iconv_impl(ic), "loops")) {
        printf("capped: full-range codes on %s\n", iconv_impl(ic));
        bad++;
    }
    iconv_free(ic);
    free(op.w);
    return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--capped"))
        return capped();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact),
        cmocka_unit_test(test_onednn_where_exact),
        cmocka_unit_test(test_capped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
