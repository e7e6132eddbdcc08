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
 * never sooner than its DRAM bytes / bandwidth. */
#include "models/analytic.h"

#include <math.h>

int64_t analytic_xfer_cycles(const Accel *a, int64_t bytes)
{
    if (bytes <= 0)
        return 0;
    double bpc = arch_dram_bytes_per_cycle(a);
    int64_t xfer = bpc > 0 ? (int64_t)ceil((double)bytes / bpc) : 0;
    return a->dram_latency_cycles + xfer;
}

int64_t analytic_core_cycles(const Accel *a, const TileGroup *g, int ngroups,
                             int64_t *busy_cycles)
{
    /* Finish times of the last two tiles: index 0 = t-1, 1 = t-2. */
    int64_t ld1 = 0, cd1 = 0, cd2 = 0, sd1 = 0, sd2 = 0;
    int64_t busy = 0;
    int two = a->double_buffer != 0;

    for (int i = 0; i < ngroups; i++) {
        int64_t load = analytic_xfer_cycles(
            a, g[i].load_w_bytes + g[i].load_in_bytes + g[i].load_psum_bytes);
        int64_t store = analytic_xfer_cycles(
            a, g[i].store_out_bytes + g[i].store_psum_bytes);
        int64_t comp = g[i].compute_cycles;
        for (int64_t t = 0; t < g[i].count; t++) {
            int64_t cd_free = two ? cd2 : cd1;
            int64_t sd_free = two ? sd2 : sd1;
            int64_t ld = QA_MAX(ld1, cd_free) + load;
            int64_t cs = QA_MAX(QA_MAX(ld, cd1), sd_free);
            int64_t cd = cs + comp;
            int64_t sd = QA_MAX(cd, sd1) + store;
            ld1 = ld;
            cd2 = cd1;
            cd1 = cd;
            sd2 = sd1;
            sd1 = sd;
        }
        busy += comp * g[i].count;
    }
    if (busy_cycles)
        *busy_cycles = busy;
    return QA_MAX(sd1, cd1);
}

int analytic_run(const Accel *a, const Net *net, const TileSchedule *ts,
                 RunStats *rs, Err *e)
{
    if (ts->n != net->n)
        return err_set(e, NULL, 0, "schedule", "has %d layers, network %d",
                       ts->n, net->n);
    if (stats_init(rs, net->n) != QA_OK)
        return err_set(e, NULL, 0, NULL, "out of memory");
    double bpc = arch_dram_bytes_per_cycle(a);
    for (int l = 0; l < ts->n; l++) {
        const LayerMap *m = &ts->layers[l];
        LayerStats *s = &rs->layers[l];
        int64_t worst = 0, worst_busy = 0;
        for (int c = 0; c < m->cores_used; c++) {
            int64_t busy;
            int64_t cyc = analytic_core_cycles(a, m->groups + m->first[c],
                                               m->first[c + 1] - m->first[c],
                                               &busy);
            if (cyc > worst) {
                worst = cyc;
                worst_busy = busy;
            }
        }
        int64_t bytes = tile_layer_dram_bytes(m);
        s->mem_cycles = bpc > 0 ? (int64_t)ceil((double)bytes / bpc) : 0;
        s->cycles = QA_MAX(worst, s->mem_cycles);
        s->compute_cycles = worst_busy;
        s->stall_cycles = s->cycles - worst_busy;
        s->dram_rd_bytes = m->dram_w_bytes + m->dram_in_bytes +
                           m->dram_psum_rd_bytes;
        s->dram_wr_bytes = m->dram_out_bytes + m->dram_psum_wr_bytes;
        s->dram_busy = s->cycles > 0 ? (double)s->mem_cycles / s->cycles : 0;
        s->util = tile_layer_util(a, m, s->cycles);
    }
    stats_total(rs);
    return QA_OK;
}
