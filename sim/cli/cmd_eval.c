/* cmd_eval.c: `qarray eval`: test accuracy and speed of an integer model
 * file. */
#include "quant/int/export.h"
#include "quant/int/irun.h"
#include "quant/train/idx.h"
#include "sim/cli/args.h"
#include "sim/cli/cmd.h"

#include <omp.h>
#include <stdlib.h>
#include <time.h>

typedef struct {
    const char *model, *data;
    int limit, batch;
} EvalOpts;

/* The default batch (256) is large enough that each thread's lane fills
 * oneDNN's convolutions, small enough to stay in the caches. */
static const ArgOpt opts[] = {
    ARGS_OPT_MODEL(EvalOpts, model, "integer model file (safetensors)", ARG_REQUIRED),
    ARGS_OPT_DATA(EvalOpts, data),
    ARGS_OPT_LIMIT(EvalOpts, limit),
    ARGS_OPT_BATCH(EvalOpts, batch, 65536, "256", "images per forward, split over the\n"
                   "threads (OMP_NUM_THREADS)"),
};

static int run(const Args *a, void *obj, Err *e)
{
    (void)a;
    const EvalOpts *o = obj;
    INet net;
    Dataset tr, te;
    if (export_load(&net, o->model, e) != QA_OK)
        return QA_ERR;
    if (idx_load_fashion(&tr, &te, o->data, e) != QA_OK) {
        intref_free(&net);
        return QA_ERR;
    }
    idx_free(&tr);
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
        rc = QA_OK;
    }
    free(pred);
    idx_free(&te);
    intref_free(&net);
    return rc;
}

const ArgCmd cmd_eval = {
    .name = "eval",
    .summary = "test accuracy of an integer model file (safetensors)",
    .about = "Runs the integer network of a model file (integer arithmetic only) on the\n"
             "Fashion-MNIST test set and reports its accuracy and speed. The images go\n"
             "through in batches, split over the threads; convolutions run on oneDNN\n"
             "where that is exact.",
    .opts = opts, .nopts = (int)QA_COUNT(opts),
    .size = sizeof(EvalOpts),
    .run = run,
};
