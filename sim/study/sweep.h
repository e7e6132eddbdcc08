/* sweep.h: run a Study's design points (a shard of them, in parallel
 * worker processes) into the study database (store.h), one transaction
 * per point, then write points.csv and the layer CSVs from it. A killed
 * sweep loses only the points in flight, and a rerun with resume runs
 * only the points without a row that validates. The comparison (claims.h)
 * and the plots (plot.h) of a finished table are called from
 * sweep_finish. */
#ifndef SWEEP_H
#define SWEEP_H

#include "sim/study/study.h"
#include "sim/study/point.h"

typedef struct {
    int jobs;              /* worker processes (>= 1) */
    long shard_i, shard_n; /* run the points with id % shard_n == shard_i */
    int resume;            /* skip points whose row in the database
                              validates */
    int progress;          /* progress bar and ETA on stderr if a tty */
    int no_layers;         /* keep no per-layer rows: the database holds
                              the points only, no layer CSVs */
} SweepOpts;

typedef struct {
    int64_t points;        /* points of this shard */
    int64_t run, skipped;
    int64_t dropped;       /* rows found that did not validate (run again) */
    int64_t infeasible;    /* rows whose status is not ok (points.h) */
    double seconds;        /* wall time of the run */
    char table[1100];      /* the table written */
    char db[1100];         /* the database */
} SweepResult;

/* Names the sweep cannot check in arch/: workloads and engines. */
int sweep_check(const Study *s, Err *e);

/* The point as point_run takes it. */
void sweep_point_spec(const StudyPoint *p, PointSpec *ps);

/* Run the shard. The database is OUT/points.db and the table
 * OUT/points.csv without sharding, else OUT/points.shard-I-of-N.db and
 * .csv. A point that fails (other than by not fitting) stops the sweep:
 * the database keeps the finished points, no table is written. */
int sweep_run(const Study *s, const SweepOpts *o, SweepResult *r, Err *e);

/* A finished table (a whole sweep's or merged shards'): the comparison
 * with the paper printed to out when the study sets compare, then, with
 * plots, the figures (scripts in results/plots) and a line on out saying
 * where they are. */
int sweep_finish(const Study *s, const char *table, int plots, FILE *out, Err *e);

#endif
