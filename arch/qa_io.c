/* qa_io.c: the one way files come in and go out (declared in qa.h).
 *
 * Inputs are opened by qa_open_input, which refuses folders and notes each
 * regular file's device and inode. Outputs are written by AtomicFile, which
 * resolves symbolic links to their final target, streams into character
 * devices and FIFOs, refuses folders, other special files and noted
 * inputs, and otherwise writes a temporary file that is flushed, fsync'd
 * and renamed over the target only when every write succeeded. AtomicDir
 * does the same for a folder of results. Nothing here exits or prints. */
/* realpath (X/Open); every other call is POSIX 2008 like the build asks. */
#define _XOPEN_SOURCE 700
#include "arch/qa.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- inputs ---- */

/* A fixed table: noting an input must not allocate (the out-of-memory
 * tests fail the n-th allocation and expect every one to matter). Inputs
 * beyond it are not protected; a command reads a few dozen at most. */
#define QA_MAX_INPUTS 4096
static struct {
    dev_t dev;
    ino_t ino;
} inputs[QA_MAX_INPUTS];
static int ninputs;
static int protect; /* refuse outputs that are noted inputs */

static int noted(const struct stat *st)
{
    for (int i = 0; i < ninputs; i++)
        if (inputs[i].dev == st->st_dev && inputs[i].ino == st->st_ino)
            return 1;
    return 0;
}

static void note(const struct stat *st)
{
    if (!S_ISREG(st->st_mode) || noted(st) || ninputs == QA_MAX_INPUTS)
        return;
    inputs[ninputs].dev = st->st_dev;
    inputs[ninputs].ino = st->st_ino;
    ninputs++;
}

void qa_inputs_protect(int on)
{
    protect = on;
    ninputs = 0;
}

int qa_is_input(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && noted(&st);
}

FILE *qa_open_input(const char *path, const char *what, unsigned flags, Err *e)
{
    struct stat pre;
    if ((flags & QA_IN_REGULAR) && stat(path, &pre) == 0 &&
        !S_ISREG(pre.st_mode) && !S_ISDIR(pre.st_mode)) {
        err_set(e, path, 0, NULL, "cannot open %s: not a regular file", what);
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        err_set(e, path, 0, NULL, "cannot open %s: %s", what, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        err_set(e, path, 0, NULL, "cannot open %s: %s", what, strerror(errno));
        fclose(f);
        return NULL;
    }
    if (S_ISDIR(st.st_mode)) {
        err_set(e, path, 0, NULL, "cannot open %s: it is a folder", what);
        fclose(f);
        return NULL;
    }
    if (!(flags & QA_IN_OWN))
        note(&st);
    return f;
}

int qa_read_input(const char *path, const char *what, size_t max, unsigned flags,
                  char **buf, size_t *len, Err *e)
{
    *buf = NULL, *len = 0;
    FILE *f = qa_open_input(path, what, flags, e);
    if (!f)
        return QA_ERR;
    /* A regular file is read in one piece; a FIFO or a device grows the
     * buffer as the bytes come, up to max. */
    struct stat st;
    size_t cap = 65536;
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 0 &&
        (uint64_t)st.st_size < (uint64_t)max)
        cap = (size_t)st.st_size + 1;
    cap = QA_MIN(cap, max + 1);
    char *b = qa_malloc(cap);
    size_t n = 0;
    int rc = QA_ERR;
    while (b) {
        size_t got = fread(b + n, 1, cap - n, f);
        n += got;
        if (n > max) {
            err_set(e, path, 0, NULL, "%s larger than %zu bytes", what, max);
            goto done;
        }
        if (got == 0 || n < cap) {
            if (ferror(f)) {
                err_set(e, path, 0, NULL, "cannot read %s: %s", what, strerror(errno));
                goto done;
            }
            if (feof(f))
                break;
            continue;
        }
        size_t grow = QA_MIN(cap * 2, max + 1);
        char *nb = grow > cap ? qa_realloc(b, grow) : NULL;
        if (!nb) {
            free(b);
            b = NULL;
            break;
        }
        b = nb, cap = grow;
    }
    if (!b) {
        err_set(e, path, 0, NULL, "out of memory reading %s", what);
        goto done;
    }
    if (n == cap) { /* room for the terminating NUL */
        char *nb = qa_realloc(b, cap + 1);
        if (!nb) {
            err_set(e, path, 0, NULL, "out of memory reading %s", what);
            goto done;
        }
        b = nb;
    }
    b[n] = '\0';
    *buf = b, *len = n;
    b = NULL;
    rc = QA_OK;
done:
    free(b);
    fclose(f);
    return rc;
}

/* ---- where an output goes ---- */

/* The folder of path ("." if none) into dir. */
static void dir_of(const char *path, char *dir, size_t n)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, n, ".");
    else if (slash == path)
        snprintf(dir, n, "/");
    else
        snprintf(dir, n, "%.*s", (int)(slash - path), path);
}

/* Follow path through symbolic links (each hop relative to the link's own
 * folder) to the name the bytes must go to; a missing final name is fine.
 * A link into /proc (/dev/stdout -> /proc/self/fd/1) names an open file,
 * not a path to replace: *via_proc is set and out is that /proc name. */
static int resolve(const char *path, char *out, size_t n, int *via_proc, Err *e)
{
    char cur[PATH_MAX];
    *via_proc = 0;
    if (strlen(path) >= sizeof cur || strlen(path) >= n)
        return err_set(e, path, 0, NULL, "path too long");
    snprintf(cur, sizeof cur, "%s", path);
    for (int hop = 0; hop < 40; hop++) {
        struct stat st;
        if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode)) {
            if (strlen(cur) >= n)
                return err_set(e, path, 0, NULL, "path too long");
            snprintf(out, n, "%s", cur);
            return QA_OK;
        }
        char link[PATH_MAX];
        ssize_t len = readlink(cur, link, sizeof link - 1);
        if (len < 0)
            return err_set(e, path, 0, NULL, "cannot read the link: %s", strerror(errno));
        link[len] = '\0';
        if (!strncmp(link, "/proc/", 6) || !strncmp(cur, "/proc/", 6)) {
            const char *name = strncmp(cur, "/proc/", 6) ? link : cur;
            if (strlen(name) >= n)
                return err_set(e, path, 0, NULL, "path too long");
            snprintf(out, n, "%s", name);
            *via_proc = 1;
            return QA_OK;
        }
        if (link[0] == '/') {
            snprintf(cur, sizeof cur, "%s", link);
        } else {
            char dir[PATH_MAX], next[2 * PATH_MAX + 2];
            dir_of(cur, dir, sizeof dir);
            snprintf(next, sizeof next, "%s/%s", dir, link);
            if (strlen(next) >= sizeof cur)
                return err_set(e, path, 0, NULL, "path too long");
            snprintf(cur, sizeof cur, "%s", next);
        }
    }
    return err_set(e, path, 0, NULL, "too many levels of symbolic links");
}

/* Where the bytes of an output named path go: *target (a link's final
 * target) and *stream: 1 for a character device, a FIFO or an open file
 * named through /proc (/dev/stdout), which get the bytes as they come.
 * A folder, another special file or an input of this process is refused. */
static int where(const char *path, char *target, size_t n, int *stream, Err *e)
{
    int via_proc;
    *stream = 0;
    if (resolve(path, target, n, &via_proc, e) != QA_OK)
        return QA_ERR;
    struct stat st;
    if (stat(target, &st) != 0)
        return QA_OK;
    if (S_ISDIR(st.st_mode))
        return err_set(e, path, 0, NULL, "cannot write: it is a folder");
    if (protect && noted(&st))
        return err_set(e, path, 0, NULL, "cannot write: it is an input of this command "
                       "(writing it would replace what was read)");
    if (via_proc || S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)) {
        *stream = 1;
        return QA_OK;
    }
    if (!S_ISREG(st.st_mode))
        return err_set(e, path, 0, NULL, "cannot write: not a regular file, a character "
                       "device or a FIFO");
    return QA_OK;
}

/* ---- AtomicFile ---- */

int qa_is_stream(const char *path)
{
    char target[1024];
    int stream;
    Err ignore;
    return where(path, target, sizeof target, &stream, &ignore) == QA_OK && stream;
}

int qa_afile_open(AtomicFile *af, const char *path, Err *e)
{
    memset(af, 0, sizeof *af);
    if (strlen(path) >= sizeof af->path)
        return err_set(e, path, 0, NULL, "path too long");
    snprintf(af->path, sizeof af->path, "%s", path);
    int stream;
    if (where(path, af->target, sizeof af->target, &stream, e) != QA_OK)
        return QA_ERR;
    if (stream) {
        /* One of this process's own descriptors (/dev/stdout is
         * /proc/self/fd/1): written through a copy of it, after what
         * stdio holds for it, so the two never overwrite each other. */
        int fd, used = 0;
        if (sscanf(af->target, "/proc/self/fd/%d%n", &fd, &used) == 1 &&
            !af->target[used]) {
            fflush(NULL);
            int dfd = dup(fd);
            af->f = dfd >= 0 ? fdopen(dfd, "wb") : NULL;
            if (!af->f && dfd >= 0)
                close(dfd);
        } else {
            af->f = fopen(af->target, "ab");
        }
        if (!af->f)
            return err_set(e, path, 0, NULL, "cannot write: %s", strerror(errno));
        return QA_OK;
    }
    if ((size_t)snprintf(af->tmp, sizeof af->tmp, "%s.tmp.%ld", af->target,
                         (long)getpid()) >= sizeof af->tmp)
        return err_set(e, path, 0, NULL, "path too long");
    af->f = fopen(af->tmp, "wb");
    if (!af->f) {
        af->tmp[0] = '\0';
        return err_set(e, path, 0, NULL, "cannot write: %s", strerror(errno));
    }
    return QA_OK;
}

/* Flush and close f; the errno of the first failure, or 0. fsync for a
 * file that is about to get its name: its bytes are on disk before it. */
static int finish(FILE *f, int sync)
{
    int err = 0;
    if (fflush(f) != 0)
        err = errno ? errno : EIO;
    if (!err && ferror(f))
        err = EIO;
    if (!err && sync && fsync(fileno(f)) != 0 && errno != EINVAL)
        err = errno;
    if (fclose(f) != 0 && !err)
        err = errno ? errno : EIO;
    return err;
}

int qa_afile_commit(AtomicFile *af, Err *e)
{
    if (QA_NEVER(!af->f))
        return err_set(e, af->path, 0, NULL, "write failed: not open");
    int err = finish(af->f, af->tmp[0] != '\0');
    af->f = NULL;
    if (err) {
        if (af->tmp[0])
            remove(af->tmp);
        af->tmp[0] = '\0';
        return err_set(e, af->path, 0, NULL, "write failed: %s", strerror(err));
    }
    if (!af->tmp[0])
        return QA_OK;
    /* The target may have changed kind since the open (it is looked at
     * again to keep an input or a folder from being replaced). */
    char target[sizeof af->target];
    int stream;
    int rc = where(af->path, target, sizeof target, &stream, e);
    if (rc == QA_OK && stream) {
        rc = qa_install(af->tmp, af->path, e);
        af->tmp[0] = '\0';
        return rc;
    }
    if (rc == QA_OK && rename(af->tmp, target) != 0)
        rc = err_set(e, af->path, 0, NULL, "cannot rename: %s", strerror(errno));
    if (rc != QA_OK)
        remove(af->tmp);
    af->tmp[0] = '\0';
    return rc;
}

void qa_afile_abort(AtomicFile *af)
{
    if (af->f) {
        fclose(af->f);
        af->f = NULL;
    }
    if (af->tmp[0])
        remove(af->tmp);
    af->tmp[0] = '\0';
}

int qa_afile_fail(AtomicFile *af, Err *e)
{
    int err = errno ? errno : EIO; /* before abort's calls change it */
    qa_afile_abort(af);
    return err_set(e, af->path, 0, NULL, "write failed: %s", strerror(err));
}

/* Copy the file `from` into the open stream `to`; errno or 0. */
static int copy_into(const char *from, FILE *to)
{
    FILE *in = fopen(from, "rb");
    if (!in)
        return errno;
    char buf[65536];
    size_t got;
    int err = 0;
    while (!err && (got = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, got, to) != got)
            err = errno ? errno : EIO;
    if (!err && ferror(in))
        err = errno ? errno : EIO;
    fclose(in);
    return err;
}

int qa_install(const char *from, const char *path, Err *e)
{
    char target[1024];
    int stream, rc = QA_ERR;
    if (where(path, target, sizeof target, &stream, e) != QA_OK)
        goto done;
    if (!stream) {
        if (rename(from, target) == 0)
            return QA_OK;
        if (errno != EXDEV) {
            err_set(e, path, 0, NULL, "cannot rename: %s", strerror(errno));
            goto done;
        }
    }
    /* A stream, or another file system: copy through an AtomicFile. */
    AtomicFile af;
    if (qa_afile_open(&af, path, e) != QA_OK)
        goto done;
    int err = copy_into(from, af.f);
    if (err) {
        qa_afile_abort(&af);
        err_set(e, path, 0, NULL, "write failed: %s", strerror(err));
        goto done;
    }
    rc = qa_afile_commit(&af, e);
done:
    remove(from);
    return rc;
}

/* ---- AtomicDir ---- */

/* rm -r of a folder this process made (files and folders in it). */
static void remove_tree(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *ent;
        while ((ent = readdir(d)) != NULL) {
            if (!strcmp(ent->d_name, ".") || !strcmp(ent->d_name, ".."))
                continue;
            char sub[PATH_MAX];
            if ((size_t)snprintf(sub, sizeof sub, "%s/%s", path, ent->d_name) >= sizeof sub)
                continue;
            struct stat st;
            if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
                remove_tree(sub);
            else
                remove(sub);
        }
        closedir(d);
    }
    rmdir(path);
}

int qa_adir_open(AtomicDir *d, const char *path, Err *e)
{
    memset(d, 0, sizeof *d);
    if (strlen(path) >= sizeof d->path)
        return err_set(e, path, 0, NULL, "path too long");
    snprintf(d->path, sizeof d->path, "%s", path);
    struct stat st;
    if (stat(path, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return err_set(e, path, 0, NULL, "exists and is not a folder");
        d->existed = 1;
        snprintf(d->tmp, sizeof d->tmp, "%s/.qarray.tmp.%ld", path, (long)getpid());
    } else {
        /* Strip trailing slashes: "out/" gets the sibling "out.tmp.PID". */
        char base[1024];
        snprintf(base, sizeof base, "%s", path);
        for (size_t n = strlen(base); n > 1 && base[n - 1] == '/'; n--)
            base[n - 1] = '\0';
        char parent[1024];
        dir_of(base, parent, sizeof parent);
        if (qa_mkdirs(parent, e) != QA_OK)
            return QA_ERR;
        snprintf(d->tmp, sizeof d->tmp, "%s.tmp.%ld", base, (long)getpid());
    }
    remove_tree(d->tmp); /* a stale one of an earlier process of this pid */
    if (mkdir(d->tmp, 0777) != 0) {
        int err = errno;
        d->tmp[0] = '\0';
        return err_set(e, path, 0, NULL, "cannot create folder: %s", strerror(err));
    }
    return QA_OK;
}

int qa_adir_file(const AtomicDir *d, const char *name, char *buf, size_t size, Err *e)
{
    if ((size_t)snprintf(buf, size, "%s/%s", d->tmp, name) >= size)
        return err_set(e, d->path, 0, name, "path too long");
    return QA_OK;
}

/* Calls fn(d, name, ...) for each file of d->tmp; stops at the first error. */
static int each_file(AtomicDir *d, int (*fn)(AtomicDir *, const char *, Err *), Err *e)
{
    DIR *dir = opendir(d->tmp);
    if (!dir)
        return err_set(e, d->path, 0, NULL, "cannot read folder: %s", strerror(errno));
    int rc = QA_OK;
    struct dirent *ent;
    while (rc == QA_OK && (ent = readdir(dir)) != NULL)
        if (strcmp(ent->d_name, ".") && strcmp(ent->d_name, ".."))
            rc = fn(d, ent->d_name, e);
    closedir(dir);
    return rc;
}

static int check_one(AtomicDir *d, const char *name, Err *e)
{
    char path[2100], target[1024];
    int stream;
    snprintf(path, sizeof path, "%s/%s", d->path, name);
    return where(path, target, sizeof target, &stream, e);
}

static int move_one(AtomicDir *d, const char *name, Err *e)
{
    char from[2200], to[2100];
    snprintf(from, sizeof from, "%s/%s", d->tmp, name);
    snprintf(to, sizeof to, "%s/%s", d->path, name);
    return qa_install(from, to, e);
}

int qa_adir_commit(AtomicDir *d, Err *e)
{
    if (QA_NEVER(!d->tmp[0]))
        return err_set(e, d->path, 0, NULL, "not open");
    if (!d->existed) {
        if (rename(d->tmp, d->path) == 0) {
            d->tmp[0] = '\0';
            return QA_OK;
        }
        int err = errno;
        struct stat st;
        if (stat(d->path, &st) != 0 || !S_ISDIR(st.st_mode)) {
            qa_adir_abort(d, NULL);
            return err_set(e, d->path, 0, NULL, "cannot rename: %s", strerror(err));
        }
        /* the folder appeared meanwhile: fill it as an existing one */
    }
    /* Into a folder that exists: every name is checked before the first
     * file moves, so a refused target leaves the folder as it was. */
    int rc = each_file(d, check_one, e);
    if (rc == QA_OK)
        rc = each_file(d, move_one, e);
    qa_adir_abort(d, NULL);
    return rc;
}

void qa_adir_abort(AtomicDir *d, Err *e)
{
    size_t n = strlen(d->tmp);
    if (e && n && !strncmp(e->file, d->tmp, n) && e->file[n] == '/') {
        char file[2 * sizeof e->file];
        snprintf(file, sizeof file, "%.*s%s", (int)(sizeof e->file - 1), d->path,
                 e->file + n);
        memcpy(e->file, file, sizeof e->file - 1);
        e->file[sizeof e->file - 1] = '\0';
    }
    if (n)
        remove_tree(d->tmp);
    d->tmp[0] = '\0';
}

/* ---- comparing names ---- */

/* The folder of path made absolute (realpath) and its last component. */
static int canonical(const char *path, char *out, size_t n)
{
    char dir[PATH_MAX], real[PATH_MAX];
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    dir_of(path, dir, sizeof dir);
    if (!realpath(dir, real))
        return QA_ERR;
    return (size_t)snprintf(out, n, "%s/%s", real, name) < n ? QA_OK : QA_ERR;
}

int qa_same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    int ha = stat(a, &sa) == 0, hb = stat(b, &sb) == 0;
    if (ha && hb)
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    if (ha != hb)
        return 0;
    char ra[1024], rb[1024], ca[2 * PATH_MAX], cb[2 * PATH_MAX];
    Err ignore;
    int oa, ob;
    if (resolve(a, ra, sizeof ra, &oa, &ignore) != QA_OK ||
        resolve(b, rb, sizeof rb, &ob, &ignore) != QA_OK)
        return !strcmp(a, b);
    if (canonical(ra, ca, sizeof ca) != QA_OK || canonical(rb, cb, sizeof cb) != QA_OK)
        return !strcmp(ra, rb);
    return !strcmp(ca, cb);
}

/* ---- folders ---- */

/* *made = 1 when this call created the folder. */
static int mkdir_one(const char *path, int *made, Err *e)
{
    *made = 0;
    if (mkdir(path, 0777) == 0) {
        *made = 1;
        return QA_OK;
    }
    int err = errno;
    struct stat st;
    if (err == EEXIST && stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return QA_OK;
        return err_set(e, path, 0, NULL, "cannot create folder: a file of that name exists");
    }
    return err_set(e, path, 0, NULL, "cannot create folder: %s", strerror(err));
}

int qa_mkdirs_made(const char *path, char *first, size_t n, Err *e)
{
    char buf[1024];
    int made;
    if (first && n)
        first[0] = '\0';
    if (strlen(path) >= sizeof buf)
        return err_set(e, path, 0, NULL, "path too long");
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1;; p++) {
        if (*p && (*p != '/' || p[-1] == '/'))
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir_one(buf, &made, e) != QA_OK)
            return QA_ERR;
        if (made && first && n && !first[0])
            snprintf(first, n, "%s", buf);
        if (!c)
            return QA_OK;
        *p = c;
    }
}

int qa_mkdirs(const char *path, Err *e)
{
    return qa_mkdirs_made(path, NULL, 0, e);
}

void qa_rmdirs(const char *path, const char *top)
{
    char buf[1024];
    size_t lt = strlen(top);
    if (!lt || strlen(path) >= sizeof buf || strncmp(path, top, lt) ||
        (path[lt] && path[lt] != '/'))
        return;
    snprintf(buf, sizeof buf, "%s", path);
    for (;;) {
        size_t l = strlen(buf);
        while (l > lt && buf[l - 1] == '/')
            buf[--l] = '\0';
        if (rmdir(buf) != 0 || l <= lt)
            return; /* not empty (or gone): it and its parents stay */
        while (l > lt && buf[l - 1] != '/')
            buf[--l] = '\0';
    }
}
