// chip.cc: instantiation and binding of the chip (see chip.hh).
#include "sim/engine/chip.hh"

#include <string>

Chip::Chip(sc_core::sc_module_name name, const Accel *a,
           const TileSchedule *ts, SimArbitration arbitration,
           const SimFunctional *func, Stats &st, RunStats *rs, int64_t period)
    : sc_module(name), clk_{period}, dram_("dram", a, clk_, st),
      interconnect_("interconnect", 2 * a->cores, a->burst_bytes,
                    arbitration, clk_, st),
      controller_("controller", a, ts, clk_, st, rs)
{
    int buffers = a->double_buffer ? 2 : 1;
    for (int c = 0; c < a->cores; c++) {
        std::string core_name = "core" + std::to_string(c);
        cores_.emplace_back(
            new Core(core_name.c_str(), c, buffers, clk_, st, func));
        // DMA queue 2c is core c's loads, 2c+1 its stores.
        cores_.back()->load_socket.bind(interconnect_.dma_socket);
        cores_.back()->store_socket.bind(interconnect_.dma_socket);
        controller_.cores(*cores_.back());
    }
    interconnect_.dram_socket.bind(dram_.socket);
}
