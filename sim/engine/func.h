/* func.h: functional mode of the chip. Every tile of the mapper's schedule
 * is computed on integer codes of their bit width: exact accumulation whose
 * largest partial sum is checked against Accel.acc_bits (overflow reported,
 * never wrapped), requantization by the rules of quant/int/intref.h; outputs are
 * compared with the integer reference layer by layer. The arithmetic of a
 * tile lives here; the SystemC cores call func_tile at its simulated time. */
#ifndef FUNC_H
#define FUNC_H

#include "arch/arch.h"
#include "models/tiling.h"
#include "quant/int/intref.h"
#include "sim/engine/sim.h"
#include "workloads/net.h"

/* Layer graph of an integer network for the mapper: one layer per op,
 * except the classifier (gapfc), which becomes a global sum pool on the
 * vector unit and an fc on the array. Bits: a conv's w_bits and out_bits
 * (32 for an int32 residual branch), the input codes' bits; the fc reads
 * the pooled sums, a_bits = input bits + ceil(log2(H*W)). batch >= 1.
 * net is initialised here and left empty on error. */
int func_net(const INet *in, int batch, Net *net, Err *e);

/* Per layer of the converted Net: what the chip computed and how it
 * compares with the integer reference. */
typedef struct {
    int64_t mismatches;    /* output elements that differ from the reference */
    int64_t first[4];      /* first mismatch: image, channel, row, column */
    int64_t got, want;     /* its chip and reference values */
    int64_t elems;         /* output elements compared */
    int64_t max_acc;       /* largest |partial sum| held in the dataflow's
                            * registers or accumulator buffer (array layers) */
    int acc_bits_needed;   /* signed bits that hold max_acc */
    int overflow;          /* acc_bits_needed > Accel.acc_bits */
    int64_t macs, tiles;   /* computed by the chip */
    int64_t pe_tiles;      /* tiles re-run on the PE-level reference array */
    int64_t pe_macs;       /* MACs of those re-runs */
    int64_t pe_mismatches; /* reference-array outputs != functional outputs */
    int64_t pe_cycles;     /* reference-array cycles of those tiles */
    int64_t sys_cycles;    /* closed-form cycles of the same GEMMs */
    int64_t pe_max_acc;    /* largest |partial sum| the reference array held */
    int64_t pe_max_want;   /* the functional model's for the same GEMMs */
} FuncLayer;

typedef struct {
    /* Tiles whose GEMM has at most pe_max_macs MACs are re-run on pe_ref
     * whole; for larger ones the first (and last) tile of each core is
     * re-run on its leading rows and columns up to that budget. 0: never. */
    int64_t pe_max_macs;
} FuncOptions;

typedef struct FuncChip FuncChip;

/* The chip's functional state for net (from func_net(ref, batch)) mapped
 * as ts on a. The chip takes its own copy of the weights (so a fault can be
 * injected into it); ref, net, ts and a must outlive it. Refuses a schedule
 * whose tiles move partial sums (a split reduction; the mapper never makes
 * one) and a net that is not func_net's graph of ref. */
int func_init(FuncChip **f, const Accel *a, const INet *ref, const Net *net,
              const TileSchedule *ts, const FuncOptions *o, Err *e);
void func_free(FuncChip *f);

/* Images (batch, in_C, in_H, in_W) of in_bits codes; copied. */
int func_set_images(FuncChip *f, const uint8_t *images, Err *e);

/* Flip bit `bit` (0 = LSB) of the w_bits two's-complement code of weight
 * `index` ((K, C, R, S) order) of array layer `layer` in the chip's copy.
 * Errors: not an array layer, index or bit out of range. */
int func_flip_weight(FuncChip *f, int layer, int64_t index, int bit, Err *e);

/* Compute tile t of core `core` of layer `layer` (tile_block gives the
 * output block). Inputs must have been computed. QA_ERR only when out of
 * memory or for an internal error of the reference array. */
int func_tile(FuncChip *f, int layer, int core, int64_t t, Err *e);

/* Every tile of every layer in schedule order, without timing (the C path). */
int func_run(FuncChip *f, Err *e);

/* Run the integer reference on every image and fill the per-layer results
 * (func_layers). QA_ERR only when out of memory. */
int func_compare(FuncChip *f, Err *e);

/* Results: (net->n) layers; logits (batch, classes) of the chip; the
 * reference's predicted classes (batch). Valid after func_compare (or
 * after a SystemC run with func_sim_hooks). */
const FuncLayer *func_layers(const FuncChip *f);
const int64_t *func_logits(const FuncChip *f);
const int *func_ref_pred(const FuncChip *f);

/* Hooks for sim_run: the cores compute each tile with func_tile; the
 * simulation process runs func_compare and sends the results back. */
SimFunctional func_sim_hooks(FuncChip *f);

/* Total mismatches and overflowing layers over all layers. */
int64_t func_total_mismatches(const FuncChip *f);
int func_overflows(const FuncChip *f);

#endif
