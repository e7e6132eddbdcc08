/* validate.h: an integer model run on the chip in functional mode, batch by
 * batch: every tile of the mapper's schedule is computed on the real
 * integer codes (by the SystemC cores, or in schedule order with cycles
 * from the analytic model), accumulators are checked against the chip's
 * acc_bits and every layer's outputs are compared with the integer
 * reference (quant/int/intref.h). Sums the layers over the batches, keeps
 * both predictions of every image, and states the verdict as an Err.
 * Loading the model and the images is the caller's; nothing is printed. */
#ifndef VALIDATE_H
#define VALIDATE_H

#include "arch/arch.h"
#include "quant/int/intref.h"
#include "sim/engine/func.h"
#include "workloads/net.h"

typedef struct {
    int batch;              /* images per simulated run (>= 1) */
    int systemc;            /* 1: the SystemC cores compute the tiles at
                             * their simulated time; 0: the same tiles in
                             * schedule order, cycles from analytic_run */
    int64_t pe_macs;        /* FuncOptions.pe_max_macs; 0: no re-runs */
    /* Fault injection: flip bit flip_bit of weight code flip_index of the
     * layer named flip_layer in the chip's copy (NULL: none). */
    const char *flip_layer;
    int64_t flip_index;
    int flip_bit;
    int exact_acc;          /* FuncOptions.exact_acc: every tile's partial
                             * sums in the accumulation order */
    int64_t pe_tiles;       /* FuncOptions.pe_tiles: re-runs per simulated
                             * run, 0: every eligible tile */
    uint64_t seed;          /* of the PE-level sample; each batch draws its
                             * own from seed and its first image */
} ValOptions;

/* One layer summed over the batches. The first mismatch is the first of
 * the first batch that has one, its image counted from the first image. */
typedef struct {
    FuncLayer f;
    int64_t cycles;
} ValLayer;

typedef struct {
    Net shape;              /* func_net(ref, 1): names and ops of the layers */
    ValLayer *layers;       /* (shape.n) */
    int n;                  /* images */
    int *chip_pred;         /* (n) class the chip's logits pick */
    int *ref_pred;          /* (n) class the integer reference picks */
    int64_t cycles;         /* over every batch */
    int64_t mismatches, elems, macs;
    int64_t pe_tiles, pe_macs; /* PE-level re-runs over every batch */
    int64_t pe_eligible;    /* tiles they were sampled from */
    int64_t pe_bad;         /* PE-level disagreements (outputs, cycles or
                             * largest partial sums), summed over layers */
    int overflows;          /* layers whose partial sums overflow acc_bits */
    int agree;              /* images with chip_pred == ref_pred */
    int first_bad;          /* first layer with a mismatch or an overflow;
                             * -1: none */
} ValResult;

/* Run n images (n, in_C, in_H, in_W) of ref's in_bits codes on a, in
 * batches of o->batch. r is initialised here; free it with validate_free
 * (also after a failure). Errors: a flip_layer not in the model (field
 * "flip"), a bad flip position, a schedule the chip cannot run, out of
 * memory. A run that finds mismatches succeeds: see validate_verdict. */
int validate_run(const Accel *a, const INet *ref, const uint8_t *images, int n,
                 const ValOptions *o, ValResult *r, Err *e);

/* QA_OK when every output equals the reference, no accumulator overflows
 * and the PE-level array agrees; else e is the first mismatch (file
 * `model`, the layer, image, channel, row, column and both values), the
 * first overflow, or the PE-level disagreement. */
int validate_verdict(const ValResult *r, const Accel *a, const char *model, Err *e);

/* Also safe on a zeroed ValResult. */
void validate_free(ValResult *r);

/* n seeded images of ref's input, uniform over its in_bits codes;
 * *images is malloc'd (caller frees). */
int validate_random_images(const INet *ref, uint64_t seed, int n, uint8_t **images,
                           Err *e);

#endif
