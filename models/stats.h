/* stats.h: what a simulation reports, per layer and per run, and the one
 * column table that writes both CSVs and documents their columns. Both
 * engines (analytic.c and sim/) fill these structs. */
#ifndef STATS_H
#define STATS_H

#include "arch/qa.h"
#include "workloads/net.h"

typedef struct {
    int layer;
    int64_t cycles;          /* barrier to barrier */
    int64_t compute_cycles;  /* busiest core, array busy, no stalls */
    int64_t mem_cycles;      /* layer DRAM bytes / bytes per cycle (0: unlimited) */
    int64_t stall_cycles;    /* busiest core: waiting for data or buffers */
    int64_t data_stall_cycles; /* SystemC engine, slowest core: the array
                              * idle waiting for a tile's loads (part of
                              * stall_cycles; 0 from the analytic engine) */
    int64_t dram_rd_bytes, dram_wr_bytes;
    double dram_busy;        /* fraction of the layer the channel was busy */
    double util;             /* MACs / (peak MACs per cycle * cycles) */
} LayerStats;

typedef struct {
    int n;
    LayerStats *layers;      /* (n) */
    int64_t cycles;
    int64_t dram_rd_bytes, dram_wr_bytes;
    int64_t transactions;    /* DMA bursts (SystemC engine; 0 for analytic) */
    int cores;               /* columns of core_busy (SystemC engine) */
    double *core_busy;       /* (n, cores): fraction of each layer's cycles
                              * the core's array computed; NULL (analytic) */
} RunStats;

int stats_init(RunStats *rs, int nlayers);
void stats_free(RunStats *rs);
/* Sum per-layer values into the run totals (stopping at QA_COUNT_MAX). */
void stats_total(RunStats *rs);
/* QA_ERR, naming the layer (net may be NULL), if a count of rs reached
 * QA_COUNT_MAX: the run is too long to count and no number of it is
 * reported. */
int stats_check(const RunStats *rs, const Net *net, Err *e);

#endif
