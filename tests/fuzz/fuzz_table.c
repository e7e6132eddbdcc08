/* fuzz_table.c: libFuzzer harness for the reader of qarray's own CSV tables
 * (points.csv and its shards, which `qarray sweep --resume` and
 * `qarray merge` read back, and layers.csv). Any input must give QA_OK or a
 * clean Err. An accepted table must be rectangular: every row has the
 * header's number of cells, each a string inside the file's buffer, and
 * look-ups by name or position stay inside it. */
#include "tests/fuzz/fuzz.h"

#include "sim/report/table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char in[FUZZ_PATH_MAX];
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
    table_free(&t);
    return 0;
}
