/* stats.h: what a simulation reports, per layer and per run, and the one
 * column table that writes both CSVs and documents their columns. Both
 * engines (analytic.c and sim/) fill these structs. */
#ifndef STATS_H
#define STATS_H

#include "arch/qa.h"
#include "workloads/net.h"

/* Energy by component, in pJ (models/energy.c). total_pj is the sum of
 * the five, added in this order. All zero for a chip without an energy
 * group. */
typedef struct {
    double mac_pj;           /* array MACs and vector-unit operations */
    double array_pj;         /* register hops inside the arrays */
    double sram_pj;          /* scratchpad reads and writes */
    double dram_pj;          /* DRAM bytes read and written */
    double leak_pj;          /* logic and scratchpad leakage over the time */
    double total_pj;
} Energy;

/* total_pj of e from its components. */
void stats_energy_total(Energy *e);

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
    Energy energy;           /* the layer's, priced by energy_layer */
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
    Energy energy;           /* each component summed over the layers */
} RunStats;

int stats_init(RunStats *rs, int nlayers);
void stats_free(RunStats *rs);
/* Sum per-layer values into the run totals (counts stopping at
 * QA_COUNT_MAX; energy per component, then the total of the components). */
void stats_total(RunStats *rs);
/* QA_ERR, naming the layer (net may be NULL), if a count of rs reached
 * QA_COUNT_MAX: the run is too long to count and no number of it is
 * reported. */
int stats_check(const RunStats *rs, const Net *net, Err *e);

#endif
