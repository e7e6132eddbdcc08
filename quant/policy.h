/* policy.h: per-layer quantization policy: which method, bits and alpha
 * each array layer (conv/fc) uses for weights and activations. Defaults
 * follow the papers: first and last layers at 8 bits (PACT sec. 6, FAQ
 * sec. 3.1), an optional full-precision shortcut ("fpsc", SAWB sec. 5.1),
 * then per-layer overrides by name or index. Can be filled from the
 * workloads' BitPolicy; knows nothing of timing. */
#ifndef POLICY_H
#define POLICY_H

#include "arch/qa.h"
#include "workloads/net.h"

#define Q_BITS_FP 32       /* "full precision": not quantized */
#define Q_POLICY_MAX_OVERRIDES 64

typedef struct {
    char w_method[16], a_method[16];
    int w_bits, a_bits;    /* Q_BITS_FP: leave unquantized */
    float w_alpha, a_alpha;/* 0: the method's own initialization */
} QLayerSpec;

typedef struct {
    char layer[LAYER_NAME_MAX]; /* layer name, or its array-layer index in decimal */
    QLayerSpec spec;
} QOverride;

typedef struct {
    QLayerSpec def;        /* every array layer not named below */
    int first_last_bits;   /* first and last array layers (default 8; 0 = as def) */
    int shortcut_bits;     /* projection shortcuts: 0 = as def, Q_BITS_FP =
                            * full precision ("fpsc"), else w and a bits */
    QOverride over[Q_POLICY_MAX_OVERRIDES];
    int n_over;
} QPolicy;

/* Defaults: weights sawb, activations pact, at the given bits; first/last 8;
 * shortcuts as the rest. Set p->shortcut_bits = Q_BITS_FP for fpsc. */
void q_policy_init(QPolicy *p, int w_bits, int a_bits);
/* From the simulator's bit policy: w/a bits, first_last_bits (0 there means
 * "as the rest"), shortcut_bits (16 or more means fpsc). Methods stay the
 * defaults; overrides are cleared. */
void q_policy_from_bits(QPolicy *p, const BitPolicy *bp);
/* Add an override; errors: table full, bits not 1..8/16/Q_BITS_FP, unknown
 * method (fields "override", "bits", "method"). */
int q_policy_override(QPolicy *p, const char *layer, const QLayerSpec *s, Err *e);
/* The spec of array layer `index` (0-based among conv/fc) named `name`, of
 * n_array layers; is_shortcut marks a projection shortcut. Precedence:
 * override > shortcut > first/last > default. */
QLayerSpec q_policy_layer(const QPolicy *p, int index, const char *name,
                          int n_array, int is_shortcut);

#endif
