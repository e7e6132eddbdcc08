/* tiling.h: one mapping of one layer written out as a schedule. Given the
 * choices (core split, cores used, tile size, loop order, caching, output
 * kept) and the context (inputs on chip, bytes resident, tensors spilled),
 * it produces the LayerMap that the analytic model (analytic.c) and the
 * SystemC model (sim/engine) both execute: per core an ordered list of tile
 * groups (load, compute, store), with the DRAM bytes of every tensor and
 * the reason for each re-fetch. Choosing among mappings is mapper.c's job;
 * nothing here simulates time. */
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

/* What a layer's schedule moves on chip, for the energy model (energy.c
 * counts it when tile_build writes the schedule): operand, partial-sum and
 * output bits between the scratchpad and the array (or vector unit), and
 * register hops inside the arrays, in bits. DRAM fills and stores are the
 * engine's DRAM bytes, not counted here. */
typedef struct {
    int w_bits, a_bits, o_bits;
    int psum_bits;           /* a partial sum of the reduction (energy.c) */
    int64_t kg;              /* reduction length C/groups * R * S */
    int64_t macs;            /* array MACs, summed over the tiles */
    int64_t vec_ops;         /* vector-unit operations (pool, add) */
    double rd_w_bits, rd_in_bits, rd_psum_bits;
    double wr_psum_bits, wr_out_bits;
    double hop_bits;
} ChipAccess;

typedef enum { SPLIT_K, SPLIT_M } CoreSplit;   /* output channels | pixels */
typedef enum { LOOP_W_OUTER, LOOP_IN_OUTER } LoopOrder;

typedef struct {
    int layer;               /* id in the Net */
    int bits;                /* MAC precision: max(w_bits, a_bits) */
    int lanes;               /* MAC lanes per PE at that precision */
    int rows, cols;          /* effective array shape at that precision */
    int cycles_per_mac;      /* of a lane (scale_cycles_per_mac): an APoT
                              * weight's terms, digits above base_bits */
    /* Column widths a tile may use: the array at this precision and at
     * every higher one (a fold narrower than the array never waits for the
     * unused columns, so using fewer is a choice of the schedule). Each tile
     * uses the one that finishes it first. Widest first. */
    int col_opts[ARCH_MAX_BITS + 1];
    int ncol_opts;
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
    int64_t pack;            /* grouped conv, matmul: groups per array pass
                                of the layer's largest tile (1: one GEMM per
                                group, more: block-diagonal); 0 otherwise */
    char reason[160];        /* why each tensor is (re)read or kept */
    ChipAccess access;       /* on-chip traffic of the schedule */
    /* The per-core schedule: groups first[c] .. first[c+1]-1 belong to
     * core c (first has cores_used + 1 entries). */
    TileGroup *groups;
    int *first;
    int ngroups;
} LayerMap;

typedef struct {
    int n;                   /* == net->n */
    LayerMap *layers;        /* (n) */
    int64_t cycles;          /* the analytic total the mapper minimized */
} TileSchedule;

/* What a layer's schedule depends on besides its own mapping. */
typedef struct {
    int in_resident[2];      /* input k is on chip (kept by its producer) */
    int w_resident;          /* every weight is on chip for the whole run */
    int64_t resident_bytes;  /* chip bytes of tensors held from earlier
                                layers (and the weights when resident) */
    int64_t spill_bytes;     /* held tensors this layer writes to DRAM
                                (its first tile per core, no compute) */
} TileContext;

struct LayerView;
struct TileChoice;

/* The array a layer runs on: bits, lanes, rows, cols, col_opts of m. */
void tile_array(const Accel *a, const Layer *l, LayerMap *m);
/* Compute cycles of one tile of n channel units x r output rows, with the
 * column width of m->col_opts that finishes it first (*cols_used, may be
 * NULL); 0 for an empty tile. The units of a grouped conv or matmul are
 * groups: g of them run at a time as one block-diagonal GEMM (g = 1: one
 * GEMM per group), with the g of least cycles among powers of two, n, and
 * the most that fill the array's rows or a column width. */
int64_t tile_compute_cycles(const Accel *a, const struct LayerView *v,
                            const LayerMap *m, int64_t n, int64_t r,
                            int *cols_used);
/* The same, and the groups per pass it chose (*pack, may be NULL; 0 for
 * layers without groups). */
int64_t tile_compute_packed(const Accel *a, const struct LayerView *v,
                            const LayerMap *m, int64_t n, int64_t r,
                            int *cols_used, int64_t *pack);
/* The column width tile_compute_cycles picks for a tile of n channels x
 * r output rows of layer l (conv/fc). */
int tile_cols(const Accel *a, const Layer *l, const LayerMap *m, int64_t n,
              int64_t r);
/* Compute cycles of tiles already found, by tile size (a layer's shapes
 * share most of their tile sizes). Zeroed by the caller; entries with
 * n == 0 are free. */
#define TILE_MEMO_SIZE 1024
typedef struct {
    int64_t n[TILE_MEMO_SIZE], r[TILE_MEMO_SIZE], cyc[TILE_MEMO_SIZE];
} TileMemo;
/* Busiest-core compute cycles of a shaped candidate (a lower bound of the
 * layer's cycles whatever is loaded). memo may be NULL. */
int64_t tile_choice_compute(const Accel *a, const struct LayerView *v,
                            const LayerMap *m, const struct TileChoice *c,
                            TileMemo *memo);
/* The view of layer id of net in context x (bytes of whole tensors, which
 * inputs are on chip). */
void tile_view(const Net *net, int id, const TileContext *x,
               struct LayerView *v);
/* Write candidate c (shaped and evaluated by traffic.c) of layer id in
 * context x into m: per-core tile groups, DRAM bytes, fetches, the reason.
 * m's array fields must be set (tile_array). QA_ERR only when out of
 * memory; tile_free_layer releases it. */
int tile_build(const Accel *a, const Net *net, int id,
               const struct LayerView *v, const struct TileChoice *c,
               const TileContext *x, LayerMap *m, Err *e);
void tile_free_layer(LayerMap *m);
/* The analytic pipeline cycles of one core of candidate c, exactly what
 * analytic_core_cycles gives on that core's groups of tile_build's
 * schedule, and (bytes, may be NULL) the DRAM bytes the core moves; found
 * without writing the schedule out, in steps of distinct tiles and
 * repeated sequences, not of tiles. -1 when out of memory. */
int64_t tile_core_cycles(const Accel *a, const struct LayerView *v,
                         const struct TileChoice *c, int64_t spill_bytes,
                         const LayerMap *m, int core, int64_t *bytes, Err *e);
void tile_free(TileSchedule *ts);

/* The output block one tile computes: channels k0..k1-1 and rows r0..r1-1
 * of the layer's N*P output rows (image n, row p = r / P, r % P; a matmul:
 * rows of P, its images among the units). The whole
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
/* MACs / (cores * rows * cols / cycles_per_mac * cycles): the fraction of
 * the peak at the layer's precision; 0 for layers off the array. */
double tile_layer_util(const Accel *a, const LayerMap *m, int64_t cycles);

#endif
