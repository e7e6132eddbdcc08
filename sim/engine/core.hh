// core.hh: Core, one core of the chip: a systolic array fed by a DMA load
// queue and drained by a DMA store queue through double-buffered scratchpad
// slots. Three threads, one per pipeline stage, walk the core's tile groups
// of the current layer; with B slots (2 double-buffered, 1 otherwise) tile t
//   loads    after load t-1 is done and compute t-B has freed its input slot,
//   computes after load t, compute t-1 and store t-B (its output slot),
//   stores   after compute t and store t-1,
// the pipeline of analytic.c. A tile's compute time is its TileGroup's
// compute_cycles (the mapper's closed-form systolic timing); loads and stores
// are TLM-2.0 transfers through the interconnect. Events are per tile.
// In functional mode the compute thread also reports each tile when its
// compute ends (SimFunctional.tile: sim.cc sends it to the process that
// does the tile's arithmetic).
#ifndef SIM_CORE_HH
#define SIM_CORE_HH

#include "sim/engine/sim.h"
#include "sim/engine/clock.hh"
#include "sim/engine/sc_stats.hh"
#include "sim/engine/xfer.hh"

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

// What the Controller sees of a core.
struct CoreIf : virtual sc_core::sc_interface {
    // Runs ngroups tile groups of layer `layer` from now on; the core must
    // be finished.
    virtual void start(const TileGroup *groups, int ngroups, int layer) = 0;
    virtual bool finished() const = 0;
    virtual const sc_core::sc_event &finished_event() const = 0;
    // Cycle at which the last layer's last store was delivered.
    virtual int64_t finish_cycles() const = 0;
};

class Core : public sc_core::sc_module, public CoreIf {
public:
    SC_HAS_PROCESS(Core);
    tlm_utils::simple_initiator_socket<Core> load_socket;
    tlm_utils::simple_initiator_socket<Core> store_socket;

    Core(sc_core::sc_module_name name, int id, int buffers, const Clock &clk,
         Stats &st, const SimFunctional *func);
    ~Core() override;

    void start(const TileGroup *groups, int ngroups, int layer) override;
    bool finished() const override { return done_seq_ == seq_; }
    const sc_core::sc_event &finished_event() const override { return done_; }
    int64_t finish_cycles() const override { return finish_cycles_; }

private:
    void load_thread();
    void compute_thread();
    void store_thread();
    void wait_start(uint64_t &seen);
    void transfer(tlm_utils::simple_initiator_socket<Core> &socket,
                  tlm::tlm_generic_payload &p, tlm::tlm_command cmd,
                  int64_t bytes, bool &busy);

    const int id_;
    const int buffers_;
    const Clock clk_;
    Stats &st_;
    const SimFunctional *func_;  // nullptr: timing only

    const TileGroup *groups_ = nullptr;
    int ngroups_ = 0;
    int layer_ = 0;
    uint64_t seq_ = 0, done_seq_ = 0;  // layers started, layers finished
    int64_t finish_cycles_ = 0;
    // Pipeline state of the current layer, in tiles.
    int64_t loaded_ = 0, computed_ = 0;
    int free_in_ = 0, free_out_ = 0;    // free input / output slots
    sc_core::sc_event start_ev_, loaded_ev_, computed_ev_, in_free_ev_,
        out_free_ev_, done_;
    tlm::tlm_generic_payload load_tr_, store_tr_;
    XferExt load_len_, store_len_;  // their lengths (attached, not owned)
    bool load_busy_ = false, compute_busy_ = false, store_busy_ = false;
};

#endif
