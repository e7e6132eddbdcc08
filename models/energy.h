/* energy.h: the energy of a schedule, by component, from the chip's energy
 * group (arch.h EnergyParams). Counts come from the schedule (energy_count,
 * called by tile_build), DRAM bytes and cycles from the engine that ran it,
 * so both engines price a layer with the same function and agree wherever
 * their cycles and bytes agree. The model, its formulas and the sources of
 * the presets: models/README.md. No time is simulated here. */
#ifndef ENERGY_H
#define ENERGY_H

#include "arch/arch.h"
#include "models/stats.h"
#include "models/tiling.h"
#include "workloads/layer.h"

/* Fill m->access from layer l and its schedule m (array fields, split,
 * cores used and blocks set, as tile_build leaves them): per tile shape
 * the systolic traffic of its GEMM (systolic.h) at the column width the
 * tile runs on, summed over every core's tiles; pool and add on the
 * vector unit. */
void energy_count(const Accel *a, const Layer *l, LayerMap *m);

/* Width of a partial sum of kg products of w x a bits: the bits of one
 * product plus ceil(log2 kg), never more than the accumulator (acc_bits). */
int energy_psum_bits(const Accel *a, int w_bits, int a_bits, int64_t kg);

/* pJ of one b-bit add (accumulate, shift-add term, vector-unit operation),
 * technology factor included. */
double energy_add_pj(const Accel *a, int bits);

/* pJ of one MAC of a fixed PE at w x a bits reducing kg products: the
 * formula (multiply + accumulate at energy_psum_bits) or the table at
 * sqrt(w * a) bits; a shift-add (APoT) PE spends ceil(w/2) terms of a
 * shift and an add. Technology factor included, no flex_overhead. */
double energy_fixed_mac_pj(const Accel *a, int w_bits, int a_bits, int64_t kg);

/* The same on this chip's PE: times flex_overhead when the lanes run
 * narrower than base_bits. */
double energy_mac_pj(const Accel *a, int w_bits, int a_bits, int64_t kg);

/* Scratchpad pJ per byte read (write = 0) or written (write = 1) at the
 * chip's scratchpad size. */
double energy_sram_pj_per_byte(const Accel *a, int write);

/* Leakage power of the chip in mW: logic (PE arrays and per-core overhead)
 * and scratchpad area times their densities. */
double energy_leak_mw(const Accel *a);

/* One layer: m->access priced, the DRAM bytes the engine moved (every byte
 * read from DRAM is also written into the scratchpad, every byte written
 * to DRAM is read from it), leakage over `cycles`. Zero without an energy
 * group. */
void energy_layer(const Accel *a, const LayerMap *m, int64_t cycles,
                  int64_t dram_rd_bytes, int64_t dram_wr_bytes, Energy *out);

/* Energy per MAC with every lane busy every cycle at `bits` (W = A): the
 * MAC, its register hops and the chip's leakage shared by the MACs of one
 * cycle; no scratchpad or DRAM (those depend on the network). 0 without
 * an energy group. */
double energy_peak_pj_per_mac(const Accel *a, int bits);
/* 2 operations per MAC over that: TOPS/W at peak utilisation. */
double energy_peak_tops_per_w(const Accel *a, int bits);

#endif
