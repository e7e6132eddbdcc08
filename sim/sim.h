/* sim.h: the C facade of the SystemC engine. sim_run executes a tile
 * schedule on the chip (cores with double-buffered DMA, an interconnect that
 * arbitrates one shared TLM-2.0 DRAM channel) and fills the same RunStats as
 * analytic_run, plus the burst count and per-core utilization.
 * SystemC elaborates once per process, so every call forks a child that
 * enters SystemC, and the statistics come back over a pipe: sim_run may be
 * called any number of times from one process. Plain C: no SystemC type
 * crosses this header. */
#ifndef SIM_H
#define SIM_H

/* The project's C headers have no extern "C" guards of their own. */
#ifdef __cplusplus
extern "C" {
#endif

#include "arch/arch.h"
#include "models/stats.h"
#include "models/tiling.h"

typedef struct {
    const char *vcd_path; /* VCD of core/DMA/DRAM busy flags; NULL: none */
    int verbose;          /* 1: SystemC's banner and reports are printed */
} SimOptions;

/* Run ts on a. opt may be NULL (no VCD, quiet). rs is initialized here (the
 * caller frees it with stats_free, also after a failure). Fails with a
 * message when a or ts is not executable (naming the layer and field) or
 * when the child process fails. */
int sim_run(const Accel *a, const TileSchedule *ts, const SimOptions *opt,
            RunStats *rs, Err *e);

#ifdef __cplusplus
}
#endif

#endif
