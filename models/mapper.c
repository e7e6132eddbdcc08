/* mapper.c: the plan of least cycles (mapper.h).
 *
 * Per layer, the space is the cross product of: core split (output channels
 * or output rows), cores used (1 .. min(cores, units)), channel and row
 * blocks per core (1, 2, 4, ... up to the share), loop order, caching of
 * the re-streamed tensor; each tile then uses the column width that
 * finishes it first. Across layers, a state is the set of live tensors held
 * on chip; at each layer any held tensor may be written back (spilled), and
 * the output may be kept. The total is the sum of the layers' cycles, and a
 * layer's cycles depend only on its own mapping and context, so dynamic
 * programming over the states finds the exact optimum of the whole space.
 *
 * Per layer and context (inputs on chip, output kept, bytes spilled) the
 * candidates are kept as a frontier: the fastest mapping for every amount
 * of scratchpad left by the resident tensors. Candidates are visited by a
 * lower bound (busiest core's compute, DRAM bytes / bandwidth); one whose
 * bound is no better than a frontier point that needs no more scratchpad
 * cannot join it and is not priced. The rest are priced exactly: their
 * schedule is built (tiling.c) and timed (analytic_layer).
 *
 * Monotone by construction: with more scratchpad, bandwidth or cores, or
 * at fewer bits, every plan of the smaller chip is still a plan (cores used
 * and column widths are choices; tensors shrink) and none is slower (the
 * pipeline is max-plus in its transfer and compute times), so the optimum
 * cannot get worse. */
#include "models/mapper.h"
#include "models/analytic.h"
#include "models/traffic.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The start of the one message map_net fails with when nothing fits. */
#define MAP_NOFIT "does not fit"

int map_err_nofit(const Err *e)
{
    return e && !e->file[0] && e->field[0] &&
           !strncmp(e->msg, MAP_NOFIT, strlen(MAP_NOFIT));
}

/* A tile shape: the choices that fix compute cycles and per-pass bytes
 * (traffic_shape derives the rest again when a candidate is priced). */
typedef struct {
    int split, cores_used;
    int64_t tn, tr, nb_n, nb_m;
    int64_t compute;
} Shape;

/* A shape with a loop order and caching, priced by traffic.c once per
 * class with every input and the weights in DRAM, for an output sent to
 * DRAM ([0]) and kept ([1]); a context only takes parts of it away.
 * Variants are in the order (shape, order, cache), which breaks ties. */
typedef struct {
    int shape, order, cache;
    int64_t w_reads, in_reads;
    int64_t dram_w, dram_in_k[2], out_all;
    int64_t buffer[2], held[2];
} Variant;

/* A candidate priced in a context: its cycles and the first core's
 * pipeline (a tighter bound), -1 until known. */
typedef struct {
    int var;
    int64_t cycles, first;
} Priced;

/* Layers of the same shape and bits share their shapes and frontiers. */
typedef struct {
    int rep;             /* the first layer of the class */
    LayerMap arr;        /* array fields (tile_array) */
    Shape *shapes;
    int nshapes;         /* -1: not built yet */
    Variant *var;
    int nvar;
} Class;

/* The candidates of one layer class in one context: every variant with a
 * lower bound of its cycles (lb, -1 when it fits no chip of this size),
 * the few priced, and the last answers given (budget -> variant). A
 * candidate's bytes and key (the chip bytes it needs besides resident
 * tensors, cores * buffers + held: it fits when key <= cores * sram -
 * resident) follow from its variant and the context. */
typedef struct {
    int cls, flags, keep, w_res;
    int64_t spill;
    int w_on_chip, in_on_chip[2]; /* the context as the layer sees it */
    int64_t *lb;         /* (nvar) */
    Priced *priced;
    int npriced, cappriced;
    int64_t memo_budget[4], memo_cycles[4];
    int memo_pick[4], memo_n;
} Frontier;

/* A candidate a query may price, with what orders it. */
typedef struct {
    int64_t lb, bytes, key;
    int var;
} Pick;

typedef struct {
    const Accel *a;
    const Net *net;
    int *cls_of;         /* (n) */
    Class *cls;
    int ncls;
    Frontier *fr;
    int nfr, capfr;
    Pick *pick;          /* (most variants of a class) scratch of query */
    int cappick;
} Mapper;

/* ---- layer classes ---- */

static int same_shape(const Layer *x, const Layer *y)
{
    return x->op == y->op && x->N == y->N && x->C == y->C && x->K == y->K &&
           x->H == y->H && x->W == y->W && x->R == y->R && x->S == y->S &&
           x->P == y->P && x->Q == y->Q && x->stride == y->stride &&
           x->pad == y->pad && x->groups == y->groups &&
           x->stride_w == y->stride_w && x->dil_h == y->dil_h &&
           x->dil_w == y->dil_w && !memcmp(x->pads, y->pads, sizeof x->pads) &&
           x->vec_ops == y->vec_ops && x->in1_elems == y->in1_elems &&
           x->w_bits == y->w_bits && x->a_bits == y->a_bits &&
           x->o_bits == y->o_bits;
}

static int classify(Mapper *mp, Err *e)
{
    const Net *net = mp->net;
    mp->cls_of = qa_calloc((size_t)QA_MAX(net->n, 1), sizeof *mp->cls_of);
    mp->cls = qa_calloc((size_t)QA_MAX(net->n, 1), sizeof *mp->cls);
    if (!mp->cls_of || !mp->cls)
        return err_set(e, NULL, 0, NULL, "out of memory");
    for (int i = 0; i < net->n; i++) {
        int k;
        for (k = 0; k < mp->ncls; k++)
            if (same_shape(&net->layers[mp->cls[k].rep], &net->layers[i]))
                break;
        if (k == mp->ncls) {
            Class *c = &mp->cls[mp->ncls++];
            c->rep = i;
            c->nshapes = -1;
            tile_array(mp->a, &net->layers[i], &c->arr);
        }
        mp->cls_of[i] = k;
    }
    return QA_OK;
}

/* The full choice of shape sh (traffic_shape derives its sizes). */
static void shape_choice(const LayerView *v, const Shape *sh, TileChoice *c)
{
    memset(c, 0, sizeof *c);
    c->split = (CoreSplit)sh->split;
    c->cores_used = sh->cores_used;
    c->tn = sh->tn;
    c->tr = sh->tr;
    traffic_shape(v, c);
}

/* Grow an array of *cap elements of `size` bytes to hold n + 1. */
static int grow(void **p, int *cap, int n, size_t size)
{
    if (n < *cap)
        return QA_OK;
    int nc = *cap ? 2 * *cap : 64;
    void *q = qa_realloc(*p, (size_t)nc * size);
    if (!q)
        return QA_ERR;
    *p = q, *cap = nc;
    return QA_OK;
}

/* The variants of shape c (index si) of a class, appended to k->var. */
static int add_variants(const Accel *a, const LayerView *v, const TileChoice *sc,
                        int si, Class *k, int *capvar)
{
    for (int order = 0; order < (v->on_array ? 2 : 1); order++)
        for (int cache = 0; cache < (v->on_array ? 2 : 1); cache++) {
            /* caching a tensor read once changes nothing (the input of
             * a grouped conv or matmul is read once in any order) */
            if (cache && (order == LOOP_W_OUTER ? sc->nb_n : sc->nb_m) == 1)
                continue;
            if (cache && order == LOOP_W_OUTER && v->kind == VIEW_GROUPS)
                continue;
            if (grow((void **)&k->var, capvar, k->nvar, sizeof *k->var) != QA_OK)
                return QA_ERR;
            Variant *va = &k->var[k->nvar++];
            va->shape = si, va->order = order, va->cache = cache;
            for (int keep = 0; keep < 2; keep++) {
                TileChoice c = *sc;
                c.order = (LoopOrder)order;
                c.cache = cache;
                c.keep_out = keep;
                traffic_eval(a, v, 0, &c);
                va->buffer[keep] = c.buffer_bytes;
                va->held[keep] = c.held_bytes;
                if (!keep) {
                    va->w_reads = c.w_reads, va->in_reads = c.in_reads;
                    va->dram_w = c.dram_w;
                    va->dram_in_k[0] = c.dram_in_k[0];
                    va->dram_in_k[1] = c.dram_in_k[1];
                    va->out_all = c.dram_out;
                }
            }
        }
    return QA_OK;
}

/* Every tile shape of a class: split, cores used, blocks per core; and
 * their variants. */
static int build_shapes(Mapper *mp, Class *k, Err *e)
{
    const Accel *a = mp->a;
    TileContext x;
    memset(&x, 0, sizeof x);
    LayerView v;
    tile_view(mp->net, k->rep, &x, &v);
    int cap = 0, capvar = 0;
    k->nshapes = k->nvar = 0;
    TileMemo *memo = qa_calloc(1, sizeof *memo);
    if (!memo)
        return err_set(e, NULL, 0, NULL, "out of memory");
    for (int split = 0; split < 2; split++) {
        int64_t units = traffic_units(&v, (CoreSplit)split);
        int64_t maxcu = QA_MIN((int64_t)a->cores, units);
        /* one core: both splits are the same schedule */
        for (int64_t cu = split == SPLIT_M ? 2 : 1; cu <= maxcu; cu++) {
            TileChoice base;
            memset(&base, 0, sizeof base);
            base.split = (CoreSplit)split;
            base.cores_used = (int)cu;
            base.tn = INT64_MAX;
            base.tr = INT64_MAX;
            traffic_shape(&v, &base);
            /* SCALE-Sim's count is of one run per layer: one tile a core */
            int64_t most = a->timing == TIMING_SCALESIM ? 1 : INT64_MAX;
            for (int64_t dn = 1; dn <= QA_MIN(base.share_ch, most); dn *= 2)
                for (int64_t dm = 1; dm <= QA_MIN(base.share_rows, most); dm *= 2) {
                    if (grow((void **)&k->shapes, &cap, k->nshapes,
                             sizeof *k->shapes) != QA_OK)
                        goto oom;
                    TileChoice c = base;
                    c.tn = QA_CEIL_DIV(base.share_ch, dn);
                    c.tr = QA_CEIL_DIV(base.share_rows, dm);
                    traffic_shape(&v, &c);
                    Shape *sh = &k->shapes[k->nshapes];
                    sh->split = split, sh->cores_used = (int)cu;
                    sh->tn = c.tn, sh->tr = c.tr;
                    sh->nb_n = c.nb_n, sh->nb_m = c.nb_m;
                    sh->compute = tile_choice_compute(a, &v, &k->arr, &c, memo);
                    if (add_variants(a, &v, &c, k->nshapes, k, &capvar) != QA_OK)
                        goto oom;
                    k->nshapes++;
                }
        }
    }
    free(memo);
    return QA_OK;
oom:
    free(memo);
    return err_set(e, NULL, 0, NULL, "out of memory");
}

/* ---- frontiers ---- */

static int64_t var_key(const Accel *a, const Frontier *f, const Variant *va)
{
    return qa_cadd(qa_cmul(a->cores, va->buffer[f->keep]), va->held[f->keep]);
}

/* DRAM bytes of variant va in context f, and each part of them. */
static int64_t var_bytes(const Frontier *f, const Variant *va, int64_t *w,
                         int64_t *in, int64_t *out)
{
    int64_t dw = f->w_on_chip ? 0 : va->dram_w, din = 0;
    for (int j = 0; j < 2; j++)
        din += f->in_on_chip[j] ? 0 : va->dram_in_k[j];
    int64_t dout = f->keep ? 0 : va->out_all;
    if (w)
        *w = dw, *in = din, *out = dout;
    return qa_cadd(qa_cadd(dw, din), qa_cadd(dout, f->spill));
}

static int pick_cmp(const void *x, const void *y)
{
    const Pick *p = x, *q = y;
    if (p->lb != q->lb)
        return p->lb < q->lb ? -1 : 1;
    if (p->bytes != q->bytes)
        return p->bytes < q->bytes ? -1 : 1;
    if (p->key != q->key)
        return p->key < q->key ? -1 : 1;
    /* a total order: the same list on every platform */
    return (p->var > q->var) - (p->var < q->var);
}

static void pick_of(const Mapper *mp, const Frontier *f, int i, Pick *p)
{
    const Variant *va = &mp->cls[f->cls].var[i];
    p->lb = f->lb[i];
    p->bytes = var_bytes(f, va, NULL, NULL, NULL);
    p->key = var_key(mp->a, f, va);
    p->var = i;
}

static void context_of(const Frontier *f, int64_t resident, TileContext *x)
{
    memset(x, 0, sizeof *x);
    x->in_resident[0] = f->flags & 1;
    x->in_resident[1] = (f->flags >> 1) & 1;
    x->w_resident = f->w_res;
    x->resident_bytes = resident;
    x->spill_bytes = f->spill;
}

/* Exact cycles of candidate c in the frontier's context: what
 * analytic_layer reports for tile_build's schedule (the slowest core, and
 * never less than the layer's bytes over the bandwidth), found core by
 * core without writing the schedule out. */
static int64_t price(Mapper *mp, const Frontier *f, const LayerView *v,
                     const TileChoice *c, Err *e)
{
    const Accel *a = mp->a;
    const Class *k = &mp->cls[f->cls];
    int64_t worst = 0, bytes = 0;
    for (int core = 0; core < c->cores_used; core++) {
        int64_t b;
        int64_t cyc = tile_core_cycles(a, v, c, f->spill, &k->arr, core, &b, e);
        if (cyc < 0)
            return -1;
        worst = QA_MAX(worst, cyc);
        bytes = qa_cadd(bytes, b);
    }
    double bpc = arch_dram_bytes_per_cycle(a);
    int64_t mem = bpc > 0 ? qa_count_ceil((double)bytes / bpc) : 0;
    return QA_MAX(worst, mem);
}

/* The full choice of variant i in the frontier's context. */
static void var_choice(const Mapper *mp, const Frontier *f, int i,
                       const LayerView *v, int64_t resident, TileChoice *c)
{
    const Class *k = &mp->cls[f->cls];
    const Variant *va = &k->var[i];
    shape_choice(v, &k->shapes[va->shape], c);
    c->order = (LoopOrder)va->order;
    c->cache = va->cache;
    c->keep_out = f->keep;
    traffic_eval(mp->a, v, resident, c);
}

static void frontier_view(const Mapper *mp, const Frontier *f, LayerView *v)
{
    TileContext x;
    context_of(f, 0, &x);
    tile_view(mp->net, mp->cls[f->cls].rep, &x, v);
}

/* Cycles of one transfer train: n transfers of `bytes` in all. */
static int64_t train_cycles(const Accel *a, int64_t n, int64_t bytes,
                            double bpc)
{
    if (n <= 0)
        return 0;
    return qa_cadd(qa_cmul(n, a->dram_latency_cycles),
                   bpc > 0 ? qa_count_ceil((double)bytes / bpc) : 0);
}

/* A lower bound of the layer's cycles under variant va of shape sh in
 * context f, from the first core (it has the largest share of every split,
 * traffic_part): its array is busy for the shape's compute; its load queue
 * carries one transfer per tile that loads and at least its share of the
 * loaded bytes, and likewise its store queue; its first compute waits for
 * a load and its last store follows the last compute. And the channel
 * carries all of the layer's bytes. The counts of loading tiles follow
 * tiling.c's loop nest. */
static int64_t lower_bound(const Accel *a, const LayerView *v, const Shape *sh,
                           const Variant *va, const Frontier *f,
                           int64_t dram_w, int64_t dram_in, int64_t dram_out,
                           int64_t bytes, double bpc)
{
    int64_t tiles = sh->nb_n * sh->nb_m, cu = sh->cores_used;
    int w_outer = va->order == LOOP_W_OUTER;
    int64_t w_loads = 0, in_loads = 0;
    if (dram_w > 0)
        w_loads = w_outer ? sh->nb_n : (va->w_reads > 1 ? tiles : sh->nb_n);
    if (dram_in > 0)
        in_loads = v->kind != VIEW_DENSE ? tiles
                   : w_outer ? (va->in_reads > 1 ? tiles : sh->nb_m) : sh->nb_m;
    /* both sets hold the first tile */
    int64_t loads = w_loads == tiles || in_loads == tiles ? tiles
                    : w_loads && in_loads ? w_loads + in_loads - 1
                    : w_loads + in_loads;
    int64_t stores = (f->keep ? 0 : tiles) + (f->spill > 0);
    int64_t ld = train_cycles(a, loads, qa_cadd(dram_w, dram_in) / cu, bpc);
    int64_t st = train_cycles(a, stores, qa_cadd(dram_out, f->spill) / cu, bpc);
    int64_t first = loads > 0 ? a->dram_latency_cycles : 0;
    int64_t last = !f->keep ? a->dram_latency_cycles : 0;
    /* the same expression as analytic_layer's: a bound that equals the
     * cycles of a memory-bound candidate, so an equal one is not priced */
    int64_t mem = bpc > 0 ? qa_count_ceil((double)bytes / bpc) : 0;
    int64_t lb = QA_MAX(mem, qa_cadd(qa_cadd(first, sh->compute), last));
    return QA_MAX(lb, QA_MAX(ld, st));
}

/* The lower bound of every variant in a context. */
static int build_frontier(Mapper *mp, Frontier *f, Err *e)
{
    const Accel *a = mp->a;
    Class *k = &mp->cls[f->cls];
    if (k->nshapes < 0 && build_shapes(mp, k, e) != QA_OK)
        return QA_ERR;
    if (k->nvar > mp->cappick) {
        Pick *np = qa_realloc(mp->pick, (size_t)k->nvar * sizeof *np);
        if (!np)
            return err_set(e, NULL, 0, NULL, "out of memory");
        mp->pick = np, mp->cappick = k->nvar;
    }
    LayerView v;
    frontier_view(mp, f, &v);
    f->w_on_chip = v.w_resident;
    for (int j = 0; j < 2; j++)
        f->in_on_chip[j] = j < v.nin && v.in_resident[j];
    double bpc = arch_dram_bytes_per_cycle(a);
    int64_t chip = (int64_t)a->cores * a->sram_bytes;
    f->lb = qa_malloc((size_t)QA_MAX(1, k->nvar) * sizeof *f->lb);
    if (!f->lb)
        return err_set(e, NULL, 0, NULL, "out of memory");
    for (int i = 0; i < k->nvar; i++) {
        const Variant *va = &k->var[i];
        f->lb[i] = -1;
        if (va->buffer[f->keep] > a->sram_bytes || var_key(a, f, va) > chip)
            continue; /* fits no chip of this size */
        int64_t dw, din, dout;
        int64_t bytes = var_bytes(f, va, &dw, &din, &dout);
        f->lb[i] = lower_bound(a, &v, &k->shapes[va->shape], va, f, dw, din,
                               dout, bytes, bpc);
    }
    return QA_OK;
}

/* The priced record of variant i, made (unknown) if new; NULL: no memory. */
static Priced *priced(Frontier *f, int i)
{
    for (int j = 0; j < f->npriced; j++)
        if (f->priced[j].var == i)
            return &f->priced[j];
    if (grow((void **)&f->priced, &f->cappriced, f->npriced,
             sizeof *f->priced) != QA_OK)
        return NULL;
    Priced *p = &f->priced[f->npriced++];
    p->var = i, p->cycles = p->first = -1;
    return p;
}

/* Price variant i (once; the result is kept) into *out. best: the cycles
 * to beat, or -1; the first core's pipeline alone, a tighter bound at
 * 1/cores of the price, may show i cannot beat it: then its cycles stay
 * unknown and 0 is returned. 1 when priced, -1 on error. */
static int price_var(Mapper *mp, Frontier *f, const LayerView *v, int i,
                     int64_t best, int64_t *out, Err *e)
{
    Priced *p = priced(f, i);
    if (!p)
        return err_set(e, NULL, 0, NULL, "out of memory"), -1;
    if (p->cycles < 0) {
        TileChoice c;
        var_choice(mp, f, i, v, 0, &c);
        if (c.cores_used > 1 && p->first < 0) {
            p->first = tile_core_cycles(mp->a, v, &c, f->spill,
                                        &mp->cls[f->cls].arr, 0, NULL, e);
            if (p->first < 0)
                return -1;
        }
        if (best >= 0 && p->first >= best)
            return 0;
        p->cycles = price(mp, f, v, &c, e);
        if (p->cycles < 0)
            return -1;
    }
    *out = p->cycles;
    return 1;
}

/* The fastest variant that fits beside `resident` bytes (the first in
 * bound order among equals) and its cycles; -1 if none, -2 on error. The
 * variant of least bound is priced first; then only those whose bound is
 * below the best found can win, and they are priced in bound order until
 * the bound reaches the best: the answer is exact. */
static int query(Mapper *mp, Frontier *f, int64_t resident, int64_t *cycles,
                 Err *e)
{
    int64_t budget = (int64_t)mp->a->cores * mp->a->sram_bytes - resident;
    const Class *k = &mp->cls[f->cls];
    for (int i = 0; i < f->memo_n; i++)
        if (f->memo_budget[i] == budget) {
            *cycles = f->memo_cycles[i];
            return f->memo_pick[i];
        }
    LayerView v;
    frontier_view(mp, f, &v);
    Pick first = {0, 0, 0, -1}, p;
    for (int i = 0; i < k->nvar; i++) {
        if (f->lb[i] < 0 || f->lb[i] > (first.var < 0 ? INT64_MAX : first.lb))
            continue;
        pick_of(mp, f, i, &p);
        if (p.key <= budget && (first.var < 0 || pick_cmp(&p, &first) < 0))
            first = p;
    }
    int best = first.var;
    int64_t best_cycles = -1;
    if (best >= 0) {
        if (price_var(mp, f, &v, best, -1, &best_cycles, e) < 0)
            return -2;
        int m = 0;
        for (int i = 0; i < k->nvar; i++)
            if (i != best && f->lb[i] >= 0 && f->lb[i] < best_cycles) {
                pick_of(mp, f, i, &mp->pick[m]);
                if (mp->pick[m].key <= budget)
                    m++;
            }
        qsort(mp->pick, (size_t)m, sizeof *mp->pick, pick_cmp);
        for (int j = 0; j < m; j++) {
            if (mp->pick[j].lb >= best_cycles)
                break;
            int64_t c;
            int rc = price_var(mp, f, &v, mp->pick[j].var, best_cycles, &c, e);
            if (rc < 0)
                return -2;
            if (rc == 1 && c < best_cycles)
                best = mp->pick[j].var, best_cycles = c;
        }
    }
    int slot = f->memo_n < 4 ? f->memo_n++ : 3;
    f->memo_budget[slot] = budget;
    f->memo_pick[slot] = best;
    f->memo_cycles[slot] = best_cycles;
    *cycles = best_cycles;
    return best;
}

static Frontier *frontier(Mapper *mp, int cls, int flags, int keep, int w_res,
                          int64_t spill, Err *e)
{
    for (int i = 0; i < mp->nfr; i++) {
        Frontier *f = &mp->fr[i];
        if (f->cls == cls && f->flags == flags && f->keep == keep &&
            f->w_res == w_res && f->spill == spill)
            return f;
    }
    if (grow((void **)&mp->fr, &mp->capfr, mp->nfr, sizeof *mp->fr) != QA_OK) {
        err_set(e, NULL, 0, NULL, "out of memory");
        return NULL;
    }
    Frontier *f = &mp->fr[mp->nfr++];
    memset(f, 0, sizeof *f);
    f->cls = cls, f->flags = flags, f->keep = keep, f->w_res = w_res;
    f->spill = spill;
    if (build_frontier(mp, f, e) != QA_OK)
        return NULL;
    return f;
}

/* ---- the plan over the network ---- */

/* The live tensors that may be held before layer i: ids, ascending. */
typedef struct {
    int id[MAP_MAX_LIVE];
    int n;
} Live;

typedef struct {
    int64_t cycles, bytes;   /* INT64_MAX: unreachable */
    int prev;                /* state before the layer */
    int evict, keep;
    int fr, pt;              /* the layer's frontier and variant */
} Step;

static int better_step(int64_t c, int64_t b, const Step *s)
{
    return c < s->cycles || (c == s->cycles && b < s->bytes);
}

typedef struct {
    int64_t cycles, bytes;
    int fail_layer;          /* first layer no state could pass; -1 */
    Step *dp;                /* (n + 1) x nstate */
    int nstate;              /* 2^(most live tensors before any layer) */
    int final;               /* best state after the last layer */
} Plan;

static int plan(Mapper *mp, const Live *live, int w_res,
                int64_t w_total, Plan *pl, Err *e)
{
    const Net *net = mp->net;
    int n = net->n;
    pl->nstate = 1;
    for (int i = 0; i <= n; i++)
        pl->nstate = QA_MAX(pl->nstate, 1 << live[i].n);
    int ns = pl->nstate;
    pl->dp = qa_malloc((size_t)(n + 1) * (size_t)ns * sizeof *pl->dp);
    if (!pl->dp)
        return err_set(e, NULL, 0, NULL, "out of memory");
    for (int i = 0; i < (n + 1) * ns; i++)
        pl->dp[i].cycles = pl->dp[i].bytes = INT64_MAX;
    pl->dp[0].cycles = pl->dp[0].bytes = 0;
    pl->fail_layer = -1;
    for (int i = 0; i < n; i++) {
        const Layer *l = &net->layers[i];
        const Live *L = &live[i], *N1 = &live[i + 1];
        Step *cur = &pl->dp[(size_t)i * ns];
        Step *nxt = &pl->dp[(size_t)(i + 1) * ns];
        int self = -1; /* the layer's own bit in the next state */
        for (int b = 0; b < N1->n; b++)
            if (N1->id[b] == i)
                self = b;
        int any = 0;
        for (int s = 0; s < (1 << L->n); s++) {
            if (cur[s].cycles == INT64_MAX)
                continue;
            /* A held tensor may be written back right after one of its
             * consumers ran (it stays idle until the next one): any subset
             * of those. */
            int may = 0;
            for (int b = 0; b < L->n; b++)
                if (i > 0 && net_reads(&net->layers[i - 1], L->id[b]))
                    may |= 1 << b;
            may &= s;
            for (int ev = may;; ev = (ev - 1) & may) {
                int held = s & ~ev;
                int64_t res = w_res ? w_total : 0, spill = 0;
                int flags = 0;
                for (int b = 0; b < L->n; b++) {
                    int64_t by = layer_out_bytes(&net->layers[L->id[b]]);
                    if (held >> b & 1) {
                        res += by;
                        for (int k = 0; k < layer_inputs(l); k++)
                            if (l->in[k] == L->id[b])
                                flags |= 1 << k;
                    } else if (ev >> b & 1) {
                        spill += by;
                    }
                }
                int next = 0;
                for (int b = 0; b < N1->n; b++)
                    for (int c = 0; c < L->n; c++)
                        if (N1->id[b] == L->id[c] && (held >> c & 1))
                            next |= 1 << b;
                for (int keep = 0; keep <= (self >= 0); keep++) {
                    Frontier *f = frontier(mp, mp->cls_of[i], flags, keep,
                                           w_res, spill, e);
                    if (!f)
                        return QA_ERR;
                    int64_t cyc;
                    int p = query(mp, f, res, &cyc, e);
                    if (p == -2)
                        return QA_ERR;
                    if (p < 0)
                        continue;
                    any = 1;
                    int to = next | (keep ? 1 << self : 0);
                    int64_t c = qa_cadd(cur[s].cycles, cyc);
                    int64_t by = qa_cadd(cur[s].bytes,
                                         var_bytes(f, &mp->cls[f->cls].var[p],
                                                   NULL, NULL, NULL));
                    if (better_step(c, by, &nxt[to])) {
                        nxt[to].cycles = c, nxt[to].bytes = by;
                        nxt[to].prev = s, nxt[to].evict = ev, nxt[to].keep = keep;
                        nxt[to].fr = (int)(f - mp->fr), nxt[to].pt = p;
                    }
                }
                if (ev == 0)
                    break;
            }
        }
        if (!any) {
            pl->fail_layer = i;
            return QA_OK;
        }
    }
    Step *end = &pl->dp[(size_t)n * ns];
    pl->cycles = pl->bytes = INT64_MAX;
    for (int s = 0; s < (1 << live[n].n); s++)
        if (end[s].cycles != INT64_MAX &&
            (end[s].cycles < pl->cycles ||
             (end[s].cycles == pl->cycles && end[s].bytes < pl->bytes))) {
            pl->cycles = end[s].cycles, pl->bytes = end[s].bytes;
            pl->final = s;
        }
    return QA_OK;
}

/* Write the chosen plan out, layer by layer. */
static int emit_plan(Mapper *mp, const Live *live, const Plan *pl, int w_res,
                     int64_t w_total, TileSchedule *ts, Err *e)
{
    const Net *net = mp->net;
    int n = net->n;
    int *state = qa_malloc((size_t)(n + 1) * sizeof *state);
    if (!state)
        return err_set(e, NULL, 0, NULL, "out of memory");
    int ns = pl->nstate;
    state[n] = pl->final;
    for (int i = n; i > 0; i--)
        state[i - 1] = pl->dp[(size_t)i * ns + state[i]].prev;
    int rc = QA_OK;
    for (int i = 0; i < n && rc == QA_OK; i++) {
        const Step *st = &pl->dp[(size_t)(i + 1) * ns + state[i + 1]];
        const Frontier *f = &mp->fr[st->fr];
        const Live *L = &live[i];
        int held = state[i] & ~st->evict;
        int64_t res = w_res ? w_total : 0;
        for (int b = 0; b < L->n; b++)
            if (held >> b & 1)
                res += layer_out_bytes(&net->layers[L->id[b]]);
        TileContext x;
        context_of(f, res, &x);
        LayerView v;
        tile_view(net, i, &x, &v);
        LayerMap *m = &ts->layers[i];
        *m = mp->cls[mp->cls_of[i]].arr;
        TileChoice c;
        var_choice(mp, f, st->pt, &v, res, &c);
        rc = tile_build(mp->a, net, i, &v, &c, &x, m, e);
    }
    free(state);
    return rc;
}

static void mapper_free(Mapper *mp)
{
    for (int i = 0; i < mp->ncls; i++) {
        free(mp->cls[i].shapes);
        free(mp->cls[i].var);
    }
    for (int i = 0; i < mp->nfr; i++) {
        free(mp->fr[i].lb);
        free(mp->fr[i].priced);
    }
    free(mp->cls);
    free(mp->cls_of);
    free(mp->fr);
    free(mp->pick);
}

int map_net(const Accel *a, const Net *net, TileSchedule *ts, Err *e)
{
    int n = net->n;
    memset(ts, 0, sizeof *ts);
    Mapper mp;
    memset(&mp, 0, sizeof mp);
    mp.a = a;
    mp.net = net;
    Live *live = qa_calloc((size_t)n + 1, sizeof *live);
    int *last = qa_calloc((size_t)QA_MAX(n, 1), sizeof *last);
    int *holdable = qa_calloc((size_t)QA_MAX(n, 1), sizeof *holdable);
    Plan pl[2];
    memset(pl, 0, sizeof pl);
    int rc = QA_ERR;
    if (!live || !last || !holdable) {
        err_set(e, NULL, 0, NULL, "out of memory");
        goto done;
    }
    if (classify(&mp, e) != QA_OK)
        goto done;
    /* Live tensors before each layer; a layer's output is holdable while
     * fewer than MAP_MAX_LIVE holdable tensors are live after it. */
    for (int i = 0; i < n; i++)
        last[i] = net_last_use(net, i);
    for (int i = 0; i <= n; i++) {
        int after = 0; /* holdable tensors still live after layer i */
        for (int j = 0; j < i; j++) {
            if (holdable[j] && last[j] >= i)
                live[i].id[live[i].n++] = j;
            after += holdable[j] && last[j] > i;
        }
        if (i < n)
            holdable[i] = last[i] > i && after < MAP_MAX_LIVE;
    }
    /* Weights resident for the whole run: a choice when the chip allows it. */
    int64_t w_total = 0;
    for (int i = 0; i < n; i++)
        w_total += layer_weight_bytes(&net->layers[i]);
    int nplans = a->weights_resident &&
                 w_total <= (int64_t)a->cores * a->sram_bytes ? 2 : 1;
    int best = -1;
    for (int w = 0; w < nplans; w++) {
        if (plan(&mp, live, w, w_total, &pl[w], e) != QA_OK)
            goto done;
        if (pl[w].fail_layer < 0 &&
            (best < 0 || pl[w].cycles < pl[best].cycles ||
             (pl[w].cycles == pl[best].cycles && pl[w].bytes < pl[best].bytes)))
            best = w;
    }
    if (best < 0) {
        const Layer *l = &net->layers[pl[0].fail_layer];
        err_set(e, NULL, 0, l->name,
                MAP_NOFIT ": the smallest tile (%s) needs more than the "
                "%lld bytes of scratchpad per core",
                a->timing == TIMING_SCALESIM
                    ? "with core.timing \"scalesim\", a core's whole share "
                      "of the layer"
                    : "one output row of one filter",
                (long long)a->sram_bytes);
        goto done;
    }
    ts->layers = qa_calloc((size_t)QA_MAX(n, 1), sizeof *ts->layers);
    if (!ts->layers) {
        err_set(e, NULL, 0, NULL, "out of memory");
        goto done;
    }
    ts->n = n;
    if (emit_plan(&mp, live, &pl[best], best, w_total, ts, e) != QA_OK) {
        tile_free(ts);
        goto done;
    }
    ts->cycles = pl[best].cycles;
    rc = QA_OK;
done:
    free(pl[0].dp);
    free(pl[1].dp);
    mapper_free(&mp);
    free(live);
    free(last);
    free(holdable);
    return rc;
}
