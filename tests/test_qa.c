/* test_qa.c: the base helpers every module relies on: the Err line format,
 * the allocation countdown, buffers a forked child does not inherit,
 * atomic output files (including a writer killed
 * (SIGKILL) between its writes and its commit), and the one way files go
 * in and out: links written through, devices and FIFOs streamed, folders
 * and inputs refused, write errors reported, result folders all or
 * nothing. */
/* mknod and S_IFCHR are X/Open. */
#define _XOPEN_SOURCE 700
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "arch/qa.h"
#include "tests/qtest.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
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

/* A private buffer: zeroed, 64-byte aligned, counted by the countdown, and
 * not in a forked child (which faults reading it) while the parent keeps
 * writing it. */
static void test_private_buffer(void **state)
{
    (void)state;
    const size_t n = 3 * 4096 + 100;
    qa_alloc_fail_at(1);
    assert_null(qa_private_calloc(n));
    qa_alloc_fail_at(0);
    unsigned char *p = qa_private_calloc(n);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % 64, 0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(p[i], 0);
    memset(p, 7, n);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* not cmocka's handler: it would carry on with the tests here */
        signal(SIGSEGV, SIG_DFL);
        volatile unsigned char c = p[2 * 4096];
        (void)c;
        _exit(0);
    }
    memset(p, 9, n);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_false(WIFEXITED(st) && WEXITSTATUS(st) == 0); /* the read faulted */
    for (size_t i = 0; i < n; i += 4096)
        assert_int_equal(p[i], 9);
    qa_private_free(p);
    qa_private_free(NULL);
}

/* Counts stop at 2^62 instead of wrapping; ceil of a huge double too. */
static void test_counts_do_not_wrap(void **state)
{
    (void)state;
    assert_int_equal(qa_cadd(2, 3), 5);
    assert_int_equal(qa_cadd(QA_COUNT_MAX - 1, 1), QA_COUNT_MAX);
    assert_int_equal(qa_cadd(QA_COUNT_MAX, QA_COUNT_MAX), QA_COUNT_MAX);
    assert_int_equal(qa_cadd(INT64_MAX, 1), QA_COUNT_MAX);
    assert_int_equal(qa_cmul(3, 7), 21);
    assert_int_equal(qa_cmul((int64_t)1 << 31, (int64_t)1 << 31), (int64_t)1 << 62);
    assert_int_equal(qa_cmul((int64_t)1 << 40, (int64_t)1 << 40), QA_COUNT_MAX);
    assert_int_equal(qa_count_ceil(2.0), 2);
    assert_int_equal(qa_count_ceil(2.25), 3);
    assert_int_equal(qa_count_ceil(0.0), 0);
    assert_int_equal(qa_count_ceil(9007199254740993.0), 9007199254740992LL);
    assert_int_equal(qa_count_ceil(1e30), QA_COUNT_MAX);
    assert_int_equal(qa_count_ceil(INFINITY), QA_COUNT_MAX);
    assert_int_equal(qa_count_ceil(NAN), QA_COUNT_MAX);
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

static void put_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void write_text(const char *path, const char *text, int want)
{
    AtomicFile af;
    Err e;
    err_clear(&e);
    int rc = qa_afile_open(&af, path, &e);
    if (rc == QA_OK) {
        fputs(text, af.f);
        rc = qa_afile_commit(&af, &e);
    }
    if (rc != want)
        fprintf(stderr, "%s: %s\n", path, e.msg);
    assert_int_equal(rc, want);
}

/* A symbolic link is written through: its target gets the bytes (replaced
 * atomically), the link stays a link; a dangling link creates its target. */
static void test_symlink_written_through(void **state)
{
    (void)state;
    char target[640], link[640], chain[640], dangling[640], made[640];
    snprintf(target, sizeof target, "%s/target.csv", dir);
    snprintf(link, sizeof link, "%s/link.csv", dir);
    snprintf(chain, sizeof chain, "%s/chain.csv", dir);
    snprintf(dangling, sizeof dangling, "%s/dangling.csv", dir);
    snprintf(made, sizeof made, "%s/made.csv", dir);
    put_file(target, "old\n");
    assert_int_equal(symlink("target.csv", link), 0);
    assert_int_equal(symlink("link.csv", chain), 0);
    assert_int_equal(symlink("made.csv", dangling), 0);
    write_text(chain, "new\n", QA_OK);
    struct stat st;
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_int_equal(lstat(chain, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    char *got = qt_slurp(target);
    assert_string_equal(got, "new\n");
    free(got);
    write_text(dangling, "made\n", QA_OK);
    assert_int_equal(lstat(dangling, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    got = qt_slurp(made);
    assert_string_equal(got, "made\n");
    free(got);
    assert_int_equal(count_prefixed("target.csv.tmp"), 0);
}

/* A character device or a FIFO gets the stream and stays what it is; a
 * full device's error is reported. A private node of /dev/full (major 1,
 * minor 7) keeps the machine's own safe whatever the writer does. */
static void test_devices_and_fifos_streamed(void **state)
{
    (void)state;
    write_text("/dev/null", "nothing\n", QA_OK);
    struct stat st;
    assert_int_equal(stat("/dev/null", &st), 0);
    assert_true(S_ISCHR(st.st_mode));
    char full[640];
    snprintf(full, sizeof full, "%s/full", dir);
    if (mknod(full, S_IFCHR | 0600, makedev(1, 7)) == 0) {
        AtomicFile af;
        Err e;
        assert_int_equal(qa_afile_open(&af, full, &e), QA_OK);
        for (int i = 0; i < 10000; i++)
            fputs("a line that does not fit\n", af.f);
        assert_int_equal(qa_afile_commit(&af, &e), QA_ERR);
        assert_string_equal(e.msg, "write failed: No space left on device");
        assert_int_equal(stat(full, &st), 0);
        assert_true(S_ISCHR(st.st_mode));
    } else {
        fprintf(stderr, "(mknod not permitted: the full-device case is skipped)\n");
    }
    char fifo[640];
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        FILE *f = fopen(fifo, "r");
        char line[64] = "";
        _exit(f && fgets(line, sizeof line, f) && !strcmp(line, "through the fifo\n") ? 0 : 1);
    }
    write_text(fifo, "through the fifo\n", QA_OK);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(stat(fifo, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    assert_true(qa_is_stream(fifo));
    assert_false(qa_is_stream(dir));
}

/* A folder is no output; an input of the process is none either while
 * the command protects its inputs (and is one for a library user). */
static void test_folders_and_inputs_refused(void **state)
{
    (void)state;
    AtomicFile af;
    Err e;
    assert_int_equal(qa_afile_open(&af, dir, &e), QA_ERR);
    assert_string_equal(e.msg, "cannot write: it is a folder");
    char in[640], link[640];
    snprintf(in, sizeof in, "%s/in.cfg", dir);
    snprintf(link, sizeof link, "%s/in_link.cfg", dir);
    put_file(in, "name = \"x\";\n");
    assert_int_equal(symlink(in, link), 0);
    qa_inputs_protect(1);
    FILE *f = qa_open_input(in, "test file", 0, &e);
    assert_non_null(f);
    fclose(f);
    assert_true(qa_is_input(link));
    assert_int_equal(qa_afile_open(&af, link, &e), QA_ERR);
    assert_string_equal(e.msg, "cannot write: it is an input of this command (writing it "
                               "would replace what was read)");
    char *got = qt_slurp(in);
    assert_string_equal(got, "name = \"x\";\n");
    free(got);
    /* the command's own state (a checkpoint it resumes) is rewritable */
    char own[640];
    snprintf(own, sizeof own, "%s/own.ckpt", dir);
    put_file(own, "epoch 1\n");
    f = qa_open_input(own, "checkpoint", QA_IN_OWN, &e);
    assert_non_null(f);
    fclose(f);
    write_text(own, "epoch 2\n", QA_OK);
    qa_inputs_protect(0);
    write_text(in, "rewritten\n", QA_OK);
    /* reading a folder is refused by name */
    assert_null(qa_open_input(dir, "model file", 0, &e));
    assert_string_equal(e.msg, "cannot open model file: it is a folder");
}

/* The whole-file reader: a FIFO is read to its end, a size limit holds. */
static void test_read_input(void **state)
{
    (void)state;
    char fifo[640], big[640];
    snprintf(fifo, sizeof fifo, "%s/in.fifo", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        FILE *f = fopen(fifo, "w");
        for (int i = 0; f && i < 20000; i++)
            fprintf(f, "%05d\n", i);
        _exit(f && fclose(f) == 0 ? 0 : 1);
    }
    char *buf;
    size_t len;
    Err e;
    assert_int_equal(qa_read_input(fifo, "table", 1 << 20, 0, &buf, &len, &e), QA_OK);
    assert_int_equal(len, 120000);
    assert_memory_equal(buf + len - 6, "19999\n", 6);
    assert_int_equal(buf[len], '\0');
    free(buf);
    int status;
    waitpid(pid, &status, 0);
    snprintf(big, sizeof big, "%s/big.txt", dir);
    put_file(big, "0123456789");
    assert_int_equal(qa_read_input(big, "table", 9, 0, &buf, &len, &e), QA_ERR);
    assert_string_equal(e.msg, "table larger than 9 bytes");
    assert_int_equal(qa_read_input(big, "table", 10, 0, &buf, &len, &e), QA_OK);
    assert_string_equal(buf, "0123456789");
    free(buf);
    assert_int_equal(qa_read_input("/dev/zero", "model file", 100000, 0, &buf, &len, &e),
                     QA_ERR);
    assert_string_equal(e.msg, "model file larger than 100000 bytes");
}

/* One file, many names. */
static void test_same_file(void **state)
{
    (void)state;
    char a[640], b[640], c[640], d[640], gone[640];
    snprintf(a, sizeof a, "%s/a.csv", dir);
    snprintf(b, sizeof b, "%s/./a.csv", dir);
    snprintf(c, sizeof c, "%s/hard.csv", dir);
    snprintf(d, sizeof d, "%s/soft.csv", dir);
    snprintf(gone, sizeof gone, "%s/../%s/none.csv", dir, strrchr(dir, '/') + 1);
    put_file(a, "x");
    assert_int_equal(link(a, c), 0);
    assert_int_equal(symlink("a.csv", d), 0);
    assert_true(qa_same_file(a, b));
    assert_true(qa_same_file(a, c));
    assert_true(qa_same_file(a, d));
    char none[640];
    snprintf(none, sizeof none, "%s/none.csv", dir);
    assert_true(qa_same_file(none, gone));
    assert_false(qa_same_file(a, none));
}

/* A result folder appears at commit, complete, or never. */
static void test_atomic_dir(void **state)
{
    (void)state;
    char out[640], path[1300];
    Err e;
    AtomicDir d;
    snprintf(out, sizeof out, "%s/res/run1", dir);
    assert_int_equal(qa_adir_open(&d, out, &e), QA_OK);
    assert_int_equal(qa_adir_file(&d, "a.csv", path, sizeof path, &e), QA_OK);
    write_text(path, "a\n", QA_OK);
    assert_int_equal(qa_adir_file(&d, "b.csv", path, sizeof path, &e), QA_OK);
    write_text(path, "b\n", QA_OK);
    assert_false(exists(out)); /* nothing under the final name yet */
    assert_int_equal(qa_adir_commit(&d, &e), QA_OK);
    snprintf(path, sizeof path, "%s/b.csv", out);
    char *got = qt_slurp(path);
    assert_string_equal(got, "b\n");
    free(got);

    /* an error inside: nothing appears, and the error names the file
     * where the user looks for it */
    snprintf(out, sizeof out, "%s/res/run2", dir);
    assert_int_equal(qa_adir_open(&d, out, &e), QA_OK);
    assert_int_equal(qa_adir_file(&d, "a.csv", path, sizeof path, &e), QA_OK);
    write_text(path, "a\n", QA_OK);
    err_set(&e, path, 0, NULL, "write failed: No space left on device");
    qa_adir_abort(&d, &e);
    assert_false(exists(out));
    char want[1400];
    snprintf(want, sizeof want, "%s/a.csv", out);
    assert_string_equal(e.file, want);
    snprintf(path, sizeof path, "%s/res", dir);
    snprintf(want, sizeof want, "ls -A '%s' | grep -c tmp", path);
    FILE *p = popen(want, "r");
    char n[16] = "";
    assert_non_null(fgets(n, sizeof n, p));
    pclose(p);
    assert_int_equal(atoi(n), 0);

    /* into an existing folder: its other files stay; a name that cannot
     * be written (a folder) refuses the whole commit before any file */
    snprintf(out, sizeof out, "%s/res/run1", dir);
    snprintf(path, sizeof path, "%s/mine.txt", out);
    put_file(path, "the user's\n");
    assert_int_equal(qa_adir_open(&d, out, &e), QA_OK);
    assert_int_equal(qa_adir_file(&d, "a.csv", path, sizeof path, &e), QA_OK);
    write_text(path, "a2\n", QA_OK);
    assert_int_equal(qa_adir_file(&d, "b.csv", path, sizeof path, &e), QA_OK);
    write_text(path, "b2\n", QA_OK);
    assert_int_equal(qa_adir_commit(&d, &e), QA_OK);
    snprintf(path, sizeof path, "%s/a.csv", out);
    got = qt_slurp(path);
    assert_string_equal(got, "a2\n");
    free(got);
    snprintf(path, sizeof path, "%s/mine.txt", out);
    assert_true(exists(path));
    snprintf(path, sizeof path, "%s/b.csv", out);
    remove(path);
    assert_int_equal(mkdir(path, 0777), 0);
    assert_int_equal(qa_adir_open(&d, out, &e), QA_OK);
    assert_int_equal(qa_adir_file(&d, "a.csv", path, sizeof path, &e), QA_OK);
    write_text(path, "a3\n", QA_OK);
    assert_int_equal(qa_adir_file(&d, "b.csv", path, sizeof path, &e), QA_OK);
    write_text(path, "b3\n", QA_OK);
    assert_int_equal(qa_adir_commit(&d, &e), QA_ERR);
    assert_string_equal(e.msg, "cannot write: it is a folder");
    snprintf(path, sizeof path, "%s/a.csv", out);
    got = qt_slurp(path);
    assert_string_equal(got, "a2\n");
    free(got);
    /* a file where the folder should be */
    snprintf(path, sizeof path, "%s/mine.txt", out);
    assert_int_equal(qa_adir_open(&d, path, &e), QA_ERR);
    assert_string_equal(e.msg, "exists and is not a folder");
}

/* mkdir -p that says what it made, and its undo: only the folders it
 * made, only while empty, never the ones that were there. */
static void test_mkdirs_undo(void **state)
{
    (void)state;
    char top[640], path[700], made[1024], keep[720];
    Err e;
    snprintf(top, sizeof top, "%s/m", dir);
    assert_int_equal(mkdir(top, 0777), 0);
    snprintf(path, sizeof path, "%s/a/b/c", top);
    assert_int_equal(qa_mkdirs_made(path, made, sizeof made, &e), QA_OK);
    snprintf(keep, sizeof keep, "%s/a", top);
    assert_string_equal(made, keep);
    assert_true(exists(path));
    qa_rmdirs(path, made);
    assert_false(exists(keep));
    assert_true(exists(top)); /* there before: stays */

    /* a folder that is there already: nothing made, nothing removed */
    assert_int_equal(qa_mkdirs_made(top, made, sizeof made, &e), QA_OK);
    assert_string_equal(made, "");
    qa_rmdirs(top, made);
    assert_true(exists(top));

    /* a file put into a made folder keeps it and its parents */
    snprintf(path, sizeof path, "%s/a/b/", top);
    assert_int_equal(qa_mkdirs_made(path, made, sizeof made, &e), QA_OK);
    assert_string_equal(made, keep);
    snprintf(path, sizeof path, "%s/a/b/c", top);
    assert_int_equal(qa_mkdirs_made(path, made, sizeof made, &e), QA_OK);
    snprintf(keep, sizeof keep, "%s/a/b/c", top);
    assert_string_equal(made, keep); /* a/b were there */
    snprintf(keep, sizeof keep, "%s/a/x.txt", top);
    put_file(keep, "the user's\n");
    snprintf(path, sizeof path, "%s/a/b/c", top);
    qa_rmdirs(path, made);
    assert_false(exists(path));
    snprintf(path, sizeof path, "%s/a/b", top);
    assert_true(exists(path));
    qa_rmdirs(path, top); /* b removed; a holds x.txt: a and top stay */
    assert_false(exists(path));
    assert_true(exists(keep));
    assert_true(exists(top));
    /* top that is no prefix of path: nothing */
    qa_rmdirs(keep, "/nonexistent");
    assert_true(exists(keep));
    /* a file in the way */
    snprintf(path, sizeof path, "%s/a/x.txt/d", top);
    assert_int_equal(qa_mkdirs_made(path, made, sizeof made, &e), QA_ERR);
    assert_string_equal(made, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_err_line),
        cmocka_unit_test(test_alloc_countdown),
        cmocka_unit_test(test_private_buffer),
        cmocka_unit_test(test_counts_do_not_wrap),
        cmocka_unit_test(test_atomic_commit_and_abort),
        cmocka_unit_test(test_atomic_killed_writer),
        cmocka_unit_test(test_atomic_errors),
        cmocka_unit_test(test_symlink_written_through),
        cmocka_unit_test(test_devices_and_fifos_streamed),
        cmocka_unit_test(test_folders_and_inputs_refused),
        cmocka_unit_test(test_read_input),
        cmocka_unit_test(test_same_file),
        cmocka_unit_test(test_atomic_dir),
        cmocka_unit_test(test_mkdirs_undo),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
