/* bench_systolic.c: speed goals of the array timing models.
 *  - the closed form over every GEMM of ResNet-50 v1.5 (224x224), all three
 *    dataflows, single and double buffered: well inside the 5 ms budget of a
 *    whole analytic ResNet-50 run per design point;
 *  - the PE-level reference on a 32x32 array over ~300k MACs: well under a
 *    second per dataflow.
 * Exits non-zero when a goal is missed. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "models/pe_ref.h"
#include "models/systolic.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* ResNet-50 v1.5 GEMMs: M = P*Q output pixels, K = C*R*S, N = output
 * channels, and how many times each occurs (stride 2 on the 3x3 convs). */
static const struct {
    int64_t M, K, N;
    int count;
} resnet50[] = {
    { 12544, 147, 64, 1 },                                   /* conv1 */
    { 3136, 64, 64, 1 },    { 3136, 576, 64, 3 },  { 3136, 64, 256, 4 },
    { 3136, 256, 64, 2 },                                    /* stage 2 */
    { 3136, 256, 128, 1 },  { 784, 1152, 128, 4 }, { 784, 128, 512, 4 },
    { 784, 256, 512, 1 },   { 784, 512, 128, 3 },            /* stage 3 */
    { 784, 512, 256, 1 },   { 196, 2304, 256, 6 }, { 196, 256, 1024, 6 },
    { 196, 512, 1024, 1 },  { 196, 1024, 256, 5 },           /* stage 4 */
    { 196, 1024, 512, 1 },  { 49, 4608, 512, 3 },  { 49, 512, 2048, 3 },
    { 49, 1024, 2048, 1 },  { 49, 2048, 512, 2 },            /* stage 5 */
    { 1, 2048, 1000, 1 },                                    /* fc */
};

static int bench_closed_form(void)
{
    /* Array shapes of the PACT study: 32x32 at 16 bit, more columns below. */
    static const int cols[] = { 32, 64, 128, 256 };
    const int reps = 2000;
    int64_t sink = 0, calls = 0;
    double t0 = now_s();
    for (int rep = 0; rep < reps; rep++)
        for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++)
            for (int df = 0; df < DF_COUNT; df++)
                for (int db = 0; db <= 1; db++)
                    for (size_t l = 0; l < sizeof resnet50 / sizeof resnet50[0];
                         l++) {
                        sink += resnet50[l].count *
                                sys_gemm_cycles((Dataflow)df, 32, cols[c],
                                                resnet50[l].M, resnet50[l].K,
                                                resnet50[l].N, db);
                        calls++;
                    }
    double dt = now_s() - t0;
    int64_t passes = calls / (int64_t)(sizeof resnet50 / sizeof resnet50[0]);
    double us_pass = 1e6 * dt / (double)passes;
    printf("sys_gemm_cycles: %.1f ns/call, %.2f us per ResNet-50 pass "
           "(goal: a whole analytic run < 5000 us)  [checksum %lld]\n",
           1e9 * dt / (double)calls, us_pass, (long long)sink);
    return us_pass < 500.0 ? 0 : 1;
}

static int bench_pe_ref(void)
{
    const int64_t M = 64, K = 72, N = 64;   /* 294912 MACs */
    int32_t *A = malloc(sizeof *A * (size_t)(M * K));
    int32_t *B = malloc(sizeof *B * (size_t)(K * N));
    int64_t *O = malloc(sizeof *O * (size_t)(M * N));
    int bad = !A || !B || !O;
    for (int64_t i = 0; !bad && i < M * K; i++)
        A[i] = (int32_t)(i * 7 % 15) - 7;
    for (int64_t i = 0; !bad && i < K * N; i++)
        B[i] = (int32_t)(i * 13 % 255);
    for (int df = 0; !bad && df < DF_COUNT; df++)
        for (int db = 0; db <= 1; db++) {
            PeRefStats st;
            Err e;
            double t0 = now_s();
            if (pe_ref_gemm((Dataflow)df, 32, 32, M, K, N, A, B, O, db, &st,
                            &e) != QA_OK) {
                err_print(&e, stderr);
                bad = 1;
                break;
            }
            double dt = now_s() - t0;
            printf("pe_ref 32x32 %s db=%d: %lld MACs, %lld cycles, %.1f ms "
                   "(goal < 1000 ms)\n", df == DF_WS ? "ws" : df == DF_OS ? "os"
                   : "is", db, (long long)st.macs, (long long)st.cycles,
                   1e3 * dt);
            bad |= dt >= 1.0;
        }
    free(A);
    free(B);
    free(O);
    return bad;
}

int main(void)
{
    int bad = bench_closed_form();
    bad |= bench_pe_ref();
    return bad ? 1 : 0;
}
