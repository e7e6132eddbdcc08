/* acct.c: input checks and per-layer statistics of the SystemC engine
 * (see acct.h). */
#include "sim/engine/acct.h"

#include "models/energy.h"

#include "sim/engine/chan.h"
#include "sim/engine/sim.h"

#include <math.h>
#include <string.h>

/* A transfer's length travels in an extension of the TLM payload
 * (XferExt, core.hh): a tile may move more than the payload's unsigned
 * int of bytes (a 1 TiB scratchpad holds such tiles). */
static int check_group(const TileGroup *g, int l, int i, Err *e)
{
    if (g->count < 0 || g->compute_cycles < 0 || g->load_w_bytes < 0 ||
        g->load_in_bytes < 0 || g->load_psum_bytes < 0 ||
        g->store_out_bytes < 0 || g->store_psum_bytes < 0)
        return err_set(e, NULL, 0, "schedule",
                       "layer %d group %d: negative count, cycles or bytes",
                       l, i);
    return QA_OK;
}

/* Cycles of one transfer of b bytes, paid alone: a latency and a cycle of
 * rounding for each burst, and its bytes at full bandwidth. */
static double xfer_bound(const Accel *a, double b, double bpc)
{
    if (b <= 0)
        return 0;
    double bursts = ceil(b / a->burst_bytes);
    return bursts * ((double)a->dram_latency_cycles + 1) + (bpc > 0 ? ceil(b / bpc) : 0);
}

/* Every tile's load, compute and store one after another. In the model
 * something is always in progress until the run ends (a compute, bytes on
 * the channel, or a burst in its latency), so the run ends sooner. */
static double serial_bound(const Accel *a, const TileSchedule *ts)
{
    double bpc = arch_dram_bytes_per_cycle(a), t = 0;
    for (int l = 0; l < ts->n; l++) {
        const LayerMap *m = &ts->layers[l];
        if (m->cores_used <= 0)
            continue;
        for (int i = m->first[0]; i < m->first[m->cores_used]; i++) {
            const TileGroup *g = &m->groups[i];
            double load = (double)g->load_w_bytes + (double)g->load_in_bytes +
                          (double)g->load_psum_bytes;
            double store = (double)g->store_out_bytes + (double)g->store_psum_bytes;
            t += (double)g->count * ((double)g->compute_cycles + xfer_bound(a, load, bpc) +
                                     xfer_bound(a, store, bpc));
        }
    }
    return t;
}

int sim_time_base(const Accel *a, const TileSchedule *ts, SimTimeBase *tb, Err *e)
{
    if (sim_check(a, ts, e) != QA_OK)
        return QA_ERR;
    double cycles = 2 * serial_bound(a, ts) + 1e6;
    for (int x = -15; x <= 0; x += 3) {
        int64_t period = sim_period_units(a, x);
        if (period < 1)
            break; /* coarser units hold no period either */
        if (cycles * (double)period < (double)QA_COUNT_MAX) {
            tb->exp10 = x;
            tb->period = period;
            return QA_OK;
        }
    }
    return err_set(e, NULL, 0, "systemc", "the run may take up to %.3g cycles at %g GHz: "
                   "more time than SystemC can count (2^62 of its time unit); the "
                   "analytic engine counts up to 2^62 cycles", cycles, a->clock_ghz);
}

const char *const sim_arbitration_names[SIM_ARB_COUNT + 1] = {"round-robin", "fcfs",
                                                              NULL};

const char *sim_arbitration_name(SimArbitration arb)
{
    return arb >= 0 && arb < SIM_ARB_COUNT ? sim_arbitration_names[arb] : "?";
}

int sim_arbitration_parse(const char *s, SimArbitration *arb)
{
    for (int i = 0; i < SIM_ARB_COUNT; i++)
        if (!strcmp(s, sim_arbitration_names[i])) {
            *arb = (SimArbitration)i;
            return QA_OK;
        }
    return QA_ERR;
}

int sim_check(const Accel *a, const TileSchedule *ts, Err *e)
{
    if (!(a->clock_ghz > 0) || a->clock_ghz > 1000)
        return err_set(e, NULL, 0, "clock_ghz", "must be in (0, 1000]");
    if (a->cores < 1)
        return err_set(e, NULL, 0, "cores", "must be at least 1");
    if (a->burst_bytes < 1)
        return err_set(e, NULL, 0, "burst_bytes", "must be at least 1");
    if (!(a->dram_gbps >= 0))
        return err_set(e, NULL, 0, "dram_gbps", "must be >= 0 (0 = unlimited)");
    if (a->dram_latency_cycles < 0)
        return err_set(e, NULL, 0, "dram_latency_cycles", "must be >= 0");
    if (ts->n < 0 || (ts->n > 0 && !ts->layers))
        return err_set(e, NULL, 0, "schedule", "has no layers array");
    for (int l = 0; l < ts->n; l++) {
        const LayerMap *m = &ts->layers[l];
        if (m->cores_used < 0 || m->cores_used > a->cores)
            return err_set(e, NULL, 0, "schedule",
                           "layer %d uses %d cores, the chip has %d", l,
                           m->cores_used, a->cores);
        if (m->cores_used == 0)
            continue;
        if (!m->first || (m->ngroups > 0 && !m->groups))
            return err_set(e, NULL, 0, "schedule",
                           "layer %d has no groups or first[] array", l);
        for (int c = 0; c < m->cores_used; c++)
            if (m->first[c] < 0 || m->first[c] > m->first[c + 1] ||
                m->first[c + 1] > m->ngroups)
                return err_set(e, NULL, 0, "schedule",
                               "layer %d: first[%d..%d] = %d..%d is not a "
                               "range of its %d groups", l, c, c + 1,
                               m->first[c], m->first[c + 1], m->ngroups);
        for (int i = m->first[0]; i < m->first[m->cores_used]; i++)
            if (check_group(&m->groups[i], l, i, e) != QA_OK)
                return QA_ERR;
    }
    return QA_OK;
}

void sim_layer_account(const Accel *a, const LayerMap *m, int64_t cycles,
                       const int64_t *end_cycles,
                       const int64_t *busy_cycles,
                       const int64_t *data_wait, int cores,
                       int64_t rd_bytes, int64_t wr_bytes,
                       LayerStats *s, double *core_busy)
{
    int64_t worst_end = 0, worst_busy = 0, worst_wait = 0;
    for (int c = 0; c < cores; c++) {
        if (end_cycles[c] > worst_end) {
            worst_end = end_cycles[c];
            worst_busy = busy_cycles[c];
            worst_wait = data_wait[c];
        }
        core_busy[c] = cycles > 0 ? (double)busy_cycles[c] / cycles : 0;
    }
    s->cycles = cycles;
    s->compute_cycles = worst_busy;
    s->stall_cycles = cycles - worst_busy;
    s->data_stall_cycles = worst_wait;
    s->mem_cycles = sim_chan_floor_cycles(a, rd_bytes + wr_bytes);
    s->dram_rd_bytes = rd_bytes;
    s->dram_wr_bytes = wr_bytes;
    s->dram_busy = cycles > 0 ? (double)s->mem_cycles / cycles : 0;
    s->util = tile_layer_util(a, m, cycles);
    energy_layer(a, m, cycles, rd_bytes, wr_bytes, &s->energy);
}
