/* sawb_fit.c: derivation of the SAWB coefficients (SAWB paper sec. 4,
 * Fig. 7). For each of six distributions and each level count L = 2^b, the
 * MSE-optimal alpha* (eq. 6) is found by search over the sorted sample; then
 * alpha* / E|w| = c1 sqrt(E w^2)/E|w| - c2 is fitted by least squares over the
 * six points. Everything is scale-free, so only the shapes matter (von Mises
 * dispersion 4 is the one shape parameter). */
#include "quant/sawb.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

int q_mag_init(QMagnitudes *mg, const float *w, size_t n, Err *e)
{
    memset(mg, 0, sizeof *mg);
    if (n == 0)
        return err_set(e, NULL, 0, "n", "no samples");
    mg->m = qa_malloc(n * sizeof *mg->m);
    mg->p1 = qa_malloc((n + 1) * sizeof *mg->p1);
    mg->p2 = qa_malloc((n + 1) * sizeof *mg->p2);
    if (!mg->m || !mg->p1 || !mg->p2) {
        q_mag_free(mg);
        return err_set(e, NULL, 0, "n", "out of memory for %zu samples", n);
    }
    mg->n = n;
    for (size_t i = 0; i < n; i++)
        mg->m[i] = fabsf(w[i]);
    qsort(mg->m, n, sizeof *mg->m, cmp_float);
    mg->p1[0] = mg->p2[0] = 0.0;
    for (size_t i = 0; i < n; i++) {
        mg->p1[i + 1] = mg->p1[i] + (double)mg->m[i];
        mg->p2[i + 1] = mg->p2[i] + (double)mg->m[i] * (double)mg->m[i];
    }
    return QA_OK;
}

void q_mag_free(QMagnitudes *mg)
{
    free(mg->m);
    free(mg->p1);
    free(mg->p2);
    memset(mg, 0, sizeof *mg);
}

static size_t lower_bound(const float *s, size_t n, double x)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if ((double)s[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

double q_sawb_sq_error(const QMagnitudes *mg, int bits, double alpha)
{
    /* Positive levels q_j = alpha (2j+1)/(L-1), j < L/2; magnitudes in
     * [alpha 2j/(L-1), alpha (2j+2)/(L-1)) go to q_j, the last cell is open
     * above (clipping). Per cell: sum (m - q)^2 = S2 - 2 q S1 + q^2 count. */
    long L = 1L << bits;
    double step = alpha / (double)(L - 1);
    double se = 0.0;
    size_t a = 0;
    for (long j = 0; j < L / 2; j++) {
        size_t b = j + 1 < L / 2 ? lower_bound(mg->m, mg->n, step * (2 * j + 2))
                                 : mg->n;
        if (b > a) {
            double q = step * (2 * j + 1);
            double s1 = mg->p1[b] - mg->p1[a], s2 = mg->p2[b] - mg->p2[a];
            se += s2 - 2.0 * q * s1 + q * q * (double)(b - a);
        }
        a = b;
    }
    return se > 0.0 ? se : 0.0;
}

double q_sawb_opt_alpha(const QMagnitudes *mg, int bits, double *se)
{
    /* Dense grid: 2000 log-spaced alphas in [1e-3, 1] max|w| (the error is
     * not unimodal at fine level counts, so no bracketing from one guess). */
    const int G = 2000;
    double mx = (double)mg->m[mg->n - 1];
    if (!(mx > 0.0)) {
        if (se)
            *se = 0.0;
        return 0.0;
    }
    double lo = 1e-3 * mx, ratio = pow(1e3, 1.0 / (G - 1));
    double best_a = lo, best_e = (double)INFINITY, a = lo;
    for (int g = 0; g < G; g++, a *= ratio) {
        double err = q_sawb_sq_error(mg, bits, a);
        if (err < best_e) {
            best_e = err;
            best_a = a;
        }
    }
    /* Golden-section search between the grid neighbours of the best point. */
    double x0 = best_a / ratio, x3 = best_a * ratio;
    const double gr = 0.6180339887498949;
    double x1 = x3 - gr * (x3 - x0), x2 = x0 + gr * (x3 - x0);
    double f1 = q_sawb_sq_error(mg, bits, x1), f2 = q_sawb_sq_error(mg, bits, x2);
    for (int it = 0; it < 60; it++) {
        if (f1 < f2) {
            x3 = x2;
            x2 = x1;
            f2 = f1;
            x1 = x3 - gr * (x3 - x0);
            f1 = q_sawb_sq_error(mg, bits, x1);
        } else {
            x0 = x1;
            x1 = x2;
            f1 = f2;
            x2 = x0 + gr * (x3 - x0);
            f2 = q_sawb_sq_error(mg, bits, x2);
        }
    }
    double fa = f1 < f2 ? f1 : f2, xa = f1 < f2 ? x1 : x2;
    if (fa < best_e) {
        best_e = fa;
        best_a = xa;
    }
    if (se)
        *se = best_e;
    return best_a;
}

const char *q_dist_name(int d)
{
    static const char *names[Q_DIST_COUNT] = {"gaussian", "uniform", "laplace",
                                              "logistic", "triangular", "vonmises"};
    return d >= 0 && d < Q_DIST_COUNT ? names[d] : "?";
}

/* von Mises (mu 0, kappa) by Best and Fisher (1979), Appl. Stat. 28:152. */
static double vonmises(Rng *r, double kappa)
{
    double tau = 1.0 + sqrt(1.0 + 4.0 * kappa * kappa);
    double rho = (tau - sqrt(2.0 * tau)) / (2.0 * kappa);
    double rr = (1.0 + rho * rho) / (2.0 * rho);
    for (;;) {
        double u1 = rng_uniform(r), u2 = rng_uniform_pos(r), u3 = rng_uniform(r);
        double z = cos(3.14159265358979323846 * u1);
        double f = (1.0 + rr * z) / (rr + z);
        double c = kappa * (rr - f);
        if (c * (2.0 - c) - u2 > 0.0 || log(c / u2) + 1.0 - c >= 0.0) {
            double th = acos(f < -1.0 ? -1.0 : (f > 1.0 ? 1.0 : f));
            return u3 < 0.5 ? -th : th;
        }
    }
}

void q_dist_sample(int d, Rng *r, float *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double v = 0.0, u;
        switch (d) {
        case Q_DIST_GAUSS:
            v = rng_normal(r);
            break;
        case Q_DIST_UNIFORM:
            v = 2.0 * rng_uniform(r) - 1.0;
            break;
        case Q_DIST_LAPLACE: /* inverse CDF, decay (scale) 1 */
            u = rng_uniform_pos(r) - 0.5;
            v = u < 0 ? log(1.0 + 2.0 * u) : -log(1.0 - 2.0 * u);
            break;
        case Q_DIST_LOGISTIC: /* inverse CDF, scale 1 */
            u = rng_uniform_pos(r);
            v = log(u / (1.0 - u));
            break;
        case Q_DIST_TRIANGULAR: /* sum of two U[-1, 1]: support [-2, 2] */
            v = 2.0 * rng_uniform(r) - 1.0 + 2.0 * rng_uniform(r) - 1.0;
            break;
        case Q_DIST_VONMISES:
            v = vonmises(r, 4.0);
            break;
        default:
            break;
        }
        out[i] = (float)v;
    }
}

int q_sawb_fit(const int *bits, int nb, size_t n, uint64_t seed,
               QSawbFit *out, Err *e)
{
    if (n < 1000)
        return err_set(e, NULL, 0, "samples", "need at least 1000 samples, got %zu", n);
    for (int b = 0; b < nb; b++) {
        if (bits[b] < 1 || bits[b] > 16)
            return err_set(e, NULL, 0, "bits", "must be 1..16, got %d", bits[b]);
        memset(&out[b], 0, sizeof out[b]);
        out[b].bits = bits[b];
    }
    float *w = qa_malloc(n * sizeof *w);
    if (!w)
        return err_set(e, NULL, 0, "samples", "out of memory for %zu samples", n);
    Rng r;
    rng_seed(&r, seed);
    for (int d = 0; d < Q_DIST_COUNT; d++) {
        q_dist_sample(d, &r, w, n);
        QMagnitudes mg;
        if (q_mag_init(&mg, w, n, e)) {
            free(w);
            return QA_ERR;
        }
        double e1 = mg.p1[n] / (double)n, e2 = mg.p2[n] / (double)n;
        for (int b = 0; b < nb; b++) {
            out[b].x[d] = sqrt(e2) / e1;
            out[b].y[d] = q_sawb_opt_alpha(&mg, bits[b], NULL) / e1;
        }
        q_mag_free(&mg);
        qa_progress("sawb-fit", d + 1, Q_DIST_COUNT);
    }
    free(w);
    for (int b = 0; b < nb; b++) { /* least squares y = c1 x - c2 */
        QSawbFit *f = &out[b];
        double mx = 0, my = 0, sxx = 0, sxy = 0;
        for (int d = 0; d < Q_DIST_COUNT; d++) {
            mx += f->x[d] / Q_DIST_COUNT;
            my += f->y[d] / Q_DIST_COUNT;
        }
        for (int d = 0; d < Q_DIST_COUNT; d++) {
            sxx += (f->x[d] - mx) * (f->x[d] - mx);
            sxy += (f->x[d] - mx) * (f->y[d] - my);
        }
        f->c1 = sxy / sxx;
        f->c2 = f->c1 * mx - my;
        for (int d = 0; d < Q_DIST_COUNT; d++) {
            double res = fabs(f->c1 * f->x[d] - f->c2 - f->y[d]);
            f->max_resid = res > f->max_resid ? res : f->max_resid;
        }
    }
    return QA_OK;
}
