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
/* Append a copy of l (after layer_finish); returns its id or QA_ERR. */
int net_add(Net *net, const Layer *l, Err *e);
/* Set the batch size of every layer. */
void net_set_batch(Net *net, int batch);
/* Index of the last layer that reads layer id's output (-1 if none). */
int net_last_use(const Net *net, int id);

int64_t net_macs(const Net *net);
int64_t net_weights(const Net *net);
int net_array_layers(const Net *net); /* conv + fc count */

/* Bit policy. Uniform w/a bits for every conv/fc layer; the first and the
 * last array layers use first_last_bits (0 = same as the rest); projection
 * shortcut convs use shortcut_bits (0 = same as the rest, the "fpsc" option
 * of the SAWB paper sets 16). Pool/add layers carry activations through.
 * o_bits of each layer becomes the a_bits of its consumers. */
typedef struct {
    int w_bits, a_bits;
    int first_last_bits;
    int shortcut_bits;
} BitPolicy;

int net_apply_bits(Net *net, const BitPolicy *p, Err *e);

/* Built-in networks. name is one of: resnet50 (v1.5), resnet50v1,
 * resnet50preact, resnet18, resnet34, resnet20. Input is 3x224x224 except
 * resnet20 (1x28x28). Batch 1, bits 16 until net_apply_bits. */
int net_build(Net *net, const char *name, Err *e);
/* Comma-separated list of built-in names, for --help. */
const char *net_builtin_names(void);

/* SCALE-Sim topology CSV (header "Layer name, IFMAP Height, IFMAP Width,
 * Filter Height, Filter Width, Channels, Num Filter, Strides,"). Layers are
 * chained in file order. Errors name file, line and column. */
int topo_csv_load(Net *net, const char *path, Err *e);
int topo_csv_save(const Net *net, const char *path, Err *e);

#endif
