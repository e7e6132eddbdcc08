/* qa.c: errors, checked allocation, small parsing helpers (files: qa_io.c). */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, MADV_DONTFORK */
#include "arch/qa.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

void err_clear(Err *e)
{
    if (e)
        memset(e, 0, sizeof *e);
}

int err_set(Err *e, const char *file, int line, const char *field,
            const char *fmt, ...)
{
    if (!e)
        return QA_ERR;
    snprintf(e->file, sizeof e->file, "%s", file ? file : "");
    e->line = line;
    snprintf(e->field, sizeof e->field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return QA_ERR;
}

void err_print(const Err *e, FILE *f)
{
    fputs("qarray: ", f);
    if (e->file[0]) {
        fputs(e->file, f);
        if (e->line > 0)
            fprintf(f, ":%d", e->line);
        fputs(": ", f);
    }
    if (e->field[0])
        fprintf(f, "%s: ", e->field);
    fprintf(f, "%s\n", e->msg[0] ? e->msg : "unknown error");
}

/* Fault injection: when fail_at > 0, the fail_at-th allocation from the time
 * it was set returns NULL. Only tests set it. */
static long fail_at;
static long alloc_calls;

void qa_alloc_fail_at(long n)
{
    fail_at = n;
    alloc_calls = 0;
}

long qa_alloc_count(void) { return alloc_calls; }

static int should_fail(void)
{
    alloc_calls++;
    return fail_at > 0 && alloc_calls == fail_at;
}

void *qa_malloc(size_t n)
{
    if (should_fail())
        return NULL;
    return malloc(n ? n : 1);
}

void *qa_calloc(size_t count, size_t size)
{
    if (should_fail())
        return NULL;
    return calloc(count ? count : 1, size ? size : 1);
}

/* The mapping's length sits in front of the buffer; 64 keeps it aligned
 * for vector loads. */
#define PRIVATE_HEAD 64

void *qa_private_calloc(size_t n)
{
    if (should_fail() || n > SIZE_MAX - PRIVATE_HEAD)
        return NULL;
    size_t len = n + PRIVATE_HEAD;
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    /* without it (an old kernel) the buffer is only slower after a fork */
    (void)madvise(p, len, MADV_DONTFORK);
    memcpy(p, &len, sizeof len);
    return p + PRIVATE_HEAD;
}

void qa_private_free(void *p)
{
    if (!p)
        return;
    char *base = (char *)p - PRIVATE_HEAD;
    size_t len;
    memcpy(&len, base, sizeof len);
    munmap(base, len);
}

void *qa_realloc(void *p, size_t n)
{
    if (should_fail())
        return NULL;
    return realloc(p, n ? n : 1);
}

int qa_parse_long(const char *s, long *out)
{
    char *end;
    if (!s || !*s)
        return QA_ERR;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end)
        return QA_ERR;
    *out = v;
    return QA_OK;
}

int qa_parse_double(const char *s, double *out)
{
    char *end;
    if (!s || !*s)
        return QA_ERR;
    errno = 0;
    double v = strtod(s, &end);
    /* an underflow (1e-320) is a number, tiny: the caller's range says
     * what is wrong with it; an overflow (1e400) is not */
    if ((errno && !(errno == ERANGE && fabs(v) <= DBL_MIN)) || *end || v != v ||
        !qa_decimal(s, end))
        return QA_ERR;
    *out = v;
    return QA_OK;
}

int qa_decimal(const char *s, const char *end)
{
    if (s == end)
        return 0;
    for (; s < end; s++)
        if (!strchr("0123456789.eE+- ", *s))
            return 0;
    return 1;
}

void qa_progress(const char *what, long done, long total)
{
    if (!isatty(STDERR_FILENO) || total <= 0)
        return;
    int width = 40;
    int filled = (int)(width * done / total);
    fprintf(stderr, "\r%-16s [", what);
    for (int i = 0; i < width; i++)
        fputc(i < filled ? '#' : ' ', stderr);
    fprintf(stderr, "] %ld/%ld", done, total);
    if (done >= total)
        fputc('\n', stderr);
    fflush(stderr);
}
