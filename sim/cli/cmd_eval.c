/* cmd_eval.c: `qarray eval`: test accuracy and speed of an integer model
 * file (a qarray safetensors model or a quantized ONNX model), and
 * optionally every image's logits (the side qarray gives to
 * tests/onnx/ort_compare.js). */
#include "quant/int/export.h"
#include "quant/int/irun.h"
#include "quant/train/idx.h"
#include "sim/cli/args.h"
#include "sim/cli/cmd.h"

#include <omp.h>
#include <stdlib.h>
#include <time.h>

typedef struct {
    const char *model, *data, *out, *codes;
    int limit, batch;
} EvalOpts;

/* The default batch (256) is large enough that each thread's lane fills
 * oneDNN's convolutions, small enough to stay in the caches. */
static const ArgOpt opts[] = {
    ARGS_OPT_MODEL(EvalOpts, model, "integer model file (safetensors, or .onnx)", ARG_REQUIRED),
    ARGS_OPT_DATA(EvalOpts, data),
    ARGS_OPT_LIMIT(EvalOpts, limit),
    ARGS_OPT_OUT(EvalOpts, out, "FILE.csv", "per image: label, predicted class and the\n"
                 "logits as real numbers (scale x integer logit)", ARG_OUT),
    {.name = "codes", .kind = ARG_STR, .off = offsetof(EvalOpts, codes), .meta = "FILE",
     .help = "per image, every layer's output codes but the\n"
     "classifier's (int32, little-endian, layer by layer)", .flags = ARG_OUT},
    ARGS_OPT_BATCH(EvalOpts, batch, 65536, "256", "images per forward, split over the\n"
                   "threads (OMP_NUM_THREADS)"),
};

/* The codes of every op but the last, image after image (the layer-by-layer
 * side of tests/onnx/ort_compare.js). */
static int write_codes(const char *path, const INet *net, const Dataset *te, Err *e)
{
    int n = net->n - 1, rc = QA_ERR;
    int32_t **outs = qa_calloc((size_t)net->n, sizeof *outs);
    int64_t *lg = qa_malloc(sizeof(int64_t) * (size_t)net->classes);
    AtomicFile af;
    int open = 0;
    if (!outs || !lg) {
        err_set(e, NULL, 0, "eval", "out of memory");
        goto done;
    }
    for (int j = 0; j < n; j++) {
        const IOp *op = &net->ops[j];
        outs[j] = qa_malloc(sizeof(int32_t) * (size_t)op->K * op->P * op->Q);
        if (!outs[j]) {
            err_set(e, NULL, 0, "eval", "out of memory");
            goto done;
        }
    }
    if (qa_afile_open(&af, path, e) != QA_OK)
        goto done;
    open = 1;
    size_t px = (size_t)te->H * te->W;
    for (int i = 0; i < te->n; i++) {
        if (intref_forward_ops(net, te->images + px * i, lg, outs, e) != QA_OK)
            goto done;
        for (int j = 0; j < n; j++) {
            const IOp *op = &net->ops[j];
            fwrite(outs[j], sizeof(int32_t), (size_t)op->K * op->P * op->Q, af.f);
        }
    }
    open = 0;
    rc = qa_afile_commit(&af, e);
done:
    if (open)
        qa_afile_abort(&af);
    for (int j = 0; outs && j < net->n; j++)
        free(outs[j]);
    free(outs), free(lg);
    return rc;
}

/* One line per image: image,label,pred,scale,logit_0..logit_{K-1}. */
static int write_logits(const char *path, const INet *net, const Dataset *te, Err *e)
{
    int K = net->classes;
    double scale = (double)net->ops[net->n - 1].out_scale;
    int64_t *lg = qa_malloc(sizeof(int64_t) * (size_t)K);
    AtomicFile af;
    if (!lg)
        return err_set(e, NULL, 0, "eval", "out of memory");
    if (qa_afile_open(&af, path, e) != QA_OK) {
        free(lg);
        return QA_ERR;
    }
    fprintf(af.f, "image,label,pred,scale");
    for (int k = 0; k < K; k++)
        fprintf(af.f, ",logit_%d", k);
    fprintf(af.f, "\n");
    size_t px = (size_t)te->H * te->W;
    for (int i = 0; i < te->n; i++) {
        if (intref_forward(net, te->images + px * i, lg, e) != QA_OK) {
            qa_afile_abort(&af);
            free(lg);
            return QA_ERR;
        }
        int best = 0;
        for (int k = 1; k < K; k++)
            best = lg[k] > lg[best] ? k : best;
        fprintf(af.f, "%d,%d,%d,%.9g", i, te->labels[i], best, scale);
        for (int k = 0; k < K; k++)
            fprintf(af.f, ",%.9g", scale * (double)lg[k]);
        fprintf(af.f, "\n");
    }
    free(lg);
    return qa_afile_commit(&af, e);
}

static int run(const Args *a, void *obj, Err *e)
{
    (void)a;
    const EvalOpts *o = obj;
    INet net;
    Dataset te;
    if (export_load(&net, o->model, e) != QA_OK)
        return QA_ERR;
    if (idx_load_fashion_test(&te, o->data, e) != QA_OK) {
        intref_free(&net);
        return QA_ERR;
    }
    if (o->limit > 0)
        idx_truncate(&te, o->limit);
    int rc = QA_ERR;
    int *pred = qa_malloc(sizeof(int) * (size_t)te.n + 1);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (te.H != net.in_H || te.W != net.in_W || net.in_C != 1) {
        err_set(e, o->model, 0, "input", "model takes %dx%dx%d, the data is 1x%dx%d",
                net.in_C, net.in_H, net.in_W, te.H, te.W);
    } else if (!pred) {
        err_set(e, NULL, 0, "eval", "out of memory");
    } else if (irun_predict(&net, te.images, te.n, o->batch, pred, e) == QA_OK) {
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
        int ok = 0;
        for (int i = 0; i < te.n; i++)
            ok += pred[i] == te.labels[i];
        printf("%s: integer network, %d layers, test accuracy %.2f%% (%d of %d)\n",
               o->model, net.n, 100.0 * ok / te.n, ok, te.n);
        printf("inference: %d images in %.3f s, %.0f images/s (batch %d, %d threads)\n", te.n,
               s, te.n / s, o->batch, omp_get_max_threads());
        rc = o->out ? write_logits(o->out, &net, &te, e) : QA_OK;
        if (rc == QA_OK && o->codes)
            rc = write_codes(o->codes, &net, &te, e);
    }
    free(pred);
    idx_free(&te);
    intref_free(&net);
    return rc;
}

const ArgCmd cmd_eval = {
    .name = "eval",
    .summary = "test accuracy of an integer model file (safetensors or QDQ ONNX)",
    .about = "Runs the integer network of a model file (integer arithmetic only) on the\n"
             "Fashion-MNIST test set and reports its accuracy and speed. The model is a\n"
             "qarray model file or a quantized ONNX model (.onnx, quant/int/README.md).\n"
             "The images go through in batches, split over the threads; convolutions\n"
             "run on oneDNN where that is exact.",
    .opts = opts, .nopts = (int)QA_COUNT(opts),
    .size = sizeof(EvalOpts),
    .run = run,
};
