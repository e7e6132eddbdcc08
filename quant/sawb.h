/* sawb.h: statistics-aware weight binning (SAWB paper sec. 4).
 * alpha = c1 sqrt(E[w^2]) - c2 E[|w|] (max|w| if that is <= 0), 2^b levels
 * evenly spaced in [-alpha, alpha]. The coefficients come from a shipped
 * table; q_sawb_fit re-derives them as the paper does (Fig. 7): MSE-optimal
 * alpha* of six distributions, then least squares of alpha* / E|w| against
 * sqrt(E w^2)/E|w|. The quantizer itself is q_sawb_ops (quantizer.h). */
#ifndef SAWB_H
#define SAWB_H

#include "arch/qa.h"
#include "quant/rng.h"

/* Shipped (published) coefficients for bits 2, 3, 4, 5, 8; QA_ERR (field
 * "bits") for any other width. */
int q_sawb_coef(int bits, double *c1, double *c2, Err *e);
/* alpha from the statistics of w (n > 0). */
float q_sawb_alpha(const float *w, size_t n, double c1, double c2);

/* Sorted magnitudes with prefix sums, for O(levels log n) evaluation of the
 * squared error of any alpha. */
typedef struct {
    float *m;         /* (n) |w| ascending */
    double *p1, *p2;  /* (n+1) prefix sums of m and m^2 */
    size_t n;
} QMagnitudes;

int q_mag_init(QMagnitudes *mg, const float *w, size_t n, Err *e);
void q_mag_free(QMagnitudes *mg);
/* Sum of squared errors of 2^bits evenly spaced levels in [-alpha, alpha]. */
double q_sawb_sq_error(const QMagnitudes *mg, int bits, double alpha);
/* The alpha* minimizing that error (eq. 6): a dense log grid over
 * (0, max|w|] then golden-section refinement. *se gets its error. */
double q_sawb_opt_alpha(const QMagnitudes *mg, int bits, double *se);

/* The six distributions of sec. 4 with the paper's parameters: Gaussian
 * (0, 1), uniform [-1, 1], Laplace (0, decay 1), logistic (0, scale 1),
 * triangular (0, extremes +-2), von Mises (centre 0, dispersion 4). */
enum { Q_DIST_GAUSS, Q_DIST_UNIFORM, Q_DIST_LAPLACE, Q_DIST_LOGISTIC,
       Q_DIST_TRIANGULAR, Q_DIST_VONMISES, Q_DIST_COUNT };
const char *q_dist_name(int d);
void q_dist_sample(int d, Rng *r, float *out, size_t n);

typedef struct {
    int bits;
    double c1, c2;                /* fitted: alpha* / E|w| = c1 x - c2 */
    double x[Q_DIST_COUNT];       /* sqrt(E w^2) / E|w| per distribution */
    double y[Q_DIST_COUNT];       /* alpha* / E|w| per distribution */
    double max_resid;             /* largest |fit - y| over the six points */
} QSawbFit;

/* Fit c1, c2 for each of nb bit widths from n samples per distribution
 * drawn with the given seed. */
int q_sawb_fit(const int *bits, int nb, size_t n, uint64_t seed,
               QSawbFit *out, Err *e);

#endif
