/* qtensor.h: integer export of a quantized tensor, the form the simulator
 * and the integer inference reference read: codes in the narrowest integer
 * type that holds the method's code range, the scale, the zero point, the
 * bit width, the method name, and for non-uniform sets the level table.
 *   levels == NULL:  value = scale * (code - zero_point)
 *   levels != NULL:  value = scale * levels[code] */
#ifndef QTENSOR_H
#define QTENSOR_H

#include "arch/qa.h"
#include "quant/npy.h"
#include "quant/quantizer.h"

typedef struct {
    char method[16];
    int bits, is_signed;
    NpyType dtype;      /* NPY_I8, NPY_U8, NPY_I16, NPY_U16 or NPY_I32 */
    void *codes;        /* (n) of dtype */
    size_t n;
    float scale, zero_point;
    float *levels;      /* (n_levels) or NULL */
    int n_levels;
} QTensorInt;

/* Narrowest of u8, i8, u16, i16, i32 holding every value of [lo, hi]. */
NpyType q_narrowest_type(int32_t lo, int32_t hi);
/* Quantize x with q (running its forward preparation) and export. */
int q_tensor_export(Quantizer *q, const float *x, size_t n, QTensorInt *t, Err *e);
int32_t q_tensor_code(const QTensorInt *t, size_t i);
/* The dequantized value of element i: q_forward's output up to float
 * rounding (the two evaluate the same formula in a different order). */
float q_tensor_value(const QTensorInt *t, size_t i);
void q_tensor_free(QTensorInt *t);

#endif
