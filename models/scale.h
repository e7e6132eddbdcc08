/* scale.h: iso-area precision scaling. A PE holds one base_bits MAC lane;
 * at b bits it holds `lanes` b-bit lanes in the same area, by the chip's
 * rule, and the placement turns lanes into a wider or taller array. */
#ifndef SCALE_H
#define SCALE_H

#include "arch/arch.h"

/* MAC lanes per PE at `bits` (>= 1; 1 at base_bits and above):
 *   linear     floor(base_bits / bits)           precision-configurable MAC
 *   area       floor(area(base) / area(bits))    from the MAC area model
 *   quadratic  floor((base_bits / bits)^2)       Bit Fusion style
 *   table      lane_table[bits] (rounded down) */
int scale_lanes(const Accel *a, int bits);

/* Cycles one MAC takes in a lane: 1, or ceil(w_bits / 2) APoT terms on a
 * shift-add PE (one term per cycle). */
int scale_cycles_per_mac(const Accel *a, int w_bits);

/* Lanes of a shift-add (APoT) PE for a_bits activations. */
int scale_apot_lanes(const Accel *a, int a_bits);

/* Effective array shape at `bits`: placement "cols" multiplies the columns
 * by lanes, "rows" the rows, "both" splits lanes into the factor pair
 * closest to square (rows get the smaller factor). */
void scale_array(const Accel *a, int bits, int *rows, int *cols);

#endif
