/* table.c: the CSV reader of table.h. The whole file is read into one
 * buffer and split in place, so a table is three allocations. */
#include "sim/report/table.h"

#include <stdlib.h>
#include <string.h>

/* Split one line in place at commas outside quotes; strips the quotes.
 * Returns the number of fields, storing up to max pointers. */
static int split(char *line, char **out, int max)
{
    int n = 0;
    char *p = line;
    for (;;) {
        char *start = p;
        if (*p == '"') {
            start = ++p;
            while (*p && *p != '"')
                p++;
            if (*p == '"')
                *p++ = '\0';
        }
        while (*p && *p != ',')
            p++;
        if (n < max)
            out[n] = start;
        n++;
        if (!*p)
            break;
        *p++ = '\0';
    }
    return n;
}

/* The number of fields split() will find, by the same rule: a quote opens
 * a quoted part only at the start of a field. (Counting by quote parity
 * disagreed with split on lines such as `x",",,`: 3 columns, 2 names, and
 * the third name a NULL that table_col passed to strcmp.) */
static int count_fields(const char *line)
{
    int n = 0;
    const char *p = line;
    for (;;) {
        if (*p == '"') {
            p++;
            while (*p && *p != '"')
                p++;
            if (*p == '"')
                p++;
        }
        while (*p && *p != ',')
            p++;
        n++;
        if (!*p)
            break;
        p++;
    }
    return n;
}

int table_read(Table *t, const char *path, Err *e)
{
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "rb");
    if (!f)
        return err_set(e, path, 0, NULL, "cannot open");
    size_t cap = 1 << 16, len = 0;
    char *buf = qa_malloc(cap);
    while (buf) {
        len += fread(buf + len, 1, cap - len - 1, f);
        if (len < cap - 1)
            break;
        char *nb = qa_realloc(buf, cap * 2);
        if (!nb) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    fclose(f);
    if (!buf)
        return err_set(e, path, 0, NULL, "out of memory");
    buf[len] = '\0';
    t->buf = buf;

    int nlines = 0;
    for (size_t i = 0; i < len; i++)
        nlines += buf[i] == '\n';
    char *line = buf, *next;
    if (!*line) {
        table_free(t);
        return err_set(e, path, 1, NULL, "empty file: expected a CSV header");
    }
    next = strchr(line, '\n');
    if (next)
        *next++ = '\0';
    t->ncols = count_fields(line);
    t->names = qa_calloc((size_t)t->ncols, sizeof *t->names);
    t->cells = qa_calloc((size_t)(nlines + 1) * (size_t)t->ncols, sizeof *t->cells);
    t->lines = qa_calloc((size_t)nlines + 1, sizeof *t->lines);
    if (!t->names || !t->cells || !t->lines) {
        table_free(t);
        return err_set(e, path, 0, NULL, "out of memory");
    }
    split(line, t->names, t->ncols);
    int lineno = 1;
    while (next && *next) {
        line = next;
        lineno++;
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (!*line)
            continue;
        char **row = t->cells + (size_t)t->nrows * (size_t)t->ncols;
        int n = split(line, row, t->ncols);
        if (n != t->ncols) {
            int ncols = t->ncols; /* table_free clears it */
            table_free(t);
            return err_set(e, path, lineno, NULL,
                           "%d fields, the header has %d", n, ncols);
        }
        t->lines[t->nrows++] = lineno;
    }
    return QA_OK;
}

void table_free(Table *t)
{
    free(t->names);
    free(t->cells);
    free(t->lines);
    free(t->buf);
    memset(t, 0, sizeof *t);
}

int table_col(const Table *t, const char *name)
{
    for (int i = 0; i < t->ncols; i++)
        if (!strcmp(t->names[i], name))
            return i;
    return -1;
}

const char *table_get(const Table *t, int row, int col)
{
    if (row < 0 || row >= t->nrows || col < 0 || col >= t->ncols)
        return "";
    return t->cells[(size_t)row * (size_t)t->ncols + (size_t)col];
}

double table_num(const Table *t, int row, int col)
{
    return strtod(table_get(t, row, col), NULL);
}
