/* area.h: silicon area of the chip and its peak throughput.
 *
 * MAC lane area vs bit width follows one of three models (see area.c for
 * the data and its sources); the PE area is fixed at base_bits (the
 * chip is iso-area across precisions), the scratchpad area is per KiB.
 * Peak TOPS counts a MAC as 2 operations. No timing here. */
#ifndef AREA_H
#define AREA_H

#include "arch/arch.h"

/* Area of one MAC lane at b bits, in um2 (b = base_bits gives mac16_um2
 * scaled by the model's ratio if base_bits != 16). */
double area_mac_um2(const Accel *a, int bits);

/* area(base_bits) / area(bits): how many b-bit lanes fit in one PE's area
 * (not rounded). */
double area_ratio(const Accel *a, int bits);

/* APoT shift-add lane (k = 2) for a_bits activations: the multiplier is
 * replaced by a two-level shifter and an adder; relative to one base_bits
 * multiplier lane. Only the pact area model has the split it needs. */
double area_apot_ratio(const Accel *a, int a_bits);

typedef struct {
    double pe_mm2;       /* all PE arrays */
    double sram_mm2;     /* all scratchpads */
    double other_mm2;    /* per-core overhead times cores */
    double chip_mm2;
    double macs_per_cycle;  /* at the given bits, whole chip; below 1 on a
                             * tiny chip far above its base_bits */
    double peak_tops;
    double tops_per_mm2;
} AreaReport;

/* Area and peak throughput of the chip when running at `bits`. */
void area_report(const Accel *a, int bits, AreaReport *r);

#endif
