/* bench_store.c: sweeps at scale into the study database (make bench).
 * tests/studies/bench_1e5.cfg (100,000 analytic points of ResNet-20)
 * runs whole with 2 workers and no layer rows;
 * 10,000 of its points (shard 0/10) the same way, to show that memory
 * does not grow with the points done; shard 0/100 (1,000 points) with
 * layer rows, for the database size and the layer CSVs; and shard 0/100
 * on the SystemC engine. Each run is a forked child so its peak resident
 * memory (sweep process and largest worker, getrusage) and CPU time (all
 * processes) are its own. Points per second: wall time, and per CPU
 * second (what an otherwise idle core gives; this machine is shared, so
 * wall times vary with its load). Goals: none are asserted; the numbers
 * go into sim/study/README.md. */
#include "sim/study/store.h"
#include "sim/study/sweep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct {
    int ok;
    double wall_s, cpu_s;
    long self_kb, workers_kb;
    int64_t points, infeasible;
    long long db_bytes;
    double merge_s;        /* the database merged alone into another */
    Err e;
} Result;

static double tv(struct timeval t)
{
    return (double)t.tv_sec + (double)t.tv_usec * 1e-6;
}

static long long file_bytes(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (long long)sb.st_size : 0;
}

/* In a child: load, run, report over fd. */
static void child(const char *study, const char *engine, const char *dir,
                  long si, long sn, int no_layers, int fd)
{
    Result r;
    Study s;
    SweepResult sr;
    SweepOpts o = {2, si, sn, 0, 0, no_layers};
    struct rusage self, kids;
    memset(&r, 0, sizeof r);
    memset(&sr, 0, sizeof sr);
    if (study_load(&s, study, &r.e) == QA_OK &&
        study_override(&s, STUDY_ENGINE, engine, "engine", &r.e) == QA_OK) {
        snprintf(s.out_dir, sizeof s.out_dir, "%.500s", dir);
        r.ok = sweep_run(&s, &o, &sr, &r.e) == QA_OK;
        getrusage(RUSAGE_SELF, &self);
        getrusage(RUSAGE_CHILDREN, &kids);
        if (r.ok && sn == 1) {
            /* What a merge of the whole study costs: every row validated
             * (checksum), copied, the result renamed into place. */
            char out[700];
            char *files[] = {sr.db};
            snprintf(out, sizeof out, "%.500s/merged.db", dir);
            double t0 = now_s();
            r.ok = store_merge(&s, files, 1, out, &r.e) == QA_OK;
            r.merge_s = now_s() - t0;
        }
        study_free(&s);
    } else {
        getrusage(RUSAGE_SELF, &self);
        getrusage(RUSAGE_CHILDREN, &kids);
    }
    r.wall_s = sr.seconds;
    r.cpu_s = tv(self.ru_utime) + tv(self.ru_stime) + tv(kids.ru_utime) +
              tv(kids.ru_stime);
    r.self_kb = self.ru_maxrss;
    r.workers_kb = kids.ru_maxrss;
    r.points = sr.points;
    r.infeasible = sr.infeasible;
    r.db_bytes = file_bytes(sr.db);
    if (write(fd, &r, sizeof r) != (ssize_t)sizeof r)
        _exit(1);
    _exit(0);
}

static int bench(const char *label, const char *engine, long si, long sn,
                 int no_layers, Result *out)
{
    const char *study = "tests/studies/bench_1e5.cfg";
    char dir[600];
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%.500s/qa_bench_store.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    int fds[2];
    if (pipe(fds) != 0) {
        perror("pipe");
        return 1;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        child(study, engine, dir, si, sn, no_layers, fds[1]);
    }
    close(fds[1]);
    Result r;
    memset(&r, 0, sizeof r);
    ssize_t got = read(fds[0], &r, sizeof r);
    close(fds[0]);
    int st;
    waitpid(pid, &st, 0);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    printf("%-34s %-8s %6lld points: ", label, engine, (long long)r.points);
    if (got != (ssize_t)sizeof r || !r.ok) {
        printf("failed\n");
        if (got == (ssize_t)sizeof r)
            err_print(&r.e, stdout);
        return 1;
    }
    printf("%8.1f s wall (%6.1f points/s), %8.1f CPU s (%6.1f points per CPU s), "
           "peak RSS sweep %.1f MB, worker %.1f MB, database %.0f bytes/point, "
           "%lld not ok\n",
           r.wall_s, (double)r.points / r.wall_s, r.cpu_s,
           (double)r.points / r.cpu_s, r.self_kb / 1024.0, r.workers_kb / 1024.0,
           (double)r.db_bytes / (double)r.points, (long long)r.infeasible);
    if (r.merge_s > 0)
        printf("%-34s %-8s %6lld points: merged (validated, copied) in %.1f s wall\n",
               "  the same database merged", engine, (long long)r.points, r.merge_s);
    if (out)
        *out = r;
    return 0;
}

int main(void)
{
    int fail = 0;
    Result small, big;
    setenv("OMP_NUM_THREADS", "1", 0);
    setenv("OPENBLAS_NUM_THREADS", "1", 0);
    fail |= bench("10^4 points (shard 0/10), no layers", "analytic", 0, 10, 1, &small);
    fail |= bench("all 10^5 points, no layers", "analytic", 0, 1, 1, &big);
    fail |= bench("10^3 (shard 0/100), layers + CSVs", "analytic", 0, 100, 0, NULL);
    fail |= bench("10^3 (shard 0/100), no layers", "systemc", 0, 100, 1, NULL);
    if (!fail)
        printf("peak RSS, 10^4 -> 10^5 points: sweep %.1f -> %.1f MB, worker "
               "%.1f -> %.1f MB\n", small.self_kb / 1024.0, big.self_kb / 1024.0,
               small.workers_kb / 1024.0, big.workers_kb / 1024.0);
    return fail;
}
