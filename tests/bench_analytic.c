/* bench_analytic.c: one ResNet-50 design point (4 bits, 64 GB/s, pact2018,
 * batch 1 and 16) through the mapper's exact search and the analytic
 * engine, and the whole point as `qarray run` does it (the same at 16 bits
 * for the speedup). Goal: < 20 ms per point, search included. Prints
 * medians of 15 runs and the cycles computed. */
#include "models/analytic.h"
#include "models/mapper.h"

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
    Net base;
    BitPolicy bb = {16, 16, 16, 0};
    if (net_build(&base, "resnet50", &e) != QA_OK)
        return 1;
    net_set_batch(&base, batch);
    if (net_apply_bits(&base, &bb, &e) != QA_OK)
        return 1;
    enum { RUNS = 15 };
    double tm[RUNS], tr[RUNS], tp[RUNS];
    int64_t cycles = 0, base_cycles = 0;
    for (int i = 0; i < RUNS; i++) {
        TileSchedule ts;
        RunStats rs;
        double t0 = now_s();
        if (map_net(&a, &net, &ts, &e) != QA_OK) {
            err_print(&e, stderr);
            return 1;
        }
        double t1 = now_s();
        if (analytic_run(&a, &net, &ts, &rs, &e) != QA_OK) {
            err_print(&e, stderr);
            return 1;
        }
        double t2 = now_s();
        cycles = rs.cycles;
        stats_free(&rs);
        tile_free(&ts);
        if (map_net(&a, &base, &ts, &e) != QA_OK ||
            analytic_run(&a, &base, &ts, &rs, &e) != QA_OK) {
            err_print(&e, stderr);
            return 1;
        }
        double t3 = now_s();
        base_cycles = rs.cycles;
        stats_free(&rs);
        tile_free(&ts);
        tm[i] = t1 - t0, tr[i] = t2 - t1, tp[i] = t3 - t0;
    }
    qsort(tm, RUNS, sizeof tm[0], cmp);
    qsort(tr, RUNS, sizeof tr[0], cmp);
    qsort(tp, RUNS, sizeof tp[0], cmp);
    printf("analytic ResNet-50 W4A4 64 GB/s batch %2d: search %.2f ms, engine "
           "%.3f ms; point with its 16-bit baseline %.2f ms (min %.2f, max "
           "%.2f); %lld cycles, speedup %.3fx; goal < 20 ms: %s\n",
           batch, tm[RUNS / 2] * 1e3, tr[RUNS / 2] * 1e3, tp[RUNS / 2] * 1e3,
           tp[0] * 1e3, tp[RUNS - 1] * 1e3, (long long)cycles,
           (double)base_cycles / (double)cycles,
           tp[RUNS / 2] < 20e-3 ? "met" : "NOT met");
    net_free(&base);
    net_free(&net);
    return 0;
}

int main(void)
{
    return bench(1) || bench(16);
}
