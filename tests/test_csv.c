/* test_csv.c: the CSV writer (sim/report/csv.c): RFC 4180 quoting of
 * exactly the fields that need it, exact header and row bytes of a column
 * table (default and given formats, getters, pointers to strings, the
 * lone empty cell of a one-column record), the quoting into a buffer
 * and where it cuts short, the atomic file, and the markdown column list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sim/report/csv.h"
#include "tests/qtest.h"

#include <string.h>

static char dir[512];

static int setup(void **state)
{
    (void)state;
    return qt_tmpdir(dir, sizeof dir);
}

static int teardown(void **state)
{
    (void)state;
    return qt_rmtree(dir);
}

/* Closes a memory stream and returns its text (the caller frees it). */
static char *captured(FILE *f, char **buf)
{
    assert_int_equal(fclose(f), 0);
    return *buf;
}

static void test_field_quoting(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"plain", "plain"},
        {"", ""},
        {"with space", "with space"},   /* spaces need no quotes */
        {"#c", "#c"},                   /* nor does '#' */
        {"a,b", "\"a,b\""},
        {"a, \"b\" #c", "\"a, \"\"b\"\" #c\""},
        {"\"", "\"\"\"\""},
        {"two\nlines", "\"two\nlines\""},
        {"cr\r", "\"cr\r\""},
    };
    for (size_t i = 0; i < QA_COUNT(cases); i++) {
        char *buf = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&buf, &n);
        assert_non_null(f);
        csv_field(f, cases[i].in);
        assert_string_equal(captured(f, &buf), cases[i].out);
        free(buf);
        char q[64];
        assert_int_equal(csv_quote(q, sizeof q, cases[i].in),
                         strlen(cases[i].out));
        assert_string_equal(q, cases[i].out);
    }
    /* Cut short: what fits, terminated, and the length it needed. */
    char q[5];
    assert_int_equal(csv_quote(q, sizeof q, "a\"bc"), 7);
    assert_string_equal(q, "\"a\"\"");
    assert_int_equal(csv_quote(q, 0, "abc"), 3);
}

typedef struct {
    char name[48];
    int bits;
    int64_t bytes;
    double ms;
    double acc; /* < 0: not measured */
} Row;

static const char *get_acc(const void *row, char *buf, size_t n)
{
    const Row *r = row;
    if (r->acc < 0)
        return "";
    snprintf(buf, n, "%.2f", r->acc);
    return buf;
}

#define O(f) offsetof(Row, f)
static const CsvCol cols[] = {
    CSV_COL("name", CSV_STR, O(name), "", "chip or layer, a user string"),
    CSV_COL("w_bits", CSV_INT, O(bits), "bits", "weight precision"),
    CSV_COL("dram_bytes", CSV_I64, O(bytes), "bytes", "DRAM traffic"),
    CSV_COL("time_ms", CSV_F64, O(ms), "ms", "time"),
    CSV_NUM("time_4f", CSV_F64, O(ms), "%.4f", "ms", "time, 4 decimals"),
    CSV_GETTER("accuracy", get_acc, "%", "test accuracy, empty if none"),
};
#undef O
static const CsvTable tab = CSV_TABLE(cols);

static const Row rows[] = {
    {"conv1", 16, INT64_C(51308880), 1.40266, 91.5},
    {"a, \"b\" #c", 4, INT64_C(8100000000), 0.25, -1},
};

static void test_header_and_rows(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    assert_non_null(f);
    csv_header(f, &tab);
    csv_row(f, &tab, &rows[0]);
    csv_row(f, &tab, &rows[1]);
    assert_string_equal(captured(f, &buf),
        "name,w_bits,dram_bytes,time_ms,time_4f,accuracy\n"
        "conv1,16,51308880,1.40266,1.4027,91.50\n"
        "\"a, \"\"b\"\" #c\",4,8100000000,0.25,0.2500,\n");
    free(buf);
    /* Without line ends, for rows that start with key cells. */
    buf = NULL;
    f = open_memstream(&buf, &n);
    assert_non_null(f);
    fputs("7,", f);
    csv_cells(f, &tab, &rows[1]);
    fputc('|', f);
    csv_names(f, &tab);
    assert_string_equal(captured(f, &buf),
        "7,\"a, \"\"b\"\" #c\",4,8100000000,0.25,0.2500,|"
        "name,w_bits,dram_bytes,time_ms,time_4f,accuracy");
    free(buf);
}

/* Rows that point at their strings; a one-column record whose cell is
 * empty is "" (an empty line would be no record). */
static void test_pointer_cells_and_lone_empty(void **state)
{
    (void)state;
    static const CsvCol pcols[] = {
        CSV_COL("layer", CSV_PSTR, 0, "", "name"),
    };
    static const CsvTable ptab = CSV_TABLE(pcols);
    const char *names[] = {"res2a \"x\"", "", NULL, "b"};
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    assert_non_null(f);
    csv_header(f, &ptab);
    for (size_t i = 0; i < QA_COUNT(names); i++)
        csv_row(f, &ptab, &names[i]);
    assert_string_equal(captured(f, &buf),
                        "layer\n\"res2a \"\"x\"\"\"\n\"\"\n\"\"\nb\n");
    free(buf);
}

static void test_write_file(void **state)
{
    (void)state;
    char path[640], text[256] = "";
    Err e;
    snprintf(path, sizeof path, "%s/t.csv", dir);
    assert_int_equal(csv_write(path, &tab, rows, sizeof rows[0], 2, &e), QA_OK);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t got = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[got] = '\0';
    assert_string_equal(text,
        "name,w_bits,dram_bytes,time_ms,time_4f,accuracy\n"
        "conv1,16,51308880,1.40266,1.4027,91.50\n"
        "\"a, \"\"b\"\" #c\",4,8100000000,0.25,0.2500,\n");
    /* A folder that does not exist: the error names the file. */
    snprintf(path, sizeof path, "%s/no/such/t.csv", dir);
    assert_int_equal(csv_write(path, &tab, rows, sizeof rows[0], 2, &e), QA_ERR);
    assert_string_equal(e.file, path);
    assert_string_equal(e.msg, "cannot write: No such file or directory");
}

static void test_doc(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t n = 0;
    static const CsvTable two = {cols, 2};
    FILE *f = open_memstream(&buf, &n);
    assert_non_null(f);
    csv_doc(f, "`t.csv`", &two);
    assert_string_equal(captured(f, &buf),
        "`t.csv`\n\n| column | unit | meaning |\n|---|---|---|\n"
        "| `name` |  | chip or layer, a user string |\n"
        "| `w_bits` | bits | weight precision |\n\n");
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_field_quoting),
        cmocka_unit_test(test_header_and_rows),
        cmocka_unit_test(test_pointer_cells_and_lone_empty),
        cmocka_unit_test(test_write_file),
        cmocka_unit_test(test_doc),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
