/* csv.h: the one CSV writer of qarray. A column table (name, kind, offset
 * or getter, unit, meaning) produces a file's header, its rows and the
 * markdown list of its columns, so a file and its documentation cannot
 * drift apart (STYLE practice 15). Fields follow RFC 4180: one holding a
 * comma, a double quote, CR or LF is enclosed in double quotes with its
 * quotes doubled; any other field is written as it is. Lines end in LF.
 * Writing only: table.h reads the files back. */
#ifndef CSV_H
#define CSV_H

#include "arch/qa.h"

/* Cells: int, int64_t, double, char[] inside the row, a const char *
 * inside the row (NULL: empty), or computed by a getter. */
typedef enum { CSV_INT, CSV_I64, CSV_F64, CSV_STR, CSV_PSTR, CSV_GET } CsvKind;

/* A computed cell (CSV_GET): its text, written into buf (n bytes) or a
 * constant string. Quoted like any string. */
typedef const char *(*CsvGet)(const void *row, char *buf, size_t n);

typedef struct {
    const char *name;
    CsvKind kind;
    size_t off;       /* of the cell's field inside the row */
    const char *unit; /* "" when none */
    const char *help;
    const char *fmt;  /* printf format of a number (I64 cells are long
                         long); NULL: "%d", "%lld", "%.6g" */
    CsvGet get;       /* CSV_GET only */
    size_t size;      /* CSV_STR: bytes of the char array, so a reader
                         (the study store) can fill it back; 0: unknown */
} CsvCol;

/* Table entries; every field is given so -Wextra sees no missing one. */
#define CSV_COL(name, kind, off, unit, help) \
    {(name), (kind), (off), (unit), (help), NULL, NULL, 0}
#define CSV_NUM(name, kind, off, fmt, unit, help) \
    {(name), (kind), (off), (unit), (help), (fmt), NULL, 0}
#define CSV_GETTER(name, get, unit, help) \
    {(name), CSV_GET, 0, (unit), (help), NULL, (get), 0}
/* A char array `field` of struct `type`, with its size. */
#define CSV_TEXT(name, type, field, unit, help) \
    {(name), CSV_STR, offsetof(type, field), (unit), (help), NULL, NULL, \
     sizeof(((type *)0)->field)}

typedef struct {
    const CsvCol *cols;
    int n;
} CsvTable;

#define CSV_TABLE(cols) {(cols), (int)QA_COUNT(cols)}

/* One field, quoted when RFC 4180 asks for it. */
void csv_field(FILE *f, const char *s);
/* The same into buf (always terminated when n > 0); returns the length
 * the whole field needs, like snprintf, so >= n means cut short. */
size_t csv_quote(char *buf, size_t n, const char *s);

/* Column names, comma-separated, without the line end. */
void csv_names(FILE *f, const CsvTable *t);
/* One cell of row, quoted as needed, without a separator. */
void csv_cell(FILE *f, const CsvCol *c, const void *row);
/* The cells of row (the struct the offsets point into), without the line
 * end. */
void csv_cells(FILE *f, const CsvTable *t, const void *row);
/* The same, each ending its line. */
void csv_header(FILE *f, const CsvTable *t);
void csv_row(FILE *f, const CsvTable *t, const void *row);

/* Header and n rows (row i at (const char *)rows + i * row_size) into
 * path, atomically; errors name the file. */
int csv_write(const char *path, const CsvTable *t, const void *rows,
              size_t row_size, int n, Err *e);

/* Markdown: title, then a table of every column (name, unit, meaning). */
void csv_doc(FILE *f, const char *title, const CsvTable *t);

#endif
