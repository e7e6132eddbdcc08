/* test_qa.c: the base helpers every module relies on: the Err line format,
 * the allocation countdown, and atomic output files, including a writer
 * killed (SIGKILL) between its writes and its commit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "arch/qa.h"
#include "tests/qtest.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
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

static void test_err_line(void **state)
{
    (void)state;
    char buf[256];
    Err e;
    assert_int_equal(err_set(&e, "a.cfg", 3, "core.rows", "must be %d", 4),
                     QA_ERR);
    FILE *m = fmemopen(buf, sizeof buf, "w");
    err_print(&e, m);
    fclose(m);
    assert_string_equal(buf, "qarray: a.cfg:3: core.rows: must be 4\n");
    err_set(&e, NULL, 0, NULL, "plain");
    m = fmemopen(buf, sizeof buf, "w");
    err_print(&e, m);
    fclose(m);
    assert_string_equal(buf, "qarray: plain\n");
}

static void test_alloc_countdown(void **state)
{
    (void)state;
    qa_alloc_fail_at(2);
    void *a = qa_malloc(8);
    void *b = qa_calloc(2, 8);
    void *c = qa_realloc(NULL, 8);
    assert_non_null(a);
    assert_null(b);
    assert_non_null(c);
    assert_int_equal(qa_alloc_count(), 3);
    qa_alloc_fail_at(0);
    free(a);
    free(c);
}

static int exists(const char *path) { return access(path, F_OK) == 0; }

/* Count the files of dir whose names start with prefix. */
static int count_prefixed(const char *prefix)
{
    char cmd[800], out[32] = "";
    snprintf(cmd, sizeof cmd, "ls '%s' | grep -c '^%s'", dir, prefix);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    if (!fgets(out, sizeof out, p))
        out[0] = '\0';
    pclose(p);
    return atoi(out);
}

static void test_atomic_commit_and_abort(void **state)
{
    (void)state;
    char path[640];
    snprintf(path, sizeof path, "%s/out.csv", dir);
    AtomicFile af;
    Err e;
    assert_int_equal(qa_afile_open(&af, path, &e), QA_OK);
    fputs("a,b\n", af.f);
    assert_false(exists(path)); /* nothing under the final name yet */
    assert_int_equal(qa_afile_commit(&af, &e), QA_OK);
    assert_true(exists(path));
    assert_int_equal(count_prefixed("out.csv.tmp"), 0);

    snprintf(path, sizeof path, "%s/gone.csv", dir);
    assert_int_equal(qa_afile_open(&af, path, &e), QA_OK);
    fputs("half", af.f);
    qa_afile_abort(&af);
    assert_false(exists(path));
    assert_int_equal(count_prefixed("gone.csv"), 0);
}

/* A writer killed after writing and before committing leaves its temporary
 * only: no file under the final name, and an older complete file under that
 * name is untouched. */
static void test_atomic_killed_writer(void **state)
{
    (void)state;
    char path[640];
    snprintf(path, sizeof path, "%s/result.csv", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("old,complete\n", f);
    fclose(f);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        AtomicFile af;
        Err e;
        if (qa_afile_open(&af, path, &e) != QA_OK)
            _exit(2);
        for (int i = 0; i < 100000; i++)
            fputs("new,partial\n", af.f);
        fflush(af.f);
        raise(SIGKILL);
        _exit(3);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    f = fopen(path, "r");
    char line[64] = "";
    assert_non_null(fgets(line, sizeof line, f));
    fclose(f);
    assert_string_equal(line, "old,complete\n");
    assert_int_equal(count_prefixed("result.csv.tmp."), 1);
}

static void test_atomic_errors(void **state)
{
    (void)state;
    AtomicFile af;
    Err e;
    char path[1200];
    memset(path, 'x', sizeof path - 1);
    path[sizeof path - 1] = '\0';
    assert_int_equal(qa_afile_open(&af, path, &e), QA_ERR);
    assert_string_equal(e.msg, "path too long");
    snprintf(path, sizeof path, "%s/no/such/dir/x.csv", dir);
    assert_int_equal(qa_afile_open(&af, path, &e), QA_ERR);
    assert_non_null(strstr(e.msg, "cannot write"));
    assert_null(af.f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_err_line),
        cmocka_unit_test(test_alloc_countdown),
        cmocka_unit_test(test_atomic_commit_and_abort),
        cmocka_unit_test(test_atomic_killed_writer),
        cmocka_unit_test(test_atomic_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
