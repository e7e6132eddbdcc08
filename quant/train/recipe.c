/* recipe.c: libconfig recipes through one key table (recipe.h). */
#include "quant/train/recipe.h"
#include "quant/train/optim.h"

#include <libconfig.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef enum { K_INT, K_BOOL, K_FLOAT, K_STR } KType;

typedef struct {
    const char *path;
    KType type;
    size_t off, size;     /* field in Recipe; size for strings */
    const char *def;      /* default as text */
    double min, max;
    const char *help;
} Key;

#define F(field) offsetof(Recipe, field), sizeof(((Recipe *)0)->field)

static const Key keys[] = {
    {"model.arch", K_STR, F(arch), "resnet20", 0, 0, "resnet20 | resnet20-preact | cnn"},
    {"model.width", K_FLOAT, F(width), "1.0", 0.0625, 16, "channel multiplier (ResNet-20: 16 x width base channels)"},
    {"data.dir", K_STR, F(data_dir), "", 0, 0, "Fashion-MNIST folder (\"\": $QARRAY_FASHION_MNIST or the Debian path)"},
    {"data.synthetic", K_INT, F(synthetic), "0", 0, 1e7, "> 0: use a seeded synthetic set of this many training images"},
    {"data.train_subset", K_INT, F(train_subset), "0", 0, 1e7, "train on the first N images (0: all)"},
    {"data.test_subset", K_INT, F(test_subset), "0", 0, 1e7, "test on the first N images (0: all)"},
    {"data.augment", K_BOOL, F(augment), "true", 0, 1, "random crop + horizontal flip"},
    {"data.crop_pad", K_INT, F(crop_pad), "2", 0, 8, "random-crop padding, pixels"},
    {"train.epochs", K_INT, F(epochs), "30", 1, 10000, "epochs"},
    {"train.batch", K_INT, F(batch), "128", 1, 4096, "batch size"},
    {"train.seed", K_INT, F(seed), "1", 0, 2147483647, "seed of every random choice"},
    {"train.schedule", K_STR, F(schedule), "cosine", 0, 0, "const | step | cosine | exp (FAQ)"},
    {"train.lr", K_FLOAT, F(lr), "0.1", 1e-9, 10, "base learning rate"},
    {"train.lr_end", K_FLOAT, F(lr_end), "0", 0, 10, "cosine floor / exp final rate"},
    {"train.gamma", K_FLOAT, F(gamma), "0.1", 1e-6, 1, "step: factor per drop"},
    {"train.step_epochs", K_INT, F(step_epochs), "10", 1, 10000, "step: epochs between drops"},
    {"train.warmup_epochs", K_INT, F(warmup_epochs), "0", 0, 1000, "cosine: linear warmup epochs"},
    {"train.momentum", K_FLOAT, F(momentum), "0.9", 0, 0.999, "SGD momentum"},
    {"train.nesterov", K_BOOL, F(nesterov), "false", 0, 1, "Nesterov momentum"},
    {"train.wd", K_FLOAT, F(wd), "5e-4", 0, 1, "weight decay of conv/fc weights"},
    {"train.wd_bn", K_FLOAT, F(wd_bn), "0", 0, 1, "weight decay of BN gamma/beta and fc bias"},
    {"train.wd_alpha", K_FLOAT, F(wd_alpha), "5e-4", 0, 1, "L2 on clipping levels alpha (PACT eq. 3)"},
    {"quant.w_method", K_STR, F(w_method), "none", 0, 0, "weight quantizer: none | dorefa | sawb | apot | faq | sat (= dorefa + SAT rescaling)"},
    {"quant.a_method", K_STR, F(a_method), "none", 0, 0, "activation quantizer: none | pact | cgpact | uniform (APoT's RCF, uniform levels) | faq"},
    {"quant.w_bits", K_INT, F(w_bits), "0", 0, 8, "weight bits (0: float)"},
    {"quant.a_bits", K_INT, F(a_bits), "0", 0, 8, "activation bits (0: float)"},
    {"quant.first_last_bits", K_INT, F(first_last_bits), "8", 0, 8, "bits of the first conv and the last fc (and its input); 0: as the rest"},
    {"quant.fpsc", K_BOOL, F(fpsc), "false", 0, 1, "keep 1x1 projection shortcuts at full precision (SAWB 5.1)"},
    {"quant.wn", K_BOOL, F(wn), "false", 0, 1, "APoT weight normalization (APoT eq. 9)"},
    {"quant.alpha_init", K_FLOAT, F(alpha_init), "10", 0, 1000, "initial activation alpha (0: calibrate from data)"},
    {"quant.init_from", K_STR, F(init_from), "", 0, 0, "start from this float checkpoint (FAQ fine-tuning)"},
    {"quant.calib_batches", K_INT, F(calib_batches), "0", 0, 10000, "calibration batches before training"},
    {"quant.calib_rule", K_STR, F(calib_rule), "faq", 0, 0, "faq (99.9th/99.99th percentile, power of two) | mse (clip of least squared error at the bits)"},
};

static int set_text(Recipe *r, const Key *k, const char *v, const char *file, int line,
                    Err *e)
{
    char *p = (char *)r + k->off;
    if (k->type == K_STR) {
        if (strlen(v) >= k->size)
            return err_set(e, file, line, k->path, "longer than %zu characters", k->size - 1);
        memcpy(p, v, strlen(v) + 1);
        return QA_OK;
    }
    double d;
    if (k->type == K_BOOL) {
        if (!strcmp(v, "true") || !strcmp(v, "1"))
            d = 1;
        else if (!strcmp(v, "false") || !strcmp(v, "0"))
            d = 0;
        else
            return err_set(e, file, line, k->path, "want true or false, not '%s'", v);
    } else if (qa_parse_double(v, &d)) {
        return err_set(e, file, line, k->path, "not a number: '%s'", v);
    }
    if (k->type == K_INT && d != (double)(long)d)
        return err_set(e, file, line, k->path, "want an integer, not '%s'", v);
    if (d < k->min || d > k->max)
        return err_set(e, file, line, k->path, "%s out of range [%g, %g]", v, k->min, k->max);
    if (k->type == K_FLOAT)
        *(double *)p = d;
    else if (k->size == sizeof(long))
        *(long *)p = (long)d;
    else
        *(int *)p = (int)d;
    return QA_OK;
}

void recipe_defaults(Recipe *r)
{
    memset(r, 0, sizeof *r);
    for (size_t i = 0; i < QA_COUNT(keys); i++)
        set_text(r, &keys[i], keys[i].def, NULL, 0, NULL);
}

static const Key *find_key(const char *path)
{
    for (size_t i = 0; i < QA_COUNT(keys); i++)
        if (!strcmp(keys[i].path, path))
            return &keys[i];
    return NULL;
}

/* Walk every leaf setting: unknown paths are errors. */
static int check_known(const config_setting_t *s, const char *file, Err *e)
{
    int n = config_setting_length(s);
    for (int i = 0; i < n; i++) {
        config_setting_t *c = config_setting_get_elem(s, (unsigned)i);
        if (config_setting_is_group(c)) {
            if (check_known(c, file, e))
                return QA_ERR;
            continue;
        }
        char path[128] = "";
        const config_setting_t *g = config_setting_parent(c);
        const char *gname = g ? config_setting_name(g) : NULL;
        snprintf(path, sizeof path, "%s%s%s", gname ? gname : "", gname ? "." : "",
                 config_setting_name(c) ? config_setting_name(c) : "?");
        if (!find_key(path))
            return err_set(e, file, config_setting_source_line(c), path, "unknown key");
    }
    return QA_OK;
}

int recipe_load(Recipe *r, const char *path, Err *e)
{
    recipe_defaults(r);
    snprintf(r->file, sizeof r->file, "%s", path);
    config_t cfg;
    config_init(&cfg);
    if (!config_read_file(&cfg, path)) {
        if (config_error_type(&cfg) == CONFIG_ERR_FILE_IO)
            err_set(e, path, 0, NULL, "cannot read recipe");
        else
            err_set(e, path, config_error_line(&cfg), NULL, "%s", config_error_text(&cfg));
        config_destroy(&cfg);
        return QA_ERR;
    }
    int rc = check_known(config_root_setting(&cfg), path, e);
    for (size_t i = 0; !rc && i < QA_COUNT(keys); i++) {
        const Key *k = &keys[i];
        config_setting_t *s = config_lookup(&cfg, k->path);
        if (!s)
            continue;
        int line = config_setting_source_line(s);
        char buf[300];
        int t = config_setting_type(s);
        if (k->type == K_STR) {
            if (t != CONFIG_TYPE_STRING) {
                rc = err_set(e, path, line, k->path, "want a string");
                break;
            }
            snprintf(buf, sizeof buf, "%s", config_setting_get_string(s));
        } else if (k->type == K_BOOL) {
            if (t != CONFIG_TYPE_BOOL) {
                rc = err_set(e, path, line, k->path, "want true or false");
                break;
            }
            snprintf(buf, sizeof buf, "%d", config_setting_get_bool(s));
        } else if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64) {
            snprintf(buf, sizeof buf, "%lld", config_setting_get_int64(s));
        } else if (t == CONFIG_TYPE_FLOAT && k->type == K_FLOAT) {
            snprintf(buf, sizeof buf, "%.17g", config_setting_get_float(s));
        } else {
            rc = err_set(e, path, line, k->path, "want %s", k->type == K_INT ? "an integer" : "a number");
            break;
        }
        rc = set_text(r, k, buf, path, line, e);
    }
    config_destroy(&cfg);
    return rc ? QA_ERR : recipe_validate(r, e);
}

int recipe_set(Recipe *r, const char *kv, Err *e)
{
    const char *eq = strchr(kv, '=');
    char path[128];
    if (!eq || (size_t)(eq - kv) >= sizeof path)
        return err_set(e, NULL, 0, kv, "want key=value");
    memcpy(path, kv, (size_t)(eq - kv));
    path[eq - kv] = 0;
    const Key *k = find_key(path);
    if (!k)
        return err_set(e, NULL, 0, path, "unknown key");
    const char *v = eq + 1;
    char buf[300];
    if (k->type == K_STR && *v == '"') {
        snprintf(buf, sizeof buf, "%s", v + 1);
        size_t n = strlen(buf);
        if (n && buf[n - 1] == '"')
            buf[n - 1] = 0;
        v = buf;
    }
    return set_text(r, k, v, NULL, 0, e);
}

static int in_list(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (!strcmp(s, *list))
            return 1;
    return 0;
}

int recipe_validate(const Recipe *r, Err *e)
{
    static const char *const wm[] = {"none", "dorefa", "sawb", "apot", "faq", "sat", NULL};
    static const char *const am[] = {"none", "pact", "cgpact", "uniform", "faq", NULL};
    static const char *const arch[] = {"resnet20", "resnet20-preact", "cnn", NULL};
    const char *f = r->file[0] ? r->file : NULL;
    if (!in_list(r->arch, arch))
        return err_set(e, f, 0, "model.arch", "unknown network '%s' (resnet20, resnet20-preact, cnn)", r->arch);
    if (strcmp(r->calib_rule, "faq") && strcmp(r->calib_rule, "mse"))
        return err_set(e, f, 0, "quant.calib_rule", "unknown rule '%s' (faq, mse)", r->calib_rule);
    if (optim_sched_parse(r->schedule) < 0)
        return err_set(e, f, 0, "train.schedule", "unknown schedule '%s' (const, step, cosine, exp)", r->schedule);
    if (!in_list(r->w_method, wm))
        return err_set(e, f, 0, "quant.w_method", "unknown weight quantizer '%s'", r->w_method);
    if (!in_list(r->a_method, am))
        return err_set(e, f, 0, "quant.a_method", "unknown activation quantizer '%s'", r->a_method);
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
    for (size_t i = 0; i < QA_COUNT(keys); i++)
        fprintf(f, "  %-22s %-6s default %-10s %s\n", keys[i].path,
                keys[i].type == K_STR ? "string" : keys[i].type == K_BOOL ? "bool"
                : keys[i].type == K_INT ? "int" : "float",
                keys[i].def[0] ? keys[i].def : "\"\"", keys[i].help);
}

/* A libconfig string literal: quotes, backslashes and control characters
 * escaped, or a data.dir such as a"b would be written as a syntax error. */
static void put_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            fprintf(f, "\\x%02x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

/* The shortest of %.15g and %.17g that reads back to v: %.9g lost digits,
 * so two recipes differing in the 10th digit wrote (and hashed) the same.
 * Values of 9 digits or fewer print as before. */
static void put_double(FILE *f, double v)
{
    char buf[40];
    if (v == 0 && signbit(v)) {
        /* "-0" would read back as the integer 0, losing the sign */
        fputs("-0.0", f);
        return;
    }
    snprintf(buf, sizeof buf, "%.15g", v);
    if (strtod(buf, NULL) != v)
        snprintf(buf, sizeof buf, "%.17g", v);
    fputs(buf, f);
}

void recipe_write(const Recipe *r, FILE *f)
{
    char group[16] = "";
    for (size_t i = 0; i < QA_COUNT(keys); i++) {
        const Key *k = &keys[i];
        const char *dot = strchr(k->path, '.');
        if (strncmp(group, k->path, (size_t)(dot - k->path)) || group[dot - k->path]) {
            if (group[0])
                fprintf(f, "};\n");
            snprintf(group, sizeof group, "%.*s", (int)(dot - k->path), k->path);
            fprintf(f, "%s: {\n", group);
        }
        const char *p = (const char *)r + k->off;
        fprintf(f, "  %s = ", dot + 1);
        if (k->type == K_STR) {
            put_string(f, p);
            fputs(";\n", f);
        }
        else if (k->type == K_BOOL)
            fprintf(f, "%s;\n", *(const int *)p ? "true" : "false");
        else if (k->type == K_FLOAT) {
            put_double(f, *(const double *)p);
            fputs(";\n", f);
        }
        else if (k->size == sizeof(long))
            fprintf(f, "%ld;\n", *(const long *)p);
        else
            fprintf(f, "%d;\n", *(const int *)p);
    }
    if (group[0])
        fprintf(f, "};\n");
}
