/* cmd_quantize_tensor.c: the quantization subcommands: quantize-tensor (a .npy in, a
 * fake-quantized .npy and optional integer codes out), levels (print a
 * level set) and sawb-fit (re-derive the SAWB coefficients). Argument
 * checks happen before any output is opened; outputs are atomic. */
#include "sim/cli/cmd.h"
#include "arch/qa.h"
#include "quant/npy.h"
#include "quant/qtensor.h"
#include "quant/quantizer.h"
#include "quant/sawb.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Value of option argv[*i] ("--x v" or "--x=v"); NULL (and *e) if missing. */
static const char *opt_value(int argc, char **argv, int *i, const char *name, Err *e)
{
    size_t l = strlen(name);
    if (argv[*i][l] == '=')
        return argv[*i] + l + 1;
    if (*i + 1 >= argc) {
        err_set(e, NULL, 0, name, "needs a value");
        return NULL;
    }
    return argv[++*i];
}

/* 1 if argv[i] is the option name, as "--x" or "--x=..." */
static int is_opt(const char *arg, const char *name)
{
    size_t l = strlen(name);
    return !strncmp(arg, name, l) && (arg[l] == '\0' || arg[l] == '=');
}

static int parse_bits(const char *s, int *bits, Err *e)
{
    long v;
    if (qa_parse_long(s, &v) || !Q_BITS_VALID(v))
        return err_set(e, NULL, 0, "--bits", "must be 1..8 or 16, got '%s'", s);
    *bits = (int)v;
    return QA_OK;
}

/* Library errors name parameters ("bits"); on the command line they are flags. */
static void flagify(Err *e)
{
    static const char *flags[] = {"bits", "method", "alpha", "signed"};
    for (size_t i = 0; i < QA_COUNT(flags); i++)
        if (!e->file[0] && !strcmp(e->field, flags[i])) {
            char f[sizeof e->field];
            snprintf(f, sizeof f, "--%s", flags[i]);
            snprintf(e->field, sizeof e->field, "%s", f);
        }
}

static void quantize_usage(FILE *f)
{
    fprintf(f,
            "usage: qarray quantize-tensor --method M --bits N [--alpha A] [--signed]\n"
            "                              [--wn] -i in.npy -o out.npy [--codes codes.npy]\n\n"
            "Quantizes a float32 little-endian C-order .npy array as one tensor and writes\n"
            "the fake-quantized values (float32, same shape) to out.npy and, with --codes,\n"
            "the integer codes in the narrowest integer dtype. Prints one summary line.\n\n"
            "  --method M   %s\n"
            "  --bits N     1..8 or 16 (methods narrow this: sawb 2,3,4,5,8; apot 1..5\n"
            "               unsigned, 2..6 signed; pot up to 7/8; lloyd up to 8)\n"
            "  --alpha A    clip level (pact, cgpact, apot, pot, uniform, lloyd), step\n"
            "               size (lsq) or clip range (faq); > 0. Default: pact/cgpact 10,\n"
            "               apot family max|x|, lsq 2 mean|x|/sqrt(Q_P), faq calibrated.\n"
            "               dorefa and sawb take no alpha.\n"
            "  --signed     signed levels (weights); dorefa and sawb are always signed,\n"
            "               pact and cgpact never\n"
            "  --wn         weight normalization (APoT eq. 9) first (apot family only)\n\n"
            "methods:\n",
            q_method_names());
    for (int i = 0; q_method_at(i); i++)
        fprintf(f, "  %-8s %s\n", q_method_at(i)->name, q_method_at(i)->cite);
}

int cli_quantize_tensor(int argc, char **argv)
{
    const char *method = NULL, *in = NULL, *out = NULL, *codes_path = NULL;
    int bits = 0, is_signed = 0, wn = 0, have_alpha = 0;
    double alpha = 0.0;
    float *x = NULL, *y = NULL;
    QTensorInt t = {0};
    Quantizer q = {0};
    int q_ready = 0;
    Err e;
    err_clear(&e);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            quantize_usage(stdout);
            return 0;
        } else if (!strcmp(a, "--signed")) {
            is_signed = 1;
        } else if (!strcmp(a, "--wn")) {
            wn = 1;
        } else if (is_opt(a, "--method")) {
            if (!(method = opt_value(argc, argv, &i, "--method", &e)))
                goto fail;
        } else if (is_opt(a, "--bits")) {
            if (!(v = opt_value(argc, argv, &i, "--bits", &e)) || parse_bits(v, &bits, &e))
                goto fail;
        } else if (is_opt(a, "--alpha")) {
            if (!(v = opt_value(argc, argv, &i, "--alpha", &e)))
                goto fail;
            if (qa_parse_double(v, &alpha) || !(alpha > 0.0) || !isfinite(alpha)) {
                err_set(&e, NULL, 0, "--alpha", "must be a number > 0, got '%s'", v);
                goto fail;
            }
            have_alpha = 1;
        } else if (is_opt(a, "-i")) {
            if (!(in = opt_value(argc, argv, &i, "-i", &e)))
                goto fail;
        } else if (is_opt(a, "-o")) {
            if (!(out = opt_value(argc, argv, &i, "-o", &e)))
                goto fail;
        } else if (is_opt(a, "--codes")) {
            if (!(codes_path = opt_value(argc, argv, &i, "--codes", &e)))
                goto fail;
        } else {
            err_set(&e, NULL, 0, a, "unknown option (see qarray quantize-tensor --help)");
            goto fail;
        }
    }
    if (!method) {
        err_set(&e, NULL, 0, "--method", "required (one of %s)", q_method_names());
        goto fail;
    }
    if (!bits) {
        err_set(&e, NULL, 0, "--bits", "required");
        goto fail;
    }
    if (!in || !out) {
        err_set(&e, NULL, 0, in ? "-o" : "-i", "required");
        goto fail;
    }
    if (q_init(&q, method, bits, is_signed, &e))
        goto fail;
    q_ready = 1;
    if (have_alpha && q_set_alpha(&q, (float)alpha, &e))
        goto fail;
    if (wn) {
        if (q.ops->forward != q_apot_ops.forward) {
            err_set(&e, NULL, 0, "--wn", "only for apot, pot, uniform and lloyd");
            goto fail;
        }
        q.wn = 1;
    }
    NpyShape sh;
    if (npy_read_f32(in, &x, &sh, &e))
        goto fail;
    y = qa_malloc(sh.n * sizeof *y);
    if (!y) {
        err_set(&e, in, 0, NULL, "out of memory for %zu values", sh.n);
        goto fail;
    }
    if (q_tensor_export(&q, x, sh.n, &t, &e))
        goto fail;
    /* The forward itself, so out.npy is exactly what q_forward computes. */
    if (q_forward(&q, x, y, sh.n, &e))
        goto fail;
    /* Error against what the quantizer sees: with --wn that is the
     * normalized tensor (APoT eq. 9), which is also what the layer uses. */
    double se = 0.0;
    for (size_t i = 0; i < sh.n; i++) {
        double in = x[i];
        if (q.wn)
            in = (in - q.wn_mu) / ((double)q.wn_sigma + Q_WN_EPS);
        se += (in - y[i]) * (in - y[i]);
    }
    if (npy_write(out, NPY_F32, y, &sh, &e))
        goto fail;
    if (codes_path && npy_write(codes_path, t.dtype, t.codes, &sh, &e)) {
        remove(out); /* all or nothing */
        goto fail;
    }
    char al[32] = "-"; /* dorefa has none; faq signed uses the std rule */
    if (q.alpha > 0.0f)
        snprintf(al, sizeof al, "%.6g", (double)q.alpha);
    printf("%s %d-bit %s: %zu values, alpha %s, scale %.6g, zero_point %g, "
           "codes %s, levels %d, mse %.6g\n",
           q.ops->name, bits, q.is_signed ? "signed" : "unsigned", sh.n, al,
           (double)t.scale, (double)t.zero_point, npy_descr(t.dtype), t.n_levels,
           se / (double)sh.n);
    free(x);
    free(y);
    q_tensor_free(&t);
    q_free(&q);
    return 0;
fail:
    flagify(&e);
    err_print(&e, stderr);
    free(x);
    free(y);
    q_tensor_free(&t);
    if (q_ready)
        q_free(&q);
    return 1;
}

static void levels_usage(FILE *f)
{
    fprintf(f, "usage: qarray levels --method apot|pot|uniform --bits N [--signed]\n\n"
               "Prints the level set normalized to a maximum of 1 (APoT paper eq. 2,\n"
               "3, 5, 6; k = 2), one level per line as index and value. Signed sets\n"
               "use one of the N bits for the sign.\n");
}

int cli_levels(int argc, char **argv)
{
    const char *method = NULL;
    int bits = 0, is_signed = 0;
    QLevels lv = {0};
    Err e;
    err_clear(&e);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            levels_usage(stdout);
            return 0;
        } else if (!strcmp(a, "--signed")) {
            is_signed = 1;
        } else if (is_opt(a, "--method")) {
            if (!(method = opt_value(argc, argv, &i, "--method", &e)))
                goto fail;
        } else if (is_opt(a, "--bits")) {
            if (!(v = opt_value(argc, argv, &i, "--bits", &e)) || parse_bits(v, &bits, &e))
                goto fail;
        } else {
            err_set(&e, NULL, 0, a, "unknown option (see qarray levels --help)");
            goto fail;
        }
    }
    if (!method || !bits) {
        err_set(&e, NULL, 0, method ? "--bits" : "--method", "required");
        goto fail;
    }
    int rc;
    if (!strcmp(method, "apot"))
        rc = q_levels_apot(&lv, bits, is_signed, &e);
    else if (!strcmp(method, "pot"))
        rc = q_levels_pot(&lv, bits, is_signed, &e);
    else if (!strcmp(method, "uniform"))
        rc = q_levels_uniform(&lv, bits, is_signed, &e);
    else
        rc = err_set(&e, NULL, 0, "--method",
                     "'%s' has no fixed level set (apot, pot or uniform)", method);
    if (rc)
        goto fail;
    printf("# %s, %d bits, %s, %d levels\n", method, bits,
           is_signed ? "signed" : "unsigned", lv.n);
    for (int i = 0; i < lv.n; i++)
        printf("%d %.9g\n", i, (double)lv.v[i]);
    q_levels_free(&lv);
    return 0;
fail:
    flagify(&e);
    err_print(&e, stderr);
    return 1;
}

static void sawb_fit_usage(FILE *f)
{
    fprintf(f, "usage: qarray sawb-fit [--samples N] [--seed S]\n\n"
               "Re-derives the SAWB coefficients (SAWB paper sec. 4, Fig. 7): for six\n"
               "distributions (Gaussian, uniform, Laplace, logistic, triangular, von\n"
               "Mises) the MSE-optimal alpha* of 2^b even levels, then the least-squares\n"
               "line alpha*/E|w| = c1 sqrt(E w^2)/E|w| - c2. Prints the fit beside the\n"
               "shipped (published) table for 2, 3, 4, 5 and 8 bits, then the six\n"
               "points per width.\n\n"
               "  --samples N  samples per distribution (default 1000000, >= 1000)\n"
               "  --seed S     RNG seed (default 1)\n");
}

int cli_sawb_fit(int argc, char **argv)
{
    long samples = 1000000, seed = 1;
    Err e;
    err_clear(&e);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            sawb_fit_usage(stdout);
            return 0;
        } else if (is_opt(a, "--samples")) {
            if (!(v = opt_value(argc, argv, &i, "--samples", &e)))
                goto fail;
            if (qa_parse_long(v, &samples) || samples < 1000 || samples > 100000000) {
                err_set(&e, NULL, 0, "--samples", "must be 1000..100000000, got '%s'", v);
                goto fail;
            }
        } else if (is_opt(a, "--seed")) {
            if (!(v = opt_value(argc, argv, &i, "--seed", &e)))
                goto fail;
            if (qa_parse_long(v, &seed) || seed < 0) {
                err_set(&e, NULL, 0, "--seed", "must be an integer >= 0, got '%s'", v);
                goto fail;
            }
        } else {
            err_set(&e, NULL, 0, a, "unknown option (see qarray sawb-fit --help)");
            goto fail;
        }
    }
    int bits[] = {2, 3, 4, 5, 8};
    QSawbFit f[5];
    if (q_sawb_fit(bits, 5, (size_t)samples, (uint64_t)seed, f, &e))
        goto fail;
    printf("# SAWB coefficients, %ld samples per distribution, seed %ld\n", samples, seed);
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
    return 0;
fail:
    err_print(&e, stderr);
    return 1;
}
