/* onnx_q.c: QDQ ONNX -> integer network (onnx_q.h).
 *
 * One pass over the nodes in file order (ONNX requires topological order).
 * Every tensor name gets a value: a constant, a quantized activation (codes
 * of an integer op), its dequantized float view, or a pending float result
 * (a Conv, Gemm, Add or MaxPool on dequantized inputs) that becomes an
 * integer op when a QuantizeLinear gives it an output scale. QLinearConv
 * and QLinearMatMul carry their parameters and become an op at once. Signed codes
 * are carried as unsigned ones (code + 2^(bits-1), zero point moved alike:
 * the real value s (code - zp) is unchanged), because the integer reference
 * keeps activations as codes 0..2^bits-1. */
#include "quant/int/onnx_q.h"
#include "quant/int/export.h"
#include "workloads/onnx.h"

#include <onnx.pb-c.h>

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* TensorProto data types (onnx.proto of onnx 1.12 stops at BFLOAT16). */
enum { T_FLOAT = 1, T_UINT8 = 2, T_INT8 = 3, T_UINT16 = 4, T_INT16 = 5, T_INT32 = 6,
       T_INT64 = 7, T_DOUBLE = 11, T_UINT4 = 21, T_INT4 = 22 };

#define QV_MAX_RANK 8
/* Largest constant read (weights included): 2^26 values. */
#define QV_ELEMS_MAX ((int64_t)1 << 26)
/* Largest ConstantOfShape (a bias's zero points: one per channel). */
#define QV_FILL_MAX (1 << 20)

typedef enum {
    QV_UNSET,
    QV_FIN,    /* the float graph input */
    QV_CONST,  /* values known (v); codes when dtype is an integer type */
    QV_QCONST, /* dequantized constant: codes v, scale/zp per axis */
    QV_ACT,    /* quantized activation: codes of op */
    QV_DQ,     /* an activation dequantized (src: its QV_ACT) */
    QV_GAP,    /* global average of an activation (src: the QV_ACT pooled) */
    QV_PEND,   /* a float result waiting for its QuantizeLinear */
    QV_LOGITS  /* the classifier's output (its op) */
} QvKind;

typedef enum { P_CONV, P_GEMM, P_ADD, P_MAXPOOL } PendKind;

typedef struct {
    const char *name;
    QvKind kind;
    /* QV_CONST, QV_QCONST */
    int dtype, rank;
    int64_t dims[QV_MAX_RANK], n;
    double *v;
    double *scale, *zp; /* QV_QCONST: nq values along axis */
    int64_t nq;
    int axis;
    int tlo, thi, tbits; /* the code type's range and bits */
    /* QV_ACT: codes of op (INTREF_INPUT: the image) */
    int op, C, H, W, zp_u, bits;
    double s;
    int src;             /* QV_DQ, QV_GAP: the activation's value */
    int gap;             /* QV_ACT, QV_DQ: codes of a pooled mean */
    /* QV_PEND */
    PendKind pk;
    const Onnx__NodeProto *node;
    int in[3];           /* x (activation value), w, bias (-1 none); add: a, b */
    int bias2;           /* a second bias added after the layer (-1 none) */
    int relu, clip;
    double clip_lo, clip_hi;
    int qlin;            /* a QLinearConv: int32 bias in accumulator units */
    int wbits;           /* QV_QCONST: bits declared in the model's metadata (0 none) */
} QVal;

typedef struct {
    const char *path;
    Onnx__ModelProto *model;
    INet *net;
    QVal *vals;
    int nvals, cap;
    const Onnx__NodeProto *node;
    int have_input;
    Err *e;
} QCtx;

static int qerr(QCtx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int qerr(QCtx *c, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->node)
        return err_set(c->e, c->path, 0, NULL, "node '%s' (%s): %s",
                       c->node->name && c->node->name[0] ? c->node->name : "?",
                       c->node->op_type ? c->node->op_type : "?", msg);
    return err_set(c->e, c->path, 0, "graph", "%s", msg);
}

int32_t onnxq_quantize(float x, float scale, int32_t zp, int32_t lo, int32_t hi)
{
    float r = rintf(x / scale); /* default rounding mode: half to even */
    if (isnan(r))
        return lo;
    double y = (double)r + zp;
    return y < lo ? lo : y > hi ? hi : (int32_t)y;
}

/* A double as the float ONNX computes in (beyond float's range: infinite). */
static float to_f(double x)
{
    if (x > (double)FLT_MAX)
        return INFINITY;
    if (x < -(double)FLT_MAX)
        return -INFINITY;
    return (float)x;
}

/* ---- values ---- */

static int find(const QCtx *c, const char *name)
{
    for (int i = c->nvals - 1; i >= 0; i--)
        if (!strcmp(c->vals[i].name, name))
            return i;
    return -1;
}

static QVal *add_val(QCtx *c, const char *name)
{
    if (!name || !name[0]) {
        qerr(c, "an output without a name");
        return NULL;
    }
    if (find(c, name) >= 0) {
        qerr(c, "tensor '%s' is assigned twice", name);
        return NULL;
    }
    if (c->nvals == c->cap) {
        int cap = c->cap ? 2 * c->cap : 64;
        QVal *v = qa_realloc(c->vals, sizeof *v * (size_t)cap);
        if (!v) {
            qerr(c, "out of memory");
            return NULL;
        }
        c->vals = v, c->cap = cap;
    }
    QVal *v = &c->vals[c->nvals++];
    memset(v, 0, sizeof *v);
    v->name = name;
    v->src = v->op = -1;
    v->in[0] = v->in[1] = v->in[2] = v->bias2 = -1;
    return v;
}

/* A value no node can name (an op's parts: QLinearConv's weights, a QONNX
 * Quant's codes). */
static int add_hidden(QCtx *c)
{
    static const char hidden[] = "";
    if (c->nvals == c->cap) {
        int cap = c->cap ? 2 * c->cap : 64;
        QVal *v = qa_realloc(c->vals, sizeof *v * (size_t)cap);
        if (!v)
            return qerr(c, "out of memory"), -1;
        c->vals = v, c->cap = cap;
    }
    QVal *v = &c->vals[c->nvals];
    memset(v, 0, sizeof *v);
    v->name = hidden;
    v->src = v->op = -1;
    v->in[0] = v->in[1] = v->in[2] = v->bias2 = -1;
    return c->nvals++;
}

static void free_vals(QCtx *c)
{
    for (int i = 0; i < c->nvals; i++)
        free(c->vals[i].v), free(c->vals[i].scale), free(c->vals[i].zp);
    free(c->vals);
    c->vals = NULL;
    c->nvals = c->cap = 0;
}

/* Input k of the node: its value index; -1 when absent and optional. */
static int in_val(QCtx *c, size_t k, int required)
{
    const Onnx__NodeProto *n = c->node;
    if (k >= n->n_input || !n->input[k][0]) {
        if (required)
            qerr(c, "input %zu is missing", k);
        return required ? -2 : -1;
    }
    int i = find(c, n->input[k]);
    if (i < 0) {
        qerr(c, "input '%s' is not computed by an earlier node", n->input[k]);
        return -2;
    }
    return i;
}

static QVal *out_val(QCtx *c)
{
    if (c->node->n_output < 1)
        return qerr(c, "no output"), NULL;
    return add_val(c, c->node->output[0]);
}

/* ---- constants ---- */

static int type_range(int dt, int *lo, int *hi, int *bits)
{
    switch (dt) {
    case T_UINT8: *lo = 0, *hi = 255, *bits = 8; return 1;
    case T_INT8: *lo = -128, *hi = 127, *bits = 8; return 1;
    case T_UINT16: *lo = 0, *hi = 65535, *bits = 16; return 1;
    case T_INT16: *lo = -32768, *hi = 32767, *bits = 16; return 1;
    case T_UINT4: *lo = 0, *hi = 15, *bits = 4; return 1;
    case T_INT4: *lo = -8, *hi = 7, *bits = 4; return 1;
    case T_INT32: *lo = INT32_MIN, *hi = INT32_MAX, *bits = 32; return 1;
    default: return 0;
    }
}

static const char *type_name(int dt)
{
    switch (dt) {
    case T_FLOAT: return "float";
    case T_UINT8: return "uint8";
    case T_INT8: return "int8";
    case T_UINT16: return "uint16";
    case T_INT16: return "int16";
    case T_INT32: return "int32";
    case T_INT64: return "int64";
    case T_DOUBLE: return "double";
    case T_UINT4: return "uint4";
    case T_INT4: return "int4";
    default: return "an unsupported type";
    }
}

static int elem_size(int dt)
{
    switch (dt) {
    case T_UINT8: case T_INT8: return 1;
    case T_UINT16: case T_INT16: return 2;
    case T_FLOAT: case T_INT32: return 4;
    case T_INT64: case T_DOUBLE: return 8;
    default: return 0; /* 4-bit types: packed two per byte */
    }
}

static double raw_at(int dt, const uint8_t *p, int64_t i)
{
    switch (dt) {
    case T_UINT8: return p[i];
    case T_INT8: return (int8_t)p[i];
    case T_UINT16: { uint16_t x; memcpy(&x, p + 2 * i, 2); return x; }
    case T_INT16: { int16_t x; memcpy(&x, p + 2 * i, 2); return x; }
    case T_INT32: { int32_t x; memcpy(&x, p + 4 * i, 4); return x; }
    case T_INT64: { int64_t x; memcpy(&x, p + 8 * i, 8); return (double)x; }
    case T_FLOAT: { float x; memcpy(&x, p + 4 * i, 4); return (double)x; }
    case T_DOUBLE: { double x; memcpy(&x, p + 8 * i, 8); return x; }
    case T_UINT4: return (p[i / 2] >> (4 * (i % 2))) & 15;
    case T_INT4: { int x = (p[i / 2] >> (4 * (i % 2))) & 15; return x >= 8 ? x - 16 : x; }
    default: return 0;
    }
}

static int from_tensor(QCtx *c, const Onnx__TensorProto *t, QVal *v)
{
    int dt = t->has_data_type ? t->data_type : 0;
    if (!elem_size(dt) && dt != T_UINT4 && dt != T_INT4)
        return qerr(c, "constant '%s' is of %s (type %d)", t->name ? t->name : "?",
                    type_name(dt), dt);
    if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
        return qerr(c, "constant '%s' is external data: quantized models are read with "
                    "their weights inside", t->name ? t->name : "?");
    if (t->n_dims > QV_MAX_RANK)
        return qerr(c, "constant '%s' has rank %zu", t->name ? t->name : "?", t->n_dims);
    int64_t n = 1;
    for (size_t d = 0; d < t->n_dims; d++) {
        if (t->dims[d] < 0 || t->dims[d] > QV_ELEMS_MAX)
            return qerr(c, "constant '%s': dimension %lld", t->name ? t->name : "?",
                        (long long)t->dims[d]);
        n *= t->dims[d];
        if (n > QV_ELEMS_MAX)
            return qerr(c, "constant '%s' has more than %lld values", t->name ? t->name : "?",
                        (long long)QV_ELEMS_MAX);
        v->dims[d] = t->dims[d];
    }
    v->rank = (int)t->n_dims;
    v->n = n;
    v->dtype = dt;
    v->kind = QV_CONST;
    /* the data must be there before anything is allocated for it */
    int es = elem_size(dt);
    int64_t have = t->has_raw_data ? (es ? (int64_t)t->raw_data.len / es
                                          : 2 * (int64_t)t->raw_data.len)
                   : dt == T_FLOAT ? (int64_t)t->n_float_data
                   : dt == T_DOUBLE ? (int64_t)t->n_double_data
                   : dt == T_INT64 ? (int64_t)t->n_int64_data
                   : dt == T_UINT4 || dt == T_INT4 ? 2 * (int64_t)t->n_int32_data
                   : (int64_t)t->n_int32_data;
    if (have < n)
        return qerr(c, "constant '%s': data for %lld of its %lld values",
                    t->name ? t->name : "?", (long long)have, (long long)n);
    v->v = qa_malloc(sizeof(double) * (size_t)n + 1);
    if (!v->v)
        return qerr(c, "out of memory");
    if (t->has_raw_data) {
        for (int64_t i = 0; i < n; i++)
            v->v[i] = raw_at(dt, t->raw_data.data, i);
        return QA_OK;
    }
    if (dt == T_FLOAT) {
        for (int64_t i = 0; i < n && i < have; i++)
            v->v[i] = (double)t->float_data[i];
    } else if (dt == T_DOUBLE) {
        for (int64_t i = 0; i < n && i < have; i++)
            v->v[i] = t->double_data[i];
    } else if (dt == T_INT64) {
        for (int64_t i = 0; i < n && i < have; i++)
            v->v[i] = (double)t->int64_data[i];
    } else if (dt == T_UINT4 || dt == T_INT4) {
        /* int32_data holds the packed bytes, two values each */
        for (int64_t i = 0; i < n && i < have; i++) {
            uint8_t b = (uint8_t)t->int32_data[i / 2];
            v->v[i] = raw_at(dt, &b, i % 2);
        }
    } else {
        int lo, hi, bits;
        type_range(dt, &lo, &hi, &bits);
        for (int64_t i = 0; i < n && i < have; i++) {
            if (t->int32_data[i] < lo || t->int32_data[i] > hi)
                return qerr(c, "constant '%s': value %d outside %s", t->name ? t->name : "?",
                            t->int32_data[i], type_name(dt));
            v->v[i] = t->int32_data[i];
        }
    }
    return QA_OK;
}

static const Onnx__AttributeProto *attr(const Onnx__NodeProto *n, const char *name)
{
    for (size_t i = 0; i < n->n_attribute; i++)
        if (n->attribute[i]->name && !strcmp(n->attribute[i]->name, name))
            return n->attribute[i];
    return NULL;
}

static int64_t attr_int(const Onnx__NodeProto *n, const char *name, int64_t def)
{
    const Onnx__AttributeProto *a = attr(n, name);
    return a && a->has_i ? a->i : def;
}

/* Integer list attribute: count (-1 if absent), at most max values. */
static int attr_ints(QCtx *c, const char *name, int64_t *out, int max)
{
    const Onnx__AttributeProto *a = attr(c->node, name);
    if (!a)
        return -1;
    if (a->n_ints > (size_t)max)
        return qerr(c, "attribute %s has %zu values", name, a->n_ints), -2;
    for (size_t i = 0; i < a->n_ints; i++)
        out[i] = a->ints[i];
    return (int)a->n_ints;
}

static int is_const(const QCtx *c, int i)
{
    return i >= 0 && c->vals[i].kind == QV_CONST;
}

/* ---- quantization parameters ---- */

typedef struct {
    int64_t n;          /* 1: per tensor */
    const double *s, *zp;
    int dt, lo, hi, bits, axis;
} QParams;

/* Scale (input ks), zero point (input kz) and axis (attribute, else
 * def_axis) of quantized data of rank `rank`; dims the data's shape (NULL:
 * per tensor only). */
static int qparams_at(QCtx *c, size_t ks, size_t kz, int def_axis, int rank,
                      const int64_t *dims, int out_dt, QParams *q)
{
    int is = in_val(c, ks, 1), iz = in_val(c, kz, 0);
    if (is < -1 || iz < -1)
        return QA_ERR;
    if (!is_const(c, is))
        return qerr(c, "the scale must be a constant");
    if (iz >= 0 && !is_const(c, iz))
        return qerr(c, "the zero point must be a constant");
    const QVal *S = &c->vals[is], *Z = iz >= 0 ? &c->vals[iz] : NULL;
    memset(q, 0, sizeof *q);
    q->dt = Z ? Z->dtype : out_dt ? out_dt : T_UINT8;
    if (!type_range(q->dt, &q->lo, &q->hi, &q->bits))
        return qerr(c, "codes of %s: integer codes must be int4..int16 or uint4..uint16",
                    type_name(q->dt));
    q->n = S->n;
    q->s = S->v, q->zp = Z ? Z->v : NULL;
    if (Z && Z->n != S->n)
        return qerr(c, "%lld scales but %lld zero points", (long long)S->n, (long long)Z->n);
    if (S->n < 1)
        return qerr(c, "empty scale");
    if (S->rank > 1 || (Z && Z->rank > 1))
        return qerr(c, "scale and zero point must be scalars or 1-D");
    if (S->rank == 1 && S->n > 1) {
        int64_t ax = attr_int(c->node, "axis", def_axis);
        if (ax < -rank || ax >= rank)
            return qerr(c, "axis %lld outside the data's rank %d", (long long)ax, rank);
        q->axis = (int)(ax < 0 ? ax + rank : ax);
        if (dims && dims[q->axis] != S->n)
            return qerr(c, "per-channel scale has %lld values, axis %d has %lld",
                        (long long)S->n, q->axis, (long long)dims[q->axis]);
        if (!dims)
            return qerr(c, "per-channel parameters on an activation: one scale per tensor "
                        "is what the array's requantization takes");
    }
    if (attr(c->node, "block_size") && attr_int(c->node, "block_size", 0) != 0)
        return qerr(c, "blocked quantization (block_size) is not supported");
    for (int64_t i = 0; i < S->n; i++) {
        if (!(S->v[i] > 0) || !isfinite(S->v[i]) || !(S->v[i] <= (double)FLT_MAX))
            return qerr(c, "scale %g: scales must be finite and positive", S->v[i]);
        if (Z && (Z->v[i] < q->lo || Z->v[i] > q->hi))
            return qerr(c, "zero point %g outside %s's %d..%d", Z->v[i], type_name(q->dt),
                        q->lo, q->hi);
    }
    return QA_OK;
}

/* The same for a QuantizeLinear / DequantizeLinear (inputs 1, 2; axis 1). */
static int qparams(QCtx *c, int rank, const int64_t *dims, int out_dt, QParams *q)
{
    return qparams_at(c, 1, 2, 1, rank, dims, out_dt, q);
}

/* Codes the array moves (activations, weights): at most 16 bits. */
static int narrow(QCtx *c, int bits)
{
    if (bits > 16)
        return qerr(c, "%d-bit codes: above the array's widest (16 bits)", bits);
    return QA_OK;
}

static double qp_s(const QParams *q, int64_t k) { return q->s[q->n > 1 ? k : 0]; }
static double qp_zp(const QParams *q, int64_t k) { return q->zp ? q->zp[q->n > 1 ? k : 0] : 0; }

/* Offset from a code type to the unsigned codes of the reference. */
static int uoff(const QParams *q)
{
    return q->lo < 0 ? -q->lo : 0;
}

static int same_q(const QVal *a, double s, int zp_u)
{
    return to_f(a->s) == to_f(s) && a->zp_u == zp_u;
}

/* ---- ops ---- */

static void op_name(QCtx *c, IOp *io)
{
    const char *n = c->node->name && c->node->name[0] ? c->node->name : c->node->output[0];
    snprintf(io->name, sizeof io->name, "%s", n);
    for (char *p = io->name; *p; p++)
        if (*p == ' ' || *p == '\t' || *p == '\n' || *p == ',')
            *p = '_';
}

static int push(QCtx *c, IOp *io)
{
    int id = intref_add(c->net, io, c->e);
    if (id < 0)
        free(io->w), free(io->mult), free(io->shift), free(io->bias);
    return id;
}

/* Integer weight values (codes minus zero point) and their signed bits. */
static int weight_ints(QCtx *c, const QVal *w, int16_t *out, int *bits)
{
    *bits = 1;
    for (int64_t j = 0; j < w->nq; j++) {
        double zp = w->zp ? w->zp[j] : 0;
        double lo = w->tlo - zp, hi = w->thi - zp;
        int b = 1;
        while (b < 17 && (lo < -ldexp(1, b - 1) || hi > ldexp(1, b - 1) - 1))
            b++;
        if (b > w->tbits)
            return qerr(c, "weight zero point %g of %s codes: the array takes symmetric "
                        "signed weights (codes minus zero point would need %d bits)", zp,
                        type_name(w->dtype), b);
        if (b > *bits)
            *bits = b;
    }
    int64_t per = w->nq > 1 ? w->n / w->nq : w->n;
    int odd = 1, mx = 0;
    for (int64_t i = 0; i < w->n; i++) {
        int64_t ch = w->nq > 1 ? i / per : 0;
        out[i] = (int16_t)(w->v[i] - (w->zp ? w->zp[ch] : 0));
        odd &= out[i] % 2 != 0;
        mx = abs(out[i]) > mx ? abs(out[i]) : mx;
    }
    if (w->wbits) {
        /* declared in the metadata: fewer bits than the container's */
        if (w->wbits > *bits)
            return qerr(c, "the metadata declares %d-bit weights, their codes are %d-bit",
                        w->wbits, *bits);
        *bits = w->wbits;
        return QA_OK;
    }
    /* Odd values only, within +-(2^b - 1): the 2^b levels of b-bit codes
     * with a half-step zero point (qarray's SAWB and DoReFa weights, which
     * onnx_out.c writes in the next wider type) */
    if (odd) {
        int b = 1;
        while ((1 << b) - 1 < mx)
            b++;
        *bits = b < *bits ? b : *bits;
    }
    return QA_OK;
}

/* Bias b of output channel k in `unit`s. A dequantized bias whose scale is
 * a power of two times the unit (to 2^-22) counts exactly: code x 2^t, as
 * onnx_out.c writes qarray's integer biases (wider ones in two parts). */
static double bias_part(const QCtx *c, int b, int64_t k, double unit)
{
    if (b < 0)
        return 0;
    const QVal *B = &c->vals[b];
    if (B->kind != QV_QCONST)
        return B->v[k] / unit;
    int64_t ch = B->nq > 1 ? k : 0;
    double code = B->v[k] - (B->zp ? B->zp[ch] : 0), r = B->scale[ch] / unit;
    int t;
    double f = frexp(r, &t); /* r = f 2^t, f in [0.5, 1) */
    if (fabs(f - 0.5) < ldexp(0.5, -22) && t > -62 && t < 62)
        return ldexp(code, t - 1);
    if (fabs(f - 1.0) < ldexp(1.0, -22) && t > -62 && t < 62)
        return ldexp(code, t);
    return code * r;
}

/* The layer's bias (and its second part) in units, rounded to an integer. */
static double bias_units(const QCtx *c, const QVal *p, int64_t k, double unit)
{
    return nearbyint(bias_part(c, p->in[2], k, unit) + bias_part(c, p->bias2, k, unit));
}

static int check_bias(QCtx *c, int b, int64_t K)
{
    if (b < 0)
        return QA_OK;
    const QVal *B = &c->vals[b];
    if (B->kind != QV_QCONST && !(B->kind == QV_CONST && B->dtype == T_FLOAT))
        return qerr(c, "the bias must be a float constant or a dequantized one");
    if (B->n != K)
        return qerr(c, "bias has %lld values for %lld outputs", (long long)B->n, (long long)K);
    return QA_OK;
}

/* Output code range [lo, hi] of a pending result quantized with q at zero
 * point zp_u, after its Relu / Clip; must be 0..2^bits-1. */
static int out_bits(QCtx *c, const QVal *p, const QParams *q, double s, int zp_u, int *bits)
{
    int off = uoff(q);
    int lo = q->lo + off, hi = q->hi + off;
    if (p->relu && zp_u > lo)
        lo = zp_u;
    if (p->clip) {
        int a = onnxq_quantize(to_f(p->clip_lo), to_f(s), zp_u, q->lo + off, q->hi + off);
        int b = onnxq_quantize(to_f(p->clip_hi), to_f(s), zp_u, q->lo + off, q->hi + off);
        lo = a > lo ? a : lo, hi = b < hi ? b : hi;
    }
    int b = 0;
    while (b < 16 && ((int64_t)1 << b) - 1 < hi)
        b++;
    if (lo != 0 || hi != (1 << b) - 1)
        return qerr(c, "output codes %d..%d (after Relu/Clip, zero point %d): the array's "
                    "requantization clamps to 0..2^bits-1", lo - off, hi - off, zp_u - off);
    *bits = b;
    return QA_OK;
}

/* x_scale * w_scale / y_scale in float, the order ONNX Runtime's
 * QLinearConv computes it in: its 24 bits are then the exact multiplier. */
static float qlin_mult(double s_x, double s_w, double s_y)
{
    float a = to_f(s_x) * to_f(s_w);
    return a / to_f(s_y);
}

static int finish_conv(QCtx *c, const QVal *p, const QParams *q, double s_y, int zp_u, QVal *o)
{
    const QVal *x = &c->vals[p->in[0]], *w = &c->vals[p->in[1]];
    const Onnx__NodeProto *n = p->node;
    const Onnx__NodeProto *qn = c->node;
    c->node = n;
    int ob;
    int64_t g = attr_int(n, "group", 1);
    int64_t K = w->dims[0], Cg = w->dims[1], R = w->dims[2], S = w->dims[3];
    int64_t st[2] = {1, 1}, pd[4] = {0, 0, 0, 0}, dl[2] = {1, 1}, ks[2];
    int nst = attr_ints(c, "strides", st, 2), npd = attr_ints(c, "pads", pd, 4);
    int ndl = attr_ints(c, "dilations", dl, 2), nks = attr_ints(c, "kernel_shape", ks, 2);
    if (nst < -1 || npd < -1 || ndl < -1 || nks < -1)
        return QA_ERR;
    const Onnx__AttributeProto *ap = attr(n, "auto_pad");
    if (ap && ap->has_s && ap->s.len && !(ap->s.len == 6 && !memcmp(ap->s.data, "NOTSET", 6)) &&
        !(ap->s.len == 5 && !memcmp(ap->s.data, "VALID", 5)))
        return qerr(c, "auto_pad SAME: give explicit pads");
    if (st[0] != st[1] || pd[0] != pd[1] || pd[0] != pd[2] || pd[0] != pd[3] || dl[0] != 1 ||
        dl[1] != 1)
        return qerr(c, "strides %lldx%lld, pads %lld,%lld,%lld,%lld, dilations %lldx%lld: "
                    "the array takes one stride, one pad and no dilation", (long long)st[0],
                    (long long)st[1], (long long)pd[0], (long long)pd[1], (long long)pd[2],
                    (long long)pd[3], (long long)dl[0], (long long)dl[1]);
    if (nks == 2 && (ks[0] != R || ks[1] != S))
        return qerr(c, "kernel_shape differs from the weights'");
    if (g < 1 || x->C % g || K % g || Cg * g != x->C)
        return qerr(c, "group %lld with %d input channels and weights %lldx%lld",
                    (long long)g, x->C, (long long)K, (long long)Cg);
    if (st[0] < 1 || st[0] > 64 || pd[0] < 0 || pd[0] > 64 || R > 64 || S > 64)
        return qerr(c, "window %lldx%lld stride %lld pad %lld", (long long)R, (long long)S,
                    (long long)st[0], (long long)pd[0]);
    if (K * x->C * R * S > QV_ELEMS_MAX)
        return qerr(c, "%lld x %d x %lld x %lld weights with the groups spread out",
                    (long long)K, x->C, (long long)R, (long long)S);
    if (x->zp_u != 0 && pd[0] > 0)
        return qerr(c, "input zero point %d with padding: the array pads with code 0, "
                    "ONNX with the zero point", x->zp_u);
    if (!p->qlin && (check_bias(c, p->in[2], K) || check_bias(c, p->bias2, K)))
        return QA_ERR;
    c->node = qn;
    ob = 0; /* q == NULL: a residual branch, int32 in units of s_y */
    if (q && out_bits(c, p, q, s_y, zp_u, &ob))
        return QA_ERR;
    c->node = n;
    IOp io;
    memset(&io, 0, sizeof io);
    op_name(c, &io);
    int16_t *wg = qa_malloc(sizeof(int16_t) * (size_t)w->n + 1);
    io.w = qa_calloc((size_t)(K * x->C * R * S) + 1, sizeof(int16_t));
    io.mult = qa_malloc(sizeof(int32_t) * (size_t)K);
    io.shift = qa_malloc(sizeof(int32_t) * (size_t)K);
    io.bias = qa_malloc(sizeof(int64_t) * (size_t)K);
    if (!wg || !io.w || !io.mult || !io.shift || !io.bias) {
        free(wg), free(io.w), free(io.mult), free(io.shift), free(io.bias);
        return qerr(c, "out of memory");
    }
    int wb;
    if (weight_ints(c, w, wg, &wb)) {
        free(wg), free(io.w), free(io.mult), free(io.shift), free(io.bias);
        return QA_ERR;
    }
    /* groups as one dense conv, zero outside each group's block */
    int64_t Kg = K / g;
    for (int64_t k = 0; k < K; k++)
        for (int64_t cg = 0; cg < Cg; cg++)
            memcpy(io.w + ((k * x->C + (k / Kg) * Cg + cg) * R * S),
                   wg + (k * Cg + cg) * R * S, sizeof(int16_t) * (size_t)(R * S));
    free(wg);
    int rc = QA_OK;
    for (int64_t k = 0; k < K && rc == QA_OK; k++) {
        double sw = w->scale[w->nq > 1 ? k : 0];
        /* QLinearConv's multiplier in float, as ONNX computes it */
        double M = p->qlin ? (double)qlin_mult(x->s, sw, s_y) : x->s * sw / s_y;
        if (!(M < ldexp(1, 24)) || !(M > ldexp(1, -40)))
            rc = qerr(c, "output channel %lld: multiplier %g (input scale x weight scale / "
                      "output scale) outside 2^-40..2^24", (long long)k, M);
        intref_multiplier(M, &io.mult[k], &io.shift[k]);
        int64_t wsum = 0;
        for (int64_t j = 0; j < x->C * R * S; j++)
            wsum += io.w[k * x->C * R * S + j];
        /* a QLinearConv's bias is in accumulator units: exactly B * m */
        double bu = p->qlin ? (p->in[2] >= 0 ? c->vals[p->in[2]].v[k] * io.mult[k] : 0)
                            : bias_units(c, p, k, s_y * ldexp(1, -io.shift[k]));
        double b = bu + ldexp(zp_u, io.shift[k]) -
                   (double)x->zp_u * (double)wsum * io.mult[k];
        if (!(fabs(b) < ldexp(1, 62)))
            rc = qerr(c, "output channel %lld: bias %g out of range", (long long)k, b);
        else
            io.bias[k] = (int64_t)b;
    }
    if (rc) {
        free(io.w), free(io.mult), free(io.shift), free(io.bias);
        return QA_ERR;
    }
    io.kind = IOP_CONV;
    io.in[0] = x->op;
    io.C = x->C, io.H = x->H, io.W = x->W;
    io.K = (int)K, io.R = (int)R, io.S = (int)S, io.stride = (int)st[0], io.pad = (int)pd[0];
    io.w_bits = wb, io.out_bits = ob;
    io.w_scale = (float)w->scale[0], io.out_scale = (float)s_y;
    int id = push(c, &io);
    if (id < 0)
        return QA_ERR;
    const IOp *op = &c->net->ops[id];
    o->kind = QV_ACT, o->op = id, o->C = op->K, o->H = op->P, o->W = op->Q;
    o->s = s_y, o->zp_u = zp_u, o->bits = ob, o->tbits = q ? q->bits : 32;
    c->node = qn;
    return QA_OK;
}

static int finish_add(QCtx *c, const QVal *p, const QParams *q, double s_y, int zp_u, QVal *o)
{
    int ob, branch = 0;
    if (out_bits(c, p, q, s_y, zp_u, &ob))
        return QA_ERR;
    const Onnx__NodeProto *qn = c->node;
    /* Residual branches (a conv's float result) are int32 in units of
     * s_y / 2^EXPORT_ADD_FRAC_BITS, as qarray's own adds (export.c). */
    double u = s_y / ldexp(1, EXPORT_ADD_FRAC_BITS);
    QVal in[2];
    for (int j = 0; j < 2; j++) {
        const QVal *v = &c->vals[p->in[j]];
        if (v->kind == QV_PEND) {
            memset(&in[j], 0, sizeof in[j]);
            if (finish_conv(c, v, NULL, u, 0, &in[j]))
                return QA_ERR;
            c->node = qn;
            branch = 1;
        } else {
            in[j] = *v;
        }
    }
    const QVal *a = &in[0], *b = &in[1];
    if (a->zp_u || b->zp_u || zp_u)
        return qerr(c, "an Add with zero points (%d, %d -> %d): the array's add has no offset",
                    a->zp_u, b->zp_u, zp_u);
    if (a->C != b->C || a->H != b->H || a->W != b->W)
        return qerr(c, "Add of %dx%dx%d and %dx%dx%d", a->C, a->H, a->W, b->C, b->H, b->W);
    IOp io;
    memset(&io, 0, sizeof io);
    c->node = p->node;
    op_name(c, &io);
    c->node = qn;
    double mx = fmax(a->s, b->s) / s_y;
    if (!(mx < ldexp(1, 7)) || !(fmin(a->s, b->s) / s_y > ldexp(1, -40)))
        return qerr(c, "input / output scales %g, %g / %g outside 2^-40..2^7", a->s, b->s,
                    s_y);
    io.mult = qa_malloc(sizeof(int32_t) * 2);
    io.shift = qa_malloc(sizeof(int32_t));
    if (!io.mult || !io.shift) {
        free(io.mult), free(io.shift);
        return qerr(c, "out of memory");
    }
    int32_t m0, sh;
    if (branch)
        sh = EXPORT_ADD_FRAC_BITS;
    else
        intref_multiplier(mx, &m0, &sh);
    io.mult[0] = (int32_t)lround(a->s / s_y * ldexp(1, sh));
    io.mult[1] = (int32_t)lround(b->s / s_y * ldexp(1, sh));
    io.shift[0] = sh;
    io.kind = IOP_ADD;
    io.in[0] = a->op, io.in[1] = b->op;
    io.C = a->C, io.H = a->H, io.W = a->W;
    io.out_bits = ob, io.out_scale = (float)s_y;
    int id = push(c, &io);
    if (id < 0)
        return QA_ERR;
    o->kind = QV_ACT, o->op = id, o->C = a->C, o->H = a->H, o->W = a->W;
    o->s = s_y, o->zp_u = zp_u, o->bits = ob, o->tbits = q->bits;
    return QA_OK;
}

/* The classifier: global average pooling of x, then a Gemm / MatMul. */
static int finish_gemm(QCtx *c, const QVal *p, QVal *o)
{
    const QVal *x = &c->vals[p->in[0]], *w = &c->vals[p->in[1]];
    const Onnx__NodeProto *qn = c->node;
    c->node = p->node;
    int tb = strcmp(p->node->op_type, "Gemm") ? 0 : (int)attr_int(p->node, "transB", 0);
    int64_t K = tb ? w->dims[0] : w->dims[1], Cw = tb ? w->dims[1] : w->dims[0];
    if (Cw != x->C)
        return qerr(c, "weights for %lld inputs, the pooled activation has %d",
                    (long long)Cw, x->C);
    if (K < 1 || K > 1024)
        return qerr(c, "%lld outputs: a classifier has 1..1024", (long long)K);
    for (int64_t k = 1; k < w->nq; k++)
        if (w->scale[k] != w->scale[0])
            return qerr(c, "per-output weight scales: the integer logits share one scale");
    if (check_bias(c, p->in[2], K) || check_bias(c, p->bias2, K))
        return QA_ERR;
    IOp io;
    memset(&io, 0, sizeof io);
    op_name(c, &io);
    int16_t *wt = qa_malloc(sizeof(int16_t) * (size_t)w->n + 1);
    io.w = qa_malloc(sizeof(int16_t) * (size_t)w->n + 1);
    io.bias = qa_malloc(sizeof(int64_t) * (size_t)K);
    int wb;
    if (!wt || !io.w || !io.bias || weight_ints(c, w, wt, &wb)) {
        if (!wt || !io.w || !io.bias)
            qerr(c, "out of memory");
        free(wt), free(io.w), free(io.bias);
        return QA_ERR;
    }
    for (int64_t k = 0; k < K; k++)
        for (int64_t j = 0; j < Cw; j++)
            io.w[k * Cw + j] = wt[tb ? k * Cw + j : j * K + k];
    free(wt);
    int HW = x->H * x->W;
    double s_l = x->s * w->scale[0] / HW;
    for (int64_t k = 0; k < K; k++) {
        int64_t wsum = 0;
        for (int64_t j = 0; j < Cw; j++)
            wsum += io.w[k * Cw + j];
        double b = bias_units(c, p, k, s_l) - (double)x->zp_u * HW * wsum;
        if (!(fabs(b) < ldexp(1, 62))) {
            free(io.w), free(io.bias);
            return qerr(c, "bias %g out of range", b);
        }
        io.bias[k] = (int64_t)b;
    }
    io.kind = IOP_GAPFC;
    io.in[0] = x->op;
    io.C = x->C, io.H = x->H, io.W = x->W, io.K = (int)K;
    io.w_bits = wb, io.w_scale = (float)w->scale[0], io.out_scale = (float)s_l;
    int id = push(c, &io);
    if (id < 0)
        return QA_ERR;
    c->net->classes = (int)K;
    o->kind = QV_LOGITS, o->op = id;
    c->node = qn;
    return QA_OK;
}

/* A pending MaxPool of codes, quantized with scale s, zero point zp_u and
 * tbits-bit codes: max pooling commutes with a monotone quantization of the
 * same parameters, so the codes are pooled. */
static int finish_pool(QCtx *c, const QVal *p, double s, int zp_u, int tbits, QVal *o)
{
    const QVal *a = &c->vals[p->in[0]];
    if (!same_q(a, s, zp_u))
        return qerr(c, "requantizes a max pool: give it its input's scale and zero point");
    if (tbits < a->bits)
        return qerr(c, "%d-bit codes out of a max pool of %d-bit codes", tbits, a->bits);
    int ob = a->bits; /* the pooled codes are the input's */
    const Onnx__NodeProto *qn = c->node;
    c->node = p->node;
    int64_t ks[2] = {0, 0}, st[2] = {1, 1}, pd[4] = {0, 0, 0, 0};
    if (attr_ints(c, "kernel_shape", ks, 2) < -1 || attr_ints(c, "strides", st, 2) < -1 ||
        attr_ints(c, "pads", pd, 4) < -1)
        return QA_ERR;
    if (st[0] != st[1] || pd[0] != pd[1] || pd[0] != pd[2] || pd[0] != pd[3] ||
        ks[0] < 1 || ks[1] < 1 || ks[0] > 64 || ks[1] > 64 || st[0] < 1 || st[0] > 64 ||
        pd[0] < 0 || pd[0] > 64 || attr_int(c->node, "ceil_mode", 0))
        return qerr(c, "kernel %lldx%lld, strides %lldx%lld, pads %lld,%lld,%lld,%lld: the "
                    "array pools with one stride and one pad (floor mode)",
                    (long long)ks[0], (long long)ks[1], (long long)st[0], (long long)st[1],
                    (long long)pd[0], (long long)pd[1], (long long)pd[2], (long long)pd[3]);
    IOp io;
    memset(&io, 0, sizeof io);
    op_name(c, &io);
    io.kind = IOP_MAXPOOL;
    io.in[0] = a->op;
    io.C = a->C, io.H = a->H, io.W = a->W;
    io.R = (int)ks[0], io.S = (int)ks[1], io.stride = (int)st[0], io.pad = (int)pd[0];
    io.out_scale = (float)s;
    int id = push(c, &io);
    c->node = qn;
    if (id < 0)
        return QA_ERR;
    const IOp *op = &c->net->ops[id];
    o->kind = QV_ACT, o->op = id, o->C = op->K, o->H = op->P, o->W = op->Q;
    o->s = s, o->zp_u = zp_u, o->bits = ob, o->tbits = tbits;
    return QA_OK;
}

/* ---- node handlers ---- */

static int n_constant(QCtx *c)
{
    QVal *o = out_val(c);
    if (!o)
        return QA_ERR;
    const Onnx__AttributeProto *a = attr(c->node, "value");
    if (a && a->t)
        return from_tensor(c, a->t, o);
    const Onnx__AttributeProto *f = attr(c->node, "value_float");
    const Onnx__AttributeProto *i = attr(c->node, "value_int");
    if (!f && !i)
        return qerr(c, "only value, value_float and value_int constants are read");
    o->kind = QV_CONST, o->n = 1, o->rank = 0;
    o->dtype = f ? T_FLOAT : T_INT64;
    o->v = qa_malloc(sizeof(double));
    if (!o->v)
        return qerr(c, "out of memory");
    o->v[0] = f ? (double)f->f : (double)i->i;
    return QA_OK;
}

static int copy_const(QCtx *c, const QVal *x, QVal *o)
{
    int64_t n = x->n;
    *o = (QVal){.name = o->name, .kind = x->kind, .dtype = x->dtype, .rank = x->rank,
                .n = n, .nq = x->nq, .axis = x->axis, .tlo = x->tlo, .thi = x->thi,
                .tbits = x->tbits, .op = -1, .src = -1, .in = {-1, -1, -1}};
    memcpy(o->dims, x->dims, sizeof o->dims);
    o->v = qa_malloc(sizeof(double) * (size_t)n + 1);
    if (x->scale)
        o->scale = qa_malloc(sizeof(double) * (size_t)x->nq), o->zp = qa_malloc(sizeof(double) * (size_t)x->nq);
    if (!o->v || (x->scale && (!o->scale || !o->zp)))
        return qerr(c, "out of memory");
    memcpy(o->v, x->v, sizeof(double) * (size_t)n);
    if (x->scale) {
        memcpy(o->scale, x->scale, sizeof(double) * (size_t)x->nq);
        for (int64_t k = 0; k < x->nq; k++)
            o->zp[k] = x->zp ? x->zp[k] : 0;
    }
    return QA_OK;
}

/* Identity, Cast, Flatten, Reshape, Squeeze, Unsqueeze: a new name for the
 * same codes (a Cast of a constant converts it). */
static int n_alias(QCtx *c)
{
    int x = in_val(c, 0, 1);
    if (x < 0)
        return QA_ERR;
    QVal xv = c->vals[x];
    const char *op = c->node->op_type;
    int is_cast = !strcmp(op, "Cast"), shape_op = !is_cast && strcmp(op, "Identity");
    QVal *o = out_val(c);
    if (!o)
        return QA_ERR;
    if (xv.kind == QV_CONST || xv.kind == QV_QCONST) {
        if (shape_op)
            return qerr(c, "a reshaped constant: give weights in their layer's shape");
        if (copy_const(c, &xv, o))
            return QA_ERR;
        if (is_cast) {
            int to = (int)attr_int(c->node, "to", 0), lo, hi, b;
            if (to != T_FLOAT && to != T_DOUBLE && to != T_INT64 && !type_range(to, &lo, &hi, &b))
                return qerr(c, "Cast to %s", type_name(to));
            o->dtype = to;
            for (int64_t i = 0; i < o->n; i++)
                if (to != T_FLOAT && to != T_DOUBLE)
                    o->v[i] = trunc(o->v[i]);
        }
        return QA_OK;
    }
    if (shape_op && xv.kind != QV_GAP && !(xv.kind == QV_DQ && c->vals[xv.src].gap) &&
        !(xv.kind == QV_ACT && xv.gap) && xv.kind != QV_LOGITS)
        return qerr(c, "a reshape of a feature map between quantized layers");
    if (is_cast && xv.kind == QV_ACT) {
        int to = (int)attr_int(c->node, "to", 0), lo, hi, b;
        if (!type_range(to, &lo, &hi, &b) || lo + (lo < 0 ? -lo : 0) != 0 || hi - lo + 1 != 1 << xv.bits)
            return qerr(c, "Cast of %d-bit codes to %s", xv.bits, type_name(to));
    } else if (is_cast && xv.kind != QV_LOGITS) {
        return qerr(c, "Cast of a float result between quantized layers");
    }
    const char *name = o->name;
    *o = xv;
    o->name = name;
    o->v = o->scale = o->zp = NULL;
    return QA_OK;
}

static int n_constant_of_shape(QCtx *c)
{
    int x = in_val(c, 0, 1);
    if (x < 0)
        return QA_ERR;
    if (!is_const(c, x) || c->vals[x].n > QV_MAX_RANK)
        return qerr(c, "the shape must be a small constant");
    QVal *o = out_val(c);
    if (!o)
        return QA_ERR;
    const QVal *s = &c->vals[x];
    int64_t n = 1;
    for (int64_t i = 0; i < s->n; i++) {
        if (s->v[i] < 0 || s->v[i] > (double)QV_ELEMS_MAX)
            return qerr(c, "dimension %g", s->v[i]);
        o->dims[i] = (int64_t)s->v[i];
        n *= o->dims[i];
        if (n > QV_FILL_MAX)
            return qerr(c, "more than %d values", QV_FILL_MAX);
    }
    o->rank = (int)s->n, o->n = n, o->kind = QV_CONST, o->dtype = T_FLOAT;
    o->v = qa_calloc((size_t)n + 1, sizeof(double));
    if (!o->v)
        return qerr(c, "out of memory");
    const Onnx__AttributeProto *a = attr(c->node, "value");
    if (a && a->t) {
        QVal t;
        memset(&t, 0, sizeof t);
        int rc = from_tensor(c, a->t, &t);
        if (rc == QA_OK && t.n != 1)
            rc = qerr(c, "value must hold one element");
        if (rc == QA_OK) {
            o->dtype = t.dtype;
            for (int64_t i = 0; i < n; i++)
                o->v[i] = t.v[0];
        }
        free(t.v);
        return rc;
    }
    return QA_OK;
}

static int quantize_to(QCtx *c, int x, const QParams *qp, QVal *o);

static int n_quantize(QCtx *c)
{
    int x = in_val(c, 0, 1);
    if (x < 0)
        return QA_ERR;
    QVal xv = c->vals[x];
    QParams q;
    int odt = (int)attr_int(c->node, "output_dtype", 0);
    if (attr_int(c->node, "saturate", 1) != 1)
        return qerr(c, "saturate=0 (float 8 types) is not supported");
    if (qparams(c, xv.kind == QV_CONST ? xv.rank : 4, xv.kind == QV_CONST ? xv.dims : NULL,
                odt, &q))
        return QA_ERR;
    if (xv.kind != QV_CONST && narrow(c, q.bits))
        return QA_ERR;
    QVal *o = out_val(c);
    if (!o)
        return QA_ERR;
    switch (xv.kind) {
    case QV_CONST: {
        /* weights quantized in the graph */
        if (copy_const(c, &xv, o))
            return QA_ERR;
        int64_t inner = 1;
        for (int d = q.axis + 1; d < xv.rank && q.n > 1; d++)
            inner *= xv.dims[d];
        for (int64_t i = 0; i < xv.n; i++) {
            int64_t ch = q.n > 1 ? (i / inner) % q.n : 0;
            o->v[i] = onnxq_quantize(to_f(xv.v[i]), to_f(qp_s(&q, ch)), (int32_t)qp_zp(&q, ch),
                                     q.lo, q.hi);
        }
        o->dtype = q.dt;
        return QA_OK;
    }
    default:
        return quantize_to(c, x, &q, o);
    }
}

/* The value x (the input, a pooled mean, a dequantized activation or a
 * pending float result) quantized with q: the codes o (its name kept). */
static int quantize_to(QCtx *c, int x, const QParams *qp, QVal *o)
{
    QVal xv = c->vals[x];
    QParams q = *qp;
    int off = uoff(&q);
    double s = q.s[0];
    int zp_u = (int)qp_zp(&q, 0) + off;
    switch (xv.kind) {
    case QV_FIN:
        if (c->net->in_bits)
            return qerr(c, "the input is quantized twice");
        c->net->in_bits = q.bits, c->net->in_scale = (float)s;
        o->kind = QV_ACT, o->op = INTREF_INPUT;
        o->C = c->net->in_C, o->H = c->net->in_H, o->W = c->net->in_W;
        o->s = s, o->zp_u = zp_u, o->bits = q.bits, o->tbits = q.bits;
        return QA_OK;
    case QV_GAP: {
        /* the pooled mean rounded to codes: the reference keeps the exact
         * sum (quant/int/README.md) */
        const char *name = o->name;
        *o = c->vals[xv.src];
        o->name = name;
        o->kind = QV_ACT, o->gap = 1, o->tbits = q.bits;
        return QA_OK;
    }
    case QV_LOGITS: {
        const char *name = o->name;
        *o = xv;
        o->name = name;
        return QA_OK;
    }
    case QV_DQ: {
        /* quantized again with the same parameters (PyTorch's exporter
         * does so around a Flatten): the same codes */
        if (!same_q(&xv, s, zp_u) || xv.tbits != q.bits)
            return qerr(c, "requantizes '%s' (scale %g, zero point %d) with other parameters: "
                        "a float op between quantized layers", xv.name, xv.s, xv.zp_u - off);
        const char *name = o->name;
        *o = xv;
        o->name = name;
        o->kind = QV_ACT;
        return QA_OK;
    }
    case QV_PEND: {
        const QVal *p = &c->vals[x];
        if (p->pk == P_CONV)
            return finish_conv(c, p, &q, s, zp_u, o);
        if (p->pk == P_ADD)
            return finish_add(c, p, &q, s, zp_u, o);
        if (p->pk == P_GEMM)
            return finish_gemm(c, p, o);
        return finish_pool(c, p, s, zp_u, q.bits, o);
    }
    default:
        return qerr(c, "quantizes a tensor that is not a constant, the input or a layer's "
                    "float result");
    }
}

/* Bits declared for the weights `name` in the model's metadata
 * (ONNXQ_WBITS_KEY name = "B"); 0 when none. */
static int declared_bits(QCtx *c, const char *name, int *bits)
{
    const Onnx__ModelProto *m = c->model;
    size_t kl = strlen(ONNXQ_WBITS_KEY);
    *bits = 0;
    for (size_t i = 0; i < m->n_metadata_props; i++) {
        const char *k = m->metadata_props[i]->key, *v = m->metadata_props[i]->value;
        if (!k || strncmp(k, ONNXQ_WBITS_KEY, kl) || strcmp(k + kl, name))
            continue;
        char *end;
        long b = v ? strtol(v, &end, 10) : 0;
        if (!v || end == v || *end || b < 1 || b > 16)
            return qerr(c, "metadata %s = '%s': weight bits are 1..16", k, v ? v : "");
        *bits = (int)b;
    }
    return QA_OK;
}

static int n_dequantize(QCtx *c)
{
    int x = in_val(c, 0, 1);
    if (x < 0)
        return QA_ERR;
    QVal xv = c->vals[x];
    QParams q;
    if (xv.kind == QV_CONST) {
        if (qparams(c, xv.rank, xv.dims, xv.dtype, &q))
            return QA_ERR;
        if (xv.dtype != q.dt && !(xv.dtype == T_INT32 && q.dt == T_INT32))
            return qerr(c, "codes of %s, zero point of %s", type_name(xv.dtype),
                        type_name(q.dt));
        for (int64_t i = 0; i < xv.n; i++)
            if (xv.v[i] < q.lo || xv.v[i] > q.hi || xv.v[i] != trunc(xv.v[i]))
                return qerr(c, "code %g outside %s", xv.v[i], type_name(q.dt));
        QVal *o = out_val(c);
        if (!o || copy_const(c, &xv, o))
            return QA_ERR;
        if (q.n > 1 && q.axis != 0)
            return qerr(c, "per-channel axis %d: weights are read per output channel "
                        "(axis 0)", q.axis);
        o->kind = QV_QCONST;
        o->nq = q.n, o->axis = q.axis;
        o->tlo = q.lo, o->thi = q.hi, o->tbits = q.bits;
        if (declared_bits(c, xv.name, &o->wbits))
            return QA_ERR;
        o->scale = qa_malloc(sizeof(double) * (size_t)q.n);
        o->zp = qa_malloc(sizeof(double) * (size_t)q.n);
        if (!o->scale || !o->zp)
            return qerr(c, "out of memory");
        for (int64_t k = 0; k < q.n; k++)
            o->scale[k] = q.s[k], o->zp[k] = qp_zp(&q, k);
        return QA_OK;
    }
    if (xv.kind == QV_LOGITS) {
        QVal *o = out_val(c);
        if (!o)
            return QA_ERR;
        const char *name = o->name;
        *o = xv;
        o->name = name;
        return QA_OK;
    }
    if (xv.kind == QV_PEND && xv.pk == P_MAXPOOL && c->vals[xv.in[0]].kind == QV_ACT) {
        /* a MaxPool of codes (QLinear models pool uint8 tensors) */
        if (qparams(c, 4, NULL, 0, &q) || narrow(c, q.bits) ||
            finish_pool(c, &xv, q.s[0], (int)qp_zp(&q, 0) + uoff(&q), q.bits, &c->vals[x]))
            return QA_ERR;
        xv = c->vals[x];
    }
    if (xv.kind != QV_ACT)
        return qerr(c, "dequantizes a tensor that is not quantized");
    if (qparams(c, 4, NULL, 0, &q) || narrow(c, q.bits))
        return QA_ERR;
    if ((int)qp_zp(&q, 0) + uoff(&q) != xv.zp_u || q.bits != xv.tbits)
        return qerr(c, "zero point %g of %s differs from the QuantizeLinear's (%d of %d-bit "
                    "codes)", qp_zp(&q, 0), type_name(q.dt), xv.zp_u - uoff(&q), xv.tbits);
    QVal *o = out_val(c);
    if (!o)
        return QA_ERR;
    /* the codes with this node's scale (a consumer may see them rescaled:
     * onnx_out.c writes an add's code input so) */
    const char *name = o->name;
    *o = xv;
    o->name = name;
    o->kind = QV_DQ, o->src = x, o->s = q.s[0];
    return QA_OK;
}

static int need_dq(QCtx *c, int x, const char *what)
{
    if (x < 0)
        return QA_ERR;
    if (c->vals[x].kind != QV_DQ) {
        if (c->vals[x].kind == QV_PEND || c->vals[x].kind == QV_FIN)
            return qerr(c, "%s '%s' is a float result: a float op between quantized layers "
                        "(quantize it with QuantizeLinear first)", what, c->vals[x].name);
        return qerr(c, "%s '%s' is not a dequantized activation", what, c->vals[x].name);
    }
    if (c->vals[c->vals[x].src].gap)
        return qerr(c, "%s '%s' is a pooled mean: only a Gemm / MatMul may follow global "
                    "pooling", what, c->vals[x].name);
    return QA_OK;
}

static int n_conv(QCtx *c)
{
    int x = in_val(c, 0, 1), w = in_val(c, 1, 1), b = in_val(c, 2, 0);
    if (need_dq(c, x, "input") || w < 0 || b < -1)
        return QA_ERR;
    if (c->vals[w].kind != QV_QCONST)
        return qerr(c, "float weights: the weights must be a dequantized constant");
    if (narrow(c, c->vals[w].tbits))
        return QA_ERR;
    if (c->vals[w].rank != 4)
        return qerr(c, "weights of rank %d: the array runs 2-D convolutions", c->vals[w].rank);
    QVal *o = out_val(c);
    if (!o)
        return QA_ERR;
    o->kind = QV_PEND, o->pk = P_CONV, o->node = c->node;
    o->in[0] = x, o->in[1] = w, o->in[2] = b;
    return QA_OK;
}

static int n_gemm(QCtx *c)
{
    int x = in_val(c, 0, 1), w = in_val(c, 1, 1), b = in_val(c, 2, 0);
    if (x < 0 || w < 0 || b < -1)
        return QA_ERR;
    const QVal *xv = &c->vals[x];
    int src = xv->kind == QV_GAP ? xv->src
              : xv->kind == QV_DQ && xv->gap ? x : -1;
    if (src < 0)
        return qerr(c, "input '%s' is not globally pooled: qarray's integer classifier is "
                    "global average pooling and one Gemm", xv->name);
    if (c->vals[w].kind != QV_QCONST || c->vals[w].rank != 2)
        return qerr(c, "the weights must be a dequantized 2-D constant");
    if (narrow(c, c->vals[w].tbits))
        return QA_ERR;
    if (!strcmp(c->node->op_type, "Gemm") &&
        (attr_int(c->node, "transA", 0) ||
         (attr(c->node, "alpha") && attr(c->node, "alpha")->f != 1.0f) ||
         (attr(c->node, "beta") && attr(c->node, "beta")->f != 1.0f)))
        return qerr(c, "transA, alpha or beta other than 0, 1, 1");
    QVal *o = out_val(c);
    if (!o)
        return QA_ERR;
    o->kind = QV_PEND, o->pk = P_GEMM, o->node = c->node;
    o->in[0] = src, o->in[1] = w, o->in[2] = b;
    return QA_OK;
}

static int n_add(QCtx *c)
{
    int a = in_val(c, 0, 1), b = in_val(c, 1, 1);
    if (a < 0 || b < 0)
        return QA_ERR;
    QVal *va = &c->vals[a];
    /* a bias added after a Conv, Gemm or MatMul (its second part) */
    if (va->kind == QV_PEND && (va->pk == P_GEMM || va->pk == P_CONV) && !va->relu &&
        !va->clip && (va->in[2] < 0 || va->bias2 < 0) &&
        (c->vals[b].kind == QV_CONST || c->vals[b].kind == QV_QCONST)) {
        QVal *o = out_val(c);
        if (!o)
            return QA_ERR;
        QVal p = c->vals[a];
        p.name = o->name;
        if (p.in[2] < 0)
            p.in[2] = b;
        else
            p.bias2 = b;
        *o = p;
        o->v = o->scale = o->zp = NULL;
        return QA_OK;
    }
    /* a conv's float result may come in unquantized: a residual branch */
    for (int j = 0; j < 2; j++) {
        const QVal *v = &c->vals[j ? b : a];
        if (!(v->kind == QV_PEND && v->pk == P_CONV && !v->relu && !v->clip) &&
            need_dq(c, j ? b : a, "input"))
            return QA_ERR;
    }
    QVal *o = out_val(c);
    if (!o)
        return QA_ERR;
    o->kind = QV_PEND, o->pk = P_ADD, o->node = c->node;
    o->in[0] = a, o->in[1] = b;
    return QA_OK;
}

static int n_act(QCtx *c)
{
    int x = in_val(c, 0, 1);
    if (x < 0)
        return QA_ERR;
    QVal xv = c->vals[x];
    if (xv.kind != QV_PEND || xv.pk == P_GEMM || xv.pk == P_MAXPOOL)
        return qerr(c, "follows no conv or add: a float op between quantized layers");
    int is_clip = !strcmp(c->node->op_type, "Clip");
    double lo = -(double)INFINITY, hi = (double)INFINITY;
    if (is_clip) {
        int a = in_val(c, 1, 0), b = in_val(c, 2, 0);
        if (a < -1 || b < -1)
            return QA_ERR;
        if ((a >= 0 && (!is_const(c, a) || c->vals[a].n != 1)) ||
            (b >= 0 && (!is_const(c, b) || c->vals[b].n != 1)))
            return qerr(c, "min and max must be scalar constants");
        const Onnx__AttributeProto *amin = attr(c->node, "min"), *amax = attr(c->node, "max");
        lo = a >= 0 ? c->vals[a].v[0] : amin ? (double)amin->f : lo;
        hi = b >= 0 ? c->vals[b].v[0] : amax ? (double)amax->f : hi;
        if (!(lo <= hi))
            return qerr(c, "min %g above max %g", lo, hi);
    }
    QVal *o = out_val(c);
    if (!o)
        return QA_ERR;
    const char *name = o->name;
    *o = xv;
    o->name = name;
    o->v = o->scale = o->zp = NULL;
    if (is_clip) {
        o->clip_lo = o->clip ? fmax(o->clip_lo, lo) : lo;
        o->clip_hi = o->clip ? fmin(o->clip_hi, hi) : hi;
        o->clip = 1;
    } else {
        o->relu = 1;
    }
    return QA_OK;
}

static int n_pool(QCtx *c)
{
    int x = in_val(c, 0, 1);
    if (x < 0)
        return QA_ERR;
    if (!strcmp(c->node->op_type, "GlobalAveragePool")) {
        if (need_dq(c, x, "input"))
            return QA_ERR;
        QVal *o = out_val(c);
        if (!o)
            return QA_ERR;
        o->kind = QV_GAP, o->src = x;
        return QA_OK;
    }
    if (c->node->n_output > 1 && c->node->output[1][0])
        return qerr(c, "the Indices output is not supported");
    if (c->vals[x].kind == QV_ACT) {
        /* MaxPool on the codes themselves: make it pending on a DQ view */
        QVal *o = out_val(c);
        if (!o)
            return QA_ERR;
        o->kind = QV_PEND, o->pk = P_MAXPOOL, o->node = c->node, o->in[0] = x;
        return QA_OK;
    }
    if (need_dq(c, x, "input"))
        return QA_ERR;
    QVal *o = out_val(c);
    if (!o)
        return QA_ERR;
    o->kind = QV_PEND, o->pk = P_MAXPOOL, o->node = c->node, o->in[0] = x;
    return QA_OK;
}

/* ---- QLinearConv, QLinearMatMul ---- */

/* Input k of a QLinear op: codes of a quantized activation whose scale and
 * zero point are inputs ks, kz (a pending MaxPool of codes becomes its
 * op here). Its index; -1 on error. */
static int qlin_codes(QCtx *c, size_t k, size_t ks, size_t kz)
{
    int x = in_val(c, k, 1);
    QParams q;
    if (x < 0 || qparams_at(c, ks, kz, 1, 4, NULL, 0, &q) || narrow(c, q.bits))
        return -1;
    int zp_u = (int)qp_zp(&q, 0) + uoff(&q);
    QVal *v = &c->vals[x];
    if (v->kind == QV_PEND && v->pk == P_MAXPOOL && c->vals[v->in[0]].kind == QV_ACT) {
        QVal p = *v;
        if (finish_pool(c, &p, q.s[0], zp_u, q.bits, v))
            return -1;
    }
    if (v->kind != QV_ACT || v->gap)
        return qerr(c, "input '%s' is not the codes of a quantized feature map", v->name), -1;
    if (!same_q(v, q.s[0], zp_u) || v->tbits != q.bits)
        return qerr(c, "input scale %g, zero point %d of %d-bit codes: '%s' has %g, %d of "
                    "%d-bit codes", q.s[0], zp_u - uoff(&q), q.bits, v->name, v->s,
                    v->zp_u - uoff(&q), v->tbits), -1;
    return x;
}

/* Weights of a QLinear op: the int8 or uint8 constant at input k, of rank
 * `rank`, with scale ks and zero point kz per tensor or along `axis`; a
 * hidden dequantized constant. Its index; -1 on error. */
static int qlin_weights(QCtx *c, size_t k, size_t ks, size_t kz, int rank, int axis)
{
    int w = in_val(c, k, 1);
    if (w < 0)
        return -1;
    if (!is_const(c, w) || c->vals[w].rank != rank)
        return qerr(c, "the weights '%s' must be a constant of rank %d", c->vals[w].name,
                    rank), -1;
    QParams q;
    if (qparams_at(c, ks, kz, axis, rank, c->vals[w].dims, c->vals[w].dtype, &q))
        return -1;
    if (c->vals[w].dtype != q.dt || (q.dt != T_INT8 && q.dt != T_UINT8))
        return qerr(c, "weights of %s, zero point of %s: QLinear weights are int8 or uint8",
                    type_name(c->vals[w].dtype), type_name(q.dt)), -1;
    int h = add_hidden(c);
    if (h < 0 || copy_const(c, &c->vals[w], &c->vals[h]))
        return -1;
    QVal *o = &c->vals[h];
    o->kind = QV_QCONST;
    o->nq = q.n, o->axis = q.n > 1 ? q.axis : 0;
    o->tlo = q.lo, o->thi = q.hi, o->tbits = q.bits;
    o->scale = qa_malloc(sizeof(double) * (size_t)q.n);
    o->zp = qa_malloc(sizeof(double) * (size_t)q.n);
    if (!o->scale || !o->zp)
        return qerr(c, "out of memory"), -1;
    for (int64_t j = 0; j < q.n; j++)
        o->scale[j] = q.s[j], o->zp[j] = qp_zp(&q, j);
    return h;
}

/* QLinearConv: a conv of codes to codes; the int32 bias B is in units of
 * x_scale * w_scale, so it enters the requantization exactly (B * mult). */
static int n_qlinear_conv(QCtx *c)
{
    int x = qlin_codes(c, 0, 1, 2);
    if (x < 0)
        return QA_ERR;
    int w = qlin_weights(c, 3, 4, 5, 4, 0);
    if (w < 0 || narrow(c, c->vals[w].tbits))
        return QA_ERR;
    int b = in_val(c, 8, 0);
    if (b < -1)
        return QA_ERR;
    int64_t K = c->vals[w].dims[0];
    if (b >= 0 && (!is_const(c, b) || c->vals[b].dtype != T_INT32 || c->vals[b].n != K))
        return qerr(c, "the bias '%s' must be an int32 constant of %lld values (x_scale x "
                    "w_scale units)", c->vals[b].name, (long long)K);
    QParams q;
    if (qparams_at(c, 6, 7, 1, 4, NULL, 0, &q) || narrow(c, q.bits))
        return QA_ERR;
    int p = add_hidden(c);
    if (p < 0)
        return QA_ERR;
    QVal *pv = &c->vals[p];
    pv->kind = QV_PEND, pv->pk = P_CONV, pv->node = c->node, pv->qlin = 1;
    pv->in[0] = x, pv->in[1] = w, pv->in[2] = b;
    QVal *o = out_val(c);
    if (!o)
        return QA_ERR;
    QVal pc = c->vals[p];
    return finish_conv(c, &pc, &q, q.s[0], (int)qp_zp(&q, 0) + uoff(&q), o);
}

/* QLinearMatMul after global pooling: the classifier. As after a Gemm, the
 * logits stay exact int64 (their output quantization is not applied). */
static int n_qlinear_matmul(QCtx *c)
{
    int a = in_val(c, 0, 1);
    QParams q;
    if (a < 0 || qparams_at(c, 1, 2, 1, 2, NULL, 0, &q) || narrow(c, q.bits))
        return QA_ERR;
    if (c->vals[a].kind != QV_ACT || !c->vals[a].gap)
        return qerr(c, "input '%s' is not globally pooled codes: qarray's integer classifier "
                    "is global average pooling and one matrix product", c->vals[a].name);
    int w = qlin_weights(c, 3, 4, 5, 2, 1);
    if (w < 0 || narrow(c, c->vals[w].tbits))
        return QA_ERR;
    if (c->vals[w].nq > 1)
        return qerr(c, "per-column weight scales: the integer logits share one scale");
    if (qparams_at(c, 6, 7, 1, 2, NULL, 0, &q))
        return QA_ERR;
    int p = add_hidden(c);
    if (p < 0)
        return QA_ERR;
    QVal *pv = &c->vals[p];
    pv->kind = QV_PEND, pv->pk = P_GEMM, pv->node = c->node;
    pv->in[0] = a, pv->in[1] = w;
    QVal *o = out_val(c);
    if (!o)
        return QA_ERR;
    QVal pc = c->vals[p];
    return finish_gemm(c, &pc, o);
}

/* ---- QONNX Quant / IntQuant ---- */

/* The QONNX op domains (Brevitas exports these). */
static int qonnx_domain(const char *d)
{
    return d && (!strcmp(d, "qonnx.custom_op.general") || !strcmp(d, "finn.custom_op.general") ||
                 !strcmp(d, "onnx.brevitas"));
}

/* Quant / IntQuant (x, scale, zeropt, bitwidth; signed, narrow,
 * rounding_mode): y = (clamp(round(x / scale + zeropt), lo, hi) - zeropt) *
 * scale, a float. lo..hi: -2^(b-1) + narrow .. 2^(b-1) - 1 signed, 0 ..
 * 2^b - 1 - narrow unsigned. A constant becomes weight codes (b bits, any
 * of the three roundings); anything else (ROUND only) is quantized as by
 * QuantizeLinear and the output is its dequantized view. */
static int n_qonnx(QCtx *c)
{
    int x = in_val(c, 0, 1), is = in_val(c, 1, 1), iz = in_val(c, 2, 1), ib = in_val(c, 3, 1);
    if (x < 0 || is < 0 || iz < 0 || ib < 0)
        return QA_ERR;
    if (!is_const(c, is) || !is_const(c, iz) || !is_const(c, ib))
        return qerr(c, "scale, zero point and bit width must be constants");
    const QVal *S = &c->vals[is], *Z = &c->vals[iz], *Bw = &c->vals[ib];
    if (Bw->n != 1)
        return qerr(c, "%lld bit widths: one per tensor", (long long)Bw->n);
    double bw = Bw->v[0];
    if (!(bw == trunc(bw)) || bw < 2 || bw > 32)
        return qerr(c, "bit width %g: an integer of 2..32 bits", bw);
    int bits = (int)bw;
    const QVal *xv = &c->vals[x];
    int w = xv->kind == QV_CONST;
    /* a 1-D constant is a bias (int32 codes); weights and activations are
     * codes the array moves */
    if (!(w && xv->rank == 1) && narrow(c, bits))
        return QA_ERR;
    int sgn = (int)attr_int(c->node, "signed", 1), nar = (int)attr_int(c->node, "narrow", 0);
    if ((sgn != 0 && sgn != 1) || (nar != 0 && nar != 1))
        return qerr(c, "signed %d, narrow %d: each 0 or 1", sgn, nar);
    const Onnx__AttributeProto *ra = attr(c->node, "rounding_mode");
    char rm[16] = "ROUND";
    if (ra && ra->has_s)
        snprintf(rm, sizeof rm, "%.*s", ra->s.len < 15 ? (int)ra->s.len : 15,
                 (const char *)ra->s.data);
    int mode = !strcmp(rm, "ROUND") ? 0 : !strcmp(rm, "FLOOR") ? 1
               : !strcmp(rm, "ROUND_TO_ZERO") ? 2 : -1;
    if (mode < 0)
        return qerr(c, "rounding_mode %s: ROUND, ROUND_TO_ZERO and FLOOR are read", rm);
    QParams q;
    memset(&q, 0, sizeof q);
    if (bits == 32 && !sgn)
        return qerr(c, "unsigned 32-bit codes: a bias is int32");
    q.bits = bits;
    q.lo = (int)(sgn ? -ldexp(1, bits - 1) + nar : 0);
    q.hi = (int)(sgn ? ldexp(1, bits - 1) - 1 : ldexp(1, bits) - 1 - nar);
    q.dt = bits > 16 ? T_INT32 : sgn ? (bits > 8 ? T_INT16 : T_INT8)
                                      : (bits > 8 ? T_UINT16 : T_UINT8);
    q.n = S->n, q.s = S->v, q.zp = Z->v;
    if (S->n < 1)
        return qerr(c, "empty scale");
    if (Z->n != S->n && Z->n != 1)
        return qerr(c, "%lld scales but %lld zero points", (long long)S->n, (long long)Z->n);
    if (S->n > 1) {
        /* per output channel: shape (K), or (K, 1, 1, 1) broadcast */
        int ok = w && xv->rank >= 1 && S->n == xv->dims[0];
        for (int d = 1; d < S->rank && ok; d++)
            ok = S->dims[d] == 1;
        if (!ok)
            return qerr(c, "%lld scales: per channel along the weights' first axis only "
                        "(one scale per tensor is what the array's requantization takes)",
                        (long long)S->n);
    }
    for (int64_t k = 0; k < S->n; k++) {
        if (!(S->v[k] > 0) || !isfinite(S->v[k]) || !(S->v[k] <= (double)FLT_MAX))
            return qerr(c, "scale %g: scales must be finite and positive", S->v[k]);
        double z = Z->v[Z->n > 1 ? k : 0];
        if (z != trunc(z) || z < q.lo || z > q.hi)
            return qerr(c, "zero point %g: an integer within the codes %d..%d", z, q.lo, q.hi);
    }
    int64_t nz = Z->n; /* S and Z move when a value is added */
    if (w) {
        QVal *o = out_val(c);
        if (!o || copy_const(c, &c->vals[x], o))
            return QA_ERR;
        xv = &c->vals[x];
        int64_t per = xv->n / q.n;
        for (int64_t i = 0; i < xv->n; i++) {
            int64_t k = q.n > 1 ? i / per : 0;
            double r = xv->v[i] / q.s[k] + q.zp[nz > 1 ? k : 0];
            if (isnan(r))
                return qerr(c, "weight %lld is not a number", (long long)i);
            double v = mode == 0 ? nearbyint(r) : mode == 1 ? floor(r) : trunc(r);
            o->v[i] = v < q.lo ? q.lo : v > q.hi ? q.hi : v;
        }
        o->kind = QV_QCONST, o->dtype = q.dt;
        o->nq = q.n, o->axis = 0;
        o->tlo = q.lo, o->thi = q.hi, o->tbits = bits;
        o->scale = qa_malloc(sizeof(double) * (size_t)q.n);
        o->zp = qa_malloc(sizeof(double) * (size_t)q.n);
        if (!o->scale || !o->zp)
            return qerr(c, "out of memory");
        for (int64_t k = 0; k < q.n; k++)
            o->scale[k] = q.s[k], o->zp[k] = q.zp[nz > 1 ? k : 0];
        return QA_OK;
    }
    if (mode != 0)
        return qerr(c, "rounding_mode %s of an activation: the array's requantization "
                    "rounds to nearest (ROUND)", rm);
    int h = add_hidden(c);
    if (h < 0)
        return QA_ERR;
    QVal *o = out_val(c);
    if (!o)
        return QA_ERR;
    QVal a = c->vals[h];
    if (quantize_to(c, x, &q, &a))
        return QA_ERR;
    c->vals[h] = a;
    o = &c->vals[c->nvals - 1];
    const char *name = o->name;
    *o = a;
    o->name = name;
    if (a.kind != QV_LOGITS) /* logits stay exact, as after QuantizeLinear */
        o->kind = QV_DQ, o->src = h;
    return QA_OK;
}

typedef struct {
    const char *op;
    int (*fn)(QCtx *c);
} QHandler;

static const QHandler handlers[] = {
    {"Constant", n_constant}, {"ConstantOfShape", n_constant_of_shape},
    {"Identity", n_alias}, {"Cast", n_alias}, {"Flatten", n_alias}, {"Reshape", n_alias},
    {"Squeeze", n_alias}, {"Unsqueeze", n_alias},
    {"QuantizeLinear", n_quantize}, {"DequantizeLinear", n_dequantize},
    {"Conv", n_conv}, {"Gemm", n_gemm}, {"MatMul", n_gemm}, {"Add", n_add},
    {"Relu", n_act}, {"Clip", n_act}, {"MaxPool", n_pool}, {"GlobalAveragePool", n_pool},
    {"QLinearConv", n_qlinear_conv}, {"QLinearMatMul", n_qlinear_matmul},
};

/* ---- the model ---- */

static int graph_input(QCtx *c, const Onnx__ValueInfoProto *vi)
{
    const Onnx__TypeProto *t = vi->type;
    if (!t || t->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !t->tensor_type ||
        !t->tensor_type->shape)
        return qerr(c, "input '%s' has no tensor shape", vi->name ? vi->name : "?");
    const Onnx__TensorShapeProto *s = t->tensor_type->shape;
    if (s->n_dim != 4)
        return qerr(c, "input '%s' has rank %zu: the integer network takes N x C x H x W",
                    vi->name, s->n_dim);
    int64_t d[4];
    for (int i = 0; i < 4; i++) {
        const Onnx__TensorShapeProto__Dimension *dm = s->dim[i];
        d[i] = dm->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE
                   ? dm->dim_value : (i == 0 ? 1 : -1);
        if (d[i] < 1 || d[i] > 65536)
            return qerr(c, "input '%s': dimension %d is not a size 1..65536", vi->name, i);
    }
    if (d[0] != 1)
        return qerr(c, "input '%s' has batch %lld: give one image (batch 1)", vi->name,
                    (long long)d[0]);
    c->net->in_C = (int)d[1], c->net->in_H = (int)d[2], c->net->in_W = (int)d[3];
    QVal *v = add_val(c, vi->name);
    if (!v)
        return QA_ERR;
    v->kind = QV_FIN;
    c->have_input = 1;
    return QA_OK;
}

static int run(QCtx *c)
{
    const Onnx__ModelProto *m = c->model;
    const Onnx__GraphProto *g = m->graph;
    if (!g)
        return qerr(c, "no graph");
    for (size_t i = 0; i < m->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *op = m->opset_import[i];
        if ((!op->domain || !op->domain[0]) && (op->version < 10 || op->version > 21))
            return qerr(c, "opset %lld: quantized models are read for opsets 10..21",
                        (long long)op->version);
    }
    for (size_t i = 0; i < g->n_initializer; i++) {
        QVal *v = add_val(c, g->initializer[i]->name);
        if (!v || from_tensor(c, g->initializer[i], v))
            return QA_ERR;
    }
    for (size_t i = 0; i < g->n_input; i++) {
        if (!g->input[i]->name)
            return qerr(c, "an input without a name");
        if (find(c, g->input[i]->name) >= 0)
            continue; /* an initializer listed as input */
        if (c->have_input)
            return qerr(c, "a second data input '%s': the integer network has one",
                        g->input[i]->name);
        if (graph_input(c, g->input[i]))
            return QA_ERR;
    }
    if (!c->have_input)
        return qerr(c, "no data input");
    for (size_t i = 0; i < g->n_node; i++) {
        c->node = g->node[i];
        const char *op = c->node->op_type ? c->node->op_type : "";
        if (qonnx_domain(c->node->domain)) {
            if (strcmp(op, "Quant") && strcmp(op, "IntQuant"))
                return qerr(c, "%s of domain '%s': Quant and IntQuant are read", op,
                            c->node->domain);
            if (n_qonnx(c))
                return QA_ERR;
            continue;
        }
        if (c->node->domain && c->node->domain[0] && strcmp(c->node->domain, "ai.onnx"))
            return qerr(c, "op of domain '%s' is not read", c->node->domain);
        size_t k;
        for (k = 0; k < QA_COUNT(handlers) && strcmp(handlers[k].op, op); k++)
            ;
        if (k == QA_COUNT(handlers))
            return qerr(c, "%s cannot run as integers on the array (quantized models take "
                        "QuantizeLinear, DequantizeLinear, QLinearConv, QLinearMatMul, Conv, "
                        "Gemm, MatMul, Add, Relu, Clip, MaxPool, GlobalAveragePool and "
                        "shape-only ops)", op);
        if (handlers[k].fn(c))
            return QA_ERR;
    }
    c->node = NULL;
    if (g->n_output != 1)
        return qerr(c, "%zu outputs: the integer network has one (the logits)", g->n_output);
    if (!g->output[0]->name)
        return qerr(c, "an output without a name");
    int o = find(c, g->output[0]->name);
    if (o < 0)
        return qerr(c, "output '%s' is not computed", g->output[0]->name);
    if (c->vals[o].kind == QV_PEND && c->vals[o].pk == P_GEMM) {
        QVal *v = &c->vals[o];
        if (finish_gemm(c, v, v))
            return QA_ERR;
    }
    if (c->vals[o].kind != QV_LOGITS)
        return qerr(c, "output '%s' is not the classifier's (global pooling + Gemm)",
                    g->output[0]->name);
    if (c->net->ops[c->net->n - 1].kind != IOP_GAPFC || c->net->n - 1 != c->vals[o].op)
        return qerr(c, "the classifier must be the last layer");
    return intref_validate(c->net, c->e);
}

int onnxq_load_buffer(INet *net, const char *name, const uint8_t *buf, size_t len, Err *e)
{
    intref_init(net);
    QCtx c;
    memset(&c, 0, sizeof c);
    c.path = name, c.net = net, c.e = e;
    c.model = onnx__model_proto__unpack(NULL, len, buf);
    if (!c.model)
        return err_set(e, name, 0, NULL, "not an ONNX model (protobuf parse failed)");
    int rc = run(&c);
    if (rc && !e->file[0])
        snprintf(e->file, sizeof e->file, "%s", name);
    free_vals(&c);
    onnx__model_proto__free_unpacked(c.model, NULL);
    if (rc)
        intref_free(net);
    return rc;
}

int onnxq_load(INet *net, const char *path, Err *e)
{
    intref_init(net);
    uint8_t *buf;
    size_t len;
    if (onnx_read_file(path, &buf, &len, e) != QA_OK)
        return QA_ERR;
    int rc = onnxq_load_buffer(net, path, buf, len, e);
    free(buf);
    return rc;
}
