/* test_table.c: the reader of qarray's own CSV tables (sim/report/table.c):
 * quoted cells, blank lines, row width errors with their line, RFC 4180
 * quoting (doubled quotes, line breaks and commas inside quotes, CRLF),
 * reading back what csv.h writes, and malformed quoting with its line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sim/report/csv.h"
#include "sim/report/table.h"
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

static const char *write_tmp(const char *text)
{
    static char path[640];
    snprintf(path, sizeof path, "%s/t.csv", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static void test_quoted_and_blank(void **state)
{
    (void)state;
    Table t;
    Err e;
    const char *p = write_tmp("id,\"reason, why\",x\n0,\"w once, in\",1.5\n\n"
                              "1,plain,2\n");
    assert_int_equal(table_read(&t, p, &e), QA_OK);
    assert_int_equal(t.ncols, 3);
    assert_int_equal(t.nrows, 2);
    assert_int_equal(table_col(&t, "reason, why"), 1);
    assert_string_equal(table_get(&t, 0, 1), "w once, in");
    assert_int_equal(t.lines[1], 4);
    assert_true(table_num(&t, 1, 2) == 2.0);
    assert_string_equal(table_get(&t, 2, 0), ""); /* out of range */
    table_free(&t);
}

static void test_row_width_error(void **state)
{
    (void)state;
    Table t;
    Err e;
    const char *p = write_tmp("a,b\n1,2\n1,2,3\n");
    assert_int_equal(table_read(&t, p, &e), QA_ERR);
    assert_int_equal(e.line, 3);
    assert_string_equal(e.msg, "3 fields, the header has 2");
    assert_null(t.buf);
    p = write_tmp("");
    assert_int_equal(table_read(&t, p, &e), QA_ERR);
    assert_string_equal(e.msg, "empty file: expected a CSV header");
}

/* RFC 4180 fields: doubled quotes, commas and line breaks inside quotes,
 * CRLF line ends; a row's line is the one it starts on. */
static void test_rfc4180_fields(void **state)
{
    (void)state;
    Table t;
    Err e;
    const char *p = write_tmp("layer,\"op\"\r\n"
                              "\"a, \"\"b\"\" #c\",conv\r\n"
                              "\"two\nlines\",\"\"\n"
                              "\" spaced \",fc\n");
    assert_int_equal(table_read(&t, p, &e), QA_OK);
    assert_int_equal(t.ncols, 2);
    assert_int_equal(t.nrows, 3);
    assert_string_equal(t.names[1], "op");
    assert_string_equal(table_get(&t, 0, 0), "a, \"b\" #c");
    assert_string_equal(table_get(&t, 0, 1), "conv");
    assert_string_equal(table_get(&t, 1, 0), "two\nlines");
    assert_string_equal(table_get(&t, 1, 1), "");
    assert_string_equal(table_get(&t, 2, 0), " spaced ");
    assert_int_equal(t.lines[0], 2);
    assert_int_equal(t.lines[1], 3);
    assert_int_equal(t.lines[2], 5);
    table_free(&t);
    /* No line end after the last row, a lone CR kept as a character. */
    assert_int_equal(table_read(&t, write_tmp("a,b\n1,x\ry"), &e), QA_OK);
    assert_int_equal(t.nrows, 1);
    assert_string_equal(table_get(&t, 0, 1), "x\ry");
    table_free(&t);
}

/* What csv.h writes, table.h reads back: names with every character that
 * needs quoting, and the characters that do not. */
typedef struct {
    char name[48];
    int n;
} Named;

static void test_round_trip(void **state)
{
    (void)state;
    static const CsvCol cols[] = {
        CSV_COL("name, \"quoted\"", CSV_STR, offsetof(Named, name), "", ""),
        CSV_COL("n", CSV_INT, offsetof(Named, n), "", ""),
    };
    static const CsvTable tab = CSV_TABLE(cols);
    static const Named rows[] = {
        {"a, \"b\" #c", 1}, {"line\nbreak", 2}, {"cr\r\nlf", 3},
        {" space ", 4},     {"\"", 5},          {"", 6},
        {"#", 7},           {"\"\"", 8},        {"plain", 9},
    };
    char path[640];
    snprintf(path, sizeof path, "%s/rt.csv", dir);
    Err e;
    assert_int_equal(csv_write(path, &tab, rows, sizeof rows[0],
                               (int)QA_COUNT(rows), &e), QA_OK);
    Table t;
    assert_int_equal(table_read(&t, path, &e), QA_OK);
    assert_int_equal(t.ncols, 2);
    assert_int_equal(t.nrows, (int)QA_COUNT(rows));
    assert_int_equal(table_col(&t, "name, \"quoted\""), 0);
    for (int r = 0; r < t.nrows; r++) {
        assert_string_equal(table_get(&t, r, 0), rows[r].name);
        assert_true(table_num(&t, r, 1) == rows[r].n);
    }
    /* Rows 1 and 2 each hold one line break. */
    assert_int_equal(t.lines[1], 3);
    assert_int_equal(t.lines[2], 5);
    assert_int_equal(t.lines[3], 7);
    table_free(&t);
}

/* Malformed quoting is an error naming the line, and leaves nothing to
 * free. (Regression, fuzz_table: the columns were once counted by quote
 * parity but split with quotes opening only at a field's start, so
 * `x",",,` had 3 columns and 2 names, and table_col passed the NULL third
 * name to strcmp.) */
static void test_bad_quotes(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int line;
        const char *msg;
    } bad[] = {
        {"x\",\",,\n1,2\n", 1, "a double quote inside an unquoted field "
                               "(RFC 4180: quote the field, double the quote)"},
        {"\xff\",\",,\n", 1, "a double quote inside an unquoted field "
                             "(RFC 4180: quote the field, double the quote)"},
        {"a,\"b\"c,\"d\n", 1, "text after the closing quote of a field"},
        {"a,b\n1,\"x\ny\nz\n", 2, "a quoted field is not closed"},
        {"\"unterminated,a,b\n", 1, "a quoted field is not closed"},
        {"a,b\n1,2\n\"q\"\"\" x,3\n", 3, "text after the closing quote of a field"},
    };
    for (size_t i = 0; i < QA_COUNT(bad); i++) {
        Table t;
        Err e;
        assert_int_equal(table_read(&t, write_tmp(bad[i].text), &e), QA_ERR);
        assert_int_equal(e.line, bad[i].line);
        assert_string_equal(e.msg, bad[i].msg);
        assert_null(t.buf);
        assert_null(t.names);
    }
    /* A quote that opens and closes a whole field is fine; so is a
     * doubled one inside it. */
    Table t;
    Err e;
    assert_int_equal(table_read(&t, write_tmp("\"a\"\",b\"\n"), &e), QA_OK);
    assert_int_equal(t.ncols, 1);
    assert_string_equal(t.names[0], "a\",b");
    assert_int_equal(table_col(&t, "no such column"), -1);
    table_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quoted_and_blank),
        cmocka_unit_test(test_row_width_error),
        cmocka_unit_test(test_rfc4180_fields),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_bad_quotes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
