// chip.hh: Chip, the top module. It only instantiates the Dram channel,
// the Interconnect, one Core per core of the Accel and the Controller, and
// binds them; every latency, bandwidth and size comes from the Accel through
// their constructors, the arbitration policy and the functional hooks
// from the SimOptions.
#ifndef SIM_CHIP_HH
#define SIM_CHIP_HH

#include "sim/engine/controller.hh"
#include "sim/engine/core.hh"
#include "sim/engine/dram.hh"
#include "sim/engine/interconnect.hh"

#include <memory>
#include <systemc>
#include <vector>

class Chip : public sc_core::sc_module {
public:
    // period: one clock cycle in the time resolution (sim_time_base).
    Chip(sc_core::sc_module_name name, const Accel *a, const TileSchedule *ts,
         SimArbitration arbitration, const SimFunctional *func, Stats &st,
         RunStats *rs, int64_t period);

    bool finished() const { return controller_.finished(); }

private:
    const Clock clk_;
    Dram dram_;
    Interconnect interconnect_;
    std::vector<std::unique_ptr<Core>> cores_;
    Controller controller_;
};

#endif
