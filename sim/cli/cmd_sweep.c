/* cmd_sweep.c: `qarray sweep`: every design point of a study, in parallel,
 * then the comparison with the paper and the plots. */
#include "sim/cli/args.h"
#include "sim/cli/cmd.h"
#include "sim/study/point.h"
#include "sim/study/sweep.h"

#include <unistd.h>

typedef struct {
    const char *study, *out, *shard;
    int jobs, engine, resume, no_plot, list, no_layers;
} SweepArgs;

/* The study file's keys, after the options. */
static void study_help(FILE *f)
{
    fprintf(f,
"Study file (libconfig; paths relative to the working directory):\n"
"  name, out (default results/NAME), arch (required: the base chip),\n"
"  compare = \"pact2018\" (print the paper's claims beside the model),\n"
"  baseline = { axis = value; ... } (speedups are over this point; default\n"
"  bits = 16, first_last = \"same\"), plot = { axis = value; ... } (the\n"
"  slice the figures show), input_shape = \"NAME=1x3x224x224\" (or a list:\n"
"  the shapes of ONNX inputs the models leave open, as --input-shape),\n"
"  and the axes, one value or a list each (mixed types need a ( ) list);\n"
"  axes not given take the chip's value:\n");
    for (int ax = 0; ax < STUDY_NAXES; ax++)
        fprintf(f, "  %-11s %s\n", study_axis_name((StudyAxis)ax),
                study_axis_help((StudyAxis)ax));
    fprintf(f, "\nclaims = { key = value; ... }: the paper's numbers compare checks\n");
    study_help_claims(f);
}

static const ArgOpt opts[] = {
    ARGS_OPT_STUDY(SweepArgs, study, "study file (libconfig), e.g.\n"
                   "arch/studies/pact2018.cfg"),
    {.name = "jobs", .letter = 'j', .kind = ARG_INT, .off = offsetof(SweepArgs, jobs),
     .meta = "N", .help = "worker processes; default: the online cores", .lo = 1,
     .hi = 1024},
    ARGS_OPT_OUT_DIR(SweepArgs, out, "DIR", "output folder (default: the study's out)", 0,
                     "points.db points.csv"),
    ARGS_OPT_ENGINE(SweepArgs, engine, NULL, "run every point on this engine (default:\n"
                    "the study's)"),
    {.name = "shard", .kind = ARG_STR, .off = offsetof(SweepArgs, shard), .meta = "I/N",
     .help = "run only the points with id % N == I; the database goes\n"
             "to OUT/points.shard-I-of-N.db, the table to .csv (join the\n"
             "databases with qarray merge)"},
    {.name = "resume", .kind = ARG_FLAG, .off = offsetof(SweepArgs, resume),
     .help = "keep the points whose row in the database validates; run\n"
             "the rest (missing, damaged, of another study or build)"},
    {.name = "no-plot", .kind = ARG_FLAG, .off = offsetof(SweepArgs, no_plot),
     .help = "do not run gnuplot"},
    {.name = "no-layers", .kind = ARG_FLAG, .off = offsetof(SweepArgs, no_layers),
     .help = "keep no per-layer rows: the database holds the points\n"
             "only and no layer CSVs are written (the layer figures\n"
             "and the claims' DRAM explanation are left out); for\n"
             "studies of millions of points"},
    {.name = "list", .kind = ARG_FLAG, .off = offsetof(SweepArgs, list),
     .help = "print the points (id and axis values) and exit"},
};

static void list_points(const Study *s)
{
    for (int64_t id = 0; id < s->npoints; id++) {
        StudyPoint p;
        study_point(s, id, &p);
        printf("%lld", (long long)id);
        for (int ax = 0; ax < STUDY_NAXES; ax++)
            if (study_axis_shown(s, (StudyAxis)ax))
                printf(" %s=%s", study_axis_name((StudyAxis)ax),
                       p.v[ax]->text);
        putchar('\n');
    }
}

static void online_cores(void *obj)
{
    SweepArgs *o = obj;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    o->jobs = ncpu > 0 ? (int)QA_MIN(ncpu, 1024) : 1;
}

static int run(const Args *a, void *obj, Err *e)
{
    const SweepArgs *o = obj;
    SweepOpts so = {o->jobs, 0, 1, o->resume, 1, o->no_layers};
    if (o->shard && study_parse_shard(o->shard, &so.shard_i, &so.shard_n) != QA_OK) {
        err_set(e, NULL, 0, "--shard", "'%s' is not I/N with 0 <= I < N", o->shard);
        return ARGS_USAGE;
    }
    Study s;
    const char *engine = args_given(a, "engine") ? point_engine_name((Engine)o->engine) : NULL;
    if (study_load_with(&s, o->study, engine, o->out, e) != QA_OK)
        return QA_ERR;
    SweepResult r;
    int rc = sweep_check(&s, e);
    if (rc == QA_OK && o->list) {
        list_points(&s);
    } else if (rc == QA_OK && (rc = sweep_run(&s, &so, &r, e)) == QA_OK) {
        printf("%s: %lld points (%lld run, %lld already done) in %.2f s, -j %d "
               "-> %s\n", s.name, (long long)r.points, (long long)r.run,
               (long long)r.skipped, r.seconds, so.jobs, r.table);
        if (r.dropped)
            printf("%s: %lld rows of %s did not validate (damaged, or of "
                   "another study, build or --no-layers setting) and were "
                   "run again\n", s.name,
                   (long long)r.dropped, r.db);
        if (r.infeasible)
            printf("%s: %lld points do not fit the chip, or the runs their "
                   "speedups are over do not (status and reason in %s)\n", s.name, (long long)r.infeasible, r.table);
        /* A shard's table is part of a study: merge compares and plots. */
        if (so.shard_n == 1)
            rc = sweep_finish(&s, r.table, !o->no_plot, stdout, e);
    }
    study_free(&s);
    return rc;
}

const ArgCmd cmd_sweep = {
    .name = "sweep",
    .summary = "run a study: every design point of its axes, in parallel",
    .about = "Run every design point of a study (the cross product of its axes) into the\n"
             "database OUT/points.db (SQLite, one transaction per point), write\n"
             "OUT/points.csv and OUT/layers/pNNNNNN.csv from it, print the comparison\n"
             "with the paper (compare = \"pact2018\") and draw the plots. A point that\n"
             "does not fit the chip is a row with status infeasible; the sweep goes on.",
    .opts = opts, .nopts = (int)QA_COUNT(opts),
    .more = study_help,
    .size = sizeof(SweepArgs),
    .init = online_cores,
    .run = run,
};
