/* cli_train.c: `qarray train`: quantization-aware training from a recipe. */
#include "sim/cli/cli.h"
#include "quant/int/generate.h"
#include "quant/int/check.h"
#include "quant/int/irun.h"
#include "quant/train/train.h"

#include <omp.h>
#include <time.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Images per forward of `qarray eval`: large enough that each thread's
 * lane fills oneDNN's convolutions, small enough to stay in the caches. */
#define EVAL_BATCH 256

static void train_usage(FILE *f)
{
    fprintf(f,
            "usage: qarray train -c RECIPE [-o CHECKPOINT] [--resume] [--data DIR]\n"
            "                    [--set key=value]... [--export MODEL.safetensors]\n\n"
            "Trains the recipe's network on Fashion-MNIST (or its synthetic set), printing\n"
            "per-epoch loss, train/test accuracy and the learned clipping levels. The\n"
            "checkpoint is rewritten atomically after every epoch; --resume continues it\n"
            "exactly (with an already finished checkpoint it only exports). --export\n"
            "writes the integer network (BN folded, fixed-point requantization) after\n"
            "checking it against the fake-quantized one on the test set.\n"
            "Data folder: --data, else $" IDX_ENV_DIR ", else " IDX_DEFAULT_DIR ".\n\n"
            "recipe keys (libconfig groups model, data, train, quant):\n");
    recipe_help(f);
}

int cli_train(int argc, char **argv)
{
    const char *recipe = NULL, *out = NULL, *data = NULL, *export_path = NULL;
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
        } else if (i + 1 < argc && !strcmp(a, "--export")) {
            export_path = argv[++i];
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
    Trainer t;
    if (recipe_validate(&r, &e) || train_run(&t, &r, out, resume, stdout, &e))
        goto fail;
    int rc = export_path ? train_export(&t, export_path, stdout, &e) : QA_OK;
    train_free(&t);
    if (rc != QA_OK)
        goto fail;
    return 0;
fail:
    err_print(&e, stderr);
    return 1;
}

static void eval_usage(FILE *f)
{
    fprintf(f, "usage: qarray eval -m MODEL.safetensors [--data DIR] [--limit N] [--batch N]\n\n"
               "Runs the integer network of a model file (integer arithmetic only) on the\n"
               "Fashion-MNIST test set and reports its accuracy and speed. The images go\n"
               "through in batches of N (default %d), split over the threads\n"
               "(OMP_NUM_THREADS); convolutions run on oneDNN where that is exact.\n",
            EVAL_BATCH);
}

int cli_eval(int argc, char **argv)
{
    const char *model = NULL, *data = NULL;
    long limit = 0, batch = EVAL_BATCH;
    Err e;
    err_clear(&e);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            eval_usage(stdout);
            return 0;
        } else if (i + 1 < argc && !strcmp(a, "-m")) {
            model = argv[++i];
        } else if (i + 1 < argc && !strcmp(a, "--data")) {
            data = argv[++i];
        } else if (i + 1 < argc && !strcmp(a, "--limit")) {
            if (qa_parse_long(argv[++i], &limit) || limit < 0) {
                err_set(&e, NULL, 0, "--limit", "not a count: '%s'", argv[i]);
                err_print(&e, stderr);
                return 2;
            }
        } else if (i + 1 < argc && !strcmp(a, "--batch")) {
            if (qa_parse_long(argv[++i], &batch) || batch < 1 || batch > 65536) {
                err_set(&e, NULL, 0, "--batch", "'%s' is not an integer in 1..65536", argv[i]);
                err_print(&e, stderr);
                return 2;
            }
        } else {
            err_set(&e, NULL, 0, a, "unknown or incomplete option (qarray eval --help)");
            err_print(&e, stderr);
            return 2;
        }
    }
    if (!model) {
        eval_usage(stderr);
        return 2;
    }
    INet net;
    Dataset tr, te;
    if (export_load(&net, model, &e))
        goto fail;
    if (idx_load_fashion(&tr, &te, data, &e)) {
        intref_free(&net);
        goto fail;
    }
    idx_free(&tr);
    if (limit > 0)
        idx_truncate(&te, (int)limit);
    int rc = 1;
    int *pred = qa_malloc(sizeof(int) * (size_t)te.n + 1);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (te.H != net.in_H || te.W != net.in_W || net.in_C != 1) {
        err_set(&e, model, 0, "input", "model takes %dx%dx%d, the data is 1x%dx%d", net.in_C,
                net.in_H, net.in_W, te.H, te.W);
    } else if (!pred) {
        err_set(&e, NULL, 0, "eval", "out of memory");
    } else if (irun_predict(&net, te.images, te.n, (int)batch, pred, &e) == QA_OK) {
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
        int ok = 0;
        for (int i = 0; i < te.n; i++)
            ok += pred[i] == te.labels[i];
        printf("%s: integer network, %d layers, test accuracy %.2f%% (%d of %d)\n", model,
               net.n, 100.0 * ok / te.n, ok, te.n);
        printf("inference: %d images in %.3f s, %.0f images/s (batch %ld, %d threads)\n",
               te.n, s, te.n / s, batch, omp_get_max_threads());
        rc = 0;
    }
    free(pred);
    idx_free(&te);
    intref_free(&net);
    if (rc)
        goto fail;
    return 0;
fail:
    err_print(&e, stderr);
    return 1;
}

static void quantize_usage(FILE *f)
{
    fprintf(f,
            "usage: qarray quantize -w NET --method pact-sawb|apot|faq|dorefa --wbits B\n"
            "                       --abits B [--first-last B] [--seed S] [--batch N]\n"
            "                       -o MODEL.safetensors\n\n"
            "Builds NET (a built-in network, e.g. resnet50) with seeded He-normal weights\n"
            "(no pretrained weights exist here), measures batch-norm statistics and\n"
            "calibrates activation clipping on N seeded synthetic images, quantizes every\n"
            "layer with the method (first and last layers at --first-last bits, default\n"
            "8), folds batch norm and writes the integer model file.\n");
}

int cli_quantize(int argc, char **argv)
{
    GenSpec g = {.net = NULL, .method = NULL, .first_last_bits = 8, .seed = 1, .batch = 4};
    const char *out = NULL;
    long wb = 0, ab = 0, fl = 8, seed = 1, batch = 4;
    Err e;
    err_clear(&e);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        long *num = NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            quantize_usage(stdout);
            return 0;
        } else if (i + 1 < argc && !strcmp(a, "-w")) {
            g.net = argv[++i];
        } else if (i + 1 < argc && !strcmp(a, "--method")) {
            g.method = argv[++i];
        } else if (i + 1 < argc && !strcmp(a, "-o")) {
            out = argv[++i];
        } else if (i + 1 < argc && !strcmp(a, "--wbits")) {
            num = &wb;
        } else if (i + 1 < argc && !strcmp(a, "--abits")) {
            num = &ab;
        } else if (i + 1 < argc && !strcmp(a, "--first-last")) {
            num = &fl;
        } else if (i + 1 < argc && !strcmp(a, "--seed")) {
            num = &seed;
        } else if (i + 1 < argc && !strcmp(a, "--batch")) {
            num = &batch;
        } else {
            err_set(&e, NULL, 0, a, "unknown or incomplete option (qarray quantize --help)");
            err_print(&e, stderr);
            return 2;
        }
        if (num && (qa_parse_long(argv[++i], num) || *num < 0)) {
            err_set(&e, NULL, 0, a, "not a non-negative integer: '%s'", argv[i]);
            err_print(&e, stderr);
            return 2;
        }
    }
    if (!g.net || !g.method || !out || wb == 0 || ab == 0) {
        quantize_usage(stderr);
        return 2;
    }
    const char *wm, *am;
    if (gen_methods(g.method, &wm, &am)) {
        err_set(&e, NULL, 0, "--method", "unknown method '%s' (pact-sawb, apot, faq, dorefa)",
                g.method);
        goto fail;
    }
    if (wb > 8 || ab > 8 || fl > 8 || batch < 1 || batch > 64) {
        err_set(&e, NULL, 0, wb > 8 ? "--wbits" : ab > 8 ? "--abits" : fl > 8 ? "--first-last"
                : "--batch", "bits must be 1..8 (0 for --first-last: as the rest), batch 1..64");
        goto fail;
    }
    g.w_bits = (int)wb, g.a_bits = (int)ab, g.first_last_bits = (int)fl;
    g.seed = (uint64_t)seed, g.batch = (int)batch;
    INet net;
    GenCheck c;
    if (gen_quantized(&g, &net, &c, &e))
        goto fail;
    char bits[32], sd[32], chk[64];
    snprintf(bits, sizeof bits, "w%ld a%ld first/last %ld", wb, ab, fl);
    snprintf(sd, sizeof sd, "%ld", seed);
    snprintf(chk, sizeof chk, "%d/%d same argmax, max logit diff %.3g", c.agree, c.n,
             c.max_logit_diff);
    const char *meta[] = {"network", g.net, "method", g.method, "bits", bits, "seed", sd,
                          "weights", "seeded He-normal; no pretrained weights; BN folded",
                          "check", chk};
    int rc = export_save(&net, out, meta, 6, &e);
    if (rc == QA_OK)
        printf("%s: %s %s %s, %d integer layers; integer vs fake-quant on %d synthetic "
               "images: %s\n", out, g.net, g.method, bits, net.n, c.n, chk);
    intref_free(&net);
    if (rc)
        goto fail;
    return 0;
fail:
    err_print(&e, stderr);
    return 1;
}
