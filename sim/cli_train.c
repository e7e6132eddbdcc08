/* cli_train.c: `qarray train`: quantization-aware training from a recipe. */
#include "sim/cli.h"
#include "quant/train.h"

#include <stdio.h>
#include <string.h>

static void train_usage(FILE *f)
{
    fprintf(f,
            "usage: qarray train -c RECIPE [-o CHECKPOINT] [--resume] [--data DIR]\n"
            "                    [--set key=value]...\n\n"
            "Trains the recipe's network on Fashion-MNIST (or its synthetic set), printing\n"
            "per-epoch loss, train/test accuracy and the learned clipping levels. The\n"
            "checkpoint is rewritten atomically after every epoch; --resume continues it\n"
            "exactly. Data folder: --data, else $" IDX_ENV_DIR ", else " IDX_DEFAULT_DIR ".\n\n"
            "recipe keys (libconfig groups model, data, train, quant):\n");
    recipe_help(f);
}

int cli_train(int argc, char **argv)
{
    const char *recipe = NULL, *out = NULL, *data = NULL;
    const char *sets[32];
    int nset = 0, resume = 0;
    Err e;
    err_clear(&e);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            train_usage(stdout);
            return 0;
        } else if (!strcmp(a, "--resume")) {
            resume = 1;
        } else if (i + 1 < argc && !strcmp(a, "-c")) {
            recipe = argv[++i];
        } else if (i + 1 < argc && !strcmp(a, "-o")) {
            out = argv[++i];
        } else if (i + 1 < argc && !strcmp(a, "--data")) {
            data = argv[++i];
        } else if (i + 1 < argc && !strcmp(a, "--set") && nset < 32) {
            sets[nset++] = argv[++i];
        } else {
            err_set(&e, NULL, 0, a, "unknown or incomplete option (qarray train --help)");
            err_print(&e, stderr);
            return 2;
        }
    }
    if (!recipe) {
        train_usage(stderr);
        return 2;
    }
    Recipe r;
    if (recipe_load(&r, recipe, &e))
        goto fail;
    for (int i = 0; i < nset; i++)
        if (recipe_set(&r, sets[i], &e))
            goto fail;
    if (data)
        snprintf(r.data_dir, sizeof r.data_dir, "%s", data);
    if (recipe_validate(&r, &e) || train_run(&r, out, resume, stdout, &e))
        goto fail;
    return 0;
fail:
    err_print(&e, stderr);
    return 1;
}
