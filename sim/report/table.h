/* table.h: read a CSV file written by qarray (points.csv, layers.csv) into
 * memory: a header and rows of text cells, looked up by column name.
 * Fields may be "quoted" (no escaped quotes inside: qarray never writes
 * them). Not a general CSV reader. */
#ifndef TABLE_H
#define TABLE_H

#include "arch/qa.h"

typedef struct {
    int ncols, nrows;
    char **names;    /* (ncols) */
    char **cells;    /* (nrows, ncols), row-major; point into one buffer */
    char *buf;
    int *lines;      /* (nrows) source line of each row */
} Table;

/* Every row must have ncols cells; errors name file:line. */
int table_read(Table *t, const char *path, Err *e);
void table_free(Table *t);
/* Column index of name, -1 if none. */
int table_col(const Table *t, const char *name);
const char *table_get(const Table *t, int row, int col);
double table_num(const Table *t, int row, int col);

#endif
