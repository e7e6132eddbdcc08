// sc_stats.hh: Stats, the counters the modules add to while the model runs,
// and the optional VCD file their busy flags are traced into. The Dram
// target counts bytes and bursts, each Core its compute-busy cycles; the
// Controller reads them at every layer barrier. C++ only.
#ifndef SIM_SC_STATS_HH
#define SIM_SC_STATS_HH

#include <cstdint>
#include <string>
#include <systemc>
#include <vector>

struct Stats {
    explicit Stats(int cores)
        : busy_cycles(cores, 0), data_wait_cycles(cores, 0)
    {
    }

    int64_t rd_bytes = 0, wr_bytes = 0;  // counted by the Dram target
    int64_t transactions = 0;            // bursts served by the Dram target
    std::vector<int64_t> busy_cycles;    // (cores) array busy, whole run
    std::vector<int64_t> data_wait_cycles; // (cores) array waiting for loads
    sc_core::sc_trace_file *vcd = nullptr;

    // Traces a busy flag when a VCD file is open; plain bools are sampled
    // by the kernel at the end of each time step, at no cost otherwise.
    void trace(const bool &flag, const std::string &name)
    {
        if (vcd)
            sc_core::sc_trace(vcd, flag, name);
    }
};

#endif
