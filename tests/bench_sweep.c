/* bench_sweep.c: the default study (arch/studies/pact2018.cfg, 48 points
 * of ResNet-50, each with its 16-bit baseline) on the analytic engine, with
 * 1 and 2 worker processes, into a temporary folder; then the larger map
 * study (arch/studies/pact2018_map.cfg, 1440 points) with 2. Goal: the
 * default study in < 10 s with 2 jobs (plots not included). Prints the
 * wall time and the time per point. */
#include "sim/sweep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int bench(const char *study, int jobs, double goal_s)
{
    Study s;
    Err e;
    char dir[64] = "/tmp/qa_bench_sweep.XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    if (study_load(&s, study, &e) != QA_OK ||
        study_override(&s, STUDY_ENGINE, "analytic", "engine", &e) != QA_OK) {
        err_print(&e, stderr);
        return 1;
    }
    snprintf(s.out_dir, sizeof s.out_dir, "%s", dir);
    SweepOpts o = {jobs, 0, 1, 0, 0};
    SweepResult r;
    int rc = sweep_run(&s, &o, &r, &e);
    if (rc != QA_OK)
        err_print(&e, stderr);
    else
        printf("%-34s %5lld points, -j %d: %6.2f s, %6.2f ms per point "
               "(wall)%s\n", study, (long long)r.points, jobs, r.seconds,
               1e3 * r.seconds / (double)r.points,
               goal_s > 0 ? (r.seconds < goal_s ? "; goal < 10 s: met"
                                                : "; goal < 10 s: MISSED") : "");
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        rc = QA_ERR;
    study_free(&s);
    return rc == QA_OK ? 0 : 1;
}

int main(void)
{
    if (bench("arch/studies/pact2018.cfg", 1, 0) ||
        bench("arch/studies/pact2018.cfg", 2, 10.0) ||
        bench("arch/studies/pact2018_map.cfg", 2, 0))
        return 1;
    return 0;
}
