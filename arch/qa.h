/* qa.h: the base header every C file of qarray includes.
 *
 * Status codes, the Err record that carries "file:line: field: message" from
 * a loader up to main, checked allocation with a fault-injection hook for
 * tests, the one way files are read and written (qa_io.c: inputs noted,
 * outputs atomic, streamed or written through links) and a few macros.
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

/* Counts that cannot wrap. Cycles and bytes are int64_t; the models add
 * and multiply them through these, which stop at QA_COUNT_MAX (2^62, a
 * quarter of the int64_t range, so a sum of two stopped counts still
 * fits). A count that reached QA_COUNT_MAX is too large to be a result:
 * the engines refuse the run instead of reporting it (analytic_run,
 * point_run). Arguments are >= 0. */
#define QA_COUNT_MAX ((int64_t)1 << 62)

static inline int64_t qa_cadd(int64_t a, int64_t b)
{
    int64_t r;
    return __builtin_add_overflow(a, b, &r) || r > QA_COUNT_MAX ? QA_COUNT_MAX : r;
}

static inline int64_t qa_cmul(int64_t a, int64_t b)
{
    int64_t r;
    return __builtin_mul_overflow(a, b, &r) || r > QA_COUNT_MAX ? QA_COUNT_MAX : r;
}

/* ceil(x) as a count, x >= 0 (NaN and anything past QA_COUNT_MAX stop
 * there): the conversion of a double too large for int64_t is undefined. */
static inline int64_t qa_count_ceil(double x)
{
    if (!(x < (double)QA_COUNT_MAX))
        return QA_COUNT_MAX;
    int64_t r = (int64_t)x;
    return (double)r < x ? r + 1 : r;
}

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

/* A zeroed buffer of n bytes that a forked child does not inherit
 * (MADV_DONTFORK), for large data only this process reads and writes while
 * a child runs (the SystemC run of sim_run): a page written after the fork
 * is neither copied (as a shared page would be) nor faulted in anew each
 * run (as a freed and reallocated one would be). NULL on failure; counted
 * by the test hook. Free with qa_private_free (NULL is ignored). */
void *qa_private_calloc(size_t n);
void qa_private_free(void *p);

/* ---- files: one way in, one way out (qa_io.c) ----
 *
 * Inputs. Every file qarray reads as an input is opened here: a folder is
 * refused by name ("is a folder, not a model file"), and the file is noted
 * (device and inode) so that no output of the same process can replace it.
 * QA_IN_OWN marks the command's own state (a checkpoint it reads and then
 * rewrites): it is not noted. QA_IN_REGULAR refuses anything but a
 * regular file before opening it, so a FIFO never blocks the open (for
 * readers that need the size: ONNX models and their external data). */
#define QA_IN_OWN 1u
#define QA_IN_REGULAR 2u
FILE *qa_open_input(const char *path, const char *what, unsigned flags, Err *e);
/* The whole file (regular file, FIFO or device) into a NUL-terminated
 * buffer the caller frees; more than max bytes is an error naming `what`. */
int qa_read_input(const char *path, const char *what, size_t max, unsigned flags,
                  char **buf, size_t *len, Err *e);
/* 1 if path names a file this process opened as an input. */
int qa_is_input(const char *path);
/* Turn the refusal of outputs that are inputs on (the qarray command does,
 * before it reads anything) or off (the default: a library user such as a
 * test may write, read and rewrite one file); either way the noted inputs
 * are forgotten. */
void qa_inputs_protect(int on);

/* Outputs. AtomicFile is the one writer of every output file:
 *  - a regular file (or a new name) is written to "TARGET.tmp.<pid>" in the
 *    same folder, flushed, fsync'd and renamed on commit (every return
 *    value checked), removed on abort: a reader never sees half a file;
 *  - a symbolic link is written through: its final target is replaced
 *    that way, the link stays;
 *  - a character device or a FIFO gets the bytes as a stream (/dev/null,
 *    /dev/stdout, a pipe); nothing is renamed or removed;
 *  - a folder, a block device or a socket is refused, and so is a file
 *    this process read as an input (qa_open_input). */
typedef struct {
    FILE *f;
    char path[1024];   /* as given */
    char target[1024]; /* where the bytes end up: path or a link's target */
    char tmp[1100];    /* "" when streaming */
} AtomicFile;

int qa_afile_open(AtomicFile *af, const char *path, Err *e);
/* 1 if AtomicFile would stream into path (a character device, a FIFO,
 * /dev/stdout and the like). */
int qa_is_stream(const char *path);
int qa_afile_commit(AtomicFile *af, Err *e);
void qa_afile_abort(AtomicFile *af);
/* A write into af failed: abort it and say why, from errno ("x.st: write
 * failed: No space left on device"). Returns QA_ERR. */
int qa_afile_fail(AtomicFile *af, Err *e);

/* Put a finished file `from` (a temporary this process wrote and closed)
 * under `path` by the rules of AtomicFile (link targets, streams, inputs
 * refused); `from` is gone afterwards either way. */
int qa_install(const char *from, const char *path, Err *e);

/* A result folder that appears complete or not at all. Files are written
 * (with AtomicFile) into d->tmp: a new folder "PATH.tmp.<pid>" beside
 * PATH, or ".qarray.tmp.<pid>" inside PATH when PATH already exists.
 * Commit renames the new folder into place, or moves each file into the
 * existing one (each file atomically; every target is checked before the
 * first moves); abort removes d->tmp and everything in it. */
typedef struct {
    char path[1024];
    char tmp[1100];
    int existed;
} AtomicDir;

int qa_adir_open(AtomicDir *d, const char *path, Err *e);
/* d->tmp "/" name into buf. */
int qa_adir_file(const AtomicDir *d, const char *name, char *buf, size_t size, Err *e);
int qa_adir_commit(AtomicDir *d, Err *e);
/* Remove d->tmp; e (may be NULL): an error about a file in d->tmp is
 * made to name the file under d->path, where the user looks for it. */
void qa_adir_abort(AtomicDir *d, Err *e);

/* 1 if a and b name the same file: the same inode when both exist, else
 * the same folder and name (a missing file's folder resolved). */
int qa_same_file(const char *a, const char *b);

/* mkdir -p; QA_OK if the folder exists afterwards. */
int qa_mkdirs(const char *path, Err *e);
/* The same, and first (n bytes) gets the shallowest folder this call
 * created ("" when path was there), for qa_rmdirs to undo. */
int qa_mkdirs_made(const char *path, char *first, size_t n, Err *e);
/* Undo qa_mkdirs_made: remove path and its parents up to and including
 * top (a prefix of path), each only while it is empty; nothing when top is
 * "" or not a prefix. Never fails: a folder in use simply stays. */
void qa_rmdirs(const char *path, const char *top);

/* Checked string to number: the whole string must parse. A double is
 * written in decimal (digits, point, exponent): strtod's hex, "inf" and
 * "nan" are refused. */
int qa_parse_long(const char *s, long *out);
int qa_parse_double(const char *s, double *out);

/* 1 if [s, end) is a decimal number as a person writes one: digits, a
 * point, an exponent and signs only (what strtod read). */
int qa_decimal(const char *s, const char *end);

/* Progress on stderr, only when stderr is a terminal (DESIGN: long work shows
 * progress on a tty and is quiet otherwise). done <= total. */
void qa_progress(const char *what, long done, long total);

#endif
