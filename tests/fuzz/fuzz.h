/* fuzz.h: what every libFuzzer harness of qarray shares. The loaders take
 * file paths, so each input is written to one scratch file (on /dev/shm when
 * it exists: no disk traffic at tens of thousands of executions a second)
 * and the loader reads it back. Test-only, header-only by design: every
 * function is static inline. FUZZ_CHECK aborts, so a broken property is a
 * crash libFuzzer saves and minimises like any other. */
#ifndef FUZZ_H
#define FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch/qa.h"

#define FUZZ_CHECK(x)                                                    \
    do {                                                                 \
        if (!(x)) {                                                      \
            fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__,    \
                    __LINE__, #x);                                       \
            abort();                                                     \
        }                                                                \
    } while (0)

/* A scratch folder for this process, removed at exit. */
static char fuzz_dir[256];

static inline void fuzz_cleanup(void)
{
    char cmd[300];
    if (!fuzz_dir[0])
        return;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fuzz_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "fuzz: could not remove %s\n", fuzz_dir);
}

/* dir/name inside the scratch folder (created on first use); path holds
 * FUZZ_PATH_MAX bytes. */
#define FUZZ_PATH_MAX 512
static inline const char *fuzz_path(const char *name, char *path)
{
    if (!fuzz_dir[0]) {
        const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm"
                           : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
        snprintf(fuzz_dir, sizeof fuzz_dir, "%s/qarray_fuzz_XXXXXX", base);
        if (!mkdtemp(fuzz_dir)) {
            perror("fuzz: mkdtemp");
            abort();
        }
        atexit(fuzz_cleanup);
    }
    snprintf(path, FUZZ_PATH_MAX, "%s/%s", fuzz_dir, name);
    return path;
}

/* Write the input to dir/name and return that path (in path). */
static inline const char *fuzz_write(const char *name, const uint8_t *data,
                                     size_t size, char *path)
{
    fuzz_path(name, path);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
        perror("fuzz: write input");
        abort();
    }
    return path;
}

/* An Err must always carry a message; an empty one means some path
 * returned QA_ERR without saying why. */
static inline void fuzz_check_err(const Err *e)
{
    FUZZ_CHECK(e->msg[0] != '\0');
    FUZZ_CHECK(memchr(e->msg, '\0', sizeof e->msg) != NULL);
}

#endif
