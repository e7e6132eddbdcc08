/* cmd_merge.c: `qarray merge`: join the points tables of a study's shards
 * into one, then compare and plot like `qarray sweep`. */
#include "sim/cli/args.h"
#include "sim/cli/cmd.h"
#include "sim/study/point.h"
#include "sim/study/points.h"
#include "sim/study/sweep.h"

typedef struct {
    const char *study, *out;
    int engine, no_plot;
} MergeOpts;

static const ArgOpt opts[] = {
    ARGS_OPT_STUDY(MergeOpts, study, "the study the shards ran"),
    ARGS_OPT_OUT_DIR(MergeOpts, out, "DIR", "output folder (default: the study's out)", 0,
                     "points.csv"),
    ARGS_OPT_ENGINE(MergeOpts, engine, NULL, "as given to the shards' qarray sweep"),
    {.name = "no-plot", .kind = ARG_FLAG, .off = offsetof(MergeOpts, no_plot),
     .help = "do not run gnuplot"},
};

static int run(const Args *a, void *obj, Err *e)
{
    const MergeOpts *o = obj;
    Study s;
    const char *engine = args_given(a, "engine") ? point_engine_name((Engine)o->engine) : NULL;
    if (study_load_with(&s, o->study, engine, o->out, e) != QA_OK)
        return QA_ERR;
    char path[1100];
    snprintf(path, sizeof path, "%s/points.csv", s.out_dir);
    int rc = qa_mkdirs(s.out_dir, e);
    if (rc == QA_OK)
        rc = points_merge(&s, a->operand, a->noperands, path, e);
    if (rc == QA_OK) {
        printf("%s: %lld points from %d tables -> %s\n", s.name, (long long)s.npoints,
               a->noperands, path);
        rc = sweep_finish(&s, path, !o->no_plot, stdout, e);
    }
    study_free(&s);
    return rc;
}

const ArgCmd cmd_merge = {
    .name = "merge",
    .summary = "join the points tables of a study's shards",
    .about = "Join the points tables of the shards of a study (OUT/points.shard-I-of-N.csv)\n"
             "into DIR/points.csv; every point exactly once. Then print the comparison and\n"
             "draw the plots like qarray sweep.",
    .opts = opts, .nopts = (int)QA_COUNT(opts),
    .operands = "TABLE", .min_operands = 1, .operand_flags = ARG_IN,
    .size = sizeof(MergeOpts),
    .run = run,
};
