/* safetensors.c: writer and validating reader of safetensors files. The
 * JSON reader handles exactly the grammar safetensors headers use: one
 * object of objects, strings (with \" \\ \/ \b \f \n \r \t and \u00XX
 * escapes), non-negative integers and arrays of them. */
#include "quant/int/safetensors.h"

#include <stdlib.h>
#include <string.h>

static const char *names[ST_NTYPES] = {"F32", "I8", "U8", "I16", "I32", "I64"};
static const size_t sizes[ST_NTYPES] = {4, 1, 1, 2, 4, 8};

const char *st_dtype_name(StDtype d) { return names[d]; }
size_t st_dtype_size(StDtype d) { return sizes[d]; }

/* ---- writing ---- */

static void put_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

int st_write(const char *path, const StTensor *t, int n, const char *const *meta,
             int n_meta, Err *e)
{
    char *hdr = NULL;
    size_t hlen = 0;
    FILE *h = open_memstream(&hdr, &hlen);
    if (!h)
        return err_set(e, path, 0, NULL, "out of memory");
    fputc('{', h);
    if (n_meta > 0) {
        fputs("\"__metadata__\":{", h);
        for (int i = 0; i < n_meta; i++) {
            if (i)
                fputc(',', h);
            put_json_string(h, meta[2 * i]);
            fputc(':', h);
            put_json_string(h, meta[2 * i + 1]);
        }
        fputc('}', h);
    }
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        size_t want = st_dtype_size(t[i].dtype);
        for (int d = 0; d < t[i].ndim; d++)
            want *= (size_t)t[i].shape[d];
        if (want != t[i].bytes) {
            fclose(h), free(hdr);
            return err_set(e, path, 0, t[i].name, "%zu bytes for a shape of %zu bytes",
                           t[i].bytes, want);
        }
        if (i || n_meta > 0)
            fputc(',', h);
        put_json_string(h, t[i].name);
        fprintf(h, ":{\"dtype\":\"%s\",\"shape\":[", st_dtype_name(t[i].dtype));
        for (int d = 0; d < t[i].ndim; d++)
            fprintf(h, "%s%lld", d ? "," : "", (long long)t[i].shape[d]);
        fprintf(h, "],\"data_offsets\":[%zu,%zu]}", off, off + t[i].bytes);
        off += t[i].bytes;
    }
    fputc('}', h);
    /* pad with spaces so the data starts 8-byte aligned */
    while ((ftell(h) + 8) % 8)
        fputc(' ', h);
    fclose(h);
    AtomicFile af;
    if (qa_afile_open(&af, path, e)) {
        free(hdr);
        return QA_ERR;
    }
    uint8_t le[8];
    for (int i = 0; i < 8; i++)
        le[i] = (uint8_t)((uint64_t)hlen >> (8 * i));
    int ok = fwrite(le, 8, 1, af.f) == 1 && fwrite(hdr, 1, hlen, af.f) == hlen;
    for (int i = 0; ok && i < n; i++)
        ok = t[i].bytes == 0 || fwrite(t[i].data, 1, t[i].bytes, af.f) == t[i].bytes;
    free(hdr);
    if (!ok)
        return qa_afile_fail(&af, e);
    return qa_afile_commit(&af, e);
}

/* ---- reading ---- */

typedef struct {
    const char *start, *s, *end, *path;
    Err *e;
} Js;

static void ws(Js *j)
{
    while (j->s < j->end && (*j->s == ' ' || *j->s == '\t' || *j->s == '\n' || *j->s == '\r'))
        j->s++;
}

static int expect(Js *j, char c, const char *where)
{
    ws(j);
    if (j->s >= j->end || *j->s != c)
        return err_set(j->e, j->path, 0, where, "malformed header: expected '%c' at byte %ld",
                       c, (long)(j->s - j->start));
    j->s++;
    return QA_OK;
}

/* A JSON string into a fresh malloc'd buffer. */
static int jstring(Js *j, char **out, const char *where)
{
    if (expect(j, '"', where))
        return QA_ERR;
    size_t cap = 32, n = 0;
    char *b = qa_malloc(cap);
    if (!b)
        return err_set(j->e, j->path, 0, where, "out of memory");
    while (j->s < j->end && *j->s != '"') {
        char c = *j->s++;
        if ((unsigned char)c < 0x20)
            goto bad;
        if (c == '\\') {
            if (j->s >= j->end)
                goto bad;
            char x = *j->s++;
            switch (x) {
            case '"': case '\\': case '/': c = x; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'n': c = '\n'; break;
            case 'r': c = '\r'; break;
            case 't': c = '\t'; break;
            case 'u': {
                if (j->end - j->s < 4)
                    goto bad;
                unsigned v = 0;
                for (int i = 0; i < 4; i++) {
                    char h = *j->s++;
                    v = v * 16 + (h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f'
                                  ? h - 'a' + 10 : h >= 'A' && h <= 'F' ? h - 'A' + 10 : 999);
                }
                if (v > 0x7f)
                    goto bad; /* non-ASCII escapes never occur in our headers */
                c = (char)v;
                break;
            }
            default:
                goto bad;
            }
        }
        if (n + 2 > cap) {
            char *nb = qa_realloc(b, cap *= 2);
            if (!nb) {
                free(b);
                return err_set(j->e, j->path, 0, where, "out of memory");
            }
            b = nb;
        }
        b[n++] = c;
    }
    if (j->s >= j->end)
        goto bad;
    j->s++;
    b[n] = 0;
    *out = b;
    return QA_OK;
bad:
    free(b);
    return err_set(j->e, j->path, 0, where, "malformed header: bad string");
}

static int jint(Js *j, int64_t *v, const char *where)
{
    ws(j);
    if (j->s >= j->end || *j->s < '0' || *j->s > '9')
        return err_set(j->e, j->path, 0, where, "malformed header: expected a non-negative integer");
    int64_t x = 0;
    while (j->s < j->end && *j->s >= '0' && *j->s <= '9') {
        if (x > (INT64_MAX - 9) / 10)
            return err_set(j->e, j->path, 0, where, "integer too large");
        x = x * 10 + (*j->s++ - '0');
    }
    *v = x;
    return QA_OK;
}

/* [int, int, ...] with at most max entries */
static int jints(Js *j, int64_t *v, int max, int *n, const char *where)
{
    if (expect(j, '[', where))
        return QA_ERR;
    *n = 0;
    ws(j);
    if (j->s < j->end && *j->s == ']') {
        j->s++;
        return QA_OK;
    }
    for (;;) {
        if (*n == max)
            return err_set(j->e, j->path, 0, where, "more than %d entries", max);
        if (jint(j, &v[(*n)++], where))
            return QA_ERR;
        ws(j);
        if (j->s < j->end && *j->s == ',') {
            j->s++;
            continue;
        }
        return expect(j, ']', where);
    }
}

static int more(Js *j, const char *where)
{
    ws(j);
    if (j->s < j->end && *j->s == ',') {
        j->s++;
        return 1;
    }
    if (expect(j, '}', where))
        return -1;
    return 0;
}

static int parse_meta(Js *j, StFile *f)
{
    if (expect(j, '{', "__metadata__"))
        return QA_ERR;
    ws(j);
    if (j->s < j->end && *j->s == '}') {
        j->s++;
        return QA_OK;
    }
    for (;;) {
        char **m = qa_realloc(f->meta, sizeof(char *) * 2 * (f->n_meta + 1));
        if (!m)
            return err_set(j->e, j->path, 0, "__metadata__", "out of memory");
        f->meta = m;
        m[2 * f->n_meta] = m[2 * f->n_meta + 1] = NULL;
        f->n_meta++;
        if (jstring(j, &m[2 * f->n_meta - 2], "__metadata__") || expect(j, ':', "__metadata__") ||
            jstring(j, &m[2 * f->n_meta - 1], "__metadata__"))
            return QA_ERR;
        int r = more(j, "__metadata__");
        if (r < 0)
            return QA_ERR;
        if (!r)
            return QA_OK;
    }
}

static int parse_tensor(Js *j, StTensor *t, int64_t off[2])
{
    const char *w = t->name;
    int have_d = 0, have_s = 0, have_o = 0;
    if (expect(j, '{', w))
        return QA_ERR;
    for (;;) {
        char *key = NULL;
        if (jstring(j, &key, w) || expect(j, ':', w)) {
            free(key);
            return QA_ERR;
        }
        int rc = QA_OK;
        if (!strcmp(key, "dtype")) {
            char *d = NULL;
            rc = jstring(j, &d, w);
            if (!rc) {
                int k;
                for (k = 0; k < ST_NTYPES && strcmp(d, names[k]); k++)
                    ;
                if (k == ST_NTYPES)
                    rc = err_set(j->e, j->path, 0, w, "unsupported dtype '%s'", d);
                t->dtype = (StDtype)k;
            }
            free(d);
            have_d = 1;
        } else if (!strcmp(key, "shape")) {
            rc = jints(j, t->shape, ST_MAX_DIMS, &t->ndim, w);
            have_s = 1;
        } else if (!strcmp(key, "data_offsets")) {
            int n;
            rc = jints(j, off, 2, &n, w);
            if (!rc && n != 2)
                rc = err_set(j->e, j->path, 0, w, "data_offsets needs 2 entries");
            have_o = 1;
        } else {
            rc = err_set(j->e, j->path, 0, w, "unknown tensor field '%s'", key);
        }
        free(key);
        if (rc)
            return QA_ERR;
        int r = more(j, w);
        if (r < 0)
            return QA_ERR;
        if (!r)
            break;
    }
    if (!have_d || !have_s || !have_o)
        return err_set(j->e, j->path, 0, w, "needs dtype, shape and data_offsets");
    return QA_OK;
}

static int cmp_off(const void *a, const void *b)
{
    const StTensor *x = a, *y = b;
    const uint8_t *p = x->data, *q = y->data;
    return p < q ? -1 : p > q;
}

int st_read(StFile *f, const char *path, Err *e)
{
    memset(f, 0, sizeof *f);
    snprintf(f->path, sizeof f->path, "%s", path);
    /* Read whole (a FIFO or device too), never more than ST_MAX_FILE_BYTES:
     * a folder or /dev/zero must not become a huge allocation. */
    char *buf;
    if (qa_read_input(path, "model file", ST_MAX_FILE_BYTES, 0, &buf, &f->len, e) != QA_OK)
        return QA_ERR;
    f->buf = (uint8_t *)buf;
    if (f->len < 8)
        goto trunc;
    uint64_t hlen = 0;
    for (int i = 0; i < 8; i++)
        hlen |= (uint64_t)f->buf[i] << (8 * i);
    if (hlen < 2 || hlen > f->len - 8) {
        err_set(e, path, 0, "header", "header length %llu does not fit a %zu-byte file",
                (unsigned long long)hlen, f->len);
        goto fail;
    }
    const uint8_t *data = f->buf + 8 + hlen;
    size_t dlen = f->len - 8 - hlen;
    Js j = {(const char *)f->buf + 8, (const char *)f->buf + 8,
            (const char *)f->buf + 8 + hlen, path, e};
    if (expect(&j, '{', "header"))
        goto fail;
    ws(&j);
    if (j.s < j.end && *j.s == '}') {
        j.s++;
    } else {
        for (;;) {
            char *name = NULL;
            if (jstring(&j, &name, "header") || expect(&j, ':', "header")) {
                free(name);
                goto fail;
            }
            if (!strcmp(name, "__metadata__")) {
                free(name);
                if (parse_meta(&j, f))
                    goto fail;
            } else {
                StTensor *t = qa_realloc(f->t, sizeof *t * (f->n + 1));
                if (!t) {
                    free(name);
                    err_set(e, path, 0, "header", "out of memory");
                    goto fail;
                }
                f->t = t;
                t = &f->t[f->n++];
                memset(t, 0, sizeof *t);
                snprintf(t->name, sizeof t->name, "%s", name);
                int too_long = strlen(name) >= sizeof t->name;
                free(name);
                if (too_long) {
                    err_set(e, path, 0, t->name, "tensor name too long");
                    goto fail;
                }
                /* st_get would only ever find the first of two equal names */
                for (int k = 0; k < f->n - 1; k++)
                    if (!strcmp(f->t[k].name, t->name)) {
                        err_set(e, path, 0, t->name, "duplicate tensor name");
                        goto fail;
                    }
                int64_t off[2];
                if (parse_tensor(&j, t, off))
                    goto fail;
                /* Four dimensions of up to 2^40 can wrap the byte count
                 * around 2^64 onto a small number that matches the offsets:
                 * refuse the overflow (a 0 dimension makes it 0 bytes). */
                size_t want = st_dtype_size(t->dtype);
                int zero = 0;
                for (int d = 0; d < t->ndim; d++)
                    zero |= t->shape[d] == 0;
                for (int d = 0; d < t->ndim; d++) {
                    if (t->shape[d] > (int64_t)1 << 40) {
                        err_set(e, path, 0, t->name, "dimension %lld too large", (long long)t->shape[d]);
                        goto fail;
                    }
                    if (__builtin_mul_overflow(want, (size_t)t->shape[d], &want) && !zero) {
                        err_set(e, path, 0, t->name, "shape too large: its byte count "
                                "overflows 64 bits");
                        goto fail;
                    }
                }
                if (zero)
                    want = 0;
                if (off[0] > off[1] || (uint64_t)off[1] > dlen) {
                    err_set(e, path, 0, t->name, "data_offsets [%lld, %lld] outside the %zu data bytes",
                            (long long)off[0], (long long)off[1], dlen);
                    goto fail;
                }
                if ((size_t)(off[1] - off[0]) != want) {
                    err_set(e, path, 0, t->name, "%lld bytes for a %s shape of %zu bytes",
                            (long long)(off[1] - off[0]), st_dtype_name(t->dtype), want);
                    goto fail;
                }
                t->data = data + off[0];
                t->bytes = want;
            }
            int r = more(&j, "header");
            if (r < 0)
                goto fail;
            if (!r)
                break;
        }
    }
    ws(&j);
    if (j.s != j.end) {
        err_set(e, path, 0, "header", "malformed header: trailing bytes after the JSON object");
        goto fail;
    }
    /* tensors must not overlap (the format requires a dense, ordered layout) */
    if (f->n > 1) {
        StTensor *s = qa_malloc(sizeof *s * f->n);
        if (!s) {
            err_set(e, path, 0, "header", "out of memory");
            goto fail;
        }
        memcpy(s, f->t, sizeof *s * f->n);
        qsort(s, (size_t)f->n, sizeof *s, cmp_off);
        for (int i = 1; i < f->n; i++)
            if ((const uint8_t *)s[i - 1].data + s[i - 1].bytes > (const uint8_t *)s[i].data) {
                err_set(e, path, 0, s[i].name, "overlaps tensor %s", s[i - 1].name);
                free(s);
                goto fail;
            }
        free(s);
    }
    return QA_OK;
trunc:
    err_set(e, path, 0, NULL, "truncated: %zu bytes, not a safetensors file", f->len);
fail:
    st_close(f);
    return QA_ERR;
}

void st_close(StFile *f)
{
    for (int i = 0; i < 2 * f->n_meta; i++)
        free(f->meta[i]);
    free(f->meta);
    free(f->t);
    free(f->buf);
    memset(f, 0, sizeof *f);
}

const char *st_meta(const StFile *f, const char *key)
{
    for (int i = 0; i < f->n_meta; i++)
        if (f->meta[2 * i] && !strcmp(f->meta[2 * i], key))
            return f->meta[2 * i + 1];
    return NULL;
}

int st_get(const StFile *f, const char *name, StDtype dtype, int ndim,
           const int64_t *shape, const void **data, Err *e)
{
    for (int i = 0; i < f->n; i++) {
        const StTensor *t = &f->t[i];
        if (strcmp(t->name, name))
            continue;
        if (t->dtype != dtype)
            return err_set(e, f->path, 0, name, "dtype %s, expected %s", st_dtype_name(t->dtype),
                           st_dtype_name(dtype));
        int same = t->ndim == ndim;
        for (int d = 0; same && d < ndim; d++)
            same = t->shape[d] == shape[d];
        if (!same) {
            char a[96] = "", b[96] = "";
            for (int d = 0; d < t->ndim; d++)
                snprintf(a + strlen(a), sizeof a - strlen(a), "%s%lld", d ? "x" : "", (long long)t->shape[d]);
            for (int d = 0; d < ndim; d++)
                snprintf(b + strlen(b), sizeof b - strlen(b), "%s%lld", d ? "x" : "", (long long)shape[d]);
            return err_set(e, f->path, 0, name, "shape [%s], expected [%s]", a, b);
        }
        *data = t->data;
        return QA_OK;
    }
    return err_set(e, f->path, 0, name, "tensor missing");
}
