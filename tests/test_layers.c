/* test_layers.c: every training layer's forward against a direct
 * computation, and its backward against central finite differences of the
 * scalar L = sum(out * r) with a fixed random r. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "quant/train/layers.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

static unsigned long long lcg_state;
static float frand(void) /* uniform in [-1, 1), fixed sequence per test */
{
    lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (float)((lcg_state >> 40) / (double)(1ULL << 24)) * 2.0f - 1.0f;
}
static float *rnd(size_t n)
{
    float *p = malloc(n * sizeof *p);
    for (size_t i = 0; i < n; i++)
        p[i] = frand();
    return p;
}

/* The layer under test as a closure: forward writes out from the current
 * inputs; L = sum(out * r). */
typedef struct {
    void (*fwd)(void *ctx);
    void *ctx;
    const float *out, *r;
    size_t nout;
} Probe;

static double probe_loss(const Probe *p)
{
    p->fwd(p->ctx);
    double s = 0.0;
    for (size_t i = 0; i < p->nout; i++)
        s += (double)p->out[i] * (double)p->r[i];
    return s;
}

/* Compare analytic gradient g of L w.r.t. x[0..n) with central differences. */
static void check_grad(const Probe *p, float *x, const float *g, size_t n,
                       float h, const char *what)
{
    for (size_t i = 0; i < n; i++) {
        float save = x[i];
        x[i] = save + h;
        double lp = probe_loss(p);
        x[i] = save - h;
        double lm = probe_loss(p);
        x[i] = save;
        double num = (lp - lm) / (2.0 * (double)h);
        double err = fabs(num - (double)g[i]) / (1.0 + fabs(num));
        if (err > 5e-3)
            fail_msg("%s[%zu]: numeric %.6f analytic %.6f", what, i, num, (double)g[i]);
    }
}

/* ---- conv2d ---- */
typedef struct {
    ConvDims d;
    float *in, *w, *out, *col;
} ConvCtx;
static void conv_fwd(void *c)
{
    ConvCtx *x = c;
    nn_conv2d_forward(&x->d, x->in, x->w, x->out, x->col);
}

static void conv_case(int N, int C, int H, int W, int K, int R, int S, int stride,
                      int pad)
{
    lcg_state = 42;
    ConvCtx x = {.d = {.N = N, .C = C, .H = H, .W = W, .K = K, .R = R, .S = S,
                       .stride = stride, .pad = pad}};
    nn_dims_finish(&x.d);
    ConvDims *d = &x.d;
    size_t nin = (size_t)C * N * H * W, nw = (size_t)K * C * R * S;
    size_t nout = (size_t)K * N * d->P * d->Q;
    x.in = rnd(nin);
    x.w = rnd(nw);
    x.out = calloc(nout, sizeof(float));
    x.col = calloc(nn_conv_col_floats(d) + 1, sizeof(float));
    float *r = rnd(nout);
    conv_fwd(&x);
    /* direct convolution */
    for (int k = 0; k < K; k++)
        for (int n = 0; n < N; n++)
            for (int p = 0; p < d->P; p++)
                for (int q = 0; q < d->Q; q++) {
                    double s = 0.0;
                    for (int c = 0; c < C; c++)
                        for (int i = 0; i < R; i++)
                            for (int j = 0; j < S; j++) {
                                int hh = p * stride - pad + i, ww = q * stride - pad + j;
                                if (hh < 0 || hh >= H || ww < 0 || ww >= W)
                                    continue;
                                s += (double)x.in[((size_t)(c * N + n) * H + hh) * W + ww] *
                                     (double)x.w[((size_t)(k * C + c) * R + i) * S + j];
                            }
                    float got = x.out[((size_t)(k * N + n) * d->P + p) * d->Q + q];
                    assert_true(fabs((double)got - s) < 1e-4);
                }
    float *din = calloc(nin, sizeof(float)), *dw = calloc(nw, sizeof(float));
    nn_conv2d_backward(d, x.in, x.w, r, din, dw, x.col);
    Probe pr = {conv_fwd, &x, x.out, r, nout};
    check_grad(&pr, x.in, din, nin, 1e-2f, "conv din");
    check_grad(&pr, x.w, dw, nw, 1e-2f, "conv dw");
    /* backward accumulates: a second call doubles the gradients */
    float d0 = din[0], w0 = dw[0];
    nn_conv2d_backward(d, x.in, x.w, r, din, dw, x.col);
    assert_float_equal(din[0], 2 * d0, 1e-5);
    assert_float_equal(dw[0], 2 * w0, 1e-5);
    free(x.in), free(x.w), free(x.out), free(x.col), free(r), free(din), free(dw);
}

static void test_conv_3x3_stride2_pad1(void **s) { (void)s; conv_case(2, 3, 5, 6, 4, 3, 3, 2, 1); }
static void test_conv_3x3_stride1(void **s) { (void)s; conv_case(3, 2, 4, 4, 3, 3, 3, 1, 1); }
static void test_conv_1x1(void **s) { (void)s; conv_case(2, 4, 3, 3, 5, 1, 1, 1, 0); }
static void test_conv_1x1_stride2(void **s) { (void)s; conv_case(2, 3, 5, 5, 2, 1, 1, 2, 0); }
static void test_conv_7x7_stride2_pad3(void **s) { (void)s; conv_case(1, 2, 9, 9, 2, 7, 7, 2, 3); }

static void test_conv_many_slices(void **s) { (void)s; conv_case(5, 3, 9, 9, 4, 3, 3, 1, 1); }
/* Stride 1 with "same" padding takes the shifted-plane path of im2col and
 * col2im: shifts of 2 columns, and a kernel wider than the image. */
static void test_conv_5x5_same(void **s) { (void)s; conv_case(2, 2, 4, 6, 3, 5, 5, 1, 2); }
static void test_conv_kernel_wider_than_image(void **s) { (void)s; conv_case(2, 2, 1, 2, 2, 5, 5, 1, 2); }

/* A shape whose im2col block holds one image: several chunks per batch
 * slice, so the slice's weight gradient is summed over chunks. Forward and
 * both gradients against direct loops (finite differences would be slow). */
static void test_conv_chunks_of_one_image(void **s)
{
    (void)s;
    lcg_state = 3;
    ConvDims d = {.N = 40, .C = 9, .H = 32, .W = 32, .K = 4, .R = 3, .S = 3, .stride = 1, .pad = 1};
    nn_dims_finish(&d);
    size_t nin = (size_t)d.C * d.N * d.H * d.W, nw = (size_t)d.K * d.C * 9;
    size_t nout = (size_t)d.K * d.N * d.P * d.Q;
    float *in = rnd(nin), *w = rnd(nw), *dout = rnd(nout), *out = malloc(nout * 4);
    float *din = calloc(nin, 4), *dw = calloc(nw, 4), *col = calloc(nn_conv_col_floats(&d), 4);
    double *rin = calloc(nin, sizeof(double)), *rw = calloc(nw, sizeof(double));
    assert_true(nn_conv_col_floats(&d) < (size_t)16 * 2 * d.C * 9 * d.P * d.Q + 16 * nw);
    nn_conv2d_forward(&d, in, w, out, col);
    nn_conv2d_backward(&d, in, w, dout, din, dw, col);
    for (int k = 0; k < d.K; k++)
        for (int n = 0; n < d.N; n++)
            for (int p = 0; p < d.P; p++)
                for (int q = 0; q < d.Q; q++) {
                    size_t o = ((size_t)(k * d.N + n) * d.P + p) * d.Q + q;
                    double acc = 0.0;
                    for (int c = 0; c < d.C; c++)
                        for (int i = 0; i < 3; i++)
                            for (int j = 0; j < 3; j++) {
                                int h = p - 1 + i, x = q - 1 + j;
                                if (h < 0 || h >= d.H || x < 0 || x >= d.W)
                                    continue;
                                size_t a = ((size_t)(c * d.N + n) * d.H + h) * d.W + x;
                                size_t b = ((size_t)(k * d.C + c) * 3 + i) * 3 + j;
                                acc += (double)in[a] * (double)w[b];
                                rin[a] += (double)w[b] * (double)dout[o];
                                rw[b] += (double)in[a] * (double)dout[o];
                            }
                    if (fabs((double)out[o] - acc) > 1e-4)
                        fail_msg("out[%zu] %.6f, direct %.6f", o, (double)out[o], acc);
                }
    for (size_t i = 0; i < nin; i++)
        if (fabs((double)din[i] - rin[i]) > 1e-4)
            fail_msg("din[%zu] %.6f, direct %.6f", i, (double)din[i], rin[i]);
    for (size_t i = 0; i < nw; i++) /* sums of 40960 products */
        if (fabs((double)dw[i] - rw[i]) > 1e-5 * (1.0 + fabs(rw[i])) + 2e-3)
            fail_msg("dw[%zu] %.6f, direct %.6f", i, (double)dw[i], rw[i]);
    free(in), free(w), free(dout), free(out), free(din), free(dw), free(col), free(rin), free(rw);
}

/* The batch is cut into fixed slices, never by thread: forward output and
 * both gradients are bit-identical with 1 and 3 threads. */
static void conv_threads(int T, const ConvDims *d, float *out, float *din, float *dw)
{
    lcg_state = 7;
    size_t nin = (size_t)d->C * d->N * d->H * d->W, nw = (size_t)d->K * d->C * d->R * d->S;
    size_t nout = (size_t)d->K * d->N * d->P * d->Q;
    float *in = rnd(nin), *w = rnd(nw), *dout = rnd(nout);
    float *col = calloc(nn_conv_col_floats(d) + 1, sizeof(float));
    int saved = omp_get_max_threads();
    omp_set_num_threads(T);
    nn_conv2d_forward(d, in, w, out, col);
    memset(din, 0, sizeof(float) * nin), memset(dw, 0, sizeof(float) * nw);
    nn_conv2d_backward(d, in, w, dout, din, dw, col);
    omp_set_num_threads(saved);
    free(in), free(w), free(dout), free(col);
}

static void test_conv_thread_count_invariant(void **s)
{
    (void)s;
    ConvDims d = {.N = 7, .C = 6, .H = 10, .W = 10, .K = 8, .R = 3, .S = 3, .stride = 1, .pad = 1};
    nn_dims_finish(&d);
    size_t nin = (size_t)d.C * d.N * d.H * d.W, nw = (size_t)d.K * d.C * 9;
    size_t nout = (size_t)d.K * d.N * d.P * d.Q;
    float *o1 = malloc(nout * 4), *i1 = malloc(nin * 4), *w1 = malloc(nw * 4);
    float *o3 = malloc(nout * 4), *i3 = malloc(nin * 4), *w3 = malloc(nw * 4);
    conv_threads(1, &d, o1, i1, w1);
    conv_threads(3, &d, o3, i3, w3);
    assert_memory_equal(o1, o3, nout * 4);
    assert_memory_equal(i1, i3, nin * 4);
    assert_memory_equal(w1, w3, nw * 4);
    free(o1), free(i1), free(w1), free(o3), free(i3), free(w3);
}

/* ---- batch norm ---- */
typedef struct {
    int C, M;
    float *x, *gamma, *beta, *y, *mean, *rstd, *rm, *rv;
} BnCtx;
static void bn_fwd(void *c)
{
    BnCtx *b = c;
    nn_bn_forward_train(b->C, b->M, b->x, b->gamma, b->beta, b->y, b->mean, b->rstd,
                        b->rm, b->rv, 0.1f, 1e-5f);
}

static void test_bn(void **s)
{
    (void)s;
    lcg_state = 7;
    BnCtx b = {.C = 3, .M = 10};
    size_t n = 30;
    b.x = rnd(n), b.gamma = rnd(3), b.beta = rnd(3), b.y = calloc(n, 4);
    b.mean = calloc(3, 4), b.rstd = calloc(3, 4);
    b.rm = calloc(3, 4), b.rv = calloc(3, 4);
    for (int c = 0; c < 3; c++)
        b.rv[c] = 1.0f;
    bn_fwd(&b);
    for (int c = 0; c < 3; c++) {
        double m = 0, v = 0;
        for (int i = 0; i < 10; i++)
            m += (double)b.x[c * 10 + i];
        m /= 10;
        for (int i = 0; i < 10; i++)
            v += ((double)b.x[c * 10 + i] - m) * ((double)b.x[c * 10 + i] - m);
        /* running stats: 0.9 * init + 0.1 * batch (unbiased variance) */
        assert_float_equal(b.rm[c], (0.1 * m), 1e-6);
        assert_float_equal(b.rv[c], (0.9 + 0.1 * v / 9), 1e-5);
        for (int i = 0; i < 10; i++) {
            double want = (double)b.gamma[c] * ((double)b.x[c * 10 + i] - m) /
                          sqrt(v / 10 + 1e-5) + (double)b.beta[c];
            assert_float_equal(b.y[c * 10 + i], want, 1e-5);
        }
    }
    float *r = rnd(n), *dx = calloc(n, 4), *dg = calloc(3, 4), *db = calloc(3, 4);
    nn_bn_backward(3, 10, b.x, b.gamma, b.mean, b.rstd, r, dx, dg, db);
    Probe pr = {bn_fwd, &b, b.y, r, n};
    check_grad(&pr, b.x, dx, n, 1e-2f, "bn dx");
    check_grad(&pr, b.gamma, dg, 3, 1e-2f, "bn dgamma");
    check_grad(&pr, b.beta, db, 3, 1e-2f, "bn dbeta");
    /* eval mode equals the folded affine */
    float g[3], h[3], ye[30];
    nn_bn_forward_eval(3, 10, b.x, b.gamma, b.beta, b.rm, b.rv, 1e-5f, ye);
    nn_bn_fold(3, b.gamma, b.beta, b.rm, b.rv, 1e-5f, g, h);
    for (int i = 0; i < 30; i++)
        assert_float_equal(ye[i], g[i / 10] * b.x[i] + h[i / 10], 1e-5);
    assert_float_equal(ye[0], b.gamma[0] * (b.x[0] - b.rm[0]) / sqrtf(b.rv[0] + 1e-5f) + b.beta[0], 1e-5);
    free(b.x), free(b.gamma), free(b.beta), free(b.y), free(b.mean), free(b.rstd);
    free(b.rm), free(b.rv), free(r), free(dx), free(dg), free(db);
}

/* ---- relu ---- */
static void test_relu(void **s)
{
    (void)s;
    float x[6] = {-2, -0.5f, 0.3f, 1.5f, -0.1f, 2};
    float y[6], dy[6] = {1, 2, 3, 4, 5, 6}, dx[6] = {0};
    nn_relu_forward(6, x, y);
    float want[6] = {0, 0, 0.3f, 1.5f, 0, 2};
    for (int i = 0; i < 6; i++)
        assert_float_equal(y[i], want[i], 0);
    nn_relu_backward(6, y, dy, dx);
    float wd[6] = {0, 0, 3, 4, 0, 6};
    for (int i = 0; i < 6; i++)
        assert_float_equal(dx[i], wd[i], 0);
}

static void test_add(void **s)
{
    (void)s;
    float a[3] = {1, 2, 3}, b[3] = {0.5f, -2, 4}, y[3];
    nn_add_forward(3, a, b, y);
    assert_float_equal(y[0], 1.5, 0);
    assert_float_equal(y[1], 0, 0);
    assert_float_equal(y[2], 7, 0);
}

/* ---- pools ---- */
typedef struct {
    ConvDims d;
    float *x, *y;
    int *arg;
    int max;
} PoolCtx;
static void pool_fwd(void *c)
{
    PoolCtx *p = c;
    if (p->max)
        nn_maxpool_forward(&p->d, p->x, p->y, p->arg);
    else
        nn_avgpool_forward(&p->d, p->x, p->y);
}

static void pool_case(int max)
{
    lcg_state = 99;
    PoolCtx p = {.d = {.N = 2, .C = 2, .H = 5, .W = 5, .K = 2, .R = 3, .S = 3,
                       .stride = 2, .pad = 1}, .max = max};
    nn_dims_finish(&p.d);
    assert_int_equal(p.d.P, 3);
    size_t nin = 2 * 2 * 25, nout = 2 * 2 * 9;
    /* distinct values far apart so a small step never changes the argmax */
    p.x = malloc(nin * 4);
    for (size_t i = 0; i < nin; i++)
        p.x[i] = (float)((i * 37) % nin) * 0.1f;
    p.y = calloc(nout, 4);
    p.arg = calloc(nout, sizeof(int));
    pool_fwd(&p);
    /* output (c=0,n=0,p=1,q=1): window rows 1..3, cols 1..3 of image 0 */
    float mx = -1e9f, sum = 0;
    for (int h = 1; h <= 3; h++)
        for (int w = 1; w <= 3; w++) {
            float v = p.x[h * 5 + w];
            mx = v > mx ? v : mx;
            sum += v;
        }
    assert_float_equal(p.y[4], max ? mx : sum / 9, 1e-5);
    float *r = rnd(nout), *dx = calloc(nin, 4);
    if (max)
        nn_maxpool_backward(&p.d, p.arg, r, dx);
    else
        nn_avgpool_backward(&p.d, r, dx);
    Probe pr = {pool_fwd, &p, p.y, r, nout};
    check_grad(&pr, p.x, dx, nin, 1e-3f, max ? "maxpool dx" : "avgpool dx");
    free(p.x), free(p.y), free(p.arg), free(r), free(dx);
}
static void test_maxpool(void **s) { (void)s; pool_case(1); }
static void test_avgpool(void **s) { (void)s; pool_case(0); }

/* ---- global average pool ---- */
typedef struct {
    float *x, *y;
} GapCtx;
static void gap_fwd(void *c)
{
    GapCtx *g = c;
    nn_gap_forward(3, 2, 4, g->x, g->y);
}
static void test_gap(void **s)
{
    (void)s;
    lcg_state = 5;
    GapCtx g = {rnd(24), calloc(6, 4)};
    gap_fwd(&g);
    assert_float_equal(g.y[1], (g.x[4] + g.x[5] + g.x[6] + g.x[7]) / 4, 1e-6);
    float *r = rnd(6), *dx = calloc(24, 4);
    nn_gap_backward(3, 2, 4, r, dx);
    Probe pr = {gap_fwd, &g, g.y, r, 6};
    check_grad(&pr, g.x, dx, 24, 1e-2f, "gap dx");
    free(g.x), free(g.y), free(r), free(dx);
}

/* ---- linear ---- */
typedef struct {
    float *x, *w, *b, *y;
} LinCtx;
static void lin_fwd(void *c)
{
    LinCtx *l = c;
    nn_linear_forward(3, 4, 2, l->x, l->w, l->b, l->y);
}
static void test_linear(void **s)
{
    (void)s;
    lcg_state = 11;
    LinCtx l = {rnd(12), rnd(8), rnd(2), calloc(6, 4)};
    lin_fwd(&l);
    /* y[k=1, n=2] = sum_c w[1,c] x[c,2] + b[1] */
    double want = l.b[1];
    for (int c = 0; c < 4; c++)
        want += (double)(l.w[4 + c] * l.x[c * 3 + 2]);
    assert_float_equal(l.y[3 + 2], want, 1e-5);
    float *r = rnd(6), *dx = calloc(12, 4), *dw = calloc(8, 4), *db = calloc(2, 4);
    nn_linear_backward(3, 4, 2, l.x, l.w, r, dx, dw, db);
    Probe pr = {lin_fwd, &l, l.y, r, 6};
    check_grad(&pr, l.x, dx, 12, 1e-2f, "linear dx");
    check_grad(&pr, l.w, dw, 8, 1e-2f, "linear dw");
    check_grad(&pr, l.b, db, 2, 1e-2f, "linear db");
    free(l.x), free(l.w), free(l.b), free(l.y), free(r), free(dx), free(dw), free(db);
}

/* ---- softmax cross-entropy ---- */
static void test_softmax_xent(void **s)
{
    (void)s;
    /* two classes, logits 0 and ln 3: p = (1/4, 3/4) */
    float lg[4] = {0.0f, 0.0f, logf(3.0f), logf(3.0f)}; /* (K=2, N=2) */
    unsigned char y[2] = {1, 0};
    float d[4];
    int ok = -1;
    float loss = nn_softmax_xent(2, 2, lg, y, d, &ok);
    assert_float_equal(loss, (-logf(0.75f) - logf(0.25f)) / 2, 1e-6);
    assert_int_equal(ok, 1);
    assert_float_equal(d[0], (0.25 - 0) / 2, 1e-6);  /* k=0, n=0 */
    assert_float_equal(d[2], (0.75 - 1) / 2, 1e-6);  /* k=1, n=0 */
    assert_float_equal(d[1], (0.25 - 1) / 2, 1e-6);  /* k=0, n=1 */
    /* finite differences on random logits */
    lcg_state = 3;
    float *l2 = rnd(15), g2[15];
    unsigned char y2[3] = {4, 0, 2};
    nn_softmax_xent(3, 5, l2, y2, g2, NULL);
    for (int i = 0; i < 15; i++) {
        float sv = l2[i];
        l2[i] = sv + 1e-2f;
        double lp = nn_softmax_xent(3, 5, l2, y2, NULL, NULL);
        l2[i] = sv - 1e-2f;
        double lm = nn_softmax_xent(3, 5, l2, y2, NULL, NULL);
        l2[i] = sv;
        assert_float_equal(((lp - lm) / 2e-2), g2[i], 1e-3);
    }
    free(l2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv_3x3_stride2_pad1),
        cmocka_unit_test(test_conv_3x3_stride1),
        cmocka_unit_test(test_conv_1x1),
        cmocka_unit_test(test_conv_1x1_stride2),
        cmocka_unit_test(test_conv_7x7_stride2_pad3),
        cmocka_unit_test(test_conv_5x5_same),
        cmocka_unit_test(test_conv_kernel_wider_than_image),
        cmocka_unit_test(test_conv_chunks_of_one_image),
        cmocka_unit_test(test_conv_many_slices),
        cmocka_unit_test(test_conv_thread_count_invariant),
        cmocka_unit_test(test_bn),
        cmocka_unit_test(test_relu),
        cmocka_unit_test(test_add),
        cmocka_unit_test(test_maxpool),
        cmocka_unit_test(test_avgpool),
        cmocka_unit_test(test_gap),
        cmocka_unit_test(test_linear),
        cmocka_unit_test(test_softmax_xent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
