// xfer.hh: XferExt, the length of one DMA transfer in bytes, carried by the
// payload a core sends to the interconnect. The generic payload's data
// length is an unsigned int, and a tile may move more than 4 GiB (a 1 TiB
// scratchpad holds such tiles); the interconnect cuts the transfer into
// bursts by this count. C++ only.
#ifndef SIM_XFER_HH
#define SIM_XFER_HH

#include <cstdint>
#include <tlm>

struct XferExt : tlm::tlm_extension<XferExt> {
    int64_t bytes = 0;

    tlm::tlm_extension_base *clone() const override { return new XferExt(*this); }
    void copy_from(const tlm::tlm_extension_base &other) override
    {
        *this = static_cast<const XferExt &>(other);
    }
};

#endif
