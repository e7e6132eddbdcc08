/* cmd_quantize.c: `qarray quantize`: a seeded quantized integer model of a
 * built-in network (e.g. ResNet-50), written as a model file. */
#include "quant/int/generate.h"
#include "sim/cli/args.h"
#include "sim/cli/cmd.h"

typedef struct {
    const char *workload, *method, *out;
    ArgBits bits;
    int first_last, batch;
    int64_t seed;
} QuantizeOpts;

static const ArgOpt opts[] = {
    ARGS_OPT_WORKLOAD(QuantizeOpts, workload, NULL, ARG_REQUIRED),
    {.name = "method", .kind = ARG_STR, .off = offsetof(QuantizeOpts, method),
     .meta = "M", .help = "pact-sawb, apot, faq or dorefa", .flags = ARG_REQUIRED},
    ARGS_OPT_BITS(QuantizeOpts, bits, 8, NULL, ARG_REQUIRED),
    ARGS_OPT_FIRST_LAST(QuantizeOpts, first_last, 0, 8, "8",
                        "bits of the first and last layers (0: as --bits)"),
    ARGS_OPT_SEED(QuantizeOpts, seed, "seed of the weights and the images"),
    ARGS_OPT_BATCH(QuantizeOpts, batch, 64, "4", "synthetic images per calibration batch"),
    ARGS_OPT_OUT(QuantizeOpts, out, "FILE", "the integer model file (safetensors)",
                 ARG_REQUIRED | ARG_OUT),
};

static int run(const Args *a, void *obj, Err *e)
{
    (void)a;
    const QuantizeOpts *o = obj;
    const char *wm, *am;
    if (gen_methods(o->method, &wm, &am) != QA_OK) {
        err_set(e, NULL, 0, "--method", "unknown method '%s' (pact-sawb, apot, faq, dorefa)",
                o->method);
        return ARGS_USAGE;
    }
    GenSpec g = {o->workload, o->method, o->bits.w, o->bits.a, o->first_last,
                 (uint64_t)o->seed, o->batch};
    INet net;
    GenCheck c;
    if (gen_quantized(&g, &net, &c, e) != QA_OK)
        return QA_ERR;
    char bits[48], sd[32], chk[64];
    snprintf(bits, sizeof bits, "w%d a%d first/last %d", o->bits.w, o->bits.a, o->first_last);
    snprintf(sd, sizeof sd, "%lld", (long long)o->seed);
    snprintf(chk, sizeof chk, "%d/%d same argmax, max logit diff %.3g", c.agree, c.n,
             c.max_logit_diff);
    const char *meta[] = {"network", g.net, "method", g.method, "bits", bits, "seed", sd,
                          "weights", "seeded He-normal; no pretrained weights; BN folded",
                          "check", chk};
    int rc = export_save(&net, o->out, meta, 6, e);
    if (rc == QA_OK)
        printf("%s: %s %s %s, %d integer layers; integer vs fake-quant on %d synthetic "
               "images: %s\n", o->out, g.net, g.method, bits, net.n, c.n, chk);
    intref_free(&net);
    return rc;
}

const ArgCmd cmd_quantize = {
    .name = "quantize",
    .summary = "seeded quantized integer model of a network (e.g. ResNet-50)",
    .about = "Builds a built-in network with seeded He-normal weights (no pretrained\n"
             "weights exist here), measures batch-norm statistics and calibrates\n"
             "activation clipping on seeded synthetic images, quantizes every layer with\n"
             "the method, folds batch norm and writes the integer model file.",
    .opts = opts, .nopts = (int)QA_COUNT(opts),
    .size = sizeof(QuantizeOpts),
    .run = run,
};
