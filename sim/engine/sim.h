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

/* How the interconnect picks the next burst among the DMA queues that wait
 * for the DRAM channel. */
typedef enum {
    SIM_ARB_ROUND_ROBIN, /* one burst per waiting queue in turn (default) */
    SIM_ARB_FCFS,        /* the oldest transfer first, all its bursts;
                          * ties go to the lower queue (core 0 loads) */
    SIM_ARB_COUNT
} SimArbitration;

/* Functional mode: tile() computes a tile's data (the arithmetic is C,
 * sim/engine/func.c). It runs in the caller's process, where the data is,
 * once for each tile in the order the simulated cores end their computes:
 * the simulation process sends that order over the pipe while it runs
 * (data never changes timing), so tile() may use threads and the caller
 * keeps what it computed. finish() (may be NULL) runs after a simulation
 * that ended well. A failing tile() or finish() stops the run with its
 * message. */
typedef struct {
    void *ctx;
    int (*tile)(void *ctx, int layer, int core, int64_t t, Err *e);
    int (*finish)(void *ctx, Err *e);
} SimFunctional;

/* Zero-initialized means: no VCD, quiet, round-robin, timing only. */
typedef struct {
    const char *vcd_path; /* VCD of core/DMA/DRAM busy flags; NULL: none */
    int verbose;          /* 1: SystemC's banner and reports are printed */
    SimArbitration arbitration;
    const SimFunctional *func; /* NULL: no data is computed */
} SimOptions;

/* "round-robin" / "fcfs" <-> SimArbitration; parse returns QA_ERR if
 * unknown. The names in enum order, NULL-terminated. */
extern const char *const sim_arbitration_names[SIM_ARB_COUNT + 1];
const char *sim_arbitration_name(SimArbitration arb);
int sim_arbitration_parse(const char *s, SimArbitration *arb);

/* Run ts on a. opt may be NULL (no VCD, quiet). rs is initialized here (the
 * caller frees it with stats_free, also after a failure). Fails with a
 * message when a or ts is not executable (naming the layer and field), the
 * options are out of range, or the child process fails. */
int sim_run(const Accel *a, const TileSchedule *ts, const SimOptions *opt,
            RunStats *rs, Err *e);

#ifdef __cplusplus
}
#endif

#endif
