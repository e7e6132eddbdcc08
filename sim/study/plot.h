/* plot.h: the figures of a finished study. Writes small whitespace-separated
 * data files into OUT/plots/ from points.csv, the layer CSVs and the area
 * model, then runs gnuplot (an external process) on the scripts in
 * scripts_dir, which draw PNG and SVG beside the data. No plotting in C. */
#ifndef PLOT_H
#define PLOT_H

#include "sim/study/study.h"

/* Write the data files of the study's table (points.csv at `table`). */
int plot_write_data(const Study *s, const char *table, Err *e);
/* Data files, then every script (speedup, area, tops_mm2, layers_cycles,
 * layers_dram, and with energy in the table energy and energy_bits:
 * NAME.gp draws NAME.png and NAME.svg, titled with the chip and the
 * values the figure fixes); errors name the script and the log. */
int plot_study(const Study *s, const char *table, const char *scripts_dir,
               Err *e);

#endif
