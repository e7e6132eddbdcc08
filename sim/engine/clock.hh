// clock.hh: cycles <-> SystemC time. The model runs at a time resolution of
// one femtosecond and every event of a core falls on a whole clock period,
// so cycles = time / period is exact. C++ only (included by sim/*.cc).
#ifndef SIM_CLOCK_HH
#define SIM_CLOCK_HH

#include <cstdint>
#include <systemc>

struct Clock {
    int64_t period_fs;  // from sim_period_fs(Accel)

    sc_core::sc_time at(int64_t cycles) const
    {
        return sc_core::sc_time::from_value(
            static_cast<sc_dt::uint64>(cycles * period_fs));
    }
    int64_t cycles(const sc_core::sc_time &t) const
    {
        return static_cast<int64_t>(t.value()) / period_fs;
    }
    int64_t now() const { return cycles(sc_core::sc_time_stamp()); }
};

#endif
