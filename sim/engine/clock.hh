// clock.hh: cycles <-> SystemC time. The model runs at the time resolution
// sim_time_base (acct.h) chose for the run (femtoseconds unless the run is
// too long for them) and every event of a core falls on a whole clock
// period, so cycles = time / period is exact. A time beyond the run's
// bound is refused, never wrapped. C++ only (included by sim/*.cc).
#ifndef SIM_CLOCK_HH
#define SIM_CLOCK_HH

#include <cstdint>
#include <stdexcept>
#include <systemc>

// The project's C headers have no extern "C" guards of their own.
extern "C" {
#include "arch/qa.h"
}

struct Clock {
    int64_t period;  // one cycle in units of the time resolution (>= 1)

    sc_core::sc_time at(int64_t cycles) const
    {
        if (cycles < 0 || cycles > QA_COUNT_MAX / period)
            throw std::overflow_error("simulated time beyond what the run's time "
                                      "base holds");
        return sc_core::sc_time::from_value(
            static_cast<sc_dt::uint64>(cycles * period));
    }
    int64_t cycles(const sc_core::sc_time &t) const
    {
        return static_cast<int64_t>(t.value() / static_cast<sc_dt::uint64>(period));
    }
    int64_t now() const { return cycles(sc_core::sc_time_stamp()); }
};

#endif
