/* qtest.h: small helpers shared by the tests (cmocka includes, seeded
 * random tensors, scratch folders, error checks). Test-only, header-only by
 * design: every function is static inline. */
#ifndef QTEST_H
#define QTEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>

/* cmocka's assert_float_equal(a, b, eps) casts each argument as (float)a,
 * without parentheses: a compound argument must be wrapped, as in
 * assert_float_equal(x, (0.1 * m), 1e-6), or the cast binds to its first
 * operand only and the rest is computed from a float. */

#include "arch/qa.h"
#include "quant/rng.h"

/* x[i] uniform in [lo, hi). */
static inline void qt_uniform(uint64_t seed, float *x, size_t n, float lo, float hi)
{
    Rng r;
    rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++)
        x[i] = lo + (hi - lo) * (float)rng_uniform(&r);
}

static inline void qt_normal(uint64_t seed, float *x, size_t n, float sigma)
{
    Rng r;
    rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++)
        x[i] = sigma * (float)rng_normal(&r);
}

#define QT_PI 3.14159265358979323846

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A fresh folder under $TMPDIR (or /tmp) for files a test writes; path
 * holds at least 256 bytes. Returns 0 on success. */
static inline int qt_tmpdir(char *path, size_t size)
{
    const char *base = getenv("TMPDIR");
    snprintf(path, size, "%s/qarray_test_XXXXXX", base && *base ? base : "/tmp");
    return mkdtemp(path) ? 0 : -1;
}

/* Removes a folder made by qt_tmpdir with everything in it; 0 on success. */
static inline int qt_rmtree(const char *path)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    return system(cmd);
}

/* A whole file as a string (the caller frees it); NULL if it cannot be
 * opened. */
static inline char *qt_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    size_t got = fread(buf, 1, (size_t)n, f);
    buf[got] = '\0';
    fclose(f);
    return buf;
}

/* The error a loader reported names file, line and field, and its message
 * starts with msg. */
static inline void qt_assert_err(const Err *e, const char *file, int line,
                                 const char *field, const char *msg)
{
    assert_string_equal(e->file, file);
    assert_int_equal(e->line, line);
    assert_string_equal(e->field, field);
    if (strncmp(e->msg, msg, strlen(msg)) != 0)
        fail_msg("%s: message \"%s\" does not start with \"%s\"", file, e->msg, msg);
}

#define QT_CLOSE(a, b, tol) assert_true(fabs((double)(a) - (double)(b)) <= (tol))

#include <sys/wait.h>
#include <unistd.h>

/* This test binary again as a new process, `arg` its only argument, with
 * oneDNN's instruction set capped at isa (ONEDNN_MAX_CPU_ISA, read once
 * per process, so only a fresh process can take another cap). Returns its
 * exit status, -1 if it could not run. */
static inline int qt_run_capped(const char *isa, const char *arg)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        char self[] = "/proc/self/exe";
        char *argv[] = {self, (char *)arg, NULL};
        setenv("ONEDNN_MAX_CPU_ISA", isa, 1);
        execv(self, argv);
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        ;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#endif
