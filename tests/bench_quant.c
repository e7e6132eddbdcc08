/* bench_quant.c: quantize-tensor throughput (elements/s, one core) of the
 * library forward on a 16M-element Gaussian tensor, best of 5 runs. The
 * goal: APoT projection at >= 100M elements/s; exits non-zero if missed. */
#include "arch/qa.h"
#include "quant/quantizer.h"
#include "quant/rng.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define N (16u << 20)
#define RUNS 5
#define APOT_GOAL 100e6

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Best elements/s of q_forward over RUNS runs. alpha <= 0: the method's own. */
static double bench(const char *method, int bits, int is_signed, float alpha, int wn,
                    const float *x, float *y)
{
    Quantizer q;
    Err e;
    if (q_init(&q, method, bits, is_signed, &e) ||
        (alpha > 0 && q_set_alpha(&q, alpha, &e))) {
        err_print(&e, stderr);
        exit(1);
    }
    q.wn = wn;
    double best = 0.0;
    for (int r = 0; r < RUNS; r++) {
        double t0 = now_s();
        if (q_forward(&q, x, y, N, &e)) {
            err_print(&e, stderr);
            exit(1);
        }
        double rate = N / (now_s() - t0);
        best = rate > best ? rate : best;
    }
    printf("%-8s %2d-bit %-8s%-4s %8.1f M elements/s\n", method, bits,
           is_signed ? "signed" : "unsigned", wn ? " wn" : "", best / 1e6);
    q_free(&q);
    return best;
}

int main(void)
{
    float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    if (!x || !y)
        return 1;
    Rng r;
    rng_seed(&r, 1);
    for (unsigned i = 0; i < N; i++)
        x[i] = 0.05f * (float)rng_normal(&r);
    printf("quantizer forward, %u elements (16M), best of %d\n", N, RUNS);
    bench("sawb", 2, 1, 0, 0, x, y);
    bench("sawb", 4, 1, 0, 0, x, y);
    bench("sawb", 8, 1, 0, 0, x, y);
    double a4 = bench("apot", 4, 1, 0.15f, 0, x, y);
    double a5 = bench("apot", 5, 0, 0.15f, 0, x, y);
    bench("apot", 4, 1, 0.15f, 1, x, y);
    bench("pot", 8, 1, 0.15f, 0, x, y); /* binary-search path */
    bench("uniform", 8, 1, 0.15f, 0, x, y);
    bench("pact", 4, 0, 0.15f, 0, x, y);
    bench("lsq", 4, 1, 0.01f, 0, x, y);
    free(x);
    free(y);
    double worst = a4 < a5 ? a4 : a5;
    printf("APoT goal >= %.0f M elements/s: %s (%.1f M)\n", APOT_GOAL / 1e6,
           worst >= APOT_GOAL ? "met" : "MISSED", worst / 1e6);
    return worst >= APOT_GOAL ? 0 : 1;
}
