/* gnuplot.c: the gnuplot runner of gnuplot.h: posix_spawnp, a log, and a
 * temporary folder whose finished figures are renamed into place. */
#include "sim/report/gnuplot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Double-quoted gnuplot strings take C-like escapes (\\ \" \n \t \ooo);
 * single-quoted ones would pass a line break raw into the command line.
 * A backquote goes as \140: gnuplot runs `text` in double quotes as a
 * shell command before it reads the string, so a chip named `rm x` ran
 * rm; the escape becomes a backquote only after that substitution. */
void gnuplot_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        case '`': fputs("\\140", f); break;
        default:
            if (c < 0x20 || c == 0x7f)
                fprintf(f, "\\%03o", c);
            else
                fputc(c, f);
        }
    }
    fputc('"', f);
}

/* "a=\"x\"; n=4; out=\"TMP\"" (caller frees); NULL without memory. */
static char *statements(const GnuplotVar *vars, int nvars, const char *tmp)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    for (int i = 0; i < nvars; i++) {
        fprintf(f, "%s=", vars[i].name);
        if (vars[i].str)
            gnuplot_string(f, vars[i].str);
        else
            fprintf(f, "%ld", vars[i].num);
        fputs("; ", f);
    }
    fputs("out=", f);
    gnuplot_string(f, tmp);
    if (ferror(f)) {
        fclose(f);
        free(text);
        return NULL;
    }
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* Run gnuplot; QA_OK if it exited with status 0. */
static int run(const char *script, char *stmts, const char *log, Err *e)
{
    /* posix_spawnp takes char *const argv[]: writable strings. */
    char prog[] = "gnuplot", opt[] = "-e";
    char *path = strdup(script);
    if (!path)
        return err_set(e, script, 0, NULL, "out of memory");
    char *argv[] = {prog, opt, stmts, path, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_APPEND,
                                     0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid;
    int rc = posix_spawnp(&pid, "gnuplot", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    free(path);
    /* The program is at fault here, or what its log says: not the script
     * file (a missing gnuplot was reported against the script). */
    if (rc != 0)
        return err_set(e, NULL, 0, "gnuplot", "cannot run it: %s (install gnuplot-nox)",
                       strerror(rc));
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return err_set(e, NULL, 0, "gnuplot", "waiting for it: %s", strerror(errno));
    if (WIFSIGNALED(st))
        return err_set(e, NULL, 0, "gnuplot", "killed by signal %d while drawing %s "
                       "(its messages: %s)", WTERMSIG(st), script, log);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return err_set(e, NULL, 0, "gnuplot", "drawing %s failed (its messages: %s)",
                       script, log);
    return QA_OK;
}

/* Every file of tmp renamed into dir (keep) or removed; then tmp itself.
 * The first failed rename is the error; the rest still leave tmp. */
static int settle(const char *tmp, const char *dir, int keep, Err *e)
{
    int rc = QA_OK;
    DIR *d = opendir(tmp);
    if (d) {
        struct dirent *ent;
        while ((ent = readdir(d)) != NULL) {
            char from[2048], to[2048];
            if (!strcmp(ent->d_name, ".") || !strcmp(ent->d_name, ".."))
                continue;
            snprintf(from, sizeof from, "%s/%s", tmp, ent->d_name);
            snprintf(to, sizeof to, "%s/%s", dir, ent->d_name);
            if (keep && rc == QA_OK && rename(from, to) != 0)
                rc = err_set(e, to, 0, NULL, "cannot write: %s",
                             strerror(errno));
            remove(from);
        }
        closedir(d);
    }
    rmdir(tmp);
    return rc;
}

int gnuplot_draw(const char *script, const GnuplotVar *vars, int nvars,
                 const char *out_dir, const char *log, Err *e)
{
    if (access(script, R_OK) != 0)
        return err_set(e, script, 0, NULL, "cannot read the gnuplot script");
    /* Beside the destination: the same file system, so rename is atomic.
     * The name matches NAME.tmp.* like every temporary of qarray. */
    char tmp[1100];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s/.gnuplot.tmp.XXXXXX", out_dir) >=
        sizeof tmp)
        return err_set(e, out_dir, 0, NULL, "path too long");
    if (!mkdtemp(tmp))
        return err_set(e, tmp, 0, NULL, "cannot create folder: %s",
                       strerror(errno));
    char *stmts = statements(vars, nvars, tmp);
    if (!stmts) {
        rmdir(tmp);
        return err_set(e, script, 0, NULL, "out of memory");
    }
    int rc = run(script, stmts, log, e);
    free(stmts);
    if (rc != QA_OK) {
        Err ignore;
        settle(tmp, out_dir, 0, &ignore);
        return QA_ERR;
    }
    return settle(tmp, out_dir, 1, e);
}
