/* chan.h: the arithmetic of the shared DRAM channel, in plain C, so the
 * SystemC Dram target holds only its state and every number comes from here.
 *
 * The channel carries one burst at a time. Bursts served back to back form a
 * busy period that opens at a cycle boundary (the arrival cycle of the burst
 * that found the channel idle); after B bytes of a busy period opened at
 * cycle s0 the channel is free again at s0 + B / bytes_per_cycle (exact, a
 * fraction of a cycle is kept), and the data of that burst is delivered at
 * s0 + analytic_xfer_cycles(B), i.e. latency + ceil(B / bytes_per_cycle).
 * A lone transfer of b bytes split into bursts therefore takes exactly
 * analytic_xfer_cycles(b): latency once, bandwidth for every byte.
 * Unlimited bandwidth (0): a burst occupies no channel time, it is delivered
 * `latency` cycles after its arrival. No events, no SystemC. */
#ifndef SIM_CHAN_H
#define SIM_CHAN_H

/* The project's C headers have no extern "C" guards of their own. */
#ifdef __cplusplus
extern "C" {
#endif

#include "arch/arch.h"

typedef struct {
    const Accel *a;
    double bpc;             /* DRAM bytes per cycle; 0 = unlimited */
    int64_t start_cycles;   /* cycle the current busy period opened */
    int64_t period_bytes;   /* bytes served in it so far */
} SimChan;

/* Fill ch for a; a must outlive ch. */
void sim_chan_init(SimChan *ch, const Accel *a);

/* 1 if a burst of a transfer that arrived at cycle `arrival` would continue
 * the current busy period (the channel is still busy at `arrival`), 0 if it
 * would open a new one at `arrival`. */
int sim_chan_busy_at(const SimChan *ch, int64_t arrival);

/* Serve one burst of `bytes` (> 0) of a transfer that arrived at cycle
 * `arrival`: it follows the bytes already in the busy period, or opens a new
 * busy period at `arrival`. Sets *done_cycles to the cycle its data is
 * delivered (latency included) and *free_cycles to the first cycle boundary
 * at which the channel can take the next burst (ceil of the exact end). */
void sim_chan_serve(SimChan *ch, int64_t arrival, int64_t bytes,
                    int64_t *done_cycles, int64_t *free_cycles);

/* Cycles the channel needs for `bytes` at full bandwidth, no latency
 * (0 when unlimited): the bandwidth floor of a layer. */
int64_t sim_chan_floor_cycles(const Accel *a, int64_t bytes);

/* Length of one clock period in units of 10^exp10 seconds (-15: fs),
 * rounded to the nearest unit; 0 when shorter than half a unit. */
int64_t sim_period_units(const Accel *a, int exp10);

#ifdef __cplusplus
}
#endif

#endif
