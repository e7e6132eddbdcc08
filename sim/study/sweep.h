/* sweep.h: run a Study's design points (a shard of them, in parallel
 * worker processes), one result file per point, and join them into
 * points.csv (the table's format and merging: points.h). Every file is
 * written atomically, so a killed sweep leaves only whole point files, and
 * a rerun with resume skips them. The comparison (claims.h) and the plots
 * (plot.h) of a finished table are called from sweep_finish. */
#ifndef SWEEP_H
#define SWEEP_H

#include "sim/study/study.h"
#include "sim/study/point.h"

typedef struct {
    int jobs;              /* worker processes (>= 1) */
    long shard_i, shard_n; /* run the points with id % shard_n == shard_i */
    int resume;            /* skip points whose result file matches */
    int progress;          /* progress bar and ETA on stderr if a tty */
} SweepOpts;

typedef struct {
    int64_t points;        /* points of this shard */
    int64_t run, skipped;
    double seconds;        /* wall time of the run */
    char table[1100];      /* the table written */
} SweepResult;

/* Names the sweep cannot check in arch/: workloads and engines. */
int sweep_check(const Study *s, Err *e);

/* The point as point_run takes it. */
void sweep_point_spec(const StudyPoint *p, PointSpec *ps);

/* Run the shard. The table is OUT/points.csv without sharding, else
 * OUT/points.shard-I-of-N.csv. On a failed point nothing but the
 * point files of finished points is written. */
int sweep_run(const Study *s, const SweepOpts *o, SweepResult *r, Err *e);

/* A finished table (a whole sweep's or merged shards'): the comparison
 * with the paper printed to out when the study sets compare, then, with
 * plots, the figures (scripts in results/plots) and a line on out saying
 * where they are. */
int sweep_finish(const Study *s, const char *table, int plots, FILE *out, Err *e);

#endif
