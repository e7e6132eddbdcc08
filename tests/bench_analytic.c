/* bench_analytic.c: one ResNet-50 design point (4 bits, 64 GB/s, pact2018,
 * batch 1 and 16) through the mapper's exact search and the analytic
 * engine; the same at 16 bits, the baseline of its speedup; and both, as
 * `qarray run` does them. Goal: < 20 ms per point, search included (a
 * study prices each point once: its baseline is the study's own 16-bit
 * point, reused). The energy model runs inside both (tile_build counts,
 * the engine prices): its part is timed again alone on the point's
 * schedule, every layer counted and priced. Goal: < 10 % of the point
 * without it. Prints medians of 15 runs and the cycles and energy
 * computed. */
#include "models/analytic.h"
#include "models/energy.h"
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
    double tm[RUNS], tr[RUNS], tp[RUNS], te[RUNS], ts_only[RUNS], tb[RUNS];
    int64_t cycles = 0, base_cycles = 0;
    double energy_pj = 0;
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
        energy_pj = rs.energy.total_pj;
        /* The energy model's share: count and price every layer again. */
        double te0 = now_s();
        for (int l = 0; l < ts.n; l++) {
            LayerStats *s = &rs.layers[l];
            energy_count(&a, &net.layers[l], &ts.layers[l]);
            energy_layer(&a, &ts.layers[l], s->cycles, s->dram_rd_bytes,
                         s->dram_wr_bytes, &s->energy);
        }
        stats_total(&rs);
        te[i] = now_s() - te0;
        if (rs.energy.total_pj != energy_pj) {
            fprintf(stderr, "energy differs when computed again\n");
            return 1;
        }
        stats_free(&rs);
        tile_free(&ts);
        double tb0 = now_s();
        if (map_net(&a, &base, &ts, &e) != QA_OK ||
            analytic_run(&a, &base, &ts, &rs, &e) != QA_OK) {
            err_print(&e, stderr);
            return 1;
        }
        double t3 = now_s();
        base_cycles = rs.cycles;
        stats_free(&rs);
        tile_free(&ts);
        tm[i] = t1 - t0, tr[i] = t2 - t1, tp[i] = t3 - t0 - te[i];
        ts_only[i] = t2 - t0;
        tb[i] = t3 - tb0;
    }
    qsort(tm, RUNS, sizeof tm[0], cmp);
    qsort(tr, RUNS, sizeof tr[0], cmp);
    qsort(tp, RUNS, sizeof tp[0], cmp);
    qsort(te, RUNS, sizeof te[0], cmp);
    qsort(ts_only, RUNS, sizeof ts_only[0], cmp);
    qsort(tb, RUNS, sizeof tb[0], cmp);
    /* The point's own time (search and engine) includes the energy model
     * once: compare with what remains without it. */
    double share = te[RUNS / 2] / (ts_only[RUNS / 2] - te[RUNS / 2]);
    double point = ts_only[RUNS / 2] - te[RUNS / 2], base_point = tb[RUNS / 2];
    int met = point < 20e-3 && base_point < 20e-3;
    printf("analytic ResNet-50 W4A4 64 GB/s batch %2d: search %.2f ms, engine "
           "%.3f ms; the point %.2f ms, its 16-bit baseline %.2f ms; goal "
           "< 20 ms per point: %s\n"
           "  both, as qarray run: %.2f ms (min %.2f, max %.2f); %lld "
           "cycles, speedup %.3fx\n",
           batch, tm[RUNS / 2] * 1e3, tr[RUNS / 2] * 1e3, point * 1e3,
           base_point * 1e3, met ? "met" : "NOT met", tp[RUNS / 2] * 1e3,
           tp[0] * 1e3, tp[RUNS - 1] * 1e3, (long long)cycles,
           (double)base_cycles / (double)cycles);
    printf("  energy model (count + price, %d layers): %.3f ms = %.1f %% of "
           "the point without it; %.3f mJ; goal < 10 %%: %s\n", net.n,
           te[RUNS / 2] * 1e3, 100 * share, energy_pj * 1e-9,
           share < 0.10 ? "met" : "NOT met");
    net_free(&base);
    net_free(&net);
    return 0;
}

int main(void)
{
    return bench(1) || bench(16);
}
