/* quantizer.c: the method table and the checks every method shares. */
#include "quant/quantizer.h"

#include <math.h>
#include <string.h>

static const struct {
    const char *name;
    const QuantOps *ops;
} methods[] = {
    {"pact", &q_pact_ops},       {"cgpact", &q_cgpact_ops},
    {"dorefa", &q_dorefa_ops},   {"sawb", &q_sawb_ops},
    {"apot", &q_apot_ops},       {"pot", &q_pot_ops},
    {"uniform", &q_uniform_ops}, {"lloyd", &q_lloyd_ops},
    {"faq", &q_faq_ops},         {"lsq", &q_lsq_ops},
};

const QuantOps *q_find(const char *name)
{
    for (size_t i = 0; i < QA_COUNT(methods); i++)
        if (!strcmp(methods[i].name, name))
            return methods[i].ops;
    return NULL;
}

const QuantOps *q_method_at(int i)
{
    return i >= 0 && (size_t)i < QA_COUNT(methods) ? methods[i].ops : NULL;
}

const char *q_method_names(void)
{
    return "pact|cgpact|dorefa|sawb|apot|pot|uniform|lloyd|faq|lsq";
}

int q_init(Quantizer *q, const char *method, int bits, int is_signed, Err *e)
{
    memset(q, 0, sizeof *q);
    const QuantOps *ops = q_find(method);
    if (!ops)
        return err_set(e, NULL, 0, "method", "unknown method '%s' (one of %s)",
                       method, q_method_names());
    if (!Q_BITS_VALID(bits))
        return err_set(e, NULL, 0, "bits", "must be 1..8 or 16, got %d", bits);
    /* Weight-only methods are signed, activation-only ones unsigned. */
    if (ops->signs == Q_SIGNED)
        is_signed = 1;
    if (is_signed && !(ops->signs & Q_SIGNED))
        return err_set(e, NULL, 0, "signed",
                       "%s quantizes unsigned activations only", ops->name);
    q->ops = ops;
    q->bits = bits;
    q->is_signed = is_signed ? 1 : 0;
    return ops->setup ? ops->setup(q, e) : QA_OK;
}

int q_set_alpha(Quantizer *q, float alpha, Err *e)
{
    if (q->ops->alpha_kind == Q_ALPHA_NONE)
        return err_set(e, NULL, 0, "alpha", "%s takes no alpha (it is %s)",
                       q->ops->name,
                       strcmp(q->ops->name, "sawb") ? "not used"
                                                    : "computed from the weights");
    /* compared as floats: 3e38, the largest value the option accepts,
     * rounds up when made a float and was refused against the double */
    if (!(alpha >= (float)Q_ALPHA_MIN && alpha <= (float)Q_ALPHA_MAX))
        return err_set(e, NULL, 0, "alpha", "must be in %g..%g, got %g", Q_ALPHA_MIN,
                       Q_ALPHA_MAX, (double)alpha);
    q->alpha = alpha;
    q->alpha_set = 1;
    return QA_OK;
}

void q_free(Quantizer *q)
{
    q_levels_free(&q->lv);
}

static int check_finite(const float *x, size_t n, Err *e)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return err_set(e, NULL, 0, "input", "element %zu is not finite", i);
    return QA_OK;
}

int q_forward(Quantizer *q, const float *x, float *y, size_t n, Err *e)
{
    if (check_finite(x, n, e) || q->ops->prepare(q, x, n, e))
        return QA_ERR;
    q->ops->forward(q, x, y, NULL, n);
    return QA_OK;
}

int q_encode(Quantizer *q, const float *x, int32_t *codes, size_t n,
             QEncoding *enc, Err *e)
{
    if (check_finite(x, n, e) || q->ops->prepare(q, x, n, e))
        return QA_ERR;
    q->ops->forward(q, x, NULL, codes, n);
    q->ops->encoding(q, enc);
    return QA_OK;
}

void q_backward(const Quantizer *q, const float *x, const float *gy,
                float *gx, double *galpha, size_t n)
{
    q->ops->backward(q, x, gy, gx, galpha, n);
}

double q_pact_l2(float alpha, float lambda, double *galpha)
{
    if (galpha)
        *galpha += (double)lambda * (double)alpha;
    return 0.5 * (double)lambda * (double)alpha * (double)alpha;
}
