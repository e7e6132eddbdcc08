/* stats.c: allocation and totals of RunStats. */
#include "models/stats.h"

#include <stdlib.h>
#include <string.h>

int stats_init(RunStats *rs, int nlayers)
{
    memset(rs, 0, sizeof *rs);
    rs->layers = qa_calloc((size_t)QA_MAX(nlayers, 1), sizeof *rs->layers);
    if (!rs->layers)
        return QA_ERR;
    rs->n = nlayers;
    for (int i = 0; i < nlayers; i++)
        rs->layers[i].layer = i;
    return QA_OK;
}

void stats_free(RunStats *rs)
{
    free(rs->layers);
    free(rs->core_busy);
    rs->layers = NULL;
    rs->core_busy = NULL;
    rs->n = 0;
    rs->cores = 0;
}

void stats_energy_total(Energy *e)
{
    e->total_pj = e->mac_pj + e->array_pj + e->sram_pj + e->dram_pj +
                  e->leak_pj;
}

void stats_total(RunStats *rs)
{
    rs->cycles = 0;
    rs->dram_rd_bytes = 0;
    rs->dram_wr_bytes = 0;
    memset(&rs->energy, 0, sizeof rs->energy);
    for (int i = 0; i < rs->n; i++) {
        const LayerStats *l = &rs->layers[i];
        rs->cycles = qa_cadd(rs->cycles, l->cycles);
        rs->dram_rd_bytes = qa_cadd(rs->dram_rd_bytes, l->dram_rd_bytes);
        rs->dram_wr_bytes = qa_cadd(rs->dram_wr_bytes, l->dram_wr_bytes);
        rs->energy.mac_pj += l->energy.mac_pj;
        rs->energy.array_pj += l->energy.array_pj;
        rs->energy.sram_pj += l->energy.sram_pj;
        rs->energy.dram_pj += l->energy.dram_pj;
        rs->energy.leak_pj += l->energy.leak_pj;
    }
    stats_energy_total(&rs->energy);
}

/* The first layer whose count reached QA_COUNT_MAX, or -1. */
static int stopped_layer(const RunStats *rs)
{
    for (int i = 0; i < rs->n; i++) {
        const LayerStats *s = &rs->layers[i];
        if (s->cycles >= QA_COUNT_MAX || s->compute_cycles >= QA_COUNT_MAX ||
            s->mem_cycles >= QA_COUNT_MAX || s->dram_rd_bytes >= QA_COUNT_MAX ||
            s->dram_wr_bytes >= QA_COUNT_MAX)
            return i;
    }
    return -1;
}

int stats_check(const RunStats *rs, const Net *net, Err *e)
{
    int l = stopped_layer(rs);
    const char *name = l >= 0 && net && net->layers && l < net->n ? net->layers[l].name
                                                                  : "run";
    if (l >= 0 || rs->cycles >= QA_COUNT_MAX || rs->dram_rd_bytes >= QA_COUNT_MAX ||
        rs->dram_wr_bytes >= QA_COUNT_MAX)
        return err_set(e, NULL, 0, name, "more than 2^62 cycles or DRAM bytes: too long "
                       "a run to count (a smaller batch, a faster clock or more "
                       "bandwidth?)");
    return QA_OK;
}
