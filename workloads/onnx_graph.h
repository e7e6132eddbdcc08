/* onnx_graph.h: the ONNX reader's working state, shared by its three files
 * (onnx.c: the file, the checks, the order of the nodes; onnx_val.c: the
 * value table, tensors and constant arithmetic; onnx_ops.c: one handler per
 * op). Internal to workloads/onnx*.c, the only files that see protobuf-c's
 * generated types (made at build time from Debian's onnx.proto). */
#ifndef ONNX_GRAPH_H
#define ONNX_GRAPH_H

#include <onnx.pb-c.h>

#include "workloads/onnx.h"

/* What a tensor of the graph is to qarray:
 *  V_ACT    computed from the data input(s): made by a layer (or a view of
 *           a layer's output), moved through the chip;
 *  V_PARAM  a weight, or computed from weights only: its shape is all that
 *           counts (a conv's filters, a bias, a positional embedding);
 *  V_CONST  a small constant whose values are known (shapes, axes, scalars),
 *           folded through shape arithmetic. */
typedef enum { V_UNSET, V_ACT, V_PARAM, V_CONST } ValKind;

/* Values of a constant tensor kept at most; a larger constant is a V_PARAM. */
#define ONNX_CONST_MAX 4096
/* Largest dimension of any tensor the reader accepts, and the largest
 * element count of a weight or constant (activations: LAYER_ELEMS_MAX). */
#define ONNX_DIM_MAX ((int64_t)1 << 31)
#define ONNX_ELEMS_MAX ((int64_t)1 << 48)

typedef struct {
    const char *name;        /* in the model (owned by the message) */
    ValKind kind;
    int rank;
    int64_t dims[ONNX_MAX_RANK];
    /* V_ACT */
    int layer;               /* producer layer; LAYER_NO_INPUT: a data input */
    int direct;              /* 1: the producer's output as it made it, not a
                                view (a Relu or bias may then fuse into it) */
    /* V_CONST: n values, as integers or as doubles */
    int is_float;
    int64_t *iv;
    double *fv;
    int64_t n;
    int uses;                /* node inputs and graph outputs that read its
                                data (Shape and Size do not) */
} Val;

typedef struct {
    const char *path;        /* the model, for errors */
    char dir[1024];          /* folder of its external data; "" for a buffer */
    int has_dir;
    const OnnxOptions *opt;
    Onnx__ModelProto *model;
    int opset;               /* of the default domain */
    Net *net;
    Val *vals;               /* sized once for every name: pointers stay valid */
    int nvals, capvals;
    int *hash;               /* open addressing: name -> index in vals, -1 */
    int hcap;
    const Onnx__NodeProto *node; /* the node being read (errors name it) */
    Err *e;
} OnnxCtx;

/* ---- onnx_val.c ---- */

/* Error naming the file and the current node ("node 'X' (Op): ..."), or
 * the graph when no node is being read. Returns QA_ERR. */
int ov_err(OnnxCtx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

Val *ov_find(OnnxCtx *c, const char *name);
/* A new value named name; an error when the name is taken (ONNX values are
 * assigned once) or empty. */
Val *ov_add(OnnxCtx *c, const char *name);
void ov_free_all(OnnxCtx *c);

/* Elements of a shape (1 for rank 0); -1 if above ONNX_ELEMS_MAX. */
int64_t ov_elems(const Val *v);
/* Set v's shape, checking every dimension (0..ONNX_DIM_MAX) and the
 * element count. */
int ov_set_shape(OnnxCtx *c, Val *v, int rank, const int64_t *dims);
/* An initializer or Constant tensor as a value: V_CONST when it is a
 * number type with at most ONNX_CONST_MAX values (read from the message or
 * its external file), else V_PARAM (shape only, its data not read: an
 * external file must exist and be long enough). */
int ov_from_tensor(OnnxCtx *c, const Onnx__TensorProto *t, Val *v);
/* Make v a V_CONST of n integer (or float) values; data copied. */
int ov_set_ints(OnnxCtx *c, Val *v, const int64_t *x, int64_t n);
int ov_set_floats(OnnxCtx *c, Val *v, const double *x, int64_t n);
/* Value i of a constant, as an integer or a double. */
int64_t ov_int(const Val *v, int64_t i);
double ov_float(const Val *v, int64_t i);

/* Numpy broadcasting of two shapes; QA_ERR (naming the node) when they do
 * not broadcast. */
int ov_broadcast(OnnxCtx *c, const Val *a, const Val *b, int *rank,
                 int64_t *dims);

/* Node attributes: the attribute (NULL if absent); an integer (def if
 * absent); an integer list into out (its count, -1 if absent, -2 after an
 * error: more than max values); a string into buf. */
const Onnx__AttributeProto *ov_attr(const Onnx__NodeProto *n, const char *name);
int64_t ov_attr_int(const Onnx__NodeProto *n, const char *name, int64_t def);
int ov_attr_ints(OnnxCtx *c, const Onnx__NodeProto *n, const char *name,
                 int64_t *out, int max);
void ov_attr_str(const Onnx__NodeProto *n, const char *name, const char *def,
                 char *buf, size_t size);

/* Node inputs and outputs: whether input k is given; input k (NULL when
 * absent and not required; an error when required, or when no node
 * computes it); output k (NULL if the node leaves it out); outputs from k
 * on must not be read (qarray models only the first ones). */
int ov_has_in(const Onnx__NodeProto *n, size_t k);
Val *ov_in(OnnxCtx *c, const Onnx__NodeProto *n, size_t k, int required);
Val *ov_out(const OnnxCtx *c, const Onnx__NodeProto *n, size_t k);
int ov_unused_from(OnnxCtx *c, const Onnx__NodeProto *n, size_t k);
/* The values of a constant integer input (at most max); QA_ERR naming
 * `what` unless it is a constant. */
int ov_const_ints(OnnxCtx *c, const Val *v, const char *what, int64_t *x,
                  int max, int *count);
/* An axis in -rank..rank-1 as 0..rank-1. */
int ov_axis(OnnxCtx *c, int64_t axis, int rank, int *out_axis);

/* Outputs: ov_shape sets a shape; ov_check_act checks an activation has
 * 1..LAYER_ELEMS_MAX elements; ov_view makes o a view of x (same producer,
 * another shape: not direct); ov_alias makes o x itself (an op fused into
 * x's producer: still direct); ov_param makes o a weight of a shape. All
 * accept o == NULL (an output left out). */
int ov_shape(OnnxCtx *c, Val *o, int rank, const int64_t *dims);
int ov_check_act(OnnxCtx *c, const Val *o);
int ov_view(OnnxCtx *c, const Val *x, Val *o, int rank, const int64_t *dims);
int ov_alias(OnnxCtx *c, const Val *x, Val *o);
int ov_param(OnnxCtx *c, Val *o, int rank, const int64_t *dims);

/* Constants moved by views: flat index i to a multi-index; the index into
 * x of an output multi-index (rank r) under broadcasting; o (shape set)
 * gets element src(arg, i) of x for each of its elements (a weight when x
 * is not a constant or o is too large); ov_reshaped is a view that keeps
 * the values in order (Reshape, Flatten, Squeeze ...). */
typedef int64_t (*SrcFn)(const void *arg, int64_t i);
void ov_unflat(int64_t i, int rank, const int64_t *dims, int64_t *idx);
int64_t ov_bcast_index(const Val *x, const int64_t *idx, int r);
int ov_const_move(OnnxCtx *c, const Val *x, Val *o, SrcFn src, const void *arg);
int ov_reshaped(OnnxCtx *c, const Val *x, Val *o, int rank, const int64_t *dims);
int64_t ov_prod(const int64_t *d, int n);

/* ---- onnx_ops.c, onnx_shape.c: one handler per op ---- */

typedef int (*OnnxOpFn)(OnnxCtx *c, const Onnx__NodeProto *n);
/* The handler of an op of the default domain, or NULL. */
OnnxOpFn onnx_op_find(const char *op_type);
/* The handler of a view, shape or copy op (onnx_shape.c), or NULL. */
OnnxOpFn onnx_shape_op(const char *op_type);
/* A vector layer of op reading x0 (and x1, may be NULL) making o (shape
 * set): laid out as o, in[0] as C x H x W over o's rows when its elements
 * divide evenly, else everything as channels of one row. */
int onnx_flat_layer(OnnxCtx *c, const Onnx__NodeProto *n, LayerOp op, int ops,
                    const Val *x0, const Val *x1, Val *o);

#endif
