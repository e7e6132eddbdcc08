// interconnect.hh: Interconnect, the arbiter between the DMA queues of all
// cores (a load queue and a store queue per core) and the one DRAM channel.
//
// TLM-2.0 loosely timed, blocking transport on both sides:
//  - a DMA queue sends one whole transfer (a tile's loads or stores) as one
//    b_transport; the call blocks until the transfer's last byte has been
//    delivered, so the DMA thread sleeps once per transfer;
//  - the arbiter (a method process, no thread switch) cuts the transfers it
//    holds into bursts of burst_bytes and hands them to the Dram target one
//    b_transport each; the target's annotated delay says when a burst's data is delivered and
//    its BurstExt when the channel takes the next burst, so the arbiter
//    wakes once per burst at most and never when bandwidth is unlimited.
// The next burst goes round-robin to the queues that wait (one burst each
// in turn), or with SIM_ARB_FCFS to the oldest transfer, which then keeps
// the channel until its last burst.
// Why LT and not AT: the model only needs who owns the channel when, which
// the target's reservation state answers exactly at the moment a burst is
// granted; AT phases would add four calls and events per burst for no extra
// information. Arbitration decisions fall on cycle boundaries.
#ifndef SIM_INTERCONNECT_HH
#define SIM_INTERCONNECT_HH

#include "sim/engine/clock.hh"
#include "sim/engine/dram.hh"
#include "sim/engine/sc_stats.hh"
#include "sim/engine/sim.h"

#include <deque>
#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_initiator_socket.h>

class Interconnect : public sc_core::sc_module {
public:
    SC_HAS_PROCESS(Interconnect);
    // One binding per DMA queue; the binding order is the queue's index,
    // which is also its round-robin position.
    tlm_utils::multi_passthrough_target_socket<Interconnect> dma_socket;
    tlm_utils::simple_initiator_socket<Interconnect> dram_socket;

    Interconnect(sc_core::sc_module_name name, int queues, int burst_bytes,
                 SimArbitration arbitration, const Clock &clk, Stats &st);
    ~Interconnect() override;

private:
    struct Queue {
        tlm::tlm_command cmd = tlm::TLM_READ_COMMAND;
        int64_t arrival_cycles = 0;
        int64_t left_bytes = 0;   // not yet handed to the Dram
        sc_core::sc_event done;   // last burst delivered
    };

    void b_transport(int id, tlm::tlm_generic_payload &p,
                     sc_core::sc_time &delay);
    void arbitrate();
    int pick() const;

    std::deque<Queue> queues_;
    const int64_t burst_bytes_;
    const SimArbitration arbitration_;
    const Clock clk_;
    Stats &st_;
    int next_ = 0;           // round-robin pointer
    bool armed_ = false;     // a wake-up of the arbiter is pending
    bool channel_busy_ = false;
    sc_core::sc_event wake_;
    tlm::tlm_generic_payload burst_;
    BurstExt *ext_;
};

#endif
