// controller.hh: Controller, the layer sequencer. For each layer of the
// schedule it hands every used core its tile groups, waits at a barrier
// until all of them have stored their last tile (a layer reads what the
// previous one wrote, so the next layer starts only then), and turns the
// layer's counters into a LayerStats through sim_layer_account (C).
// It stops the simulation after the last layer.
#ifndef SIM_CONTROLLER_HH
#define SIM_CONTROLLER_HH

extern "C" {
#include "models/stats.h"
#include "models/tiling.h"
}
#include "sim/engine/clock.hh"
#include "sim/engine/core.hh"
#include "sim/engine/sc_stats.hh"

#include <systemc>

class Controller : public sc_core::sc_module {
public:
    SC_HAS_PROCESS(Controller);
    sc_core::sc_port<CoreIf, 0> cores;  // one binding per core, in order

    // rs has ts->n layers and rs->core_busy (ts->n, a->cores).
    Controller(sc_core::sc_module_name name, const Accel *a,
               const TileSchedule *ts, const Clock &clk, Stats &st,
               RunStats *rs);

    // True once the last layer has passed its barrier.
    bool finished() const { return finished_; }

private:
    void run();

    const Accel *a_;
    const TileSchedule *ts_;
    const Clock clk_;
    Stats &st_;
    RunStats *rs_;
    bool finished_ = false;
};

#endif
