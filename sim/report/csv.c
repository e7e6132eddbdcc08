/* csv.c: the CSV writer of csv.h. Every cell, numbers included, goes
 * through one quoting rule, so no file can hold an unquoted comma. */
#include "sim/report/csv.h"

#include <string.h>

/* RFC 4180, 2.6: fields containing line breaks, double quotes or commas
 * are enclosed in double quotes. Nothing else is: spaces, '#' and the
 * rest stay as they are, which keeps ordinary files byte for byte. */
static int needs_quotes(const char *s)
{
    return strpbrk(s, ",\"\r\n") != NULL;
}

void csv_field(FILE *f, const char *s)
{
    if (!needs_quotes(s)) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f); /* 2.7: an inner quote is doubled */
        fputc(*s, f);
    }
    fputc('"', f);
}

size_t csv_quote(char *buf, size_t n, const char *s)
{
    size_t len = 0;
    int q = needs_quotes(s);
#define PUT(c)                 \
    do {                       \
        if (len + 1 < n)       \
            buf[len] = (c);    \
        len++;                 \
    } while (0)
    if (q)
        PUT('"');
    for (; *s; s++) {
        if (q && *s == '"')
            PUT('"');
        PUT(*s);
    }
    if (q)
        PUT('"');
#undef PUT
    if (n)
        buf[len < n ? len : n - 1] = '\0';
    return len;
}

/* The text of one cell; numbers are formatted into buf. */
static const char *cell(const CsvCol *c, const void *row, char *buf,
                        size_t n)
{
    const char *p = (const char *)row + c->off;
    switch (c->kind) {
    case CSV_INT:
        snprintf(buf, n, c->fmt ? c->fmt : "%d", *(const int *)p);
        return buf;
    case CSV_I64:
        snprintf(buf, n, c->fmt ? c->fmt : "%lld",
                 (long long)*(const int64_t *)p);
        return buf;
    case CSV_F64:
        snprintf(buf, n, c->fmt ? c->fmt : "%.6g", *(const double *)p);
        return buf;
    case CSV_STR:
        return p;
    case CSV_PSTR: {
        const char *s = *(const char *const *)p;
        return s ? s : "";
    }
    case CSV_GET:
        buf[0] = '\0';
        return c->get ? c->get(row, buf, n) : buf;
    }
    return "";
}

/* Cell i of a record of n. The one empty cell of a one-column record is
 * written "": an empty line is no record at all (readers skip it). */
static void put(FILE *f, int i, int n, const char *s)
{
    if (i)
        fputc(',', f);
    if (n == 1 && !*s)
        fputs("\"\"", f);
    else
        csv_field(f, s);
}

void csv_names(FILE *f, const CsvTable *t)
{
    for (int i = 0; i < t->n; i++)
        put(f, i, t->n, t->cols[i].name);
}

void csv_cell(FILE *f, const CsvCol *c, const void *row)
{
    char buf[128];
    csv_field(f, cell(c, row, buf, sizeof buf));
}

void csv_cells(FILE *f, const CsvTable *t, const void *row)
{
    char buf[128];
    for (int i = 0; i < t->n; i++)
        put(f, i, t->n, cell(&t->cols[i], row, buf, sizeof buf));
}

void csv_header(FILE *f, const CsvTable *t)
{
    csv_names(f, t);
    fputc('\n', f);
}

void csv_row(FILE *f, const CsvTable *t, const void *row)
{
    csv_cells(f, t, row);
    fputc('\n', f);
}

int csv_write(const char *path, const CsvTable *t, const void *rows,
              size_t row_size, int n, Err *e)
{
    AtomicFile af;
    if (qa_afile_open(&af, path, e) != QA_OK)
        return QA_ERR;
    csv_header(af.f, t);
    for (int i = 0; i < n; i++)
        csv_row(af.f, t, (const char *)rows + (size_t)i * row_size);
    return qa_afile_commit(&af, e);
}

void csv_doc(FILE *f, const char *title, const CsvTable *t)
{
    fprintf(f, "%s\n\n| column | unit | meaning |\n|---|---|---|\n", title);
    for (int i = 0; i < t->n; i++)
        fprintf(f, "| `%s` | %s | %s |\n", t->cols[i].name, t->cols[i].unit,
                t->cols[i].help);
    fputc('\n', f);
}
