/* generate.c: seeded quantized integer models of workloads networks
 * (generate.h). */
#include "quant/int/generate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int gen_methods(const char *method, const char **w, const char **a)
{
    static const struct {
        const char *name, *w, *a;
    } tab[] = {
        {"pact-sawb", "sawb", "pact"}, /* PACT activations, SAWB weights (SAWB paper) */
        {"dorefa", "dorefa", "pact"},  /* PACT activations, DoReFa weights (PACT paper) */
        {"apot", "apot", "uniform"},   /* APoT weights, uniform RCF activations */
        {"faq", "faq", "faq"},         /* FAQ fixed-point Q(b,l) for both */
    };
    for (size_t i = 0; i < QA_COUNT(tab); i++)
        if (!strcmp(method, tab[i].name)) {
            *w = tab[i].w, *a = tab[i].a;
            return QA_OK;
        }
    return QA_ERR;
}

/* Seeded synthetic images: smooth random blobs per channel plus noise, so
 * activations have image-like spatial correlation. (N, C, H, W) uint8. */
static void synth_images(uint8_t *img, int N, int C, int H, int W, Rng *r)
{
    for (int n = 0; n < N; n++)
        for (int c = 0; c < C; c++) {
            float cy = (float)(H * rng_uniform(r)), cx = (float)(W * rng_uniform(r));
            float sg = (float)(H * (0.1 + 0.3 * rng_uniform(r)));
            float base = (float)(60 + 120 * rng_uniform(r));
            uint8_t *p = img + ((size_t)n * C + c) * H * W;
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++) {
                    float d = ((y - cy) * (y - cy) + (x - cx) * (x - cx)) / (2 * sg * sg);
                    float v = base + 90.0f * expf(-d) + 25.0f * (float)rng_normal(r);
                    p[y * W + x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v + 0.5f);
                }
        }
}

/* uint8 (N, C, H, W) -> float channel-major (C, N, H, W) / 255 */
static void to_float(const uint8_t *img, int N, int C, int HW, float *x)
{
    for (int n = 0; n < N; n++)
        for (int c = 0; c < C; c++)
            for (int i = 0; i < HW; i++)
                x[((size_t)c * N + n) * HW + i] = img[((size_t)n * C + c) * HW + i] * (1.0f / 255.0f);
}

int gen_quantized(const GenSpec *g, INet *out, GenCheck *check, Err *e)
{
    const char *wm, *am;
    if (gen_methods(g->method, &wm, &am))
        return err_set(e, NULL, 0, "--method", "unknown method '%s' (pact-sawb, apot, faq, dorefa)",
                       g->method);
    Net wl;
    if (net_build(&wl, g->net, e))
        return QA_ERR;
    QuantSpec qs = {.w_bits = g->w_bits, .a_bits = g->a_bits,
                    .first_last_bits = g->first_last_bits, .wn = !strcmp(wm, "apot")};
    snprintf(qs.w_method, sizeof qs.w_method, "%s", wm);
    snprintf(qs.a_method, sizeof qs.a_method, "%s", am);
    QNet net;
    int rc = qnet_build_net(&net, &wl, 0, g->batch, &qs, e);
    net_free(&wl);
    if (rc)
        return QA_ERR;
    rc = QA_ERR;
    const int N = g->batch, C = net.in_C, HW = net.in_H * net.in_W;
    uint8_t *img = qa_malloc((size_t)N * C * HW);
    float *x = qa_malloc(sizeof(float) * (size_t)N * C * HW);
    int64_t *lg = qa_malloc(sizeof(int64_t) * (size_t)net.classes);
    if (!img || !x || !lg) {
        err_set(e, NULL, 0, "generate", "out of memory");
        goto done;
    }
    Rng r;
    rng_seed(&r, g->seed);
    qnet_init_params(&net, &r);
    synth_images(img, N, C, net.in_H, net.in_W, &r);
    to_float(img, N, C, HW, x);
    /* One train-mode pass with momentum 1: the running statistics become
     * those of this batch through the quantized weights, layer after layer;
     * the act ops meanwhile run float ReLU and gather calibration percentiles. */
    net.bn_momentum = 1.0f;
    qnet_calib_begin(&net, 0);
    if (!qnet_forward(&net, x, N, 1, e) || qnet_calib_end(&net, e))
        goto done;
    const float *fl = qnet_forward(&net, x, N, 0, e);
    if (!fl || export_intnet(&net, out, e))
        goto done;
    check->agree = 0, check->n = N, check->max_logit_diff = 0.0;
    const float s_l = out->ops[out->n - 1].out_scale;
    for (int n = 0; n < N; n++) {
        if (intref_forward(out, img + (size_t)n * C * HW, lg, e)) {
            intref_free(out);
            goto done;
        }
        int bi = 0, bf = 0;
        for (int k = 0; k < net.classes; k++) {
            double d = fabs(lg[k] * (double)s_l - (double)fl[(size_t)k * N + n]);
            if (d > check->max_logit_diff)
                check->max_logit_diff = d;
            if (lg[k] > lg[bi])
                bi = k;
            if (fl[(size_t)k * N + n] > fl[(size_t)bf * N + n])
                bf = k;
        }
        check->agree += bi == bf;
    }
    rc = QA_OK;
done:
    free(img), free(x), free(lg);
    qnet_free(&net);
    return rc;
}
