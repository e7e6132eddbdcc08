/* onnx_out.c: integer network -> QDQ ONNX (onnx_out.h), built with
 * protobuf-c's generated messages. Every message, string and array is
 * allocated from one pool freed at the end. */
#include "quant/int/onnx_out.h"
#include "quant/int/export.h"
#include "quant/int/onnx_q.h"

#include <onnx.pb-c.h>

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { T_FLOAT = 1, T_UINT8 = 2, T_INT8 = 3, T_UINT16 = 4, T_INT16 = 5, T_INT32 = 6,
       T_INT64 = 7, T_INT4 = 22 };

typedef struct {
    void **p;
    size_t n, cap;
    int oom;
    Onnx__GraphProto *g;
    Onnx__StringStringEntryProto **meta; /* the model's metadata_props */
    size_t n_meta;
    const char *path;
    Err *e;
} Pool;

static void *palloc(Pool *P, size_t n)
{
    if (P->oom)
        return NULL;
    if (P->n == P->cap) {
        size_t cap = P->cap ? 2 * P->cap : 256;
        void **q = qa_realloc(P->p, sizeof *q * cap);
        if (!q) {
            P->oom = 1;
            return NULL;
        }
        P->p = q, P->cap = cap;
    }
    void *x = qa_calloc(1, n ? n : 1);
    if (!x) {
        P->oom = 1;
        return NULL;
    }
    return P->p[P->n++] = x;
}

static char *pstr(Pool *P, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *pstr(Pool *P, const char *fmt, ...)
{
    char buf[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char *s = palloc(P, strlen(buf) + 1);
    if (s)
        strcpy(s, buf);
    return s;
}

/* Append x to the array *arr of *n pointers (grown in the pool). */
static void push(Pool *P, void ***arr, size_t *n, void *x)
{
    void **a = palloc(P, sizeof(void *) * (*n + 1));
    if (!a || !x) {
        P->oom = 1;
        return;
    }
    if (*n)
        memcpy(a, *arr, sizeof(void *) * *n);
    a[(*n)++] = x;
    *arr = a;
}

/* An initializer of type dt and shape dims from int64 values (or floats
 * when fv is given); returns its name. */
static char *init(Pool *P, const char *name, int dt, int nd, const int64_t *dims,
                  const int64_t *iv, const float *fv)
{
    Onnx__TensorProto *t = palloc(P, sizeof *t);
    if (!t)
        return NULL;
    onnx__tensor_proto__init(t);
    t->name = pstr(P, "%s", name);
    t->has_data_type = 1, t->data_type = dt;
    t->n_dims = (size_t)nd;
    t->dims = palloc(P, sizeof(int64_t) * (size_t)(nd + 1));
    size_t n = 1;
    for (int d = 0; d < nd && t->dims; d++)
        t->dims[d] = dims[d], n *= (size_t)dims[d];
    size_t es = dt == T_INT4 ? 0 : dt == T_UINT8 || dt == T_INT8 ? 1
              : dt == T_UINT16 || dt == T_INT16 ? 2 : dt == T_INT64 ? 8 : 4;
    size_t bytes = es ? n * es : (n + 1) / 2;
    uint8_t *b = palloc(P, bytes);
    if (!b || !t->dims || !t->name)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        int64_t v = iv ? iv[i] : 0;
        switch (dt) {
        case T_FLOAT: memcpy(b + 4 * i, &fv[i], 4); break;
        case T_UINT8: case T_INT8: b[i] = (uint8_t)v; break;
        case T_UINT16: case T_INT16: { uint16_t x = (uint16_t)v; memcpy(b + 2 * i, &x, 2); break; }
        case T_INT32: { int32_t x = (int32_t)v; memcpy(b + 4 * i, &x, 4); break; }
        case T_INT64: memcpy(b + 8 * i, &v, 8); break;
        case T_INT4: b[i / 2] |= (uint8_t)((v & 15) << (4 * (i % 2))); break;
        default: break;
        }
    }
    t->has_raw_data = 1, t->raw_data.len = bytes, t->raw_data.data = b;
    push(P, (void ***)&P->g->initializer, &P->g->n_initializer, t);
    return t->name;
}

static char *scalar_f(Pool *P, const char *name, float v)
{
    return init(P, name, T_FLOAT, 0, NULL, NULL, &v);
}

static char *scalar_i(Pool *P, const char *name, int dt, int64_t v)
{
    return init(P, name, dt, 0, NULL, &v, NULL);
}

static Onnx__NodeProto *node(Pool *P, const char *op, const char *name, int nin,
                             const char *const *in, const char *out)
{
    Onnx__NodeProto *n = palloc(P, sizeof *n);
    if (!n)
        return NULL;
    onnx__node_proto__init(n);
    n->op_type = pstr(P, "%s", op);
    n->name = pstr(P, "%s", name);
    for (int i = 0; i < nin; i++)
        push(P, (void ***)&n->input, &n->n_input, pstr(P, "%s", in[i] ? in[i] : ""));
    push(P, (void ***)&n->output, &n->n_output, pstr(P, "%s", out));
    push(P, (void ***)&P->g->node, &P->g->n_node, n);
    return n;
}

static void attr_i(Pool *P, Onnx__NodeProto *n, const char *name, int64_t v)
{
    Onnx__AttributeProto *a = palloc(P, sizeof *a);
    if (!a || !n)
        return;
    onnx__attribute_proto__init(a);
    a->name = pstr(P, "%s", name);
    a->has_type = 1, a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
    a->has_i = 1, a->i = v;
    push(P, (void ***)&n->attribute, &n->n_attribute, a);
}

static void attr_is(Pool *P, Onnx__NodeProto *n, const char *name, int cnt, const int64_t *v)
{
    Onnx__AttributeProto *a = palloc(P, sizeof *a);
    if (!a || !n)
        return;
    onnx__attribute_proto__init(a);
    a->name = pstr(P, "%s", name);
    a->has_type = 1, a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
    a->ints = palloc(P, sizeof(int64_t) * (size_t)cnt);
    if (!a->ints)
        return;
    a->n_ints = (size_t)cnt;
    memcpy(a->ints, v, sizeof(int64_t) * (size_t)cnt);
    push(P, (void ***)&n->attribute, &n->n_attribute, a);
}

static Onnx__ValueInfoProto *value_info(Pool *P, const char *name, int nd, const int64_t *dims)
{
    Onnx__ValueInfoProto *v = palloc(P, sizeof *v);
    Onnx__TypeProto *t = palloc(P, sizeof *t);
    Onnx__TypeProto__Tensor *tt = palloc(P, sizeof *tt);
    Onnx__TensorShapeProto *s = palloc(P, sizeof *s);
    if (!v || !t || !tt || !s)
        return NULL;
    onnx__value_info_proto__init(v);
    onnx__type_proto__init(t);
    onnx__type_proto__tensor__init(tt);
    onnx__tensor_shape_proto__init(s);
    v->name = pstr(P, "%s", name);
    v->type = t;
    t->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE, t->tensor_type = tt;
    tt->has_elem_type = 1, tt->elem_type = T_FLOAT, tt->shape = s;
    for (int d = 0; d < nd; d++) {
        Onnx__TensorShapeProto__Dimension *dm = palloc(P, sizeof *dm);
        if (!dm)
            return NULL;
        onnx__tensor_shape_proto__dimension__init(dm);
        dm->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
        dm->dim_value = dims[d];
        push(P, (void ***)&s->dim, &s->n_dim, dm);
    }
    return v;
}

/* Codes of an op's output: their tensor names and parameters. */
typedef struct {
    char q[64];    /* the codes (QuantizeLinear's output) */
    char dq[64];   /* the dequantized float tensor (a branch: its float sum) */
    int branch;    /* a residual branch: int32, never quantized */
    int bits;      /* the codes' type bits (8 or 16) */
    float s;       /* scale written (zero point 0), act_scale() */
    float real;    /* the network's scale of these codes */
    int dt;        /* uint8 / uint16 */
} Act;

/* x (float) -> [Clip to bits] -> QuantizeLinear -> DequantizeLinear; fills a. */
static void qdq(Pool *P, const char *x, const char *tag, float s, int bits, Act *a)
{
    a->s = s;
    a->dt = bits > 8 ? T_UINT16 : T_UINT8;
    const char *in = x;
    char clip[64];
    if (bits != 8 && bits != 16) {
        snprintf(clip, sizeof clip, "%s_clip", tag);
        const char *ci[3] = {x, scalar_f(P, pstr(P, "%s_clip_min", tag), 0.0f),
                             scalar_f(P, pstr(P, "%s_clip_max", tag),
                                      s * (float)((1 << bits) - 1))};
        node(P, "Clip", clip, 3, ci, clip);
        in = clip;
    }
    snprintf(a->q, sizeof a->q, "%s_q", tag);
    snprintf(a->dq, sizeof a->dq, "%s_dq", tag);
    a->bits = bits > 8 ? 16 : 8;
    const char *sn = scalar_f(P, pstr(P, "%s_scale", tag), s);
    const char *zn = scalar_i(P, pstr(P, "%s_zero_point", tag), a->dt, 0);
    const char *qi[3] = {in, sn, zn};
    node(P, "QuantizeLinear", a->q, 3, qi, a->q);
    const char *di[3] = {a->q, sn, zn};
    node(P, "DequantizeLinear", a->dq, 3, di, a->dq);
}

/* The activation scale written for a tensor of real scale s: the input's
 * scale times the power of two nearest s. With every activation scale so,
 * s_x / s_y is a power of two and the per-channel weight scale m 2^-sh
 * s_y / s_x holds the 24-bit multiplier exactly (a float has 24 bits),
 * which three arbitrary float scales cannot. The codes are the network's
 * either way; only the real values they stand for are rescaled (the
 * classifier's weight scale takes the factor back, so the logits keep
 * their real scale). */
static float act_scale(float in_scale, float s)
{
    int j = (int)lround(log2((double)s / (double)in_scale));
    return ldexpf(in_scale, j);
}

/* The per-channel weight scale with which the reader (onnx_q.c: M = s_x
 * s_w / s_y in doubles, then intref_multiplier) gets exactly (m, sh). */
static int weight_scale(float s_x, float s_y, int32_t m, int32_t sh, float *out)
{
    int ex, ey;
    frexpf(s_x, &ex), frexpf(s_y, &ey);
    float w = ldexpf((float)m, ey - ex - sh);
    int32_t m2, sh2;
    intref_multiplier((double)s_x * (double)w / (double)s_y, &m2, &sh2);
    *out = w;
    return m2 == m && sh2 == sh && isnormal(w) ? QA_OK : QA_ERR;
}

/* Bias codes b (K) in units `unit`: one int32 DequantizeLinear when they
 * fit, else a high part (units 2^16 unit) and a low part; the reader takes
 * a bias scale that is a power of two times its unit as exact. Returns the
 * high (or only) part's tensor; *lo gets the low part's or NULL. */
static const char *bias(Pool *P, const char *tag, const int64_t *b, int K, const float *unit,
                        int lo_rank, const char **lo, Err *e)
{
    int wide = 0;
    for (int k = 0; k < K; k++)
        wide |= b[k] < INT32_MIN || b[k] > INT32_MAX;
    int64_t *hi = palloc(P, sizeof(int64_t) * (size_t)K), *lw = palloc(P, sizeof(int64_t) * (size_t)K);
    float *su = palloc(P, sizeof(float) * (size_t)K), *sh = palloc(P, sizeof(float) * (size_t)K);
    int64_t *z = palloc(P, sizeof(int64_t) * (size_t)K);
    if (!hi || !lw || !su || !sh || !z)
        return NULL;
    for (int k = 0; k < K; k++) {
        hi[k] = wide ? (b[k] >= 0 ? b[k] / 65536 : -((-b[k] + 65535) / 65536)) : b[k];
        lw[k] = b[k] - hi[k] * 65536;
        su[k] = unit[k];
        sh[k] = wide ? ldexpf(unit[k], 16) : unit[k];
        if (hi[k] < INT32_MIN || hi[k] > INT32_MAX || !isnormal(su[k]) || !isnormal(sh[k])) {
            err_set(e, P->path, 0, tag, "bias %lld in units of %g does not fit two int32 "
                    "parts", (long long)b[k], (double)unit[k]);
            P->oom = 0;
            return NULL;
        }
    }
    int64_t dk[3] = {K, 1, 1};
    const char *hn = init(P, pstr(P, "%s_bias", tag), T_INT32, 1, dk, hi, NULL);
    const char *hs = init(P, pstr(P, "%s_bias_scale", tag), T_FLOAT, 1, dk, NULL, sh);
    const char *hz = init(P, pstr(P, "%s_bias_zero_point", tag), T_INT32, 1, dk, z, NULL);
    const char *hd = pstr(P, "%s_bias_dq", tag);
    const char *in[3] = {hn, hs, hz};
    attr_i(P, node(P, "DequantizeLinear", hd, 3, in, hd), "axis", 0);
    *lo = NULL;
    if (wide) {
        const char *ln = init(P, pstr(P, "%s_bias_low", tag), T_INT32, lo_rank, dk, lw, NULL);
        const char *ls = init(P, pstr(P, "%s_bias_low_scale", tag), T_FLOAT, 1, dk, NULL, su);
        const char *lz = init(P, pstr(P, "%s_bias_low_zero_point", tag), T_INT32, 1, dk, z, NULL);
        const char *ld = pstr(P, "%s_bias_low_dq", tag);
        const char *li[3] = {ln, ls, lz};
        attr_i(P, node(P, "DequantizeLinear", ld, 3, li, ld), "axis", 0);
        *lo = ld;
    }
    return hd;
}

/* The narrowest type holding the weight values (qarray's b-bit codes with
 * a half-step zero point are odd values up to 2^b - 1: b + 1 bits). */
static int wtype(const int16_t *w, size_t n)
{
    int lo = 0, hi = 0;
    for (size_t i = 0; i < n; i++)
        lo = w[i] < lo ? w[i] : lo, hi = w[i] > hi ? w[i] : hi;
    return lo >= -8 && hi <= 7 ? T_INT4 : lo >= -128 && hi <= 127 ? T_INT8 : T_INT16;
}

/* Weights (K x rest) as codes of their container with scales sw (K, or
 * one); returns the dequantized tensor's name. */
static const char *weights(Pool *P, const IOp *op, int nd, const int64_t *dims, const float *sw,
                           int per_channel, int *opset)
{
    size_t n = 1;
    for (int d = 0; d < nd; d++)
        n *= (size_t)dims[d];
    int dt = wtype(op->w, n);
    if (dt != T_INT8)
        *opset = 21;
    int64_t *v = palloc(P, sizeof(int64_t) * n);
    int64_t *z = palloc(P, sizeof(int64_t) * (size_t)op->K);
    if (!v || !z)
        return NULL;
    for (size_t i = 0; i < n; i++)
        v[i] = op->w[i];
    int64_t kd[1] = {op->K};
    const char *wn = init(P, pstr(P, "%s_weight", op->name), dt, nd, dims, v, NULL);
    if (op->w_bits < (dt == T_INT4 ? 4 : dt == T_INT8 ? 8 : 16)) {
        /* fewer bits than the container's (2- and 3-bit codes, APoT): the
         * reader takes them from the metadata (onnx_q.h) */
        Onnx__StringStringEntryProto *kv = palloc(P, sizeof *kv);
        if (kv) {
            onnx__string_string_entry_proto__init(kv);
            kv->key = pstr(P, "%s%s", ONNXQ_WBITS_KEY, wn);
            kv->value = pstr(P, "%d", op->w_bits);
        }
        push(P, (void ***)&P->meta, &P->n_meta, kv);
    }
    const char *sn = init(P, pstr(P, "%s_weight_scale", op->name), T_FLOAT, per_channel, kd,
                          NULL, sw);
    const char *zn = init(P, pstr(P, "%s_weight_zero_point", op->name), dt, per_channel, kd, z,
                          NULL);
    const char *dn = pstr(P, "%s_weight_dq", op->name);
    const char *in[3] = {wn, sn, zn};
    Onnx__NodeProto *nd_ = node(P, "DequantizeLinear", dn, 3, in, dn);
    if (per_channel)
        attr_i(P, nd_, "axis", 0);
    return dn;
}

static int build(Pool *P, const INet *net, int *opset)
{
    Err *e = P->e;
    Act *acts = palloc(P, sizeof(Act) * (size_t)net->n);
    if (!acts)
        return QA_ERR;
    Act in;
    memset(&in, 0, sizeof in);
    if (net->in_bits > 8 || net->in_bits < 1)
        return err_set(e, P->path, 0, "input", "%d-bit input codes", net->in_bits);
    qdq(P, "image", "image", net->in_scale, net->in_bits, &in);
    in.real = net->in_scale;
    for (int i = 0; i < net->n && !P->oom; i++) {
        const IOp *op = &net->ops[i];
        const Act *x = op->in[0] == INTREF_INPUT ? &in : &acts[op->in[0]];
        if (x->branch && op->kind != IOP_ADD)
            return err_set(e, P->path, 0, op->name, "reads an int32 branch: only an add may");
        if (op->out_bits > 16 || op->w_bits > 16)
            return err_set(e, P->path, 0, op->name, "more than 16 bits");
        if (op->kind == IOP_CONV) {
            if (op->out_bits > 8)
                *opset = 21;
            /* a branch: int32 in units of its add's output scale / 2^16 */
            int add = -1;
            for (int j = i + 1; j < net->n && op->out_bits == 0 && add < 0; j++)
                if (net->ops[j].kind == IOP_ADD && (net->ops[j].in[0] == i || net->ops[j].in[1] == i))
                    add = j;
            if (op->out_bits == 0 && add < 0)
                return err_set(e, P->path, 0, op->name, "an int32 branch that no add reads");
            float s_y = op->out_bits ? act_scale(net->in_scale, op->out_scale)
                                     : ldexpf(act_scale(net->in_scale, net->ops[add].out_scale),
                                              -EXPORT_ADD_FRAC_BITS);
            float *sw = palloc(P, sizeof(float) * (size_t)op->K);
            float *unit = palloc(P, sizeof(float) * (size_t)op->K);
            if (!sw || !unit)
                return QA_ERR;
            for (int k = 0; k < op->K; k++) {
                if (weight_scale(x->s, s_y, op->mult[k], op->shift[k], &sw[k]))
                    return err_set(e, P->path, 0, op->name, "channel %d: no float weight "
                                   "scale gives the multiplier %d / 2^%d", k, op->mult[k],
                                   op->shift[k]);
                unit[k] = ldexpf(s_y, -op->shift[k]);
            }
            int64_t wd[4] = {op->K, op->C, op->R, op->S};
            const char *w = weights(P, op, 4, wd, sw, 1, opset);
            const char *lo;
            const char *b = bias(P, op->name, op->bias, op->K, unit, 3, &lo, e);
            if (!b)
                return QA_ERR;
            const char *ci[3] = {x->dq, w, b};
            const char *cn = pstr(P, "%s", op->name);
            Onnx__NodeProto *c = node(P, "Conv", cn, 3, ci, cn);
            int64_t ks[2] = {op->R, op->S}, st[2] = {op->stride, op->stride};
            int64_t pd[4] = {op->pad, op->pad, op->pad, op->pad};
            attr_is(P, c, "kernel_shape", 2, ks);
            attr_is(P, c, "strides", 2, st);
            attr_is(P, c, "pads", 4, pd);
            const char *y = cn;
            if (lo) {
                const char *an = pstr(P, "%s_bias_low_add", op->name);
                const char *ai[2] = {cn, lo};
                node(P, "Add", an, 2, ai, an);
                y = an;
            }
            if (op->out_bits) {
                qdq(P, y, op->name, s_y, op->out_bits, &acts[i]);
            } else {
                snprintf(acts[i].dq, sizeof acts[i].dq, "%s", y);
                acts[i].branch = 1, acts[i].s = s_y;
            }
            acts[i].real = op->out_scale;
        } else if (op->kind == IOP_ADD) {
            /* code inputs dequantized once more with mult 2^-16 s_add, the
             * add's exact rescaling (the reader takes mult back from it);
             * branches come in as they are (mult 1) */
            float s_add = act_scale(net->in_scale, op->out_scale);
            if (op->shift[0] != EXPORT_ADD_FRAC_BITS)
                return err_set(e, P->path, 0, op->name, "shift %d: adds are written with "
                               "shift %d", op->shift[0], EXPORT_ADD_FRAC_BITS);
            const char *ai[2];
            for (int j = 0; j < 2; j++) {
                const Act *v = op->in[j] == INTREF_INPUT ? &in : &acts[op->in[j]];
                if (v->branch) {
                    if (op->mult[j] != 1)
                        return err_set(e, P->path, 0, op->name, "a branch with mult %d",
                                       op->mult[j]);
                    ai[j] = v->dq;
                    continue;
                }
                float sj = ldexpf((float)op->mult[j], -EXPORT_ADD_FRAC_BITS) * s_add;
                const char *dn = pstr(P, "%s_in%d_dq", op->name, j);
                const char *di[3] = {v->q, scalar_f(P, pstr(P, "%s_in%d_scale", op->name, j), sj),
                                     scalar_i(P, pstr(P, "%s_in%d_zero_point", op->name, j),
                                              v->bits > 8 ? T_UINT16 : T_UINT8, 0)};
                node(P, "DequantizeLinear", dn, 3, di, dn);
                ai[j] = dn;
            }
            const char *an = pstr(P, "%s", op->name);
            node(P, "Add", an, 2, ai, an);
            qdq(P, an, pstr(P, "%s_out", op->name), s_add, op->out_bits, &acts[i]);
            acts[i].real = op->out_scale;
        } else if (op->kind == IOP_MAXPOOL) {
            const char *mn = pstr(P, "%s", op->name);
            const char *mi[1] = {x->dq};
            Onnx__NodeProto *m = node(P, "MaxPool", mn, 1, mi, mn);
            int64_t ks[2] = {op->R, op->S}, st[2] = {op->stride, op->stride};
            int64_t pd[4] = {op->pad, op->pad, op->pad, op->pad};
            attr_is(P, m, "kernel_shape", 2, ks);
            attr_is(P, m, "strides", 2, st);
            attr_is(P, m, "pads", 4, pd);
            int bits = op->in[0] == INTREF_INPUT ? net->in_bits
                                                 : net->ops[op->in[0]].out_bits;
            /* no Clip: the pooled codes are already in range */
            qdq(P, mn, pstr(P, "%s_out", op->name), x->s, bits > 8 ? 16 : 8, &acts[i]);
            acts[i].real = x->real;
        } else {
            /* GAPFC: the exact mean (no QuantizeLinear after the pool), the
             * float Gemm; the bias in units of the logit */
            const char *gn = pstr(P, "%s_pool", op->name), *fn = pstr(P, "%s_flat", op->name);
            const char *gi[1] = {x->dq}, *fi[1] = {gn};
            node(P, "GlobalAveragePool", gn, 1, gi, gn);
            node(P, "Flatten", fn, 1, fi, fn);
            float sw = (float)((double)op->w_scale * (double)x->real / (double)x->s);
            double s_l = (double)x->s * (double)sw / (op->H * op->W);
            float *unit = palloc(P, sizeof(float) * (size_t)op->K);
            if (!unit)
                return QA_ERR;
            for (int k = 0; k < op->K; k++)
                unit[k] = (float)s_l;
            int64_t wd[2] = {op->K, op->C};
            const char *w = weights(P, op, 2, wd, &sw, 0, opset);
            const char *lo;
            const char *b = bias(P, op->name, op->bias, op->K, unit, 1, &lo, e);
            if (!b)
                return QA_ERR;
            const char *gm = lo ? pstr(P, "%s", op->name) : "logits";
            const char *mi[3] = {fn, w, b};
            attr_i(P, node(P, "Gemm", gm, 3, mi, gm), "transB", 1);
            if (lo) {
                const char *ai[2] = {gm, lo};
                node(P, "Add", "logits", 2, ai, "logits");
            }
        }
    }
    if (P->oom)
        return err_set(e, P->path, 0, NULL, "out of memory");
    int64_t id[4] = {1, net->in_C, net->in_H, net->in_W}, od[2] = {1, net->classes};
    push(P, (void ***)&P->g->input, &P->g->n_input, value_info(P, "image", 4, id));
    push(P, (void ***)&P->g->output, &P->g->n_output, value_info(P, "logits", 2, od));
    return P->oom ? err_set(e, P->path, 0, NULL, "out of memory") : QA_OK;
}

int onnxq_save(const INet *net, const char *path, int *opset, Err *e)
{
    Pool P;
    memset(&P, 0, sizeof P);
    P.path = path, P.e = e;
    Onnx__ModelProto m;
    Onnx__GraphProto g;
    Onnx__OperatorSetIdProto os;
    onnx__model_proto__init(&m);
    onnx__graph_proto__init(&g);
    onnx__operator_set_id_proto__init(&os);
    P.g = &g;
    g.name = (char *)"qarray";
    *opset = 13;
    uint8_t *buf = NULL;
    int rc = build(&P, net, opset);
    if (rc == QA_OK) {
        os.domain = (char *)"";
        os.has_version = 1, os.version = *opset;
        Onnx__OperatorSetIdProto *osp = &os;
        m.has_ir_version = 1, m.ir_version = *opset >= 21 ? 10 : 7;
        m.n_opset_import = 1, m.opset_import = &osp;
        m.producer_name = (char *)"qarray";
        m.n_metadata_props = P.n_meta, m.metadata_props = P.meta;
        m.graph = &g;
        size_t len = onnx__model_proto__get_packed_size(&m);
        buf = qa_malloc(len + 1);
        if (!buf) {
            rc = err_set(e, path, 0, NULL, "out of memory");
        } else {
            onnx__model_proto__pack(&m, buf);
            AtomicFile af;
            rc = qa_afile_open(&af, path, e);
            if (rc == QA_OK) {
                fwrite(buf, 1, len, af.f);
                rc = qa_afile_commit(&af, e);
            }
        }
    }
    free(buf);
    for (size_t i = 0; i < P.n; i++)
        free(P.p[i]);
    free(P.p);
    return rc;
}

int onnxq_same(const INet *a, const INet *b, Err *e)
{
    if (a->n != b->n || a->in_C != b->in_C || a->in_H != b->in_H || a->in_W != b->in_W ||
        a->in_bits != b->in_bits || a->classes != b->classes)
        return err_set(e, NULL, 0, "graph", "%d ops %dx%dx%d %d-bit input %d classes, read "
                       "back %d ops %dx%dx%d %d-bit %d classes", a->n, a->in_C, a->in_H,
                       a->in_W, a->in_bits, a->classes, b->n, b->in_C, b->in_H, b->in_W,
                       b->in_bits, b->classes);
    for (int i = 0; i < a->n; i++) {
        const IOp *x = &a->ops[i], *y = &b->ops[i];
        const char *f = x->kind != y->kind ? "kind"
                        : x->in[0] != y->in[0] ? "input"
                        : x->C != y->C || x->H != y->H || x->W != y->W || x->K != y->K ||
                          x->P != y->P || x->Q != y->Q ? "shape"
                        : x->R != y->R || x->S != y->S || x->stride != y->stride ||
                          x->pad != y->pad ? "window"
                        : x->w_bits != y->w_bits ? "w_bits"
                        : x->out_bits != y->out_bits ? "out_bits" : NULL;
        size_t nw = x->kind == IOP_CONV ? (size_t)x->K * x->C * x->R * x->S
                    : x->kind == IOP_GAPFC ? (size_t)x->K * x->C : 0;
        size_t nk = x->kind == IOP_CONV ? (size_t)x->K : 0;
        size_t nb = x->kind == IOP_CONV || x->kind == IOP_GAPFC ? (size_t)x->K : 0;
        if (!f && nw && memcmp(x->w, y->w, sizeof(int16_t) * nw))
            f = "weights";
        if (!f && nk && memcmp(x->mult, y->mult, sizeof(int32_t) * nk))
            f = "mult";
        if (!f && nk && memcmp(x->shift, y->shift, sizeof(int32_t) * nk))
            f = "shift";
        if (!f && nb && memcmp(x->bias, y->bias, sizeof(int64_t) * nb))
            f = "bias";
        if (f)
            return err_set(e, NULL, 0, x->name, "%s differs when read back", f);
    }
    return QA_OK;
}
