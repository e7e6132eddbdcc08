/* cmd_levels.c: `qarray levels`: print the APoT, PoT or uniform level set. */
#include "quant/levels.h"
#include "sim/cli/args.h"
#include "sim/cli/cmd.h"

typedef struct {
    int method, bits, is_signed;
} LevelsOpts;

/* The level sets, in the order of their names. */
static const char *const set_names[] = {"apot", "pot", "uniform", NULL};
static int (*const set_fns[])(QLevels *, int, int, Err *) = {
    q_levels_apot, q_levels_pot, q_levels_uniform};

static const ArgOpt opts[] = {
    {.name = "method", .kind = ARG_CHOICE, .off = offsetof(LevelsOpts, method),
     .choices = set_names, .help = "the level set", .flags = ARG_REQUIRED},
    {.name = "bits", .letter = 'b', .kind = ARG_INT, .off = offsetof(LevelsOpts, bits),
     .meta = "N", .help = "bits of a level", .lo = 1, .hi = 16, .flags = ARG_REQUIRED},
    {.name = "signed", .kind = ARG_FLAG, .off = offsetof(LevelsOpts, is_signed),
     .help = "signed levels: one of the N bits is the sign"},
};

static int run(const Args *a, void *obj, Err *e)
{
    (void)a;
    const LevelsOpts *o = obj;
    QLevels lv = {0};
    if (set_fns[o->method](&lv, o->bits, o->is_signed, e) != QA_OK)
        return QA_ERR;
    printf("# %s, %d bits, %s, %d levels\n", set_names[o->method], o->bits,
           o->is_signed ? "signed" : "unsigned", lv.n);
    for (int i = 0; i < lv.n; i++)
        printf("%d %.9g\n", i, (double)lv.v[i]);
    q_levels_free(&lv);
    return QA_OK;
}

const ArgCmd cmd_levels = {
    .name = "levels",
    .summary = "print the APoT, PoT or uniform level set",
    .about = "Prints the level set normalized to a maximum of 1 (APoT paper eq. 2, 3, 5,\n"
             "6; k = 2), one level per line as index and value.",
    .opts = opts, .nopts = (int)QA_COUNT(opts),
    .size = sizeof(LevelsOpts),
    .run = run,
};
