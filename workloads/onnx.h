/* onnx.h: an ONNX model as a qarray network (Net of Layers).
 *
 * Reads the graph's shapes only (never weight values): convolutions,
 * matrix products, pools, normalisations and element-wise ops become
 * layers; shape arithmetic is folded; views (Reshape, Transpose, Slice ...)
 * cost nothing; activations and bias adds after a layer are fused into it.
 * What each op becomes and costs: workloads/README.md. The model's own
 * batch (dimension 0, usually 1) is one qarray image; net_set_batch then
 * sets how many run. Opsets 11..21 of the default domain; anything else is
 * refused with the file, the node, its op and domain. Must not depend on
 * protobuf-c in its interface (only onnx*.c see the generated code). */
#ifndef ONNX_H
#define ONNX_H

#include "workloads/net.h"

#define ONNX_OPSET_MIN 11
#define ONNX_OPSET_MAX 21
#define ONNX_MAX_RANK 8
/* Protobuf-c reads one length-delimited field of at most 2 GiB - 1; the
 * graph holds nearly the whole file, so bigger models need external data. */
#define ONNX_FILE_MAX ((int64_t)2147483647)

/* A shape given for a graph input ("NAME=1x3x224x224"). */
typedef struct {
    char name[256];
    int rank;
    int64_t dims[ONNX_MAX_RANK];
} OnnxShape;

#define ONNX_MAX_SHAPES 16

typedef struct {
    OnnxShape shapes[ONNX_MAX_SHAPES]; /* inputs whose shape is given; each
                                          is a data input */
    int nshapes;
} OnnxOptions;

/* Parse "NAME=D0xD1x..." (dimensions 1..2^20, at most ONNX_MAX_RANK);
 * QA_ERR naming `flag` when malformed. */
int onnx_parse_shape(const char *text, OnnxShape *s, const char *flag, Err *e);
/* Parse one more shape into o (zeroed by the caller); QA_ERR naming `flag`
 * when malformed, when o is full or when the input is named twice. */
int onnx_options_add(OnnxOptions *o, const char *text, const char *flag, Err *e);

/* Load the model at path into net (initialised here; empty on error).
 * The data inputs are the first graph input that is not an initializer
 * and every input named in o (may be NULL); the other inputs are weights.
 * External data is read (only small integer tensors, for shapes) from
 * files next to the model. Errors name the file and the node. Layers carry
 * batch 1 and 16 bits, as net_build's do. */
int onnx_load(Net *net, const char *path, const OnnxOptions *o, Err *e);

/* The whole model file into a buffer the caller frees: a regular file of
 * 1 byte .. ONNX_FILE_MAX, opened as every input is (qa_open_input; a
 * FIFO is refused before the open). */
int onnx_read_file(const char *path, uint8_t **buf, size_t *len, Err *e);

/* The same from a buffer (a model without external data; `name` names it
 * in errors and becomes the net's name). */
int onnx_load_buffer(Net *net, const char *name, const uint8_t *buf,
                     size_t len, const OnnxOptions *o, Err *e);

/* 1 if path ends in ".onnx" (how a workload names a model). */
int onnx_is_path(const char *path);

#endif
