/* func.h: functional mode of the chip. Every tile of the mapper's schedule
 * is computed on integer codes of their bit width: exact sums (oneDNN's
 * integer product where the codes fit it, exact loops otherwise,
 * sim/engine/fgemm.h) whose partial sums are checked against
 * Accel.acc_bits in the chip's accumulation order (an overflow is reported,
 * never wrapped, never missed and never invented), requantization by the
 * rules of quant/int/intref.h; outputs are compared with the integer
 * reference (quant/int/irun.h, which shares no product code with the
 * tiles) layer by layer. The arithmetic of a tile lives here; a SystemC
 * run calls func_tile in the order its cores end the tiles. */
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
                            * registers or accumulator buffer (array layers):
                            * exact when exact_tiles == tiles, else an upper
                            * bound (see func.c); exact whenever it overflows */
    int acc_bits_needed;   /* signed bits that hold max_acc */
    int overflow;          /* acc_bits_needed > Accel.acc_bits: exact, never
                            * a bound's verdict */
    int64_t max_sum;       /* largest |final sum| of an output (exact; a lower
                            * bound of the largest partial sum) */
    int64_t exact_tiles;   /* tiles whose partial sums were computed in the
                            * accumulation order (max_acc exact for them) */
    int64_t fast_tiles;    /* tiles whose sums came from oneDNN's product */
    int64_t macs, tiles;   /* computed by the chip */
    int64_t pe_eligible;   /* tiles the re-run rule allows (FuncOptions) */
    int64_t pe_tiles;      /* tiles re-run on the PE-level reference array */
    int64_t pe_macs;       /* MACs of those re-runs */
    int64_t pe_mismatches; /* reference-array outputs != functional outputs */
    int64_t pe_cycles;     /* reference-array cycles of those tiles */
    int64_t sys_cycles;    /* closed-form cycles of the same GEMMs */
    int64_t pe_max_acc;    /* largest |partial sum| the reference array held */
    int64_t pe_max_want;   /* the functional model's for the same GEMMs */
} FuncLayer;

typedef struct {
    /* Tiles whose GEMM has at most pe_max_macs MACs may be re-run on pe_ref
     * whole; of larger ones the first and last tile of each core may be
     * re-run on their leading rows and columns up to that budget. 0: never. */
    int64_t pe_max_macs;
    /* Of those eligible tiles, at most pe_tiles per run are re-run: a
     * systematic sample in schedule order (every (E / pe_tiles)-th of the E
     * eligible tiles, from an offset drawn from pe_seed), so the re-runs
     * spread over the layers and cost a bounded time whatever the batch.
     * 0: every eligible tile. */
    int64_t pe_tiles;
    uint64_t pe_seed;
    /* 1: every tile's partial sums in the accumulation order, so max_acc
     * is exact on every layer (slower); 0: bounds decide where they can. */
    int exact_acc;
} FuncOptions;

/* Where a run's time went (wall seconds of the caller's thread). */
typedef struct {
    int threads;           /* threads computing tiles */
    int64_t tiles;         /* tiles computed (array and vector unit) */
    int64_t fast_macs;     /* MACs of oneDNN's products (the tiles' sums) */
    int64_t bound_macs;    /* MACs of the bound products A x |W| */
    int64_t ordered_macs;  /* MACs of the ordered loops (incl. re-runs) */
    /* wall seconds */
    double tile_s;         /* computing tiles, im2col included */
    double im2col_s;       /* of which the u8 im2col of the fast layers */
    double compare_s;      /* func_compare: the reference and the comparison */
    double ref_s;          /* of which the reference */
    /* thread-seconds (a tile's time times the threads it had) */
    double gemm_s;         /* oneDNN's products (sums and bounds) */
    double ordered_s;      /* the ordered loops */
    double pe_s;           /* the PE-level re-runs */
    double vector_s;       /* the vector-unit tiles (add, pools) */
} FuncTimes;

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

/* Ready f for another run of the same schedule on new images (as
 * func_set_images) with the PE-level sample drawn from pe_seed: the
 * results are cleared, the outputs are left to be overwritten (the tiles
 * cover each output once), and the buffers, the weights (with any flipped
 * bit) and the reference's runner are kept, so runs of a batch after the
 * first allocate nothing. */
int func_restart(FuncChip *f, const uint8_t *images, uint64_t pe_seed, Err *e);

/* Flip bit `bit` (0 = LSB) of the w_bits two's-complement code of weight
 * `index` ((K, C, R, S) order) of array layer `layer` in the chip's copy.
 * Errors: not an array layer, index or bit out of range. */
int func_flip_weight(FuncChip *f, int layer, int64_t index, int bit, Err *e);

/* Tile t of core `core` of layer `layer` (tile_block gives the output
 * block). A layer's tiles are independent, so they are gathered and
 * computed together, one per thread, when the layer's last tile arrives
 * or a tile of another layer does (func_run and func_compare compute what
 * is left); a layer's inputs must be complete by then. QA_ERR when out of
 * memory, oneDNN fails, for an internal error (the reference array, or
 * oneDNN's sums differing from the ordered ones), or for a tile that is
 * not in the schedule; the error may come from an earlier tile of the
 * layer being computed. */
int func_tile(FuncChip *f, int layer, int core, int64_t t, Err *e);

/* Every tile of every layer in schedule order, without timing (the C path). */
int func_run(FuncChip *f, Err *e);

/* Run the integer reference on every image and fill the per-layer results
 * (func_layers). QA_ERR only when out of memory or oneDNN fails. */
int func_compare(FuncChip *f, Err *e);

/* Results: (net->n) layers; logits (batch, classes) of the chip; the
 * reference's predicted classes (batch). Valid after func_compare (or
 * after a SystemC run with func_sim_hooks). */
const FuncLayer *func_layers(const FuncChip *f);
const int64_t *func_logits(const FuncChip *f);
const int *func_ref_pred(const FuncChip *f);
const FuncTimes *func_times(const FuncChip *f);

/* Hooks for sim_run: every tile the cores end is computed with func_tile
 * (in this process), then func_compare. */
SimFunctional func_sim_hooks(FuncChip *f);

/* Total mismatches and overflowing layers over all layers. */
int64_t func_total_mismatches(const FuncChip *f);
int func_overflows(const FuncChip *f);

#endif
