// dram.cc: the DRAM channel target (see dram.hh).
#include "sim/engine/dram.hh"

Dram::Dram(sc_core::sc_module_name name, const Accel *a, const Clock &clk,
           Stats &st)
    : sc_module(name), socket("socket"), clk_(clk), st_(st)
{
    sim_chan_init(&chan_, a);
    socket.register_b_transport(this, &Dram::b_transport);
}

void Dram::b_transport(tlm::tlm_generic_payload &p, sc_core::sc_time &delay)
{
    BurstExt *ext = nullptr;
    p.get_extension(ext);
    int64_t now = clk_.cycles(sc_core::sc_time_stamp() + delay);
    int64_t arrival = ext ? ext->arrival_cycles : now;
    int64_t bytes = p.get_data_length();
    int64_t done, free;
    sim_chan_serve(&chan_, arrival, bytes, &done, &free);
    if (ext)
        ext->free_cycles = free;
    if (p.is_read())
        st_.rd_bytes += bytes;
    else
        st_.wr_bytes += bytes;
    st_.transactions++;
    delay = clk_.at(done) - sc_core::sc_time_stamp();
    p.set_response_status(tlm::TLM_OK_RESPONSE);
}
