/* net.h: a network as an ordered array of layers (execution order), and the
 * per-layer bit policies. Layers name their producers by index, so residual
 * shortcuts and adds are explicit. No timing, no tensors. */
#ifndef NET_H
#define NET_H

#include "workloads/layer.h"

typedef struct {
    char name[64];
    Layer *layers;
    int n, cap;
} Net;

void net_init(Net *net, const char *name);
void net_free(Net *net);
/* Append a copy of l, finished by layer_finish; returns its id or QA_ERR
 * (bad shape, a producer id that is not an earlier layer, out of memory;
 * the net is unchanged then). in[1] of a layer that is not an add is set
 * to LAYER_NO_INPUT. */
int net_add(Net *net, const Layer *l, Err *e);
/* Set the batch size of every layer (1..LAYER_BATCH_MAX). */
void net_set_batch(Net *net, int batch);
/* 1 if layer l reads the output of layer id (-1: the network input). */
int net_reads(const Layer *l, int id);
/* Index of the last layer that reads layer id's output (-1 if none). */
int net_last_use(const Net *net, int id);
/* Id of the layer with this name, -1 if none. */
int net_find(const Net *net, const char *name);

int64_t net_macs(const Net *net);
int64_t net_weights(const Net *net);
int net_array_layers(const Net *net); /* conv + fc count */

/* Bit policy. Uniform w/a bits for every conv/fc layer; the first and the
 * last array layers use first_last_bits (0 = same as the rest); projection
 * shortcut convs use shortcut_bits (0 = same as the rest, the "fpsc" option
 * of the SAWB paper sets 16). Pool/add layers carry activations through.
 * o_bits of each layer becomes the a_bits of its consumers.
 *
 * In detail: conv/fc/matmul get w_bits/a_bits (a matmul's second operand,
 * an activation, gets a_bits as its w_bits); a projection shortcut conv
 * (Layer.shortcut) gets shortcut_bits for both if non-zero; the first and
 * last conv/fc get first_last_bits for both if non-zero (this wins over
 * shortcut_bits). A layer's o_bits is the max a_bits of its consumers, 16
 * for a layer nobody reads (the network output). Pool/add layers have
 * w_bits 0 and a_bits = o_bits. Every value must be in 1..16 (the two
 * options also 0), else QA_ERR with the field name and no layer changed. */
typedef struct {
    int w_bits, a_bits;
    int first_last_bits;
    int shortcut_bits;
} BitPolicy;

int net_apply_bits(Net *net, const BitPolicy *p, Err *e);

/* Built-in networks. name is one of: resnet50 (v1.5), resnet50v1,
 * resnet50preact, resnet18, resnet34, resnet20. Input is 3x224x224 except
 * resnet20 (1x28x28). Batch 1, bits 16 until net_apply_bits.
 * net is initialised here; on error it is left empty (net_free is safe). */
int net_build(Net *net, const char *name, Err *e);
/* The same network at another scale: width = channels of the stem conv
 * (0..NET_WIDTH_MAX, 0: the net's own, 64 or 16), every stage's width
 * scaled with it (resnet20 at width w: w, 2w, 4w); classes = outputs of the
 * fc (0: the net's own). Layer names and order do not depend on either.
 * Errors: field "width" or "classes" out of range, or what net_build gives. */
#define NET_WIDTH_MAX 65536
int net_build_scaled(Net *net, const char *name, int width, int classes, Err *e);
/* Comma-separated list of built-in names, for --help. */
const char *net_builtin_names(void);

/* SCALE-Sim topology CSV: conv rows (header "Layer name, IFMAP Height,
 * IFMAP Width, Filter Height, Filter Width, Channels, Num Filter,
 * Strides,") or GEMM rows (header "Layer, M, N, K,"); a conv row named
 * with "DP" is one layer per channel. Layers are chained in file order.
 * Errors name file, line and column. The loaders initialise net (named
 * after the file) and leave it empty on error. topo_csv_save writes
 * conv/fc layers as conv rows only, through a temp file (no partial
 * output on error). Details of the format: topo_csv.c. */
typedef enum {
    TOPO_FLOOR,   /* P = floor((H - R) / stride) + 1: SCALE-Sim v1, the
                     frameworks, qarray's own timing */
    TOPO_CEIL,    /* P = ceil((H - R) / stride) + 1: SCALE-Sim v2; H, W
                     grow to the rows it covers */
} TopoRounding;
/* topo_csv_read with TOPO_FLOOR. */
int topo_csv_load(Net *net, const char *path, Err *e);
int topo_csv_read(Net *net, const char *path, TopoRounding round, Err *e);
int topo_csv_save(const Net *net, const char *path, Err *e);

#endif
