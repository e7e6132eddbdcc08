/* onnx_val.c: the ONNX reader's value table (one entry per tensor name),
 * tensor shapes and data, the errors that name the node, and what every
 * op handler shares: attributes, a node's inputs and outputs, views and
 * the constants they move.
 *
 * Tensor data is read only for small number tensors (shapes, axes,
 * scalars: at most ONNX_CONST_MAX values), from the message or from its
 * external file; weights stay shapes. An external file is named relative
 * to the model's folder and must stay inside it (no absolute path, no
 * "..", as the ONNX checker requires). */
#include "workloads/onnx_graph.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* TensorProto.DataType codes; the Debian proto (IR 8) stops at BFLOAT16,
 * newer models may hold the 8- and 4-bit types (17..23): those are read as
 * shapes. */
enum {
    DT_FLOAT = 1, DT_UINT8 = 2, DT_INT8 = 3, DT_UINT16 = 4, DT_INT16 = 5,
    DT_INT32 = 6, DT_INT64 = 7, DT_STRING = 8, DT_BOOL = 9, DT_FLOAT16 = 10,
    DT_DOUBLE = 11, DT_UINT32 = 12, DT_UINT64 = 13
};

int ov_err(OnnxCtx *c, const char *fmt, ...)
{
    char msg[480];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!c->node)
        return err_set(c->e, c->path, 0, "graph", "%s", msg);
    const Onnx__NodeProto *n = c->node;
    const char *name = n->name && n->name[0] ? n->name
                       : n->n_output && n->output[0] ? n->output[0] : "(unnamed)";
    return err_set(c->e, c->path, 0, name, "%s: %s", n->op_type ? n->op_type : "?",
                   msg);
}

static uint32_t hash_name(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

Val *ov_find(OnnxCtx *c, const char *name)
{
    if (!name || !c->hash)
        return NULL;
    for (uint32_t i = hash_name(name) & (uint32_t)(c->hcap - 1);;
         i = (i + 1) & (uint32_t)(c->hcap - 1)) {
        int k = c->hash[i];
        if (k < 0)
            return NULL;
        if (!strcmp(c->vals[k].name, name))
            return &c->vals[k];
    }
}

Val *ov_add(OnnxCtx *c, const char *name)
{
    if (!name || !name[0]) {
        ov_err(c, "a tensor without a name");
        return NULL;
    }
    if (ov_find(c, name)) {
        ov_err(c, "tensor '%s' is defined twice", name);
        return NULL;
    }
    if (c->nvals == c->capvals) { /* cannot happen: sized for every name */
        ov_err(c, "more tensors than the graph declares");
        return NULL;
    }
    uint32_t i = hash_name(name) & (uint32_t)(c->hcap - 1);
    while (c->hash[i] >= 0)
        i = (i + 1) & (uint32_t)(c->hcap - 1);
    Val *v = &c->vals[c->nvals];
    memset(v, 0, sizeof *v);
    v->name = name;
    v->layer = LAYER_NO_INPUT;
    c->hash[i] = c->nvals++;
    return v;
}

void ov_free_all(OnnxCtx *c)
{
    for (int i = 0; i < c->nvals; i++) {
        free(c->vals[i].iv);
        free(c->vals[i].fv);
        c->vals[i].iv = NULL;
        c->vals[i].fv = NULL;
    }
}

int64_t ov_elems(const Val *v)
{
    int64_t n = 1;
    for (int i = 0; i < v->rank; i++) {
        if (v->dims[i] == 0)
            return 0;
        if (v->dims[i] > ONNX_ELEMS_MAX / n)
            return -1;
        n *= v->dims[i];
    }
    return n;
}

int ov_set_shape(OnnxCtx *c, Val *v, int rank, const int64_t *dims)
{
    if (rank < 0 || rank > ONNX_MAX_RANK)
        return ov_err(c, "tensor '%s' has %d dimensions, more than %d", v->name,
                      rank, ONNX_MAX_RANK);
    for (int i = 0; i < rank; i++)
        if (dims[i] < 0 || dims[i] > ONNX_DIM_MAX)
            return ov_err(c, "tensor '%s': dimension %d is %lld, outside "
                          "0..2^31", v->name, i, (long long)dims[i]);
    /* dims may be v->dims itself, or NULL for a scalar */
    int64_t save[ONNX_MAX_RANK];
    if (rank)
        memcpy(save, dims, (size_t)rank * sizeof *dims);
    v->rank = rank;
    if (rank)
        memcpy(v->dims, save, (size_t)rank * sizeof *dims);
    if (ov_elems(v) < 0)
        return ov_err(c, "tensor '%s' has more than 2^48 elements", v->name);
    return QA_OK;
}

int ov_set_ints(OnnxCtx *c, Val *v, const int64_t *x, int64_t n)
{
    free(v->iv);
    free(v->fv);
    v->fv = NULL;
    v->iv = qa_malloc((size_t)QA_MAX(n, 1) * sizeof *v->iv);
    if (!v->iv)
        return err_set(c->e, c->path, 0, NULL, "out of memory");
    if (n)
        memmove(v->iv, x, (size_t)n * sizeof *x);
    v->n = n;
    v->is_float = 0;
    v->kind = V_CONST;
    return QA_OK;
}

int ov_set_floats(OnnxCtx *c, Val *v, const double *x, int64_t n)
{
    free(v->iv);
    free(v->fv);
    v->iv = NULL;
    v->fv = qa_malloc((size_t)QA_MAX(n, 1) * sizeof *v->fv);
    if (!v->fv)
        return err_set(c->e, c->path, 0, NULL, "out of memory");
    if (n)
        memmove(v->fv, x, (size_t)n * sizeof *x);
    v->n = n;
    v->is_float = 1;
    v->kind = V_CONST;
    return QA_OK;
}

int64_t ov_int(const Val *v, int64_t i)
{
    if (i < 0 || i >= v->n)
        return 0;
    if (!v->is_float)
        return v->iv[i];
    double d = v->fv[i];
    /* a float read as an integer (a scalar attribute written as float) */
    if (!(d > -9.2e18 && d < 9.2e18))
        return 0;
    return (int64_t)d;
}

double ov_float(const Val *v, int64_t i)
{
    if (i < 0 || i >= v->n)
        return 0;
    return v->is_float ? v->fv[i] : (double)v->iv[i];
}

/* Bytes of one element of a number type the reader decodes; 0 else. */
static int elem_size(int dt)
{
    switch (dt) {
    case DT_UINT8: case DT_INT8: case DT_BOOL: return 1;
    case DT_UINT16: case DT_INT16: return 2;
    case DT_FLOAT: case DT_INT32: case DT_UINT32: return 4;
    case DT_INT64: case DT_DOUBLE: case DT_UINT64: return 8;
    default: return 0;
    }
}

static int is_float_type(int dt)
{
    return dt == DT_FLOAT || dt == DT_DOUBLE;
}

/* Little-endian element i of raw bytes of type dt. */
static double raw_elem(const uint8_t *p, int dt, int64_t i, int64_t *iv)
{
    int sz = elem_size(dt);
    uint64_t u = 0;
    for (int b = 0; b < sz; b++)
        u |= (uint64_t)p[i * sz + b] << (8 * b);
    double d = 0;
    int64_t x = 0;
    switch (dt) {
    case DT_UINT8: case DT_BOOL: x = (int64_t)(uint8_t)u; break;
    case DT_INT8: x = (int8_t)(uint8_t)u; break;
    case DT_UINT16: x = (uint16_t)u; break;
    case DT_INT16: x = (int16_t)(uint16_t)u; break;
    case DT_INT32: x = (int32_t)(uint32_t)u; break;
    case DT_UINT32: x = (uint32_t)u; break;
    case DT_INT64: x = (int64_t)u; break;
    case DT_UINT64: x = (int64_t)(u > (uint64_t)INT64_MAX ? INT64_MAX : u); break;
    case DT_FLOAT: {
        uint32_t w = (uint32_t)u;
        float f;
        memcpy(&f, &w, sizeof f);
        d = (double)f;
        break;
    }
    case DT_DOUBLE:
        memcpy(&d, &u, sizeof d);
        break;
    default:
        break;
    }
    *iv = x;
    return d;
}

static const char *ext_value(const Onnx__TensorProto *t, const char *key)
{
    for (size_t i = 0; i < t->n_external_data; i++)
        if (t->external_data[i]->key && !strcmp(t->external_data[i]->key, key))
            return t->external_data[i]->value ? t->external_data[i]->value : "";
    return NULL;
}

static int ext_number(OnnxCtx *c, const Onnx__TensorProto *t, const char *key,
                      int64_t *out)
{
    const char *s = ext_value(t, key);
    *out = 0;
    if (!s)
        return QA_OK;
    long x;
    if (qa_parse_long(s, &x) != QA_OK || x < 0)
        return ov_err(c, "tensor '%s': external data %s '%s' is not a byte "
                      "count", t->name, key, s);
    *out = x;
    return QA_OK;
}

/* The external file of tensor t: checked to exist and to hold offset +
 * need bytes; if data, read them. */
static int ext_read(OnnxCtx *c, const Onnx__TensorProto *t, int64_t need,
                    uint8_t *data)
{
    const char *loc = ext_value(t, "location");
    if (!loc || !loc[0])
        return ov_err(c, "tensor '%s': external data without a location",
                      t->name);
    if (!c->has_dir)
        return ov_err(c, "tensor '%s': external data '%s' needs the model "
                      "read from a file", t->name, loc);
    if (loc[0] == '/' || !strcmp(loc, "..") || !strncmp(loc, "../", 3) ||
        strstr(loc, "/../") || (strlen(loc) >= 3 && !strcmp(loc + strlen(loc) - 3, "/..")))
        return ov_err(c, "tensor '%s': external data '%s' is outside the "
                      "model's folder", t->name, loc);
    int64_t off, len;
    if (ext_number(c, t, "offset", &off) != QA_OK ||
        ext_number(c, t, "length", &len) != QA_OK)
        return QA_ERR;
    if (ext_value(t, "length") && len != need)
        return ov_err(c, "tensor '%s': external data of %lld bytes, its shape "
                      "needs %lld", t->name, (long long)len, (long long)need);
    char path[2100];
    snprintf(path, sizeof path, "%s/%s", c->dir, loc);
    Err ignored;
    FILE *f = qa_open_input(path, "external data", QA_IN_REGULAR, &ignored);
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        if (f)
            fclose(f);
        return ov_err(c, "tensor '%s': external data file '%s' cannot be "
                      "read", t->name, path);
    }
    int ok = (int64_t)st.st_size >= off && (int64_t)st.st_size - off >= need;
    if (ok && data)
        ok = fseeko(f, (off_t)off, SEEK_SET) == 0 &&
             fread(data, 1, (size_t)need, f) == (size_t)need;
    fclose(f);
    if (!ok)
        return ov_err(c, "tensor '%s': external data file '%s' is shorter "
                      "than offset %lld + %lld bytes", t->name, path,
                      (long long)off, (long long)need);
    return QA_OK;
}

/* Values of a small number tensor from raw bytes. */
static int from_raw(OnnxCtx *c, Val *v, int dt, const uint8_t *p, int64_t n)
{
    int fl = is_float_type(dt);
    int64_t *iv = qa_malloc((size_t)QA_MAX(n, 1) * sizeof *iv);
    double *fv = qa_malloc((size_t)QA_MAX(n, 1) * sizeof *fv);
    int rc = QA_ERR;
    if (!iv || !fv) {
        err_set(c->e, c->path, 0, NULL, "out of memory");
    } else {
        for (int64_t i = 0; i < n; i++)
            fv[i] = raw_elem(p, dt, i, &iv[i]);
        rc = fl ? ov_set_floats(c, v, fv, n) : ov_set_ints(c, v, iv, n);
    }
    free(iv);
    free(fv);
    return rc;
}

int ov_from_tensor(OnnxCtx *c, const Onnx__TensorProto *t, Val *v)
{
    if (t->n_dims > ONNX_MAX_RANK)
        return ov_err(c, "tensor '%s' has %zu dimensions, more than %d",
                      t->name ? t->name : "", t->n_dims, ONNX_MAX_RANK);
    if (ov_set_shape(c, v, (int)t->n_dims, t->dims) != QA_OK)
        return QA_ERR;
    v->kind = V_PARAM;
    int dt = t->has_data_type ? t->data_type : 0;
    int64_t n = ov_elems(v);
    int sz = elem_size(dt);
    int external = t->has_data_location &&
                   t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    int small = sz > 0 && n <= ONNX_CONST_MAX;
    if (external) {
        if (!small || n > ONNX_CONST_MAX)
            return ext_read(c, t, sz > 0 ? n * sz : 0, NULL);
        uint8_t *buf = qa_malloc((size_t)QA_MAX(n * sz, 1));
        if (!buf)
            return err_set(c->e, c->path, 0, NULL, "out of memory");
        int rc = ext_read(c, t, n * sz, buf);
        if (rc == QA_OK)
            rc = from_raw(c, v, dt, buf, n);
        free(buf);
        return rc;
    }
    if (t->has_raw_data) {
        if (sz > 0 && (int64_t)t->raw_data.len != n * sz)
            return ov_err(c, "tensor '%s': raw_data holds %zu bytes, its shape "
                          "and type need %lld", t->name ? t->name : "",
                          t->raw_data.len, (long long)(n * sz));
        return small ? from_raw(c, v, dt, t->raw_data.data, n) : QA_OK;
    }
    /* Typed fields: float_data, int32_data (also the small integer types
     * and bool), int64_data, double_data, uint64_data. */
    size_t have = dt == DT_FLOAT ? t->n_float_data
                  : dt == DT_INT64 ? t->n_int64_data
                  : dt == DT_DOUBLE ? t->n_double_data
                  : dt == DT_UINT64 || dt == DT_UINT32 ? t->n_uint64_data
                  : sz > 0 ? t->n_int32_data : 0;
    if (sz > 0 && (int64_t)have != n)
        return ov_err(c, "tensor '%s' holds %zu values, its shape needs %lld",
                      t->name ? t->name : "", have, (long long)n);
    if (!small)
        return QA_OK;
    int64_t *iv = qa_malloc((size_t)QA_MAX(n, 1) * sizeof *iv);
    double *fv = qa_malloc((size_t)QA_MAX(n, 1) * sizeof *fv);
    if (!iv || !fv) {
        free(iv);
        free(fv);
        return err_set(c->e, c->path, 0, NULL, "out of memory");
    }
    for (int64_t i = 0; i < n; i++) {
        switch (dt) {
        case DT_FLOAT: fv[i] = (double)t->float_data[i]; break;
        case DT_DOUBLE: fv[i] = t->double_data[i]; break;
        case DT_INT64: iv[i] = t->int64_data[i]; break;
        case DT_UINT64: case DT_UINT32:
            iv[i] = (int64_t)QA_MIN(t->uint64_data[i], (uint64_t)INT64_MAX);
            break;
        default: iv[i] = t->int32_data[i]; break;
        }
    }
    int rc = is_float_type(dt) ? ov_set_floats(c, v, fv, n) : ov_set_ints(c, v, iv, n);
    free(iv);
    free(fv);
    return rc;
}

int ov_broadcast(OnnxCtx *c, const Val *a, const Val *b, int *rank,
                 int64_t *dims)
{
    int r = QA_MAX(a->rank, b->rank);
    for (int i = 0; i < r; i++) {
        int ia = i - (r - a->rank), ib = i - (r - b->rank);
        int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
        if (da != db && da != 1 && db != 1)
            return ov_err(c, "shapes of '%s' and '%s' do not broadcast "
                          "(dimension %d: %lld and %lld)", a->name, b->name, i,
                          (long long)da, (long long)db);
        dims[i] = da == 1 ? db : da;
    }
    *rank = r;
    return QA_OK;
}

/* ---- attributes ---- */

const Onnx__AttributeProto *ov_attr(const Onnx__NodeProto *n, const char *name)
{
    for (size_t i = 0; i < n->n_attribute; i++)
        if (n->attribute[i]->name && !strcmp(n->attribute[i]->name, name))
            return n->attribute[i];
    return NULL;
}

int64_t ov_attr_int(const Onnx__NodeProto *n, const char *name, int64_t def)
{
    const Onnx__AttributeProto *a = ov_attr(n, name);
    return a && a->has_i ? a->i : def;
}

/* Integer list attribute: its count (at most max), -1 if absent. */
int ov_attr_ints(OnnxCtx *c, const Onnx__NodeProto *n, const char *name,
                     int64_t *out, int max)
{
    const Onnx__AttributeProto *a = ov_attr(n, name);
    if (!a)
        return -1;
    if (a->n_ints > (size_t)max)
        return ov_err(c, "attribute %s has %zu values, more than %d", name,
                      a->n_ints, max), -2;
    for (size_t i = 0; i < a->n_ints; i++)
        out[i] = a->ints[i];
    return (int)a->n_ints;
}

void ov_attr_str(const Onnx__NodeProto *n, const char *name,
                     const char *def, char *buf, size_t size)
{
    const Onnx__AttributeProto *a = ov_attr(n, name);
    if (!a || !a->has_s) {
        snprintf(buf, size, "%s", def);
        return;
    }
    size_t k = a->s.data ? QA_MIN(a->s.len, size - 1) : 0;
    if (k)
        memcpy(buf, a->s.data, k);
    buf[k] = '\0';
}

/* ---- inputs and outputs ---- */

int ov_has_in(const Onnx__NodeProto *n, size_t k)
{
    return k < n->n_input && n->input[k] && n->input[k][0];
}

/* Input k (NULL when absent and not required, with an error when required
 * or when no node computes it). */
Val *ov_in(OnnxCtx *c, const Onnx__NodeProto *n, size_t k, int required)
{
    if (!ov_has_in(n, k)) {
        if (required)
            ov_err(c, "input %zu is missing", k);
        return NULL;
    }
    Val *v = ov_find(c, n->input[k]);
    if (!v || v->kind == V_UNSET) {
        ov_err(c, "input '%s' is not computed (an output qarray does not "
               "model)", n->input[k]);
        return NULL;
    }
    return v;
}

/* Output k, NULL if the node leaves it out. */
Val *ov_out(const OnnxCtx *c, const Onnx__NodeProto *n, size_t k)
{
    if (k >= n->n_output || !n->output[k] || !n->output[k][0])
        return NULL;
    return ov_find((OnnxCtx *)c, n->output[k]);
}

/* Outputs from k on must not be read: qarray does not model them. */
int ov_unused_from(OnnxCtx *c, const Onnx__NodeProto *n, size_t k)
{
    for (; k < n->n_output; k++) {
        const Val *o = ov_out(c, n, k);
        if (o && o->uses)
            return ov_err(c, "output %zu ('%s') is read, but qarray models "
                          "only the first output of this op", k, o->name);
    }
    return QA_OK;
}

/* Read the values of a constant integer input; QA_ERR unless constant. */
int ov_const_ints(OnnxCtx *c, const Val *v, const char *what, int64_t *x,
                      int max, int *count)
{
    if (v->kind != V_CONST)
        return ov_err(c, "%s ('%s') must be a constant", what, v->name);
    if (v->n > max)
        return ov_err(c, "%s ('%s') has %lld values, more than %d", what,
                      v->name, (long long)v->n, max);
    for (int64_t i = 0; i < v->n; i++)
        x[i] = ov_int(v, i);
    *count = (int)v->n;
    return QA_OK;
}

/* An axis in -rank..rank-1 as 0..rank-1. */
int ov_axis(OnnxCtx *c, int64_t axis, int rank, int *out_axis)
{
    *out_axis = 0;
    if (axis < -rank || axis >= rank)
        return ov_err(c, "axis %lld outside -%d..%d", (long long)axis, rank,
                      rank - 1);
    *out_axis = (int)(axis < 0 ? axis + rank : axis);
    return QA_OK;
}

/* o takes a shape; an activation output also needs at least one element
 * and at most LAYER_ELEMS_MAX of them. */
int ov_shape(OnnxCtx *c, Val *o, int rank, const int64_t *dims)
{
    return ov_set_shape(c, o, rank, dims);
}

int ov_check_act(OnnxCtx *c, const Val *o)
{
    int64_t n = ov_elems(o);
    if (n == 0)
        return ov_err(c, "output '%s' is an empty tensor", o->name);
    if (n < 0 || n > LAYER_ELEMS_MAX)
        return ov_err(c, "output '%s' has %lld elements, more than qarray's "
                      "2^36 per image", o->name, (long long)n);
    return QA_OK;
}

/* o becomes a view of x (same producer, another shape). */
int ov_view(OnnxCtx *c, const Val *x, Val *o, int rank, const int64_t *dims)
{
    if (!o)
        return QA_OK;
    if (ov_shape(c, o, rank, dims) != QA_OK)
        return QA_ERR;
    o->kind = x->kind == V_ACT ? V_ACT : V_PARAM;
    o->layer = x->layer;
    o->direct = 0;
    return x->kind == V_ACT ? ov_check_act(c, o) : QA_OK;
}

/* o is x as it is (an op fused into x's producer): still direct. */
int ov_alias(OnnxCtx *c, const Val *x, Val *o)
{
    if (!o)
        return QA_OK;
    if (ov_shape(c, o, x->rank, x->dims) != QA_OK)
        return QA_ERR;
    o->kind = x->kind == V_CONST ? V_PARAM : x->kind;
    o->layer = x->layer;
    o->direct = x->direct;
    return QA_OK;
}

int ov_param(OnnxCtx *c, Val *o, int rank, const int64_t *dims)
{
    if (!o)
        return QA_OK;
    if (ov_shape(c, o, rank, dims) != QA_OK)
        return QA_ERR;
    o->kind = V_PARAM;
    return QA_OK;
}

/* ---- constants moved by views ---- */

void ov_unflat(int64_t i, int rank, const int64_t *dims, int64_t *idx)
{
    for (int d = rank - 1; d >= 0; d--) {
        idx[d] = dims[d] ? i % dims[d] : 0;
        i = dims[d] ? i / dims[d] : 0;
    }
}

/* Index into x of output multi-index idx (rank r) under broadcasting. */
int64_t ov_bcast_index(const Val *x, const int64_t *idx, int r)
{
    int64_t k = 0;
    for (int d = 0; d < x->rank; d++) {
        int64_t i = idx[d + r - x->rank];
        k = k * x->dims[d] + (x->dims[d] == 1 ? 0 : i);
    }
    return k;
}

/* o (shape set) gets, for each of its elements, element src(i) of x:
 * the values of a constant moved by a view. */
int ov_const_move(OnnxCtx *c, const Val *x, Val *o, SrcFn src, const void *arg)
{
    int64_t n = ov_elems(o);
    if (n < 0 || n > ONNX_CONST_MAX || x->kind != V_CONST) {
        o->kind = V_PARAM;
        return QA_OK;
    }
    int rc;
    if (x->is_float) {
        double *v = qa_malloc((size_t)QA_MAX(n, 1) * sizeof *v);
        if (!v)
            return err_set(c->e, c->path, 0, NULL, "out of memory");
        for (int64_t i = 0; i < n; i++)
            v[i] = ov_float(x, src(arg, i));
        rc = ov_set_floats(c, o, v, n);
        free(v);
    } else {
        int64_t *v = qa_malloc((size_t)QA_MAX(n, 1) * sizeof *v);
        if (!v)
            return err_set(c->e, c->path, 0, NULL, "out of memory");
        for (int64_t i = 0; i < n; i++)
            v[i] = ov_int(x, src(arg, i));
        rc = ov_set_ints(c, o, v, n);
        free(v);
    }
    return rc;
}

static int64_t src_same(const void *arg, int64_t i)
{
    (void)arg;
    return i;
}

/* A view of x as o's shape: values kept in order (Reshape, Flatten ...). */
int ov_reshaped(OnnxCtx *c, const Val *x, Val *o, int rank, const int64_t *dims)
{
    if (!o)
        return QA_OK;
    if (x->kind != V_CONST)
        return ov_view(c, x, o, rank, dims);
    if (ov_shape(c, o, rank, dims) != QA_OK)
        return QA_ERR;
    return ov_const_move(c, x, o, src_same, NULL);
}

int64_t ov_prod(const int64_t *d, int n)
{
    int64_t p = 1;
    for (int i = 0; i < n; i++)
        p *= d[i];
    return p;
}

