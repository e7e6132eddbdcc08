/* intref.c: integer-only network inference (rules in intref.h). */
#include "quant/int/intref.h"
#include "quant/int/irun.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int64_t floor_shift(int64_t v, int sh)
{
    /* floor(v / 2^sh) without relying on >> of negative numbers */
    return v >= 0 ? v >> sh : -(((-v) - 1) >> sh) - 1;
}

int64_t intref_requant(int64_t v, int32_t m, int sh, int64_t b)
{
    int64_t t = v * m + b;
    if (sh == 0)
        return t;
    return floor_shift(t + ((int64_t)1 << (sh - 1)), sh);
}

void intref_multiplier(double M, int32_t *m, int32_t *sh)
{
    if (M == 0.0 || !isfinite(M)) {
        *m = 0, *sh = 0;
        return;
    }
    int e;
    frexp(fabs(M), &e); /* |M| = f 2^e, f in [0.5, 1) */
    int s = 24 - e;     /* |M| 2^s in [2^23, 2^24) */
    if (s > 56)
        s = 56;
    if (s < 0)
        s = 0;
    double q = nearbyint(M * ldexp(1.0, s));
    if (fabs(q) >= 16777216.0 && s > 0) /* rounding reached 2^24 */
        q = nearbyint(M * ldexp(1.0, --s));
    if (fabs(q) >= 16777216.0)
        q = q > 0 ? 16777215.0 : -16777215.0;
    *m = (int32_t)q, *sh = s;
}

void intref_init(INet *net)
{
    memset(net, 0, sizeof *net);
}

static void op_free(IOp *op)
{
    free(op->w);
    free(op->mult);
    free(op->shift);
    free(op->bias);
}

void intref_free(INet *net)
{
    for (int i = 0; i < net->n; i++)
        op_free(&net->ops[i]);
    free(net->ops);
    memset(net, 0, sizeof *net);
}

int intref_add(INet *net, const IOp *src, Err *e)
{
    IOp op = *src;
    if (op.kind == IOP_CONV || op.kind == IOP_MAXPOOL) {
        if (op.stride < 1 || op.R < 1 || op.S < 1 || op.pad < 0)
            return err_set(e, NULL, 0, op.name, "bad window %dx%d stride %d pad %d", op.R,
                           op.S, op.stride, op.pad);
        op.P = (op.H + 2 * op.pad - op.R) / op.stride + 1;
        op.Q = (op.W + 2 * op.pad - op.S) / op.stride + 1;
        if (op.P < 1 || op.Q < 1)
            return err_set(e, NULL, 0, op.name, "window larger than the input");
        if (op.kind == IOP_MAXPOOL)
            op.K = op.C;
    } else if (op.kind == IOP_ADD) {
        op.K = op.C, op.P = op.H, op.Q = op.W;
    } else {
        op.P = op.Q = 1;
    }
    if (net->n == net->cap) {
        int cap = net->cap ? 2 * net->cap : 32;
        IOp *o = qa_realloc(net->ops, sizeof *o * cap);
        if (!o)
            return err_set(e, NULL, 0, op.name, "out of memory");
        net->ops = o, net->cap = cap;
    }
    net->ops[net->n] = op;
    return net->n++;
}

static void out_shape(const INet *net, int id, int *C, int *H, int *W)
{
    if (id == INTREF_INPUT) {
        *C = net->in_C, *H = net->in_H, *W = net->in_W;
    } else {
        *C = net->ops[id].K, *H = net->ops[id].P, *W = net->ops[id].Q;
    }
}

/* Largest |value| of op id's output: codes of out_bits bits, an int32
 * branch, or (max pool) its input's. */
static double out_max(const INet *net, int id)
{
    while (id != INTREF_INPUT && net->ops[id].kind == IOP_MAXPOOL)
        id = net->ops[id].in[0];
    if (id == INTREF_INPUT)
        return ldexp(1.0, net->in_bits) - 1;
    const IOp *op = &net->ops[id];
    if (op->kind == IOP_GAPFC || op->out_bits == 0)
        return (double)INT32_MAX;
    return ldexp(1.0, op->out_bits) - 1;
}

/* Vectorized: it reads every weight of the model (25M for ResNet-50), and
 * each load of a model file and each runner checks them. */
static double abs_max16(const int16_t *v, size_t n)
{
    int m = 0;
    _Pragma("omp simd reduction(max : m)")
    for (size_t i = 0; i < n; i++) {
        int a = v[i] < 0 ? -v[i] : v[i];
        m = a > m ? a : m;
    }
    return m;
}

static double abs_max32(const int32_t *v, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m = QA_MAX(m, fabs((double)v[i]));
    return m;
}

/* The integer arithmetic of the rules in intref.h must fit int64 for any
 * input codes: every requantization is v * m + b + 2^(sh-1) with |v * m|
 * and |b| each at most 2^61, and every classifier sum at most 2^61. The
 * bounds use the op's own weights and the widest codes its inputs can
 * hold; a model file that breaks them (a bias of INT64_MAX, a 32-bit
 * input to a wide conv) is refused here, before anything runs. */
#define INTREF_SUM_MAX 2305843009213693952.0 /* 2^61 */

static int check_arith(const INet *net, const IOp *op, Err *e)
{
    size_t nk = (size_t)QA_MAX(op->K, 0);
    size_t nw = op->kind == IOP_CONV ? nk * op->C * op->R * op->S : nk * op->C;
    double x = out_max(net, op->in[0]);
    if (op->kind == IOP_CONV || op->kind == IOP_GAPFC) {
        for (size_t k = 0; k < nk; k++)
            if (op->bias[k] > (int64_t)1 << 61 || op->bias[k] < -((int64_t)1 << 61))
                return err_set(e, NULL, 0, op->name, "bias[%zu] = %lld is outside "
                               "+-2^61: the integer arithmetic would overflow int64", k,
                               (long long)op->bias[k]);
    }
    if (op->kind == IOP_CONV) {
        double acc = abs_max16(op->w, nw) * x * op->C * op->R * op->S;
        double m = abs_max32(op->mult, nk);
        if (acc * m > INTREF_SUM_MAX)
            return err_set(e, NULL, 0, op->name, "partial sums up to %.4g times a "
                           "multiplier up to %.4g pass 2^61: the integer arithmetic "
                           "would overflow int64", acc, m);
    } else if (op->kind == IOP_ADD) {
        double v = out_max(net, op->in[0]) * fabs((double)op->mult[0]) +
                   out_max(net, op->in[1]) * fabs((double)op->mult[1]);
        if (v > INTREF_SUM_MAX)
            return err_set(e, NULL, 0, op->name, "rescaled sum up to %.4g passes 2^61: "
                           "the integer arithmetic would overflow int64", v);
    } else if (op->kind == IOP_GAPFC) {
        double s = abs_max16(op->w, nw) * x * (double)op->H * op->W * op->C;
        if (s > INTREF_SUM_MAX)
            return err_set(e, NULL, 0, op->name, "classifier sums up to %.4g pass "
                           "2^61: the integer arithmetic would overflow int64", s);
    }
    return QA_OK;
}

int intref_validate(const INet *net, Err *e)
{
    if (net->n < 1 || net->ops[net->n - 1].kind != IOP_GAPFC)
        return err_set(e, NULL, 0, "graph", "the last op must be the classifier (gapfc)");
    if (net->in_bits < 1 || net->in_bits > 8)
        return err_set(e, NULL, 0, "input", "in_bits %d outside 1..8 (the image codes "
                       "are bytes)", net->in_bits);
    int64_t elems = (int64_t)net->in_C * net->in_H * net->in_W;
    for (int i = 0; i < net->n; i++) {
        const IOp *op = &net->ops[i];
        int nin = op->kind == IOP_ADD ? 2 : 1;
        for (int j = 0; j < nin; j++) {
            int C, H, W;
            if (op->in[j] < INTREF_INPUT || op->in[j] >= i)
                return err_set(e, NULL, 0, op->name, "input %d is not an earlier op", op->in[j]);
            out_shape(net, op->in[j], &C, &H, &W);
            if (C != op->C || H != op->H || W != op->W)
                return err_set(e, NULL, 0, op->name, "input %d is %dx%dx%d, op expects %dx%dx%d",
                               op->in[j], C, H, W, op->C, op->H, op->W);
        }
        int need_w = op->kind == IOP_CONV || op->kind == IOP_GAPFC;
        if ((need_w && (!op->w || !op->bias)) || (op->kind == IOP_CONV && (!op->mult || !op->shift)) ||
            (op->kind == IOP_ADD && (!op->mult || !op->shift)))
            return err_set(e, NULL, 0, op->name, "missing weights or requantization");
        if (op->out_bits < 0 || op->out_bits > 16)
            return err_set(e, NULL, 0, op->name, "out_bits %d outside 0..16", op->out_bits);
        /* the chip times a layer by its bits (1..16 lanes wide); ops
         * without weights have none */
        if (need_w && (op->w_bits < 1 || op->w_bits > INTREF_MAX_BITS))
            return err_set(e, NULL, 0, op->name, "w_bits %d outside 1..%d", op->w_bits,
                           INTREF_MAX_BITS);
        if (!need_w && op->w_bits != 0)
            return err_set(e, NULL, 0, op->name, "w_bits %d on an op without weights",
                           op->w_bits);
        /* every tensor a forward allocates, and int indexing, stay small */
        int64_t out = (int64_t)op->K * op->P * op->Q;
        if ((int64_t)op->C * op->H * op->W > INTREF_MAX_ELEMS || out > INTREF_MAX_ELEMS)
            return err_set(e, NULL, 0, op->name, "%dx%dx%d in, %dx%dx%d out: more than "
                           "2^26 elements", op->C, op->H, op->W, op->K, op->P, op->Q);
        elems += out;
        if (elems > INTREF_MAX_ELEMS)
            return err_set(e, NULL, 0, op->name, "the network's outputs pass 2^26 "
                           "elements per image");
        int nsh = op->kind == IOP_CONV ? op->K : op->kind == IOP_ADD ? 1 : 0;
        for (int j = 0; j < nsh; j++)
            if (op->shift[j] < 0 || op->shift[j] > 62)
                return err_set(e, NULL, 0, op->name, "shift %d outside 0..62", op->shift[j]);
        if (check_arith(net, op, e) != QA_OK)
            return QA_ERR;
    }
    if (net->classes < 1 || net->classes > 1024)
        return err_set(e, NULL, 0, "classes", "%d outside 1..1024", net->classes);
    if (net->ops[net->n - 1].K != net->classes)
        return err_set(e, NULL, 0, "graph", "classifier has %d outputs, net says %d classes",
                       net->ops[net->n - 1].K, net->classes);
    return QA_OK;
}

static int64_t clamp_code(int64_t y, int bits)
{
    if (bits == 0)
        return y < INT32_MIN ? INT32_MIN : y > INT32_MAX ? INT32_MAX : y;
    int64_t hi = ((int64_t)1 << bits) - 1;
    return y < 0 ? 0 : y > hi ? hi : y;
}

/* acc (P*Q) of output channel k, in T = int32_t or int64_t. int32 is used
 * when max|w| * max|x| * C*R*S cannot overflow it (always for codes of 8
 * bits and below), which lets the compiler vectorize the inner loop. */
#define CONV_ACC(T, NAME)                                                              \
    static void NAME(const IOp *op, int k, const int32_t *x, T *acc)                   \
    {                                                                                  \
        const int P = op->P, Q = op->Q;                                                \
        memset(acc, 0, sizeof(T) * P * Q);                                             \
        for (int c = 0; c < op->C; c++)                                                \
            for (int r = 0; r < op->R; r++)                                            \
                for (int s = 0; s < op->S; s++) {                                      \
                    T wv = op->w[((size_t)(k * op->C + c) * op->R + r) * op->S + s];   \
                    if (wv == 0)                                                       \
                        continue;                                                      \
                    const int32_t *xc = x + (size_t)c * op->H * op->W;                 \
                    /* output columns whose tap lies inside the image */               \
                    int lo = op->pad - s, hi = op->W - 1 + op->pad - s;                \
                    int q0 = lo <= 0 ? 0 : (lo + op->stride - 1) / op->stride;         \
                    int q1 = hi < 0 ? 0 : QA_MIN(Q, hi / op->stride + 1);              \
                    for (int p = 0; p < P; p++) {                                      \
                        int h = p * op->stride - op->pad + r;                          \
                        if (h < 0 || h >= op->H)                                       \
                            continue;                                                  \
                        T *a = acc + p * Q;                                            \
                        const int32_t *xr = xc + h * op->W - op->pad + s;              \
                        if (op->stride == 1)                                           \
                            for (int q = q0; q < q1; q++)                              \
                                a[q] += wv * (T)xr[q];                                 \
                        else                                                           \
                            for (int q = q0; q < q1; q++)                              \
                                a[q] += wv * (T)xr[q * op->stride];                    \
                    }                                                                  \
                }                                                                      \
    }
CONV_ACC(int32_t, conv_acc32)
CONV_ACC(int64_t, conv_acc64)

static void run_conv(const IOp *op, const int32_t *x, int32_t *y, int64_t *acc)
{
    const int PQ = op->P * op->Q;
    int64_t xmax = 0, wmax = 0;
    for (size_t i = 0; i < (size_t)op->C * op->H * op->W; i++)
        xmax = QA_MAX(xmax, x[i] < 0 ? -(int64_t)x[i] : x[i]);
    for (size_t i = 0; i < (size_t)op->K * op->C * op->R * op->S; i++)
        wmax = QA_MAX(wmax, op->w[i] < 0 ? -(int64_t)op->w[i] : op->w[i]);
    int narrow = xmax * wmax * op->C * op->R * op->S < INT32_MAX;
    int32_t *acc32 = (int32_t *)acc; /* acc holds P*Q int64s: room for the int32s */
    for (int k = 0; k < op->K; k++) {
        if (narrow) {
            conv_acc32(op, k, x, acc32);
            for (int i = PQ - 1; i >= 0; i--) /* widen in place, from the end */
                acc[i] = acc32[i];
        } else {
            conv_acc64(op, k, x, acc);
        }
        int32_t *yk = y + (size_t)k * PQ;
        for (int i = 0; i < PQ; i++)
            yk[i] = (int32_t)clamp_code(intref_requant(acc[i], op->mult[k], op->shift[k],
                                                       op->bias[k]), op->out_bits);
    }
}

static size_t op_out_elems(const IOp *op)
{
    return (size_t)op->K * op->P * op->Q;
}

static int forward(const INet *net, const uint8_t *image, int64_t *logits,
                   int32_t *const *outs, Err *e)
{
    size_t total = 0, maxpq = 1;
    for (int i = 0; i < net->n; i++) {
        total += op_out_elems(&net->ops[i]);
        size_t pq = (size_t)net->ops[i].P * net->ops[i].Q;
        if (pq > maxpq)
            maxpq = pq;
    }
    size_t nin = (size_t)net->in_C * net->in_H * net->in_W;
    int32_t *mem = qa_malloc(sizeof(int32_t) * (total + nin));
    int64_t *acc = qa_malloc(sizeof(int64_t) * maxpq);
    int32_t **out = qa_malloc(sizeof(int32_t *) * (net->n + 1));
    if (!mem || !acc || !out) {
        free(mem), free(acc), free(out);
        return err_set(e, NULL, 0, "intref", "out of memory");
    }
    int32_t *img = mem + total;
    for (size_t i = 0; i < nin; i++)
        img[i] = image[i];
    int32_t *p = mem;
    for (int i = 0; i < net->n; i++) {
        const IOp *op = &net->ops[i];
        const int32_t *x = op->in[0] == INTREF_INPUT ? img : out[op->in[0]];
        int32_t *y = out[i] = p;
        p += op_out_elems(op);
        switch (op->kind) {
        case IOP_CONV:
            run_conv(op, x, y, acc);
            break;
        case IOP_ADD: {
            const int32_t *b = op->in[1] == INTREF_INPUT ? img : out[op->in[1]];
            size_t n = op_out_elems(op);
            for (size_t j = 0; j < n; j++) {
                int64_t v = (int64_t)x[j] * op->mult[0] + (int64_t)b[j] * op->mult[1];
                y[j] = (int32_t)clamp_code(intref_requant(v, 1, op->shift[0], 0), op->out_bits);
            }
            break;
        }
        case IOP_MAXPOOL:
            for (int c = 0; c < op->K; c++)
                for (int pp = 0; pp < op->P; pp++)
                    for (int q = 0; q < op->Q; q++) {
                        int32_t best = INT32_MIN;
                        for (int r = 0; r < op->R; r++)
                            for (int s = 0; s < op->S; s++) {
                                int h = pp * op->stride - op->pad + r;
                                int w = q * op->stride - op->pad + s;
                                if (h >= 0 && h < op->H && w >= 0 && w < op->W) {
                                    int32_t v = x[((size_t)c * op->H + h) * op->W + w];
                                    best = v > best ? v : best;
                                }
                            }
                        y[((size_t)c * op->P + pp) * op->Q + q] = best;
                    }
            break;
        case IOP_GAPFC: {
            int64_t *sums = qa_malloc(sizeof(int64_t) * op->C);
            if (!sums) {
                free(mem), free(acc), free(out);
                return err_set(e, NULL, 0, "intref", "out of memory");
            }
            for (int c = 0; c < op->C; c++) {
                int64_t s = 0;
                for (int j = 0; j < op->H * op->W; j++)
                    s += x[(size_t)c * op->H * op->W + j];
                sums[c] = s;
            }
            for (int k = 0; k < op->K; k++) {
                int64_t s = op->bias[k];
                for (int c = 0; c < op->C; c++)
                    s += (int64_t)op->w[(size_t)k * op->C + c] * sums[c];
                if (i == net->n - 1)
                    logits[k] = s;
                y[k] = (int32_t)clamp_code(s, 0);
            }
            free(sums);
            break;
        }
        }
        if (outs && outs[i])
            memcpy(outs[i], y, sizeof(int32_t) * op_out_elems(op));
    }
    free(mem), free(acc), free(out);
    return QA_OK;
}

int intref_forward(const INet *net, const uint8_t *image, int64_t *logits, Err *e)
{
    return forward(net, image, logits, NULL, e);
}

int intref_forward_ops(const INet *net, const uint8_t *image, int64_t *logits,
                       int32_t *const *outs, Err *e)
{
    return forward(net, image, logits, outs, e);
}

int intref_predict(const INet *net, const uint8_t *images, int n, int *pred, Err *e)
{
    return irun_predict(net, images, n, INTREF_BATCH, pred, e);
}
