/* area_cmp.h: the MAC area models side by side, for `qarray area`: the
 * density each model gives at 16, 8, 4, 3 and 2 bits (PACT-calibrated, Bit
 * Fusion, synthesized), the synthesized gate equivalents, and the
 * precision-configurable MAC beside them. Prints; computes nothing itself. */
#ifndef AREA_CMP_H
#define AREA_CMP_H

#include "arch/arch.h"

/* The table for chip a (its base_bits; its own area model is not used). */
void report_area_models(const Accel *a, FILE *f);

#endif
