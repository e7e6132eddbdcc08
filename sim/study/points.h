/* points.h: the points table of a study: one row per design point (its id,
 * every axis value, the run's results), as points.csv and the study
 * database (store.h) hold it. A row starts with its key (id and axis
 * values), so a row can always be checked against the study. An
 * infeasible point (nothing of some layer fits the chip) is a row too:
 * its status, layer and reason, and no results. No running, no files. */
#ifndef POINTS_H
#define POINTS_H

#include "sim/study/study.h"
#include "sim/report/report.h"
#include "sim/report/table.h"

/* status of a row: ok; infeasible (some layer of the point fits no
 * mapping: no results); baseline_infeasible (the point fits, a run its
 * speedups are over does not: results without base_cycles, speedup_16,
 * baseline_cycles and speedup). */
#define POINTS_OK "ok"
#define POINTS_INFEASIBLE "infeasible"
#define POINTS_NO_BASELINE "baseline_infeasible"

/* 1 if a result column (by index in points_result_table) is empty in a
 * row of this status. */
int points_cell_empty(const char *status, int col);

/* A row of points.csv after the axis columns. */
typedef struct {
    RunRecord rec;
    int64_t baseline_cycles;
    double speedup_vs_baseline;
    double baseline_energy_uj;
    double energy_gain_vs_baseline;
    char layers_csv[32];
    char status[24];                  /* POINTS_OK, _INFEASIBLE or _NO_BASELINE */
    char infeasible_layer[LAYER_NAME_MAX];
    char reason[600];                 /* why it (or its baseline) does not
                                         fit; "" when ok */
} PointRow;

/* The result columns (rows are PointRow); the key columns come first. */
extern const CsvTable points_result_table;
/* status, infeasible_layer, reason: after the results, in points.csv only
 * when some point of the table is infeasible (a study whose points all
 * fit keeps the columns it always had). */
extern const CsvTable points_status_table;

/* Header and rows are written by csv.h's rule (RFC 4180); the axis
 * columns are those study_axis_shown() gives for s. */
void points_print_header(FILE *f, const Study *s, int with_status);
/* "id,axis values," : the start of the point's row. */
void points_key(const Study *s, const StudyPoint *p, char *buf, size_t n);
/* An infeasible row has empty result cells. */
void points_print_row(FILE *f, const Study *s, const StudyPoint *p,
                      const PointRow *r, int with_status);

/* Path of a point's layer CSV under the study's output folder, and the
 * same relative to that folder (the layers_csv cell). */
void points_layers_path(const Study *s, int64_t id, char *buf, size_t n);
void points_layers_name(int64_t id, char *buf, size_t n);

/* 1 if row r of a points table read with table_read has results and
 * speedups: the table has no status column, or the row's status is
 * POINTS_OK. Claims and plots skip the rest. */
int points_row_ok(const Table *t, int r);

#endif
