/* idx.c: IDX reader (zlib, reads gzip'd and plain files alike), synthetic
 * data and batching. See idx.h. */
#include "quant/train/idx.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

/* Read the first `limit` bytes of a (gzip'd or plain) file once
 * decompressed (fewer if it is shorter); *len gets the bytes read. The
 * buffer grows with the data read, never ahead of it, so neither a header
 * that promises terabytes nor a small gzip bomb costs memory beyond the
 * data there is, up to limit; what follows limit is never read. */
static int read_all(const char *path, size_t limit, uint8_t **out, size_t *len,
                    Err *e)
{
    Err oe;
    FILE *f = qa_open_input(path, "data set", 0, &oe);
    if (!f)
        return err_set(e, path, 0, NULL, "%s (install dataset-fashion-mnist, "
                       "or pass --data DIR / set " IDX_ENV_DIR ")", oe.msg);
    int fd = dup(fileno(f));
    fclose(f);
    gzFile g = fd >= 0 ? gzdopen(fd, "rb") : NULL;
    if (!g) {
        if (fd >= 0)
            close(fd);
        return err_set(e, path, 0, NULL, "out of memory");
    }
    size_t cap = QA_MIN(limit, (size_t)1 << 16), n = 0;
    uint8_t *buf = qa_malloc(cap);
    if (!buf)
        goto oom;
    while (n < limit) {
        if (n == cap) {
            size_t ncap = QA_MIN(limit, cap * 2);
            uint8_t *nb = qa_realloc(buf, ncap);
            if (!nb)
                goto oom;
            buf = nb, cap = ncap;
        }
        /* gzread takes an unsigned count */
        int got = gzread(g, buf + n, (unsigned)QA_MIN(cap - n, (size_t)1 << 30));
        if (got < 0) {
            int zerr;
            const char *m = gzerror(g, &zerr);
            err_set(e, path, 0, NULL, "read error: %s", m);
            goto fail;
        }
        if (got == 0)
            break;
        n += (size_t)got;
    }
    gzclose(g);
    *out = buf, *len = n;
    return QA_OK;
oom:
    err_set(e, path, 0, NULL, "out of memory");
fail:
    free(buf);
    gzclose(g);
    return QA_ERR;
}

static uint32_t u32(Rng *r)
{
    return (uint32_t)(rng_u64(r) >> 32);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int idx_load(Dataset *ds, const char *images_path, const char *labels_path, Err *e)
{
    memset(ds, 0, sizeof *ds);
    uint8_t *im = NULL, *lb = NULL;
    size_t nim, nlb;
    /* Headers first: they say how much to read, and are checked before
     * anything is sized from them. */
    if (read_all(images_path, 16, &im, &nim, e) || read_all(labels_path, 8, &lb, &nlb, e))
        goto fail;
    if (nim < 16 || be32(im) != 0x803) {
        err_set(e, images_path, 0, "magic", "not an IDX image file (want magic 0x00000803)");
        goto fail;
    }
    if (nlb < 8 || be32(lb) != 0x801) {
        err_set(e, labels_path, 0, "magic", "not an IDX label file (want magic 0x00000801)");
        goto fail;
    }
    uint32_t n = be32(im + 4), H = be32(im + 8), W = be32(im + 12);
    if (n == 0 || H == 0 || W == 0 || H > 4096 || W > 4096 || n > (1u << 26) ||
        (size_t)n * H * W > IDX_MAX_PIXELS) {
        err_set(e, images_path, 0, "header", "implausible size %u x %u x %u", n, H, W);
        goto fail;
    }
    free(im), free(lb);
    im = lb = NULL;
    if (read_all(images_path, 16 + (size_t)n * H * W, &im, &nim, e) ||
        read_all(labels_path, 8 + (size_t)n, &lb, &nlb, e))
        goto fail;
    if (nim < 16 + (size_t)n * H * W) {
        err_set(e, images_path, 0, NULL, "truncated: %zu bytes of pixels, header says %zu",
                nim - 16, (size_t)n * H * W);
        goto fail;
    }
    if (be32(lb + 4) != n) {
        err_set(e, labels_path, 0, "count", "%u labels for %u images in %s", be32(lb + 4),
                n, images_path);
        goto fail;
    }
    if (nlb < 8 + (size_t)n) {
        err_set(e, labels_path, 0, NULL, "truncated: %zu labels, header says %u", nlb - 8, n);
        goto fail;
    }
    for (uint32_t i = 0; i < n; i++)
        if (lb[8 + i] >= IDX_CLASSES) {
            err_set(e, labels_path, 0, "label", "label %u of image %u is not a class 0..%d",
                    lb[8 + i], i, IDX_CLASSES - 1);
            goto fail;
        }
    ds->images = qa_malloc((size_t)n * H * W);
    ds->labels = qa_malloc(n);
    if (!ds->images || !ds->labels) {
        err_set(e, images_path, 0, NULL, "out of memory");
        idx_free(ds);
        goto fail;
    }
    memcpy(ds->images, im + 16, (size_t)n * H * W);
    memcpy(ds->labels, lb + 8, n);
    ds->n = (int)n, ds->H = (int)H, ds->W = (int)W;
    free(im), free(lb);
    return QA_OK;
fail:
    free(im), free(lb);
    return QA_ERR;
}

/* The data folder: dir, else $QARRAY_FASHION_MNIST, else the default. */
static const char *fashion_dir(const char *dir)
{
    if (!dir || !*dir)
        dir = getenv(IDX_ENV_DIR);
    return dir && *dir ? dir : IDX_DEFAULT_DIR;
}

int idx_load_fashion_test(Dataset *test, const char *dir, Err *e)
{
    char a[1024], b[1024];
    dir = fashion_dir(dir);
    snprintf(a, sizeof a, "%s/t10k-images-idx3-ubyte.gz", dir);
    snprintf(b, sizeof b, "%s/t10k-labels-idx1-ubyte.gz", dir);
    return idx_load(test, a, b, e);
}

int idx_load_fashion(Dataset *train, Dataset *test, const char *dir, Err *e)
{
    char a[1024], b[1024];
    dir = fashion_dir(dir);
    snprintf(a, sizeof a, "%s/train-images-idx3-ubyte.gz", dir);
    snprintf(b, sizeof b, "%s/train-labels-idx1-ubyte.gz", dir);
    if (idx_load(train, a, b, e))
        return QA_ERR;
    if (idx_load_fashion_test(test, dir, e)) {
        idx_free(train);
        return QA_ERR;
    }
    return QA_OK;
}

int idx_synthetic(Dataset *ds, int n, uint64_t seed, uint64_t sample_seed, Err *e)
{
    memset(ds, 0, sizeof *ds);
    const int H = 28, W = 28;
    ds->images = qa_malloc((size_t)n * H * W);
    ds->labels = qa_malloc((size_t)n);
    if (!ds->images || !ds->labels) {
        idx_free(ds);
        return err_set(e, NULL, 0, "synthetic", "out of memory");
    }
    ds->n = n, ds->H = H, ds->W = W;
    Rng r;
    rng_seed(&r, seed);
    /* class c: a grating of seeded orientation and period under a Gaussian
     * envelope; images place the envelope at random and add noise. A
     * translation-invariant texture, so a conv net with global pooling can
     * learn it (blob positions alone could not be told apart after GAP). */
    float th[IDX_CLASSES], per[IDX_CLASSES];
    for (int c = 0; c < IDX_CLASSES; c++) {
        th[c] = 3.14159265f * (c % 5) / 5.0f + 0.2f * (float)rng_uniform(&r);
        per[c] = (c < 5 ? 3.0f : 6.0f) + (float)rng_uniform(&r);
    }
    rng_seed(&r, sample_seed ^ 0x5A5A5A5A5A5A5A5AULL);
    for (int k = 0; k < n; k++) {
        int c = (int)(u32(&r) % IDX_CLASSES);
        float cy = 9 + 10 * (float)rng_uniform(&r), cx = 9 + 10 * (float)rng_uniform(&r);
        float ph = 6.2831853f * (float)rng_uniform(&r), gain = 0.7f + 0.3f * (float)rng_uniform(&r);
        float ky = sinf(th[c]) * 6.2831853f / per[c], kx = cosf(th[c]) * 6.2831853f / per[c];
        uint8_t *img = ds->images + (size_t)k * H * W;
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                float dy = y - cy, dx = x - cx;
                float env = expf(-(dy * dy + dx * dx) / (2 * 7.0f * 7.0f));
                float v = 128.0f + 110.0f * gain * env * sinf(ky * y + kx * x + ph);
                v += 20.0f * (float)rng_normal(&r);
                img[y * W + x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v + 0.5f);
            }
        ds->labels[k] = (uint8_t)c;
    }
    return QA_OK;
}

void idx_truncate(Dataset *ds, int n)
{
    if (n < ds->n)
        ds->n = n;
}

void idx_free(Dataset *ds)
{
    free(ds->images);
    free(ds->labels);
    memset(ds, 0, sizeof *ds);
}

void idx_shuffle(int *perm, int n, Rng *rng)
{
    for (int i = 0; i < n; i++)
        perm[i] = i;
    for (int i = n - 1; i > 0; i--) {
        int j = (int)(u32(rng) % (uint32_t)(i + 1));
        int t = perm[i];
        perm[i] = perm[j], perm[j] = t;
    }
}

void idx_batch(const Dataset *ds, const int *perm, int N, int augment, int pad,
               Rng *rng, float *x, uint8_t *y)
{
    const int H = ds->H, W = ds->W;
    for (int n = 0; n < N; n++) {
        const uint8_t *img = ds->images + (size_t)perm[n] * H * W;
        float *o = x + (size_t)n * H * W;
        y[n] = ds->labels[perm[n]];
        int dy = 0, dx = 0, flip = 0;
        if (augment) {
            dy = (int)(u32(rng) % (uint32_t)(2 * pad + 1)) - pad;
            dx = (int)(u32(rng) % (uint32_t)(2 * pad + 1)) - pad;
            flip = (int)(u32(rng) & 1);
        }
        for (int i = 0; i < H; i++)
            for (int j = 0; j < W; j++) {
                int si = i + dy, sj = (flip ? W - 1 - j : j) + dx;
                o[i * W + j] = (si >= 0 && si < H && sj >= 0 && sj < W)
                                   ? img[si * W + sj] * (1.0f / 255.0f) : 0.0f;
            }
    }
}
