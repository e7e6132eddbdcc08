/* test_table.c: the reader of qarray's own CSV tables (sim/report/table.c):
 * quoted cells, blank lines, row width errors with their line, and the
 * header shapes that once left a column without a name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

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

/* Regression (fuzz_table): the columns were counted by quote parity but
 * split with quotes opening only at a field's start, so `x",",,` had 3
 * columns and 2 names; table_col then passed the NULL third name to strcmp
 * (a crash of `qarray merge` on a damaged table). Every column now has a
 * name, split and count agree. */
static void test_header_quote_mid_field(void **state)
{
    (void)state;
    static const char *const heads[] = {
        "\xff\",\",,\n", "x\",\",,\n", "a,\"b\"c,\"d\n", "\"a\"\",b\"\n",
        "\"unterminated,a,b\n",
    };
    for (size_t i = 0; i < QA_COUNT(heads); i++) {
        Table t;
        Err e;
        assert_int_equal(table_read(&t, write_tmp(heads[i]), &e), QA_OK);
        for (int c = 0; c < t.ncols; c++)
            assert_non_null(t.names[c]);
        assert_int_equal(table_col(&t, "no such column"), -1);
        table_free(&t);
    }
    Table t;
    Err e;
    assert_int_equal(table_read(&t, write_tmp("x\",\",,\n1,2\n"), &e), QA_OK);
    assert_int_equal(t.ncols, 2);
    assert_string_equal(t.names[0], "x\"");
    assert_string_equal(t.names[1], ",,"); /* an unterminated quote */
    table_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quoted_and_blank),
        cmocka_unit_test(test_row_width_error),
        cmocka_unit_test(test_header_quote_mid_field),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
