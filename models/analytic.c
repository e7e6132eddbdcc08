/* analytic.c: the per-layer estimate without contention.
 *
 * Each core runs its tiles through a three-stage pipeline, load -> compute
 * -> store, with B buffers per stage (B = 2 double-buffered, 1 otherwise).
 * With ld/cd/sd the finish times of tile t's load, compute and store:
 *
 *   load    starts at max(ld[t-1], cd[t-B])           (buffer t-B freed)
 *   compute starts at max(ld[t],   cd[t-1], sd[t-B])  (output slot free)
 *   store   starts at max(cd[t],   sd[t-1])
 *
 * and a transfer of b > 0 bytes takes latency + ceil(b / bytes_per_cycle).
 * Loads and stores of a core use separate DMA queues and never wait for
 * each other; the SystemC model adds the wait for the shared channel.
 * A layer ends when its slowest core's last store is done (barrier), and
 * never sooner than its DRAM bytes / bandwidth. Every sum and product of
 * cycles stops at QA_COUNT_MAX (qa.h) instead of wrapping; analytic_run
 * refuses a run that reached it. */
#include "models/analytic.h"
#include "models/energy.h"

#include <math.h>
#include <string.h>

int64_t analytic_xfer_cycles(const Accel *a, int64_t bytes)
{
    if (bytes <= 0)
        return 0;
    double bpc = arch_dram_bytes_per_cycle(a);
    int64_t xfer = bpc > 0 ? qa_count_ceil((double)bytes / bpc) : 0;
    return qa_cadd(a->dram_latency_cycles, xfer);
}

void analytic_pipe_init(Pipeline *p)
{
    memset(p, 0, sizeof *p);
}

static void pipe_step(Pipeline *p, int two, int64_t load, int64_t comp,
                      int64_t store)
{
    int64_t cd_free = two ? p->cd2 : p->cd1;
    int64_t sd_free = two ? p->sd2 : p->sd1;
    int64_t ld = qa_cadd(QA_MAX(p->ld1, cd_free), load);
    int64_t cs = QA_MAX(QA_MAX(ld, p->cd1), sd_free);
    int64_t cd = qa_cadd(cs, comp);
    int64_t sd = qa_cadd(QA_MAX(cd, p->sd1), store);
    p->ld1 = ld;
    p->cd2 = p->cd1;
    p->cd1 = cd;
    p->sd2 = p->sd1;
    p->sd1 = sd;
}

/* d if y is x with every finish time d later, else -1. */
static int64_t pipe_shift(const Pipeline *x, const Pipeline *y)
{
    int64_t d = y->ld1 - x->ld1;
    if (y->cd1 - x->cd1 != d || y->cd2 - x->cd2 != d || y->sd1 - x->sd1 != d ||
        y->sd2 - x->sd2 != d)
        return -1;
    return d;
}

static void pipe_add(Pipeline *p, int64_t d)
{
    p->ld1 = qa_cadd(p->ld1, d), p->cd1 = qa_cadd(p->cd1, d);
    p->cd2 = qa_cadd(p->cd2, d);
    p->sd1 = qa_cadd(p->sd1, d), p->sd2 = qa_cadd(p->sd2, d);
}

/* One step: a single tile (g->count ignored) or, with seq, one pass over
 * the whole sequence of groups. */
typedef struct {
    const Accel *a;
    const TileGroup *g;
    int ngroups;
    int seq;
    int64_t load, store;  /* single tile: transfer cycles */
} Step;

static void run_groups(Pipeline *p, const Accel *a, const TileGroup *g,
                       int ngroups);

static void step(Pipeline *p, const Step *s)
{
    if (s->seq)
        run_groups(p, s->a, s->g, s->ngroups);
    else
        pipe_step(p, s->a->double_buffer != 0, s->load, s->g->compute_cycles,
                  s->store);
}

/* Apply the step `count` times. Every step is max-plus: shifting every
 * finish time by d shifts the result by d. So once two states one step (or
 * two steps) apart differ by the same d in every field, each later step
 * adds the same d, and the rest is added in one multiplication: the result
 * is the same as stepping, to the cycle, in a few steps. */
static void repeat(Pipeline *p, const Step *s, int64_t count)
{
    Pipeline hist[3]; /* the states after the last three steps, newest last */
    memset(hist, 0, sizeof hist);
    for (int64_t t = 0; t < count;) {
        step(p, s);
        t++;
        hist[0] = hist[1], hist[1] = hist[2], hist[2] = *p;
        if (t < 3)
            continue;
        for (int period = 1; period <= 2; period++) {
            int64_t d = pipe_shift(&hist[2 - period], &hist[2]);
            if (d < 0)
                continue;
            int64_t reps = (count - t) / period;
            pipe_add(p, qa_cmul(reps, d));
            t += reps * period;
            while (t < count) { /* the last (count - t) < period steps */
                step(p, s);
                t++;
            }
            return;
        }
    }
}

static void run_groups(Pipeline *p, const Accel *a, const TileGroup *g,
                       int ngroups)
{
    for (int i = 0; i < ngroups; i++) {
        Step s = {a, &g[i], 1, 0, 0, 0};
        s.load = analytic_xfer_cycles(
            a, qa_cadd(qa_cadd(g[i].load_w_bytes, g[i].load_in_bytes), g[i].load_psum_bytes));
        s.store = analytic_xfer_cycles(
            a, qa_cadd(g[i].store_out_bytes, g[i].store_psum_bytes));
        repeat(p, &s, g[i].count);
    }
}

void analytic_pipe_run(Pipeline *p, const Accel *a, const TileGroup *g,
                       int ngroups, int64_t reps)
{
    if (ngroups <= 0 || reps <= 0)
        return;
    if (reps == 1) {
        run_groups(p, a, g, ngroups);
        return;
    }
    Step s = {a, g, ngroups, 1, 0, 0};
    repeat(p, &s, reps);
}

int64_t analytic_pipe_end(const Pipeline *p)
{
    return QA_MAX(p->sd1, p->cd1);
}

int64_t analytic_core_cycles(const Accel *a, const TileGroup *g, int ngroups,
                             int64_t *busy_cycles)
{
    Pipeline p;
    analytic_pipe_init(&p);
    analytic_pipe_run(&p, a, g, ngroups, 1);
    if (busy_cycles) {
        int64_t busy = 0;
        for (int i = 0; i < ngroups; i++)
            busy = qa_cadd(busy, qa_cmul(g[i].compute_cycles, g[i].count));
        *busy_cycles = busy;
    }
    return analytic_pipe_end(&p);
}

void analytic_layer(const Accel *a, const LayerMap *m, LayerStats *s)
{
    double bpc = arch_dram_bytes_per_cycle(a);
    int64_t worst = 0, worst_busy = 0;
    for (int c = 0; c < m->cores_used; c++) {
        int64_t busy;
        int64_t cyc = analytic_core_cycles(a, m->groups + m->first[c],
                                           m->first[c + 1] - m->first[c], &busy);
        if (cyc > worst) {
            worst = cyc;
            worst_busy = busy;
        }
    }
    int64_t bytes = tile_layer_dram_bytes(m);
    s->mem_cycles = bpc > 0 ? qa_count_ceil((double)bytes / bpc) : 0;
    s->cycles = QA_MAX(worst, s->mem_cycles);
    s->compute_cycles = worst_busy;
    s->stall_cycles = s->cycles - worst_busy;
    s->dram_rd_bytes = m->dram_w_bytes + m->dram_in_bytes + m->dram_psum_rd_bytes;
    s->dram_wr_bytes = m->dram_out_bytes + m->dram_psum_wr_bytes;
    s->dram_busy = s->cycles > 0 ? (double)s->mem_cycles / s->cycles : 0;
    s->util = tile_layer_util(a, m, s->cycles);
    energy_layer(a, m, s->cycles, s->dram_rd_bytes, s->dram_wr_bytes,
                 &s->energy);
}

int analytic_run(const Accel *a, const Net *net, const TileSchedule *ts,
                 RunStats *rs, Err *e)
{
    if (ts->n != net->n)
        return err_set(e, NULL, 0, "schedule", "has %d layers, network %d",
                       ts->n, net->n);
    if (stats_init(rs, net->n) != QA_OK)
        return err_set(e, NULL, 0, NULL, "out of memory");
    for (int l = 0; l < ts->n; l++)
        analytic_layer(a, &ts->layers[l], &rs->layers[l]);
    stats_total(rs);
    if (stats_check(rs, net, e) != QA_OK) {
        stats_free(rs);
        return QA_ERR;
    }
    return QA_OK;
}
