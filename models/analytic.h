/* analytic.h: the fast per-layer estimate. Every core walks its tile groups
 * through the same load -> compute -> store pipeline the SystemC model uses
 * (two buffers when double buffering, one otherwise), with a transfer time
 * of latency + bytes / bandwidth and no contention between transfers; the
 * layer then takes at least its total DRAM bytes / bandwidth. With one core
 * and unlimited bandwidth this is exactly what the SystemC model computes. */
#ifndef ANALYTIC_H
#define ANALYTIC_H

#include "arch/arch.h"
#include "models/stats.h"
#include "models/tiling.h"
#include "workloads/net.h"

/* DMA time of one transfer: 0 for 0 bytes, else latency + ceil(bytes / bpc)
 * (bpc = bytes per cycle; 0 = unlimited, the transfer costs only latency). */
int64_t analytic_xfer_cycles(const Accel *a, int64_t bytes);

/* The state of one core's pipeline: the finish times of the last two
 * loads, computes and stores that the next tile waits for. */
typedef struct {
    int64_t ld1, cd1, cd2, sd1, sd2;
} Pipeline;

void analytic_pipe_init(Pipeline *p);
/* Run the groups (each `count` tiles) in order, the whole sequence `reps`
 * times. Long runs cost a few steps, not one per tile: the result is the
 * same as stepping tile by tile. */
void analytic_pipe_run(Pipeline *p, const Accel *a, const TileGroup *g,
                       int ngroups, int64_t reps);
/* Cycles from the first load to the last store so far. */
int64_t analytic_pipe_end(const Pipeline *p);

/* The pipeline of one core over its tile groups; returns the cycles from the
 * first load to the last store and the compute-busy cycles. */
int64_t analytic_core_cycles(const Accel *a, const TileGroup *g, int ngroups,
                             int64_t *busy_cycles);

/* One layer of a schedule: cycles (barrier to barrier: the slowest core,
 * and never less than the layer's DRAM bytes / bandwidth), busy and stall
 * cycles of the slowest core, DRAM bytes, utilization. The mapper prices
 * its candidates with this very function. */
void analytic_layer(const Accel *a, const LayerMap *m, LayerStats *s);

/* The whole schedule; rs is freed again when a count reached
 * QA_COUNT_MAX (stats_check: the run is too long to count). */
int analytic_run(const Accel *a, const Net *net, const TileSchedule *ts,
                 RunStats *rs, Err *e);

#endif
