/* test_gnuplot.c: the gnuplot runner (sim/report/gnuplot.c): text as an
 * exact gnuplot string, variables reaching the script, figures renamed
 * from the temporary folder into place, and a failing or missing script:
 * an error naming the script and its log, nothing under a final name and
 * no temporary folder left. The runs are skipped without gnuplot. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sim/report/gnuplot.h"
#include "tests/qtest.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

static void test_string(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"conv1", "\"conv1\""},
        {"", "\"\""},
        {"a, \"b\" #c", "\"a, \\\"b\\\" #c\""},
        {"back\\slash", "\"back\\\\slash\""},
        {"two\nlines\r\t", "\"two\\nlines\\r\\t\""},
        {"bell\x07 del\x7f", "\"bell\\007 del\\177\""},
        {"'single' @macro $1", "\"'single' @macro $1\""},
        {"`touch x`", "\"\\140touch x\\140\""},
    };
    for (size_t i = 0; i < QA_COUNT(cases); i++) {
        char *buf = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&buf, &n);
        assert_non_null(f);
        gnuplot_string(f, cases[i].in);
        assert_int_equal(fclose(f), 0);
        assert_string_equal(buf, cases[i].out);
        free(buf);
    }
}

static int have_gnuplot(void)
{
    return system("command -v gnuplot >/dev/null 2>&1") == 0;
}

/* The names in folder d, sorted and space-separated, into buf. */
static void listing(const char *d, char *buf, size_t n)
{
    char cmd[700];
    snprintf(cmd, sizeof cmd, "ls -A '%s' | tr '\\n' ' '", d);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t got = fread(buf, 1, n - 1, p);
    buf[got] = '\0';
    pclose(p);
}

static void write_script(const char *name, const char *text, char *path,
                         size_t n)
{
    snprintf(path, n, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* A script that prints its variables into two files of `out`: both end up
 * in the destination folder with the values given, nothing else does. */
static void test_draw_renames(void **state)
{
    (void)state;
    if (!have_gnuplot())
        skip();
    char script[700], outd[600], log[700], list[512], path[800];
    write_script("vars.gp",
                 "set print out.'/a.txt'\nprint caption\nprint n + 1\n"
                 "unset print\nset print out.'/b.txt'\nprint 'b'\n",
                 script, sizeof script);
    snprintf(outd, sizeof outd, "%s/figs", dir);
    assert_int_equal(mkdir(outd, 0777), 0);
    snprintf(log, sizeof log, "%s/gnuplot.log", outd);
    /* a backquoted command in a caption (a chip name) is text: it
     * reaches the script as typed and creates no file */
    char cap[1200], touched[800];
    snprintf(touched, sizeof touched, "%s/touched", dir);
    snprintf(cap, sizeof cap, "a, \"b\" #c; x `touch %s`", touched);
    const GnuplotVar vars[] = {
        {"caption", cap, 0},
        {"n", NULL, 41},
    };
    Err e;
    assert_int_equal(gnuplot_draw(script, vars, 2, outd, log, &e), QA_OK);
    listing(outd, list, sizeof list);
    assert_string_equal(list, "a.txt b.txt gnuplot.log ");
    snprintf(path, sizeof path, "%s/a.txt", outd);
    char *text = qt_slurp(path);
    assert_non_null(text);
    char want[1300];
    snprintf(want, sizeof want, "%s\n42\n", cap);
    assert_string_equal(text, want);
    free(text);
    assert_int_equal(access(touched, F_OK), -1);
}

/* A script that fails after drawing half its figures: an error from
 * gnuplot naming the script and the log, the half-drawn file removed, no
 * temporary folder. gnuplot missing from PATH is gnuplot's error, not the
 * script file's (it was reported against the script). */
static void test_draw_failure(void **state)
{
    (void)state;
    if (!have_gnuplot())
        skip();
    char script[700], outd[600], log[700], list[512], want[1600];
    write_script("fails.gp",
                 "set print out.'/half.txt'\nprint 'x'\nunset print\n"
                 "no_such_command\n", script, sizeof script);
    snprintf(outd, sizeof outd, "%s/fail", dir);
    assert_int_equal(mkdir(outd, 0777), 0);
    snprintf(log, sizeof log, "%s/gnuplot.log", outd);
    Err e;
    assert_int_equal(gnuplot_draw(script, NULL, 0, outd, log, &e), QA_ERR);
    assert_string_equal(e.file, "");
    assert_string_equal(e.field, "gnuplot");
    snprintf(want, sizeof want, "drawing %s failed (its messages: %s)", script, log);
    assert_string_equal(e.msg, want);
    listing(outd, list, sizeof list);
    assert_string_equal(list, "gnuplot.log ");

    snprintf(script, sizeof script, "%s/none.gp", dir);
    assert_int_equal(gnuplot_draw(script, NULL, 0, outd, log, &e), QA_ERR);
    assert_string_equal(e.file, script);
    assert_string_equal(e.msg, "cannot read the gnuplot script");
    listing(outd, list, sizeof list);
    assert_string_equal(list, "gnuplot.log ");

    write_script("ok.gp", "print 'x'\n", script, sizeof script);
    const char *path = getenv("PATH");
    char saved[4096];
    snprintf(saved, sizeof saved, "%s", path ? path : "");
    setenv("PATH", "/nonexistent", 1);
    int rc = gnuplot_draw(script, NULL, 0, outd, log, &e);
    setenv("PATH", saved, 1);
    assert_int_equal(rc, QA_ERR);
    assert_string_equal(e.file, "");
    assert_string_equal(e.field, "gnuplot");
    assert_string_equal(e.msg, "cannot run it: No such file or directory (install "
                               "gnuplot-nox)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_string),
        cmocka_unit_test(test_draw_renames),
        cmocka_unit_test(test_draw_failure),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
