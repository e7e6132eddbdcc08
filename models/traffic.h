/* traffic.h: the reuse rules of the mapper, as plain arithmetic.
 *
 * Given one candidate mapping of one layer (core split, tile sizes, loop
 * order, what is cached and what is resident), these functions give the
 * bytes of each tile, how often each tensor crosses from DRAM, and whether
 * the working set fits a core's scratchpad. tiling.c searches candidates
 * with them and emits the schedule. No time, no search here. */
#ifndef TRAFFIC_H
#define TRAFFIC_H

#include "models/tiling.h"

/* How a tile's inputs relate to its outputs. */
typedef enum {
    VIEW_DENSE,  /* conv/fc without groups: every output channel reads every
                    input channel, so channel blocks share the input */
    VIEW_GROUPS, /* grouped conv, matmul: a unit (a group; a matmul's image
                    and head) reads its own slice of the input */
    VIEW_WINDOW, /* pool, add: output channel c reads input channel c */
    VIEW_FLAT    /* other vector ops: each input in proportion to the output */
} ViewKind;

/* The layer as the mapper sees it: output rows (N*P, each Q pixels) and
 * channel units (output channels; groups of a grouped conv, whose output
 * channels stay together) are the two dimensions that are tiled and split
 * over cores; the reduction is never split. A matmul's images are units
 * too (each has its own second operand), so its rows are P. */
typedef struct LayerView {
    const Layer *l;
    int on_array;            /* conv/fc/matmul: systolic array; else vector unit */
    ViewKind kind;
    int nin;                 /* input tensors read by tiles: 1, or 2 (add, a
                                two-input vector op; a matmul's second
                                operand is loaded as its weights) */
    int64_t rows_out;        /* N * P (matmul: P) */
    int64_t ch;              /* channel units */
    int64_t unit_k;          /* output channels per unit (K/groups; 1) */
    int64_t kg;              /* reduction length: C/groups * R * S */
    int64_t row_in_bytes;    /* dense: one input row, all channels: C * W * a_bits */
    int64_t unit_in;         /* groups: input elements of one unit in one
                                input row: C/groups * W */
    int64_t out_elems, in_elems[2]; /* flat: per image, the proportions */
    int64_t w_all, in_all[2], out_all; /* whole tensors, bytes (in_all: each
                                input; a matmul's second operand is w_all) */
    int in_resident[2];
    int w_resident;          /* weights (a matmul's second operand) on chip */
} LayerView;

/* One mapping of one layer: the choices, then what follows from them. */
typedef struct TileChoice {
    CoreSplit split;
    int cores_used;          /* 1 .. min(cores, units of the split) */
    LoopOrder order;
    int cache;               /* keep the re-streamed tensor after pass 1 */
    int keep_out;            /* output stays on chip */
    int64_t tn, tr;          /* tile: output channels x output rows */
    /* derived by traffic_shape */
    int64_t share_ch, share_rows; /* busiest core's share */
    int64_t nb_n, nb_m;      /* blocks per core (the same on every core) */
    int64_t in_pass[2];      /* chip-level bytes of one pass over each input */
    int64_t w_tile, in_tile, out_tile; /* buffer bytes of one tile (inputs:
                                          all of them) */
    /* derived by traffic_eval */
    int64_t buffer_bytes;    /* busiest core's streaming buffers */
    int64_t held_bytes;      /* chip bytes held for the layer: kept output,
                                cached tensor (spread over all cores) */
    int64_t sram_bytes;      /* busiest core: buffers + its share of the
                                held and resident bytes */
    int64_t w_reads, in_reads; /* passes over each tensor from DRAM */
    int64_t dram_w, dram_in, dram_out; /* chip-level DRAM bytes */
    int64_t dram_in_k[2];    /* dram_in of each input */
} TileChoice;

/* Input rows a buffer must hold for r consecutive output rows (the
 * window of height layer_span_h, stride l->stride). */
int64_t traffic_in_rows(const Layer *l, int64_t r);

/* Input rows fetched from DRAM for output rows [a, b) (flat over the batch,
 * N*P rows) when the same pass already fetched rows from `start` on: rows
 * shared with the previous block of the same image (the window overlap,
 * R - stride) stay in the buffer and are not fetched again. */
int64_t traffic_in_rows_range(const Layer *l, int64_t start, int64_t a,
                              int64_t b);

/* 1 when every output row fetches exactly `stride` input rows of its own
 * (no window overlap, no row cut off at the image's end): then r output
 * rows fetch r * stride rows wherever they lie. */
int traffic_rows_uniform(const Layer *l);

/* Bytes of the tiles of block sizes (units n, rows r) for one layer. */
int64_t traffic_w_tile(const LayerView *v, int64_t n);
/* Bytes of one input row of a tile of n units: all C channels for a dense
 * conv/fc (a filter reads every input channel), its units' channels for a
 * grouped conv or matmul, n channels for pool/add (not for flat ops). */
int64_t traffic_in_row_bytes(const LayerView *v, int64_t n);
/* Buffer bytes of input k's tile of n units x r output rows. */
int64_t traffic_in_tile(const LayerView *v, int k, int64_t n, int64_t r);
int64_t traffic_out_tile(const LayerView *v, int64_t n, int64_t r);
/* A flat op's elements of input k (or, k = -1, of its output) that a tile
 * of n channels x r rows covers: the output's in proportion, rounded up. */
int64_t traffic_flat_elems(const LayerView *v, int k, int64_t n, int64_t r);
/* Fill v's dimensions, kind and byte totals from its layer (not the
 * residency fields). */
void traffic_view_dims(const Layer *l, LayerView *v);

/* Split `total` units over `parts` as evenly as possible: part i gets
 * total/parts, plus one for the first total%parts parts. */
int64_t traffic_part(int64_t total, int64_t parts, int64_t i);

/* Output channels (SPLIT_K) or output rows (SPLIT_M): what a split cuts. */
int64_t traffic_units(const LayerView *v, CoreSplit split);

/* Fill the fields that depend on the split, the cores used and the tile
 * size only (shares, blocks, in_pass): the costly part, done once per tile
 * shape. c->cores_used must be 1..traffic_units(v, c->split); tn and tr
 * are clipped to the shares. */
void traffic_shape(const LayerView *v, TileChoice *c);

/* Given a shaped candidate, fill passes, DRAM bytes and the working set;
 * resident_bytes is what other resident tensors occupy on the whole chip
 * (spread over all a->cores scratchpads, like the held bytes). Returns 1 if
 * the candidate fits every core's scratchpad, else 0. */
int traffic_eval(const Accel *a, const LayerView *v, int64_t resident_bytes,
                 TileChoice *c);

#endif
