/* cmd_eval.c: `qarray eval`: test accuracy of an integer model file. */
#include "quant/int/export.h"
#include "quant/train/idx.h"
#include "sim/cli/args.h"
#include "sim/cli/cmd.h"

#include <stdlib.h>

typedef struct {
    const char *model, *data;
    int limit;
} EvalOpts;

static const ArgOpt opts[] = {
    ARGS_OPT_MODEL(EvalOpts, model, "integer model file (safetensors)", ARG_REQUIRED),
    ARGS_OPT_DATA(EvalOpts, data),
    ARGS_OPT_LIMIT(EvalOpts, limit),
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
    if (te.H != net.in_H || te.W != net.in_W || net.in_C != 1) {
        err_set(e, o->model, 0, "input", "model takes %dx%dx%d, the data is 1x%dx%d",
                net.in_C, net.in_H, net.in_W, te.H, te.W);
    } else if (!pred) {
        err_set(e, NULL, 0, "eval", "out of memory");
    } else if (intref_predict(&net, te.images, te.n, pred, e) == QA_OK) {
        int ok = 0;
        for (int i = 0; i < te.n; i++)
            ok += pred[i] == te.labels[i];
        printf("%s: integer network, %d layers, test accuracy %.2f%% (%d of %d)\n",
               o->model, net.n, 100.0 * ok / te.n, ok, te.n);
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
             "Fashion-MNIST test set and reports its accuracy.",
    .opts = opts, .nopts = (int)QA_COUNT(opts),
    .size = sizeof(EvalOpts),
    .run = run,
};
