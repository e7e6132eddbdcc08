/* model.c: QNet construction, forward and backward (model.h). */
#include "quant/train/model.h"
#include "quant/train/blas.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- building ---- */

static int shape_of(const QNet *net, int id, int *C, int *H, int *W)
{
    if (id == QNET_INPUT) {
        *C = net->in_C, *H = net->in_H, *W = net->in_W;
        return QA_OK;
    }
    *C = net->ops[id].C, *H = net->ops[id].H, *W = net->ops[id].W;
    return QA_OK;
}

static int seg_add(QNet *net, size_t off, size_t n, ParamKind kind)
{
    ParamSeg *s = qa_realloc(net->segs, sizeof *s * (net->n_segs + 1));
    if (!s)
        return QA_ERR;
    net->segs = s;
    s[net->n_segs++] = (ParamSeg){off, n, kind};
    return QA_OK;
}

static size_t param_take(QNet *net, size_t n)
{
    size_t off = net->n_params;
    net->n_params += n;
    return off;
}

/* Append an op reading in0 (and in1); returns its id or QA_ERR (out of memory). */
static int op_add(QNet *net, QOpKind kind, const char *name, int in0, int in1)
{
    if (net->n_ops == net->cap_ops) {
        int cap = net->cap_ops ? 2 * net->cap_ops : 64;
        QOp *o = qa_realloc(net->ops, sizeof *o * cap);
        if (!o)
            return QA_ERR;
        net->ops = o, net->cap_ops = cap;
    }
    QOp *op = &net->ops[net->n_ops];
    memset(op, 0, sizeof *op);
    op->kind = kind;
    snprintf(op->name, sizeof op->name, "%s", name);
    op->in[0] = in0, op->in[1] = in1;
    shape_of(net, in0, &op->C, &op->H, &op->W);
    return net->n_ops++;
}

static int b_conv(QNet *net, const char *name, int in, int K, int R, int stride, int pad,
                  int shortcut)
{
    int id = op_add(net, QOP_CONV, name, in, -1);
    if (id < 0)
        return QA_ERR;
    QOp *op = &net->ops[id];
    op->d = (ConvDims){.N = net->max_N, .C = op->C, .H = op->H, .W = op->W, .K = K,
                       .R = R, .S = R, .stride = stride, .pad = pad};
    nn_dims_finish(&op->d);
    op->C = K, op->H = op->d.P, op->W = op->d.Q;
    op->shortcut = shortcut;
    size_t n = (size_t)K * op->d.C * R * R;
    op->p_w = param_take(net, n);
    size_t col = nn_conv_col_floats(&op->d);
    if (col > net->col_floats)
        net->col_floats = col;
    return seg_add(net, op->p_w, n, PK_WEIGHT) ? QA_ERR : id;
}

static int b_bn(QNet *net, const char *name, int in)
{
    int id = op_add(net, QOP_BN, name, in, -1);
    if (id < 0)
        return QA_ERR;
    QOp *op = &net->ops[id];
    op->p_w = param_take(net, op->C);
    op->p_b = param_take(net, op->C);
    op->s_mean = net->n_state;
    op->s_var = net->n_state + op->C;
    net->n_state += 2 * (size_t)op->C;
    return seg_add(net, op->p_w, 2 * (size_t)op->C, PK_BN) ? QA_ERR : id;
}

/* Activation: ReLU in float; the clipping level alpha (one param, decayed
 * as PK_ALPHA) is used by quantized activations. */
static int b_act(QNet *net, const char *name, int in)
{
    int id = op_add(net, QOP_ACT, name, in, -1);
    if (id < 0)
        return QA_ERR;
    QOp *op = &net->ops[id];
    op->p_w = param_take(net, 1);
    return seg_add(net, op->p_w, 1, PK_ALPHA) ? QA_ERR : id;
}

static int b_add(QNet *net, const char *name, int a, int b)
{
    return op_add(net, QOP_ADD, name, a, b);
}

static int b_gap(QNet *net, const char *name, int in)
{
    int id = op_add(net, QOP_GAP, name, in, -1);
    if (id >= 0)
        net->ops[id].H = net->ops[id].W = 1;
    return id;
}

static int b_fc(QNet *net, const char *name, int in, int K)
{
    int id = op_add(net, QOP_FC, name, in, -1);
    if (id < 0)
        return QA_ERR;
    QOp *op = &net->ops[id];
    op->d = (ConvDims){.N = net->max_N, .C = op->C, .H = 1, .W = 1, .K = K, .R = 1,
                       .S = 1, .stride = 1, .pad = 0, .P = 1, .Q = 1};
    op->C = K;
    op->p_w = param_take(net, (size_t)K * op->d.C);
    op->p_b = param_take(net, K);
    if (seg_add(net, op->p_w, (size_t)K * op->d.C, PK_WEIGHT) ||
        seg_add(net, op->p_b, K, PK_BN))
        return QA_ERR;
    return id;
}

static int b_maxpool(QNet *net, const char *name, int in, int R, int stride, int pad)
{
    int id = op_add(net, QOP_MAXPOOL, name, in, -1);
    if (id < 0)
        return QA_ERR;
    QOp *op = &net->ops[id];
    op->d = (ConvDims){.N = net->max_N, .C = op->C, .H = op->H, .W = op->W, .K = op->C,
                       .R = R, .S = R, .stride = stride, .pad = pad};
    nn_dims_finish(&op->d);
    op->H = op->d.P, op->W = op->d.Q;
    return id;
}

/* conv -> bn -> act */
static int b_cba(QNet *net, const char *name, int in, int K, int R, int stride, int pad)
{
    char n[32];
    snprintf(n, sizeof n, "%s.conv", name);
    int x = b_conv(net, n, in, K, R, stride, pad, 0);
    snprintf(n, sizeof n, "%s.bn", name);
    if (x >= 0)
        x = b_bn(net, n, x);
    snprintf(n, sizeof n, "%s.act", name);
    if (x >= 0)
        x = b_act(net, n, x);
    return x;
}

#define TRY(x) do { if ((x) < 0) return QA_ERR; } while (0)

/* Small CNN for quick tests: 3 conv-bn-act (w, 2w, 4w), two 2x2 max pools. */
static int build_cnn(QNet *net, int w)
{
    int x;
    TRY(x = b_cba(net, "c1", QNET_INPUT, w, 3, 1, 1));
    TRY(x = b_maxpool(net, "pool1", x, 2, 2, 0));
    TRY(x = b_cba(net, "c2", x, 2 * w, 3, 1, 1));
    TRY(x = b_maxpool(net, "pool2", x, 2, 2, 0));
    TRY(x = b_cba(net, "c3", x, 4 * w, 3, 1, 1));
    TRY(x = b_gap(net, "gap", x));
    TRY(b_fc(net, "fc", x, net->classes));
    return QA_OK;
}

static ParamSeg *seg_at(QNet *net, size_t off)
{
    for (int i = 0; i < net->n_segs; i++)
        if (net->segs[i].off == off)
            return &net->segs[i];
    return NULL;
}

/* Give every conv/fc a weight quantizer and every act an activation
 * quantizer by the spec: first conv, last fc and the act feeding the
 * classifier at first_last_bits; projection shortcuts at 16 bits with fpsc.
 * APoT weights keep APoT levels in the body and uniform levels (same RCF
 * training) at 8 bits, where APoT levels are not defined. "sat" is DoReFa
 * weights plus SAT constant rescaling of the fc (the one layer without BN). */
static int setup_quant(QNet *net, const QuantSpec *qs, Err *e)
{
    int first = -1, last_act = -1;
    for (int i = 0; i < net->n_ops; i++) {
        if (net->ops[i].kind == QOP_CONV && first < 0)
            first = i;
        if (net->ops[i].kind == QOP_ACT)
            last_act = i;
    }
    int fl = qs->first_last_bits;
    for (int i = 0; i < net->n_ops; i++) {
        QOp *op = &net->ops[i];
        int is_edge = i == first || i == net->n_ops - 1 || i == last_act;
        if ((op->kind == QOP_CONV || op->kind == QOP_FC) && qs->w_bits > 0) {
            int bits = is_edge && fl ? fl : qs->w_bits;
            const char *m = qs->w_method;
            if (!strcmp(m, "sat")) {
                m = "dorefa";
                op->sat = op->kind == QOP_FC;
            }
            if (!strcmp(m, "apot") && bits > 5)
                m = "uniform";
            if (op->shortcut && qs->fpsc)
                bits = 16, m = "dorefa";
            if (q_init(&op->q, m, bits, 1, e)) {
                snprintf(e->field, sizeof e->field, "quant.w_method");
                snprintf(e->msg + strlen(e->msg), sizeof e->msg - strlen(e->msg),
                         " (layer %s)", op->name);
                return QA_ERR;
            }
            op->w_bits = bits;
            op->q.wn = qs->wn && op->q.ops->alpha_kind == Q_ALPHA_LEARNED;
            if (op->q.ops->alpha_kind == Q_ALPHA_LEARNED) {
                op->learned = 1;
                op->p_alpha = param_take(net, 1);
                if (seg_add(net, op->p_alpha, 1, PK_ALPHA))
                    return err_set(e, NULL, 0, "quant", "out of memory");
            }
        } else if (op->kind == QOP_ACT && qs->a_bits > 0) {
            int bits = i == last_act && fl ? fl : qs->a_bits;
            if (q_init(&op->q, qs->a_method, bits, 0, e)) {
                snprintf(e->field, sizeof e->field, "quant.a_method");
                return QA_ERR;
            }
            op->a_bits = bits;
            op->learned = op->q.ops->alpha_kind == Q_ALPHA_LEARNED;
            ParamSeg *sg = seg_at(net, op->p_w);
            if (sg && !op->learned)
                sg->kind = PK_FROZEN;
            q_calib_init(&op->calib, bits);
        }
    }
    return QA_OK;
}

static size_t op_out_floats(const QNet *net, const QOp *op)
{
    return (size_t)op->C * net->max_N * op->H * op->W;
}

static int alloc_all(QNet *net)
{
    size_t act = 0, nargmax = 0;
    for (int i = 0; i < net->n_ops; i++) {
        const QOp *op = &net->ops[i];
        act += 2 * op_out_floats(net, op);
        if (op->kind == QOP_BN)
            act += 2 * (size_t)op->C;
        if (op->kind == QOP_MAXPOOL)
            nargmax += op_out_floats(net, op);
    }
    size_t nwq = 0;
    for (int i = 0; i < net->n_ops; i++)
        if (net->ops[i].w_bits > 0)
            nwq += 2 * (size_t)net->ops[i].d.K * net->ops[i].d.C * net->ops[i].d.R * net->ops[i].d.S;
    net->wq_mem = qa_malloc(sizeof(float) * (nwq + 1));
    net->params = qa_calloc(3 * net->n_params + net->n_state + 1, sizeof(float));
    net->act_mem = qa_malloc(sizeof(float) * (act + 1));
    net->col = qa_malloc(sizeof(float) * (net->col_floats + 1));
    net->argmax_mem = qa_malloc(sizeof(int) * (nargmax + 1));
    if (!net->params || !net->act_mem || !net->col || !net->argmax_mem || !net->wq_mem)
        return QA_ERR;
    float *w = net->wq_mem;
    for (int i = 0; i < net->n_ops; i++) {
        QOp *op = &net->ops[i];
        if (op->w_bits > 0) {
            size_t n = (size_t)op->d.K * op->d.C * op->d.R * op->d.S;
            op->wq = w, w += n;
            op->gwq = w, w += n;
        }
    }
    net->grads = net->params + net->n_params;
    net->velocity = net->grads + net->n_params;
    net->state = net->velocity + net->n_params;
    float *p = net->act_mem;
    int *a = net->argmax_mem;
    for (int i = 0; i < net->n_ops; i++) {
        QOp *op = &net->ops[i];
        size_t n = op_out_floats(net, op);
        op->y = p, p += n;
        op->dy = p, p += n;
        if (op->kind == QOP_BN)
            op->save = p, p += 2 * (size_t)op->C;
        if (op->kind == QOP_MAXPOOL)
            op->argmax = a, a += n;
    }
    return QA_OK;
}

/* ---- lowering a workloads layer graph ---- */

/* One lowering of src into net. Per source layer: the op that stands for
 * its output (out), and in the pre-activation form the BN-ReLU every reader
 * but an add sees (pre, made on first use; -1 until then). */
typedef struct {
    QNet *net;
    const Net *src;
    int preact;
    int *out, *pre;  /* (src->n) op ids */
    char *done;      /* (src->n) 1 once the layer is lowered */
    Err *e;
} Lower;

/* 1 if layer id has readers and all of them are adds: a branch's last conv
 * or a projection, whose BN output goes to the add without a ReLU. (A stem
 * that feeds the first block's identity shortcut also feeds its conv.) */
static int feeds_only_adds(const Net *src, int id)
{
    int adds = 0, other = 0;
    for (int j = id + 1; j < src->n; j++) {
        const Layer *l = &src->layers[j];
        if (l->in[0] == id || (l->op == OP_ADD && l->in[1] == id))
            *(l->op == OP_ADD ? &adds : &other) += 1;
    }
    return adds > 0 && other == 0;
}

static int lower_layer(Lower *lw, int i);

/* *op := the op that layer `reader` reads as its input `slot`. Pre-
 * activation: adds read conv and add outputs as they are, everything else
 * through their BN-ReLU; pool outputs are read as they are (a pool's input
 * already passed one). */
static int lower_input(Lower *lw, int reader, int slot, int *op)
{
    const Net *src = lw->src;
    int p = src->layers[reader].in[slot];
    if (p == LAYER_NO_INPUT) {
        *op = QNET_INPUT;
        return QA_OK;
    }
    LayerOp pk = src->layers[p].op;
    if (!lw->preact || src->layers[reader].op == OP_ADD || (pk != OP_CONV && pk != OP_ADD)) {
        *op = lw->out[p];
        return QA_OK;
    }
    if (lw->pre[p] < 0) {
        char n[64];
        snprintf(n, sizeof n, "%.40s.bn", src->layers[p].name);
        int x = b_bn(lw->net, n, lw->out[p]);
        snprintf(n, sizeof n, "%.40s.act", src->layers[p].name);
        if (x >= 0)
            x = b_act(lw->net, n, x);
        if (x < 0)
            return err_set(lw->e, NULL, 0, src->layers[p].name, "out of memory");
        lw->pre[p] = x;
        /* A block's projection shortcut reads the same BN-ReLU and is made
         * with it, before the branch: the op order, and so the parameter
         * layout and seeded initialisation, resnet20-preact has always had. */
        for (int k = p + 1; k < src->n; k++) {
            const Layer *l = &src->layers[k];
            if (!lw->done[k] && l->op == OP_CONV && l->shortcut && l->in[0] == p &&
                lower_layer(lw, k))
                return QA_ERR;
        }
    }
    *op = lw->pre[p];
    return QA_OK;
}

/* Post-activation: conv -> conv, BN, and ReLU unless it only feeds adds;
 * add -> add, ReLU. Pre-activation: conv -> conv and add -> add (their
 * BN-ReLU comes with the first reader, lower_input). Both: pools, fc as
 * they are. Ops are named after the layer, a BN-ReLU "<layer>.bn",
 * "<layer>.act". */
static int lower_layer(Lower *lw, int i)
{
    const Layer *l = &lw->src->layers[i];
    QNet *net = lw->net;
    char n[64];
    int in, in1, x = -1;
    lw->done[i] = 1;
    if (lower_input(lw, i, 0, &in))
        return QA_ERR;
    switch (l->op) {
    case OP_CONV:
        if (l->groups > 1 || l->R != l->S)
            return err_set(lw->e, NULL, 0, l->name, "grouped or non-square convolutions "
                           "are not trainable here");
        x = b_conv(net, l->name, in, l->K, l->R, l->stride, l->pad, l->shortcut);
        if (lw->preact)
            break;
        snprintf(n, sizeof n, "%.40s.bn", l->name);
        if (x >= 0)
            x = b_bn(net, n, x);
        snprintf(n, sizeof n, "%.40s.act", l->name);
        if (x >= 0 && !feeds_only_adds(lw->src, i))
            x = b_act(net, n, x);
        break;
    case OP_ADD:
        if (lower_input(lw, i, 1, &in1))
            return QA_ERR;
        x = b_add(net, l->name, in, in1);
        snprintf(n, sizeof n, "%.40s.act", l->name);
        if (x >= 0 && !lw->preact)
            x = b_act(net, n, x);
        break;
    case OP_MAXPOOL:
        x = b_maxpool(net, l->name, in, l->R, l->stride, l->pad);
        break;
    case OP_AVGPOOL:
        if (l->R != l->H || l->S != l->W)
            return err_set(lw->e, NULL, 0, l->name, "only global average pooling is supported");
        x = b_gap(net, l->name, in);
        break;
    case OP_FC:
        x = b_fc(net, l->name, in, l->K);
        net->classes = l->K;
        break;
    default:
        return err_set(lw->e, NULL, 0, l->name, "%s layers are not trainable here",
                       layer_op_name(l->op));
    }
    if (x < 0)
        return err_set(lw->e, NULL, 0, l->name, "out of memory");
    lw->out[i] = x;
    return QA_OK;
}

/* Append the ops of src to net (input shape, batch and BN constants set). */
static int lower_net(QNet *net, const Net *src, int preact, Err *e)
{
    size_t n = (size_t)src->n;
    Lower lw = {net, src, preact, qa_malloc(sizeof(int) * 2 * n), NULL,
                qa_calloc(n, 1), e};
    int rc = QA_ERR;
    if (!lw.out || !lw.done) {
        err_set(e, NULL, 0, "net", "out of memory");
        goto done;
    }
    lw.pre = lw.out + n;
    for (size_t i = 0; i < 2 * n; i++)
        lw.out[i] = -1;
    for (int i = 0; i < src->n; i++)
        if (!lw.done[i] && lower_layer(&lw, i))
            goto done;
    if (net->ops[net->n_ops - 1].kind != QOP_FC) {
        err_set(e, NULL, 0, "net", "the network must end with an fc layer");
        goto done;
    }
    rc = QA_OK;
done:
    free(lw.out);
    free(lw.done);
    return rc;
}

/* A fresh net for input C x H x W: what every builder starts with. */
static void begin_net(QNet *net, const char *arch, int C, int H, int W, int batch,
                      const QuantSpec *quant)
{
    memset(net, 0, sizeof *net);
    snprintf(net->arch, sizeof net->arch, "%.31s", arch);
    net->in_C = C, net->in_H = H, net->in_W = W;
    net->max_N = net->N = batch;
    net->bn_momentum = 0.1f, net->bn_eps = 1e-5f;
    net->alpha_init = quant ? quant->alpha_init : 0.0f;
}

/* Quantizers and buffers of a net whose ops are all there. */
static int finish_net(QNet *net, const QuantSpec *quant, Err *e)
{
    /* OpenBLAS is loaded only by what builds a network to run (blas.h). */
    if (nn_blas_load(e) != QA_OK)
        return QA_ERR;
    if (quant && setup_quant(net, quant, e))
        return QA_ERR;
    if (alloc_all(net))
        return err_set(e, NULL, 0, "arch", "out of memory building %s", net->arch);
    return QA_OK;
}

int qnet_build(QNet *net, const QNetSpec *spec, Err *e)
{
    memset(net, 0, sizeof *net);
    if (spec->batch < 1 || spec->batch > 65536)
        return err_set(e, NULL, 0, "batch", "must be 1..65536, not %d", spec->batch);
    if (!(spec->width_mult > 0.0f) || spec->width_mult > 16.0f)
        return err_set(e, NULL, 0, "width", "multiplier must be in (0, 16], not %g",
                       (double)spec->width_mult);
    if (spec->classes < 2 || spec->classes > 1000)
        return err_set(e, NULL, 0, "classes", "must be 2..1000, not %d", spec->classes);
    int rc;
    if (!strcmp(spec->arch, "resnet20") || !strcmp(spec->arch, "resnet20-preact")) {
        /* workloads' resnet20 at the width, lowered in the arch's form */
        int width = QA_MAX(1, (int)lroundf(16.0f * spec->width_mult));
        Net src;
        if (net_build_scaled(&src, "resnet20", width, spec->classes, e))
            return QA_ERR;
        const Layer *l0 = &src.layers[0];
        begin_net(net, spec->arch, l0->C, l0->H, l0->W, spec->batch, spec->quant);
        net->width = width;
        net->preact = spec->arch[8] == '-';
        rc = lower_net(net, &src, net->preact, e);
        net_free(&src);
    } else if (!strcmp(spec->arch, "cnn")) {
        begin_net(net, spec->arch, 1, 28, 28, spec->batch, spec->quant);
        net->classes = spec->classes;
        net->width = QA_MAX(1, (int)lroundf(8.0f * spec->width_mult));
        rc = build_cnn(net, net->width);
        if (rc)
            err_set(e, NULL, 0, "arch", "out of memory building %s", spec->arch);
    } else {
        return err_set(e, NULL, 0, "arch", "unknown network '%s' (resnet20, "
                       "resnet20-preact, cnn)", spec->arch);
    }
    if (rc || finish_net(net, spec->quant, e)) {
        qnet_free(net);
        return QA_ERR;
    }
    return QA_OK;
}

int qnet_build_net(QNet *net, const Net *src, int preact, int batch, const QuantSpec *quant,
                   Err *e)
{
    memset(net, 0, sizeof *net);
    if (src->n < 1 || batch < 1)
        return err_set(e, NULL, 0, "net", "empty network or batch < 1");
    const Layer *l0 = &src->layers[0];
    begin_net(net, src->name, l0->C, l0->H, l0->W, batch, quant);
    net->preact = preact;
    if (lower_net(net, src, preact, e) || finish_net(net, quant, e)) {
        qnet_free(net);
        return QA_ERR;
    }
    return QA_OK;
}

void qnet_init_params(QNet *net, Rng *rng)
{
    memset(net->params, 0, sizeof(float) * (3 * net->n_params + net->n_state));
    for (int i = 0; i < net->n_ops; i++) {
        QOp *op = &net->ops[i];
        float *p = net->params;
        if (op->kind == QOP_CONV || op->kind == QOP_FC) {
            int fan_in = op->d.C * op->d.R * op->d.S;
            size_t n = (size_t)op->d.K * fan_in;
            float sd = sqrtf(2.0f / (float)fan_in);
            for (size_t j = 0; j < n; j++)
                p[op->p_w + j] = sd * (float)rng_normal(rng);
        } else if (op->kind == QOP_BN) {
            for (int c = 0; c < op->C; c++) {
                p[op->p_w + c] = 1.0f;
                net->state[op->s_var + c] = 1.0f;
            }
        } else if (op->kind == QOP_ACT && op->learned && net->alpha_init > 0.0f) {
            p[op->p_w] = net->alpha_init;
        }
    }
}

void qnet_free(QNet *net)
{
    for (int i = 0; i < net->n_ops; i++)
        if (net->ops[i].q.ops)
            q_free(&net->ops[i].q);
    free(net->wq_mem);
    free(net->ops);
    free(net->segs);
    free(net->params);
    free(net->act_mem);
    free(net->col);
    free(net->argmax_mem);
    memset(net, 0, sizeof *net);
}

/* ---- forward / backward ---- */

static const float *input_of(const QNet *net, const float *x, int id)
{
    return id == QNET_INPUT ? x : net->ops[id].y;
}

/* The weights a conv/fc computes with: fake-quantized (and SAT-rescaled)
 * when quantized. A learned alpha lives in params; the quantizer sets it from
 * the data on the first call (alpha 0) and the parameter takes it over. */
static const float *op_weights(QNet *net, QOp *op, Err *e)
{
    float *w = net->params + op->p_w;
    if (op->w_bits == 0)
        return w;
    size_t n = (size_t)op->d.K * op->d.C * op->d.R * op->d.S;
    if (op->learned)
        op->q.alpha = net->params[op->p_alpha];
    if (q_forward(&op->q, w, op->wq, n, e)) {
        snprintf(e->field, sizeof e->field, "%s", op->name);
        return NULL;
    }
    if (op->learned)
        net->params[op->p_alpha] = op->q.alpha;
    if (op->sat)
        q_sat_forward(op->wq, op->wq, n, op->d.K, &op->sat_scale);
    return op->wq;
}

static int act_forward(QNet *net, QOp *op, const float *in, size_t n, Err *e)
{
    if (op->a_bits == 0 || net->calibrating) {
        if (net->calibrating && op->a_bits > 0 && q_calib_add(&op->calib, in, n, e))
            return QA_ERR;
        nn_relu_forward(n, in, op->y);
        return QA_OK;
    }
    if (op->learned)
        op->q.alpha = net->params[op->p_w];
    if (q_forward(&op->q, in, op->y, n, e)) {
        snprintf(e->field, sizeof e->field, "%s", op->name);
        return QA_ERR;
    }
    if (op->learned)
        net->params[op->p_w] = op->q.alpha;
    return QA_OK;
}

const float *qnet_forward(QNet *net, const float *x, int N, int train, Err *e)
{
    net->N = N;
    float *P = net->params, *S = net->state;
    for (int i = 0; i < net->n_ops; i++) {
        QOp *op = &net->ops[i];
        const float *in = input_of(net, x, op->in[0]);
        const QOp *src = op->in[0] == QNET_INPUT ? NULL : &net->ops[op->in[0]];
        int inHW = src ? src->H * src->W : net->in_H * net->in_W;
        size_t n = (size_t)op->C * N * op->H * op->W;
        op->d.N = N;
        switch (op->kind) {
        case QOP_CONV: {
            const float *w = op_weights(net, op, e);
            if (!w)
                return NULL;
            nn_conv2d_forward(&op->d, in, w, op->y, net->col);
            break;
        }
        case QOP_BN:
            if (train)
                nn_bn_forward_train(op->C, N * op->H * op->W, in, P + op->p_w, P + op->p_b,
                                    op->y, op->save, op->save + op->C, S + op->s_mean,
                                    S + op->s_var, net->bn_momentum, net->bn_eps);
            else
                nn_bn_forward_eval(op->C, N * op->H * op->W, in, P + op->p_w, P + op->p_b,
                                   S + op->s_mean, S + op->s_var, net->bn_eps, op->y);
            break;
        case QOP_ACT:
            if (act_forward(net, op, in, n, e))
                return NULL;
            break;
        case QOP_ADD:
            nn_add_forward(n, in, input_of(net, x, op->in[1]), op->y);
            break;
        case QOP_GAP:
            nn_gap_forward(op->C, N, inHW, in, op->y);
            break;
        case QOP_FC: {
            const float *w = op_weights(net, op, e);
            if (!w)
                return NULL;
            nn_linear_forward(N, op->d.C, op->d.K, in, w, P + op->p_b, op->y);
            break;
        }
        case QOP_MAXPOOL:
            nn_maxpool_forward(&op->d, in, op->y, op->argmax);
            break;
        }
    }
    return net->ops[net->n_ops - 1].y;
}

void qnet_zero_grads(QNet *net)
{
    memset(net->grads, 0, sizeof(float) * net->n_params);
}

/* Gradient of the float weights from that of the quantized ones (STE or the
 * method's rule), and of a learned weight alpha. */
static void weight_grad_back(QNet *net, QOp *op)
{
    size_t n = (size_t)op->d.K * op->d.C * op->d.R * op->d.S;
    if (op->sat) /* the rescaling factor is a constant in backward (SAT eq. 10) */
        for (size_t j = 0; j < n; j++)
            op->gwq[j] *= op->sat_scale;
    double ga = 0.0;
    q_backward(&op->q, net->params + op->p_w, op->gwq, net->grads + op->p_w, &ga, n);
    if (op->learned)
        net->grads[op->p_alpha] += (float)ga;
}

void qnet_backward(QNet *net, const float *x, const float *dlogits)
{
    const int N = net->N;
    float *P = net->params, *G = net->grads;
    for (int i = 0; i < net->n_ops; i++) {
        QOp *op = &net->ops[i];
        nn_zero((size_t)op->C * N * op->H * op->W, op->dy);
    }
    QOp *last = &net->ops[net->n_ops - 1];
    memcpy(last->dy, dlogits, sizeof(float) * last->C * N);
    for (int i = net->n_ops - 1; i >= 0; i--) {
        QOp *op = &net->ops[i];
        const float *in = input_of(net, x, op->in[0]);
        float *din = op->in[0] == QNET_INPUT ? NULL : net->ops[op->in[0]].dy;
        const QOp *src = op->in[0] == QNET_INPUT ? NULL : &net->ops[op->in[0]];
        int inHW = src ? src->H * src->W : net->in_H * net->in_W;
        size_t n = (size_t)op->C * N * op->H * op->W;
        switch (op->kind) {
        case QOP_CONV:
            if (op->w_bits > 0) {
                size_t nw = (size_t)op->d.K * op->d.C * op->d.R * op->d.S;
                memset(op->gwq, 0, sizeof(float) * nw);
                nn_conv2d_backward(&op->d, in, op->wq, op->dy, din, op->gwq, net->col);
                weight_grad_back(net, op);
            } else {
                nn_conv2d_backward(&op->d, in, P + op->p_w, op->dy, din, G + op->p_w, net->col);
            }
            break;
        case QOP_BN:
            nn_bn_backward(op->C, N * op->H * op->W, in, P + op->p_w, op->save,
                           op->save + op->C, op->dy, din, G + op->p_w, G + op->p_b);
            break;
        case QOP_ACT:
            if (op->a_bits > 0) {
                double ga = 0.0;
                q_backward(&op->q, in, op->dy, din, &ga, n);
                if (op->learned)
                    G[op->p_w] += (float)ga;
            } else {
                nn_relu_backward(n, op->y, op->dy, din);
            }
            break;
        case QOP_ADD:
            nn_add_backward(n, op->dy, din, net->ops[op->in[1]].dy);
            break;
        case QOP_GAP:
            nn_gap_backward(op->C, N, inHW, op->dy, din);
            break;
        case QOP_FC:
            if (op->w_bits > 0) {
                memset(op->gwq, 0, sizeof(float) * op->d.K * op->d.C);
                nn_linear_backward(N, op->d.C, op->d.K, in, op->wq, op->dy, din, op->gwq,
                                   G + op->p_b);
                weight_grad_back(net, op);
            } else {
                nn_linear_backward(N, op->d.C, op->d.K, in, P + op->p_w, op->dy, din,
                                   G + op->p_w, G + op->p_b);
            }
            break;
        case QOP_MAXPOOL:
            nn_maxpool_backward(&op->d, op->argmax, op->dy, din);
            break;
        }
    }
}

void qnet_sync_alphas(QNet *net)
{
    for (int i = 0; i < net->n_ops; i++) {
        QOp *op = &net->ops[i];
        if (!op->q.ops)
            continue;
        float a = net->params[op->kind == QOP_ACT ? op->p_w : op->p_alpha];
        if (op->learned || (op->kind == QOP_ACT && op->q.ops->alpha_kind == Q_ALPHA_CLIP))
            if (a > 0.0f)
                op->q.alpha = a;
    }
}

int qnet_weights_rescaled(const QNet *net)
{
    for (int i = 0; i < net->n_ops; i++) {
        const QOp *op = &net->ops[i];
        if ((op->kind == QOP_CONV || op->kind == QOP_FC) && op->w_bits > 0 && op->q.ops &&
            (op->q.ops->unit_range || op->q.wn))
            return 1;
    }
    return 0;
}

void qnet_calib_begin(QNet *net, int mse)
{
    net->calibrating = 1;
    for (int i = 0; i < net->n_ops; i++) {
        QOp *op = &net->ops[i];
        if (op->kind != QOP_ACT || op->a_bits == 0)
            continue;
        if (mse)
            q_calib_init_mse(&op->calib, op->a_bits);
        else
            q_calib_init(&op->calib, op->a_bits);
    }
}

int qnet_calib_end(QNet *net, Err *e)
{
    net->calibrating = 0;
    for (int i = 0; i < net->n_ops; i++) {
        QOp *op = &net->ops[i];
        if (op->kind != QOP_ACT || op->a_bits == 0)
            continue;
        float ymax = q_calib_ymax(&op->calib);
        if (!(ymax > 0.0f))
            return err_set(e, NULL, 0, op->name, "calibration saw no positive activation");
        if (q_set_alpha(&op->q, ymax, e))
            return QA_ERR;
        net->params[op->p_w] = ymax;
    }
    return QA_OK;
}

double qnet_macs_per_image(const QNet *net)
{
    double m = 0.0;
    for (int i = 0; i < net->n_ops; i++) {
        const QOp *op = &net->ops[i];
        if (op->kind == QOP_CONV || op->kind == QOP_FC)
            m += (double)op->d.K * op->d.C * op->d.R * op->d.S * op->d.P * op->d.Q;
    }
    return m;
}
