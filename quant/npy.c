/* npy.c: reader and writer for the NumPy .npy format: a 6-byte magic
 * "\x93NUMPY", a version byte pair, a little-endian header length (2 bytes
 * in 1.0, 4 bytes in 2.0/3.0), an ASCII Python dict literal
 * {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } padded with
 * spaces and a newline so the data starts on a 64-byte boundary, then the
 * raw elements in C order. */
#include "quant/npy.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    NpyType t;
    const char *descr;
    size_t size;
} types[] = {
    {NPY_F32, "<f4", 4}, {NPY_I8, "|i1", 1},  {NPY_U8, "|u1", 1},
    {NPY_I16, "<i2", 2}, {NPY_U16, "<u2", 2}, {NPY_I32, "<i4", 4},
};

const char *npy_descr(NpyType t)
{
    for (size_t i = 0; i < QA_COUNT(types); i++)
        if (types[i].t == t)
            return types[i].descr;
    return "?";
}

size_t npy_type_size(NpyType t)
{
    for (size_t i = 0; i < QA_COUNT(types); i++)
        if (types[i].t == t)
            return types[i].size;
    return 0;
}

/* Position just after "'key':" (or "\"key\":") in hdr, or NULL. */
static const char *find_key(const char *hdr, size_t len, const char *key)
{
    size_t kl = strlen(key);
    for (size_t i = 0; i + kl + 2 <= len; i++) {
        if ((hdr[i] != '\'' && hdr[i] != '"') || memcmp(hdr + i + 1, key, kl) ||
            hdr[i + 1 + kl] != hdr[i])
            continue;
        const char *p = hdr + i + kl + 2, *end = hdr + len;
        while (p < end && isspace((unsigned char)*p))
            p++;
        if (p < end && *p == ':')
            return p + 1;
    }
    return NULL;
}

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && isspace((unsigned char)*p))
        p++;
    return p;
}

int npy_parse_header(const char *path, const char *hdr, size_t len,
                     char descr[16], int *fortran, NpyShape *sh, Err *e)
{
    const char *end = hdr + len;
    const char *p = find_key(hdr, len, "descr");
    if (!p)
        return err_set(e, path, 0, "descr", "missing in .npy header");
    p = skip_ws(p, end);
    if (p >= end || (*p != '\'' && *p != '"'))
        return err_set(e, path, 0, "descr",
                       "not a simple dtype string (structured arrays are not supported)");
    char quote = *p++;
    size_t k = 0;
    while (p < end && *p != quote && k < 15)
        descr[k++] = *p++;
    descr[k] = '\0';
    if (p >= end || *p != quote)
        return err_set(e, path, 0, "descr", "unterminated dtype string");

    p = find_key(hdr, len, "fortran_order");
    if (!p)
        return err_set(e, path, 0, "fortran_order", "missing in .npy header");
    p = skip_ws(p, end);
    if (end - p >= 4 && !memcmp(p, "True", 4))
        *fortran = 1;
    else if (end - p >= 5 && !memcmp(p, "False", 5))
        *fortran = 0;
    else
        return err_set(e, path, 0, "fortran_order", "expected True or False");

    p = find_key(hdr, len, "shape");
    if (!p)
        return err_set(e, path, 0, "shape", "missing in .npy header");
    p = skip_ws(p, end);
    if (p >= end || *p != '(')
        return err_set(e, path, 0, "shape", "expected a tuple");
    p++;
    sh->ndim = 0;
    sh->n = 1;
    for (;;) {
        p = skip_ws(p, end);
        if (p < end && *p == ')')
            break;
        if (p >= end || !isdigit((unsigned char)*p))
            return err_set(e, path, 0, "shape", "expected a non-negative integer");
        if (sh->ndim == NPY_MAX_DIMS)
            return err_set(e, path, 0, "shape", "more than %d dimensions",
                           NPY_MAX_DIMS);
        int64_t d = 0;
        while (p < end && isdigit((unsigned char)*p)) {
            d = d * 10 + (*p++ - '0');
            if (d > ((int64_t)1 << 40))
                return err_set(e, path, 0, "shape", "dimension too large");
        }
        if (d == 0)
            return err_set(e, path, 0, "shape", "empty array (a dimension is 0)");
        if (sh->n > ((size_t)1 << 40) / (size_t)d)
            return err_set(e, path, 0, "shape", "array too large");
        sh->shape[sh->ndim++] = d;
        sh->n *= (size_t)d;
        p = skip_ws(p, end);
        if (p < end && *p == ',')
            p++;
        else if (p < end && *p == ')')
            break;
        else
            return err_set(e, path, 0, "shape", "malformed tuple");
    }
    return QA_OK;
}

int npy_read_f32(const char *path, float **data, NpyShape *sh, Err *e)
{
    *data = NULL;
    char *hdr = NULL;
    float *buf = NULL;
    FILE *f = qa_open_input(path, ".npy file", 0, e);
    if (!f)
        return QA_ERR;
    unsigned char pre[12];
    size_t got = fread(pre, 1, 10, f);
    if (got < 10 || memcmp(pre, "\x93NUMPY", 6)) {
        err_set(e, path, 0, "magic", "not a NumPy .npy file");
        goto fail;
    }
    size_t hlen;
    if (pre[6] == 1) {
        hlen = (size_t)pre[8] | (size_t)pre[9] << 8;
    } else if (pre[6] == 2 || pre[6] == 3) {
        if (fread(pre + 10, 1, 2, f) != 2) {
            err_set(e, path, 0, "header", "truncated");
            goto fail;
        }
        hlen = (size_t)pre[8] | (size_t)pre[9] << 8 | (size_t)pre[10] << 16 |
               (size_t)pre[11] << 24;
        if (hlen > (1u << 20)) {
            err_set(e, path, 0, "header", "header length %zu is implausible", hlen);
            goto fail;
        }
    } else {
        err_set(e, path, 0, "version", "unsupported .npy version %d.%d",
                pre[6], pre[7]);
        goto fail;
    }
    hdr = qa_malloc(hlen + 1);
    if (!hdr) {
        err_set(e, path, 0, NULL, "out of memory");
        goto fail;
    }
    if (fread(hdr, 1, hlen, f) != hlen) {
        err_set(e, path, 0, "header", "truncated");
        goto fail;
    }
    hdr[hlen] = '\0';
    char descr[16];
    int fortran;
    if (npy_parse_header(path, hdr, hlen, descr, &fortran, sh, e))
        goto fail;
    if (strcmp(descr, "<f4")) {
        err_set(e, path, 0, "descr",
                "dtype '%s' is not supported, expected '<f4' (float32 little-endian)",
                descr);
        goto fail;
    }
    if (fortran) {
        err_set(e, path, 0, "fortran_order",
                "Fortran-order arrays are not supported, save in C order");
        goto fail;
    }
    /* The shape may promise terabytes; the file is what backs it. Compare
     * before allocating, so a corrupt or hostile header costs nothing. */
    long here = ftell(f);
    if (here < 0 || fseek(f, 0, SEEK_END) != 0) {
        err_set(e, path, 0, "data", "cannot seek: %s", strerror(errno));
        goto fail;
    }
    long fsize = ftell(f);
    if (fsize < here || fseek(f, here, SEEK_SET) != 0) {
        err_set(e, path, 0, "data", "cannot seek: %s", strerror(errno));
        goto fail;
    }
    size_t have = (size_t)(fsize - here);
    if (have / sizeof *buf < sh->n) {
        err_set(e, path, 0, "data",
                "truncated: shape needs %zu float32 values, file has %zu",
                sh->n, have / sizeof *buf);
        goto fail;
    }
    buf = qa_malloc(sh->n * sizeof *buf);
    if (!buf) {
        err_set(e, path, 0, NULL, "out of memory for %zu elements", sh->n);
        goto fail;
    }
    got = fread(buf, sizeof *buf, sh->n, f);
    if (got != sh->n) {
        err_set(e, path, 0, "data",
                "truncated: shape needs %zu float32 values, file has %zu",
                sh->n, got);
        goto fail;
    }
    if (fgetc(f) != EOF) {
        err_set(e, path, 0, "data", "trailing bytes after the %zu values of the shape",
                sh->n);
        goto fail;
    }
    free(hdr);
    fclose(f);
    *data = buf;
    return QA_OK;
fail:
    free(hdr);
    free(buf);
    fclose(f);
    return QA_ERR;
}

int npy_check_finite(const char *path, const float *x, size_t n, Err *e)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return err_set(e, path, 0, "data", "element %zu is %s: a quantizer needs finite "
                           "values", i, isnan(x[i]) ? "NaN" : x[i] > 0 ? "inf" : "-inf");
    return QA_OK;
}

int npy_write(const char *path, NpyType t, const void *data,
              const NpyShape *sh, Err *e)
{
    char dict[512];
    int k = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (",
                     npy_descr(t));
    /* as Python prints a tuple: "(3,)", "(2, 3)", "()" */
    for (int i = 0; i < sh->ndim; i++)
        k += snprintf(dict + k, sizeof dict - (size_t)k, "%s%lld", i ? ", " : "",
                      (long long)sh->shape[i]);
    if (sh->ndim == 1)
        k += snprintf(dict + k, sizeof dict - (size_t)k, ",");
    k += snprintf(dict + k, sizeof dict - (size_t)k, "), }");
    /* 10 bytes of preamble + dict + padding + '\n' is a multiple of 64. */
    size_t total = 10 + (size_t)k + 1;
    size_t pad = (64 - total % 64) % 64;
    size_t hlen = (size_t)k + pad + 1;
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
                             (unsigned char)(hlen & 0xff),
                             (unsigned char)(hlen >> 8)};
    AtomicFile af;
    if (qa_afile_open(&af, path, e))
        return QA_ERR;
    fwrite(pre, 1, sizeof pre, af.f);
    fwrite(dict, 1, (size_t)k, af.f);
    for (size_t i = 0; i < pad; i++)
        fputc(' ', af.f);
    fputc('\n', af.f);
    size_t sz = npy_type_size(t);
    if (fwrite(data, sz, sh->n, af.f) != sh->n)
        return qa_afile_fail(&af, e);
    return qa_afile_commit(&af, e);
}
