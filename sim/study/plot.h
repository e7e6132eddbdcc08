/* plot.h: the figures of a finished study. Writes small whitespace-separated
 * data files into OUT/plots/ from points.csv, the layer CSVs and the area
 * model, then runs gnuplot (an external process) on the scripts in
 * scripts_dir, which draw PNG and SVG beside the data. No plotting in C. */
#ifndef PLOT_H
#define PLOT_H

#include "sim/study/study.h"

/* The scripts, in the order they run; each NAME.gp draws NAME.png/.svg. */
extern const char *const plot_names[];
extern const int plot_count;

/* Write the data files of the study's table (points.csv at `table`). */
int plot_write_data(const Study *s, const char *table, Err *e);
/* Data files, then every script; errors name the script and the log. */
int plot_study(const Study *s, const char *table, const char *scripts_dir,
               Err *e);

/* gnuplot -e VARS SCRIPT, its output appended to the file log. Errors
 * name the script: gnuplot missing, or failed (see the log). stdio is
 * flushed first, so the child repeats nothing of ours. */
int plot_gnuplot(const char *script, const char *vars, const char *log, Err *e);

#endif
