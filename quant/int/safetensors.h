/* safetensors.h: the safetensors file format (8-byte little-endian header
 * length, a JSON header {name: {dtype, shape, data_offsets}, "__metadata__":
 * {string: string}}, then raw little-endian tensor bytes), as PyTorch users
 * load with safetensors.torch.load_file. Writing is atomic; reading checks
 * the header grammar, dtypes, shapes against byte sizes, and that offsets
 * stay inside the data and do not overlap. Assumes a little-endian host. */
#ifndef SAFETENSORS_H
#define SAFETENSORS_H

#include "arch/qa.h"

typedef enum { ST_F32, ST_I8, ST_U8, ST_I16, ST_I32, ST_I64, ST_NTYPES } StDtype;

#define ST_MAX_DIMS 4
/* Largest model file read (a ResNet-50 at 16 bits is about 52 MB). */
#define ST_MAX_FILE_BYTES ((size_t)1 << 30)

typedef struct {
    char name[96];
    StDtype dtype;
    int ndim;
    int64_t shape[ST_MAX_DIMS];
    const void *data;     /* writer: caller's bytes; reader: points into the file buffer */
    size_t bytes;
} StTensor;

typedef struct {
    uint8_t *buf;         /* the whole file */
    size_t len;
    StTensor *t;
    int n;
    char **meta;          /* key, value, key, value, ... */
    int n_meta;
    char path[256];
} StFile;

const char *st_dtype_name(StDtype d);   /* "F32", "I8", ... */
size_t st_dtype_size(StDtype d);

/* Write n tensors (bytes must equal shape product x dtype size) and n_meta
 * key/value string pairs. Atomic: on error no file is left. */
int st_write(const char *path, const StTensor *t, int n, const char *const *meta,
             int n_meta, Err *e);

/* Read and validate a whole file. Errors name the file and the tensor or
 * header field. */
int st_read(StFile *f, const char *path, Err *e);
void st_close(StFile *f);
const char *st_meta(const StFile *f, const char *key);
/* The tensor `name` with the expected dtype and shape (ndim entries);
 * errors: missing, dtype mismatch, shape mismatch. The format packs tensors
 * without padding: *data may be unaligned, read it with memcpy. */
int st_get(const StFile *f, const char *name, StDtype dtype, int ndim,
           const int64_t *shape, const void **data, Err *e);

#endif
