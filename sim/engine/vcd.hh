// vcd.hh: VcdSink, where SystemC's value-change dump goes. SystemC writes
// its trace with stdio into a file it opens itself and checks no write,
// so a full disk left a truncated VCD and an exit status of 0, and the
// header holds the wall-clock date, so two identical runs differed.
// The trace is written into a FIFO instead; a reader thread copies the
// stream into the output through AtomicFile (temporary file, every write,
// fsync and close checked, links written through, devices streamed), with
// the $date section replaced by a fixed text. C++ only (sim/engine).
#ifndef SIM_VCD_HH
#define SIM_VCD_HH

// The project's C headers have no extern "C" guards of their own.
extern "C" {
#include "arch/qa.h"
}

#include <atomic>
#include <string>
#include <thread>

class VcdSink {
public:
    VcdSink() = default;
    VcdSink(const VcdSink &) = delete;
    VcdSink &operator=(const VcdSink &) = delete;
    // Everything removed unless finish() succeeded.
    ~VcdSink();

    // Opens the output and the FIFO; returns "" or a message. name() is
    // then what sc_create_vcd_trace_file takes (it appends ".vcd").
    std::string open(const char *path);
    const std::string &name() const { return base_; }
    // After sc_close_vcd_trace_file: the rest of the stream, then the
    // commit. Returns "" or a message naming the output.
    std::string finish();

private:
    void copy();

    AtomicFile af_{};
    bool open_ = false;
    std::string dir_, base_, fifo_;
    int rfd_ = -1, keep_fd_ = -1;
    std::thread reader_;
    int write_err_ = 0;  // errno of the first failed write, 0: none
    std::atomic<bool> stop_{false};  // the run failed: stop reading
};

#endif
