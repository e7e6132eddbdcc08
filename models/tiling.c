/* tiling.c: the mapper. For each layer, in execution order:
 *
 *  1. Tensors kept on chip whose last consumer is done are freed.
 *  2. Candidates are enumerated: core split (output channels or output
 *     rows), tile sizes (the share of a core cut in 1, 2, 4, ... blocks),
 *     loop order (weights-outer or inputs-outer), caching of the re-streamed
 *     tensor, and keeping the output on chip. traffic.c prices each one.
 *  3. The cheapest fitting candidate wins: estimated layer time
 *     max(compute, DRAM bytes / bandwidth + tiles x latency), plus the
 *     unhidden first load and last store, plus, when the output goes to
 *     DRAM, the time to read it back for the next layer; then fewer DRAM
 *     bytes; then fewer tiles.
 *  4. If nothing fits, tensors kept on chip are spilled to DRAM (largest
 *     first, their write counted in this layer) until something fits; if
 *     even the smallest tile does not fit, the layer cannot be mapped.
 *  5. The winner is written out as per-core runs of identical tiles.
 *
 * Compute cycles of a tile come from the systolic closed form at the
 * layer's precision (scale.c gives the effective array), or from the
 * vector unit for pool and add. */
#include "models/tiling.h"
#include "models/scale.h"
#include "models/systolic.h"
#include "models/traffic.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Compute cycles of one tile of n channels x r rows. */
static int64_t tile_cycles(const Accel *a, const LayerView *v, int rows,
                           int cols, int64_t n, int64_t r)
{
    if (n <= 0 || r <= 0)
        return 0;
    const Layer *l = v->l;
    if (v->on_array)
        return sys_gemm_cycles(a->dataflow, rows, cols, r * l->Q, v->kg, n,
                               a->double_buffer) *
               scale_cycles_per_mac(a, l->w_bits);
    /* Vector unit: vector_lanes elements per cycle at base_bits, packed
     * base_bits / a_bits wide at lower precision; a pool output costs R*S
     * operations, an add output one. */
    int64_t thr = (int64_t)a->vector_lanes * QA_MAX(1, a->base_bits / l->a_bits);
    int64_t ops = n * r * l->Q * (l->op == OP_ADD ? 1 : (int64_t)l->R * l->S);
    return QA_CEIL_DIV(ops, thr);
}

/* Busiest-core compute cycles of a candidate (blocks of at most two sizes
 * per dimension). */
static int64_t choice_compute(const Accel *a, const LayerView *v, int rows,
                              int cols, const TileChoice *c)
{
    int64_t nb = QA_CEIL_DIV(c->share_ch, c->nb_n), ns = c->share_ch / c->nb_n;
    int64_t nnb = c->share_ch % c->nb_n;
    int64_t rb = QA_CEIL_DIV(c->share_rows, c->nb_m), rs = c->share_rows / c->nb_m;
    int64_t nrb = c->share_rows % c->nb_m;
    int64_t sum = 0;
    int64_t ncnt[2] = {nnb, c->nb_n - nnb}, nsz[2] = {nb, ns};
    int64_t rcnt[2] = {nrb, c->nb_m - nrb}, rsz[2] = {rb, rs};
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++)
            if (ncnt[i] && rcnt[j])
                sum += ncnt[i] * rcnt[j] *
                       tile_cycles(a, v, rows, cols, nsz[i], rsz[j]);
    return sum;
}

typedef struct {
    TileChoice c;
    int64_t compute;
    double cost;
    int64_t bytes;
    int ok;
} Best;

static int better(const Best *x, const Best *y)
{
    if (!y->ok)
        return 1;
    if (x->cost != y->cost)
        return x->cost < y->cost;
    if (x->bytes != y->bytes)
        return x->bytes < y->bytes;
    return x->c.nb_n * x->c.nb_m < y->c.nb_n * y->c.nb_m;
}

/* Candidate block counts: 1, 2, 4, ... up to `units` blocks. */
static void search(const Accel *a, const LayerView *v, int rows, int cols,
                   int64_t resident, int allow_keep, Best *best)
{
    double bpc = arch_dram_bytes_per_cycle(a);
    memset(best, 0, sizeof *best);
    for (int split = 0; split < 2; split++) {
        TileChoice base;
        memset(&base, 0, sizeof base);
        base.split = (CoreSplit)split;
        base.tn = INT64_MAX;
        base.tr = INT64_MAX;
        traffic_shape(a, v, &base); /* shares only */
        for (int64_t dn = 1; dn <= base.share_ch; dn *= 2)
            for (int64_t dm = 1; dm <= base.share_rows; dm *= 2) {
                /* Compute cycles depend on the tile shape only: found once
                 * per shape, and only when some variant could win. */
                int64_t compute = -1;
                TileChoice shaped = base;
                shaped.tn = QA_CEIL_DIV(base.share_ch, dn);
                shaped.tr = QA_CEIL_DIV(base.share_rows, dm);
                traffic_shape(a, v, &shaped);
                for (int order = 0; order < 2; order++)
                    for (int cache = 0; cache < 2; cache++)
                        for (int keep = allow_keep; keep >= 0; keep--) {
                            Best b;
                            memset(&b, 0, sizeof b);
                            b.c = shaped;
                            b.c.order = (LoopOrder)order;
                            b.c.cache = cache;
                            b.c.keep_out = keep;
                            if (!traffic_eval(a, v, resident, &b.c))
                                continue;
                            b.ok = 1;
                            b.bytes = b.c.dram_w + b.c.dram_in + b.c.dram_out;
                            double mem = bpc > 0 ? b.bytes / bpc : 0;
                            /* An output sent to DRAM is read back by the
                             * next layer: charge that read here. */
                            double back = (!keep && bpc > 0)
                                              ? v->out_all / bpc : 0;
                            /* A core's DMA queue pays the latency once per
                             * tile, one transfer after the other; the first
                             * load and the last store are not hidden behind
                             * compute (about mem / tiles plus two latencies). */
                            double tiles = (double)(b.c.nb_n * b.c.nb_m);
                            double lat = (double)a->dram_latency_cycles;
                            double dma = mem + (b.bytes > 0 ? tiles * lat : 0);
                            double edge = b.bytes > 0 ? mem / tiles + 2 * lat : 0;
                            if (best->ok && dma + back + edge > best->cost)
                                continue; /* cannot win whatever compute is */
                            if (compute < 0)
                                compute = choice_compute(a, v, rows, cols, &b.c);
                            b.compute = compute;
                            b.cost = fmax((double)b.compute, dma) + back + edge;
                            if (better(&b, best))
                                *best = b;
                        }
            }
    }
}

/* Append one tile to the runs, merging it into the last run when that run
 * is identical and belongs to the same core (starts at or after `from`). */
typedef struct {
    TileGroup *g;
    int n, cap;
} Runs;

static int runs_add(Runs *r, int from, const TileGroup *t)
{
    if (r->n > from) {
        TileGroup *last = &r->g[r->n - 1];
        TileGroup cmp = *last;
        cmp.count = t->count;
        if (!memcmp(&cmp, t, sizeof cmp)) {
            last->count += t->count;
            return QA_OK;
        }
    }
    if (r->n == r->cap) {
        int cap = r->cap ? 2 * r->cap : 16;
        TileGroup *g = qa_realloc(r->g, (size_t)cap * sizeof *g);
        if (!g)
            return QA_ERR;
        r->g = g;
        r->cap = cap;
    }
    r->g[r->n++] = *t;
    return QA_OK;
}

/* Size of block b of `total` units cut into nb near-equal blocks. */
static int64_t block(int64_t total, int64_t nb, int64_t b)
{
    return traffic_part(total, nb, b);
}

/* Write the per-core tile runs of the chosen candidate into m. spill_bytes
 * (tensors evicted to DRAM) are stored by a first tile with no compute. */
static int emit(const Accel *a, const LayerView *v, const TileChoice *c,
                int rows, int cols, int64_t spill_bytes, LayerMap *m)
{
    int cu = c->cores_used;
    int by_ch = c->split == SPLIT_K;
    Runs all;
    memset(&all, 0, sizeof all);
    m->first = qa_calloc((size_t)cu + 1, sizeof *m->first);
    if (!m->first)
        return QA_ERR;
    int w_outer = c->order == LOOP_W_OUTER;
    int64_t row0 = 0; /* first output row of this core (row split) */
    for (int core = 0; core < cu; core++) {
        m->first[core] = all.n;
        int64_t ch_c = by_ch ? traffic_part(v->ch, cu, core) : v->ch;
        int64_t rows_c = by_ch ? v->rows_out : traffic_part(v->rows_out, cu, core);
        int64_t r0 = by_ch ? 0 : row0;
        row0 += by_ch ? 0 : rows_c;
        if (spill_bytes > 0) {
            TileGroup t = {0};
            t.count = 1;
            t.store_out_bytes = traffic_part(spill_bytes, cu, core);
            if (runs_add(&all, m->first[core], &t) != QA_OK)
                goto oom;
        }
        int64_t outer_n = w_outer ? c->nb_n : c->nb_m;
        int64_t inner_n = w_outer ? c->nb_m : c->nb_n;
        for (int64_t o = 0; o < outer_n; o++)
            for (int64_t i = 0; i < inner_n; i++) {
                int64_t bn = w_outer ? o : i, bm = w_outer ? i : o;
                int64_t n = block(ch_c, c->nb_n, bn);
                int64_t r = block(rows_c, c->nb_m, bm);
                /* First output row of block bm: bm blocks before it, the
                 * first rows_c % nb_m of them one row longer. */
                int64_t rs = r0 + bm * (rows_c / c->nb_m) +
                             QA_MIN(bm, rows_c % c->nb_m);
                TileGroup t = {0};
                t.count = 1;
                /* Weights: own under the channel split, a 1/cores share of
                 * the broadcast tile under the row split. */
                int load_w = c->w_reads > 0 &&
                             (w_outer ? i == 0 : (o == 0 || c->w_reads > 1));
                if (load_w) {
                    int64_t wt = by_ch ? traffic_w_tile(v, n)
                                       : traffic_part(traffic_w_tile(v, n), cu, core);
                    t.load_w_bytes = wt;
                }
                /* Inputs: conv/fc tiles share them over filter blocks (and,
                 * split by channels, over cores: a 1/cores share each);
                 * pool/add tiles each read their own slice. */
                int load_in = !v->on_array ||
                              (c->in_reads > 0 &&
                               (w_outer ? (o == 0 || c->in_reads > 1) : i == 0));
                if (load_in) {
                    for (int k = 0; k < v->nin; k++) {
                        if (v->in_resident[k])
                            continue;
                        int64_t it = traffic_in_rows_range(v->l, r0, rs, rs + r) *
                                     traffic_in_row_bytes(v, n);
                        t.load_in_bytes += by_ch && v->on_array
                                               ? traffic_part(it, cu, core) : it;
                    }
                }
                t.compute_cycles = tile_cycles(a, v, rows, cols, n, r);
                t.macs = v->on_array ? n * r * v->l->Q * v->kg : 0;
                if (!c->keep_out)
                    t.store_out_bytes = traffic_out_tile(v, n, r);
                if (runs_add(&all, m->first[core], &t) != QA_OK)
                    goto oom;
            }
    }
    m->first[cu] = all.n;
    m->groups = all.g;
    m->ngroups = all.n;
    return QA_OK;
oom:
    free(all.g);
    free(m->first);
    m->first = NULL;
    return QA_ERR;
}

static void sum_schedule(LayerMap *m)
{
    m->dram_w_bytes = m->dram_in_bytes = m->dram_out_bytes = 0;
    m->tiles = 0;
    for (int c = 0; c < m->cores_used; c++) {
        int64_t tiles = 0;
        for (int g = m->first[c]; g < m->first[c + 1]; g++) {
            const TileGroup *t = &m->groups[g];
            m->dram_w_bytes += t->count * t->load_w_bytes;
            m->dram_in_bytes += t->count * t->load_in_bytes;
            m->dram_out_bytes += t->count * t->store_out_bytes;
            tiles += t->count;
        }
        m->tiles = QA_MAX(m->tiles, tiles);
    }
}

/* First unit of block b of `total` cut into nb near-equal blocks (the
 * first total % nb blocks one unit longer, as traffic_part). */
static int64_t block_start(int64_t total, int64_t nb, int64_t b)
{
    return b * (total / nb) + QA_MIN(b, total % nb);
}

/* The inverse of emit's enumeration: the same core shares, block sizes and
 * loop order. */
int tile_block(const LayerMap *m, const Layer *l, int core, int64_t t,
               TileBlock *b)
{
    memset(b, 0, sizeof *b);
    int cu = m->cores_used;
    int64_t nb = m->nb_n * m->nb_m;
    if (core < 0 || core >= cu || t < 0 || t >= nb + m->spill || nb < 1)
        return QA_ERR;
    if (m->spill && t-- == 0)
        return QA_OK;
    int by_ch = m->split == SPLIT_K;
    int64_t ch = l->K, rows = (int64_t)l->N * l->P;
    int64_t ch_c = by_ch ? traffic_part(ch, cu, core) : ch;
    int64_t ch0 = by_ch ? block_start(ch, cu, core) : 0;
    int64_t rows_c = by_ch ? rows : traffic_part(rows, cu, core);
    int64_t row0 = by_ch ? 0 : block_start(rows, cu, core);
    int w_outer = m->order == LOOP_W_OUTER;
    int64_t inner_n = w_outer ? m->nb_m : m->nb_n;
    int64_t o = t / inner_n, i = t % inner_n;
    int64_t bn = w_outer ? o : i, bm = w_outer ? i : o;
    b->k0 = ch0 + block_start(ch_c, m->nb_n, bn);
    b->k1 = b->k0 + block(ch_c, m->nb_n, bn);
    b->r0 = row0 + block_start(rows_c, m->nb_m, bm);
    b->r1 = b->r0 + block(rows_c, m->nb_m, bm);
    return QA_OK;
}

int64_t tile_layer_dram_bytes(const LayerMap *m)
{
    return m->dram_w_bytes + m->dram_in_bytes + m->dram_out_bytes +
           m->dram_psum_rd_bytes + m->dram_psum_wr_bytes;
}

double tile_layer_util(const Accel *a, const LayerMap *m, int64_t cycles)
{
    if (m->macs == 0 || cycles <= 0)
        return 0;
    return (double)m->macs / ((double)a->cores * m->rows * m->cols * cycles);
}

void tile_free(TileSchedule *ts)
{
    if (ts->layers)
        for (int i = 0; i < ts->n; i++) {
            free(ts->layers[i].groups);
            free(ts->layers[i].first);
        }
    free(ts->layers);
    ts->layers = NULL;
    ts->n = 0;
}

static void view_init(const Net *net, int id, const int *onchip, int w_resident,
                      LayerView *v)
{
    const Layer *l = &net->layers[id];
    memset(v, 0, sizeof *v);
    v->l = l;
    v->on_array = layer_on_array(l);
    v->nin = l->op == OP_ADD ? 2 : 1;
    v->rows_out = (int64_t)l->N * l->P;
    v->ch = l->K;
    v->kg = (int64_t)(l->C / QA_MAX(1, l->groups)) * l->R * l->S;
    v->row_in_bytes = bits_to_bytes((int64_t)l->C * l->W, l->a_bits);
    v->w_all = layer_weight_bytes(l);
    v->in_all = layer_in_bytes(l);
    v->out_all = layer_out_bytes(l);
    for (int k = 0; k < v->nin; k++)
        v->in_resident[k] = l->in[k] >= 0 && onchip[l->in[k]];
    v->w_resident = w_resident;
}

static void explain(const Net *net, const LayerView *v, const TileChoice *c,
                    int64_t spilled, LayerMap *m)
{
    const Layer *l = v->l;
    char w[48], in[48 + LAYER_NAME_MAX];
    if (!v->on_array)
        snprintf(w, sizeof w, "none");
    else if (v->w_resident)
        snprintf(w, sizeof w, "resident");
    else if (c->w_reads == 1)
        snprintf(w, sizeof w, "once");
    else
        snprintf(w, sizeof w, "%lldx (%lld row blocks)", (long long)c->w_reads,
                 (long long)c->nb_m);
    if (v->in_resident[0] && (v->nin == 1 || v->in_resident[1]))
        snprintf(in, sizeof in, "on chip from %s",
                 net->layers[l->in[0]].name);
    else if (c->in_reads == 1)
        snprintf(in, sizeof in, "once");
    else
        snprintf(in, sizeof in, "%lldx (%lld filter blocks)",
                 (long long)c->in_reads, (long long)c->nb_n);
    snprintf(m->reason, sizeof m->reason, "w %.40s; in %.60s; out %s%s", w, in,
             c->keep_out ? "kept on chip" : "to DRAM",
             spilled ? "; spilled a kept tensor" : "");
}

int tile_map_net(const Accel *a, const Net *net, TileSchedule *ts, Err *e)
{
    memset(ts, 0, sizeof *ts);
    int n = net->n;
    int *onchip = qa_calloc((size_t)QA_MAX(n, 1), sizeof *onchip);
    int *last = qa_calloc((size_t)QA_MAX(n, 1), sizeof *last);
    ts->layers = qa_calloc((size_t)QA_MAX(n, 1), sizeof *ts->layers);
    if (!onchip || !last || !ts->layers) {
        free(onchip);
        free(last);
        free(ts->layers);
        ts->layers = NULL;
        return err_set(e, NULL, 0, NULL, "out of memory");
    }
    ts->n = n;
    for (int i = 0; i < n; i++)
        last[i] = net_last_use(net, i);

    /* All weights stay on chip when asked and they take at most half of
     * the chip's scratchpads, leaving the rest for activations. */
    int64_t w_total = 0;
    for (int i = 0; i < n; i++)
        w_total += layer_weight_bytes(&net->layers[i]);
    int w_res = a->weights_resident &&
                2 * w_total <= (int64_t)a->cores * a->sram_bytes;
    int64_t base_resident = w_res ? w_total : 0;

    for (int id = 0; id < n; id++) {
        const Layer *l = &net->layers[id];
        LayerMap *m = &ts->layers[id];
        m->layer = id;
        /* Free what nobody reads any more. */
        int64_t resident = base_resident;
        for (int j = 0; j < id; j++) {
            if (onchip[j] && last[j] < id)
                onchip[j] = 0;
            if (onchip[j])
                resident += layer_out_bytes(&net->layers[j]);
        }
        LayerView v;
        view_init(net, id, onchip, w_res, &v);
        m->bits = v.on_array ? QA_MAX(l->w_bits, l->a_bits) : l->a_bits;
        /* A shift-add (APoT) PE sizes its lanes by the activation bits and
         * spends ceil(w_bits / 2) cycles per MAC. */
        int sbits = a->pe == PE_APOT && v.on_array ? l->a_bits : m->bits;
        m->lanes = a->pe == PE_APOT ? scale_apot_lanes(a, sbits)
                                    : scale_lanes(a, sbits);
        scale_array(a, sbits, &m->rows, &m->cols);
        /* The network's outputs go to DRAM. */
        int allow_keep = last[id] >= 0;
        Best best;
        int64_t spilled = 0;
        for (;;) {
            search(a, &v, m->rows, m->cols, resident, allow_keep, &best);
            if (best.ok)
                break;
            /* Spill the largest kept tensor that is not an input of this
             * layer, then the inputs themselves. */
            int victim = -1;
            for (int pass = 0; pass < 2 && victim < 0; pass++)
                for (int j = 0; j < id; j++) {
                    if (!onchip[j])
                        continue;
                    int is_input = j == l->in[0] || (v.nin == 2 && j == l->in[1]);
                    if (is_input != pass)
                        continue;
                    if (victim < 0 || layer_out_bytes(&net->layers[j]) >
                                          layer_out_bytes(&net->layers[victim]))
                        victim = j;
                }
            if (victim < 0) {
                tile_free(ts);
                free(onchip);
                free(last);
                return err_set(e, NULL, 0, l->name,
                               "does not fit: the smallest tile (one output "
                               "row of one filter) needs more than the %lld "
                               "bytes of scratchpad per core",
                               (long long)a->sram_bytes);
            }
            onchip[victim] = 0;
            int64_t vb = layer_out_bytes(&net->layers[victim]);
            resident -= vb;
            spilled += vb;
            view_init(net, id, onchip, w_res, &v);
        }
        const TileChoice *c = &best.c;
        m->split = c->split;
        m->cores_used = c->cores_used;
        m->order = c->order;
        m->tile_n = c->tn;
        m->nb_n = c->nb_n;
        m->nb_m = c->nb_m;
        m->spill = spilled > 0;
        m->tile_m = c->tr * l->Q;
        m->in_resident = v.in_resident[0] && (v.nin == 1 || v.in_resident[1]);
        m->out_resident = c->keep_out;
        m->w_resident = w_res && v.on_array;
        m->w_fetches = c->w_reads;
        m->in_fetches = m->in_resident ? 0 : c->in_reads;
        m->sram_peak_bytes = c->sram_bytes;
        m->macs = layer_macs(l);
        m->compulsory_bytes = (m->w_resident ? 0 : v.w_all) +
                              (v.in_resident[0] ? 0 : v.in_all) +
                              (v.nin == 2 && !v.in_resident[1] ? v.in_all : 0) +
                              (c->keep_out ? 0 : v.out_all);
        if (emit(a, &v, c, m->rows, m->cols, spilled, m) != QA_OK) {
            tile_free(ts);
            free(onchip);
            free(last);
            return err_set(e, NULL, 0, NULL, "out of memory");
        }
        sum_schedule(m);
        explain(net, &v, c, spilled, m);
        onchip[id] = c->keep_out;
    }
    free(onchip);
    free(last);
    return QA_OK;
}
