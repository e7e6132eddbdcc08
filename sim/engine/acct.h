/* acct.h: the C side of the SystemC engine. sim_check rejects what the
 * model cannot execute; sim_layer_account turns the raw counters of one
 * layer of a SystemC run (barrier to barrier cycles, compute-busy and
 * data-wait cycles per core, DRAM bytes counted by the Dram target) into
 * the LayerStats both engines report, with the same definitions as
 * analytic_run: compute and stall cycles of the slowest core, the bandwidth
 * floor, the DRAM busy fraction and the array utilization.
 * Plain C; the SystemC Controller calls it at every layer barrier. */
#ifndef SIM_ACCT_H
#define SIM_ACCT_H

/* The project's C headers have no extern "C" guards of their own. */
#ifdef __cplusplus
extern "C" {
#endif

#include "arch/arch.h"
#include "models/stats.h"
#include "models/tiling.h"

/* Cross-checks a (clock, cores, burst size, bandwidth) and every layer of
 * ts (cores_used, first[], counts and bytes); errors name the layer. */
int sim_check(const Accel *a, const TileSchedule *ts, Err *e);

/* SystemC keeps time as a 64-bit count of its time resolution, and a long
 * legal run (0.01 GHz, one PE, ResNet-50 at batch 32: 1.3e11 cycles of
 * 10^-7 s) passes 2^63 femtoseconds. The time base of a run: the finest
 * resolution (fs, ps, ns, us, ms or s: exp10 = -15, -12, ... 0) in which
 * twice an upper bound of its cycles (every tile's load, compute and store
 * one after another) times the clock period stays below QA_COUNT_MAX.
 * Cycles stay exact in any of them: every event falls on a whole period.
 * Refused, with a message, when no resolution holds the run. */
typedef struct {
    int exp10;      /* resolution 10^exp10 seconds */
    int64_t period; /* one clock period in that resolution (>= 1) */
} SimTimeBase;
int sim_time_base(const Accel *a, const TileSchedule *ts, SimTimeBase *tb, Err *e);

/* end_cycles: (cores) cycles from the layer start to each core's last
 * store; busy_cycles: (cores) its compute-busy cycles; data_wait: (cores)
 * the cycles its array waited for a tile's loads; core_busy: (cores) out,
 * the busy fraction of each core. The slowest core is the first one with
 * the largest end_cycles, as in analytic_run. */
void sim_layer_account(const Accel *a, const LayerMap *m, int64_t cycles,
                       const int64_t *end_cycles,
                       const int64_t *busy_cycles,
                       const int64_t *data_wait, int cores,
                       int64_t rd_bytes, int64_t wr_bytes,
                       LayerStats *s, double *core_busy);

#ifdef __cplusplus
}
#endif

#endif
