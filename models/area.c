/* area.c: MAC area vs bits, chip area, peak TOPS.
 *
 * Three models of a fixed-point MAC lane's area, relative to 16 bits:
 *
 * pact (default): area(b) ~ b^2 + k*b, a multiplier that grows with b^2
 *   plus adder, accumulator and pipeline registers that grow with b. The one
 *   free constant is fitted to PACT Section 6, Fig. 6(b): "~14x improvement
 *   in density when ... reduced from 16 bits to 2 bits" (14 nm, real
 *   implementations): (256 + 16k) / (4 + 2k) = 14 gives k = 50/3.
 *   Ratios to 16 bits: 8b 2.65x, 4b 6.32x, 2b 14.0x smaller.
 *
 * bitfusion: synthesized 45 nm PEs of Bit Fusion (Sharma et al., ISCA 2018):
 *   81, 192, 511, 1679 um^2 at 2, 4,
 *   8, 16 bits (ratio 16->2 is 20.7x). Other widths are interpolated
 *   linearly in log2(area) vs log2(bits).
 *
 * synth: qarray's own fixed-precision MAC RTL (models/rtl/qa_mac_acc.v:
 *   signed b x b multiplier, 32-bit adder and accumulator) synthesized by
 *   Yosys to generic gates (area_synth.c, models/rtl/mac_area.csv): 585,
 *   698, 1277, 3833 gate equivalents at 2, 4, 8, 16 bits (16->2 is 6.55x:
 *   the 32-bit accumulator does not shrink). Other widths are interpolated
 *   linearly in log2(area) vs log2(bits).
 *
 * Absolute area: area.mac16_um2 is the area of one 16-bit lane (default
 * 160 um^2: the 45 nm Bit Fusion 16-bit PE scaled by (14/45)^2). */
#include "models/area.h"
#include "models/area_synth.h"
#include "models/scale.h"

#include <math.h>

static double pact_rel(int b)
{
    const double k = 50.0 / 3.0;
    return ((double)b * b + k * b) / (256.0 + k * 16.0);
}

/* A shift-add lane in the same units as pact_rel: the b^2 multiplier array
 * becomes a two-level shifter (one mux per bit per level) and an adder,
 * about 2b full-adder equivalents; the k*b part (accumulator, registers)
 * stays. APoT paper Sec. 2.2: a k=2 term is one shift and one add. */
static double apot_rel(int b)
{
    const double k = 50.0 / 3.0;
    return (2.0 * b + k * b) / (256.0 + k * 16.0);
}

static double bitfusion_rel(int b)
{
    static const double bits[] = {2, 4, 8, 16};
    static const double um2[] = {81, 192, 511, 1679};
    double lb = log2((double)b);
    int i = 0;
    /* Segment [i, i+1] that holds lb; extrapolate with the end segments. */
    while (i < 2 && lb > log2(bits[i + 1]))
        i++;
    double x0 = log2(bits[i]), x1 = log2(bits[i + 1]);
    double y0 = log2(um2[i]), y1 = log2(um2[i + 1]);
    double y = y0 + (y1 - y0) * (lb - x0) / (x1 - x0);
    return pow(2.0, y) / um2[3];
}

static double rel_area(AreaModel m, int b)
{
    switch (m) {
    case AREA_BITFUSION: return bitfusion_rel(b);
    case AREA_SYNTH: return area_synth_fixed_rel(b);
    default: return pact_rel(b);
    }
}

double area_mac_um2(const Accel *a, int bits)
{
    return a->mac16_um2 * rel_area(a->area_model, bits);
}

double area_ratio(const Accel *a, int bits)
{
    return rel_area(a->area_model, a->base_bits) / rel_area(a->area_model, bits);
}

double area_apot_ratio(const Accel *a, int a_bits)
{
    return rel_area(a->area_model, a->base_bits) / apot_rel(a_bits);
}

void area_report(const Accel *a, int bits, AreaReport *r)
{
    /* Iso-area: a PE keeps the area of one base_bits lane at any bits. */
    double pe_um2 = area_mac_um2(a, a->base_bits);
    r->pe_mm2 = (double)a->cores * a->rows * a->cols * pe_um2 * 1e-6;
    r->sram_mm2 = (double)a->cores * ((double)a->sram_bytes / 1024.0) *
                  a->sram_mm2_per_kib;
    r->other_mm2 = a->cores * a->core_overhead_mm2;
    r->chip_mm2 = r->pe_mm2 + r->sram_mm2 + r->other_mm2;
    int rows, cols;
    scale_array(a, bits, &rows, &cols);
    /* An APoT lane finishes one MAC every ceil(bits / 2) cycles, any lane
     * one every ceil(bits / base_bits)^2 above its width. */
    r->macs_per_cycle = (double)a->cores * rows * cols /
                        scale_cycles_per_mac(a, bits, bits);
    r->peak_tops = 2.0 * r->macs_per_cycle * a->clock_ghz * 1e-3;
    r->tops_per_mm2 = r->chip_mm2 > 0 ? r->peak_tops / r->chip_mm2 : 0;
}
