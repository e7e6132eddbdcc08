/* gnuplot.h: the one gnuplot runner of qarray. gnuplot is an external
 * process (Debian gnuplot-nox); a script draws its figures from data files
 * a caller wrote. The runner sets the script's variables, lets it draw
 * into a new folder beside the destination and renames each figure into
 * place once gnuplot has finished, so a killed or failed run never leaves
 * a half-drawn PNG or SVG under its final name. It also writes text as
 * gnuplot strings. It knows nothing of what a figure shows. */
#ifndef GNUPLOT_H
#define GNUPLOT_H

#include "arch/qa.h"

/* A variable set before the script runs: a string (str not NULL) or an
 * integer. */
typedef struct {
    const char *name;
    const char *str;
    long num;
} GnuplotVar;

/* s as a double-quoted gnuplot string: backslash, double quote, backquote
 * (gnuplot's command substitution) and control characters escaped, so any
 * user string (a chip or layer name) is one string token whatever it holds
 * and runs nothing. */
void gnuplot_string(FILE *f, const char *s);

/* Runs `gnuplot -e "VARS; out=\"TMP\"" script`, its stdout and stderr
 * appended to log, where TMP is a new folder inside out_dir: the script
 * must draw into the folder named by `out`. When gnuplot succeeds, every
 * file in TMP is renamed into out_dir; whatever happens TMP is removed.
 * Errors name the script (and the log when gnuplot ran). */
int gnuplot_draw(const char *script, const GnuplotVar *vars, int nvars,
                 const char *out_dir, const char *log, Err *e);

#endif
