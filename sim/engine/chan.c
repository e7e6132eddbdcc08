/* chan.c: DRAM channel arithmetic (see chan.h). The transfer time is the
 * one of analytic_xfer_cycles, evaluated on the bytes of a busy period, so
 * that the SystemC model and the analytic estimate agree to the cycle when
 * nothing contends. */
#include "sim/engine/chan.h"

#include "models/analytic.h"

#include <math.h>

void sim_chan_init(SimChan *ch, const Accel *a)
{
    ch->a = a;
    ch->bpc = arch_dram_bytes_per_cycle(a);
    ch->start_cycles = 0;
    ch->period_bytes = 0;
}

int sim_chan_busy_at(const SimChan *ch, int64_t arrival)
{
    if (ch->bpc <= 0 || ch->period_bytes == 0)
        return 0;
    /* The same double expression as in analytic_xfer_cycles, compared before
     * rounding: the channel is busy while fewer than all the period's bytes
     * have passed. */
    return (double)(arrival - ch->start_cycles) <
           (double)ch->period_bytes / ch->bpc;
}

void sim_chan_serve(SimChan *ch, int64_t arrival, int64_t bytes,
                    int64_t *done_cycles, int64_t *free_cycles)
{
    if (ch->bpc <= 0) {
        *done_cycles = arrival + analytic_xfer_cycles(ch->a, bytes);
        *free_cycles = arrival;
        return;
    }
    if (!sim_chan_busy_at(ch, arrival)) {
        ch->start_cycles = arrival;
        ch->period_bytes = 0;
    }
    ch->period_bytes += bytes;
    *done_cycles = ch->start_cycles +
                   analytic_xfer_cycles(ch->a, ch->period_bytes);
    *free_cycles = ch->start_cycles + sim_chan_floor_cycles(ch->a,
                                                            ch->period_bytes);
}

int64_t sim_chan_floor_cycles(const Accel *a, int64_t bytes)
{
    if (bytes <= 0)
        return 0;
    return analytic_xfer_cycles(a, bytes) - a->dram_latency_cycles;
}

int64_t sim_period_units(const Accel *a, int exp10)
{
    /* 1e6 / clock_ghz femtoseconds, written so that exp10 = -15 is that
     * very expression (a femtosecond period is what runs always had). */
    double fs = 1e6 / a->clock_ghz;
    return (int64_t)llround(exp10 == -15 ? fs : fs / pow(10.0, exp10 + 15));
}
