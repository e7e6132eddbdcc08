/* tiling.h: the mapper. For every layer of a network on a chip it decides
 * how the work is split over cores, the tile shape, the loop order, which
 * tensors stay on chip, and so the DRAM bytes of every tensor with the reason
 * for each re-fetch. The result, a TileSchedule, is what the analytic model
 * (analytic.c) and the SystemC model (sim/) both execute: per layer and per
 * core an ordered list of tile groups (load, compute, store).
 * The mapper decides; it never simulates time. */
#ifndef TILING_H
#define TILING_H

#include "arch/arch.h"
#include "workloads/net.h"

/* `count` identical tiles in a row on one core. Loads happen before the
 * tile's compute, stores after it. Bytes are DRAM bytes (0 when on chip). */
typedef struct {
    int64_t count;
    int64_t load_w_bytes;
    int64_t load_in_bytes;
    int64_t load_psum_bytes;   /* partial sums read back (reduction split) */
    int64_t compute_cycles;    /* array (or vector unit) cycles of one tile */
    int64_t store_out_bytes;
    int64_t store_psum_bytes;
    int64_t macs;              /* useful MACs of one tile */
} TileGroup;

typedef enum { SPLIT_K, SPLIT_M } CoreSplit;   /* output channels | pixels */
typedef enum { LOOP_W_OUTER, LOOP_IN_OUTER } LoopOrder;

typedef struct {
    int layer;               /* id in the Net */
    int bits;                /* MAC precision: max(w_bits, a_bits) */
    int lanes;               /* MAC lanes per PE at that precision */
    int rows, cols;          /* effective array shape at that precision */
    CoreSplit split;
    int cores_used;
    LoopOrder order;
    int64_t tile_m, tile_n;  /* GEMM tile: output pixels x output channels */
    int64_t tiles;           /* tiles on the busiest core */
    int64_t nb_n, nb_m;      /* channel x row blocks per core (tile_block) */
    int spill;               /* 1: each core's first tile only stores
                              * spilled tensors (no compute) */
    int in_resident;         /* input(s) already on chip: no DRAM read */
    int out_resident;        /* output kept on chip for its consumers */
    int w_resident;          /* weights on chip before the layer starts */
    int64_t w_fetches, in_fetches; /* times each tensor crosses from DRAM */
    int64_t dram_w_bytes, dram_in_bytes, dram_out_bytes;
    int64_t dram_psum_rd_bytes, dram_psum_wr_bytes; /* reduction split */
    int64_t compulsory_bytes;/* weights + inputs + output once each */
    int64_t sram_peak_bytes; /* scratchpad bytes in use on the busiest core */
    int64_t macs;
    char reason[160];        /* why each tensor is (re)read or kept */
    /* The per-core schedule: groups first[c] .. first[c+1]-1 belong to
     * core c (first has cores_used + 1 entries). */
    TileGroup *groups;
    int *first;
    int ngroups;
} LayerMap;

typedef struct {
    int n;                   /* == net->n */
    LayerMap *layers;        /* (n) */
} TileSchedule;

/* Map every layer. Fails (with the layer name and why) only when a layer
 * cannot be mapped at all, e.g. one output row of one filter does not fit. */
int tile_map_net(const Accel *a, const Net *net, TileSchedule *ts, Err *e);
void tile_free(TileSchedule *ts);

/* The output block one tile computes: channels k0..k1-1 and rows r0..r1-1
 * of the layer's N*P output rows (image n, row p = r / P, r % P). The whole
 * reduction (C*R*S) is always inside one tile: the mapper never splits it,
 * so no partial sum crosses tiles or cores. */
typedef struct {
    int64_t k0, k1;
    int64_t r0, r1;
} TileBlock;

/* Block of tile t (0-based, in execution order, the spill tile included)
 * on core `core` of layer map m of layer l. An empty block (k0 == k1 or
 * r0 == r1) computes nothing: the spill tile, or a core's share smaller
 * than its block count. QA_ERR if core or t is out of range. */
int tile_block(const LayerMap *m, const Layer *l, int core, int64_t t,
               TileBlock *b);

int64_t tile_layer_dram_bytes(const LayerMap *m);
/* MACs / (cores * rows * cols * cycles) at the layer's precision; 0 for
 * layers off the array. */
double tile_layer_util(const Accel *a, const LayerMap *m, int64_t cycles);

#endif
