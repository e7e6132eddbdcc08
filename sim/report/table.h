/* table.h: read a CSV file written by qarray (points.csv, layers.csv) into
 * memory: a header and rows of text cells, looked up by column name.
 * RFC 4180, as csv.h writes it: a field in double quotes may hold commas,
 * line breaks and doubled quotes; records end in LF or CRLF; empty lines
 * are skipped. A quote inside an unquoted field, an unclosed quoted field
 * or text after a closing quote is an error naming its line. */
#ifndef TABLE_H
#define TABLE_H

#include "arch/qa.h"

typedef struct {
    int ncols, nrows;
    char **names;    /* (ncols) */
    char **cells;    /* (nrows, ncols), row-major; point into one buffer */
    char *buf;
    int *lines;      /* (nrows) line each row starts on */
} Table;

/* Every row must have ncols cells; errors name file:line (a row's line is
 * the one it starts on). */
int table_read(Table *t, const char *path, Err *e);
void table_free(Table *t);
/* Column index of name, -1 if none. */
int table_col(const Table *t, const char *name);
const char *table_get(const Table *t, int row, int col);
double table_num(const Table *t, int row, int col);

#endif
