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

/* Cycles one MAC of w_bits weights and a_bits activations takes in a lane.
 * A lane is one base_bits x base_bits multiplier: operands wider than that
 * are cut into base_bits digits and multiplied digit by digit, one partial
 * product per cycle (Bit Fusion's fusion of narrow bricks, in time rather
 * than in space): ceil(w_bits / base_bits) x ceil(a_bits / base_bits)
 * cycles, 1 at or below base_bits. On a shift-add (APoT) PE a b-bit weight
 * is ceil(b / 2) terms, one per cycle, times the activation digits. */
int scale_cycles_per_mac(const Accel *a, int w_bits, int a_bits);
/* Passes of the vector unit over an element of `bits` (its lanes are
 * base_bits wide): ceil(bits / base_bits), 1 at or below. */
int scale_vector_passes(const Accel *a, int bits);

/* Lanes of a shift-add (APoT) PE for a_bits activations. */
int scale_apot_lanes(const Accel *a, int a_bits);

/* Effective array shape at `bits`: placement "cols" multiplies the columns
 * by lanes, "rows" the rows, "both" splits lanes into the factor pair
 * closest to square (rows get the smaller factor). */
void scale_array(const Accel *a, int bits, int *rows, int *cols);

#endif
