/* fuzz_table.c: libFuzzer harness for the reader of qarray's own CSV tables
 * (points.csv and its shards, which `qarray sweep --resume` and
 * `qarray merge` read back, and layers.csv) and for the writer that makes
 * them (sim/report/csv.c). Any input must give QA_OK or a clean Err. An
 * accepted table must be rectangular: every row has the header's number of
 * cells, each a string inside the file's buffer, and look-ups by name or
 * position stay inside it. Written back by the CSV writer (RFC 4180
 * quoting: commas, quotes and line breaks in cells) and read again, it
 * must give the same cells. */
#include "tests/fuzz/fuzz.h"

#include "sim/report/csv.h"
#include "sim/report/table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* t written by csv.h, each row a row of const char * cells. */
static void write_back(const Table *t, const char *path)
{
    CsvCol *cols = calloc((size_t)t->ncols, sizeof *cols);
    FUZZ_CHECK(cols != NULL);
    for (int c = 0; c < t->ncols; c++) {
        cols[c].name = t->names[c];
        cols[c].kind = CSV_PSTR;
        cols[c].off = (size_t)c * sizeof(char *);
    }
    CsvTable tab = {cols, t->ncols};
    Err e;
    FUZZ_CHECK(csv_write(path, &tab, t->cells, (size_t)t->ncols * sizeof(char *),
                         t->nrows, &e) == QA_OK);
    free(cols);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char in[FUZZ_PATH_MAX], out[FUZZ_PATH_MAX];
    Table t;
    Err e;
    err_clear(&e);
    fuzz_write("points.csv", data, size, in);
    if (table_read(&t, in, &e) != QA_OK) {
        fuzz_check_err(&e);
        FUZZ_CHECK(t.buf == NULL && t.cells == NULL && t.names == NULL);
        return 0;
    }
    FUZZ_CHECK(t.ncols >= 1 && t.nrows >= 0);
    const char *lo = t.buf, *hi = t.buf + size;
    for (int c = 0; c < t.ncols; c++) {
        FUZZ_CHECK(t.names[c] >= lo && t.names[c] <= hi);
        int found = table_col(&t, t.names[c]);
        FUZZ_CHECK(found >= 0 && found <= c);
    }
    for (int r = 0; r < t.nrows; r++) {
        FUZZ_CHECK(t.lines[r] >= 2 && (r == 0 || t.lines[r] > t.lines[r - 1]));
        for (int c = 0; c < t.ncols; c++) {
            const char *cell = table_get(&t, r, c);
            FUZZ_CHECK(cell >= lo && cell <= hi);
            (void)table_num(&t, r, c);
        }
    }
    FUZZ_CHECK(!strcmp(table_get(&t, t.nrows, 0), ""));
    FUZZ_CHECK(!strcmp(table_get(&t, 0, t.ncols), ""));

    /* Round trip. A cell holds what the reader made of it (up to a NUL
     * byte, if the input had one). */
    fuzz_path("again.csv", out);
    write_back(&t, out);
    Table u;
    FUZZ_CHECK(table_read(&u, out, &e) == QA_OK);
    FUZZ_CHECK(u.ncols == t.ncols && u.nrows == t.nrows);
    for (int c = 0; c < t.ncols; c++)
        FUZZ_CHECK(!strcmp(u.names[c], t.names[c]));
    for (int r = 0; r < t.nrows; r++)
        for (int c = 0; c < t.ncols; c++)
            FUZZ_CHECK(!strcmp(table_get(&u, r, c), table_get(&t, r, c)));
    table_free(&u);
    table_free(&t);
    return 0;
}
