/* layer.c: shape arithmetic of one layer: output size, MACs, weights, bytes
 * at a bit width, and the GEMM a conv/fc layer becomes on the array.
 *
 * Output size: P = (H + 2*pad - R)/stride + 1, rounded down (PyTorch, Caffe).
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
    return l->op == OP_CONV || l->op == OP_FC;
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
                       "layer too large: %.4g weights, more than 2^36",
                       (double)l->K * (double)window);
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
    };
    if (check_dims(l, dims, QA_COUNT(dims), e))
        return QA_ERR;

    switch (l->op) {
    case OP_CONV:
        if (l->C % l->groups || l->K % l->groups)
            return err_set(e, NULL, 0, l->name,
                           "channels C=%d, K=%d not divisible by groups %d",
                           l->C, l->K, l->groups);
        break;
    case OP_FC:
        if (l->H != 1 || l->W != 1 || l->R != 1 || l->S != 1 ||
            l->stride != 1 || l->pad != 0 || l->groups != 1)
            return err_set(e, NULL, 0, l->name,
                           "fc needs H=W=R=S=stride=groups=1 and pad 0");
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
        if (l->R != 1 || l->S != 1 || l->stride != 1 || l->pad != 0)
            return err_set(e, NULL, 0, l->name,
                           "add needs R=S=stride=1 and pad 0");
        break;
    default:
        break;
    }

    int span_h = l->H + 2 * l->pad, span_w = l->W + 2 * l->pad;
    if (l->R > span_h || l->S > span_w)
        return err_set(e, NULL, 0, l->name,
                       "filter %dx%d larger than padded input %dx%d", l->R,
                       l->S, span_h, span_w);
    l->P = (span_h - l->R) / l->stride + 1;
    l->Q = (span_w - l->S) / l->stride + 1;
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
    if (!layer_on_array(l))
        return 0;
    return (int64_t)l->K * (l->C / l->groups) * l->R * l->S;
}

int64_t layer_in_elems(const Layer *l)
{
    return (int64_t)l->N * l->C * l->H * l->W;
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

int64_t layer_out_bytes(const Layer *l)
{
    return bits_to_bytes(layer_out_elems(l), l->o_bits);
}

Gemm layer_gemm(const Layer *l)
{
    Gemm g = {0, 0, 0};
    if (!layer_on_array(l))
        return g;
    g.M = (int64_t)l->N * l->P * l->Q;
    g.K = (int64_t)(l->C / l->groups) * l->R * l->S;
    g.N = l->K / l->groups;
    return g;
}
