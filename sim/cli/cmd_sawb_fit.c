/* cmd_sawb_fit.c: `qarray sawb-fit`: re-derive the SAWB coefficients from
 * six distributions and print them beside the shipped table. */
#include "quant/sawb.h"
#include "sim/cli/args.h"
#include "sim/cli/cmd.h"

typedef struct {
    int64_t samples, seed;
} SawbFitOpts;

static const ArgOpt opts[] = {
    {.name = "samples", .kind = ARG_I64, .off = offsetof(SawbFitOpts, samples),
     .meta = "N", .help = "samples per distribution", .lo = 1000, .hi = 100000000,
     .def = "1000000"},
    ARGS_OPT_SEED(SawbFitOpts, seed, "RNG seed"),
};

static int run(const Args *a, void *obj, Err *e)
{
    (void)a;
    const SawbFitOpts *o = obj;
    int bits[] = {2, 3, 4, 5, 8};
    QSawbFit f[5];
    if (q_sawb_fit(bits, 5, (size_t)o->samples, (uint64_t)o->seed, f, e))
        return QA_ERR;
    printf("# SAWB coefficients, %lld samples per distribution, seed %lld\n",
           (long long)o->samples, (long long)o->seed);
    printf("%-5s %9s %9s %10s %10s %10s\n", "bits", "fit_c1", "fit_c2", "shipped_c1",
           "shipped_c2", "max_resid");
    for (int b = 0; b < 5; b++) {
        double c1, c2;
        q_sawb_coef(bits[b], &c1, &c2, NULL);
        printf("%-5d %9.3f %9.3f %10.3f %10.3f %10.3f\n", bits[b], f[b].c1, f[b].c2, c1,
               c2, f[b].max_resid);
    }
    printf("# points: distribution sqrt(E w^2)/E|w| then alpha*/E|w| per width\n");
    printf("%-11s %7s", "dist", "x");
    for (int b = 0; b < 5; b++)
        printf(" %6s%d", "y", bits[b]);
    printf("\n");
    for (int d = 0; d < Q_DIST_COUNT; d++) {
        printf("%-11s %7.4f", q_dist_name(d), f[0].x[d]);
        for (int b = 0; b < 5; b++)
            printf(" %7.3f", f[b].y[d]);
        printf("\n");
    }
    return QA_OK;
}

const ArgCmd cmd_sawb_fit = {
    .name = "sawb-fit",
    .summary = "re-derive the SAWB coefficients from six distributions",
    .about = "Re-derives the SAWB coefficients (SAWB paper sec. 4, Fig. 7): for six\n"
             "distributions (Gaussian, uniform, Laplace, logistic, triangular, von\n"
             "Mises) the MSE-optimal alpha* of 2^b even levels, then the least-squares\n"
             "line alpha*/E|w| = c1 sqrt(E w^2)/E|w| - c2. Prints the fit beside the\n"
             "shipped (published) table for 2, 3, 4, 5 and 8 bits, then the six\n"
             "points per width.",
    .opts = opts, .nopts = (int)QA_COUNT(opts),
    .size = sizeof(SawbFitOpts),
    .run = run,
};
