/* levels.c: level-set construction (APoT paper eq. 2, 3, 5, 6; Lloyd-Max)
 * and the lookup table behind q_levels_index. */
#include "quant/levels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int q_levels_search(const QLevels *lv, float t, uint32_t from)
{
    uint32_t lo = from, hi = (uint32_t)lv->n - 1; /* mid[n-1] = +inf > t */
    while (lo < hi) {
        uint32_t m = lo + (hi - lo) / 2;
        if (t >= lv->mid[m])
            lo = m + 1;
        else
            hi = m;
    }
    return (int)lo;
}

void q_levels_free(QLevels *lv)
{
    free(lv->v);
    free(lv->mid);
    free(lv->lut);
    memset(lv, 0, sizeof *lv);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int q_levels_set(QLevels *lv, const double *v, int n, Err *e)
{
    memset(lv, 0, sizeof *lv);
    if (n < 1)
        return err_set(e, NULL, 0, "levels", "empty level set");
    double *s = qa_malloc((size_t)n * sizeof *s);
    if (!s)
        return err_set(e, NULL, 0, "levels", "out of memory");
    memcpy(s, v, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    int m = 0;
    for (int i = 0; i < n; i++)
        if (m == 0 || (float)s[i] != (float)s[m - 1])
            s[m++] = s[i];
    /* Buckets: at least 4096 and about 4 per level, so that a bucket holds
     * at most a few midpoints whatever the spacing (APoT's finest gap at
     * 5 bits is 1/100 of the range). */
    int n_lut = QA_MAX(4096, 4 * m);
    lv->v = qa_malloc((size_t)m * sizeof *lv->v);
    lv->mid = qa_malloc((size_t)m * sizeof *lv->mid);
    lv->lut = qa_malloc(((size_t)n_lut + 1) * sizeof *lv->lut);
    if (!lv->v || !lv->mid || !lv->lut) {
        free(s);
        q_levels_free(lv);
        return err_set(e, NULL, 0, "levels", "out of memory");
    }
    lv->n = m;
    lv->n_lut = n_lut;
    for (int i = 0; i < m; i++)
        lv->v[i] = (float)s[i];
    for (int i = 0; i + 1 < m; i++)
        lv->mid[i] = 0.5f * (lv->v[i] + lv->v[i + 1]);
    lv->mid[m - 1] = INFINITY; /* sentinel: the scan stops at the top level */
    lv->lo = lv->v[0];
    double range = (double)lv->v[m - 1] - (double)lv->v[0];
    lv->lut_scale = range > 0 ? (float)(n_lut / range) : 0.0f;
    /* Levels closer than a float bucket scale can say (a Lloyd set fitted
     * to data scaled by alpha = 1e36 spans 1e-36: n_lut / range is no
     * float): no table, a binary search from level 0. */
    if (!isfinite(lv->lut_scale) || (range > 0 && lv->lut_scale == 0.0f)) {
        memset(lv->lut, 0, ((size_t)n_lut + 1) * sizeof *lv->lut);
        lv->lut_scale = 0.0f;
        lv->steps = Q_LEVELS_MAX_STEPS + 1;
        free(s);
        return QA_OK;
    }
    /* lut[j] = number of midpoints below the start of bucket j, taken a
     * hundredth of a bucket early so that a float rounding of the bucket
     * number can only make the scan start one level low, never high. */
    int i = 0, top = 0;
    lv->steps = 0;
    for (int j = 0; j <= n_lut; j++) {
        double start = (double)lv->lo + (j - 0.01) * (range / n_lut);
        double end = (double)lv->lo + (j + 1.01) * (range / n_lut);
        while (i + 1 < m && (double)lv->mid[i] < start)
            i++;
        lv->lut[j] = (uint32_t)i;
        /* the answer for any t of this bucket is at most the number of
         * midpoints <= end: that many steps from lut[j] */
        while (top + 1 < m && (double)lv->mid[top] <= end)
            top++;
        lv->steps = QA_MAX(lv->steps, top - i);
    }
    free(s);
    return QA_OK;
}

/* APoT eq. 5 (even b = 2n) and eq. 6 (odd b = 2n+1), k = 2, unsigned, before
 * normalization. Eq. 5: p_i in {0, 2^-i, 2^-(i+n), 2^-(i+2n)}, i < n.
 * Eq. 6 as printed reads p_i in {0, 2^-i, 2^-(i+n), 2^-(i+2n+1)} and
 * p~ in {0, 2^-(i+2n)}; the "i" of p~ is read as 0, i.e. p~ takes the one
 * exponent 2n that the p_i leave out. This reproduces the paper's 3-bit
 * example ({0, 2^-1, 2^-2, 2^-4} + {0, 2^-3} is the same set up to the scale
 * gamma) and makes all 2^b sums distinct. */
static int apot_raw(int b, double *out)
{
    int n = b / 2, odd = b % 2;
    if (b == 1) { /* one magnitude bit: {0, 1} */
        out[0] = 0.0;
        out[1] = 1.0;
        return 2;
    }
    int cnt = 1;
    out[0] = 0.0;
    for (int i = 0; i < n; i++) {
        double p[4] = {0.0, ldexp(1.0, -i), ldexp(1.0, -(i + n)),
                       ldexp(1.0, -(i + 2 * n + odd))};
        int m = cnt;
        for (int a = 1; a < 4; a++)
            for (int c = 0; c < m; c++)
                out[cnt++] = out[c] + p[a];
    }
    if (odd) {
        int m = cnt;
        for (int c = 0; c < m; c++)
            out[cnt++] = out[c] + ldexp(1.0, -2 * n);
    }
    return cnt;
}

/* Mirror an unsigned set (with 0) to a signed one, normalize to max 1. */
static int finish(QLevels *lv, double *mag, int m, int is_signed, Err *e)
{
    double mx = 0.0;
    for (int i = 0; i < m; i++)
        mx = mag[i] > mx ? mag[i] : mx;
    double *all = qa_malloc(2 * (size_t)m * sizeof *all);
    if (!all)
        return err_set(e, NULL, 0, "levels", "out of memory");
    int n = 0;
    for (int i = 0; i < m; i++) {
        all[n++] = mag[i] / mx;
        if (is_signed && mag[i] > 0)
            all[n++] = -mag[i] / mx;
    }
    int rc = q_levels_set(lv, all, n, e);
    free(all);
    return rc;
}

int q_levels_apot(QLevels *lv, int bits, int is_signed, Err *e)
{
    int b = bits - (is_signed ? 1 : 0);
    if (b < 1 || b > 5)
        return err_set(e, NULL, 0, "bits",
                       "apot supports 1..5 bits unsigned and 2..6 bits signed, got %d",
                       bits);
    double mag[32];
    int m = apot_raw(b, mag);
    return finish(lv, mag, m, is_signed, e);
}

int q_levels_pot(QLevels *lv, int bits, int is_signed, Err *e)
{
    int b = bits - (is_signed ? 1 : 0);
    if (b < 1 || b > 7)
        return err_set(e, NULL, 0, "bits",
                       "pot supports 1..7 bits unsigned and 2..8 bits signed, got %d",
                       bits);
    int m = (1 << b) - 1; /* positive levels 2^0 .. 2^-(m-1) (eq. 3) */
    double mag[128];
    mag[0] = 0.0;
    for (int j = 0; j < m; j++)
        mag[j + 1] = ldexp(1.0, -j);
    return finish(lv, mag, m + 1, is_signed, e);
}

int q_levels_uniform(QLevels *lv, int bits, int is_signed, Err *e)
{
    int b = bits - (is_signed ? 1 : 0);
    if (b < 1 || b > 16)
        return err_set(e, NULL, 0, "bits",
                       "uniform supports 1..16 bits unsigned and 2..16 bits signed, got %d",
                       bits);
    int m = (1 << b) - 1; /* eq. 2: j / (2^(b-1) - 1) signed, b counting the sign */
    double *mag = qa_malloc(((size_t)m + 1) * sizeof *mag);
    if (!mag)
        return err_set(e, NULL, 0, "levels", "out of memory");
    for (int j = 0; j <= m; j++)
        mag[j] = (double)j / m;
    int rc = finish(lv, mag, m + 1, is_signed, e);
    free(mag);
    return rc;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* First index in sorted s[0..n) with s[i] >= x. */
static size_t lower_bound(const float *s, size_t n, double x)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t m = lo + (hi - lo) / 2;
        if ((double)s[m] < x)
            lo = m + 1;
        else
            hi = m;
    }
    return lo;
}

int q_levels_lloyd(QLevels *lv, const float *t, size_t n, int bits,
                   int iters, Err *e)
{
    memset(lv, 0, sizeof *lv);
    if (bits < 1 || bits > 16)
        return err_set(e, NULL, 0, "bits", "lloyd supports 1..16 bits, got %d", bits);
    if (n == 0)
        return err_set(e, NULL, 0, "levels", "lloyd needs data");
    int L = 1 << bits;
    float *s = qa_malloc(n * sizeof *s);
    double *pre = qa_malloc((n + 1) * sizeof *pre);
    double *c = qa_malloc((size_t)L * sizeof *c);
    size_t *cut = qa_malloc(((size_t)L + 1) * sizeof *cut);
    int rc = QA_ERR;
    if (!s || !pre || !c || !cut) {
        err_set(e, NULL, 0, "levels", "out of memory");
        goto done;
    }
    memcpy(s, t, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_float);
    pre[0] = 0.0;
    for (size_t i = 0; i < n; i++)
        pre[i + 1] = pre[i] + (double)s[i];
    for (int j = 0; j < L; j++) /* sample quantiles (j + 1/2) / L */
        c[j] = (double)s[(size_t)(((double)j + 0.5) / L * (double)n)];
    for (int it = 0; it < iters; it++) {
        /* Cells are split at the midpoints between neighbouring levels;
         * each level moves to the mean of its cell (Lloyd's two steps). */
        cut[0] = 0;
        cut[L] = n;
        for (int j = 1; j < L; j++)
            cut[j] = lower_bound(s, n, 0.5 * (c[j - 1] + c[j]));
        double moved = 0.0;
        for (int j = 0; j < L; j++) {
            size_t a = cut[j], b = cut[j + 1];
            if (b <= a)
                continue; /* empty cell: the level stays */
            double m = (pre[b] - pre[a]) / (double)(b - a);
            moved = fmax(moved, fabs(m - c[j]));
            c[j] = m;
        }
        if (moved < 1e-9)
            break;
    }
    rc = q_levels_set(lv, c, L, e);
done:
    free(s);
    free(pre);
    free(c);
    free(cut);
    return rc;
}
