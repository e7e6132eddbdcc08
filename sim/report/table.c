/* table.c: the CSV reader of table.h. The whole file is read into one
 * buffer and split in place (a quoted field only ever shrinks when its
 * doubled quotes are undone), so a table is a handful of allocations. */
#include "sim/report/table.h"

#include <stdlib.h>
#include <string.h>

/* The part of the buffer not read yet, and the line it is on. */
typedef struct {
    char *p, *end;
    int line;
    const char *path;
} Cursor;

enum { END_FIELD, END_RECORD, END_INPUT };

/* At a line end: LF, or CR LF (RFC 4180 ends records with CRLF). */
static int eol_len(const Cursor *c, const char *p)
{
    if (p < c->end && *p == '\n')
        return 1;
    if (p + 1 < c->end && p[0] == '\r' && p[1] == '\n')
        return 2;
    return 0;
}

/* One field at c->p, terminated in place; *out is its text. Returns how it
 * ended (END_*) or QA_ERR with e naming the line. */
static int field(Cursor *c, char **out, Err *e)
{
    char *p = c->p, *w;
    *out = p;
    if (p < c->end && *p == '"') {
        int open_line = c->line;
        w = p++;
        for (;;) {
            if (p >= c->end)
                return err_set(e, c->path, open_line, NULL,
                               "a quoted field is not closed");
            if (*p == '"') {
                if (p + 1 < c->end && p[1] == '"') {
                    *w++ = '"'; /* "" inside quotes is one quote */
                    p += 2;
                    continue;
                }
                p++;
                break;
            }
            c->line += *p == '\n';
            *w++ = *p++;
        }
        if (p < c->end && *p != ',' && !eol_len(c, p))
            return err_set(e, c->path, c->line, NULL,
                           "text after the closing quote of a field");
    } else {
        while (p < c->end && *p != ',' && *p != '"' && !eol_len(c, p))
            p++;
        if (p < c->end && *p == '"')
            return err_set(e, c->path, c->line, NULL,
                           "a double quote inside an unquoted field (RFC "
                           "4180: quote the field, double the quote)");
        w = p;
    }
    int n = eol_len(c, p);
    *w = '\0'; /* at most p, or the terminator past the buffer's end */
    if (p >= c->end) {
        c->p = c->end;
        return END_INPUT;
    }
    if (!n) {
        c->p = p + 1; /* a comma */
        return END_FIELD;
    }
    c->p = p + n;
    c->line++;
    return END_RECORD;
}

/* One record: its fields into out (up to max), and the count in *nf.
 * QA_ERR on a malformed field. */
static int record(Cursor *c, char **out, int max, int *nf, Err *e)
{
    int n = 0, end;
    do {
        char *f;
        if ((end = field(c, &f, e)) == QA_ERR)
            return QA_ERR;
        if (n < max)
            out[n] = f;
        n++;
    } while (end == END_FIELD);
    *nf = n;
    return QA_OK;
}

/* Skip empty lines; 1 if a record follows. */
static int more(Cursor *c)
{
    int n;
    while ((n = eol_len(c, c->p)) > 0) {
        c->p += n;
        c->line++;
    }
    return c->p < c->end;
}

/* The header: the first record, however wide (names grown as needed). */
static int header(Table *t, Cursor *c, Err *e)
{
    int cap = 16, end;
    t->names = qa_malloc((size_t)cap * sizeof *t->names);
    if (!t->names)
        return err_set(e, c->path, 0, NULL, "out of memory");
    do {
        char *f;
        if ((end = field(c, &f, e)) == QA_ERR)
            return QA_ERR;
        if (t->ncols == cap) {
            char **nn = qa_realloc(t->names, (size_t)cap * 2 * sizeof *nn);
            if (!nn)
                return err_set(e, c->path, 0, NULL, "out of memory");
            t->names = nn;
            cap *= 2;
        }
        t->names[t->ncols++] = f;
    } while (end == END_FIELD);
    return QA_OK;
}

/* The whole file into a buffer with a terminator past its end. */
static char *slurp(FILE *f, size_t *len)
{
    size_t cap = 1 << 16;
    char *buf = qa_malloc(cap);
    *len = 0;
    while (buf) {
        *len += fread(buf + *len, 1, cap - *len - 1, f);
        if (*len < cap - 1)
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
    if (buf)
        buf[*len] = '\0';
    return buf;
}

int table_read(Table *t, const char *path, Err *e)
{
    memset(t, 0, sizeof *t);
    FILE *f = qa_open_input(path, "table", 0, e);
    if (!f)
        return QA_ERR;
    size_t len;
    t->buf = slurp(f, &len);
    fclose(f);
    if (!t->buf)
        return err_set(e, path, 0, NULL, "out of memory");
    if (len == 0) {
        table_free(t);
        return err_set(e, path, 1, NULL, "empty file: expected a CSV header");
    }
    /* Every record but the last ends in a line end: at most nlines + 1
     * rows. Counted before splitting, which overwrites some. */
    int nlines = 0;
    for (size_t i = 0; i < len; i++)
        nlines += t->buf[i] == '\n';
    Cursor c = {t->buf, t->buf + len, 1, path};
    if (header(t, &c, e) != QA_OK)
        goto fail;
    t->cells = qa_calloc((size_t)(nlines + 1) * (size_t)t->ncols,
                         sizeof *t->cells);
    t->lines = qa_calloc((size_t)nlines + 1, sizeof *t->lines);
    if (!t->cells || !t->lines) {
        err_set(e, path, 0, NULL, "out of memory");
        goto fail;
    }
    while (more(&c)) {
        char **row = t->cells + (size_t)t->nrows * (size_t)t->ncols;
        int line = c.line, n;
        if (record(&c, row, t->ncols, &n, e) != QA_OK)
            goto fail;
        if (n != t->ncols) {
            err_set(e, path, line, NULL, "%d fields, the header has %d", n,
                    t->ncols);
            goto fail;
        }
        t->lines[t->nrows++] = line;
    }
    return QA_OK;
fail:
    table_free(t);
    return QA_ERR;
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
