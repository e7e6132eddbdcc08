/* bench_sweep.c: wall time of studies into a temporary folder (plots not
 * included): the default study (arch/studies/pact2018.cfg, 48 points of
 * ResNet-50 with their 16-bit baselines) on the analytic engine with 1 and
 * 2 worker processes and on its own engine, systemc, with 2; then the map
 * study (arch/studies/pact2018_map.cfg, 1440 points) on both engines.
 * Goal: the default study in < 10 s with 2 jobs. A build whose systemc
 * engine does not run reports those lines as skipped. */
#include "sim/study/sweep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int bench(const char *study, const char *engine, int jobs, int goal)
{
    Study s;
    Err e;
    char dir[600];
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%.500s/qa_bench_sweep.XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    if (study_load(&s, study, &e) != QA_OK ||
        study_override(&s, STUDY_ENGINE, engine, "engine", &e) != QA_OK) {
        err_print(&e, stderr);
        return 1;
    }
    snprintf(s.out_dir, sizeof s.out_dir, "%.500s", dir);
    SweepOpts o = {jobs, 0, 1, 0, 0, 0};
    SweepResult r;
    int rc = sweep_run(&s, &o, &r, &e);
    printf("%-30s %-8s %5lld points, -j %d: ", study, engine,
           (long long)s.npoints, jobs);
    if (rc == QA_OK)
        printf("%7.2f s, %7.2f ms per point (wall)%s\n", r.seconds,
               1e3 * r.seconds / (double)r.points,
               !goal ? "" : r.seconds < 10 ? "; goal < 10 s: met"
                                           : "; goal < 10 s: MISSED");
    else if (!strcmp(engine, "systemc") && !strcmp(e.field, "engine"))
        printf("skipped (%s)\n", e.msg);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        rc = QA_ERR;
    study_free(&s);
    if (rc != QA_OK && strcmp(e.field, "engine")) {
        err_print(&e, stderr);
        return 1;
    }
    return 0;
}

int main(void)
{
    if (bench("arch/studies/pact2018.cfg", "analytic", 1, 0) ||
        bench("arch/studies/pact2018.cfg", "analytic", 2, 1) ||
        bench("arch/studies/pact2018.cfg", "systemc", 2, 1) ||
        bench("arch/studies/pact2018_map.cfg", "analytic", 2, 0) ||
        bench("arch/studies/pact2018_map.cfg", "systemc", 2, 0))
        return 1;
    return 0;
}
