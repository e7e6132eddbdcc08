/* cmd_train.c: `qarray train`: quantization-aware training from a recipe. */
#include "quant/int/check.h"
#include "quant/train/train.h"
#include "sim/cli/args.h"
#include "sim/cli/cmd.h"

#include <string.h>

typedef struct {
    const char *recipe, *out, *data, *export_path;
    ArgList set;
    int resume;
} TrainOpts;

static void recipe_keys(FILE *f)
{
    fprintf(f, "recipe keys (libconfig groups model, data, train, quant):\n");
    recipe_help(f);
}

static const ArgOpt opts[] = {
    {.name = "recipe", .letter = 'c', .kind = ARG_STR, .off = offsetof(TrainOpts, recipe),
     .meta = "FILE", .help = "the recipe (libconfig; keys below)",
     .flags = ARG_REQUIRED | ARG_IN},
    ARGS_OPT_OUT(TrainOpts, out, "FILE", "the checkpoint, rewritten after every epoch",
                 ARG_OUT),
    {.name = "resume", .kind = ARG_FLAG, .off = offsetof(TrainOpts, resume),
     .help = "continue the checkpoint exactly"},
    ARGS_OPT_DATA(TrainOpts, data),
    {.name = "set", .kind = ARG_LIST, .off = offsetof(TrainOpts, set), .meta = "KEY=VALUE",
     .help = "override a recipe key (repeatable)"},
    {.name = "export", .kind = ARG_STR, .off = offsetof(TrainOpts, export_path),
     .meta = "FILE", .help = "write the integer model (safetensors)", .flags = ARG_OUT},
};

static const ArgRule rules[] = {
    {ARG_REQUIRES, "resume", "out", NULL, "the checkpoint to continue"},
};

static int run(const Args *a, void *obj, Err *e)
{
    (void)a;
    const TrainOpts *o = obj;
    /* the shape of each --set is the command line's to check: "-1" or
     * "=4" is a bad option, not a recipe key named "-1" */
    for (int i = 0; i < o->set.n; i++)
        if (!strchr(o->set.v[i], '=') || o->set.v[i][0] == '=') {
            err_set(e, NULL, 0, "--set", "'%s' is not KEY=VALUE", o->set.v[i]);
            return ARGS_USAGE;
        }
    Recipe r;
    if (recipe_load(&r, o->recipe, e) != QA_OK)
        return QA_ERR;
    for (int i = 0; i < o->set.n; i++)
        if (recipe_set(&r, o->set.v[i], e) != QA_OK)
            return QA_ERR;
    if (o->data)
        snprintf(r.data_dir, sizeof r.data_dir, "%s", o->data);
    Trainer t;
    if (recipe_validate(&r, e) != QA_OK ||
        train_run(&t, &r, o->out, o->resume, stdout, e) != QA_OK)
        return QA_ERR;
    int rc = o->export_path ? train_export(&t, o->export_path, stdout, e) : QA_OK;
    train_free(&t);
    return rc;
}

const ArgCmd cmd_train = {
    .name = "train",
    .summary = "quantization-aware training on Fashion-MNIST from a recipe",
    .about = "Trains the recipe's network on Fashion-MNIST (or its synthetic set), printing\n"
             "per-epoch loss, train/test accuracy and the learned clipping levels. The\n"
             "checkpoint is rewritten atomically after every epoch; --resume continues it\n"
             "exactly (with an already finished checkpoint it only exports). --export\n"
             "writes the integer network (BN folded, fixed-point requantization) after\n"
             "checking it against the fake-quantized one on the test set.",
    .opts = opts, .nopts = (int)QA_COUNT(opts),
    .rules = rules, .nrules = (int)QA_COUNT(rules),
    .more = recipe_keys,
    .size = sizeof(TrainOpts),
    .run = run,
};
