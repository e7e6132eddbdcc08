/* qa.h: the base header every C file of qarray includes.
 *
 * Status codes, the Err record that carries "file:line: field: message" from
 * a loader up to main, checked allocation with a fault-injection hook for
 * tests, atomic output files (temp file + rename) and a few macros.
 * It depends on libc only and must stay that way: arch/ is the root of the
 * include graph. */
#ifndef QA_H
#define QA_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The program's version, recorded with every study database (the build's
 * git commit goes beside it where the Makefile finds one). */
#define QA_VERSION "0.1"

#define QA_OK 0
#define QA_ERR (-1)

#define QA_MIN(a, b) ((a) < (b) ? (a) : (b))
#define QA_MAX(a, b) ((a) > (b) ? (a) : (b))
#define QA_CEIL_DIV(a, b) (((a) + (b) - 1) / (b))
#define QA_COUNT(arr) (sizeof(arr) / sizeof((arr)[0]))

/* "Cannot happen" branches that must not crash a release run: in test builds
 * (QA_TESTING) they abort, in release builds they evaluate to the condition so
 * the caller can take a safe path. Never use them on user input. */
#ifdef QA_TESTING
#include <assert.h>
#define QA_ALWAYS(x) (assert(x), 1)
#define QA_NEVER(x) (assert(!(x)), 0)
#else
#define QA_ALWAYS(x) (x)
#define QA_NEVER(x) (x)
#endif

/* An error a user can act on. line 0 means "no line" (a whole file, a flag). */
typedef struct {
    char file[256];
    int line;
    char field[128];
    char msg[512];
} Err;

void err_clear(Err *e);
/* Fill e (if not NULL); file and field may be NULL. Always returns QA_ERR so
 * callers can write `return err_set(...)`. */
int err_set(Err *e, const char *file, int line, const char *field,
            const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Print "qarray: file:line: field: message" on one line. */
void err_print(const Err *e, FILE *f);

/* Allocation. qa_malloc/qa_calloc/qa_realloc return NULL on failure (never
 * exit); the test hook makes the n-th call from now fail (0 = off). */
void *qa_malloc(size_t n);
void *qa_calloc(size_t count, size_t size);
void *qa_realloc(void *p, size_t n);
void qa_alloc_fail_at(long n);
long qa_alloc_count(void);

/* Atomic output: write to "path.tmp.<pid>" in the same folder, rename on
 * commit, remove on abort. A reader never sees a half-written file. */
typedef struct {
    FILE *f;
    char path[1024];
    char tmp[1100];
} AtomicFile;

int qa_afile_open(AtomicFile *af, const char *path, Err *e);
int qa_afile_commit(AtomicFile *af, Err *e);
void qa_afile_abort(AtomicFile *af);

/* mkdir -p; QA_OK if the folder exists afterwards. */
int qa_mkdirs(const char *path, Err *e);

/* Checked string to number: the whole string must parse. */
int qa_parse_long(const char *s, long *out);
int qa_parse_double(const char *s, double *out);

/* Progress on stderr, only when stderr is a terminal (DESIGN: long work shows
 * progress on a tty and is quiet otherwise). done <= total. */
void qa_progress(const char *what, long done, long total);

#endif
