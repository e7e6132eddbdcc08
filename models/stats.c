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
        rs->cycles += l->cycles;
        rs->dram_rd_bytes += l->dram_rd_bytes;
        rs->dram_wr_bytes += l->dram_wr_bytes;
        rs->energy.mac_pj += l->energy.mac_pj;
        rs->energy.array_pj += l->energy.array_pj;
        rs->energy.sram_pj += l->energy.sram_pj;
        rs->energy.dram_pj += l->energy.dram_pj;
        rs->energy.leak_pj += l->energy.leak_pj;
    }
    stats_energy_total(&rs->energy);
}
