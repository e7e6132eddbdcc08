// core.cc: the three pipeline threads of a core (see core.hh). Every
// counter is checked before waiting, so an event notified before its waiter
// got there is never lost.
#include "sim/engine/core.hh"

#include <algorithm>
#include <climits>

Core::Core(sc_core::sc_module_name name, int id, int buffers,
           const Clock &clk, Stats &st, const SimFunctional *func)
    : sc_module(name), load_socket("load_socket"),
      store_socket("store_socket"), id_(id), buffers_(buffers), clk_(clk),
      st_(st), func_(func)
{
    std::string base = std::string(this->name()) + ".";
    st_.trace(compute_busy_, base + "compute_busy");
    st_.trace(load_busy_, base + "load_busy");
    st_.trace(store_busy_, base + "store_busy");
    SC_THREAD(load_thread);
    SC_THREAD(compute_thread);
    SC_THREAD(store_thread);
    load_tr_.set_extension(&load_len_);
    store_tr_.set_extension(&store_len_);
}

Core::~Core()
{
    load_tr_.clear_extension(&load_len_);
    store_tr_.clear_extension(&store_len_);
}

void Core::start(const TileGroup *groups, int ngroups, int layer)
{
    sc_assert(finished());
    groups_ = groups;
    ngroups_ = ngroups;
    layer_ = layer;
    loaded_ = computed_ = 0;
    free_in_ = free_out_ = buffers_;
    seq_++;
    start_ev_.notify();
}

void Core::wait_start(uint64_t &seen)
{
    while (seq_ == seen)
        wait(start_ev_);
    seen = seq_;
}

// One DMA transfer; blocks until its last byte is delivered.
void Core::transfer(tlm_utils::simple_initiator_socket<Core> &socket,
                    tlm::tlm_generic_payload &p, tlm::tlm_command cmd,
                    int64_t bytes, bool &busy)
{
    if (bytes <= 0)
        return;
    p.set_command(cmd);
    p.set_address(0);
    p.set_data_ptr(nullptr);  // timing only: no data is moved
    // The whole length in the extension; the payload's own (unsigned)
    // length says as much of it as it can hold.
    XferExt *len = nullptr;
    p.get_extension(len);
    len->bytes = bytes;
    unsigned shown = static_cast<unsigned>(std::min<int64_t>(bytes, UINT_MAX));
    p.set_data_length(shown);
    p.set_streaming_width(shown);
    p.set_byte_enable_ptr(nullptr);
    p.set_dmi_allowed(false);
    p.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    busy = true;
    socket->b_transport(p, delay);
    if (delay != sc_core::SC_ZERO_TIME)
        wait(delay);
    busy = false;
    if (p.is_response_error())
        SC_REPORT_ERROR(name(), "DMA transfer failed");
}

void Core::load_thread()
{
    uint64_t seen = 0;
    for (;;) {
        wait_start(seen);
        for (int i = 0; i < ngroups_; i++) {
            const TileGroup &g = groups_[i];
            int64_t bytes = g.load_w_bytes + g.load_in_bytes +
                            g.load_psum_bytes;
            for (int64_t t = 0; t < g.count; t++) {
                while (free_in_ == 0)
                    wait(in_free_ev_);
                free_in_--;
                transfer(load_socket, load_tr_, tlm::TLM_READ_COMMAND, bytes,
                         load_busy_);
                loaded_++;
                loaded_ev_.notify();
            }
        }
    }
}

void Core::compute_thread()
{
    uint64_t seen = 0;
    for (;;) {
        wait_start(seen);
        int64_t k = 0;  // tile index in the layer
        for (int i = 0; i < ngroups_; i++) {
            const TileGroup &g = groups_[i];
            for (int64_t t = 0; t < g.count; t++, k++) {
                if (loaded_ <= k) {
                    int64_t t0 = clk_.now();
                    while (loaded_ <= k)
                        wait(loaded_ev_);
                    st_.data_wait_cycles[static_cast<size_t>(id_)] +=
                        clk_.now() - t0;
                }
                while (free_out_ == 0)
                    wait(out_free_ev_);
                free_out_--;
                if (g.compute_cycles > 0) {
                    compute_busy_ = true;
                    wait(clk_.at(g.compute_cycles));
                    compute_busy_ = false;
                    st_.busy_cycles[static_cast<size_t>(id_)] +=
                        g.compute_cycles;
                }
                // The tile's results exist once its compute has ended; the
                // store below moves them out.
                if (func_) {
                    Err e;
                    err_clear(&e);
                    if (func_->tile(func_->ctx, layer_, id_, k, &e) != QA_OK)
                        SC_REPORT_ERROR(name(), (std::string(e.field) + ": " +
                                                 e.msg).c_str());
                }
                free_in_++;
                in_free_ev_.notify();
                computed_++;
                computed_ev_.notify();
            }
        }
    }
}

void Core::store_thread()
{
    uint64_t seen = 0;
    for (;;) {
        wait_start(seen);
        int64_t k = 0;
        for (int i = 0; i < ngroups_; i++) {
            const TileGroup &g = groups_[i];
            int64_t bytes = g.store_out_bytes + g.store_psum_bytes;
            for (int64_t t = 0; t < g.count; t++, k++) {
                while (computed_ <= k)
                    wait(computed_ev_);
                transfer(store_socket, store_tr_, tlm::TLM_WRITE_COMMAND,
                         bytes, store_busy_);
                free_out_++;
                out_free_ev_.notify();
            }
        }
        finish_cycles_ = clk_.now();
        done_seq_ = seen;
        done_.notify();
    }
}
