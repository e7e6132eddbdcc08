/* cmd_merge.c: `qarray merge`: join the databases of a study's shards into
 * one, write its tables, then compare and plot like `qarray sweep`. */
#include "sim/cli/args.h"
#include "sim/cli/cmd.h"
#include "sim/study/point.h"
#include "sim/study/store.h"
#include "sim/study/sweep.h"

#include <stdlib.h>

typedef struct {
    const char *study, *out;
    int engine, no_plot, shards;
} MergeOpts;

static const ArgOpt opts[] = {
    ARGS_OPT_STUDY(MergeOpts, study, "the study the shards ran"),
    ARGS_OPT_OUT_DIR(MergeOpts, out, "DIR", "output folder (default: the study's out)", 0,
                     "points.db points.csv"),
    ARGS_OPT_ENGINE(MergeOpts, engine, NULL, "as given to the shards' qarray sweep"),
    {.name = "shards", .kind = ARG_INT, .off = offsetof(MergeOpts, shards),
     .meta = "N", .help = "merge OUT/points.shard-I-of-N.db for I = 0..N-1 (instead\n"
                          "of naming the databases)", .lo = 1, .hi = STUDY_MAX_POINTS},
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
    char db[1100], path[1100];
    Store *st = NULL;
    int64_t infeasible = 0;
    char *const *files = a->operand;
    int nfiles = a->noperands;
    char **named = NULL;
    int rc = QA_OK;
    if ((o->shards > 0) == (nfiles > 0)) {
        study_free(&s);
        err_set(e, NULL, 0, "--shards", "give either the shard databases or "
                "--shards N, not %s", nfiles ? "both" : "neither");
        return ARGS_USAGE;
    }
    if (o->shards == 1) {
        /* a sweep's shard 0 of 1 is the whole study: it writes points.db */
        err_set(e, NULL, 0, "--shards", "one shard is the whole study, whose "
                "database is already points.db: nothing to merge");
        study_free(&s);
        return ARGS_USAGE;
    }
    if (o->shards > s.npoints) {
        err_set(e, NULL, 0, "--shards", "%d shards of a study of %lld points: "
                "at most one shard per point", o->shards, (long long)s.npoints);
        study_free(&s);
        return ARGS_USAGE;
    }
    if (o->shards > 0) {
        named = qa_calloc((size_t)o->shards, sizeof *named);
        for (int i = 0; named && i < o->shards; i++) {
            named[i] = qa_malloc(1100);
            if (!named[i])
                break;
            store_path(&s, i, o->shards, named[i], 1100);
        }
        if (!named || !named[o->shards - 1])
            rc = err_set(e, NULL, 0, NULL, "out of memory");
        files = named;
        nfiles = o->shards;
    }
    store_path(&s, 0, 1, db, sizeof db);
    snprintf(path, sizeof path, "%s/points.csv", s.out_dir);
    /* a merge that fails leaves no folder it made (of a/b/c, the ones
     * that were not there) */
    char made[1024] = "";
    if (rc == QA_OK)
        rc = qa_mkdirs_made(s.out_dir, made, sizeof made, e);
    if (rc == QA_OK)
        rc = store_merge(&s, files, nfiles, db, e);
    if (rc == QA_OK)
        rc = store_open(&st, db, &s, 0, 1, STORE_AS_WRITTEN, e);
    if (rc == QA_OK)
        rc = store_export(st, path, 1, &infeasible, e);
    store_close(st);
    if (rc == QA_OK) {
        printf("%s: %lld points from %d databases -> %s, %s\n", s.name,
               (long long)s.npoints, nfiles, db, path);
        if (infeasible)
            printf("%s: %lld points do not fit the chip, or the runs their "
                   "speedups are over do not (status and reason in %s)\n", s.name,
                   (long long)infeasible, path);
        rc = sweep_finish(&s, path, !o->no_plot, stdout, e);
    }
    if (rc != QA_OK)
        qa_rmdirs(s.out_dir, made); /* only empty ones: nothing is lost */
    if (named)
        for (int i = 0; i < o->shards; i++)
            free(named[i]);
    free(named);
    study_free(&s);
    return rc;
}

const ArgCmd cmd_merge = {
    .name = "merge",
    .summary = "join the databases of a study's shards",
    .about = "Join the databases of the shards of a study (OUT/points.shard-I-of-N.db,\n"
             "or --shards N for all N of them) into DIR/points.db: each of this study\n"
             "and qarray build, every row valid, every point exactly once. Then write\n"
             "DIR/points.csv and the layer CSVs, print the comparison and draw the plots\n"
             "like qarray sweep.",
    .opts = opts, .nopts = (int)QA_COUNT(opts),
    .operands = "DATABASE", .min_operands = 0, .operand_flags = ARG_IN,
    .size = sizeof(MergeOpts),
    .run = run,
};
