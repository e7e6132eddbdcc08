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

void stats_total(RunStats *rs)
{
    rs->cycles = 0;
    rs->dram_rd_bytes = 0;
    rs->dram_wr_bytes = 0;
    for (int i = 0; i < rs->n; i++) {
        rs->cycles += rs->layers[i].cycles;
        rs->dram_rd_bytes += rs->layers[i].dram_rd_bytes;
        rs->dram_wr_bytes += rs->layers[i].dram_wr_bytes;
    }
}
