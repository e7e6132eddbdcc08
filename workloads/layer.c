/* layer.c: shape arithmetic of one layer: output size, MACs, weights, bytes
 * at a bit width, and the GEMM a conv/fc/matmul layer becomes on the array.
 *
 * Output size: P = (H + pad_top + pad_bottom - span)/stride + 1, rounded
 * down (PyTorch, Caffe, ONNX without ceil_mode), span = dil*(R-1) + 1.
 * Everything a user can get wrong (a CSV row, a hand-built layer) is checked
 * here and reported with the layer's name; nothing here asserts on input. */
#include "workloads/layer.h"

#include <string.h>

static const char *const op_names[OP_COUNT] = {
    [OP_CONV] = "conv",
    [OP_FC] = "fc",
    [OP_MAXPOOL] = "maxpool",
    [OP_AVGPOOL] = "avgpool",
    [OP_ADD] = "add",
    [OP_MATMUL] = "matmul",
    [OP_ELTWISE] = "eltwise",
    [OP_SOFTMAX] = "softmax",
    [OP_NORM] = "norm",
    [OP_REDUCE] = "reduce",
    [OP_COPY] = "copy",
};

const char *layer_op_name(LayerOp op)
{
    if ((int)op < 0 || (int)op >= OP_COUNT)
        return "?";
    return op_names[op];
}

int layer_op_parse(const char *s, LayerOp *op)
{
    for (int i = 0; i < OP_COUNT; i++)
        if (!strcmp(s, op_names[i])) {
            *op = (LayerOp)i;
            return QA_OK;
        }
    return QA_ERR;
}

int layer_on_array(const Layer *l)
{
    return l->op == OP_CONV || l->op == OP_FC || l->op == OP_MATMUL;
}

int layer_is_flat(const Layer *l)
{
    return l->op >= OP_ELTWISE && l->op <= OP_COPY;
}

int layer_inputs(const Layer *l)
{
    if (l->op == OP_ADD || l->op == OP_MATMUL)
        return 2;
    return layer_is_flat(l) && l->in1_elems > 0 ? 2 : 1;
}

int layer_stride_w(const Layer *l)
{
    return l->stride_w ? l->stride_w : l->stride;
}

int layer_dil_h(const Layer *l)
{
    return l->dil_h ? l->dil_h : 1;
}

int layer_dil_w(const Layer *l)
{
    return l->dil_w ? l->dil_w : 1;
}

int layer_pad(const Layer *l, int side)
{
    int asym = l->pads[0] || l->pads[1] || l->pads[2] || l->pads[3];
    return asym ? l->pads[side & 3] : l->pad;
}

int layer_span_h(const Layer *l)
{
    return layer_dil_h(l) * (l->R - 1) + 1;
}

int layer_span_w(const Layer *l)
{
    return layer_dil_w(l) * (l->S - 1) + 1;
}

/* One named integer field of a layer and its lower bound, for the checks
 * every op shares. */
typedef struct {
    const char *name;
    int value;
    int min;
} Dim;

static int check_dims(const Layer *l, const Dim *d, size_t n, Err *e)
{
    for (size_t i = 0; i < n; i++) {
        if (d[i].value < d[i].min)
            return err_set(e, NULL, 0, l->name, "%s is %d, must be >= %d",
                           d[i].name, d[i].value, d[i].min);
        if (d[i].value > LAYER_DIM_MAX)
            return err_set(e, NULL, 0, l->name, "%s is %d, must be <= %d",
                           d[i].name, d[i].value, LAYER_DIM_MAX);
    }
    return QA_OK;
}

/* Rejects absurd layers before anything sizes a buffer or a schedule from
 * them: per image, at most LAYER_ELEMS_MAX elements in the input, the output
 * and the weights and at most LAYER_MACS_MAX MACs (the largest layers of
 * real networks are near 2^31 MACs and 2^26 elements). This also keeps every
 * count inside int64_t at any batch up to LAYER_BATCH_MAX. Each factor is
 * <= LAYER_DIM_MAX (2^20) here, so each product of two or three fits. */
static int check_size(const Layer *l, Err *e)
{
    int64_t window = (int64_t)(l->C / l->groups) * l->R * l->S;
    int64_t in = (int64_t)l->C * l->H * l->W;
    if (l->in1_elems > LAYER_ELEMS_MAX)
        return err_set(e, NULL, 0, l->name,
                       "layer too large: second input of %lld elements per "
                       "image, more than 2^36", (long long)l->in1_elems);
    int64_t out = (int64_t)l->K * l->P * l->Q;
    /* window alone may reach 2^60: bound it before multiplying by K */
    int64_t weights = window > LAYER_ELEMS_MAX ? window : (int64_t)l->K * window;
    if (in > LAYER_ELEMS_MAX)
        return err_set(e, NULL, 0, l->name,
                       "layer too large: input of %lld elements per image, "
                       "more than 2^36", (long long)in);
    if (out > LAYER_ELEMS_MAX)
        return err_set(e, NULL, 0, l->name,
                       "layer too large: output of %lld elements per image, "
                       "more than 2^36", (long long)out);
    if (layer_on_array(l) && weights > LAYER_ELEMS_MAX)
        return err_set(e, NULL, 0, l->name,
                       "layer too large: %.4g %s, more than 2^36",
                       (double)l->K * (double)window,
                       l->op == OP_MATMUL ? "elements of the second operand"
                                          : "weights");
    if (layer_on_array(l) && out > LAYER_MACS_MAX / window)
        return err_set(e, NULL, 0, l->name,
                       "layer too large: %.4g MACs per image, more than 2^40",
                       (double)out * (double)window);
    /* A pool's window is no MAC but the same work on the vector unit:
     * 2^40 operations per image as well (2^18 x 2^18 pooled by 2^17 x 2^17
     * windows would be 2^70). */
    int64_t pool = (int64_t)l->R * l->S;
    if ((l->op == OP_MAXPOOL || l->op == OP_AVGPOOL) && pool > 0 &&
        out > LAYER_MACS_MAX / pool)
        return err_set(e, NULL, 0, l->name,
                       "layer too large: %.4g pooling operations per image, more "
                       "than 2^40", (double)out * (double)pool);
    return QA_OK;
}

int layer_finish(Layer *l, Err *e)
{
    if (!l->name[0])
        return err_set(e, NULL, 0, "layer", "layer has no name");
    if ((int)l->op < 0 || (int)l->op >= OP_COUNT)
        return err_set(e, NULL, 0, l->name, "unknown op %d", (int)l->op);
    if (l->groups == 0)
        l->groups = 1;
    const Dim dims[] = {
        {"N", l->N, 1},           {"C", l->C, 1},
        {"K", l->K, 1},           {"H", l->H, 1},
        {"W", l->W, 1},           {"R", l->R, 1},
        {"S", l->S, 1},           {"stride", l->stride, 1},
        {"pad", l->pad, 0},       {"groups", l->groups, 1},
        {"stride_w", l->stride_w, 0}, {"dil_h", l->dil_h, 0},
        {"dil_w", l->dil_w, 0},   {"pad_top", l->pads[0], 0},
        {"pad_left", l->pads[1], 0}, {"pad_bottom", l->pads[2], 0},
        {"pad_right", l->pads[3], 0}, {"vec_ops", l->vec_ops, 0},
    };
    if (check_dims(l, dims, QA_COUNT(dims), e))
        return QA_ERR;
    if (l->in1_elems < 0)
        return err_set(e, NULL, 0, l->name, "in1_elems is %lld, must be >= 0",
                       (long long)l->in1_elems);
    int plain = l->stride_w == 0 && l->dil_h == 0 && l->dil_w == 0 &&
                !(l->pads[0] || l->pads[1] || l->pads[2] || l->pads[3]);
    if (layer_is_flat(l)) {
        if (l->vec_ops < 1 || l->vec_ops > LAYER_VEC_OPS_MAX)
            return err_set(e, NULL, 0, l->name,
                           "vec_ops is %d, must be in 1..%d", l->vec_ops,
                           LAYER_VEC_OPS_MAX);
    } else if (l->vec_ops || l->in1_elems) {
        return err_set(e, NULL, 0, l->name,
                       "vec_ops and in1_elems are for vector ops (%s..%s)",
                       layer_op_name(OP_ELTWISE), layer_op_name(OP_COPY));
    }

    switch (l->op) {
    case OP_CONV:
        if (l->C % l->groups || l->K % l->groups)
            return err_set(e, NULL, 0, l->name,
                           "channels C=%d, K=%d not divisible by groups %d",
                           l->C, l->K, l->groups);
        break;
    case OP_FC:
        if (l->W != 1 || l->R != 1 || l->S != 1 || l->stride != 1 ||
            l->pad != 0 || l->groups != 1 || !plain)
            return err_set(e, NULL, 0, l->name,
                           "fc needs W=R=S=stride=groups=1 and pad 0");
        break;
    case OP_MATMUL:
        if (l->R != 1 || l->S != 1 || l->stride != 1 || l->pad != 0 || !plain)
            return err_set(e, NULL, 0, l->name,
                           "matmul needs R=S=stride=1 and pad 0");
        if (l->C % l->groups || l->K % l->groups)
            return err_set(e, NULL, 0, l->name,
                           "channels C=%d, K=%d not divisible by groups %d",
                           l->C, l->K, l->groups);
        break;
    case OP_MAXPOOL:
    case OP_AVGPOOL:
        if (l->K != l->C)
            return err_set(e, NULL, 0, l->name,
                           "pool keeps channels: K=%d, C=%d", l->K, l->C);
        break;
    case OP_ADD:
        if (l->K != l->C)
            return err_set(e, NULL, 0, l->name,
                           "add keeps channels: K=%d, C=%d", l->K, l->C);
        if (l->R != 1 || l->S != 1 || l->stride != 1 || l->pad != 0 || !plain)
            return err_set(e, NULL, 0, l->name,
                           "add needs R=S=stride=1 and pad 0");
        break;
    default:
        if (layer_is_flat(l) && (l->R != 1 || l->S != 1 || l->stride != 1 ||
                                 l->pad != 0 || l->groups != 1 || !plain))
            return err_set(e, NULL, 0, l->name,
                           "%s needs R=S=stride=groups=1 and pad 0",
                           layer_op_name(l->op));
        break;
    }
    if (l->groups != 1 && l->op != OP_CONV && l->op != OP_MATMUL)
        return err_set(e, NULL, 0, l->name, "groups %d: only conv and matmul "
                       "have groups", l->groups);

    /* Padded extents in int64: four pads of up to 2^20 each. */
    int64_t ext_h = (int64_t)l->H + layer_pad(l, 0) + layer_pad(l, 2);
    int64_t ext_w = (int64_t)l->W + layer_pad(l, 1) + layer_pad(l, 3);
    int64_t span_h = (int64_t)layer_dil_h(l) * (l->R - 1) + 1;
    int64_t span_w = (int64_t)layer_dil_w(l) * (l->S - 1) + 1;
    if (span_h > ext_h || span_w > ext_w)
        return err_set(e, NULL, 0, l->name,
                       "filter %lldx%lld larger than padded input %lldx%lld",
                       (long long)span_h, (long long)span_w, (long long)ext_h,
                       (long long)ext_w);
    l->P = (int)((ext_h - span_h) / l->stride + 1);
    l->Q = (int)((ext_w - span_w) / layer_stride_w(l) + 1);
    return check_size(l, e);
}

int64_t layer_macs(const Layer *l)
{
    if (!layer_on_array(l))
        return 0;
    return (int64_t)l->N * l->K * l->P * l->Q * (l->C / l->groups) * l->R *
           l->S;
}

int64_t layer_weights(const Layer *l)
{
    if (l->op != OP_CONV && l->op != OP_FC)
        return 0;
    return (int64_t)l->K * (l->C / l->groups) * l->R * l->S;
}

int64_t layer_in_elems(const Layer *l)
{
    return (int64_t)l->N * l->C * l->H * l->W;
}

int64_t layer_in1_elems(const Layer *l)
{
    if (l->op == OP_ADD)
        return layer_in_elems(l);
    if (l->op == OP_MATMUL)
        return (int64_t)l->N * (l->C / l->groups) * l->K;
    return layer_is_flat(l) ? (int64_t)l->N * l->in1_elems : 0;
}

int64_t layer_out_elems(const Layer *l)
{
    return (int64_t)l->N * l->K * l->P * l->Q;
}

int64_t bits_to_bytes(int64_t elems, int bits)
{
    return QA_CEIL_DIV(elems * bits, 8);
}

int64_t layer_weight_bytes(const Layer *l)
{
    return bits_to_bytes(layer_weights(l), l->w_bits);
}

int64_t layer_in_bytes(const Layer *l)
{
    return bits_to_bytes(layer_in_elems(l), l->a_bits);
}

int64_t layer_in1_bytes(const Layer *l)
{
    return bits_to_bytes(layer_in1_elems(l),
                         l->op == OP_MATMUL ? l->w_bits : l->a_bits);
}

int64_t layer_out_bytes(const Layer *l)
{
    return bits_to_bytes(layer_out_elems(l), l->o_bits);
}

Gemm layer_gemm(const Layer *l)
{
    Gemm g = {0, 0, 0};
    if (!layer_on_array(l))
        return g;
    g.M = (int64_t)(l->op == OP_MATMUL ? 1 : l->N) * l->P * l->Q;
    g.K = (int64_t)(l->C / l->groups) * l->R * l->S;
    g.N = l->K / l->groups;
    return g;
}
