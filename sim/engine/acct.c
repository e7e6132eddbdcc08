/* acct.c: input checks and per-layer statistics of the SystemC engine
 * (see acct.h). */
#include "sim/engine/acct.h"

#include "sim/engine/chan.h"
#include "sim/engine/sim.h"

#include <string.h>

#include <limits.h>

/* A DMA transfer is one TLM payload, whose length is an unsigned int. */
#define SIM_MAX_XFER_BYTES ((int64_t)UINT_MAX)

static int check_group(const TileGroup *g, int l, int i, Err *e)
{
    int64_t load = g->load_w_bytes + g->load_in_bytes + g->load_psum_bytes;
    int64_t store = g->store_out_bytes + g->store_psum_bytes;
    if (g->count < 0 || g->compute_cycles < 0 || g->load_w_bytes < 0 ||
        g->load_in_bytes < 0 || g->load_psum_bytes < 0 ||
        g->store_out_bytes < 0 || g->store_psum_bytes < 0)
        return err_set(e, NULL, 0, "schedule",
                       "layer %d group %d: negative count, cycles or bytes",
                       l, i);
    if (load > SIM_MAX_XFER_BYTES || store > SIM_MAX_XFER_BYTES)
        return err_set(e, NULL, 0, "schedule",
                       "layer %d group %d: a tile moves more than %lld bytes",
                       l, i, (long long)SIM_MAX_XFER_BYTES);
    return QA_OK;
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
}
