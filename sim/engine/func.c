/* func.c: the functional chip (see func.h).
 *
 * A conv or fc tile is the GEMM  O[m][n] = sum_k A[m][k] * W[k][n]  of its
 * output block: A the im2col rows of its output pixels (zero outside the
 * image), W the weights of its output channels. The whole reduction is
 * inside the tile (the mapper never splits it), so no partial sum crosses
 * tiles or cores and a tile's outputs are final. Tensors are kept channels
 * last, (batch, P, Q, K), as the chip stores them: codes of 1..8 bits as
 * u8, everything else (int32 branches, wider codes, pooled sums) as int32.
 * Two ways to the same sums (sim/engine/fgemm.h):
 *   fast     u8 codes times weights oneDNN's exact product takes: over
 *            im2col rows in (r, s, c) order, laid out once per layer (none
 *            for a 1x1 stride-1 conv: the input is A);
 *   ordered  loops in the chip's accumulation order, k = (c, r, s)
 *            ascending: every other layer (the classifier reads wide pooled
 *            sums), and any fast tile whose accumulators must be known.
 * The largest partial sum the dataflow holds:
 *   OS      a PE accumulates the whole reduction: every prefix sum;
 *   WS, IS  the reduction is cut into folds of `rows` (the array's rows at
 *           the layer's precision); a partial sum enters row 0 at zero and
 *           flows down, holding the prefix within its fold, and the
 *           accumulator buffer adds the folds: the prefix at each fold end.
 * That is what pe_ref.c reports as max_abs_psum, and a tile re-run there
 * checks it. Ordered tiles track it exactly. A fast tile takes an upper
 * bound of every |partial sum| in any order instead: the layer's
 * amax * max_n sum_k |w| (free) when that fits acc_bits, else the tile's
 * product A x |W| when that fits; a tile where neither fits is also run in
 * order, which gives its exact value (and must give the fast sums). So an
 * accumulator beyond acc_bits is never missed (its tile is always exact)
 * and never invented (a bound is only taken when it fits).
 * Vector-unit ops (add, max pool, the global sum pool of the classifier)
 * follow the rules of quant/int/intref.h element by element.
 *
 * Threads: the tiles of one layer are independent (disjoint outputs, inputs
 * from earlier layers), so func_tile gathers a layer's tiles and computes
 * them all at once, one tile per thread, when the layer's last tile (or a
 * tile of another layer) arrives: one parallel region per layer, not one
 * per tile and loop, which on a shared machine would wait at every end for
 * a descheduled thread. A layer of one tile gives that tile all threads. */
#include "sim/engine/func.h"
#include "models/pe_ref.h"
#include "models/systolic.h"
#include "quant/int/irun.h"
#include "quant/rng.h"
#include "sim/engine/fgemm.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef enum { PART_WHOLE, PART_POOL, PART_FC } Part;

/* Elements per call of the element loops where rows are contiguous. */
#define RQ_SPAN 1024

/* 2^62: see chip_wide_row */
#define WIDE_OFS ((int64_t)1 << 62)

/* A tile waiting to be computed. */
typedef struct {
    int core;
    int64_t t;
} QTile;

/* One thread's room for a tile's (M, N) sums and scratch. */
typedef struct {
    int32_t *c32, *t32;
    size_t cap;
} Scratch;

/* What one thread's tiles of a layer add to its results and to the times
 * (sums and maxima: the order of the tiles does not matter), and the first
 * of them that failed. One per thread, not per tile: a ResNet-20 add of
 * 2000 images has 64,000 tiles, and clearing a result with its Err per
 * tile cost more than adding the tiles. */
typedef struct {
    FuncLayer r;
    FuncTimes tm;
    int64_t bad;     /* index of that thread's first failing tile, -1: none */
    Err e;           /* its error */
} TileOut;

/* A PE-level re-run kept for the end of the run (pe_run_all). */
typedef struct {
    int layer, cols;
    int64_t pix0, k0;      /* the tile's first pixel and channel */
    int64_t mm, n;         /* the block re-run (pe_block) */
    const int32_t *A;      /* the fc's pooled sums, NULL: a conv's rows are
                            * laid out again from its input */
    int64_t *sums;         /* (mm, n) the tile's sums there */
    FuncLayer r;           /* what the re-run adds (pe_* fields) */
    double pe_s;
} PeJob;

struct FuncChip {
    const Accel *a;
    const INet *ref;
    const Net *net;
    const TileSchedule *ts;
    FuncOptions opt;
    int batch, threads;
    int *op_of;      /* (net->n) op computed (in part) by each layer */
    Part *part;      /* (net->n) */
    int *wide;       /* (net->n) outputs as int32 (1) or u8 codes (0) */
    int64_t *ntiles; /* (net->n) tiles of the layer's schedule, all cores */
    int64_t **ctiles; /* (net->n, cores_used) tiles of each core: a core's
                       * groups are summed once, not at every tile */
    int *layer_of;   /* (ref->n) layer holding each op's output */
    int *obits;      /* (ref->n) bits of each op's output as u8 codes, 0: int32 */
    const int16_t **w; /* (ref->n) the chip's weight codes, (K, C, R, S): the
                        * reference's until a fault is injected, then wown */
    int16_t **wown;  /* (ref->n) the chip's own copy, made by func_flip_weight */
    int64_t **row;   /* (ref->n) conv: operand row of each (c, r, s) of the
                      * fast operand, which is in (r, s, c) order */
    int32_t **wt;    /* (ref->n) the ordered operand, (C*R*S, K), (c, r, s) rows */
    FgWeights *fw;   /* (ref->n) the fast operand, (R*S*C, K), (r, s, c) rows */
    int64_t **rqc;   /* (ref->n) conv: bias + 2^(shift-1) per channel, repeated
                      * for rq_rows[i] pixels: (rq_rows * K), and mult and
                      * shift the same way: a call of the element loops
                      * takes several pixels of a narrow layer */
    int32_t **rqm, **rqs;
    int64_t **rqo, **rqd; /* rqc + 2^62 and 2^(62-shift): chip_wide_row's */
    int *rq_rows;
    int *rqfast;     /* (ref->n) conv: every |rqc| < 2^61 (chip_wide_row applies) */
    uint8_t *img8;   /* (batch, C, H, W) as given */
    uint8_t *img;    /* (batch, H, W, C) */
    void **out;      /* (net->n) (batch, P, Q, K), u8 or int32 */
    int64_t *logits; /* (batch, classes) */
    int *pred;       /* (batch) the reference's classes */
    FuncLayer *res;  /* (net->n) */
    /* the tiles of layer qlayer gathered so far */
    int qlayer;
    int64_t qn, qcap;
    QTile *q;
    TileOut *tout;   /* (threads) */
    /* the u8 im2col of layer col_layer (-1: none), (batch*P*Q, R*S*C) */
    int col_layer;
    uint8_t *col;
    size_t col_cap;
    Scratch *scr;    /* (threads) */
    /* the PE-level re-runs: every eligible tile (pe_all), or the sampled
     * ones as pe_key()s, ascending; pe_picks (net->n) per layer */
    int pe_all;
    uint64_t *pe_elig; /* (pe_ne) every eligible tile's key, ascending */
    int64_t pe_ne;
    int64_t *pe_elig_n; /* (net->n) eligible tiles per layer */
    uint64_t *pe_keys; /* (pe_tiles) */
    int64_t pe_nkeys;
    int64_t *pe_picks;
    PeJob *pe_jobs;  /* (pe_njobs) re-runs kept for the end of the run */
    int64_t pe_njobs, pe_jobcap;
    IRun *run;       /* the reference, made by the first func_compare */
    FuncTimes tm;
};

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

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

/* Columns of an op's weights: C*R*S, or C for the classifier. */
static int64_t op_kd(const IOp *op)
{
    return op->kind == IOP_GAPFC ? op->C : (int64_t)op->C * op->R * op->S;
}

/* Bits of the u8 codes an op's input holds, -1 when int32. */
static int in_code_bits(const FuncChip *f, const IOp *op)
{
    if (op->in[0] == INTREF_INPUT)
        return f->ref->in_bits;
    int b = f->obits[op->in[0]];
    return b > 0 ? b : -1;
}

/* dst[row[j] * K + k] = w[k * kd + j]: the weights (K, kd) as a GEMM
 * operand (kd, K) with its rows in the order row[] gives, 16 output
 * channels at a time (reads of 16 rows, writes of 16 neighbours). */
#define TRANSPOSE(T, NAME)                                                      \
    static void NAME(const int16_t *w, int64_t K, int64_t kd, const int64_t *row, \
                     T *dst)                                                    \
    {                                                                           \
        for (int64_t k0 = 0; k0 < K; k0 += 16) {                                \
            int64_t k1 = QA_MIN(K, k0 + 16);                                    \
            for (int64_t j = 0; j < kd; j++) {                                  \
                T *d = dst + row[j] * K;                                        \
                for (int64_t k = k0; k < k1; k++)                               \
                    d[k] = w[k * kd + j];                                       \
            }                                                                   \
        }                                                                       \
    }
TRANSPOSE(int32_t, transpose32)

/* The ordered operand of op id, (C*R*S, K) in (c, r, s) order, made when a
 * layer first needs it (most never do). */
static int ordered_operand(FuncChip *f, int id, Err *e)
{
    if (f->wt[id])
        return QA_OK;
    const IOp *op = &f->ref->ops[id];
    int64_t kd = op_kd(op);
    int64_t *row = qa_malloc(sizeof *row * (size_t)kd);
    f->wt[id] = qa_malloc(sizeof **f->wt * (size_t)(kd * op->K));
    if (!row || !f->wt[id]) {
        free(row);
        return err_set(e, NULL, 0, NULL, "out of memory");
    }
    for (int64_t j = 0; j < kd; j++)
        row[j] = j;
    transpose32(f->w[id], op->K, kd, row, f->wt[id]);
    free(row);
    return QA_OK;
}

/* The fast operand of a conv that reads u8 codes, (R*S*C, K) in (r, s, c)
 * order, and its mode (fgemm.h); the ordered operand is dropped, to be
 * made again from the current codes if needed. */
static int make_operands(FuncChip *f, int id, Err *e)
{
    const IOp *op = &f->ref->ops[id];
    free(f->wt[id]);
    f->wt[id] = NULL;
    fgemm_weights_free(&f->fw[id]);
    int ib = in_code_bits(f, op);
    if (op->kind != IOP_CONV || ib < 0)
        return QA_OK;
    int64_t kd = op_kd(op);
    if (!f->row[id]) {
        if (!(f->row[id] = qa_malloc(sizeof **f->row * (size_t)kd)))
            return err_set(e, NULL, 0, NULL, "out of memory");
        /* (c, r, s) -> (r, s, c) */
        for (int c = 0; c < op->C; c++)
            for (int r = 0; r < op->R; r++)
                for (int s = 0; s < op->S; s++)
                    f->row[id][((int64_t)c * op->R + r) * op->S + s] =
                        ((int64_t)r * op->S + s) * op->C + c;
    }
    return fgemm_weights(&f->fw[id], f->w[id], f->row[id], kd, op->K, (1 << ib) - 1, e);
}

static int64_t core_tiles(const LayerMap *m, int core)
{
    int64_t t = 0;
    for (int g = m->first[core]; g < m->first[core + 1]; g++)
        t += m->groups[g].count;
    return t;
}

/* ---- which tiles the PE-level array re-runs ------------------------------ */

/* A tile's key: layer, core and tile index in ascending schedule order. */
static uint64_t pe_key(int layer, int core, int64_t t)
{
    return (uint64_t)layer << 48 | (uint64_t)core << 32 | (uint64_t)t;
}

/* Whether tile (core, t) of array layer `layer` may be re-run: a non-empty
 * tile of at most pe_max_macs MACs, or the first or last tile of its core. */
static int pe_eligible(const FuncChip *f, int layer, int core, int64_t t)
{
    const LayerMap *m = &f->ts->layers[layer];
    const Layer *l = &f->net->layers[layer];
    TileBlock tb;
    if (tile_block(m, l, core, t, &tb) != QA_OK || tb.k0 == tb.k1 || tb.r0 == tb.r1)
        return 0;
    int64_t macs = (tb.k1 - tb.k0) * (tb.r1 - tb.r0) * l->Q *
                   op_kd(&f->ref->ops[f->op_of[layer]]);
    return macs <= f->opt.pe_max_macs || t == m->spill || t == f->ctiles[layer][core] - 1;
}

/* Every eligible tile in schedule order (layer, core, tile): counts them
 * per layer into pe_elig_n, and stores their keys when keys is given. */
static int64_t pe_walk(FuncChip *f, uint64_t *keys)
{
    int64_t i = 0;
    for (int l = 0; l < f->net->n; l++) {
        if (!layer_on_array(&f->net->layers[l]))
            continue;
        const LayerMap *m = &f->ts->layers[l];
        int64_t n0 = i;
        for (int c = 0; c < m->cores_used; c++)
            for (int64_t t = 0; t < f->ctiles[l][c]; t++)
                if (pe_eligible(f, l, c, t)) {
                    if (keys)
                        keys[i] = pe_key(l, c, t);
                    i++;
                }
        f->pe_elig_n[l] = i - n0;
    }
    return i;
}

/* The eligible tiles (once per FuncChip: they depend on the schedule and
 * --pe-macs only), all of them re-run when pe_tiles is 0 or not below
 * their number. */
static int pe_prepare(FuncChip *f, Err *e)
{
    if (f->opt.pe_max_macs <= 0)
        return QA_OK;
    int64_t E = pe_walk(f, NULL), T = f->opt.pe_tiles;
    f->pe_ne = E;
    if (T <= 0 || T >= E) {
        f->pe_all = 1;
        return QA_OK;
    }
    f->pe_elig = qa_malloc(sizeof *f->pe_elig * (size_t)E);
    f->pe_keys = qa_malloc(sizeof *f->pe_keys * (size_t)T);
    if (!f->pe_elig || !f->pe_keys)
        return err_set(e, NULL, 0, NULL, "out of memory");
    pe_walk(f, f->pe_elig);
    return QA_OK;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* This run's tiles (FuncOptions.pe_tiles): every (E / T)-th of the E
 * eligible tiles from an offset drawn from pe_seed, which spreads them
 * over the network; their keys ascending in pe_keys, counts per layer in
 * pe_picks and res[].pe_eligible. */
static void pe_sample(FuncChip *f)
{
    for (int l = 0; l < f->net->n; l++) {
        f->res[l].pe_eligible = f->pe_elig_n[l];
        f->pe_picks[l] = f->pe_all ? f->pe_elig_n[l] : 0;
    }
    if (f->pe_all || !f->pe_elig)
        return;
    int64_t E = f->pe_ne, T = f->opt.pe_tiles;
    Rng r;
    rng_seed(&r, f->opt.pe_seed);
    int64_t off = (int64_t)(rng_u64(&r) % (uint64_t)E);
    /* j * E / T grows by at least 1 (E > T) and stays below E: distinct */
    int64_t *want = (int64_t *)f->pe_keys; /* same size, replaced below */
    for (int64_t j = 0; j < T; j++)
        want[j] = (off + j * E / T) % E;
    qsort(want, (size_t)T, sizeof *want, cmp_i64);
    /* the eligible keys ascend, so keys at ascending indices do too */
    for (int64_t j = 0; j < T; j++) {
        f->pe_keys[j] = f->pe_elig[want[j]];
        f->pe_picks[f->pe_keys[j] >> 48]++;
    }
    f->pe_nkeys = T;
}

/* Whether the plan re-runs tile (core, t) of layer (an eligible tile). */
static int pe_picked(const FuncChip *f, int layer, int core, int64_t t)
{
    if (f->pe_all)
        return 1;
    uint64_t k = pe_key(layer, core, t);
    int64_t lo = 0, hi = f->pe_nkeys;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (f->pe_keys[mid] < k)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < f->pe_nkeys && f->pe_keys[lo] == k;
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
    f->threads = QA_MAX(1, omp_get_max_threads());
    f->tm.threads = f->threads;
    f->col_layer = f->qlayer = -1;
    int n = net->n;
    f->op_of = qa_calloc((size_t)n, sizeof *f->op_of);
    f->part = qa_calloc((size_t)n, sizeof *f->part);
    f->wide = qa_calloc((size_t)n, sizeof *f->wide);
    f->ntiles = qa_calloc((size_t)n, sizeof *f->ntiles);
    f->ctiles = qa_calloc((size_t)n, sizeof *f->ctiles);
    f->layer_of = qa_calloc((size_t)ref->n, sizeof *f->layer_of);
    f->obits = qa_calloc((size_t)ref->n, sizeof *f->obits);
    f->w = qa_calloc((size_t)ref->n, sizeof *f->w);
    f->wown = qa_calloc((size_t)ref->n, sizeof *f->wown);
    f->row = qa_calloc((size_t)ref->n, sizeof *f->row);
    f->wt = qa_calloc((size_t)ref->n, sizeof *f->wt);
    f->fw = qa_calloc((size_t)ref->n, sizeof *f->fw);
    f->rqc = qa_calloc((size_t)ref->n, sizeof *f->rqc);
    f->rqm = qa_calloc((size_t)ref->n, sizeof *f->rqm);
    f->rqs = qa_calloc((size_t)ref->n, sizeof *f->rqs);
    f->rqo = qa_calloc((size_t)ref->n, sizeof *f->rqo);
    f->rqd = qa_calloc((size_t)ref->n, sizeof *f->rqd);
    f->rq_rows = qa_calloc((size_t)ref->n, sizeof *f->rq_rows);
    f->rqfast = qa_calloc((size_t)ref->n, sizeof *f->rqfast);
    f->out = qa_calloc((size_t)n, sizeof *f->out);
    f->res = qa_calloc((size_t)n, sizeof *f->res);
    f->scr = qa_calloc((size_t)f->threads, sizeof *f->scr);
    f->tout = qa_calloc((size_t)f->threads, sizeof *f->tout);
    f->pe_picks = qa_calloc((size_t)n, sizeof *f->pe_picks);
    f->pe_elig_n = qa_calloc((size_t)n, sizeof *f->pe_elig_n);
    size_t nin = (size_t)ref->in_C * ref->in_H * ref->in_W * f->batch;
    f->img8 = qa_calloc(nin, 1);
    f->img = qa_calloc(nin, 1);
    f->logits = qa_calloc((size_t)f->batch * ref->classes, sizeof *f->logits);
    f->pred = qa_calloc((size_t)f->batch, sizeof *f->pred);
    if (!f->op_of || !f->part || !f->wide || !f->ntiles || !f->ctiles || !f->layer_of || !f->obits ||
        !f->w || !f->wown || !f->row || !f->wt || !f->fw || !f->rqc || !f->rqm || !f->rqs || !f->rqo || !f->rqd || !f->rq_rows ||
        !f->rqfast || !f->out || !f->res || !f->pe_picks || !f->pe_elig_n ||
        !f->scr || !f->tout || !f->img8 || !f->img || !f->logits || !f->pred)
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
    for (int i = 0; i < ref->n; i++) {
        const IOp *op = &ref->ops[i];
        int ib = in_code_bits(f, op);
        if (op->kind == IOP_CONV || op->kind == IOP_ADD)
            f->obits[i] = op->out_bits >= 1 && op->out_bits <= 8 ? op->out_bits : 0;
        else if (op->kind == IOP_MAXPOOL)
            f->obits[i] = ib > 0 ? ib : 0;
    }
    for (int l = 0; l < n; l++) {
        const Layer *ly = &net->layers[l];
        const IOp *op = &ref->ops[f->op_of[l]];
        const LayerMap *m = &ts->layers[l];
        if (ly->N != f->batch || ly->K != (f->part[l] == PART_POOL ? op->C : op->K))
            goto mismatch;
        f->wide[l] = f->part[l] != PART_WHOLE || f->obits[f->op_of[l]] == 0;
        /* the SystemC child never reads them (func_sim_hooks) */
        f->out[l] = qa_private_calloc(out_elems(ly) * (f->wide[l] ? sizeof(int32_t) : 1));
        if (!f->out[l])
            goto oom;
        if (!(f->ctiles[l] = qa_calloc((size_t)QA_MAX(1, m->cores_used), sizeof **f->ctiles)))
            goto oom;
        for (int c = 0; c < m->cores_used; c++)
            f->ntiles[l] += f->ctiles[l][c] = core_tiles(m, c);
    }
    for (int i = 0; i < ref->n; i++) {
        const IOp *op = &ref->ops[i];
        if (op->kind != IOP_CONV && op->kind != IOP_GAPFC)
            continue;
        if (op->kind == IOP_CONV) {
            int rows = QA_MAX(1, RQ_SPAN / op->K);
            size_t len = (size_t)rows * op->K;
            f->rq_rows[i] = rows;
            f->rqc[i] = qa_malloc(sizeof **f->rqc * len);
            f->rqm[i] = qa_malloc(sizeof **f->rqm * len);
            f->rqs[i] = qa_malloc(sizeof **f->rqs * len);
            f->rqo[i] = qa_malloc(sizeof **f->rqo * len);
            f->rqd[i] = qa_malloc(sizeof **f->rqd * len);
            if (!f->rqc[i] || !f->rqm[i] || !f->rqs[i] || !f->rqo[i] || !f->rqd[i])
                goto oom;
            f->rqfast[i] = 1;
            for (size_t j = 0; j < len; j++) {
                int k = (int)(j % (size_t)op->K);
                int64_t c = op->bias[k] + (op->shift[k] ? (int64_t)1 << (op->shift[k] - 1) : 0);
                f->rqc[i][j] = c, f->rqm[i][j] = op->mult[k], f->rqs[i][j] = op->shift[k];
                f->rqo[i][j] = c + WIDE_OFS, f->rqd[i][j] = WIDE_OFS >> op->shift[k];
                if (c >= ((int64_t)1 << 61) || c <= -((int64_t)1 << 61))
                    f->rqfast[i] = 0;
            }
        }
        f->w[i] = op->w;
        if (make_operands(f, i, e) != QA_OK)
            goto fail;
    }
    if (pe_prepare(f, e) != QA_OK)
        goto fail;
    pe_sample(f);
    *fp = f;
    return QA_OK;
mismatch:
    func_free(f);
    return err_set(e, NULL, 0, "network", "the layer graph is not the one "
                   "func_net builds from this integer network");
oom:
    err_set(e, NULL, 0, NULL, "out of memory");
fail:
    func_free(f);
    return QA_ERR;
}

void func_free(FuncChip *f)
{
    if (!f)
        return;
    for (int i = 0; f->w && i < f->ref->n; i++)
        free(f->wown[i]), free(f->row[i]), free(f->wt[i]);
    for (int i = 0; f->fw && i < f->ref->n; i++)
        fgemm_weights_free(&f->fw[i]);
    for (int i = 0; f->rqc && i < f->ref->n; i++)
        free(f->rqc[i]), free(f->rqm[i]), free(f->rqs[i]), free(f->rqo[i]), free(f->rqd[i]);
    for (int l = 0; f->out && l < f->net->n; l++)
        qa_private_free(f->out[l]);
    for (int l = 0; f->ctiles && l < f->net->n; l++)
        free(f->ctiles[l]);
    for (int t = 0; f->scr && t < f->threads; t++)
        free(f->scr[t].c32), free(f->scr[t].t32);
    free(f->op_of), free(f->part), free(f->wide), free(f->ntiles), free(f->layer_of);
    free(f->obits), free(f->w), free(f->wown), free(f->row), free(f->wt), free(f->fw), free(f->rqc), free(f->rqm);
    free(f->rqs), free(f->rqo), free(f->rqd), free(f->rq_rows), free(f->rqfast);
    free(f->out), free(f->res), free(f->scr), free(f->img8), free(f->img);
    free(f->logits), free(f->pred), free(f->q), free(f->tout);
    qa_private_free(f->col);
    free(f->pe_keys), free(f->pe_picks), free(f->ctiles), free(f->pe_elig);
    free(f->pe_elig_n);
    irun_free(f->run);
    for (int64_t i = 0; i < f->pe_njobs; i++)
        free(f->pe_jobs[i].sums);
    free(f->pe_jobs);
    free(f);
}

int func_set_images(FuncChip *f, const uint8_t *images, Err *e)
{
    const int C = f->ref->in_C, HW = f->ref->in_H * f->ref->in_W;
    size_t n = (size_t)C * HW * f->batch;
    int hi = (1 << f->ref->in_bits) - 1;
    for (size_t i = 0; i < n; i++)
        if (images[i] > hi)
            return err_set(e, NULL, 0, "images", "pixel %zu is %d, above the "
                           "%d-bit input codes", i, images[i], f->ref->in_bits);
    memcpy(f->img8, images, n);
    for (int b = 0; b < f->batch; b++)
        for (int c = 0; c < C; c++)
            for (int j = 0; j < HW; j++)
                f->img[((size_t)b * HW + j) * C + c] = images[((size_t)b * C + c) * HW + j];
    f->col_layer = -1;
    return QA_OK;
}

int func_restart(FuncChip *f, const uint8_t *images, uint64_t pe_seed, Err *e)
{
    if (QA_NEVER(f->qn != 0))
        return err_set(e, NULL, 0, "func", "internal: tiles left from the last run");
    for (int l = 0; l < f->net->n; l++)
        memset(&f->res[l], 0, sizeof f->res[l]);
    memset(f->logits, 0, sizeof *f->logits * (size_t)f->batch * (size_t)f->ref->classes);
    memset(f->pred, 0, sizeof *f->pred * (size_t)f->batch);
    f->qlayer = -1;
    f->opt.pe_seed = pe_seed;
    pe_sample(f);
    return func_set_images(f, images, e);
}

int func_flip_weight(FuncChip *f, int layer, int64_t index, int bit, Err *e)
{
    if (layer < 0 || layer >= f->net->n || !layer_on_array(&f->net->layers[layer]))
        return err_set(e, NULL, 0, "layer", "%d is not a conv or fc layer", layer);
    int id = f->op_of[layer];
    const IOp *op = &f->ref->ops[id];
    int64_t nw = (int64_t)op->K * op_kd(op);
    if (index < 0 || index >= nw)
        return err_set(e, NULL, 0, "index", "%lld outside 0..%lld", (long long)index,
                       (long long)nw - 1);
    if (bit < 0 || bit >= op->w_bits)
        return err_set(e, NULL, 0, "bit", "%d outside 0..%d", bit, op->w_bits - 1);
    if (!f->wown[id]) {
        if (!(f->wown[id] = qa_malloc(sizeof **f->wown * (size_t)nw)))
            return err_set(e, NULL, 0, NULL, "out of memory");
        memcpy(f->wown[id], op->w, sizeof **f->wown * (size_t)nw);
        f->w[id] = f->wown[id];
    }
    /* flip in the w_bits-bit two's-complement code, then sign-extend */
    uint32_t mask = (1u << op->w_bits) - 1;
    uint32_t code = ((uint32_t)(int32_t)f->wown[id][index] & mask) ^ (1u << bit);
    int32_t v = (int32_t)code;
    if (code >> (op->w_bits - 1))
        v -= (int32_t)1 << op->w_bits;
    f->wown[id][index] = (int16_t)v;
    return make_operands(f, id, e);
}

/* ---- element loops ------------------------------------------------------ */

/* One row at a time. x86-64's baseline (SSE2) has no multiply of 64-bit
 * lanes, so GCC leaves these scalar; AVX-512 and AVX2 clones, picked at
 * load time where the processor has them, run them 8 and 4 lanes wide.
 * No OpenMP inside: an outlined parallel region would not inherit the
 * target. For codes the floor of a negative sum never matters (it clamps
 * to 0), so the shift is logical; the rules are those of intref.h, in the
 * chip's own copy. Named chip_*: clang gives a static target_clones
 * function a global resolver symbol, so irun.c's codes_row and the like
 * would clash with these where both are linked (the fuzz build). */
#define QA_CLONES __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))

static inline int64_t clamp_code(int64_t y, int bits)
{
    if (bits == 0)
        return y < INT32_MIN ? INT32_MIN : y > INT32_MAX ? INT32_MAX : y;
    int64_t hi = ((int64_t)1 << bits) - 1;
    return y < 0 ? 0 : y > hi ? hi : y;
}

/* floor(t / 2^sh) without >> of a negative number */
static inline int64_t floor_shift(int64_t t, int sh)
{
    return t >= 0 ? t >> sh : -(((-t) - 1) >> sh) - 1;
}

QA_CLONES static int64_t max_abs_row(const int32_t *restrict o, int64_t n)
{
    int64_t mx = 0;
    for (int64_t j = 0; j < n; j++) {
        int64_t v = o[j];
        v = v < 0 ? -v : v;
        mx = mx > v ? mx : v;
    }
    return mx;
}

/* codes: y = min(max(v m + c, 0) >> sh, hi), c = bias + 2^(sh-1) */
QA_CLONES static void chip_codes_row(const int32_t *restrict o, int64_t n,
                                     const int32_t *restrict m, const int64_t *restrict c,
                                     const int32_t *restrict sh, int64_t hi,
                                     uint8_t *restrict y)
{
    for (int64_t j = 0; j < n; j++) {
        int64_t t = (int64_t)o[j] * m[j] + c[j];
        t = t < 0 ? 0 : t;
        int64_t u = (int64_t)((uint64_t)t >> sh[j]);
        y[j] = (uint8_t)(u > hi ? hi : u);
    }
}

/* an int32 branch: floor((v m + c) / 2^sh) saturated, for |v m + c| <
 * 2^62: adding 2^62 makes it >= 0 and moves it by a multiple of 2^sh, so
 * a logical shift floors it (AVX2 has no 64-bit arithmetic shift): c here
 * holds bias + 2^(sh-1) + 2^62, d 2^(62-sh) */
QA_CLONES static void chip_wide_row(const int32_t *restrict o, int64_t n,
                                    const int32_t *restrict m, const int64_t *restrict c,
                                    const int32_t *restrict sh, const int64_t *restrict d,
                                    int32_t *restrict y)
{
    const int64_t lo = INT32_MIN, hi = INT32_MAX;
    for (int64_t j = 0; j < n; j++) {
        int64_t t = (int64_t)o[j] * m[j] + c[j];
        int64_t u = (int64_t)((uint64_t)t >> sh[j]) - d[j];
        u = u < lo ? lo : u;
        u = u > hi ? hi : u;
        y[j] = (int32_t)u;
    }
}

/* the add's codes: y = min(max(a m0 + b m1 + c, 0) >> sh, hi) */
QA_CLONES static void chip_add_row(const int32_t *restrict a, const int32_t *restrict b,
                                   int64_t n, int64_t m0, int64_t m1, int64_t c, int sh,
                                   int64_t hi, uint8_t *restrict y)
{
    for (int64_t j = 0; j < n; j++) {
        int64_t t = a[j] * m0 + b[j] * m1 + c;
        t = t < 0 ? 0 : t;
        int64_t u = (int64_t)((uint64_t)t >> sh);
        y[j] = (uint8_t)(u > hi ? hi : u);
    }
}

/* n elements of a tensor (u8 or int32) from `at`, as int32 */
static inline void widen(const void *p, int wide, int64_t at, int64_t n, int32_t *out)
{
    if (wide)
        memcpy(out, (const int32_t *)p + at, sizeof *out * (size_t)n);
    else
        for (int64_t j = 0; j < n; j++)
            out[j] = ((const uint8_t *)p)[at + j];
}

static inline int32_t elem(const void *p, int wide, int64_t i)
{
    return wide ? ((const int32_t *)p)[i] : ((const uint8_t *)p)[i];
}

/* ---- tiles -------------------------------------------------------------- */

static int bits_needed(int64_t v)
{
    int b = 1; /* the sign */
    while (b < 64 && (v >> (b - 1)) != 0)
        b++;
    return b;
}

/* Input j of op id: the whole (batch, H, W, C) tensor, u8 or int32. */
static const void *op_input(const FuncChip *f, int id, int j, int *wide)
{
    int src = f->ref->ops[id].in[j];
    if (src == INTREF_INPUT) {
        *wide = 0;
        return f->img;
    }
    *wide = f->wide[f->layer_of[src]];
    return f->out[f->layer_of[src]];
}

/* A (M, C*R*S) int32 in the ordered (c, r, s) order: the im2col rows of
 * output pixels pix0.. of conv op id. */
static void im2col32(const FuncChip *f, int id, int64_t pix0, int64_t M, int32_t *A)
{
    const IOp *op = &f->ref->ops[id];
    int wide;
    const void *x = op_input(f, id, 0, &wide);
    int64_t PQ = (int64_t)op->P * op->Q, HWC = (int64_t)op->H * op->W * op->C;
    for (int64_t i = 0; i < M; i++) {
        int64_t pix = pix0 + i, img = pix / PQ, p = pix % PQ / op->Q, q = pix % op->Q;
        int32_t *a = A + i * op_kd(op);
        for (int c = 0; c < op->C; c++)
            for (int r = 0; r < op->R; r++) {
                int64_t h = p * op->stride - op->pad + r;
                for (int s = 0; s < op->S; s++) {
                    int64_t w = q * op->stride - op->pad + s;
                    int inside = h >= 0 && h < op->H && w >= 0 && w < op->W;
                    *a++ = inside ? elem(x, wide, img * HWC + (h * op->W + w) * op->C + c) : 0;
                }
            }
    }
}

/* The fast operand A of conv layer `layer`: its u8 input itself for a 1x1
 * stride-1 conv (lda = C), else the im2col of every output pixel in
 * (r, s, c) order (lda = R*S*C), laid out before the layer's tiles run. */
static int col_prepare(FuncChip *f, int layer, Err *e)
{
    int id = f->op_of[layer], wide;
    const IOp *op = &f->ref->ops[id];
    const uint8_t *x = op_input(f, id, 0, &wide);
    if (QA_NEVER(wide))
        return err_set(e, NULL, 0, op->name, "internal: no u8 input for the fast product");
    if ((op->R == 1 && op->S == 1 && op->stride == 1 && op->pad == 0) ||
        f->col_layer == layer)
        return QA_OK;
    int64_t kd = op_kd(op), rows = (int64_t)f->batch * op->P;
    size_t need = (size_t)(rows * op->Q * kd);
    if (need > f->col_cap) {
        qa_private_free(f->col);
        f->col_cap = 0;
        if (!(f->col = qa_private_calloc(need)))
            return err_set(e, NULL, 0, NULL, "out of memory");
        f->col_cap = need;
    }
    uint8_t *col = f->col;
    const int C = op->C, S = op->S, W = op->W;
    _Pragma("omp parallel for schedule(static) if (need >= 262144)")
    for (int64_t row = 0; row < rows; row++) {
        int64_t img = row / op->P, p = row % op->P;
        const uint8_t *xi = x + (size_t)img * op->H * W * C;
        for (int64_t q = 0; q < op->Q; q++) {
            uint8_t *d = col + (size_t)((row * op->Q + q) * kd);
            int64_t w0 = q * op->stride - op->pad;
            for (int r = 0; r < op->R; r++, d += (size_t)S * C) {
                int64_t h = p * op->stride - op->pad + r;
                if (h < 0 || h >= op->H) {
                    memset(d, 0, (size_t)S * C);
                } else if (w0 >= 0 && w0 + S <= W) {
                    memcpy(d, xi + (size_t)(h * W + w0) * C, (size_t)S * C);
                } else {
                    for (int s = 0; s < S; s++) {
                        int64_t w = w0 + s;
                        if (w < 0 || w >= W)
                            memset(d + (size_t)s * C, 0, (size_t)C);
                        else
                            memcpy(d + (size_t)s * C, xi + (size_t)(h * W + w) * C, (size_t)C);
                    }
                }
            }
        }
    }
    f->col_layer = layer;
    return QA_OK;
}

/* The fast operand of a layer whose im2col is laid out: (A, lda). */
static const uint8_t *col_rows(const FuncChip *f, int layer, int64_t *lda)
{
    int id = f->op_of[layer], wide;
    const IOp *op = &f->ref->ops[id];
    if (op->R == 1 && op->S == 1 && op->stride == 1 && op->pad == 0) {
        *lda = op->C;
        return op_input(f, id, 0, &wide);
    }
    *lda = op_kd(op);
    return f->col;
}

/* Room in s for a tile's (M, N) sums and scratch. */
static int tile_room(Scratch *s, int64_t elems, Err *e)
{
    if ((size_t)elems <= s->cap)
        return QA_OK;
    free(s->c32), free(s->t32);
    s->cap = 0;
    s->c32 = qa_malloc(sizeof *s->c32 * (size_t)elems);
    s->t32 = qa_malloc(sizeof *s->t32 * (size_t)elems);
    if (!s->c32 || !s->t32)
        return err_set(e, NULL, 0, NULL, "out of memory");
    s->cap = (size_t)elems;
    return QA_OK;
}

/* The block of a tile's (M, N) GEMM the PE-level array re-runs: all of it
 * within pe_max_macs MACs, else its leading *mm rows at the tile's column
 * width (at least one row). */
static void pe_block(const FuncChip *f, int cols, int64_t M, int64_t K, int64_t N,
                     int64_t *mm, int64_t *n)
{
    int64_t budget = f->opt.pe_max_macs;
    *n = N, *mm = M;
    if (M * K * N > budget) {
        *n = QA_MIN(N, cols);
        *mm = QA_MIN(M, QA_MAX(1, budget / (K * *n)));
    }
}

/* Re-run (the leading part of) a tile's GEMM on the PE-level array: its
 * results, cycles and largest partial sum must be the functional model's
 * (O32 or O64: the tile's sums, (M, N)); adds to r's pe_* fields and to
 * *pe_s. A: the tile's ordered rows, or NULL to lay out the ones needed
 * here (conv). cols: the tile's column width (tile_cols). */
static int pe_check(const FuncChip *f, int layer, const LayerMap *m, int cols, FuncLayer *r,
                    double *pe_s, const int32_t *A, int64_t pix0, int64_t M, int64_t K,
                    const int32_t *B, int64_t ldb, int64_t N, const int32_t *O32,
                    const int64_t *O64, int64_t fold, Err *e)
{
    double t0 = now_s();
    int64_t n, mm;
    pe_block(f, cols, M, K, N, &mm, &n);
    int32_t *a = NULL;
    int32_t *b = qa_malloc(sizeof *b * (size_t)(K * n));
    int64_t *out = qa_malloc(sizeof *out * (size_t)(mm * n));
    int64_t *o2 = qa_malloc(sizeof *o2 * (size_t)(mm * n));
    int rc = QA_ERR;
    if (!A) {
        a = qa_malloc(sizeof *a * (size_t)(mm * K));
        if (a)
            im2col32(f, f->op_of[layer], pix0, mm, a);
        A = a;
    }
    if (!b || !out || !o2 || !A) {
        err_set(e, NULL, 0, NULL, "out of memory");
        goto done;
    }
    for (int64_t k = 0; k < K; k++)
        memcpy(b + k * n, B + k * ldb, sizeof *b * (size_t)n);
    PeRefStats st;
    if (pe_ref_gemm(f->a->dataflow, m->rows, cols, mm, K, n, A, b, out,
                    f->a->double_buffer, &st, e) != QA_OK)
        goto done;
    for (int64_t i = 0; i < mm; i++)
        for (int64_t j = 0; j < n; j++)
            r->pe_mismatches += out[i * n + j] != (O64 ? O64[i * N + j] : O32[i * N + j]);
    r->pe_tiles++;
    r->pe_macs += st.macs;
    r->pe_cycles += st.cycles;
    r->sys_cycles += sys_gemm_cycles(f->a->dataflow, m->rows, cols, mm, K,
                                     n, f->a->double_buffer);
    r->pe_max_acc = QA_MAX(r->pe_max_acc, st.max_abs_psum);
    int64_t mx;
    if (fgemm_ordered(A, K, b, n, mm, K, n, fold, o2, &mx, e) != QA_OK)
        goto done;
    r->pe_max_want = QA_MAX(r->pe_max_want, mx);
    rc = QA_OK;
done:
    free(a), free(b), free(out), free(o2);
    *pe_s += now_s() - t0;
    return rc;
}

/* Keep a tile's re-run for the end of the run (pe_run_all): its block
 * (pe_block) and the sums there (O32 or O64, the tile's (M, N)). A: the
 * fc's pooled sums (they stay), NULL for a conv (laid out again then).
 * Called from the tile threads. */
static int pe_defer(FuncChip *f, int layer, int cols, const int32_t *A, int64_t pix0,
                    int64_t M, int64_t K, int64_t k0, int64_t N, const int32_t *O32,
                    const int64_t *O64, Err *e)
{
    PeJob j = {.layer = layer, .cols = cols, .A = A, .pix0 = pix0, .k0 = k0};
    pe_block(f, cols, M, K, N, &j.mm, &j.n);
    if (!(j.sums = qa_malloc(sizeof *j.sums * (size_t)(j.mm * j.n))))
        return err_set(e, NULL, 0, NULL, "out of memory");
    for (int64_t i = 0; i < j.mm; i++)
        for (int64_t c = 0; c < j.n; c++)
            j.sums[i * j.n + c] = O64 ? O64[i * N + c] : O32[i * N + c];
    int rc = QA_OK;
    _Pragma("omp critical(func_pe_jobs)")
    {
        if (f->pe_njobs == f->pe_jobcap) {
            int64_t cap = QA_MAX(16, 2 * f->pe_jobcap);
            PeJob *p = qa_realloc(f->pe_jobs, sizeof *p * (size_t)cap);
            if (p)
                f->pe_jobs = p, f->pe_jobcap = cap;
        }
        if (f->pe_njobs < f->pe_jobcap)
            f->pe_jobs[f->pe_njobs++] = j;
        else
            rc = QA_ERR;
    }
    if (rc != QA_OK) {
        free(j.sums);
        return err_set(e, NULL, 0, NULL, "out of memory");
    }
    return QA_OK;
}

static void pe_jobs_clear(FuncChip *f)
{
    for (int64_t i = 0; i < f->pe_njobs; i++)
        free(f->pe_jobs[i].sums);
    f->pe_njobs = 0;
}

/* The kept re-runs, spread over the threads (a re-run steps the whole
 * array every cycle and takes milliseconds: inside its layer's region it
 * held up the layer while the other threads waited), then added to their
 * layers in the order they were kept. The error is the first kept
 * re-run's that failed. */
static int pe_run_all(FuncChip *f, Err *e)
{
    int64_t nj = f->pe_njobs;
    for (int t = 0; t < f->threads; t++)
        f->tout[t].bad = -1;
    _Pragma("omp parallel for schedule(dynamic, 1) num_threads(f->threads) if (nj > 1)")
    for (int64_t i = 0; i < nj; i++) {
        PeJob *j = &f->pe_jobs[i];
        TileOut *o = &f->tout[omp_get_thread_num()];
        const LayerMap *m = &f->ts->layers[j->layer];
        int id = f->op_of[j->layer];
        const IOp *op = &f->ref->ops[id];
        int64_t K = op_kd(op), fold = f->a->dataflow == DF_OS ? K : m->rows;
        Err te;
        memset(&j->r, 0, sizeof j->r);
        j->pe_s = 0;
        if (pe_check(f, j->layer, m, j->cols, &j->r, &j->pe_s, j->A, j->pix0, j->mm, K,
                     f->wt[id] + j->k0, op->K, j->n, NULL, j->sums, fold, &te) != QA_OK &&
            (o->bad < 0 || i < o->bad)) {
            o->bad = i;
            o->e = te;
        }
    }
    const TileOut *first = NULL;
    for (int t = 0; t < f->threads; t++)
        if (f->tout[t].bad >= 0 && (!first || f->tout[t].bad < first->bad))
            first = &f->tout[t];
    if (first) {
        *e = first->e;
        pe_jobs_clear(f);
        return QA_ERR;
    }
    for (int64_t i = 0; i < nj; i++) {
        const FuncLayer *a = &f->pe_jobs[i].r;
        FuncLayer *r = &f->res[f->pe_jobs[i].layer];
        r->pe_tiles += a->pe_tiles, r->pe_macs += a->pe_macs;
        r->pe_mismatches += a->pe_mismatches;
        r->pe_cycles += a->pe_cycles, r->sys_cycles += a->sys_cycles;
        r->pe_max_acc = QA_MAX(r->pe_max_acc, a->pe_max_acc);
        r->pe_max_want = QA_MAX(r->pe_max_want, a->pe_max_want);
        f->tm.pe_s += f->pe_jobs[i].pe_s;
    }
    pe_jobs_clear(f);
    return QA_OK;
}

/* Requantize a tile's sums O (M, N) into the layer's outputs from pixel
 * pix0 and channel k0: codes, an int32 branch, or the classifier's logits
 * (+ bias). O32 or O64. Returns the largest |sum|. inner: the tile has
 * every thread to itself. */
static int64_t store(FuncChip *f, int layer, int64_t pix0, int64_t M, int64_t k0,
                     int64_t N, const int32_t *O32, const int64_t *O64, int inner)
{
    int id = f->op_of[layer];
    const IOp *op = &f->ref->ops[id];
    const int64_t K = op->K;
    if (f->part[layer] == PART_FC) {
        int64_t mx = 0;
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) {
                int64_t v = O64[i * N + j], at = (pix0 + i) * K + k0 + j;
                mx = QA_MAX(mx, v < 0 ? -v : v);
                f->logits[at] = v + op->bias[k0 + j];
                ((int32_t *)f->out[layer])[at] = (int32_t)clamp_code(v + op->bias[k0 + j], 0);
            }
        return mx;
    }
    const int bits = f->wide[layer] ? 0 : op->out_bits;
    const int64_t hi = ((int64_t)1 << bits) - 1;
    uint8_t *y8 = (uint8_t *)f->out[layer] + pix0 * K + k0;
    int32_t *y32 = (int32_t *)f->out[layer] + pix0 * K + k0;
    int64_t mx = 0;
    if (O32 && (bits > 0 || f->rqfast[id])) {
        /* whole rows (N == K) are contiguous: rq_rows of them per call */
        const int64_t g = N == K ? f->rq_rows[id] : 1, groups = QA_CEIL_DIV(M, g);
        const int32_t *m = f->rqm[id] + k0, *sh = f->rqs[id] + k0;
        const int64_t *c = f->rqc[id] + k0, *co = f->rqo[id] + k0, *d = f->rqd[id] + k0;
        _Pragma("omp parallel for schedule(static) reduction(max : mx) if (inner && M * N >= 65536)")
        for (int64_t gi = 0; gi < groups; gi++) {
            int64_t i = gi * g, len = QA_MIN(g, M - i) * N;
            const int32_t *o = O32 + i * N;
            int64_t r = max_abs_row(o, len);
            mx = QA_MAX(mx, r);
            if (bits > 0)
                chip_codes_row(o, len, m, c, sh, hi, y8 + i * K);
            else
                chip_wide_row(o, len, m, co, sh, d, y32 + i * K);
        }
        return mx;
    }
    const int32_t *m = op->mult + k0, *sh = op->shift + k0;
    const int64_t *c = f->rqc[id] + k0;
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            int64_t v = O32 ? O32[i * N + j] : O64[i * N + j];
            mx = QA_MAX(mx, v < 0 ? -v : v);
            int64_t t = v * m[j] + c[j];
            t = clamp_code(sh[j] ? floor_shift(t, sh[j]) : t, bits);
            if (bits > 0)
                y8[i * K + j] = (uint8_t)t;
            else
                y32[i * K + j] = (int32_t)t;
        }
    return mx;
}

/* Conv or fc tile: the sums of its block (fast or ordered), the largest
 * partial sum (exact or bounded, see the file comment), requantization. */
static int array_tile(FuncChip *f, int layer, const LayerMap *m, const TileBlock *tb,
                      int pe, Scratch *s, TileOut *o, int inner, Err *e)
{
    const Layer *l = &f->net->layers[layer];
    int id = f->op_of[layer];
    const IOp *op = &f->ref->ops[id];
    const FgWeights *fw = &f->fw[id];
    FuncLayer *r = &o->r;
    int fc = f->part[layer] == PART_FC;
    int64_t K = op_kd(op);
    int64_t N = tb->k1 - tb->k0, M = (tb->r1 - tb->r0) * l->Q, pix0 = tb->r0 * l->Q;
    int64_t fold = f->a->dataflow == DF_OS ? K : m->rows;
    const int32_t *B = f->wt[id] ? f->wt[id] + tb->k0 : NULL;
    int fast = !fc && fw->mode != FG_ORDERED;
    int exact = !fast || f->opt.exact_acc;
    int64_t tile_max = 0, mx_sum;
    /* oneDNN's products take every thread when the tile has them all */
    const double tw = inner ? f->threads : 1;
    int32_t *A = NULL;
    int64_t *O = NULL;
    int rc = QA_ERR;
    double t0;
    if (fast) {
        int64_t lda;
        const uint8_t *A8 = col_rows(f, layer, &lda) + pix0 * lda;
        if (tile_room(s, M * N, e) != QA_OK)
            return QA_ERR;
        t0 = now_s();
        if (fgemm_fast(fw, A8, lda, M, tb->k0, tb->k1, s->c32, s->t32, e) != QA_OK)
            return QA_ERR;
        o->tm.fast_macs += M * N * K * (fw->mode == FG_SPLIT ? 2 : 1);
        if (!exact) {
            tile_max = fgemm_static_bound(fw);
            if (bits_needed(tile_max) > f->a->acc_bits) {
                if (!fw->abs) {
                    exact = 1;
                } else {
                    int64_t ub;
                    if (fgemm_bound(fw, A8, lda, M, tb->k0, tb->k1, s->t32, &ub, e) != QA_OK)
                        return QA_ERR;
                    o->tm.bound_macs += M * N * K;
                    /* |W| rounded up can make it the looser of the two */
                    tile_max = QA_MIN(tile_max, ub);
                    exact = bits_needed(tile_max) > f->a->acc_bits;
                }
            }
        }
        o->tm.gemm_s += (now_s() - t0) * tw;
        r->fast_tiles++;
    }
    if (QA_NEVER((exact || pe) && !B))
        return err_set(e, NULL, 0, l->name, "internal: no ordered operand");
    if (exact) {
        t0 = now_s();
        if (fc) {
            /* the pooled sums of the block's images (P = Q = 1) */
            A = (int32_t *)f->out[layer - 1] + pix0 * K;
        } else {
            if (!(A = qa_malloc(sizeof *A * (size_t)(M * K))))
                goto oom;
            im2col32(f, id, pix0, M, A);
        }
        if (!(O = qa_malloc(sizeof *O * (size_t)(M * N))))
            goto oom;
        if (fgemm_ordered(A, K, B, op->K, M, K, N, fold, O, &tile_max, e) != QA_OK)
            goto done;
        o->tm.ordered_macs += M * N * K;
        o->tm.ordered_s += now_s() - t0;
        for (int64_t i = 0; fast && i < M * N; i++)
            if (O[i] != s->c32[i]) {
                err_set(e, NULL, 0, l->name, "internal: oneDNN's sum %d differs from "
                        "the ordered sum %lld (tile rows %lld.., channel %lld)",
                        s->c32[i], (long long)O[i], (long long)tb->r0,
                        (long long)(tb->k0 + i % N));
                goto done;
            }
    }
    r->exact_tiles += exact;
    r->max_acc = QA_MAX(r->max_acc, tile_max);
    r->macs += M * K * N;
    mx_sum = store(f, layer, pix0, M, tb->k0, N, fast ? s->c32 : NULL, fast ? NULL : O, inner);
    r->max_sum = QA_MAX(r->max_sum, mx_sum);
    rc = pe ? pe_defer(f, layer, tile_cols(f->a, l, m, N, tb->r1 - tb->r0), fc ? A : NULL,
                       pix0, M, K, tb->k0, N, fast ? s->c32 : NULL, fast ? NULL : O, e)
            : QA_OK;
    goto done;
oom:
    err_set(e, NULL, 0, NULL, "out of memory");
done:
    if (!fc)
        free(A);
    free(O);
    return rc;
}

/* The vector unit on a block (rows r0..r1 of N*P, all Q, channels k0..k1),
 * element by element by the rules of intref.h. The add reads two tensors
 * of the output's shape. */
static void add_block(FuncChip *f, int layer, const TileBlock *tb, int inner)
{
    const Layer *l = &f->net->layers[layer];
    int id = f->op_of[layer], wa, wb;
    const IOp *op = &f->ref->ops[id];
    const void *a = op_input(f, id, 0, &wa), *b = op_input(f, id, 1, &wb);
    const int64_t K = l->K, n = tb->k1 - tb->k0, px0 = tb->r0 * l->Q;
    const int64_t npix = (tb->r1 - tb->r0) * l->Q;
    const int64_t m0 = op->mult[0], m1 = op->mult[1];
    const int sh = op->shift[0], bits = f->wide[layer] ? 0 : op->out_bits;
    const int64_t c = sh ? (int64_t)1 << (sh - 1) : 0, hi = ((int64_t)1 << bits) - 1;
    /* whole rows (n == K) are contiguous: one span of npix * K */
    const int64_t spans = n == K ? 1 : npix, len = n == K ? npix * K : n;
    enum { CHUNK = RQ_SPAN };
    const int64_t chunks = QA_CEIL_DIV(len, CHUNK);
    _Pragma("omp parallel for collapse(2) schedule(static) if (inner && npix * n >= 65536)")
    for (int64_t i = 0; i < spans; i++)
        for (int64_t ch = 0; ch < chunks; ch++) {
            int32_t wa32[CHUNK], wb32[CHUNK];
            int64_t j0 = ch * CHUNK, cl = QA_MIN(CHUNK, len - j0);
            int64_t at = (px0 + i) * K + tb->k0 + j0;
            /* int32 inputs are read in place, u8 codes widened */
            const int32_t *xa = wa ? (const int32_t *)a + at : wa32;
            const int32_t *xb = wb ? (const int32_t *)b + at : wb32;
            if (!wa)
                widen(a, 0, at, cl, wa32);
            if (!wb)
                widen(b, 0, at, cl, wb32);
            if (bits > 0) {
                chip_add_row(xa, xb, cl, m0, m1, c, sh, hi, (uint8_t *)f->out[layer] + at);
                continue;
            }
            for (int64_t j = 0; j < cl; j++) {
                int64_t t = xa[j] * m0 + xb[j] * m1 + c;
                ((int32_t *)f->out[layer])[at + j] =
                    (int32_t)clamp_code(sh ? floor_shift(t, sh) : t, 0);
            }
        }
}

static void maxpool_block(FuncChip *f, int layer, const TileBlock *tb, int inner)
{
    const Layer *l = &f->net->layers[layer];
    int id = f->op_of[layer], wx;
    const IOp *op = &f->ref->ops[id];
    const void *x = op_input(f, id, 0, &wx);
    const int wy = f->wide[layer];
    const int64_t n = tb->k1 - tb->k0, HWC = (int64_t)op->H * op->W * op->C;
    _Pragma("omp parallel for schedule(static) if (inner && (tb->r1 - tb->r0) * l->Q * n >= 65536)")
    for (int64_t row = tb->r0; row < tb->r1; row++) {
        int64_t img = row / l->P, p = row % l->P;
        for (int64_t q = 0; q < l->Q; q++) {
            int64_t at = (row * l->Q + q) * l->K + tb->k0;
            for (int64_t j = 0; j < n; j++) {
                int32_t best = INT32_MIN; /* padding never wins */
                for (int r = 0; r < op->R; r++)
                    for (int s = 0; s < op->S; s++) {
                        int64_t h = p * op->stride - op->pad + r;
                        int64_t w = q * op->stride - op->pad + s;
                        if (h < 0 || h >= op->H || w < 0 || w >= op->W)
                            continue;
                        int32_t v = elem(x, wx, img * HWC + (h * op->W + w) * op->C + tb->k0 + j);
                        best = v > best ? v : best;
                    }
                if (wy)
                    ((int32_t *)f->out[layer])[at + j] = best;
                else
                    ((uint8_t *)f->out[layer])[at + j] = (uint8_t)best;
            }
        }
    }
}

/* The classifier's global sum pool: QA_ERR if a sum leaves int32. */
static int pool_block(FuncChip *f, int layer, const TileBlock *tb, Err *e)
{
    const Layer *l = &f->net->layers[layer];
    int id = f->op_of[layer], wx;
    const IOp *op = &f->ref->ops[id];
    const void *x = op_input(f, id, 0, &wx);
    const int64_t n = tb->k1 - tb->k0, hw = (int64_t)op->H * op->W;
    int64_t *sum = qa_malloc(sizeof *sum * (size_t)n);
    if (!sum)
        return err_set(e, NULL, 0, NULL, "out of memory");
    for (int64_t img = tb->r0; img < tb->r1; img++) {
        for (int64_t j = 0; j < n; j++)
            sum[j] = 0;
        for (int64_t i = 0; i < hw; i++)
            for (int64_t j = 0; j < n; j++)
                sum[j] += elem(x, wx, (img * hw + i) * op->C + tb->k0 + j);
        for (int64_t j = 0; j < n; j++) {
            if (sum[j] > INT32_MAX) {
                long long v = (long long)sum[j];
                free(sum);
                return err_set(e, NULL, 0, l->name, "pooled sum %lld of channel %lld "
                               "exceeds int32", v, (long long)(tb->k0 + j));
            }
            ((int32_t *)f->out[layer])[img * l->K + tb->k0 + j] = (int32_t)sum[j];
        }
    }
    free(sum);
    return QA_OK;
}

/* Tile (core, t) of layer `layer`, its results in o. */
static int tile_compute(FuncChip *f, int layer, int core, int64_t t, Scratch *s,
                        TileOut *o, int inner, Err *e)
{
    const LayerMap *m = &f->ts->layers[layer];
    const Layer *l = &f->net->layers[layer];
    TileBlock tb;
    double t0 = now_s();
    if (tile_block(m, l, core, t, &tb) != QA_OK)
        return err_set(e, NULL, 0, l->name, "no tile %lld on core %d",
                       (long long)t, core);
    if (tb.k0 == tb.k1 || tb.r0 == tb.r1)
        return QA_OK;
    o->r.tiles++;
    o->tm.tiles++;
    if (!layer_on_array(l)) {
        int rc = QA_OK;
        if (f->part[layer] == PART_POOL)
            rc = pool_block(f, layer, &tb, e);
        else if (f->ref->ops[f->op_of[layer]].kind == IOP_ADD)
            add_block(f, layer, &tb, inner);
        else
            maxpool_block(f, layer, &tb, inner);
        o->tm.vector_s += now_s() - t0;
        return rc;
    }
    const IOp *op = &f->ref->ops[f->op_of[layer]];
    int64_t macs = (tb.k1 - tb.k0) * (tb.r1 - tb.r0) * l->Q * op_kd(op);
    int edge = t == m->spill || t == f->ctiles[layer][core] - 1;
    int pe = f->opt.pe_max_macs > 0 && (macs <= f->opt.pe_max_macs || edge) &&
             pe_picked(f, layer, core, t);
    return array_tile(f, layer, m, &tb, pe, s, o, inner, e);
}

/* Add a tile's results to its layer's and the run's. */
static void merge(FuncChip *f, int layer, const TileOut *o)
{
    FuncLayer *r = &f->res[layer];
    const FuncLayer *a = &o->r;
    r->tiles += a->tiles, r->macs += a->macs;
    r->max_acc = QA_MAX(r->max_acc, a->max_acc);
    r->max_sum = QA_MAX(r->max_sum, a->max_sum);
    r->exact_tiles += a->exact_tiles, r->fast_tiles += a->fast_tiles;
    r->pe_tiles += a->pe_tiles, r->pe_macs += a->pe_macs;
    r->pe_mismatches += a->pe_mismatches;
    r->pe_cycles += a->pe_cycles, r->sys_cycles += a->sys_cycles;
    r->pe_max_acc = QA_MAX(r->pe_max_acc, a->pe_max_acc);
    r->pe_max_want = QA_MAX(r->pe_max_want, a->pe_max_want);
    FuncTimes *t = &f->tm;
    const FuncTimes *b = &o->tm;
    t->tiles += b->tiles, t->fast_macs += b->fast_macs, t->bound_macs += b->bound_macs;
    t->ordered_macs += b->ordered_macs;
    t->gemm_s += b->gemm_s, t->ordered_s += b->ordered_s, t->pe_s += b->pe_s;
    t->vector_s += b->vector_s;
}

/* Gathered tile i of `layer` on thread th (inner: it has every thread);
 * each thread takes its tiles in ascending order, so its first failure is
 * its lowest failing index. */
static void tile_one(FuncChip *f, int layer, int64_t i, int th, int inner)
{
    TileOut *o = &f->tout[th];
    Err te;
    if (tile_compute(f, layer, f->q[i].core, f->q[i].t, &f->scr[th], o, inner, &te) !=
            QA_OK && o->bad < 0) {
        o->bad = i;
        o->e = te;
    }
}

/* Compute the gathered tiles: one per thread, or one with every thread. */
static int flush(FuncChip *f, Err *e)
{
    int layer = f->qlayer;
    int64_t n = f->qn;
    if (layer < 0 || n == 0)
        return QA_OK;
    f->qlayer = -1, f->qn = 0;
    double t0 = now_s();
    for (int t = 0; t < f->threads; t++) {
        TileOut *o = &f->tout[t];
        memset(&o->r, 0, sizeof o->r);
        memset(&o->tm, 0, sizeof o->tm);
        o->bad = -1;
    }
    const Layer *l = &f->net->layers[layer];
    if (layer_on_array(l)) {
        int id = f->op_of[layer];
        const FgWeights *fw = &f->fw[id];
        int fast = f->part[layer] != PART_FC && fw->mode != FG_ORDERED;
        /* the ordered operand: for the ordered path, the PE-level re-runs,
         * and fast tiles whose bounds may not fit; the bound product's
         * for those */
        int loose = bits_needed(fgemm_static_bound(fw)) > f->a->acc_bits;
        if ((!fast || f->opt.exact_acc || f->pe_picks[layer] > 0 || loose) &&
            ordered_operand(f, id, e) != QA_OK)
            return QA_ERR;
        if (fast && loose && !f->opt.exact_acc && fgemm_bound_prepare(&f->fw[id], e) != QA_OK)
            return QA_ERR;
        if (fast) {
            if (col_prepare(f, layer, e) != QA_OK)
                return QA_ERR;
            f->tm.im2col_s += now_s() - t0;
        }
    }
    if (n == 1 || f->threads == 1) {
        for (int64_t i = 0; i < n; i++)
            tile_one(f, layer, i, 0, 1);
    } else {
        _Pragma("omp parallel for schedule(dynamic, 1) num_threads(f->threads)")
        for (int64_t i = 0; i < n; i++)
            tile_one(f, layer, i, omp_get_thread_num(), 0);
    }
    f->tm.tile_s += now_s() - t0;
    /* the first failing tile of the layer, as one thread would find it */
    const TileOut *first = NULL;
    for (int t = 0; t < f->threads; t++)
        if (f->tout[t].bad >= 0 && (!first || f->tout[t].bad < first->bad))
            first = &f->tout[t];
    if (first) {
        *e = first->e;
        return QA_ERR;
    }
    for (int t = 0; t < f->threads; t++)
        merge(f, layer, &f->tout[t]);
    return QA_OK;
}

int func_tile(FuncChip *f, int layer, int core, int64_t t, Err *e)
{
    if (layer < 0 || layer >= f->net->n)
        return err_set(e, NULL, 0, "layer", "%d outside 0..%d", layer, f->net->n - 1);
    if (core < 0 || core >= f->ts->layers[layer].cores_used || t < 0 ||
        t >= f->ctiles[layer][core])
        return err_set(e, NULL, 0, f->net->layers[layer].name, "no tile %lld on core %d",
                       (long long)t, core);
    if (layer != f->qlayer) {
        if (flush(f, e) != QA_OK)
            return QA_ERR;
        /* the im2col laid out for another layer is stale once that
         * layer's inputs may have changed */
        if (f->col_layer != layer)
            f->col_layer = -1;
        f->qlayer = layer;
    }
    if (f->qn == f->qcap) {
        int64_t cap = QA_MAX(f->ntiles[layer], 2 * f->qcap);
        QTile *q = qa_realloc(f->q, sizeof *q * (size_t)cap);
        if (q)
            f->q = q;
        if (!q)
            return err_set(e, NULL, 0, NULL, "out of memory");
        f->qcap = cap;
    }
    f->q[f->qn].core = core, f->q[f->qn].t = t;
    f->qn++;
    /* the layer's last tile: compute them all now */
    return f->qn == f->ntiles[layer] ? flush(f, e) : QA_OK;
}

int func_run(FuncChip *f, Err *e)
{
    for (int l = 0; l < f->net->n; l++) {
        const LayerMap *m = &f->ts->layers[l];
        for (int c = 0; c < m->cores_used; c++) {
            int64_t n = f->ctiles[l][c];
            for (int64_t t = 0; t < n; t++)
                if (func_tile(f, l, c, t, e) != QA_OK)
                    return QA_ERR;
        }
    }
    return flush(f, e);
}

/* ---- comparison with the integer reference ------------------------------ */

/* One differing output: counted, and kept if it comes first in (image,
 * channel, row, column) order. */
static void note(FuncLayer *r, int64_t got, int64_t want, int64_t img, int64_t k,
                 int64_t p, int64_t q)
{
    int64_t key[4] = {img, k, p, q};
    int first = r->mismatches++ == 0;
    for (int i = 0; !first && i < 4 && key[i] <= r->first[i]; i++)
        if (key[i] < r->first[i])
            first = 1;
    if (first) {
        memcpy(r->first, key, sizeof key);
        r->got = got, r->want = want;
    }
}

/* Chip outputs (batch, P, Q, K) against the reference's, each u8 or int32. */
static void compare_layer(FuncLayer *r, const void *got, int gw, const void *want, int ww,
                          int64_t batch, int64_t P, int64_t Q, int64_t K)
{
    const int64_t n = batch * P * Q * K;
    int64_t bad = 0;
    r->elems += n;
    if (gw == ww) {
        /* the same element type: equal bytes are equal codes */
        size_t sz = gw ? sizeof(int32_t) : 1;
        const int64_t chunk = 65536, chunks = QA_CEIL_DIV(n, chunk);
        _Pragma("omp parallel for schedule(static) reduction(+ : bad) if (chunks > 1)")
        for (int64_t c = 0; c < chunks; c++) {
            int64_t at = c * chunk, len = QA_MIN(chunk, n - at);
            bad += memcmp((const char *)got + at * sz, (const char *)want + at * sz,
                          (size_t)len * sz) != 0;
        }
    } else {
        bad = 1;
    }
    for (int64_t i = 0; bad && i < n; i++) {
        int64_t g = elem(got, gw, i), w = elem(want, ww, i);
        if (g != w) {
            int64_t pix = i / K;
            note(r, g, w, pix / (P * Q), i % K, pix / Q % P, pix % Q);
        }
    }
}

int func_compare(FuncChip *f, Err *e)
{
    if (flush(f, e) != QA_OK || pe_run_all(f, e) != QA_OK)
        return QA_ERR;
    double t0 = now_s();
    const INet *ref = f->ref;
    if (!f->run && irun_init(&f->run, ref, f->batch, e) != QA_OK)
        return QA_ERR;
    IRun *run = f->run;
    if (irun_forward(run, f->img8, e) != QA_OK)
        return QA_ERR;
    f->tm.ref_s += now_s() - t0;
    const int64_t *lg = irun_logits(run);
    for (int64_t img = 0; img < f->batch; img++) {
        int best = 0;
        for (int k = 1; k < ref->classes; k++)
            if (lg[img * ref->classes + k] > lg[img * ref->classes + best])
                best = k;
        f->pred[img] = best;
    }
    for (int l = 0; l < f->net->n; l++) {
        const Layer *ly = &f->net->layers[l];
        const IOp *op = &ref->ops[f->op_of[l]];
        FuncLayer *r = &f->res[l];
        r->mismatches = r->elems = 0;
        r->first[0] = r->first[1] = r->first[2] = r->first[3] = -1;
        r->acc_bits_needed = layer_on_array(ly) ? bits_needed(r->max_acc) : 0;
        r->overflow = r->acc_bits_needed > f->a->acc_bits;
        if (f->part[l] == PART_FC) {
            r->elems += (int64_t)f->batch * op->K;
            for (int64_t img = 0; img < f->batch; img++)
                for (int k = 0; k < op->K; k++) {
                    int64_t got = f->logits[img * op->K + k];
                    int64_t want = lg[img * op->K + k];
                    if (got != want)
                        note(r, got, want, img, k, 0, 0);
                }
        } else if (f->part[l] == PART_POOL) {
            /* the reference's sums of its own input to the classifier */
            int wide = 0;
            const void *x = op->in[0] == INTREF_INPUT ? f->img : irun_out(run, op->in[0], &wide);
            const int64_t hw = (int64_t)op->H * op->W;
            r->elems += (int64_t)f->batch * op->C;
            for (int64_t img = 0; img < f->batch; img++)
                for (int c = 0; c < op->C; c++) {
                    int64_t s = 0;
                    for (int64_t j = 0; j < hw; j++)
                        s += elem(x, wide, (img * hw + j) * op->C + c);
                    int64_t got = ((const int32_t *)f->out[l])[img * op->C + c];
                    if (got != s)
                        note(r, got, s, img, c, 0, 0);
                }
        } else {
            int wide;
            const void *want = irun_out(run, f->op_of[l], &wide);
            compare_layer(r, f->out[l], f->wide[l], want, wide, f->batch, ly->P, ly->Q, ly->K);
        }
    }
    f->tm.compare_s += now_s() - t0;
    return QA_OK;
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

const FuncTimes *func_times(const FuncChip *f)
{
    return &f->tm;
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

static int hook_finish(void *ctx, Err *e)
{
    return func_compare(ctx, e);
}

SimFunctional func_sim_hooks(FuncChip *f)
{
    SimFunctional h = {f, hook_tile, hook_finish};
    return h;
}
