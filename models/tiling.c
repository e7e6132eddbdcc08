/* tiling.c: one mapping of one layer written out as a schedule (tiling.h).
 *
 * Compute cycles of a tile come from the systolic closed form at the
 * layer's precision (scale.c gives the effective array; a tile may use
 * fewer columns, see LayerMap.col_opts), or from the vector unit for pool
 * and add. Bytes and the scratchpad working set come from traffic.c.
 * With core.timing = "scalesim" a tile is one SCALE-Sim v2 run on the whole
 * effective array (scalesim.c: folds padded to R x C, back to back, its
 * last-cycle count); the mapper then gives each core one tile per layer. */
#include "models/tiling.h"
#include "models/analytic.h"
#include "models/energy.h"
#include "models/scale.h"
#include "models/scalesim.h"
#include "models/systolic.h"
#include "models/traffic.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void tile_array(const Accel *a, const Layer *l, LayerMap *m)
{
    int on_array = layer_on_array(l);
    m->bits = on_array ? QA_MAX(l->w_bits, l->a_bits) : l->a_bits;
    /* A shift-add (APoT) PE sizes its lanes by the activation bits and
     * spends ceil(w_bits / 2) cycles per MAC. */
    int sbits = a->pe == PE_APOT && on_array ? l->a_bits : m->bits;
    m->lanes = a->pe == PE_APOT ? scale_apot_lanes(a, sbits)
                                : scale_lanes(a, sbits);
    scale_array(a, sbits, &m->rows, &m->cols);
    m->cycles_per_mac = on_array ? scale_cycles_per_mac(a, l->w_bits, l->a_bits) : 1;
    /* The widths of the array at this and every higher precision: a
     * mapping that fits the wider-precision chip fits this one too. */
    m->ncol_opts = 0;
    for (int b = sbits; b <= QA_MAX(sbits, a->base_bits); b++) {
        int r, c, seen = 0;
        scale_array(a, b, &r, &c);
        for (int i = 0; i < m->ncol_opts; i++)
            seen |= m->col_opts[i] == c;
        if (!seen && c <= m->cols && m->ncol_opts < ARCH_MAX_BITS + 1)
            m->col_opts[m->ncol_opts++] = c;
    }
}

/* Array cycles of a GEMM of m rows x k x n on the widest-first column
 * options of m_: the least, and the width that gives it. */
static int64_t gemm_cycles(const Accel *a, const LayerMap *m, int64_t rows,
                           int64_t k, int64_t n, int *cols_used)
{
    /* SCALE-Sim's count (core.timing = "scalesim") on the whole array */
    if (a->timing == TIMING_SCALESIM) {
        if (cols_used)
            *cols_used = m->cols;
        return scalesim_gemm_cycles(a->dataflow, m->rows, m->cols, rows, k, n);
    }
    int64_t best = -1;
    for (int i = 0; i < m->ncol_opts; i++) {
        int64_t c = sys_gemm_cycles(a->dataflow, m->rows, m->col_opts[i], rows,
                                    k, n, a->double_buffer);
        if (best < 0 || c < best) {
            best = c;
            if (cols_used)
                *cols_used = m->col_opts[i];
        }
    }
    return best;
}

/* Groups per array pass worth trying for a tile of n units of kg x unit_k
 * each: powers of two, all n, and the most that fit the array's rows or
 * one of its column widths along either GEMM dimension. */
static int pack_options(const LayerView *v, const LayerMap *m, int64_t n,
                        int64_t *opt)
{
    int cnt = 0;
    int64_t cand[64];
    int nc = 0;
    for (int64_t g = 1; g <= n && nc < 40; g *= 2)
        cand[nc++] = g;
    cand[nc++] = n;
    int64_t dims[ARCH_MAX_BITS + 2];
    int nd = 0;
    dims[nd++] = m->rows;
    for (int i = 0; i < m->ncol_opts; i++)
        dims[nd++] = m->col_opts[i];
    for (int i = 0; i < nd && nc + 2 <= 64; i++) {
        cand[nc++] = dims[i] / v->kg;
        cand[nc++] = dims[i] / v->unit_k;
    }
    for (int i = 0; i < nc; i++) {
        int64_t g = QA_MIN(cand[i], n);
        if (g < 1)
            continue;
        int seen = 0;
        for (int j = 0; j < cnt; j++)
            seen |= opt[j] == g;
        if (!seen)
            opt[cnt++] = g;
    }
    return cnt;
}

int64_t tile_compute_cycles(const Accel *a, const LayerView *v,
                            const LayerMap *m, int64_t n, int64_t r,
                            int *cols_used)
{
    return tile_compute_packed(a, v, m, n, r, cols_used, NULL);
}

int64_t tile_compute_packed(const Accel *a, const LayerView *v,
                            const LayerMap *m, int64_t n, int64_t r,
                            int *cols_used, int64_t *pack)
{
    if (cols_used)
        *cols_used = m->cols;
    if (pack)
        *pack = 0;
    if (n <= 0 || r <= 0)
        return 0;
    const Layer *l = v->l;
    if (v->kind == VIEW_DENSE)
        return qa_cmul(gemm_cycles(a, m, r * l->Q, v->kg, n, cols_used),
                       scale_cycles_per_mac(a, l->w_bits, l->a_bits));
    if (v->kind == VIEW_GROUPS) {
        /* Groups are independent GEMMs: g of them at a time run as one
         * block-diagonal GEMM (g*kg x g*unit_k, zero blocks included), the
         * n/g passes back to back, the rest in one smaller pass. g = 1 is
         * one GEMM per group. */
        int64_t opt[64], best = -1;
        int nopt = pack_options(v, m, n, opt);
        for (int i = 0; i < nopt; i++) {
            int64_t g = opt[i], rem = n % g;
            int cf = m->cols, cr = m->cols;
            int64_t c = gemm_cycles(a, m, r * l->Q, g * v->kg, g * v->unit_k, &cf);
            int64_t t = qa_cmul(n / g, c);
            if (rem)
                t = qa_cadd(t, gemm_cycles(a, m, r * l->Q, rem * v->kg, rem * v->unit_k, &cr));
            if (best < 0 || t < best) {
                best = t;
                if (cols_used)
                    *cols_used = cf;
                if (pack)
                    *pack = g;
            }
        }
        return qa_cmul(best, scale_cycles_per_mac(a, l->w_bits, l->a_bits));
    }
    /* Vector unit: vector_lanes elements per cycle at base_bits, packed
     * base_bits / a_bits wide at lower precision, and ceil(a_bits /
     * base_bits) passes above it; a pool output costs R*S operations, an
     * add output one, a flat op vec_ops per element of the larger of its
     * first input and its output. */
    int64_t thr = (int64_t)a->vector_lanes * QA_MAX(1, a->base_bits / l->a_bits);
    int64_t ops;
    if (v->kind == VIEW_FLAT)
        ops = qa_cmul(QA_MAX(traffic_flat_elems(v, 0, n, r), traffic_flat_elems(v, -1, n, r)),
                      l->vec_ops);
    else
        ops = qa_cmul(qa_cmul(n * r, l->Q), l->op == OP_ADD ? 1 : (int64_t)l->R * l->S);
    ops = qa_cmul(ops, scale_vector_passes(a, l->a_bits));
    return ops >= QA_COUNT_MAX ? QA_COUNT_MAX : QA_CEIL_DIV(ops, thr);
}

int tile_cols(const Accel *a, const Layer *l, const LayerMap *m, int64_t n,
              int64_t r)
{
    LayerView v;
    memset(&v, 0, sizeof v);
    traffic_view_dims(l, &v);
    int cols;
    tile_compute_cycles(a, &v, m, n, r, &cols);
    return cols;
}

/* Busiest-core compute cycles of a candidate (blocks of at most two sizes
 * per dimension). */
static int64_t memo_tile(const Accel *a, const LayerView *v, const LayerMap *m,
                         int64_t n, int64_t r, TileMemo *memo)
{
    if (!memo)
        return tile_compute_cycles(a, v, m, n, r, NULL);
    uint64_t h = ((uint64_t)n * 0x9E3779B97F4A7C15u) ^ ((uint64_t)r * 0xC2B2AE3D27D4EB4Fu);
    for (int probe = 0; probe < 8; probe++) {
        int i = (int)((h + (uint64_t)probe) % TILE_MEMO_SIZE);
        if (memo->n[i] == n && memo->r[i] == r)
            return memo->cyc[i];
        if (memo->n[i] == 0) {
            memo->n[i] = n, memo->r[i] = r;
            memo->cyc[i] = tile_compute_cycles(a, v, m, n, r, NULL);
            return memo->cyc[i];
        }
    }
    return tile_compute_cycles(a, v, m, n, r, NULL); /* full: not kept */
}

int64_t tile_choice_compute(const Accel *a, const LayerView *v,
                            const LayerMap *m, const TileChoice *c,
                            TileMemo *memo)
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
                sum = qa_cadd(sum, qa_cmul(qa_cmul(ncnt[i], rcnt[j]),
                                           memo_tile(a, v, m, nsz[i], rsz[j], memo)));
    return sum;
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
        if (last->load_w_bytes == t->load_w_bytes &&
            last->load_in_bytes == t->load_in_bytes &&
            last->compute_cycles == t->compute_cycles &&
            last->store_out_bytes == t->store_out_bytes &&
            last->macs == t->macs && last->load_psum_bytes == t->load_psum_bytes &&
            last->store_psum_bytes == t->store_psum_bytes) {
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

/* First unit of block b of `total` cut into nb near-equal blocks (the
 * first total % nb blocks one unit longer, as traffic_part). */
static int64_t block_start(int64_t total, int64_t nb, int64_t b)
{
    return b * (total / nb) + QA_MIN(b, total % nb);
}

/* Compute cycles of the (at most four) tile sizes a core uses, found once. */
typedef struct {
    int64_t n[4], r[4], cyc[4];
    int used;
} CycleMemo;

static int64_t memo_cycles(CycleMemo *cm, const Accel *a, const LayerView *v,
                           const LayerMap *m, int64_t n, int64_t r)
{
    for (int i = 0; i < cm->used; i++)
        if (cm->n[i] == n && cm->r[i] == r)
            return cm->cyc[i];
    int64_t cyc = tile_compute_cycles(a, v, m, n, r, NULL);
    int i = cm->used < 4 ? cm->used++ : 3;
    cm->n[i] = n, cm->r[i] = r, cm->cyc[i] = cyc;
    return cyc;
}

/* Where one core's share of a candidate lies. */
typedef struct {
    int core, cu, by_ch, w_outer;
    int64_t ch_c, rows_c;    /* the core's channels and output rows */
    int64_t r0;              /* its first output row (row split) */
    int64_t outer_n, inner_n;
    CycleMemo cm;
} CoreShare;

static void core_share(const LayerView *v, const TileChoice *c, int core,
                       CoreShare *g)
{
    g->core = core;
    g->cu = c->cores_used;
    g->by_ch = c->split == SPLIT_K;
    g->w_outer = c->order == LOOP_W_OUTER;
    g->ch_c = g->by_ch ? traffic_part(v->ch, g->cu, core) : v->ch;
    g->rows_c = g->by_ch ? v->rows_out : traffic_part(v->rows_out, g->cu, core);
    g->r0 = g->by_ch ? 0 : block_start(v->rows_out, g->cu, core);
    g->outer_n = g->w_outer ? c->nb_n : c->nb_m;
    g->inner_n = g->w_outer ? c->nb_m : c->nb_n;
    g->cm.used = 0;
}

/* The tile (o, i) of the core's loop nest: outer index o, inner index i. */
static void core_tile(const Accel *a, const LayerView *v, const TileChoice *c,
                      const LayerMap *m, CoreShare *g, int64_t o, int64_t i,
                      TileGroup *t)
{
    int64_t bn = g->w_outer ? o : i, bm = g->w_outer ? i : o;
    int64_t n = block(g->ch_c, c->nb_n, bn);
    int64_t r = block(g->rows_c, c->nb_m, bm);
    int64_t rs = g->r0 + block_start(g->rows_c, c->nb_m, bm);
    memset(t, 0, sizeof *t);
    t->count = 1;
    /* Weights: own under the channel split, a 1/cores share of the
     * broadcast tile under the row split. */
    int load_w = c->w_reads > 0 &&
                 (g->w_outer ? i == 0 : (o == 0 || c->w_reads > 1));
    if (load_w)
        t->load_w_bytes = g->by_ch ? traffic_w_tile(v, n)
                                   : traffic_part(traffic_w_tile(v, n), g->cu,
                                                  g->core);
    /* Inputs: dense conv/fc tiles share them over filter blocks (and,
     * split by channels, over cores: a 1/cores share each); the tiles of
     * other layers each read their own slice. */
    int dense = v->kind == VIEW_DENSE;
    int load_in = !dense ||
                  (c->in_reads > 0 &&
                   (g->w_outer ? (o == 0 || c->in_reads > 1) : i == 0));
    if (load_in)
        for (int k = 0; k < v->nin; k++) {
            if (v->in_resident[k])
                continue;
            int64_t it = v->kind == VIEW_FLAT
                             ? traffic_in_tile(v, k, n, r)
                             : traffic_in_rows_range(v->l, g->r0, rs, rs + r) *
                                   traffic_in_row_bytes(v, n);
            t->load_in_bytes += g->by_ch && dense
                                    ? traffic_part(it, g->cu, g->core) : it;
        }
    t->compute_cycles = memo_cycles(&g->cm, a, v, m, n, r);
    t->macs = v->on_array ? n * v->unit_k * r * v->l->Q * v->kg : 0;
    if (!c->keep_out)
        t->store_out_bytes = traffic_out_tile(v, n, r);
}

/* How many inner iterations from i on make the same tile as i: the
 * tiles after the first differ only where the block size changes (the
 * first `rem` blocks are one longer), unless they load input rows whose
 * count depends on the block's position (not so for a flat op, whose
 * tiles read in proportion, nor when every output row fetches rows of its
 * own, traffic_rows_uniform). */
static int64_t same_run(const LayerView *v, const TileChoice *c,
                        const CoreShare *g, int64_t o, int64_t i)
{
    if (i == 0)
        return 1;
    int64_t rem;
    if (g->w_outer) {
        int loads = v->kind != VIEW_DENSE ||
                    (c->in_reads > 0 && (o == 0 || c->in_reads > 1));
        int by_position = v->kind != VIEW_FLAT && !traffic_rows_uniform(v->l);
        if (loads && by_position)
            return 1;
        rem = g->rows_c % c->nb_m;
    } else {
        rem = g->ch_c % c->nb_n;
    }
    return (i < rem ? rem : g->inner_n) - i;
}

/* Append outer iteration o of the core to r as runs: an iteration costs
 * as many steps as it has distinct tiles, not one per tile. */
static int core_outer(const Accel *a, const LayerView *v, const TileChoice *c,
                      const LayerMap *m, CoreShare *g, int64_t o, Runs *r,
                      int from)
{
    TileGroup t;
    for (int64_t i = 0; i < g->inner_n;) {
        core_tile(a, v, c, m, g, o, i, &t);
        t.count = same_run(v, c, g, o, i);
        if (runs_add(r, from, &t) != QA_OK)
            return QA_ERR;
        i += t.count;
    }
    return QA_OK;
}

static void spill_tile(const TileChoice *c, int64_t spill_bytes, int core,
                       TileGroup *t)
{
    memset(t, 0, sizeof *t);
    t->count = 1;
    t->store_out_bytes = traffic_part(spill_bytes, c->cores_used, core);
}

/* Append the tile runs of one core of the candidate to `all`. spill_bytes
 * (held tensors written back to DRAM) are stored by a first tile with no
 * compute. */
static int emit_core(const Accel *a, const LayerView *v, const TileChoice *c,
                     int64_t spill_bytes, const LayerMap *m, int core,
                     Runs *all)
{
    int from = all->n;
    CoreShare g;
    core_share(v, c, core, &g);
    if (spill_bytes > 0) {
        TileGroup t;
        spill_tile(c, spill_bytes, core, &t);
        if (runs_add(all, from, &t) != QA_OK)
            return QA_ERR;
    }
    for (int64_t o = 0; o < g.outer_n; o++)
        if (core_outer(a, v, c, m, &g, o, all, from) != QA_OK)
            return QA_ERR;
    return QA_OK;
}

/* Write the per-core tile runs of the chosen candidate into m. */
static int emit(const Accel *a, const LayerView *v, const TileChoice *c,
                int64_t spill_bytes, LayerMap *m)
{
    int cu = c->cores_used;
    Runs all;
    memset(&all, 0, sizeof all);
    m->first = qa_calloc((size_t)cu + 1, sizeof *m->first);
    if (!m->first)
        return QA_ERR;
    for (int core = 0; core < cu; core++) {
        m->first[core] = all.n;
        if (emit_core(a, v, c, spill_bytes, m, core, &all) != QA_OK)
            goto oom;
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

static int64_t runs_bytes(const Runs *r)
{
    int64_t b = 0;
    for (int i = 0; i < r->n; i++)
        b = qa_cadd(b, qa_cmul(r->g[i].count,
                               qa_cadd(qa_cadd(r->g[i].load_w_bytes, r->g[i].load_in_bytes),
                                       r->g[i].store_out_bytes)));
    return b;
}

int64_t tile_core_cycles(const Accel *a, const LayerView *v,
                         const TileChoice *c, int64_t spill_bytes,
                         const LayerMap *m, int core, int64_t *bytes, Err *e)
{
    CoreShare g;
    core_share(v, c, core, &g);
    Pipeline p;
    analytic_pipe_init(&p);
    Runs r;
    memset(&r, 0, sizeof r);
    int64_t total = 0;
    if (spill_bytes > 0) {
        TileGroup t;
        spill_tile(c, spill_bytes, core, &t);
        analytic_pipe_run(&p, a, &t, 1, 1);
        total += t.store_out_bytes;
    }
    /* With the outer loop over channel blocks, iteration o makes the same
     * tiles as o - 1 except at o = 1 (the first loads inputs the others
     * may not) and where the block size changes: those runs of outer
     * iterations are one sequence repeated. */
    int64_t rem = g.ch_c % c->nb_n;
    for (int64_t o = 0; o < g.outer_n;) {
        int64_t reps = 1;
        if (g.w_outer && o >= 1)
            reps = (o < rem ? rem : g.outer_n) - o;
        r.n = 0;
        if (core_outer(a, v, c, m, &g, o, &r, 0) != QA_OK) {
            free(r.g);
            err_set(e, NULL, 0, NULL, "out of memory");
            return -1;
        }
        analytic_pipe_run(&p, a, r.g, r.n, reps);
        total = qa_cadd(total, qa_cmul(reps, runs_bytes(&r)));
        o += reps;
    }
    free(r.g);
    if (bytes)
        *bytes = total;
    return analytic_pipe_end(&p);
}

static void sum_schedule(LayerMap *m)
{
    m->dram_w_bytes = m->dram_in_bytes = m->dram_out_bytes = 0;
    m->tiles = 0;
    for (int c = 0; c < m->cores_used; c++) {
        int64_t tiles = 0;
        for (int g = m->first[c]; g < m->first[c + 1]; g++) {
            const TileGroup *t = &m->groups[g];
            m->dram_w_bytes = qa_cadd(m->dram_w_bytes, qa_cmul(t->count, t->load_w_bytes));
            m->dram_in_bytes = qa_cadd(m->dram_in_bytes, qa_cmul(t->count, t->load_in_bytes));
            m->dram_out_bytes = qa_cadd(m->dram_out_bytes,
                                        qa_cmul(t->count, t->store_out_bytes));
            tiles = qa_cadd(tiles, t->count);
        }
        m->tiles = QA_MAX(m->tiles, tiles);
    }
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
    LayerView v;
    memset(&v, 0, sizeof v);
    traffic_view_dims(l, &v);
    int64_t ch = v.ch, rows = v.rows_out;
    int64_t ch_c = by_ch ? traffic_part(ch, cu, core) : ch;
    int64_t ch0 = by_ch ? block_start(ch, cu, core) : 0;
    int64_t rows_c = by_ch ? rows : traffic_part(rows, cu, core);
    int64_t row0 = by_ch ? 0 : block_start(rows, cu, core);
    int w_outer = m->order == LOOP_W_OUTER;
    int64_t inner_n = w_outer ? m->nb_m : m->nb_n;
    int64_t o = t / inner_n, i = t % inner_n;
    int64_t bn = w_outer ? o : i, bm = w_outer ? i : o;
    b->k0 = (ch0 + block_start(ch_c, m->nb_n, bn)) * v.unit_k;
    b->k1 = b->k0 + block(ch_c, m->nb_n, bn) * v.unit_k;
    b->r0 = row0 + block_start(rows_c, m->nb_m, bm);
    b->r1 = b->r0 + block(rows_c, m->nb_m, bm);
    return QA_OK;
}

int64_t tile_layer_dram_bytes(const LayerMap *m)
{
    return qa_cadd(qa_cadd(qa_cadd(m->dram_w_bytes, m->dram_in_bytes),
                           qa_cadd(m->dram_out_bytes, m->dram_psum_rd_bytes)),
                   m->dram_psum_wr_bytes);
}

double tile_layer_util(const Accel *a, const LayerMap *m, int64_t cycles)
{
    if (m->macs == 0 || cycles <= 0)
        return 0;
    /* the peak is a MAC per lane every cycles_per_mac cycles */
    return (double)m->macs * QA_MAX(1, m->cycles_per_mac) /
           ((double)a->cores * m->rows * m->cols * cycles);
}

void tile_free_layer(LayerMap *m)
{
    free(m->groups);
    free(m->first);
    m->groups = NULL;
    m->first = NULL;
    m->ngroups = 0;
}

void tile_free(TileSchedule *ts)
{
    if (ts->layers)
        for (int i = 0; i < ts->n; i++)
            tile_free_layer(&ts->layers[i]);
    free(ts->layers);
    ts->layers = NULL;
    ts->n = 0;
}

void tile_view(const Net *net, int id, const TileContext *x, LayerView *v)
{
    const Layer *l = &net->layers[id];
    memset(v, 0, sizeof *v);
    traffic_view_dims(l, v);
    for (int k = 0; k < v->nin; k++)
        v->in_resident[k] = l->in[k] >= 0 && x->in_resident[k];
    /* A matmul's second operand is on chip when its producer kept it; the
     * chip's resident weights are conv and fc weights. */
    v->w_resident = l->op == OP_MATMUL ? l->in[1] >= 0 && x->in_resident[1]
                                       : x->w_resident;
}

static void explain(const Net *net, const LayerView *v, const TileChoice *c,
                    int64_t spilled, LayerMap *m)
{
    const Layer *l = v->l;
    int mm = l->op == OP_MATMUL;
    char w[64], in[48 + LAYER_NAME_MAX], grp[64] = "";
    if (!v->on_array)
        snprintf(w, sizeof w, "none");
    else if (v->w_resident)
        snprintf(w, sizeof w, mm ? "on chip from %.30s" : "resident",
                 mm ? net->layers[l->in[1]].name : "");
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
    /* How a grouped conv or matmul meets the array: one GEMM per group,
     * or several groups at a time, block-diagonally. */
    if (v->kind == VIEW_GROUPS) {
        const char *what = mm ? "GEMMs" : "groups";
        if (m->pack <= 1)
            snprintf(grp, sizeof grp, "; %lld %s, one GEMM each",
                     (long long)v->ch, what);
        else
            snprintf(grp, sizeof grp, "; %lld %s, %lld per pass block-diagonal",
                     (long long)v->ch, what, (long long)m->pack);
    }
    /* Longer than the field when every part is long: cut at its end. */
    char buf[400];
    if (mm)
        snprintf(buf, sizeof buf,
                 "both operands activations: A %.48s, B %.40s; out %s%s%s", in,
                 w, c->keep_out ? "kept on chip" : "to DRAM",
                 spilled ? "; spilled a kept tensor" : "", grp);
    else
        snprintf(buf, sizeof buf, "w %.40s; in %.60s; out %s%s%s", w, in,
                 c->keep_out ? "kept on chip" : "to DRAM",
                 spilled ? "; spilled a kept tensor" : "", grp);
    snprintf(m->reason, sizeof m->reason, "%.*s", (int)sizeof m->reason - 1, buf);
}

int tile_build(const Accel *a, const Net *net, int id, const LayerView *v,
               const TileChoice *c, const TileContext *x, LayerMap *m, Err *e)
{
    const Layer *l = &net->layers[id];
    m->layer = id;
    m->split = c->split;
    m->cores_used = c->cores_used;
    m->order = c->order;
    m->tile_n = c->tn;
    m->nb_n = c->nb_n;
    m->nb_m = c->nb_m;
    m->spill = x->spill_bytes > 0;
    m->tile_m = c->tr * l->Q;
    m->in_resident = v->in_resident[0] && (v->nin == 1 || v->in_resident[1]);
    m->out_resident = c->keep_out;
    m->w_resident = v->w_resident && v->on_array;
    m->w_fetches = c->w_reads;
    m->in_fetches = m->in_resident ? 0 : c->in_reads;
    m->sram_peak_bytes = c->sram_bytes;
    m->macs = layer_macs(l);
    m->compulsory_bytes = (m->w_resident ? 0 : v->w_all) +
                          (v->in_resident[0] ? 0 : v->in_all[0]) +
                          (v->nin == 2 && !v->in_resident[1] ? v->in_all[1] : 0) +
                          (c->keep_out ? 0 : v->out_all);
    m->pack = 0;
    if (v->kind == VIEW_GROUPS)
        tile_compute_packed(a, v, m, c->tn, c->tr, NULL, &m->pack);
    if (emit(a, v, c, x->spill_bytes, m) != QA_OK)
        return err_set(e, NULL, 0, NULL, "out of memory");
    sum_schedule(m);
    /* A matmul's second operand takes the weights' place in the tiles but
     * is an activation: reported with the inputs. */
    if (l->op == OP_MATMUL) {
        m->dram_in_bytes += m->dram_w_bytes;
        m->dram_w_bytes = 0;
    }
    explain(net, v, c, x->spill_bytes, m);
    energy_count(a, l, m);
    return QA_OK;
}
