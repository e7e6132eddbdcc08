/* qtensor.c: integer export of quantized tensors. */
#include "quant/qtensor.h"

#include <stdlib.h>
#include <string.h>

NpyType q_narrowest_type(int32_t lo, int32_t hi)
{
    if (lo >= 0 && hi <= 255)
        return NPY_U8;
    if (lo >= -128 && hi <= 127)
        return NPY_I8;
    if (lo >= 0 && hi <= 65535)
        return NPY_U16;
    if (lo >= -32768 && hi <= 32767)
        return NPY_I16;
    return NPY_I32;
}

int q_tensor_export(Quantizer *q, const float *x, size_t n, QTensorInt *t, Err *e)
{
    memset(t, 0, sizeof *t);
    int32_t *c = qa_malloc(n * sizeof *c);
    if (!c)
        return err_set(e, NULL, 0, "codes", "out of memory for %zu codes", n);
    QEncoding enc;
    if (q_encode(q, x, c, n, &enc, e)) {
        free(c);
        return QA_ERR;
    }
    snprintf(t->method, sizeof t->method, "%s", q->ops->name);
    t->bits = q->bits;
    t->is_signed = q->is_signed;
    t->n = n;
    t->scale = enc.scale;
    t->zero_point = enc.zero_point;
    t->dtype = q_narrowest_type(enc.code_min, enc.code_max);
    if (enc.levels) {
        t->levels = qa_malloc((size_t)enc.n_levels * sizeof *t->levels);
        if (!t->levels) {
            free(c);
            return err_set(e, NULL, 0, "levels", "out of memory");
        }
        memcpy(t->levels, enc.levels, (size_t)enc.n_levels * sizeof *t->levels);
        t->n_levels = enc.n_levels;
    }
    if (t->dtype == NPY_I32) {
        t->codes = c;
        return QA_OK;
    }
    void *out = qa_malloc(n * npy_type_size(t->dtype));
    if (!out) {
        free(c);
        q_tensor_free(t);
        return err_set(e, NULL, 0, "codes", "out of memory for %zu codes", n);
    }
    for (size_t i = 0; i < n; i++) {
        switch (t->dtype) {
        case NPY_U8: ((uint8_t *)out)[i] = (uint8_t)c[i]; break;
        case NPY_I8: ((int8_t *)out)[i] = (int8_t)c[i]; break;
        case NPY_U16: ((uint16_t *)out)[i] = (uint16_t)c[i]; break;
        default: ((int16_t *)out)[i] = (int16_t)c[i]; break;
        }
    }
    free(c);
    t->codes = out;
    return QA_OK;
}

int32_t q_tensor_code(const QTensorInt *t, size_t i)
{
    switch (t->dtype) {
    case NPY_U8: return ((const uint8_t *)t->codes)[i];
    case NPY_I8: return ((const int8_t *)t->codes)[i];
    case NPY_U16: return ((const uint16_t *)t->codes)[i];
    case NPY_I16: return ((const int16_t *)t->codes)[i];
    default: return ((const int32_t *)t->codes)[i];
    }
}

float q_tensor_value(const QTensorInt *t, size_t i)
{
    int32_t c = q_tensor_code(t, i);
    if (t->levels)
        return t->scale * t->levels[c];
    return t->scale * ((float)c - t->zero_point);
}

void q_tensor_free(QTensorInt *t)
{
    free(t->codes);
    free(t->levels);
    memset(t, 0, sizeof *t);
}
