/* func.c: the functional chip (see func.h).
 *
 * A conv or fc tile is the GEMM  O[m][n] = sum_k A[m][k] * W[k][n]  of its
 * output block: A the im2col rows of its output pixels (k in (c, r, s)
 * order, zero outside the image), W the weights of its output channels.
 * The whole reduction is inside the tile (the mapper never splits it), so
 * no partial sum crosses tiles or cores and a tile's outputs are final.
 * Partial sums are exact (int64) and the largest one the dataflow would
 * hold is tracked:
 *   OS      a PE accumulates the whole reduction: every prefix sum;
 *   WS, IS  the reduction is cut into folds of `rows` (the array's rows at
 *           the layer's precision); a partial sum enters row 0 at zero and
 *           flows down, holding the prefix within its fold, and the
 *           accumulator buffer adds the folds: the prefix at each fold end.
 * That is what pe_ref.c reports as max_abs_psum, and a tile re-run there
 * checks it. Vector-unit ops (add, max pool, the global sum pool of the
 * classifier) follow quant/int/intref.c element by element. */
#include "sim/engine/func.h"
#include "models/pe_ref.h"
#include "models/systolic.h"

#include <stdlib.h>
#include <string.h>

typedef enum { PART_WHOLE, PART_POOL, PART_FC } Part;

struct FuncChip {
    const Accel *a;
    const INet *ref;
    const Net *net;
    const TileSchedule *ts;
    FuncOptions opt;
    int batch;
    int *op_of;      /* (net->n) op computed (in part) by each layer */
    Part *part;      /* (net->n) */
    int *layer_of;   /* (ref->n) layer holding each op's output */
    int16_t **w;     /* (ref->n) the chip's weight codes, (K, C, R, S) */
    int32_t **wt;    /* (ref->n) the same as a GEMM operand, (C*R*S, K) */
    uint8_t *img8;   /* (batch, C, H, W) */
    int32_t *img;    /* the same widened */
    int32_t **out;   /* (net->n) (batch, K, P, Q) */
    int64_t *logits; /* (batch, classes) */
    int *pred;       /* (batch) the reference's classes */
    FuncLayer *res;  /* (net->n) */
};

/* ---- the layer graph ---------------------------------------------------- */

/* Bits of an op's output codes as stored: 32 for an int32 branch. */
static int op_bits(const INet *in, const int *bits, int id)
{
    return id == INTREF_INPUT ? in->in_bits : bits[id];
}

static int ceil_log2(int64_t v)
{
    int b = 0;
    while (((int64_t)1 << b) < v)
        b++;
    return b;
}

int func_net(const INet *in, int batch, Net *net, Err *e)
{
    net_init(net, "model");
    if (batch < 1 || batch > LAYER_BATCH_MAX)
        return err_set(e, NULL, 0, "batch", "%d outside 1..%d", batch,
                       LAYER_BATCH_MAX);
    if (intref_validate(in, e) != QA_OK)
        return QA_ERR;
    int *bits = qa_calloc((size_t)in->n, sizeof *bits);
    int *layer_of = qa_calloc((size_t)in->n, sizeof *layer_of);
    if (!bits || !layer_of) {
        free(bits), free(layer_of);
        return err_set(e, NULL, 0, NULL, "out of memory");
    }
    for (int i = 0; i < in->n; i++) {
        const IOp *op = &in->ops[i];
        Layer l;
        memset(&l, 0, sizeof l);
        snprintf(l.name, sizeof l.name, "%s", op->name);
        l.N = batch;
        l.C = op->C, l.H = op->H, l.W = op->W, l.K = op->K;
        l.R = op->R, l.S = op->S, l.stride = op->stride, l.pad = op->pad;
        l.groups = 1;
        l.in[0] = op->in[0] == INTREF_INPUT ? LAYER_NO_INPUT : layer_of[op->in[0]];
        l.in[1] = LAYER_NO_INPUT;
        int a0 = op_bits(in, bits, op->in[0]);
        switch (op->kind) {
        case IOP_CONV:
            l.op = OP_CONV;
            l.w_bits = op->w_bits, l.a_bits = a0;
            bits[i] = op->out_bits ? op->out_bits : 32;
            l.bn_after = 1;
            break;
        case IOP_ADD:
            l.op = OP_ADD;
            l.R = l.S = l.stride = 1, l.pad = 0;
            l.in[1] = op->in[1] == INTREF_INPUT ? LAYER_NO_INPUT : layer_of[op->in[1]];
            l.a_bits = QA_MAX(a0, op_bits(in, bits, op->in[1]));
            bits[i] = op->out_bits ? op->out_bits : 32;
            break;
        case IOP_MAXPOOL:
            l.op = OP_MAXPOOL;
            l.a_bits = a0;
            bits[i] = a0;
            break;
        case IOP_GAPFC: {
            /* the global sum pool on the vector unit ... */
            int sum_bits = QA_MIN(32, a0 + ceil_log2((int64_t)op->H * op->W));
            snprintf(l.name, sizeof l.name, "%.40s.pool", op->name);
            l.op = OP_AVGPOOL;
            l.K = op->C, l.R = op->H, l.S = op->W, l.stride = 1, l.pad = 0;
            l.a_bits = a0, l.o_bits = sum_bits;
            int id = net_add(net, &l, e);
            if (id < 0)
                goto fail;
            /* ... then the fc on the array, reading the sums */
            memset(&l, 0, sizeof l);
            snprintf(l.name, sizeof l.name, "%s", op->name);
            l.op = OP_FC;
            l.N = batch, l.C = op->C, l.K = op->K;
            l.H = l.W = l.R = l.S = l.stride = 1, l.groups = 1;
            l.in[0] = id, l.in[1] = LAYER_NO_INPUT;
            l.w_bits = op->w_bits, l.a_bits = sum_bits;
            bits[i] = 32;
            break;
        }
        }
        l.o_bits = bits[i];
        int id = net_add(net, &l, e);
        if (id < 0)
            goto fail;
        layer_of[i] = id;
    }
    free(bits), free(layer_of);
    return QA_OK;
fail:
    free(bits), free(layer_of);
    net_free(net);
    net_init(net, "model");
    return QA_ERR;
}

/* ---- state -------------------------------------------------------------- */

static size_t out_elems(const Layer *l)
{
    return (size_t)l->N * l->K * l->P * l->Q;
}

/* The GEMM operand of an op's weights from the chip's codes. */
static void transpose_weights(const IOp *op, const int16_t *w, int32_t *wt)
{
    int64_t kg = op->kind == IOP_GAPFC ? op->C : (int64_t)op->C * op->R * op->S;
    for (int64_t k = 0; k < op->K; k++)
        for (int64_t j = 0; j < kg; j++)
            wt[j * op->K + k] = w[k * kg + j];
}

int func_init(FuncChip **fp, const Accel *a, const INet *ref, const Net *net,
              const TileSchedule *ts, const FuncOptions *o, Err *e)
{
    *fp = NULL;
    if (net->n < 1 || ts->n != net->n)
        return err_set(e, NULL, 0, "schedule", "%d layers, the network has %d",
                       ts->n, net->n);
    /* Every tile's outputs are final only while no tile carries partial
     * sums (the mapper never splits the reduction): refuse anything else
     * rather than combine what this model does not know how to. */
    for (int l = 0; l < ts->n; l++)
        for (int g = 0; g < ts->layers[l].ngroups; g++)
            if (ts->layers[l].groups[g].load_psum_bytes ||
                ts->layers[l].groups[g].store_psum_bytes)
                return err_set(e, NULL, 0, net->layers[l].name, "the schedule splits "
                               "the reduction (partial sums cross tiles): not supported "
                               "by the functional mode");
    FuncChip *f = qa_calloc(1, sizeof *f);
    if (!f)
        return err_set(e, NULL, 0, NULL, "out of memory");
    f->a = a, f->ref = ref, f->net = net, f->ts = ts;
    if (o)
        f->opt = *o;
    f->batch = net->layers[0].N;
    int n = net->n;
    f->op_of = qa_calloc((size_t)n, sizeof *f->op_of);
    f->part = qa_calloc((size_t)n, sizeof *f->part);
    f->layer_of = qa_calloc((size_t)ref->n, sizeof *f->layer_of);
    f->w = qa_calloc((size_t)ref->n, sizeof *f->w);
    f->wt = qa_calloc((size_t)ref->n, sizeof *f->wt);
    f->out = qa_calloc((size_t)n, sizeof *f->out);
    f->res = qa_calloc((size_t)n, sizeof *f->res);
    size_t nin = (size_t)ref->in_C * ref->in_H * ref->in_W * f->batch;
    f->img8 = qa_calloc(nin, 1);
    f->img = qa_calloc(nin, sizeof *f->img);
    f->logits = qa_calloc((size_t)f->batch * ref->classes, sizeof *f->logits);
    f->pred = qa_calloc((size_t)f->batch, sizeof *f->pred);
    if (!f->op_of || !f->part || !f->layer_of || !f->w || !f->wt || !f->out ||
        !f->res || !f->img8 || !f->img || !f->logits || !f->pred)
        goto oom;
    /* Layers and ops in step (func_net's expansion of the classifier). */
    int li = 0;
    for (int i = 0; i < ref->n; i++) {
        int gap = ref->ops[i].kind == IOP_GAPFC;
        if (li + gap >= n)
            goto mismatch;
        if (gap)
            f->op_of[li] = i, f->part[li++] = PART_POOL;
        f->op_of[li] = i;
        f->part[li] = gap ? PART_FC : PART_WHOLE;
        f->layer_of[i] = li++;
    }
    if (li != n)
        goto mismatch;
    for (int l = 0; l < n; l++) {
        const Layer *ly = &net->layers[l];
        const IOp *op = &ref->ops[f->op_of[l]];
        if (ly->N != f->batch || ly->K != (f->part[l] == PART_POOL ? op->C : op->K))
            goto mismatch;
        f->out[l] = qa_calloc(out_elems(ly), sizeof **f->out);
        if (!f->out[l])
            goto oom;
    }
    for (int i = 0; i < ref->n; i++) {
        const IOp *op = &ref->ops[i];
        if (op->kind != IOP_CONV && op->kind != IOP_GAPFC)
            continue;
        size_t nw = (size_t)op->K * op->C * (op->kind == IOP_CONV ? op->R * op->S : 1);
        f->w[i] = qa_malloc(nw * sizeof **f->w);
        f->wt[i] = qa_malloc(nw * sizeof **f->wt);
        if (!f->w[i] || !f->wt[i])
            goto oom;
        memcpy(f->w[i], op->w, nw * sizeof **f->w);
        transpose_weights(op, f->w[i], f->wt[i]);
    }
    *fp = f;
    return QA_OK;
mismatch:
    func_free(f);
    return err_set(e, NULL, 0, "network", "the layer graph is not the one "
                   "func_net builds from this integer network");
oom:
    func_free(f);
    return err_set(e, NULL, 0, NULL, "out of memory");
}

void func_free(FuncChip *f)
{
    if (!f)
        return;
    for (int i = 0; f->w && i < f->ref->n; i++)
        free(f->w[i]), free(f->wt[i]);
    for (int l = 0; f->out && l < f->net->n; l++)
        free(f->out[l]);
    free(f->op_of), free(f->part), free(f->layer_of), free(f->w), free(f->wt);
    free(f->out), free(f->res), free(f->img8), free(f->img), free(f->logits);
    free(f->pred);
    free(f);
}

int func_set_images(FuncChip *f, const uint8_t *images, Err *e)
{
    size_t n = (size_t)f->ref->in_C * f->ref->in_H * f->ref->in_W * f->batch;
    int hi = (1 << f->ref->in_bits) - 1;
    for (size_t i = 0; i < n; i++)
        if (images[i] > hi)
            return err_set(e, NULL, 0, "images", "pixel %zu is %d, above the "
                           "%d-bit input codes", i, images[i], f->ref->in_bits);
    memcpy(f->img8, images, n);
    for (size_t i = 0; i < n; i++)
        f->img[i] = images[i];
    return QA_OK;
}

int func_flip_weight(FuncChip *f, int layer, int64_t index, int bit, Err *e)
{
    if (layer < 0 || layer >= f->net->n || !layer_on_array(&f->net->layers[layer]))
        return err_set(e, NULL, 0, "layer", "%d is not a conv or fc layer", layer);
    int id = f->op_of[layer];
    const IOp *op = &f->ref->ops[id];
    int64_t nw = (int64_t)op->K * op->C * (op->kind == IOP_CONV ? op->R * op->S : 1);
    if (index < 0 || index >= nw)
        return err_set(e, NULL, 0, "index", "%lld outside 0..%lld", (long long)index,
                       (long long)nw - 1);
    if (bit < 0 || bit >= op->w_bits)
        return err_set(e, NULL, 0, "bit", "%d outside 0..%d", bit, op->w_bits - 1);
    /* flip in the w_bits-bit two's-complement code, then sign-extend */
    uint32_t mask = (1u << op->w_bits) - 1;
    uint32_t code = ((uint32_t)(int32_t)f->w[id][index] & mask) ^ (1u << bit);
    int32_t v = (int32_t)code;
    if (code >> (op->w_bits - 1))
        v -= (int32_t)1 << op->w_bits;
    f->w[id][index] = (int16_t)v;
    transpose_weights(op, f->w[id], f->wt[id]);
    return QA_OK;
}

/* ---- tiles -------------------------------------------------------------- */

/* O (M, N) = A (M, K; row stride lda) x B (K, N; row stride ldb), partial
 * sums cut into folds of `fold` along K (see the file comment); returns the
 * largest |partial sum| held. tmp: (N) scratch. T is the type of the sums:
 * int32_t when no partial sum can leave it (|every sum| <= K max|A| max|B|
 * < 2^31, then the results are the same and the inner loop vectorizes),
 * int64_t otherwise. */
#define GEMM(T, NAME)                                                          \
    static int64_t NAME(const int32_t *A, int64_t lda, const int32_t *B,       \
                        int64_t ldb, int64_t M, int64_t K, int64_t N,          \
                        int64_t fold, int64_t *O, T *tmp, T *acc)              \
    {                                                                          \
        T hi = 0, lo = 0; /* max and min partial sum */                        \
        for (int64_t m = 0; m < M; m++) {                                      \
            const int32_t *a = A + m * lda;                                    \
            memset(acc, 0, sizeof *acc * N);                                   \
            for (int64_t k0 = 0; k0 < K; k0 += fold) {                         \
                int64_t k1 = QA_MIN(K, k0 + fold);                             \
                memset(tmp, 0, sizeof *tmp * N);                               \
                for (int64_t k = k0; k < k1; k++) {                            \
                    T av = (T)a[k];                                            \
                    if (av == 0)                                               \
                        continue; /* the partial sums keep their value */      \
                    const int32_t *b = B + k * ldb;                            \
                    for (int64_t n = 0; n < N; n++) {                          \
                        T v = tmp[n] + av * (T)b[n];                           \
                        tmp[n] = v;                                            \
                        hi = v > hi ? v : hi;                                  \
                        lo = v < lo ? v : lo;                                  \
                    }                                                          \
                }                                                              \
                for (int64_t n = 0; n < N; n++) {                              \
                    T v = acc[n] + tmp[n];                                     \
                    acc[n] = v;                                                \
                    hi = v > hi ? v : hi;                                      \
                    lo = v < lo ? v : lo;                                      \
                }                                                              \
            }                                                                  \
            for (int64_t n = 0; n < N; n++)                                    \
                O[m * N + n] = acc[n];                                         \
        }                                                                      \
        return (int64_t)hi > -(int64_t)lo ? (int64_t)hi : -(int64_t)lo;        \
    }
GEMM(int32_t, gemm32)
GEMM(int64_t, gemm64)

static int64_t max_abs(const int32_t *x, int64_t n, int64_t stride, int64_t rows,
                       int64_t ld)
{
    int64_t mx = 0;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t i = 0; i < n; i++) {
            int64_t v = x[r * ld + i * stride];
            mx = QA_MAX(mx, v < 0 ? -v : v);
        }
    return mx;
}

/* gemm32 or gemm64 by the bound above. */
static int gemm(const int32_t *A, int64_t lda, const int32_t *B, int64_t ldb,
                int64_t M, int64_t K, int64_t N, int64_t fold, int64_t *O,
                int64_t *mx, Err *e)
{
    int64_t am = max_abs(A, K, 1, M, lda), bm = max_abs(B, N, 1, K, ldb);
    int narrow = am == 0 || bm == 0 || (am * bm < INT32_MAX && K < INT32_MAX / (am * bm));
    size_t sz = narrow ? sizeof(int32_t) : sizeof(int64_t);
    void *tmp = qa_malloc(sz * (size_t)N), *acc = qa_malloc(sz * (size_t)N);
    if (!tmp || !acc) {
        free(tmp), free(acc);
        return err_set(e, NULL, 0, NULL, "out of memory");
    }
    *mx = narrow ? gemm32(A, lda, B, ldb, M, K, N, fold, O, tmp, acc)
                 : gemm64(A, lda, B, ldb, M, K, N, fold, O, tmp, acc);
    free(tmp), free(acc);
    return QA_OK;
}

static int bits_needed(int64_t v)
{
    int b = 1; /* the sign */
    while (b < 64 && (v >> (b - 1)) != 0)
        b++;
    return b;
}

static const int32_t *op_input(const FuncChip *f, int id, int j, int64_t img)
{
    const IOp *op = &f->ref->ops[id];
    size_t per = (size_t)op->C * op->H * op->W;
    int src = op->in[j];
    if (src == INTREF_INPUT)
        return f->img + per * img;
    return f->out[f->layer_of[src]] + per * img;
}

static int64_t clamp_code(int64_t y, int bits)
{
    if (bits == 0)
        return y < INT32_MIN ? INT32_MIN : y > INT32_MAX ? INT32_MAX : y;
    int64_t hi = ((int64_t)1 << bits) - 1;
    return y < 0 ? 0 : y > hi ? hi : y;
}

/* Re-run (the leading part of) a tile's GEMM on the PE-level array: its
 * results, cycles and largest partial sum must be the functional model's. */
static int pe_check(FuncChip *f, const LayerMap *m, int cols, FuncLayer *r,
                    const int32_t *A, int64_t M, int64_t K, const int32_t *B,
                    int64_t ldb, int64_t N, const int64_t *O, int64_t fold,
                    Err *e)
{
    int64_t budget = f->opt.pe_max_macs;
    int64_t n = N, mm = M;
    if (M * K * N > budget) {
        n = QA_MIN(N, cols);
        mm = QA_MIN(M, QA_MAX(1, budget / (K * n)));
    }
    int32_t *b = qa_malloc(sizeof *b * (size_t)(K * n));
    int64_t *o = qa_malloc(sizeof *o * (size_t)(mm * n));
    int64_t *o2 = qa_malloc(sizeof *o2 * (size_t)(mm * n));
    int rc = QA_ERR;
    if (!b || !o || !o2) {
        err_set(e, NULL, 0, NULL, "out of memory");
        goto done;
    }
    for (int64_t k = 0; k < K; k++)
        memcpy(b + k * n, B + k * ldb, sizeof *b * (size_t)n);
    PeRefStats st;
    if (pe_ref_gemm(f->a->dataflow, m->rows, cols, mm, K, n, A, b, o,
                    f->a->double_buffer, &st, e) != QA_OK)
        goto done;
    for (int64_t i = 0; i < mm; i++)
        for (int64_t j = 0; j < n; j++)
            r->pe_mismatches += o[i * n + j] != O[i * N + j];
    r->pe_tiles++;
    r->pe_macs += st.macs;
    r->pe_cycles += st.cycles;
    r->sys_cycles += sys_gemm_cycles(f->a->dataflow, m->rows, cols, mm, K,
                                     n, f->a->double_buffer);
    r->pe_max_acc = QA_MAX(r->pe_max_acc, st.max_abs_psum);
    int64_t mx;
    if (gemm(A, K, b, n, mm, K, n, fold, o2, &mx, e) != QA_OK)
        goto done;
    r->pe_max_want = QA_MAX(r->pe_max_want, mx);
    rc = QA_OK;
done:
    free(b), free(o), free(o2);
    return rc;
}

/* Conv or fc tile: im2col rows of the block, the GEMM, requantization. */
static int array_tile(FuncChip *f, int layer, const LayerMap *m,
                      const TileBlock *tb, int pe, Err *e)
{
    const Layer *l = &f->net->layers[layer];
    int id = f->op_of[layer];
    const IOp *op = &f->ref->ops[id];
    FuncLayer *r = &f->res[layer];
    int fc = f->part[layer] == PART_FC;
    int64_t K = fc ? op->C : (int64_t)op->C * op->R * op->S;
    int64_t N = tb->k1 - tb->k0, M = (tb->r1 - tb->r0) * l->Q;
    int64_t fold = f->a->dataflow == DF_OS ? K : m->rows;
    int32_t *A = qa_malloc(sizeof *A * (size_t)(M * K));
    int64_t *O = qa_malloc(sizeof *O * (size_t)(M * N));
    int rc = QA_ERR;
    if (!A || !O) {
        err_set(e, NULL, 0, NULL, "out of memory");
        goto done;
    }
    for (int64_t row = tb->r0; row < tb->r1; row++) {
        int64_t img = row / l->P, p = row % l->P;
        if (fc) {
            /* the pooled sums of image `row` (P = Q = 1) */
            const int32_t *x = f->out[layer - 1] + (size_t)img * op->C;
            for (int64_t c = 0; c < K; c++)
                A[(row - tb->r0) * K + c] = x[c];
            continue;
        }
        const int32_t *x = op_input(f, id, 0, img);
        for (int64_t q = 0; q < l->Q; q++) {
            int32_t *a = A + ((row - tb->r0) * l->Q + q) * K;
            for (int c = 0; c < op->C; c++)
                for (int rr = 0; rr < op->R; rr++) {
                    int64_t h = p * op->stride - op->pad + rr;
                    for (int s = 0; s < op->S; s++) {
                        int64_t w = q * op->stride - op->pad + s;
                        int inside = h >= 0 && h < op->H && w >= 0 && w < op->W;
                        *a++ = inside ? x[((size_t)c * op->H + h) * op->W + w] : 0;
                    }
                }
        }
    }
    const int32_t *B = f->wt[id] + tb->k0;
    int64_t mx;
    if (gemm(A, K, B, op->K, M, K, N, fold, O, &mx, e) != QA_OK)
        goto done;
    r->max_acc = QA_MAX(r->max_acc, mx);
    r->macs += M * K * N;
    for (int64_t i = 0; i < M; i++) {
        int64_t row = tb->r0 + i / l->Q, q = i % l->Q;
        int64_t img = row / l->P, p = row % l->P;
        for (int64_t j = 0; j < N; j++) {
            int64_t k = tb->k0 + j, v = O[i * N + j];
            if (fc) {
                v += op->bias[k];
                f->logits[img * op->K + k] = v;
                f->out[layer][img * op->K + k] = (int32_t)clamp_code(v, 0);
                continue;
            }
            v = clamp_code(intref_requant(v, op->mult[k], op->shift[k], op->bias[k]),
                           op->out_bits);
            f->out[layer][((img * op->K + k) * l->P + p) * l->Q + q] = (int32_t)v;
        }
    }
    rc = pe ? pe_check(f, m, tile_cols(f->a, l, m, N, tb->r1 - tb->r0), r, A, M,
                       K, B, op->K, N, O, fold, e)
            : QA_OK;
done:
    free(A), free(O);
    return rc;
}

/* Add, max pool or the classifier's sum pool on a block, as intref does. */
static int vector_tile(FuncChip *f, int layer, const TileBlock *tb, Err *e)
{
    const Layer *l = &f->net->layers[layer];
    int id = f->op_of[layer];
    const IOp *op = &f->ref->ops[id];
    for (int64_t row = tb->r0; row < tb->r1; row++) {
        int64_t img = row / l->P, p = row % l->P;
        const int32_t *x = op_input(f, id, 0, img);
        for (int64_t k = tb->k0; k < tb->k1; k++)
            for (int64_t q = 0; q < l->Q; q++) {
                int64_t y;
                if (f->part[layer] == PART_POOL) {
                    y = 0;
                    for (int j = 0; j < op->H * op->W; j++)
                        y += x[(size_t)k * op->H * op->W + j];
                    if (y > INT32_MAX)
                        return err_set(e, NULL, 0, l->name, "pooled sum %lld of "
                                       "channel %lld exceeds int32", (long long)y,
                                       (long long)k);
                } else if (op->kind == IOP_ADD) {
                    size_t at = ((size_t)k * l->P + p) * l->Q + q;
                    int64_t v = (int64_t)x[at] * op->mult[0] +
                                (int64_t)op_input(f, id, 1, img)[at] * op->mult[1];
                    y = clamp_code(intref_requant(v, 1, op->shift[0], 0), op->out_bits);
                } else {
                    int32_t best = INT32_MIN;
                    for (int r = 0; r < op->R; r++)
                        for (int s = 0; s < op->S; s++) {
                            int64_t h = p * op->stride - op->pad + r;
                            int64_t w = q * op->stride - op->pad + s;
                            if (h >= 0 && h < op->H && w >= 0 && w < op->W) {
                                int32_t v = x[((size_t)k * op->H + h) * op->W + w];
                                best = v > best ? v : best;
                            }
                        }
                    y = best;
                }
                f->out[layer][((img * l->K + k) * l->P + p) * l->Q + q] = (int32_t)y;
            }
    }
    return QA_OK;
}

static int64_t core_tiles(const LayerMap *m, int core)
{
    int64_t t = 0;
    for (int g = m->first[core]; g < m->first[core + 1]; g++)
        t += m->groups[g].count;
    return t;
}

int func_tile(FuncChip *f, int layer, int core, int64_t t, Err *e)
{
    if (layer < 0 || layer >= f->net->n)
        return err_set(e, NULL, 0, "layer", "%d outside 0..%d", layer, f->net->n - 1);
    const LayerMap *m = &f->ts->layers[layer];
    const Layer *l = &f->net->layers[layer];
    TileBlock tb;
    if (tile_block(m, l, core, t, &tb) != QA_OK)
        return err_set(e, NULL, 0, l->name, "no tile %lld on core %d",
                       (long long)t, core);
    if (tb.k0 == tb.k1 || tb.r0 == tb.r1)
        return QA_OK;
    f->res[layer].tiles++;
    if (!layer_on_array(l))
        return vector_tile(f, layer, &tb, e);
    const IOp *op = &f->ref->ops[f->op_of[layer]];
    int64_t K = f->part[layer] == PART_FC ? op->C : (int64_t)op->C * op->R * op->S;
    int64_t macs = (tb.k1 - tb.k0) * (tb.r1 - tb.r0) * l->Q * K;
    int edge = t == m->spill || t == core_tiles(m, core) - 1;
    int pe = f->opt.pe_max_macs > 0 && (macs <= f->opt.pe_max_macs || edge);
    return array_tile(f, layer, m, &tb, pe, e);
}

int func_run(FuncChip *f, Err *e)
{
    for (int l = 0; l < f->net->n; l++) {
        const LayerMap *m = &f->ts->layers[l];
        for (int c = 0; c < m->cores_used; c++) {
            int64_t n = core_tiles(m, c);
            for (int64_t t = 0; t < n; t++)
                if (func_tile(f, l, c, t, e) != QA_OK)
                    return QA_ERR;
        }
    }
    return QA_OK;
}

/* ---- comparison with the integer reference ------------------------------ */

static void record(FuncLayer *r, int64_t got, int64_t want, int64_t img,
                   int64_t k, int64_t p, int64_t q)
{
    r->elems++;
    if (got == want)
        return;
    if (r->mismatches++ == 0) {
        r->first[0] = img, r->first[1] = k, r->first[2] = p, r->first[3] = q;
        r->got = got, r->want = want;
    }
}

int func_compare(FuncChip *f, Err *e)
{
    const INet *ref = f->ref;
    size_t total = 0;
    for (int i = 0; i < ref->n; i++)
        total += (size_t)ref->ops[i].K * ref->ops[i].P * ref->ops[i].Q;
    int32_t *mem = qa_malloc(sizeof *mem * total);
    int32_t **outs = qa_malloc(sizeof *outs * (size_t)ref->n);
    int64_t *lg = qa_malloc(sizeof *lg * (size_t)ref->classes);
    if (!mem || !outs || !lg) {
        free(mem), free(outs), free(lg);
        return err_set(e, NULL, 0, NULL, "out of memory");
    }
    int32_t *p = mem;
    for (int i = 0; i < ref->n; i++) {
        outs[i] = p;
        p += (size_t)ref->ops[i].K * ref->ops[i].P * ref->ops[i].Q;
    }
    for (int l = 0; l < f->net->n; l++) {
        FuncLayer *r = &f->res[l];
        r->mismatches = r->elems = 0;
        r->first[0] = r->first[1] = r->first[2] = r->first[3] = -1;
        r->acc_bits_needed = layer_on_array(&f->net->layers[l]) ? bits_needed(r->max_acc) : 0;
        r->overflow = r->acc_bits_needed > f->a->acc_bits;
    }
    size_t per_img = (size_t)ref->in_C * ref->in_H * ref->in_W;
    int rc = QA_OK;
    for (int64_t img = 0; img < f->batch && rc == QA_OK; img++) {
        rc = intref_forward_ops(ref, f->img8 + per_img * img, lg, outs, e);
        if (rc != QA_OK)
            break;
        int best = 0;
        for (int k = 1; k < ref->classes; k++)
            if (lg[k] > lg[best])
                best = k;
        f->pred[img] = best;
        for (int l = 0; l < f->net->n; l++) {
            const Layer *ly = &f->net->layers[l];
            const IOp *op = &ref->ops[f->op_of[l]];
            FuncLayer *r = &f->res[l];
            size_t per = (size_t)ly->K * ly->P * ly->Q;
            const int32_t *got = f->out[l] + per * img;
            if (f->part[l] == PART_FC) {
                for (int k = 0; k < op->K; k++)
                    record(r, f->logits[img * op->K + k], lg[k], img, k, 0, 0);
            } else if (f->part[l] == PART_POOL) {
                /* the reference's sums of its own input to the classifier */
                const int32_t *x = op->in[0] == INTREF_INPUT
                                       ? f->img + per_img * img : outs[op->in[0]];
                for (int c = 0; c < op->C; c++) {
                    int64_t s = 0;
                    for (int j = 0; j < op->H * op->W; j++)
                        s += x[(size_t)c * op->H * op->W + j];
                    record(r, got[c], s, img, c, 0, 0);
                }
            } else {
                const int32_t *want = outs[f->op_of[l]];
                for (size_t i = 0; i < per; i++)
                    record(r, got[i], want[i], img, (int64_t)(i / ((size_t)ly->P * ly->Q)),
                           (int64_t)(i / ly->Q % ly->P), (int64_t)(i % ly->Q));
            }
        }
        qa_progress("compare", (long)img + 1, f->batch);
    }
    free(mem), free(outs), free(lg);
    return rc;
}

const FuncLayer *func_layers(const FuncChip *f)
{
    return f->res;
}

const int64_t *func_logits(const FuncChip *f)
{
    return f->logits;
}

const int *func_ref_pred(const FuncChip *f)
{
    return f->pred;
}

int64_t func_total_mismatches(const FuncChip *f)
{
    int64_t n = 0;
    for (int l = 0; l < f->net->n; l++)
        n += f->res[l].mismatches;
    return n;
}

int func_overflows(const FuncChip *f)
{
    int n = 0;
    for (int l = 0; l < f->net->n; l++)
        n += f->res[l].overflow;
    return n;
}

/* ---- SystemC hooks ------------------------------------------------------ */

static int hook_tile(void *ctx, int layer, int core, int64_t t, Err *e)
{
    return func_tile(ctx, layer, core, t, e);
}

/* Packed: FuncLayer[n], int64 logits[batch * classes], int pred[batch]. */
static size_t packed_len(const FuncChip *f)
{
    return sizeof *f->res * (size_t)f->net->n +
           sizeof *f->logits * (size_t)f->batch * f->ref->classes +
           sizeof *f->pred * (size_t)f->batch;
}

static int hook_pack(void *ctx, void **buf, size_t *len, Err *e)
{
    FuncChip *f = ctx;
    if (func_compare(f, e) != QA_OK)
        return QA_ERR;
    *len = packed_len(f);
    char *p = qa_malloc(*len);
    if (!(*buf = p))
        return err_set(e, NULL, 0, NULL, "out of memory");
    size_t a = sizeof *f->res * (size_t)f->net->n;
    size_t b = sizeof *f->logits * (size_t)f->batch * f->ref->classes;
    memcpy(p, f->res, a);
    memcpy(p + a, f->logits, b);
    memcpy(p + a + b, f->pred, *len - a - b);
    return QA_OK;
}

static int hook_unpack(void *ctx, const void *buf, size_t len, Err *e)
{
    FuncChip *f = ctx;
    if (len != packed_len(f))
        return err_set(e, NULL, 0, "systemc", "functional results of %zu bytes, "
                       "expected %zu", len, packed_len(f));
    const char *p = buf;
    size_t a = sizeof *f->res * (size_t)f->net->n;
    size_t b = sizeof *f->logits * (size_t)f->batch * f->ref->classes;
    memcpy(f->res, p, a);
    memcpy(f->logits, p + a, b);
    memcpy(f->pred, p + a + b, len - a - b);
    return QA_OK;
}

SimFunctional func_sim_hooks(FuncChip *f)
{
    SimFunctional h = {f, hook_tile, hook_pack, hook_unpack};
    return h;
}
