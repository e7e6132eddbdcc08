/* cmd_plot.c: `qarray plot`: draw a finished study's figures with gnuplot. */
#include "sim/cli/args.h"
#include "sim/cli/cmd.h"
#include "sim/study/plot.h"

typedef struct {
    const char *study, *out, *scripts;
} PlotOpts;

static const ArgOpt opts[] = {
    ARGS_OPT_STUDY(PlotOpts, study, "the finished study"),
    ARGS_OPT_OUT(PlotOpts, out, "DIR", "its output folder (default: the study's out)", 0),
    {.name = "scripts", .kind = ARG_STR, .off = offsetof(PlotOpts, scripts), .meta = "DIR",
     .help = "the gnuplot scripts", .def = "results/plots"},
};

static int run(const Args *a, void *obj, Err *e)
{
    (void)a;
    const PlotOpts *o = obj;
    Study s;
    if (study_load_with(&s, o->study, NULL, o->out, e) != QA_OK)
        return QA_ERR;
    char path[1100];
    snprintf(path, sizeof path, "%s/points.csv", s.out_dir);
    int rc = plot_study(&s, path, o->scripts, e);
    if (rc == QA_OK)
        printf("plots in %s/plots/\n", s.out_dir);
    study_free(&s);
    return rc;
}

const ArgCmd cmd_plot = {
    .name = "plot",
    .summary = "draw a finished study's figures with gnuplot",
    .about = "Draw the plots of a finished study from DIR/points.csv and its layer CSVs\n"
             "(DIR: the study's out) with the gnuplot scripts: PNG and SVG in DIR/plots/,\n"
             "beside the data files they read.",
    .opts = opts, .nopts = (int)QA_COUNT(opts),
    .size = sizeof(PlotOpts),
    .run = run,
};
