/* points.h: the points table of a study: one row per design point (its id,
 * every axis value, the run's results), the per-point files a sweep writes
 * (points/pNNNNNN.csv: header and row; layers/pNNNNNN.csv), reading them
 * back, and merging shard tables. A row starts with its key (id and axis
 * values), so a row can always be checked against the study. No running. */
#ifndef POINTS_H
#define POINTS_H

#include "sim/study/study.h"
#include "sim/report/report.h"

/* A row of points.csv after the axis columns. */
typedef struct {
    RunRecord rec;
    int64_t baseline_cycles;
    double speedup_vs_baseline;
    double baseline_energy_uj;
    double energy_gain_vs_baseline;
    char layers_csv[32];
} PointRow;

/* The result columns (rows are PointRow); the key columns come first. */
extern const CsvTable points_result_table;

/* Header and rows are written by csv.h's rule (RFC 4180); the axis
 * columns are those study_axis_shown() gives for s. */
void points_print_header(FILE *f, const Study *s);
/* The header as a string (caller frees); NULL without memory. */
char *points_header_text(const Study *s);
/* "id,axis values," : the start of the point's row. */
void points_key(const Study *s, const StudyPoint *p, char *buf, size_t n);
void points_print_row(FILE *f, const Study *s, const StudyPoint *p,
                      const PointRow *r);

/* Paths of a point's files under the study's output folder. */
void points_point_path(const Study *s, int64_t id, char *buf, size_t n);
void points_layers_path(const Study *s, int64_t id, char *buf, size_t n);

/* The row of a finished point: QA_OK and *row (caller frees) if its file
 * exists, has this header and this study's key; QA_OK and *row = NULL if
 * there is no file; QA_ERR if it belongs to another study or version. */
int points_done_row(const Study *s, int64_t id, const char *header,
                    char **row, Err *e);

/* Join shard tables into out_path (atomic): every row must belong to this
 * study, no point twice, none missing. */
int points_merge(const Study *s, char *const *files, int n,
                 const char *out_path, Err *e);

#endif
