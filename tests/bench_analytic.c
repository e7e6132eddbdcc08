/* bench_analytic.c: one ResNet-50 design point (4 bits, 64 GB/s, pact2018,
 * batch 1 and 16) through the mapper and the analytic engine. Goal: < 5 ms
 * per point. Prints the median of 31 runs and the cycles it computed. */
#include "models/analytic.h"
#include "models/tiling.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int bench(int batch)
{
    Accel a;
    Net net;
    Err e;
    if (arch_load(&a, "arch/pact2018.cfg", &e) != QA_OK ||
        net_build(&net, "resnet50", &e) != QA_OK) {
        err_print(&e, stderr);
        return 1;
    }
    net_set_batch(&net, batch);
    BitPolicy bp = {4, 4, 8, 0};
    if (net_apply_bits(&net, &bp, &e) != QA_OK) {
        err_print(&e, stderr);
        return 1;
    }
    enum { RUNS = 31 };
    double t[RUNS];
    int64_t cycles = 0;
    for (int i = 0; i < RUNS; i++) {
        TileSchedule ts;
        RunStats rs;
        double t0 = now_s();
        if (tile_map_net(&a, &net, &ts, &e) != QA_OK ||
            analytic_run(&a, &net, &ts, &rs, &e) != QA_OK) {
            err_print(&e, stderr);
            return 1;
        }
        t[i] = now_s() - t0;
        cycles = rs.cycles;
        stats_free(&rs);
        tile_free(&ts);
    }
    qsort(t, RUNS, sizeof t[0], cmp);
    printf("analytic ResNet-50 W4A4 64 GB/s batch %2d: median %.3f ms "
           "(min %.3f, max %.3f, %d runs), %lld cycles; goal < 5 ms: %s\n",
           batch, t[RUNS / 2] * 1e3, t[0] * 1e3, t[RUNS - 1] * 1e3, RUNS,
           (long long)cycles, t[RUNS / 2] < 5e-3 ? "met" : "NOT met");
    net_free(&net);
    return 0;
}

int main(void)
{
    return bench(1) || bench(16);
}
