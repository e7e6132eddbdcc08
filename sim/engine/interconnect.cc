// interconnect.cc: the burst arbiter, round-robin or FCFS (see
// interconnect.hh).
#include "sim/engine/interconnect.hh"
#include "sim/engine/xfer.hh"

#include <algorithm>

Interconnect::Interconnect(sc_core::sc_module_name name, int queues,
                           int burst_bytes, SimArbitration arbitration,
                           const Clock &clk, Stats &st)
    : sc_module(name), dma_socket("dma_socket"), dram_socket("dram_socket"),
      queues_(static_cast<size_t>(queues)), burst_bytes_(burst_bytes),
      arbitration_(arbitration), clk_(clk), st_(st), ext_(new BurstExt)
{
    dma_socket.register_b_transport(this, &Interconnect::b_transport);
    burst_.set_extension(ext_);
    st_.trace(channel_busy_, std::string(this->name()) + ".dram_busy");
    SC_METHOD(arbitrate);
    sensitive << wake_;
    dont_initialize();
}

Interconnect::~Interconnect()
{
    burst_.clear_extension(ext_);
    delete ext_;
}

void Interconnect::b_transport(int id, tlm::tlm_generic_payload &p,
                               sc_core::sc_time &delay)
{
    if (delay != sc_core::SC_ZERO_TIME)
        wait(delay);
    delay = sc_core::SC_ZERO_TIME;
    Queue &q = queues_[static_cast<size_t>(id)];
    q.cmd = p.get_command();
    q.arrival_cycles = clk_.now();
    XferExt *len = nullptr;
    p.get_extension(len);
    q.left_bytes = len ? len->bytes : static_cast<int64_t>(p.get_data_length());
    if (!armed_) {
        armed_ = true;
        // Zero-time: queues that ask in the same delta cycle are all seen
        // by the arbiter before it picks by its policy.
        wake_.notify(sc_core::SC_ZERO_TIME);
    }
    wait(q.done);
    p.set_response_status(tlm::TLM_OK_RESPONSE);
}

int Interconnect::pick() const
{
    int n = static_cast<int>(queues_.size());
    if (arbitration_ == SIM_ARB_FCFS) {
        int best = -1;
        for (int id = 0; id < n; id++) {
            const Queue &q = queues_[static_cast<size_t>(id)];
            if (q.left_bytes > 0 &&
                (best < 0 || q.arrival_cycles <
                                 queues_[static_cast<size_t>(best)]
                                     .arrival_cycles))
                best = id;
        }
        return best;
    }
    for (int k = 0; k < n; k++) {
        int id = (next_ + k) % n;
        if (queues_[static_cast<size_t>(id)].left_bytes > 0)
            return id;
    }
    return -1;
}

// Grants bursts until the channel is reserved beyond the current cycle
// (then sleeps until the cycle it is free) or no queue has bytes left.
void Interconnect::arbitrate()
{
    int64_t now = clk_.now();
    for (;;) {
        int id = pick();
        if (id < 0) {
            armed_ = false;
            channel_busy_ = false;
            return;
        }
        Queue &q = queues_[static_cast<size_t>(id)];
        int64_t bytes = std::min(q.left_bytes, burst_bytes_);
        burst_.set_command(q.cmd);
        burst_.set_address(0);
        burst_.set_data_ptr(nullptr);  // timing only: no data is moved
        burst_.set_data_length(static_cast<unsigned>(bytes));
        burst_.set_streaming_width(static_cast<unsigned>(bytes));
        burst_.set_byte_enable_ptr(nullptr);
        burst_.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
        ext_->arrival_cycles = q.arrival_cycles;
        sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
        dram_socket->b_transport(burst_, delay);
        if (burst_.is_response_error())
            SC_REPORT_ERROR(name(), "DRAM burst failed");
        q.left_bytes -= bytes;
        if (q.left_bytes == 0)
            q.done.notify(delay);
        next_ = id + 1;
        if (ext_->free_cycles > now) {
            channel_busy_ = true;
            wake_.notify(clk_.at(ext_->free_cycles - now));
            return;
        }
    }
}
