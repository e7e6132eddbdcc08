/* onnx_ops.c: the ONNX ops that become layers: their output shapes
 * (static shape inference) and the layers they make. What each costs
 * (workloads/README.md):
 *
 *  - Conv, Gemm, MatMul by a weight: a conv or fc layer on the array
 *    (MatMul on [.., M, K] rows: an fc of M rows); MatMul of two
 *    activations: a matmul layer (batch dimensions are its groups).
 *  - BatchNormalization folds into the conv before it; Relu, Clip,
 *    LeakyRelu, HardSigmoid, HardSwish and a bias or scale (Add/Sub/Mul/Div
 *    by a weight or constant) right after a conv, fc, matmul, pool or add
 *    whose output only they read apply on its output path and cost nothing
 *    more, as the built-in networks assume for ReLU.
 *  - Other element-wise ops, softmax, normalisations, reductions: vector
 *    layers at a table's lane operations per element; a unary op right
 *    after a vector layer whose output only it reads joins that layer (its
 *    operations add up: one pass over the data instead of two).
 * Views, shape arithmetic and copies: onnx_shape.c. Tensors are laid out
 * for a layer as C x H x W: NCHW as it is; other ranks with the last
 * dimension as channels and the others as rows. */
#include "workloads/onnx_graph.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- layers ---- */

static int is_op_component(const char *comp, const char *op)
{
    size_t k = strlen(op);
    if (strncmp(comp, op, k))
        return 0;
    if (!comp[k])
        return 1;
    if (comp[k] != '_')
        return 0;
    for (const char *p = comp + k + 1; *p; p++)
        if (*p < '0' || *p > '9')
            return 0;
    return comp[k + 1] != '\0';
}

/* Ops that are their module's whole forward (a conv, a linear layer, a
 * pool, a norm): a node of theirs is named after the module alone. */
static int module_op(const char *op)
{
    static const char *const ops[] = {
        "Conv", "Gemm", "MatMul", "MaxPool", "AveragePool", "GlobalAveragePool",
        "GlobalMaxPool", "BatchNormalization", "LayerNormalization",
        "InstanceNormalization", "Softmax", "LogSoftmax",
    };
    for (size_t i = 0; i < QA_COUNT(ops); i++)
        if (!strcmp(ops[i], op))
            return 1;
    return 0;
}

/* A layer name from the node's: PyTorch's "/layer1/layer1.0/conv1/Conv"
 * becomes "layer1.0.conv1", as torchvision names the module (a scope that
 * repeats its parent's name keeps only the longer one; a module's own op
 * drops out) and "/layer1/layer1.0/Add" becomes "layer1.0.add" (an op of
 * the module's forward, in lower case). Other names keep their text with
 * '/' as '.'. Characters outside [A-Za-z0-9._:+-] become '_'; a name too
 * long keeps its end; a name already taken keeps the op type as written,
 * then gets "#id". */
static void layer_name(OnnxCtx *c, const Onnx__NodeProto *n, char *buf)
{
    char full[512], name[512];
    const char *src = n->name && n->name[0] ? n->name
                      : n->n_output && n->output[0] ? n->output[0] : n->op_type;
    snprintf(full, sizeof full, "%s", src);
    char *comp[64];
    int nc = 0;
    for (char *p = strtok(full, "/"); p && nc < 64; p = strtok(NULL, "/"))
        comp[nc++] = p;
    for (int pass = 0; pass < 2; pass++) {
        name[0] = '\0';
        for (int i = 0; i < nc; i++) {
            size_t k = strlen(comp[i]), len = strlen(name);
            /* "layer1" then "layer1.0": keep the second only */
            if (i + 1 < nc && !strncmp(comp[i + 1], comp[i], k) &&
                comp[i + 1][k] == '.')
                continue;
            const char *part = comp[i];
            char lower[128];
            if (pass == 0 && i == nc - 1 && is_op_component(comp[i], n->op_type)) {
                if (nc > 1 && module_op(n->op_type))
                    continue;
                snprintf(lower, sizeof lower, "%s", comp[i]);
                for (char *q = lower; *q; q++)
                    *q = (char)(*q >= 'A' && *q <= 'Z' ? *q - 'A' + 'a' : *q);
                part = lower;
            }
            snprintf(name + len, sizeof name - len, "%s%s", len ? "." : "", part);
        }
        if (!name[0])
            snprintf(name, sizeof name, "%s", n->op_type);
        for (char *p = name; *p; p++)
            if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                  (*p >= '0' && *p <= '9') || strchr("._:+-", *p)))
                *p = '_';
        size_t len = strlen(name);
        const char *tail = len >= LAYER_NAME_MAX ? name + len - (LAYER_NAME_MAX - 1) : name;
        snprintf(buf, LAYER_NAME_MAX, "%.*s", LAYER_NAME_MAX - 1, tail);
        if (net_find(c->net, buf) < 0)
            return;
    }
    char id[16];
    snprintf(id, sizeof id, "#%d", c->net->n);
    size_t len = strlen(buf), k = strlen(id);
    if (len + k >= LAYER_NAME_MAX)
        len = LAYER_NAME_MAX - 1 - k;
    snprintf(buf + len, LAYER_NAME_MAX - len, "%s", id);
}

/* Add layer l (named after the node, batch 1); its id, or -1 with the
 * error naming the file and the node. */
static int emit(OnnxCtx *c, const Onnx__NodeProto *n, Layer *l)
{
    layer_name(c, n, l->name);
    l->N = 1;
    if (!l->groups)
        l->groups = 1;
    Err le;
    err_clear(&le);
    int id = net_add(c->net, l, &le);
    if (id < 0) {
        ov_err(c, "%s", le.msg);
        return -1;
    }
    return id;
}

static void set_act(Val *o, int layer)
{
    o->kind = V_ACT;
    o->layer = layer;
    o->direct = 1;
}

/* A dimension of a layer: 1..LAYER_DIM_MAX. */
static int dim_ok(OnnxCtx *c, int64_t x, const char *what)
{
    if (x < 1 || x > LAYER_DIM_MAX)
        return ov_err(c, "%s is %lld: a layer's dimensions are 1..%d", what,
                      (long long)x, LAYER_DIM_MAX);
    return QA_OK;
}

/* C x H x W of a tensor: NCHW as it is (the batch dimension and any
 * beyond the fourth joining the rows), other ranks with the last dimension
 * as channels and the rest as rows. */
static void layout(const Val *v, int64_t *C, int64_t *H, int64_t *W)
{
    const int64_t *d = v->dims;
    int r = v->rank;
    *C = *H = *W = 1;
    if (r >= 4) {
        *C = d[1];
        *H = d[0];
        for (int i = 2; i < r - 1; i++)
            *H *= d[i];
        *W = d[r - 1];
    } else if (r >= 1) {
        *C = d[r - 1];
        for (int i = 0; i < r - 1; i++)
            *H *= d[i];
    }
}

/* The producer of x when an op may fuse into it: x is the output as the
 * layer made it and nothing else reads it. */
static Layer *fusable(OnnxCtx *c, const Val *x)
{
    if (x->kind != V_ACT || !x->direct || x->layer < 0 || x->uses != 1)
        return NULL;
    return &c->net->layers[x->layer];
}

static int post_processing(const Layer *p)
{
    return layer_on_array(p) || p->op == OP_ADD || p->op == OP_MAXPOOL ||
           p->op == OP_AVGPOOL;
}

/* A vector layer of op reading x0 (and x1, may be NULL) making o (shape
 * set): laid out as o, in[0] as C x H x W over o's rows when its elements
 * divide evenly, else everything as channels of one row. */
int onnx_flat_layer(OnnxCtx *c, const Onnx__NodeProto *n, LayerOp op,
                      int ops, const Val *x0, const Val *x1, Val *o)
{
    if (!o)
        return QA_OK;
    if (ov_check_act(c, o) != QA_OK)
        return QA_ERR;
    int64_t e0 = ov_elems(x0), e1 = x1 ? ov_elems(x1) : 0, eo = ov_elems(o);
    int64_t K, P, Q;
    layout(o, &K, &P, &Q);
    int64_t C = e0 % (P * Q) ? 0 : e0 / (P * Q);
    if (C < 1 || C > LAYER_DIM_MAX || P > LAYER_DIM_MAX || K > LAYER_DIM_MAX ||
        Q > LAYER_DIM_MAX) {
        K = eo, P = Q = 1, C = e0;
    }
    if (dim_ok(c, C, "the input's channels") || dim_ok(c, K, "the output's channels") ||
        dim_ok(c, P, "the rows") || dim_ok(c, Q, "the columns"))
        return QA_ERR;
    Layer l;
    memset(&l, 0, sizeof l);
    l.op = op;
    l.C = (int)C, l.H = (int)P, l.W = (int)Q, l.K = (int)K;
    l.R = l.S = l.stride = 1;
    l.vec_ops = ops;
    l.in1_elems = e1;
    l.in[0] = x0->layer;
    l.in[1] = x1 ? x1->layer : LAYER_NO_INPUT;
    int id = emit(c, n, &l);
    if (id < 0)
        return QA_ERR;
    set_act(o, id);
    return QA_OK;
}

/* A unary vector op on x, fused where it can be (see the file comment):
 * free_after: fuses for free after the array, a pool or an add. */
static int unary(OnnxCtx *c, const Onnx__NodeProto *n, const Val *x, Val *o,
                 int cost, int free_after)
{
    Layer *p = fusable(c, x);
    if (p && free_after && post_processing(p))
        return ov_alias(c, x, o);
    if (p && layer_is_flat(p) && p->vec_ops + cost <= LAYER_VEC_OPS_MAX) {
        p->vec_ops += cost;
        return ov_alias(c, x, o);
    }
    if (!o)
        return QA_OK;
    if (ov_shape(c, o, x->rank, x->dims) != QA_OK)
        return QA_ERR;
    return onnx_flat_layer(c, n, OP_ELTWISE, cost, x, NULL, o);
}

/* ---- element-wise arithmetic ---- */

typedef enum {
    B_ADD, B_SUB, B_MUL, B_DIV, B_POW, B_MAX, B_MIN, B_EQ, B_LT, B_GT, B_LE,
    B_GE, B_AND, B_OR, B_XOR, B_MOD, B_PRELU
} BinOp;

static int fold_int(OnnxCtx *c, BinOp op, int64_t a, int64_t b, int64_t *r)
{
    switch (op) {
    case B_ADD: if (__builtin_add_overflow(a, b, r)) goto ovf; break;
    case B_SUB: if (__builtin_sub_overflow(a, b, r)) goto ovf; break;
    case B_MUL: if (__builtin_mul_overflow(a, b, r)) goto ovf; break;
    case B_DIV:
    case B_MOD:
        if (b == 0 || (a == INT64_MIN && b == -1))
            return ov_err(c, "integer division by zero or overflow");
        *r = op == B_DIV ? a / b : a % b;
        break;
    case B_POW: {
        int64_t x = 1;
        for (int64_t i = 0; i < b && i < 64; i++)
            if (__builtin_mul_overflow(x, a, &x))
                goto ovf;
        *r = b < 0 ? 0 : x;
        break;
    }
    case B_MAX: *r = QA_MAX(a, b); break;
    case B_MIN: *r = QA_MIN(a, b); break;
    case B_EQ: *r = a == b; break;
    case B_LT: *r = a < b; break;
    case B_GT: *r = a > b; break;
    case B_LE: *r = a <= b; break;
    case B_GE: *r = a >= b; break;
    case B_AND: *r = a && b; break;
    case B_OR: *r = a || b; break;
    case B_XOR: *r = !a != !b; break;
    case B_PRELU: *r = a < 0 ? a * b : a; break;
    }
    return QA_OK;
ovf:
    return ov_err(c, "integer overflow in constant arithmetic");
}

static double fold_float(BinOp op, double a, double b)
{
    switch (op) {
    case B_ADD: return a + b;
    case B_SUB: return a - b;
    case B_MUL: return a * b;
    case B_DIV: return a / b;
    case B_POW: return pow(a, b);
    case B_MAX: return a > b ? a : b;
    case B_MIN: return a < b ? a : b;
    case B_EQ: return a == b;
    case B_LT: return a < b;
    case B_GT: return a > b;
    case B_LE: return a <= b;
    case B_GE: return a >= b;
    case B_AND: return a != 0 && b != 0;
    case B_OR: return a != 0 || b != 0;
    case B_XOR: return (a != 0) != (b != 0);
    case B_MOD: return fmod(a, b);
    case B_PRELU: return a < 0 ? a * b : a;
    }
    return 0;
}

static int is_compare(BinOp op)
{
    return op >= B_EQ && op <= B_XOR;
}

/* Two constants combined element-wise with broadcasting into o. */
static int fold_binary(OnnxCtx *c, BinOp op, const Val *a, const Val *b, Val *o)
{
    int64_t n = ov_elems(o), idx[ONNX_MAX_RANK];
    if (n < 0 || n > ONNX_CONST_MAX) {
        o->kind = V_PARAM;
        return QA_OK;
    }
    int fl = (a->is_float || b->is_float) && !is_compare(op);
    int64_t *iv = qa_malloc((size_t)QA_MAX(n, 1) * sizeof *iv);
    double *fv = qa_malloc((size_t)QA_MAX(n, 1) * sizeof *fv);
    int rc = QA_OK;
    if (!iv || !fv)
        rc = err_set(c->e, c->path, 0, NULL, "out of memory");
    for (int64_t i = 0; rc == QA_OK && i < n; i++) {
        ov_unflat(i, o->rank, o->dims, idx);
        int64_t ia = ov_bcast_index(a, idx, o->rank), ib = ov_bcast_index(b, idx, o->rank);
        if (fl || a->is_float || b->is_float) {
            double r = fold_float(op, ov_float(a, ia), ov_float(b, ib));
            fv[i] = r;
            iv[i] = (int64_t)(r != r ? 0 : QA_MAX(-9.2e18, QA_MIN(9.2e18, r)));
        } else {
            rc = fold_int(c, op, ov_int(a, ia), ov_int(b, ib), &iv[i]);
        }
    }
    if (rc == QA_OK)
        rc = fl ? ov_set_floats(c, o, fv, n) : ov_set_ints(c, o, iv, n);
    free(iv);
    free(fv);
    return rc;
}

typedef struct {
    const char *op;
    BinOp bin;
    int cost;
} BinDef;

static const BinDef bin_defs[] = {
    {"Add", B_ADD, 1}, {"Sub", B_SUB, 1}, {"Mul", B_MUL, 1}, {"Div", B_DIV, 1},
    {"Pow", B_POW, 2}, {"Max", B_MAX, 1}, {"Min", B_MIN, 1}, {"Equal", B_EQ, 1},
    {"Less", B_LT, 1}, {"Greater", B_GT, 1}, {"LessOrEqual", B_LE, 1},
    {"GreaterOrEqual", B_GE, 1}, {"And", B_AND, 1}, {"Or", B_OR, 1},
    {"Xor", B_XOR, 1}, {"Mod", B_MOD, 2}, {"PRelu", B_PRELU, 2},
};

static const BinDef *bin_def(const char *op)
{
    for (size_t i = 0; i < QA_COUNT(bin_defs); i++)
        if (!strcmp(bin_defs[i].op, op))
            return &bin_defs[i];
    return NULL;
}

static int same_shape(const Val *a, int rank, const int64_t *dims)
{
    if (a->rank != rank)
        return 0;
    for (int i = 0; i < rank; i++)
        if (a->dims[i] != dims[i])
            return 0;
    return 1;
}

static int op_binary(OnnxCtx *c, const Onnx__NodeProto *n)
{
    const BinDef *d = bin_def(n->op_type);
    Val *a = ov_in(c, n, 0, 1), *b = ov_in(c, n, 1, 1), *o = ov_out(c, n, 0);
    if (!a || !b)
        return QA_ERR;
    int rank;
    int64_t dims[ONNX_MAX_RANK];
    if (ov_broadcast(c, a, b, &rank, dims) != QA_OK)
        return QA_ERR;
    if (!o)
        return QA_OK;
    if (ov_shape(c, o, rank, dims) != QA_OK)
        return QA_ERR;
    if (a->kind == V_CONST && b->kind == V_CONST)
        return fold_binary(c, d->bin, a, b, o);
    if (a->kind != V_ACT && b->kind != V_ACT) {
        o->kind = V_PARAM;
        return QA_OK;
    }
    int cost = d->cost;
    /* x^2 is one multiply */
    const Val *ex = b->kind == V_CONST && b->n == 1 ? b : NULL;
    if (d->bin == B_POW && ex && ov_float(ex, 0) == 2.0)
        cost = 1;
    if (a->kind == V_ACT && b->kind == V_ACT) {
        if (d->bin == B_ADD && same_shape(a, rank, dims) && same_shape(b, rank, dims)) {
            /* the residual add of the built-in networks */
            if (ov_check_act(c, o) != QA_OK)
                return QA_ERR;
            int64_t C, H, W;
            layout(o, &C, &H, &W);
            if (dim_ok(c, C, "channels") || dim_ok(c, H, "rows") || dim_ok(c, W, "columns"))
                return QA_ERR;
            Layer l;
            memset(&l, 0, sizeof l);
            l.op = OP_ADD;
            l.C = l.K = (int)C, l.H = (int)H, l.W = (int)W;
            l.R = l.S = l.stride = 1;
            l.in[0] = a->layer, l.in[1] = b->layer;
            /* A projection shortcut: of two convs meeting here, the one
             * reading the earlier tensor (the block's input). */
            Layer *pa = a->direct && a->layer >= 0 ? &c->net->layers[a->layer] : NULL;
            Layer *pb = b->direct && b->layer >= 0 ? &c->net->layers[b->layer] : NULL;
            if (pa && pb && pa->op == OP_CONV && pb->op == OP_CONV &&
                pa->in[0] != pb->in[0])
                (pa->in[0] < pb->in[0] ? pa : pb)->shortcut = 1;
            int id = emit(c, n, &l);
            if (id < 0)
                return QA_ERR;
            set_act(o, id);
            return QA_OK;
        }
        const Val *big = ov_elems(a) >= ov_elems(b) ? a : b;
        return onnx_flat_layer(c, n, OP_ELTWISE, cost, big, big == a ? b : a, o);
    }
    const Val *x = a->kind == V_ACT ? a : b;
    if (same_shape(x, rank, dims)) {
        /* a bias or a scale right after the array, a pool or an add */
        Layer *p = fusable(c, x);
        if (p && post_processing(p) &&
            (d->bin == B_ADD || d->bin == B_SUB || d->bin == B_MUL || d->bin == B_DIV))
            return ov_alias(c, x, o);
        return unary(c, n, x, o, cost, 0);
    }
    return onnx_flat_layer(c, n, OP_ELTWISE, cost, x, NULL, o);
}

/* ---- unary element-wise ops ---- */

typedef struct {
    const char *op;
    int cost;        /* lane operations per element */
    int free_after;  /* piecewise linear: free on the output path */
} UnDef;

/* One lane operation is an add, multiply, compare or select; exp, erf,
 * tanh, sigmoid, sqrt, reciprocal and log take a table lookup and an
 * interpolation (2). */
static const UnDef un_defs[] = {
    {"Relu", 1, 1}, {"Clip", 2, 1}, {"LeakyRelu", 2, 1}, {"HardSigmoid", 3, 1},
    {"HardSwish", 4, 1}, {"Sigmoid", 2, 0}, {"Tanh", 2, 0}, {"Erf", 2, 0},
    {"Exp", 2, 0}, {"Log", 2, 0}, {"Sqrt", 2, 0}, {"Reciprocal", 2, 0},
    {"Neg", 1, 0}, {"Abs", 1, 0}, {"Softplus", 3, 0}, {"Softsign", 3, 0},
    {"Elu", 3, 0}, {"Selu", 3, 0}, {"Celu", 3, 0}, {"Gelu", 4, 0},
    {"Mish", 5, 0}, {"Sin", 2, 0}, {"Cos", 2, 0}, {"Floor", 1, 0},
    {"Ceil", 1, 0}, {"Round", 1, 0}, {"Sign", 1, 0}, {"Not", 1, 0},
    {"ThresholdedRelu", 2, 0}, {"Shrink", 2, 0},
};

static const UnDef *un_def(const char *op)
{
    for (size_t i = 0; i < QA_COUNT(un_defs); i++)
        if (!strcmp(un_defs[i].op, op))
            return &un_defs[i];
    return NULL;
}

static double fold_unary(const char *op, double x)
{
    if (!strcmp(op, "Neg")) return -x;
    if (!strcmp(op, "Abs")) return fabs(x);
    if (!strcmp(op, "Relu")) return x > 0 ? x : 0;
    if (!strcmp(op, "Sqrt")) return sqrt(x);
    if (!strcmp(op, "Floor")) return floor(x);
    if (!strcmp(op, "Ceil")) return ceil(x);
    if (!strcmp(op, "Reciprocal")) return 1 / x;
    if (!strcmp(op, "Not")) return x == 0;
    if (!strcmp(op, "Sign")) return (x > 0) - (x < 0);
    return (double)NAN;
}

static int op_unary(OnnxCtx *c, const Onnx__NodeProto *n)
{
    const UnDef *d = un_def(n->op_type);
    Val *x = ov_in(c, n, 0, 1), *o = ov_out(c, n, 0);
    if (!x)
        return QA_ERR;
    if (x->kind == V_ACT)
        return unary(c, n, x, o, d->cost, d->free_after);
    if (!o)
        return QA_OK;
    if (ov_shape(c, o, x->rank, x->dims) != QA_OK)
        return QA_ERR;
    o->kind = V_PARAM;
    /* shape arithmetic sometimes negates or takes a square root */
    if (x->kind == V_CONST && !isnan(fold_unary(n->op_type, 1.0))) {
        double *v = qa_malloc((size_t)QA_MAX(x->n, 1) * sizeof *v);
        if (!v)
            return err_set(c->e, c->path, 0, NULL, "out of memory");
        for (int64_t i = 0; i < x->n; i++)
            v[i] = fold_unary(n->op_type, ov_float(x, i));
        int rc = ov_set_floats(c, o, v, x->n);
        free(v);
        if (rc == QA_OK && !x->is_float) {
            int64_t *iv = qa_malloc((size_t)QA_MAX(x->n, 1) * sizeof *iv);
            if (!iv)
                return err_set(c->e, c->path, 0, NULL, "out of memory");
            for (int64_t i = 0; i < x->n; i++)
                iv[i] = ov_int(o, i);
            rc = ov_set_ints(c, o, iv, x->n);
            free(iv);
        }
        return rc;
    }
    return QA_OK;
}

/* ---- the array: Conv, Gemm, MatMul ---- */

/* Padding of one spatial axis from pads / auto_pad (ONNX Conv and pools). */
static int axis_pads(OnnxCtx *c, const char *auto_pad, int64_t in, int64_t span,
                     int64_t stride, int64_t p0, int64_t p1, int64_t *b,
                     int64_t *e)
{
    *b = p0, *e = p1;
    if (!strcmp(auto_pad, "NOTSET"))
        return QA_OK;
    if (!strcmp(auto_pad, "VALID")) {
        *b = *e = 0;
        return QA_OK;
    }
    if (strcmp(auto_pad, "SAME_UPPER") && strcmp(auto_pad, "SAME_LOWER"))
        return ov_err(c, "auto_pad '%s' is not NOTSET, SAME_UPPER, SAME_LOWER "
                      "or VALID", auto_pad);
    int64_t outn = (in + stride - 1) / stride;
    int64_t total = QA_MAX(0, (outn - 1) * stride + span - in);
    *b = !strcmp(auto_pad, "SAME_UPPER") ? total / 2 : total - total / 2;
    *e = total - *b;
    return QA_OK;
}

/* Window geometry of a Conv or pool over 1 or 2 spatial axes: kernel,
 * strides, dilations, pads (from the attributes; kernel from k when given
 * as the weights' shape). Fills l's R, S, strides, dilations and pads, H
 * and W from x. */
typedef struct {
    int64_t k[2], s[2], d[2], p[4]; /* h, w; pads: top, left, bottom, right */
} Window;

static int window(OnnxCtx *c, const Onnx__NodeProto *n, const Val *x,
                  const int64_t *kernel, int pool, Window *w, Layer *l)
{
    int sp = x->rank - 2; /* spatial axes */
    if (sp < 1 || sp > 2)
        return ov_err(c, "input '%s' has %d dimensions: qarray reads 1-D and "
                      "2-D (N x C x [H x] W) inputs", x->name, x->rank);
    if (x->dims[0] != 1)
        return ov_err(c, "batch %lld in the model: qarray's batch is --batch; "
                      "export the model with batch 1 (or give --input-shape "
                      "with 1 first)", (long long)x->dims[0]);
    int64_t ks[2], st[2] = {1, 1}, dl[2] = {1, 1}, pd[4] = {0, 0, 0, 0};
    int nk = ov_attr_ints(c, n, "kernel_shape", ks, 2);
    if (nk < -1)
        return QA_ERR;
    if (nk < 0 && !kernel)
        return ov_err(c, "no kernel_shape");
    if (nk >= 0 && nk != sp)
        return ov_err(c, "kernel_shape has %d values for %d spatial axes", nk, sp);
    for (int i = 0; i < sp; i++) {
        if (kernel && nk >= 0 && ks[i] != kernel[i])
            return ov_err(c, "kernel_shape disagrees with the weights' shape");
        if (nk < 0)
            ks[i] = kernel[i];
    }
    int ns = ov_attr_ints(c, n, "strides", st, 2), nd = ov_attr_ints(c, n, "dilations", dl, 2);
    int np = ov_attr_ints(c, n, "pads", pd, 4);
    if (ns < -1 || nd < -1 || np < -1)
        return QA_ERR;
    if ((ns >= 0 && ns != sp) || (nd >= 0 && nd != sp) || (np >= 0 && np != 2 * sp))
        return ov_err(c, "strides, dilations or pads do not match %d spatial "
                      "axes", sp);
    char ap[32];
    ov_attr_str(n, "auto_pad", "NOTSET", ap, sizeof ap);
    memset(w, 0, sizeof *w);
    for (int i = 0; i < 2; i++) {
        /* a 1-D op is 2-D with height 1 */
        int a = i - (2 - sp);
        int64_t in = a < 0 ? 1 : x->dims[2 + a];
        w->k[i] = a < 0 ? 1 : ks[a];
        w->s[i] = a < 0 ? 1 : st[a];
        w->d[i] = a < 0 ? 1 : dl[a];
        if (w->k[i] < 1 || w->s[i] < 1 || w->d[i] < 1)
            return ov_err(c, "kernel, strides and dilations must be >= 1");
        if (dim_ok(c, w->k[i], "the kernel") || dim_ok(c, w->s[i], "the stride") ||
            dim_ok(c, w->d[i], "the dilation") || dim_ok(c, in, "the input size"))
            return QA_ERR;
        int64_t span = w->d[i] * (w->k[i] - 1) + 1;
        int64_t p0 = a < 0 ? 0 : pd[a], p1 = a < 0 ? 0 : pd[a + sp];
        if (p0 < 0 || p1 < 0 || p0 > LAYER_DIM_MAX || p1 > LAYER_DIM_MAX)
            return ov_err(c, "pads must be in 0..%d", LAYER_DIM_MAX);
        if (axis_pads(c, ap, in, span, w->s[i], p0, p1, &w->p[i], &w->p[i + 2]) != QA_OK)
            return QA_ERR;
        /* ceil_mode (pools): the last window may start in the right padding
         * no further than PyTorch and ONNX Runtime allow: extend the end
         * pad so rounding down gives the rounded-up count. */
        if (pool && ov_attr_int(n, "ceil_mode", 0)) {
            int64_t ext = in + w->p[i] + w->p[i + 2] - span;
            if (ext >= 0) {
                int64_t cnt = (ext + w->s[i] - 1) / w->s[i] + 1;
                if ((cnt - 1) * w->s[i] >= in + w->p[i])
                    cnt--;
                w->p[i + 2] += QA_MAX(0, (cnt - 1) * w->s[i] - ext);
            }
        }
    }
    l->H = (int)(sp == 2 ? x->dims[2] : 1);
    l->W = (int)x->dims[x->rank - 1];
    l->R = (int)w->k[0], l->S = (int)w->k[1];
    l->stride = (int)w->s[0];
    l->stride_w = w->s[1] == w->s[0] ? 0 : (int)w->s[1];
    l->dil_h = w->d[0] == 1 ? 0 : (int)w->d[0];
    l->dil_w = w->d[1] == 1 ? 0 : (int)w->d[1];
    if (w->p[0] == w->p[1] && w->p[0] == w->p[2] && w->p[0] == w->p[3])
        l->pad = (int)w->p[0];
    else
        for (int i = 0; i < 4; i++)
            l->pads[i] = (int)w->p[i];
    return QA_OK;
}

/* The output of a windowed layer: N x K x P x Q (or N x K x Q in 1-D). */
static int window_out(OnnxCtx *c, const Val *x, const Layer *l, int id, Val *o)
{
    if (!o)
        return QA_OK;
    int64_t dims[4] = {1, l->K, l->P, l->Q};
    if (x->rank == 3)
        dims[2] = l->Q;
    if (ov_shape(c, o, x->rank, dims) != QA_OK)
        return QA_ERR;
    set_act(o, id);
    return QA_OK;
}

static int op_conv(OnnxCtx *c, const Onnx__NodeProto *n)
{
    Val *x = ov_in(c, n, 0, 1), *w = ov_in(c, n, 1, 1), *o = ov_out(c, n, 0);
    if (!x || !w || (ov_has_in(n, 2) && !ov_in(c, n, 2, 1)))
        return QA_ERR;
    if (x->kind != V_ACT || w->kind == V_ACT)
        return ov_err(c, "qarray reads a Conv of an activation by weights");
    if (w->rank != x->rank)
        return ov_err(c, "weights '%s' of rank %d for an input of rank %d",
                      w->name, w->rank, x->rank);
    int64_t groups = ov_attr_int(n, "group", 1);
    int64_t C = x->dims[1], K = w->dims[0];
    if (groups < 1 || C % groups || K % groups || w->dims[1] * groups != C)
        return ov_err(c, "group %lld does not fit %lld input channels and "
                      "weights %lld x %lld", (long long)groups, (long long)C,
                      (long long)K, (long long)w->dims[1]);
    if (dim_ok(c, C, "C") || dim_ok(c, K, "K") || dim_ok(c, groups, "group"))
        return QA_ERR;
    Layer l;
    memset(&l, 0, sizeof l);
    l.op = OP_CONV;
    l.C = (int)C, l.K = (int)K, l.groups = (int)groups;
    Window win;
    if (window(c, n, x, w->dims + 2, 0, &win, &l) != QA_OK)
        return QA_ERR;
    l.in[0] = x->layer;
    l.in[1] = LAYER_NO_INPUT;
    int id = emit(c, n, &l);
    return id < 0 ? QA_ERR : window_out(c, x, &c->net->layers[id], id, o);
}

/* An fc layer of `rows` rows: rows x C times C x K. */
static int fc_layer(OnnxCtx *c, const Onnx__NodeProto *n, const Val *x,
                    int64_t rows, int64_t C, int64_t K, Val *o)
{
    if (dim_ok(c, rows, "the rows") || dim_ok(c, C, "the reduction") ||
        dim_ok(c, K, "the outputs"))
        return QA_ERR;
    Layer l;
    memset(&l, 0, sizeof l);
    l.op = OP_FC;
    l.C = (int)C, l.K = (int)K, l.H = (int)rows, l.W = 1;
    l.R = l.S = l.stride = 1;
    l.in[0] = x->layer;
    l.in[1] = LAYER_NO_INPUT;
    int id = emit(c, n, &l);
    if (id < 0)
        return QA_ERR;
    if (o)
        set_act(o, id);
    return o ? ov_check_act(c, o) : QA_OK;
}

/* groups products of rows x C/groups times C/groups x K/groups: in[0]
 * from a, the second operand from b (a layer, or LAYER_NO_INPUT: a weight
 * read from DRAM like an input). */
static int matmul_layer(OnnxCtx *c, const Onnx__NodeProto *n, const Val *a,
                        int b_layer, int64_t groups, int64_t rows, int64_t Kr,
                        int64_t N, Val *o)
{
    if (dim_ok(c, rows, "the rows") || dim_ok(c, groups, "the batch of products") ||
        (groups * Kr > LAYER_DIM_MAX ? dim_ok(c, groups * Kr, "batch x reduction") : 0) ||
        (groups * N > LAYER_DIM_MAX ? dim_ok(c, groups * N, "batch x outputs") : 0) ||
        dim_ok(c, Kr, "the reduction") || dim_ok(c, N, "the outputs"))
        return QA_ERR;
    Layer l;
    memset(&l, 0, sizeof l);
    l.op = OP_MATMUL;
    l.groups = (int)groups;
    l.C = (int)(groups * Kr), l.K = (int)(groups * N), l.H = (int)rows, l.W = 1;
    l.R = l.S = l.stride = 1;
    l.in[0] = a->layer;
    l.in[1] = b_layer;
    int id = emit(c, n, &l);
    if (id < 0)
        return QA_ERR;
    if (o)
        set_act(o, id);
    return o ? ov_check_act(c, o) : QA_OK;
}

static int op_gemm(OnnxCtx *c, const Onnx__NodeProto *n)
{
    Val *a = ov_in(c, n, 0, 1), *b = ov_in(c, n, 1, 1), *o = ov_out(c, n, 0);
    if (!a || !b || (ov_has_in(n, 2) && !ov_in(c, n, 2, 1)))
        return QA_ERR;
    if (a->rank != 2 || b->rank != 2)
        return ov_err(c, "Gemm of ranks %d and %d (2 and 2 expected)", a->rank,
                      b->rank);
    int ta = ov_attr_int(n, "transA", 0) != 0, tb = ov_attr_int(n, "transB", 0) != 0;
    int64_t M = a->dims[ta], K = a->dims[!ta], Kb = b->dims[tb], N = b->dims[!tb];
    if (K != Kb)
        return ov_err(c, "inner dimensions %lld and %lld differ", (long long)K,
                      (long long)Kb);
    int64_t dims[2] = {M, N};
    if (o && ov_shape(c, o, 2, dims) != QA_OK)
        return QA_ERR;
    if (a->kind == V_ACT && b->kind == V_ACT)
        return matmul_layer(c, n, a, b->layer, 1, M, K, N, o);
    if (a->kind == V_ACT)
        return fc_layer(c, n, a, M, K, N, o);
    if (b->kind == V_ACT) /* W x: the rows are x's columns */
        return fc_layer(c, n, b, N, K, M, o);
    return ov_param(c, o, 2, dims);
}

static int op_matmul(OnnxCtx *c, const Onnx__NodeProto *n)
{
    Val *a = ov_in(c, n, 0, 1), *b = ov_in(c, n, 1, 1), *o = ov_out(c, n, 0);
    if (!a || !b)
        return QA_ERR;
    if (a->rank < 1 || b->rank < 1)
        return ov_err(c, "MatMul of a scalar");
    /* 1-D operands: [K] is [1, K] on the left and [K, 1] on the right */
    Val A = *a, B = *b;
    if (A.rank == 1)
        A.rank = 2, A.dims[1] = A.dims[0], A.dims[0] = 1;
    if (B.rank == 1)
        B.rank = 2, B.dims[1] = 1;
    int64_t M = A.dims[A.rank - 2], K = A.dims[A.rank - 1];
    int64_t Kb = B.dims[B.rank - 2], N = B.dims[B.rank - 1];
    if (K != Kb)
        return ov_err(c, "inner dimensions %lld and %lld differ", (long long)K,
                      (long long)Kb);
    Val ba = A, bb = B; /* the batch dimensions */
    ba.rank -= 2, bb.rank -= 2;
    int br;
    int64_t bd[ONNX_MAX_RANK], dims[ONNX_MAX_RANK];
    if (ov_broadcast(c, &ba, &bb, &br, bd) != QA_OK)
        return QA_ERR;
    int rank = 0;
    for (int i = 0; i < br; i++)
        dims[rank++] = bd[i];
    if (a->rank > 1)
        dims[rank++] = M;
    if (b->rank > 1)
        dims[rank++] = N;
    if (o && ov_shape(c, o, rank, dims) != QA_OK)
        return QA_ERR;
    int64_t batch = ov_prod(bd, br);
    if (a->kind == V_ACT && b->kind == V_ACT)
        return matmul_layer(c, n, a, b->layer, batch, M, K, N, o);
    if (a->kind == V_ACT) {
        if (ov_prod(bb.dims, bb.rank) == 1)
            return fc_layer(c, n, a, batch * M, K, N, o);
        /* a batch of weight matrices: read like a second operand */
        return matmul_layer(c, n, a, LAYER_NO_INPUT, batch, M, K, N, o);
    }
    if (b->kind == V_ACT) {
        if (ov_prod(ba.dims, ba.rank) == 1) /* W x: x's columns are the rows */
            return fc_layer(c, n, b, batch * N, K, M, o);
        return ov_err(c, "a batch of weight matrices times an activation is "
                      "not supported");
    }
    return ov_param(c, o, rank, dims);
}

/* ---- normalisation, pools, softmax, reductions ---- */

static int op_batchnorm(OnnxCtx *c, const Onnx__NodeProto *n)
{
    Val *x = ov_in(c, n, 0, 1), *o = ov_out(c, n, 0);
    if (!x || ov_unused_from(c, n, 1) != QA_OK)
        return QA_ERR;
    for (size_t k = 1; k < 5; k++)
        if (!ov_in(c, n, k, 1))
            return QA_ERR;
    if (x->kind != V_ACT)
        return ov_alias(c, x, o);
    Layer *p = fusable(c, x);
    if (p && p->op == OP_CONV) {
        p->bn_after = 1; /* folded: the conv's weights and bias absorb it */
        return ov_alias(c, x, o);
    }
    if (!o)
        return QA_OK;
    if (ov_shape(c, o, x->rank, x->dims) != QA_OK)
        return QA_ERR;
    return onnx_flat_layer(c, n, OP_NORM, 2, x, NULL, o);
}

/* Lane operations per element of a layer norm: mean (1), subtract (1),
 * square (1), sum (1), normalise (1), scale (1), shift (1). */
#define NORM_OPS 7
/* Of a softmax: max (1), subtract (1), exp (2), sum (1), scale by the
 * reciprocal (1). */
#define SOFTMAX_OPS 6

static int op_norm(OnnxCtx *c, const Onnx__NodeProto *n)
{
    Val *x = ov_in(c, n, 0, 1), *o = ov_out(c, n, 0);
    if (!x || ov_unused_from(c, n, 1) != QA_OK)
        return QA_ERR;
    for (size_t k = 1; k < n->n_input; k++)
        if (ov_has_in(n, k) && !ov_in(c, n, k, 1))
            return QA_ERR;
    if (x->kind != V_ACT)
        return ov_param(c, o, x->rank, x->dims);
    if (!o)
        return QA_OK;
    if (ov_shape(c, o, x->rank, x->dims) != QA_OK)
        return QA_ERR;
    return onnx_flat_layer(c, n, OP_NORM, NORM_OPS, x, NULL, o);
}

static int op_softmax(OnnxCtx *c, const Onnx__NodeProto *n)
{
    Val *x = ov_in(c, n, 0, 1), *o = ov_out(c, n, 0);
    if (!x)
        return QA_ERR;
    if (x->kind != V_ACT)
        return ov_param(c, o, x->rank, x->dims);
    if (!o)
        return QA_OK;
    if (ov_shape(c, o, x->rank, x->dims) != QA_OK)
        return QA_ERR;
    return onnx_flat_layer(c, n, OP_SOFTMAX, SOFTMAX_OPS, x, NULL, o);
}

static int op_pool(OnnxCtx *c, const Onnx__NodeProto *n)
{
    Val *x = ov_in(c, n, 0, 1), *o = ov_out(c, n, 0);
    if (!x || ov_unused_from(c, n, 1) != QA_OK)
        return QA_ERR;
    if (x->kind != V_ACT)
        return ov_err(c, "qarray reads pools of activations");
    int global = !strncmp(n->op_type, "Global", 6);
    Layer l;
    memset(&l, 0, sizeof l);
    l.op = strstr(n->op_type, "Max") ? OP_MAXPOOL : OP_AVGPOOL;
    if (x->rank < 3 || x->rank > 4)
        return ov_err(c, "input '%s' has %d dimensions: qarray reads 1-D and "
                      "2-D pools", x->name, x->rank);
    if (dim_ok(c, x->dims[1], "C"))
        return QA_ERR;
    l.C = l.K = (int)x->dims[1];
    if (global) {
        if (x->dims[0] != 1)
            return ov_err(c, "batch %lld in the model: export with batch 1",
                          (long long)x->dims[0]);
        /* the window is the whole map, as the built-in networks' pool */
        l.H = (int)(x->rank == 4 ? x->dims[2] : 1);
        l.W = (int)x->dims[x->rank - 1];
        if (dim_ok(c, l.H, "H") || dim_ok(c, l.W, "W"))
            return QA_ERR;
        l.R = l.H, l.S = l.W, l.stride = 1;
    } else {
        Window win;
        if (window(c, n, x, NULL, 1, &win, &l) != QA_OK)
            return QA_ERR;
    }
    l.in[0] = x->layer;
    l.in[1] = LAYER_NO_INPUT;
    int id = emit(c, n, &l);
    return id < 0 ? QA_ERR : window_out(c, x, &c->net->layers[id], id, o);
}

/* The axes of a reduction (attribute, or input 1 from the opsets that
 * moved it there); *all when none are given. */
static int reduce_axes(OnnxCtx *c, const Onnx__NodeProto *n, const Val *x,
                       int *mask, int *noop)
{
    int64_t ax[ONNX_MAX_RANK];
    int na = -1;
    *noop = 0;
    if (ov_has_in(n, 1)) {
        Val *a = ov_in(c, n, 1, 1);
        if (!a || ov_const_ints(c, a, "axes", ax, ONNX_MAX_RANK, &na) != QA_OK)
            return QA_ERR;
    } else {
        na = ov_attr_ints(c, n, "axes", ax, ONNX_MAX_RANK);
        if (na < -1)
            return QA_ERR;
    }
    *mask = 0;
    if (na <= 0) {
        if (ov_attr_int(n, "noop_with_empty_axes", 0))
            *noop = 1;
        else
            *mask = (1 << x->rank) - 1;
        return QA_OK;
    }
    for (int i = 0; i < na; i++) {
        int a;
        if (ov_axis(c, ax[i], x->rank, &a) != QA_OK)
            return QA_ERR;
        *mask |= 1 << a;
    }
    return QA_OK;
}

static int op_reduce(OnnxCtx *c, const Onnx__NodeProto *n)
{
    Val *x = ov_in(c, n, 0, 1), *o = ov_out(c, n, 0);
    if (!x)
        return QA_ERR;
    int arg = !strncmp(n->op_type, "Arg", 3);
    int mask, noop;
    if (arg) {
        int a;
        if (ov_axis(c, ov_attr_int(n, "axis", 0), x->rank, &a) != QA_OK)
            return QA_ERR;
        mask = 1 << a, noop = 0;
    } else if (reduce_axes(c, n, x, &mask, &noop) != QA_OK) {
        return QA_ERR;
    }
    if (noop)
        return ov_alias(c, x, o);
    int keep = ov_attr_int(n, "keepdims", 1) != 0;
    int rank = 0;
    int64_t dims[ONNX_MAX_RANK];
    for (int i = 0; i < x->rank; i++)
        if (!(mask >> i & 1))
            dims[rank++] = x->dims[i];
        else if (keep)
            dims[rank++] = 1;
    if (!o)
        return QA_OK;
    if (ov_shape(c, o, rank, dims) != QA_OK)
        return QA_ERR;
    if (x->kind != V_ACT) {
        o->kind = V_PARAM;
        /* shape arithmetic: a product or sum of a constant vector */
        int is_prod = !strcmp(n->op_type, "ReduceProd");
        if (x->kind == V_CONST && !x->is_float && ov_elems(o) == 1 &&
            (is_prod || !strcmp(n->op_type, "ReduceSum"))) {
            int64_t r = is_prod;
            for (int64_t i = 0; i < x->n; i++)
                if (fold_int(c, is_prod ? B_MUL : B_ADD, r, ov_int(x, i), &r) != QA_OK)
                    return QA_ERR;
            return ov_set_ints(c, o, &r, 1);
        }
        return QA_OK;
    }
    int cost = !strcmp(n->op_type, "ReduceL2") || !strcmp(n->op_type, "ReduceLogSumExp") ||
                       !strcmp(n->op_type, "ReduceLogSum") ? 2 : 1;
    return onnx_flat_layer(c, n, OP_REDUCE, cost, x, NULL, o);
}

/* ---- the table ---- */

typedef struct {
    const char *op;
    OnnxOpFn fn;
} OpDef;

static const OpDef op_defs[] = {
    {"Conv", op_conv}, {"Gemm", op_gemm}, {"MatMul", op_matmul},
    {"BatchNormalization", op_batchnorm}, {"LayerNormalization", op_norm},
    {"InstanceNormalization", op_norm}, {"Softmax", op_softmax},
    {"LogSoftmax", op_softmax}, {"MaxPool", op_pool}, {"AveragePool", op_pool},
    {"GlobalAveragePool", op_pool}, {"GlobalMaxPool", op_pool},
    {"ReduceMean", op_reduce}, {"ReduceSum", op_reduce},
    {"ReduceMax", op_reduce}, {"ReduceMin", op_reduce},
    {"ReduceProd", op_reduce}, {"ReduceSumSquare", op_reduce},
    {"ReduceLogSum", op_reduce}, {"ReduceLogSumExp", op_reduce},
    {"ArgMax", op_reduce}, {"ArgMin", op_reduce},
};

OnnxOpFn onnx_op_find(const char *op_type)
{
    if (!op_type)
        return NULL;
    for (size_t i = 0; i < QA_COUNT(op_defs); i++)
        if (!strcmp(op_defs[i].op, op_type))
            return op_defs[i].fn;
    if (bin_def(op_type))
        return op_binary;
    if (un_def(op_type))
        return op_unary;
    return onnx_shape_op(op_type);
}
