// dram.hh: Dram, the TLM-2.0 target of the shared DRAM channel. Each
// b_transport is one burst; the target reserves the channel for it through
// the C arithmetic of chan.h and answers with the annotated delay until its
// data is delivered (latency included). It also counts every byte it serves,
// so the run's DRAM bytes are measured where they arrive.
#ifndef SIM_DRAM_HH
#define SIM_DRAM_HH

#include "sim/engine/chan.h"
#include "sim/engine/clock.hh"
#include "sim/engine/sc_stats.hh"

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

// Carried by every burst: the cycle its transfer was requested (a burst
// that finds the channel idle opens a busy period there) and, filled by the
// target, the first cycle at which the channel takes the next burst.
struct BurstExt : tlm::tlm_extension<BurstExt> {
    int64_t arrival_cycles = 0;
    int64_t free_cycles = 0;

    tlm::tlm_extension_base *clone() const override
    {
        return new BurstExt(*this);
    }
    void copy_from(const tlm::tlm_extension_base &other) override
    {
        *this = static_cast<const BurstExt &>(other);
    }
};

class Dram : public sc_core::sc_module {
public:
    tlm_utils::simple_target_socket<Dram> socket;

    Dram(sc_core::sc_module_name name, const Accel *a, const Clock &clk,
         Stats &st);

private:
    void b_transport(tlm::tlm_generic_payload &p, sc_core::sc_time &delay);

    SimChan chan_;
    const Clock clk_;
    Stats &st_;
};

#endif
