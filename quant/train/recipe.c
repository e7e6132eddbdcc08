/* recipe.c: libconfig recipes through one key table (recipe.h) and the
 * key-table engine of arch/keytab.c. */
#include "quant/train/recipe.h"
#include "arch/keytab.h"

#include <libconfig.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define F(field) offsetof(Recipe, field), sizeof(((Recipe *)0)->field)

static const char *const arch_names[] = {"resnet20", "resnet20-preact", "cnn", NULL};
static const char *const sched_names[] = {"const", "step", "cosine", "exp", NULL};
static const char *const w_methods[] = {"none", "dorefa", "sawb", "apot", "faq", "sat", NULL};
static const char *const a_methods[] = {"none", "pact", "cgpact", "uniform", "faq", NULL};
static const char *const calib_rules[] = {"faq", "mse", NULL};

static const KtKey keys[] = {
    {"model.arch", KT_STR, F(arch), 0, 0, "", "network to train", arch_names},
    {"model.width", KT_FLOAT, F(width), 0.0625, 16, "", "channel multiplier (ResNet-20: 16 x width base channels)", NULL},
    {"data.dir", KT_STR, F(data_dir), 0, 0, "", "Fashion-MNIST folder (\"\": $QARRAY_FASHION_MNIST or the Debian path)", NULL},
    {"data.synthetic", KT_INT, F(synthetic), 0, 1e7, "images", "> 0: use a seeded synthetic set of this many training images", NULL},
    {"data.train_subset", KT_INT, F(train_subset), 0, 1e7, "images", "train on the first N images (0: all)", NULL},
    {"data.test_subset", KT_INT, F(test_subset), 0, 1e7, "images", "test on the first N images (0: all)", NULL},
    {"data.augment", KT_BOOL, F(augment), 0, 1, "", "random crop + horizontal flip", NULL},
    {"data.crop_pad", KT_INT, F(crop_pad), 0, 8, "pixels", "random-crop padding", NULL},
    {"train.epochs", KT_INT, F(epochs), 1, 10000, "", "epochs", NULL},
    {"train.batch", KT_INT, F(batch), 1, 4096, "images", "batch size", NULL},
    {"train.seed", KT_LONG, F(seed), 0, 2147483647, "", "seed of every random choice", NULL},
    {"train.schedule", KT_STR, F(schedule), 0, 0, "", "learning-rate schedule (exp: FAQ)", sched_names},
    {"train.lr", KT_FLOAT, F(lr), 1e-9, 10, "", "base learning rate", NULL},
    {"train.lr_end", KT_FLOAT, F(lr_end), 0, 10, "", "cosine floor / exp final rate", NULL},
    {"train.gamma", KT_FLOAT, F(gamma), 1e-6, 1, "", "step: factor per drop", NULL},
    {"train.step_epochs", KT_INT, F(step_epochs), 1, 10000, "", "step: epochs between drops", NULL},
    {"train.warmup_epochs", KT_INT, F(warmup_epochs), 0, 1000, "", "cosine: linear warmup epochs", NULL},
    {"train.momentum", KT_FLOAT, F(momentum), 0, 0.999, "", "SGD momentum", NULL},
    {"train.nesterov", KT_BOOL, F(nesterov), 0, 1, "", "Nesterov momentum", NULL},
    {"train.wd", KT_FLOAT, F(wd), 0, 1, "", "weight decay of conv/fc weights", NULL},
    {"train.wd_bn", KT_FLOAT, F(wd_bn), 0, 1, "", "weight decay of BN gamma/beta and fc bias", NULL},
    {"train.wd_alpha", KT_FLOAT, F(wd_alpha), 0, 1, "", "L2 on clipping levels alpha (PACT eq. 3)", NULL},
    {"quant.w_method", KT_STR, F(w_method), 0, 0, "", "weight quantizer (sat = dorefa + SAT rescaling)", w_methods},
    {"quant.a_method", KT_STR, F(a_method), 0, 0, "", "activation quantizer (uniform: APoT's RCF with uniform levels)", a_methods},
    {"quant.w_bits", KT_INT, F(w_bits), 0, 8, "bits", "weight bits (0: float)", NULL},
    {"quant.a_bits", KT_INT, F(a_bits), 0, 8, "bits", "activation bits (0: float)", NULL},
    {"quant.first_last_bits", KT_INT, F(first_last_bits), 0, 8, "bits", "bits of the first conv and the last fc (and its input); 0: as the rest", NULL},
    {"quant.fpsc", KT_BOOL, F(fpsc), 0, 1, "", "keep 1x1 projection shortcuts at full precision (SAWB 5.1)", NULL},
    {"quant.wn", KT_BOOL, F(wn), 0, 1, "", "APoT weight normalization (APoT eq. 9)", NULL},
    {"quant.alpha_init", KT_FLOAT, F(alpha_init), 0, 1000, "", "initial activation alpha (0: calibrate from data)", NULL},
    {"quant.init_from", KT_STR, F(init_from), 0, 0, "", "start from this float checkpoint (FAQ fine-tuning)", NULL},
    {"quant.calib_batches", KT_INT, F(calib_batches), 0, 10000, "batches", "calibration batches before training", NULL},
    {"quant.calib_rule", KT_STR, F(calib_rule), 0, 0, "", "faq: 99.9th/99.99th percentile, power of two; mse: clip of least squared error at the bits", calib_rules},
};

static const KtTable table = {"recipe", keys, (int)QA_COUNT(keys),
                              "qarray train --help", 1, NULL};

void recipe_defaults(Recipe *r)
{
    memset(r, 0, sizeof *r);
    snprintf(r->arch, sizeof r->arch, "resnet20");
    r->width = 1.0;
    r->augment = 1;
    r->crop_pad = 2;
    r->epochs = 30;
    r->batch = 128;
    r->seed = 1;
    snprintf(r->schedule, sizeof r->schedule, "cosine");
    r->lr = 0.1;
    r->gamma = 0.1;
    r->step_epochs = 10;
    r->momentum = 0.9;
    r->wd = 5e-4;
    r->wd_alpha = 5e-4;
    snprintf(r->w_method, sizeof r->w_method, "none");
    snprintf(r->a_method, sizeof r->a_method, "none");
    r->first_last_bits = 8;
    r->alpha_init = 10;
    snprintf(r->calib_rule, sizeof r->calib_rule, "faq");
}

int recipe_load(Recipe *r, const char *path, Err *e)
{
    recipe_defaults(r);
    if (strlen(path) >= sizeof r->file)
        return err_set(e, path, 0, NULL, "path longer than %zu characters",
                       sizeof r->file - 1);
    snprintf(r->file, sizeof r->file, "%s", path);
    if (kt_load_file(&table, r, path, e) != QA_OK)
        return QA_ERR;
    return recipe_validate(r, e);
}

int recipe_set(Recipe *r, const char *kv, Err *e)
{
    return kt_set_pair(&table, r, kv, e);
}

int recipe_validate(const Recipe *r, Err *e)
{
    /* Names were checked by the key table when they were set. */
    const char *f = r->file[0] ? r->file : NULL;
    if ((strcmp(r->w_method, "none") != 0) != (r->w_bits > 0))
        return err_set(e, f, 0, "quant.w_bits", "a weight quantizer needs w_bits > 0 and w_bits > 0 needs one");
    if ((strcmp(r->a_method, "none") != 0) != (r->a_bits > 0))
        return err_set(e, f, 0, "quant.a_bits", "an activation quantizer needs a_bits > 0 and a_bits > 0 needs one");
    if (!strcmp(r->schedule, "exp") && !(r->lr_end > 0))
        return err_set(e, f, 0, "train.lr_end", "the exp schedule needs lr_end > 0");
    return QA_OK;
}

void recipe_help(FILE *f)
{
    Recipe d;
    recipe_defaults(&d);
    kt_help(&table, &d, f);
}

void recipe_write(const Recipe *r, FILE *f)
{
    kt_write(&table, r, f);
}
