/* npy.h: NumPy .npy files (format versions 1.0, 2.0 and 3.0), the exchange
 * format of `qarray quantize-tensor` with users' own PyTorch/NumPy code.
 * Reading accepts only float32 little-endian ('<f4') in C order and names the
 * offending header field otherwise; writing goes through an AtomicFile, so a
 * failed write leaves no file. Assumes a little-endian host. */
#ifndef NPY_H
#define NPY_H

#include "arch/qa.h"

#define NPY_MAX_DIMS 8

typedef enum { NPY_F32, NPY_I8, NPY_U8, NPY_I16, NPY_U16, NPY_I32 } NpyType;

typedef struct {
    int ndim;                      /* 0 (a scalar) .. NPY_MAX_DIMS */
    int64_t shape[NPY_MAX_DIMS];
    size_t n;                      /* product of shape (1 for a scalar) */
} NpyShape;

/* The dtype string written in the header ("<f4", "|i1", ...). */
const char *npy_descr(NpyType t);
size_t npy_type_size(NpyType t);

/* Read a float32 array. On success *data (n floats, free with free()) and
 * *sh are filled. Errors (file, field, message): not an .npy file, a version
 * other than 1-3, a dtype other than '<f4', fortran_order True, a bad or
 * empty shape, truncated data or trailing bytes. */
int npy_read_f32(const char *path, float **data, NpyShape *sh, Err *e);

/* Parse the header dict text (without magic and length), for tests and for
 * npy_read_f32: fills descr (up to 15 chars), *fortran and *sh. */
int npy_parse_header(const char *path, const char *hdr, size_t len,
                     char descr[16], int *fortran, NpyShape *sh, Err *e);

/* Write sh->n elements of type t as a version 1.0 file, atomically. */
/* QA_OK if every value is finite; else "path: data: element i is NaN
 * (or inf)", naming the file the value came from. */
int npy_check_finite(const char *path, const float *x, size_t n, Err *e);

int npy_write(const char *path, NpyType t, const void *data,
              const NpyShape *sh, Err *e);

#endif
