// controller.cc: layer sequencing and barriers (see controller.hh).
#include "sim/engine/controller.hh"

#include "sim/engine/acct.h"

#include <vector>

Controller::Controller(sc_core::sc_module_name name, const Accel *a,
                       const TileSchedule *ts, const Clock &clk, Stats &st,
                       RunStats *rs)
    : sc_module(name), cores("cores"), a_(a), ts_(ts), clk_(clk), st_(st),
      rs_(rs)
{
    SC_THREAD(run);
}

void Controller::run()
{
    size_t n = static_cast<size_t>(a_->cores);
    std::vector<int64_t> end(n), busy(n), busy0(n), data_wait(n),
        data_wait0(n);
    for (int l = 0; l < ts_->n; l++) {
        const LayerMap *m = &ts_->layers[l];
        int64_t t0 = clk_.now();
        int64_t rd0 = st_.rd_bytes, wr0 = st_.wr_bytes;
        busy0 = st_.busy_cycles;
        data_wait0 = st_.data_wait_cycles;
        for (int c = 0; c < m->cores_used; c++)
            cores[c]->start(m->groups + m->first[c],
                            m->first[c + 1] - m->first[c], l);
        for (size_t c = 0; c < n; c++) {
            end[c] = 0;
            if (static_cast<int>(c) >= m->cores_used)
                continue;
            while (!cores[static_cast<int>(c)]->finished())
                wait(cores[static_cast<int>(c)]->finished_event());
            end[c] = cores[static_cast<int>(c)]->finish_cycles() - t0;
        }
        for (size_t c = 0; c < n; c++) {
            busy[c] = st_.busy_cycles[c] - busy0[c];
            data_wait[c] = st_.data_wait_cycles[c] - data_wait0[c];
        }
        sim_layer_account(a_, m, clk_.now() - t0, end.data(), busy.data(),
                          data_wait.data(), a_->cores, st_.rd_bytes - rd0,
                          st_.wr_bytes - wr0,
                          &rs_->layers[l],
                          rs_->core_busy + static_cast<size_t>(l) * n);
    }
    rs_->transactions = st_.transactions;
    finished_ = true;
    sc_core::sc_stop();
}
