/* area_synth.h: what Yosys says the MACs of qarray's own RTL (models/rtl)
 * cost: the rows of models/rtl/mac_area.csv, which the script beside it
 * (models/rtl/synth/mac_area.sh) made, kept here as a table so the model
 * needs no file at run time; tests/test_area.c checks that the two agree
 * and tests/test_rtl_synth.sh that Yosys still gives the committed data.
 * Gate equivalents (GE, NAND2 = 1) are Yosys's CMOS transistor counts / 4.
 * Data only: no chip, no Accel. */
#ifndef AREA_SYNTH_H
#define AREA_SYNTH_H

#include <stdint.h>

/* One synthesized circuit at one precision. */
typedef struct {
    const char *kind;    /* "fixed": a b-bit MAC with its accumulator;
                          * "mul": its multiplier alone; "config": the
                          * precision-configurable 16-bit MAC running
                          * `lanes` lanes of `bits` bits */
    int bits;            /* operand (lane) bits */
    int lanes;           /* MAC lanes at these bits */
    int acc_bits;        /* accumulator bits per lane, 0: none */
    int cells;           /* gates and flip-flops after mapping */
    int64_t transistors; /* Yosys `stat -tech cmos` */
    double ge;           /* transistors / 4 */
} AreaSynthMac;

/* Rows in the order of the CSV; i in 0 .. area_synth_count() - 1. */
int area_synth_count(void);
const AreaSynthMac *area_synth_row(int i);

/* The row of this kind and bits, NULL if there is none. */
const AreaSynthMac *area_synth_find(const char *kind, int bits);

/* Area of the fixed b-bit MAC relative to the fixed 16-bit one: the data
 * at 2, 3, 4, 8 and 16 bits, linear in log2(area) vs log2(bits) between
 * them and along the end segments beyond (bits >= 1). */
double area_synth_fixed_rel(int bits);

/* MAC density of the configurable MAC at b bits against the fixed 16-bit
 * MAC: lanes(b) * GE(fixed 16) / GE(configurable); 0 when it has no b-bit
 * mode (b not 16, 8, 4 or 2). */
double area_synth_config_density(int bits);

#endif
