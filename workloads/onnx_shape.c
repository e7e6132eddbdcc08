/* onnx_shape.c: the ONNX ops that move or describe data: views
 * (Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout, Cast,
 * Transpose, Slice, Split, Expand, Gather by constant indices), shape
 * arithmetic on small constants (Shape, Size, Constant, ConstantOfShape,
 * Range, Where: an exporter writes a reshape's target as Shape -> Gather ->
 * Concat -> Reshape) and the copies (Concat, Pad, Tile of activations).
 *
 * A view makes no layer and costs nothing: the consumer's loads read what
 * it needs (a transpose becomes the consumer's access pattern; its DMA
 * burst efficiency is not modelled). A copy is a vector layer of one lane
 * operation per output element; a Concat of k > 2 activations is k - 1
 * copies (each a two-input layer). */
#include "workloads/onnx_graph.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- views and shape arithmetic ---- */

static int op_identity(OnnxCtx *c, const Onnx__NodeProto *n)
{
    Val *x = ov_in(c, n, 0, 1), *o = ov_out(c, n, 0);
    if (!x || ov_unused_from(c, n, 1) != QA_OK)
        return QA_ERR;
    if (!o)
        return QA_OK;
    if (x->kind == V_ACT)
        return ov_alias(c, x, o);
    if (ov_shape(c, o, x->rank, x->dims) != QA_OK)
        return QA_ERR;
    if (x->kind != V_CONST) {
        o->kind = V_PARAM;
        return QA_OK;
    }
    /* Cast keeps values; to an integer type it drops the fraction */
    int64_t to = ov_attr_int(n, "to", 0);
    int to_int = !strcmp(n->op_type, "Cast") && to != 1 && to != 10 && to != 11 && to != 16;
    if (!x->is_float || to_int) {
        int64_t *v = qa_malloc((size_t)QA_MAX(x->n, 1) * sizeof *v);
        if (!v)
            return err_set(c->e, c->path, 0, NULL, "out of memory");
        for (int64_t i = 0; i < x->n; i++)
            v[i] = ov_int(x, i);
        int rc = ov_set_ints(c, o, v, x->n);
        free(v);
        return rc;
    }
    return ov_set_floats(c, o, x->fv, x->n);
}

static int op_flatten(OnnxCtx *c, const Onnx__NodeProto *n)
{
    Val *x = ov_in(c, n, 0, 1), *o = ov_out(c, n, 0);
    if (!x)
        return QA_ERR;
    int64_t axis = ov_attr_int(n, "axis", 1);
    if (axis < 0)
        axis += x->rank;
    if (axis < 0 || axis > x->rank)
        return ov_err(c, "axis %lld outside 0..%d", (long long)axis, x->rank);
    int64_t dims[2] = {ov_prod(x->dims, (int)axis), ov_prod(x->dims + axis, x->rank - (int)axis)};
    return ov_reshaped(c, x, o, 2, dims);
}

static int op_reshape(OnnxCtx *c, const Onnx__NodeProto *n)
{
    Val *x = ov_in(c, n, 0, 1), *s = ov_in(c, n, 1, 1), *o = ov_out(c, n, 0);
    if (!x || !s)
        return QA_ERR;
    int64_t dims[ONNX_MAX_RANK];
    int rank;
    if (ov_const_ints(c, s, "the target shape", dims, ONNX_MAX_RANK, &rank) != QA_OK)
        return QA_ERR;
    int allowzero = ov_attr_int(n, "allowzero", 0) != 0, minus = -1;
    int64_t known = 1, total = ov_elems(x);
    for (int i = 0; i < rank; i++) {
        if (dims[i] == 0 && !allowzero) {
            if (i >= x->rank)
                return ov_err(c, "target dimension %d is 0 (copy) but the "
                              "input has rank %d", i, x->rank);
            dims[i] = x->dims[i];
        }
        if (dims[i] == -1) {
            if (minus >= 0)
                return ov_err(c, "two -1 dimensions in the target shape");
            minus = i;
            continue;
        }
        if (dims[i] < 0 || dims[i] > ONNX_DIM_MAX)
            return ov_err(c, "target dimension %d is %lld", i, (long long)dims[i]);
        if (dims[i] && known > ONNX_ELEMS_MAX / dims[i])
            return ov_err(c, "the target shape has too many elements");
        known *= dims[i];
    }
    if (minus >= 0) {
        if (known == 0 || total % known)
            return ov_err(c, "cannot infer -1: %lld elements into %lld",
                          (long long)total, (long long)known);
        dims[minus] = total / known;
        known = total;
    }
    if (known != total)
        return ov_err(c, "reshape of %lld elements into %lld", (long long)total,
                      (long long)known);
    return ov_reshaped(c, x, o, rank, dims);
}

/* Axes of Squeeze / Unsqueeze: attribute before opset 13, input after. */
static int axes_of(OnnxCtx *c, const Onnx__NodeProto *n, int64_t *ax, int *na)
{
    if (ov_has_in(n, 1)) {
        Val *a = ov_in(c, n, 1, 1);
        return a ? ov_const_ints(c, a, "axes", ax, ONNX_MAX_RANK, na) : QA_ERR;
    }
    *na = ov_attr_ints(c, n, "axes", ax, ONNX_MAX_RANK);
    return *na < -1 ? QA_ERR : QA_OK;
}

static int op_squeeze(OnnxCtx *c, const Onnx__NodeProto *n)
{
    Val *x = ov_in(c, n, 0, 1), *o = ov_out(c, n, 0);
    int64_t ax[ONNX_MAX_RANK], dims[ONNX_MAX_RANK];
    int na, mask = 0, rank = 0;
    if (!x || axes_of(c, n, ax, &na) != QA_OK)
        return QA_ERR;
    for (int i = 0; i < na; i++) {
        int a;
        if (ov_axis(c, ax[i], x->rank, &a) != QA_OK)
            return QA_ERR;
        if (x->dims[a] != 1)
            return ov_err(c, "squeezing axis %d of size %lld", a,
                          (long long)x->dims[a]);
        mask |= 1 << a;
    }
    for (int i = 0; i < x->rank; i++)
        if (na > 0 ? !(mask >> i & 1) : x->dims[i] != 1)
            dims[rank++] = x->dims[i];
    return ov_reshaped(c, x, o, rank, dims);
}

static int op_unsqueeze(OnnxCtx *c, const Onnx__NodeProto *n)
{
    Val *x = ov_in(c, n, 0, 1), *o = ov_out(c, n, 0);
    int64_t ax[ONNX_MAX_RANK], dims[ONNX_MAX_RANK];
    int na, mask = 0;
    if (!x || axes_of(c, n, ax, &na) != QA_OK)
        return QA_ERR;
    int rank = x->rank + QA_MAX(na, 0);
    if (na < 1 || rank > ONNX_MAX_RANK)
        return ov_err(c, "unsqueeze to rank %d", rank);
    for (int i = 0; i < na; i++) {
        int a;
        if (ov_axis(c, ax[i], rank, &a) != QA_OK)
            return QA_ERR;
        if (mask >> a & 1)
            return ov_err(c, "axis %d given twice", a);
        mask |= 1 << a;
    }
    for (int i = 0, k = 0; i < rank; i++)
        dims[i] = mask >> i & 1 ? 1 : x->dims[k++];
    return ov_reshaped(c, x, o, rank, dims);
}

typedef struct {
    const Val *x;
    const Val *o;
    const int64_t *perm;
} TransArg;

static int64_t src_transpose(const void *arg, int64_t i)
{
    const TransArg *t = arg;
    int64_t idx[ONNX_MAX_RANK], k = 0;
    ov_unflat(i, t->o->rank, t->o->dims, idx);
    int64_t xi[ONNX_MAX_RANK];
    for (int d = 0; d < t->o->rank; d++)
        xi[t->perm[d]] = idx[d];
    for (int d = 0; d < t->x->rank; d++)
        k = k * t->x->dims[d] + xi[d];
    return k;
}

static int op_transpose(OnnxCtx *c, const Onnx__NodeProto *n)
{
    Val *x = ov_in(c, n, 0, 1), *o = ov_out(c, n, 0);
    if (!x)
        return QA_ERR;
    int64_t perm[ONNX_MAX_RANK], dims[ONNX_MAX_RANK];
    int np = ov_attr_ints(c, n, "perm", perm, ONNX_MAX_RANK);
    if (np < -1)
        return QA_ERR;
    if (np < 0)
        for (int i = 0; i < x->rank; i++)
            perm[i] = x->rank - 1 - i;
    else if (np != x->rank)
        return ov_err(c, "perm has %d values for rank %d", np, x->rank);
    int seen = 0;
    for (int i = 0; i < x->rank; i++) {
        if (perm[i] < 0 || perm[i] >= x->rank || (seen >> perm[i] & 1))
            return ov_err(c, "perm is not a permutation of 0..%d", x->rank - 1);
        seen |= 1 << perm[i];
        dims[i] = x->dims[perm[i]];
    }
    if (!o)
        return QA_OK;
    if (x->kind != V_CONST)
        return ov_view(c, x, o, x->rank, dims);
    if (ov_shape(c, o, x->rank, dims) != QA_OK)
        return QA_ERR;
    TransArg t = {x, o, perm};
    return ov_const_move(c, x, o, src_transpose, &t);
}

/* One axis of a slice: start, step and count of the elements taken. */
typedef struct {
    const Val *x;
    const Val *o;
    int64_t start[ONNX_MAX_RANK], step[ONNX_MAX_RANK];
} SliceArg;

static int64_t src_slice(const void *arg, int64_t i)
{
    const SliceArg *s = arg;
    int64_t idx[ONNX_MAX_RANK], k = 0;
    ov_unflat(i, s->o->rank, s->o->dims, idx);
    for (int d = 0; d < s->x->rank; d++)
        k = k * s->x->dims[d] + s->start[d] + idx[d] * s->step[d];
    return k;
}

static int op_slice(OnnxCtx *c, const Onnx__NodeProto *n)
{
    Val *x = ov_in(c, n, 0, 1), *o = ov_out(c, n, 0);
    Val *vs = ov_in(c, n, 1, 1), *ve = ov_in(c, n, 2, 1);
    if (!x || !vs || !ve || (ov_has_in(n, 3) && !ov_in(c, n, 3, 1)) ||
        (ov_has_in(n, 4) && !ov_in(c, n, 4, 1)))
        return QA_ERR;
    int64_t st[ONNX_MAX_RANK], en[ONNX_MAX_RANK], ax[ONNX_MAX_RANK], sp[ONNX_MAX_RANK];
    int ns, ne, na, nsp;
    if (ov_const_ints(c, vs, "starts", st, ONNX_MAX_RANK, &ns) ||
        ov_const_ints(c, ve, "ends", en, ONNX_MAX_RANK, &ne))
        return QA_ERR;
    if (ov_has_in(n, 3)) {
        if (ov_const_ints(c, ov_in(c, n, 3, 1), "axes", ax, ONNX_MAX_RANK, &na))
            return QA_ERR;
    } else {
        na = ns;
        for (int i = 0; i < na; i++)
            ax[i] = i;
    }
    if (ov_has_in(n, 4)) {
        if (ov_const_ints(c, ov_in(c, n, 4, 1), "steps", sp, ONNX_MAX_RANK, &nsp))
            return QA_ERR;
    } else {
        nsp = ns;
        for (int i = 0; i < nsp; i++)
            sp[i] = 1;
    }
    if (ns != ne || ns != na || ns != nsp)
        return ov_err(c, "starts, ends, axes and steps differ in length");
    SliceArg s;
    s.x = x;
    int64_t dims[ONNX_MAX_RANK];
    for (int d = 0; d < x->rank; d++)
        s.start[d] = 0, s.step[d] = 1, dims[d] = x->dims[d];
    for (int i = 0; i < ns; i++) {
        int a;
        if (ov_axis(c, ax[i], x->rank, &a) != QA_OK)
            return QA_ERR;
        int64_t dim = x->dims[a], step = sp[i], b = st[i], e = en[i];
        if (step == 0)
            return ov_err(c, "slice step 0");
        /* ONNX: negative indices count from the end, then clamp */
        if (b < 0)
            b = b < -dim ? 0 : b + dim;
        if (e < 0)
            e = e < -dim ? -1 : e + dim;
        if (step > 0) {
            b = QA_MIN(b, dim), e = QA_MAX(QA_MIN(e, dim), 0);
            dims[a] = e > b ? (e - b + step - 1) / step : 0;
        } else {
            b = QA_MIN(b, dim - 1), e = QA_MAX(e, -1);
            dims[a] = b > e ? (b - e + (-step) - 1) / (-step) : 0;
        }
        s.start[a] = b, s.step[a] = step;
    }
    if (!o)
        return QA_OK;
    if (x->kind != V_CONST)
        return ov_view(c, x, o, x->rank, dims);
    if (ov_shape(c, o, x->rank, dims) != QA_OK)
        return QA_ERR;
    s.o = o;
    return ov_const_move(c, x, o, src_slice, &s);
}

static int op_split(OnnxCtx *c, const Onnx__NodeProto *n)
{
    Val *x = ov_in(c, n, 0, 1);
    if (!x)
        return QA_ERR;
    int a;
    if (ov_axis(c, ov_attr_int(n, "axis", 0), x->rank, &a) != QA_OK)
        return QA_ERR;
    int64_t parts[64];
    int np = -1, k = (int)QA_MIN(n->n_output, 64);
    if (ov_has_in(n, 1)) {
        Val *s = ov_in(c, n, 1, 1);
        if (!s || ov_const_ints(c, s, "split", parts, 64, &np) != QA_OK)
            return QA_ERR;
    } else if ((np = ov_attr_ints(c, n, "split", parts, 64)) < -1) {
        return QA_ERR;
    }
    if (n->n_output > 64)
        return ov_err(c, "more than 64 outputs");
    if (np < 0) { /* equal parts, the last one smaller */
        int64_t each = (x->dims[a] + k - 1) / k;
        for (int i = 0; i < k; i++)
            parts[i] = QA_MAX(0, QA_MIN(each, x->dims[a] - i * each));
        np = k;
    }
    int64_t sum = 0;
    for (int i = 0; i < np; i++)
        sum += parts[i] < 0 ? INT64_MIN / 2 : parts[i];
    if (np != k || sum != x->dims[a])
        return ov_err(c, "split sizes do not add up to %lld", (long long)x->dims[a]);
    int64_t off = 0;
    for (int i = 0; i < k; i++) {
        Val *o = ov_out(c, n, (size_t)i);
        int64_t dims[ONNX_MAX_RANK];
        memcpy(dims, x->dims, sizeof dims);
        dims[a] = parts[i];
        if (o) {
            if (x->kind != V_CONST) {
                if (ov_view(c, x, o, x->rank, dims) != QA_OK)
                    return QA_ERR;
            } else {
                SliceArg s;
                s.x = x, s.o = o;
                for (int d = 0; d < x->rank; d++)
                    s.start[d] = d == a ? off : 0, s.step[d] = 1;
                if (ov_shape(c, o, x->rank, dims) != QA_OK ||
                    ov_const_move(c, x, o, src_slice, &s) != QA_OK)
                    return QA_ERR;
            }
        }
        off += parts[i];
    }
    return QA_OK;
}

typedef struct {
    const Val *x, *idx, *o;
    int axis;
} GatherArg;

static int64_t src_gather(const void *arg, int64_t i)
{
    const GatherArg *g = arg;
    int64_t oi[ONNX_MAX_RANK], k = 0;
    ov_unflat(i, g->o->rank, g->o->dims, oi);
    int ir = g->idx->rank;
    /* output index: x's axes before axis, the index's, x's after */
    int64_t ii = 0;
    for (int d = 0; d < ir; d++)
        ii = ii * g->idx->dims[d] + oi[g->axis + d];
    int64_t at = ov_int(g->idx, ii);
    if (at < 0)
        at += g->x->dims[g->axis];
    for (int d = 0; d < g->x->rank; d++) {
        int64_t v = d < g->axis ? oi[d] : d == g->axis ? at : oi[d - 1 + ir];
        k = k * g->x->dims[d] + v;
    }
    return k;
}

static int op_gather(OnnxCtx *c, const Onnx__NodeProto *n)
{
    Val *x = ov_in(c, n, 0, 1), *idx = ov_in(c, n, 1, 1), *o = ov_out(c, n, 0);
    if (!x || !idx)
        return QA_ERR;
    int a;
    if (ov_axis(c, ov_attr_int(n, "axis", 0), x->rank, &a) != QA_OK)
        return QA_ERR;
    int rank = x->rank - 1 + idx->rank;
    if (rank > ONNX_MAX_RANK)
        return ov_err(c, "output rank %d", rank);
    int64_t dims[ONNX_MAX_RANK];
    for (int d = 0, k = 0; d < x->rank; d++) {
        if (d == a)
            for (int j = 0; j < idx->rank; j++)
                dims[k++] = idx->dims[j];
        else
            dims[k++] = x->dims[d];
    }
    if (idx->kind == V_ACT)
        return ov_err(c, "Gather by computed indices (an embedding lookup) is "
                      "not supported; indices must be constants");
    if (idx->kind == V_CONST)
        for (int64_t i = 0; i < idx->n; i++) {
            int64_t at = ov_int(idx, i);
            if (at < -x->dims[a] || at >= x->dims[a])
                return ov_err(c, "index %lld outside axis %d of size %lld",
                              (long long)at, a, (long long)x->dims[a]);
        }
    if (!o)
        return QA_OK;
    if (x->kind != V_CONST || idx->kind != V_CONST)
        return ov_view(c, x, o, rank, dims);
    if (ov_shape(c, o, rank, dims) != QA_OK)
        return QA_ERR;
    GatherArg g = {x, idx, o, a};
    return ov_const_move(c, x, o, src_gather, &g);
}

typedef struct {
    const Val *x, *o;
} BcastArg;

static int64_t src_bcast(const void *arg, int64_t i)
{
    const BcastArg *b = arg;
    int64_t idx[ONNX_MAX_RANK];
    ov_unflat(i, b->o->rank, b->o->dims, idx);
    return ov_bcast_index(b->x, idx, b->o->rank);
}

static int op_expand(OnnxCtx *c, const Onnx__NodeProto *n)
{
    Val *x = ov_in(c, n, 0, 1), *s = ov_in(c, n, 1, 1), *o = ov_out(c, n, 0);
    if (!x || !s)
        return QA_ERR;
    Val shape;
    memset(&shape, 0, sizeof shape);
    shape.name = s->name;
    int r;
    if (ov_const_ints(c, s, "the shape", shape.dims, ONNX_MAX_RANK, &r) != QA_OK)
        return QA_ERR;
    shape.rank = r;
    for (int i = 0; i < r; i++)
        if (shape.dims[i] < 0 || shape.dims[i] > ONNX_DIM_MAX)
            return ov_err(c, "shape dimension %lld", (long long)shape.dims[i]);
    int rank;
    int64_t dims[ONNX_MAX_RANK];
    if (ov_broadcast(c, x, &shape, &rank, dims) != QA_OK)
        return QA_ERR;
    if (!o)
        return QA_OK;
    if (x->kind != V_CONST)
        return ov_view(c, x, o, rank, dims);
    if (ov_shape(c, o, rank, dims) != QA_OK)
        return QA_ERR;
    BcastArg b = {x, o};
    return ov_const_move(c, x, o, src_bcast, &b);
}

/* Concat of constants (values) or weights (shape only). */
static int concat_const(OnnxCtx *c, const Onnx__NodeProto *n, int a, Val *o)
{
    int64_t total = ov_elems(o);
    int all = 1;
    for (size_t i = 0; i < n->n_input; i++)
        all &= ov_find(c, n->input[i])->kind == V_CONST;
    if (!all || total > ONNX_CONST_MAX) {
        o->kind = V_PARAM;
        return QA_OK;
    }
    int fl = 0;
    for (size_t i = 0; i < n->n_input; i++)
        fl |= ov_find(c, n->input[i])->is_float;
    double *fv = qa_malloc((size_t)QA_MAX(total, 1) * sizeof *fv);
    int64_t *iv = qa_malloc((size_t)QA_MAX(total, 1) * sizeof *iv);
    if (!fv || !iv) {
        free(fv), free(iv);
        return err_set(c->e, c->path, 0, NULL, "out of memory");
    }
    /* outer blocks of the axis, then each input's slab in turn */
    int64_t outer = ov_prod(o->dims, a), k = 0;
    for (int64_t b = 0; b < outer; b++)
        for (size_t i = 0; i < n->n_input; i++) {
            const Val *x = ov_find(c, n->input[i]);
            int64_t slab = ov_prod(x->dims + a, x->rank - a);
            for (int64_t j = 0; j < slab && k < total; j++, k++) {
                fv[k] = ov_float(x, b * slab + j);
                iv[k] = ov_int(x, b * slab + j);
            }
        }
    int rc = fl ? ov_set_floats(c, o, fv, total) : ov_set_ints(c, o, iv, total);
    free(fv), free(iv);
    return rc;
}

static int op_concat(OnnxCtx *c, const Onnx__NodeProto *n)
{
    Val *o = ov_out(c, n, 0);
    if (n->n_input < 1)
        return ov_err(c, "no inputs");
    const Val *first = ov_in(c, n, 0, 1);
    if (!first)
        return QA_ERR;
    int a;
    if (ov_axis(c, ov_attr_int(n, "axis", 0), first->rank, &a) != QA_OK)
        return QA_ERR;
    int64_t dims[ONNX_MAX_RANK];
    memcpy(dims, first->dims, sizeof dims);
    dims[a] = 0;
    const Val *acts[2] = {NULL, NULL};
    int nacts = 0;
    for (size_t i = 0; i < n->n_input; i++) {
        const Val *x = ov_in(c, n, i, 1);
        if (!x)
            return QA_ERR;
        if (x->rank != first->rank)
            return ov_err(c, "inputs of ranks %d and %d", first->rank, x->rank);
        for (int d = 0; d < x->rank; d++)
            if (d != a && x->dims[d] != first->dims[d])
                return ov_err(c, "inputs differ in dimension %d", d);
        dims[a] += x->dims[a];
        if (x->kind == V_ACT && ov_elems(x) > 0)
            nacts++;
    }
    if (!o)
        return QA_OK;
    if (ov_shape(c, o, first->rank, dims) != QA_OK)
        return QA_ERR;
    if (!nacts)
        return concat_const(c, n, a, o);
    /* Copies: the first two activations (a weight part, as a class token,
     * is placed with them), then each further one with the result so far. */
    Val part;
    memset(&part, 0, sizeof part);
    part.name = o->name;
    int done = 0;
    int64_t pd[ONNX_MAX_RANK];
    memcpy(pd, first->dims, sizeof pd);
    pd[a] = 0;
    for (size_t i = 0; i < n->n_input; i++) {
        const Val *x = ov_find(c, n->input[i]);
        pd[a] += x->dims[a];
        if (x->kind != V_ACT || ov_elems(x) == 0)
            continue;
        acts[done ? 1 : 0] = x;
        done++;
        int last = done == nacts;
        if (done == 1 && !last)
            continue;
        Val *dst = last ? o : &part;
        if (!last && ov_shape(c, dst, first->rank, pd) != QA_OK)
            return QA_ERR;
        const Val *x0 = acts[0], *x1 = done > 1 ? acts[1] : NULL;
        if (x1 && ov_elems(x1) > ov_elems(x0)) {
            const Val *t = x0;
            x0 = x1, x1 = t;
        }
        if (onnx_flat_layer(c, n, OP_COPY, 1, x0, x1, dst) != QA_OK)
            return QA_ERR;
        acts[0] = dst;
    }
    return QA_OK;
}

static int op_shape(OnnxCtx *c, const Onnx__NodeProto *n)
{
    Val *x = ov_in(c, n, 0, 1), *o = ov_out(c, n, 0);
    if (!x)
        return QA_ERR;
    if (!o)
        return QA_OK;
    if (!strcmp(n->op_type, "Size")) {
        int64_t e = ov_elems(x);
        if (ov_shape(c, o, 0, NULL) != QA_OK)
            return QA_ERR;
        return ov_set_ints(c, o, &e, 1);
    }
    int64_t s = ov_attr_int(n, "start", 0), e = ov_attr_int(n, "end", x->rank);
    s = s < 0 ? QA_MAX(0, s + x->rank) : QA_MIN(s, x->rank);
    e = e < 0 ? QA_MAX(0, e + x->rank) : QA_MIN(e, x->rank);
    int64_t cnt = QA_MAX(0, e - s);
    if (ov_shape(c, o, 1, &cnt) != QA_OK)
        return QA_ERR;
    return ov_set_ints(c, o, x->dims + s, cnt);
}

static int op_constant(OnnxCtx *c, const Onnx__NodeProto *n)
{
    Val *o = ov_out(c, n, 0);
    if (!o)
        return QA_OK;
    const Onnx__AttributeProto *a = n->n_attribute ? n->attribute[0] : NULL;
    if (!a || !a->name)
        return ov_err(c, "no value");
    if (!strcmp(a->name, "value") && a->t)
        return ov_from_tensor(c, a->t, o);
    if (!strcmp(a->name, "value_int") || !strcmp(a->name, "value_float")) {
        if (ov_shape(c, o, 0, NULL) != QA_OK)
            return QA_ERR;
        double f = (double)a->f;
        return a->name[6] == 'i' ? ov_set_ints(c, o, &a->i, 1) : ov_set_floats(c, o, &f, 1);
    }
    if (!strcmp(a->name, "value_ints") || !strcmp(a->name, "value_floats")) {
        int is_i = a->name[6] == 'i';
        int64_t cnt = (int64_t)(is_i ? a->n_ints : a->n_floats);
        if (ov_shape(c, o, 1, &cnt) != QA_OK)
            return QA_ERR;
        if (cnt > ONNX_CONST_MAX)
            return o->kind = V_PARAM, QA_OK;
        if (is_i)
            return ov_set_ints(c, o, a->ints, cnt);
        double *v = qa_malloc((size_t)QA_MAX(cnt, 1) * sizeof *v);
        if (!v)
            return err_set(c->e, c->path, 0, NULL, "out of memory");
        for (int64_t i = 0; i < cnt; i++)
            v[i] = (double)a->floats[i];
        int rc = ov_set_floats(c, o, v, cnt);
        free(v);
        return rc;
    }
    if (!strcmp(a->name, "value_string") || !strcmp(a->name, "value_strings")) {
        int64_t cnt = (int64_t)a->n_strings;
        return ov_param(c, o, a->name[12] ? 1 : 0, &cnt);
    }
    return ov_err(c, "value attribute '%s' is not supported", a->name);
}

static int op_constant_of_shape(OnnxCtx *c, const Onnx__NodeProto *n)
{
    Val *s = ov_in(c, n, 0, 1), *o = ov_out(c, n, 0);
    if (!s)
        return QA_ERR;
    int64_t dims[ONNX_MAX_RANK];
    int rank;
    if (ov_const_ints(c, s, "the shape", dims, ONNX_MAX_RANK, &rank) != QA_OK)
        return QA_ERR;
    if (!o)
        return QA_OK;
    if (ov_shape(c, o, rank, dims) != QA_OK)
        return QA_ERR;
    Val fill;
    memset(&fill, 0, sizeof fill);
    fill.name = "value";
    const Onnx__AttributeProto *a = ov_attr(n, "value");
    double zero = 0;
    int rc = a && a->t ? ov_from_tensor(c, a->t, &fill) : ov_set_floats(c, &fill, &zero, 1);
    int64_t cnt = ov_elems(o);
    if (rc == QA_OK && fill.kind == V_CONST && fill.n >= 1 && cnt <= ONNX_CONST_MAX) {
        BcastArg b = {&fill, o};
        Val one = fill;
        one.rank = 0;
        b.x = &one;
        rc = ov_const_move(c, &one, o, src_bcast, &b);
    } else if (rc == QA_OK) {
        o->kind = V_PARAM;
    }
    free(fill.iv), free(fill.fv);
    return rc;
}

static int op_range(OnnxCtx *c, const Onnx__NodeProto *n)
{
    Val *s = ov_in(c, n, 0, 1), *l = ov_in(c, n, 1, 1), *d = ov_in(c, n, 2, 1), *o = ov_out(c, n, 0);
    if (!s || !l || !d)
        return QA_ERR;
    if (s->kind != V_CONST || l->kind != V_CONST || d->kind != V_CONST)
        return ov_err(c, "Range of computed bounds is not supported");
    double a = ov_float(s, 0), b = ov_float(l, 0), st = ov_float(d, 0);
    if (st == 0)
        return ov_err(c, "Range step 0");
    double cntf = ceil((b - a) / st);
    int64_t cnt = cntf > 0 ? (cntf > (double)ONNX_DIM_MAX ? ONNX_DIM_MAX : (int64_t)cntf) : 0;
    if (!o)
        return QA_OK;
    if (ov_shape(c, o, 1, &cnt) != QA_OK)
        return QA_ERR;
    if (cnt > ONNX_CONST_MAX)
        return o->kind = V_PARAM, QA_OK;
    int fl = s->is_float || l->is_float || d->is_float;
    double *v = qa_malloc((size_t)QA_MAX(cnt, 1) * sizeof *v);
    int64_t *iv = qa_malloc((size_t)QA_MAX(cnt, 1) * sizeof *iv);
    int rc;
    if (!v || !iv) {
        rc = err_set(c->e, c->path, 0, NULL, "out of memory");
    } else {
        for (int64_t i = 0; i < cnt; i++) {
            v[i] = a + (double)i * st;
            iv[i] = ov_int(s, 0) + i * ov_int(d, 0);
        }
        rc = fl ? ov_set_floats(c, o, v, cnt) : ov_set_ints(c, o, iv, cnt);
    }
    free(v), free(iv);
    return rc;
}

static int op_where(OnnxCtx *c, const Onnx__NodeProto *n)
{
    Val *w = ov_in(c, n, 0, 1), *x = ov_in(c, n, 1, 1), *y = ov_in(c, n, 2, 1), *o = ov_out(c, n, 0);
    if (!w || !x || !y)
        return QA_ERR;
    int r1, rank;
    int64_t d1[ONNX_MAX_RANK], dims[ONNX_MAX_RANK];
    if (ov_broadcast(c, x, y, &r1, d1) != QA_OK)
        return QA_ERR;
    Val xy = *x;
    xy.rank = r1;
    memcpy(xy.dims, d1, sizeof d1);
    if (ov_broadcast(c, w, &xy, &rank, dims) != QA_OK)
        return QA_ERR;
    if (!o)
        return QA_OK;
    if (ov_shape(c, o, rank, dims) != QA_OK)
        return QA_ERR;
    const Val *acts[3];
    int na = 0;
    if (w->kind == V_ACT) acts[na++] = w;
    if (x->kind == V_ACT) acts[na++] = x;
    if (y->kind == V_ACT) acts[na++] = y;
    if (na == 0) {
        if (w->kind != V_CONST || x->kind != V_CONST || y->kind != V_CONST ||
            ov_elems(o) > ONNX_CONST_MAX) {
            o->kind = V_PARAM;
            return QA_OK;
        }
        int64_t cnt = ov_elems(o), idx[ONNX_MAX_RANK];
        int fl = x->is_float || y->is_float;
        double *fv = qa_malloc((size_t)QA_MAX(cnt, 1) * sizeof *fv);
        int64_t *iv = qa_malloc((size_t)QA_MAX(cnt, 1) * sizeof *iv);
        int rc;
        if (!fv || !iv) {
            rc = err_set(c->e, c->path, 0, NULL, "out of memory");
        } else {
            for (int64_t i = 0; i < cnt; i++) {
                ov_unflat(i, rank, dims, idx);
                const Val *src = ov_int(w, ov_bcast_index(w, idx, rank)) ? x : y;
                int64_t k = ov_bcast_index(src, idx, rank);
                fv[i] = ov_float(src, k);
                iv[i] = ov_int(src, k);
            }
            rc = fl ? ov_set_floats(c, o, fv, cnt) : ov_set_ints(c, o, iv, cnt);
        }
        free(fv), free(iv);
        return rc;
    }
    /* a select on the vector unit: the two largest activations read */
    if (na == 3 && ov_elems(acts[2]) > ov_elems(acts[0]))
        acts[0] = acts[2];
    const Val *x0 = acts[0], *x1 = na > 1 ? acts[1] : NULL;
    if (x1 && ov_elems(x1) > ov_elems(x0)) {
        const Val *t = x0;
        x0 = x1, x1 = t;
    }
    return onnx_flat_layer(c, n, OP_ELTWISE, 1, x0, x1, o);
}

/* Pad and Tile of an activation: a copy into the bigger tensor. */
static int op_pad_tile(OnnxCtx *c, const Onnx__NodeProto *n)
{
    Val *x = ov_in(c, n, 0, 1), *o = ov_out(c, n, 0);
    if (!x)
        return QA_ERR;
    int64_t v[2 * ONNX_MAX_RANK], dims[ONNX_MAX_RANK];
    int nv = -1;
    int tile = !strcmp(n->op_type, "Tile");
    if (ov_has_in(n, 1)) {
        Val *p = ov_in(c, n, 1, 1);
        if (!p || ov_const_ints(c, p, tile ? "repeats" : "pads", v, 2 * ONNX_MAX_RANK, &nv))
            return QA_ERR;
    } else {
        nv = ov_attr_ints(c, n, "pads", v, 2 * ONNX_MAX_RANK);
    }
    if (ov_has_in(n, 3))
        return ov_err(c, "Pad on chosen axes is not supported");
    if (nv != (tile ? x->rank : 2 * x->rank))
        return ov_err(c, "%d %s for rank %d", nv, tile ? "repeats" : "pads", x->rank);
    for (int d = 0; d < x->rank; d++) {
        int64_t e = tile ? x->dims[d] * v[d] : x->dims[d] + v[d] + v[d + x->rank];
        if ((tile && v[d] < 0) || e < 0 || e > ONNX_DIM_MAX)
            return ov_err(c, "output dimension %d would be %lld", d, (long long)e);
        dims[d] = e;
    }
    if (!o)
        return QA_OK;
    if (x->kind != V_ACT)
        return ov_param(c, o, x->rank, dims);
    if (ov_shape(c, o, x->rank, dims) != QA_OK)
        return QA_ERR;
    return onnx_flat_layer(c, n, OP_COPY, 1, x, NULL, o);
}

/* ---- the table ---- */

typedef struct {
    const char *op;
    OnnxOpFn fn;
} OpDef;

static const OpDef op_defs[] = {
    {"Identity", op_identity}, {"Dropout", op_identity}, {"Cast", op_identity},
    {"Flatten", op_flatten}, {"Reshape", op_reshape}, {"Squeeze", op_squeeze},
    {"Unsqueeze", op_unsqueeze}, {"Transpose", op_transpose},
    {"Slice", op_slice}, {"Split", op_split}, {"Gather", op_gather},
    {"Expand", op_expand}, {"Concat", op_concat}, {"Shape", op_shape},
    {"Size", op_shape}, {"Constant", op_constant},
    {"ConstantOfShape", op_constant_of_shape}, {"Range", op_range},
    {"Where", op_where}, {"Pad", op_pad_tile}, {"Tile", op_pad_tile},
};

OnnxOpFn onnx_shape_op(const char *op_type)
{
    for (size_t i = 0; i < QA_COUNT(op_defs); i++)
        if (!strcmp(op_defs[i].op, op_type))
            return op_defs[i].fn;
    return NULL;
}
