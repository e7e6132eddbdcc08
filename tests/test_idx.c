/* test_idx.c: IDX loading (good file, missing, truncated, bad magic,
 * mislabeled, count mismatch), the real Fashion-MNIST files when installed,
 * synthetic determinism and batching/augmentation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "quant/train/idx.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

static char dir[64];

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = v >> 24, p[1] = v >> 16, p[2] = v >> 8, p[3] = v;
}

/* Write a gzip'd IDX file: images (n, 2, 3) with pixel i*7+k, labels i%10. */
static void write_idx(const char *name, int images, uint32_t magic, uint32_t n,
                      size_t keep, int bad_label)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    uint8_t buf[4096];
    size_t len;
    put32(buf, magic);
    put32(buf + 4, n);
    if (images) {
        put32(buf + 8, 2), put32(buf + 12, 3);
        for (uint32_t i = 0; i < n * 6; i++)
            buf[16 + i] = (uint8_t)(i * 7);
        len = 16 + n * 6;
    } else {
        for (uint32_t i = 0; i < n; i++)
            buf[8 + i] = (uint8_t)(i % 10);
        if (bad_label)
            buf[8 + 3] = 12;
        len = 8 + n;
    }
    if (keep && keep < len)
        len = keep;
    gzFile g = gzopen(path, "wb");
    assert_non_null(g);
    gzwrite(g, buf, (unsigned)len);
    gzclose(g);
}

static int load(Dataset *ds, const char *im, const char *lb, Err *e)
{
    char a[128], b[128];
    snprintf(a, sizeof a, "%s/%s", dir, im);
    snprintf(b, sizeof b, "%s/%s", dir, lb);
    return idx_load(ds, a, b, e);
}

static int setup(void **s)
{
    (void)s;
    strcpy(dir, "/tmp/qa_idx_XXXXXX");
    assert_non_null(mkdtemp(dir));
    write_idx("im.gz", 1, 0x803, 20, 0, 0);
    write_idx("lb.gz", 0, 0x801, 20, 0, 0);
    write_idx("im_trunc.gz", 1, 0x803, 20, 16 + 50, 0);
    write_idx("lb_bad.gz", 0, 0x801, 20, 0, 1);
    write_idx("lb_19.gz", 0, 0x801, 19, 0, 0);
    write_idx("lb_trunc.gz", 0, 0x801, 20, 8 + 5, 0);
    write_idx("im_magic.gz", 1, 0x801, 20, 0, 0);
    return 0;
}

static int teardown(void **s)
{
    (void)s;
    const char *f[] = {"im.gz", "lb.gz", "im_trunc.gz", "lb_bad.gz", "lb_19.gz",
                       "lb_trunc.gz", "im_magic.gz"};
    char p[128];
    for (size_t i = 0; i < QA_COUNT(f); i++) {
        snprintf(p, sizeof p, "%s/%s", dir, f[i]);
        unlink(p);
    }
    rmdir(dir);
    return 0;
}

static void test_load_good(void **s)
{
    (void)s;
    Dataset ds;
    Err e;
    assert_int_equal(load(&ds, "im.gz", "lb.gz", &e), QA_OK);
    assert_int_equal(ds.n, 20);
    assert_int_equal(ds.H, 2);
    assert_int_equal(ds.W, 3);
    assert_int_equal(ds.images[5 * 6 + 1], (uint8_t)((5 * 6 + 1) * 7));
    assert_int_equal(ds.labels[13], 3);
    idx_free(&ds);
}

static void expect_err(const char *im, const char *lb, const char *file, const char *msg)
{
    Dataset ds;
    Err e;
    err_clear(&e);
    assert_int_equal(load(&ds, im, lb, &e), QA_ERR);
    assert_non_null(strstr(e.file, file));
    if (!strstr(e.msg, msg))
        fail_msg("message '%s' lacks '%s'", e.msg, msg);
    assert_null(ds.images);
}

static void test_load_errors(void **s)
{
    (void)s;
    expect_err("missing.gz", "lb.gz", "missing.gz", "cannot open");
    expect_err("im_trunc.gz", "lb.gz", "im_trunc.gz", "truncated");
    expect_err("im.gz", "lb_trunc.gz", "lb_trunc.gz", "truncated");
    expect_err("im.gz", "lb_bad.gz", "lb_bad.gz", "label 12 of image 3");
    expect_err("im.gz", "lb_19.gz", "lb_19.gz", "19 labels for 20 images");
    expect_err("im_magic.gz", "lb.gz", "im_magic.gz", "0x00000803");
}

/* Every allocation failure is reported cleanly (no leak under ASan). */
static void test_load_oom(void **s)
{
    (void)s;
    for (long n = 1;; n++) {
        Dataset ds;
        Err e;
        qa_alloc_fail_at(n);
        int rc = load(&ds, "im.gz", "lb.gz", &e);
        qa_alloc_fail_at(0);
        if (rc == QA_OK) {
            idx_free(&ds);
            break;
        }
        assert_non_null(strstr(e.msg, "out of memory"));
    }
}

/* The installed Fashion-MNIST: sizes, label range and balance (6000 per class). */
static void test_fashion_mnist(void **s)
{
    (void)s;
    Dataset tr, te;
    Err e;
    if (idx_load_fashion(&tr, &te, NULL, &e)) {
        err_print(&e, stderr);
        skip();
    }
    assert_int_equal(tr.n, 60000);
    assert_int_equal(te.n, 10000);
    assert_int_equal(tr.H, 28);
    int count[10] = {0};
    for (int i = 0; i < tr.n; i++)
        count[tr.labels[i]]++;
    for (int c = 0; c < 10; c++)
        assert_int_equal(count[c], 6000);
    idx_free(&tr);
    idx_free(&te);
    /* the environment variable overrides the default folder */
    setenv(IDX_ENV_DIR, dir, 1);
    assert_int_equal(idx_load_fashion(&tr, &te, NULL, &e), QA_ERR);
    assert_non_null(strstr(e.file, dir));
    unsetenv(IDX_ENV_DIR);
}

static void test_synthetic_and_batch(void **s)
{
    (void)s;
    Dataset a, b;
    Err e;
    assert_int_equal(idx_synthetic(&a, 200, 5, 1, &e), QA_OK);
    assert_int_equal(idx_synthetic(&b, 200, 5, 1, &e), QA_OK);
    assert_memory_equal(a.images, b.images, 200 * 28 * 28);
    assert_memory_equal(a.labels, b.labels, 200);
    idx_free(&b);
    assert_int_equal(idx_synthetic(&b, 200, 5, 2, &e), QA_OK);
    assert_memory_not_equal(a.images, b.images, 200 * 28 * 28);
    int hist[10] = {0};
    for (int i = 0; i < 200; i++)
        hist[a.labels[i]]++;
    for (int c = 0; c < 10; c++)
        assert_true(hist[c] > 5);
    Rng r;
    rng_seed(&r, 1);
    int perm[200];
    idx_shuffle(perm, 200, &r);
    int seen[200] = {0};
    for (int i = 0; i < 200; i++)
        seen[perm[i]]++;
    for (int i = 0; i < 200; i++)
        assert_int_equal(seen[i], 1);
    float x[4 * 784];
    uint8_t y[4];
    idx_batch(&a, perm, 4, 0, 0, &r, x, y);
    assert_int_equal(y[2], a.labels[perm[2]]);
    assert_float_equal(x[2 * 784 + 300], a.images[perm[2] * 784 + 300] / 255.0f, 1e-7);
    /* augmentation moves pixels but keeps the label and the value set */
    float xa[4 * 784];
    idx_batch(&a, perm, 4, 1, 2, &r, xa, y);
    assert_int_equal(y[2], a.labels[perm[2]]);
    int diff = 0;
    for (int i = 0; i < 4 * 784; i++)
        diff += xa[i] != x[i];
    assert_true(diff > 100);
    idx_free(&a);
    idx_free(&b);
}

/* Limits: a header asking for more than IDX_MAX_PIXELS is refused before
 * anything is read; a file that promises 2^26 images of 64x64 but holds a
 * few bytes costs no memory beyond them; data past what the header
 * declares (a gzip bomb behind a small header) is never read. Only the
 * first two reads (the headers) and the two buffers sized by the data
 * present allocate. */
static void test_load_limits(void **s)
{
    (void)s;
    char im[128], lb[128];
    snprintf(im, sizeof im, "%s/big_im.gz", dir);
    snprintf(lb, sizeof lb, "%s/big_lb.gz", dir);
    uint8_t h[16];
    put32(h, 0x803), put32(h + 4, 1u << 26), put32(h + 8, 64), put32(h + 12, 64);
    gzFile g = gzopen(im, "wb");
    gzwrite(g, h, 16);
    gzclose(g);
    put32(h, 0x801), put32(h + 4, 1u << 26);
    g = gzopen(lb, "wb");
    gzwrite(g, h, 8);
    gzclose(g);
    Dataset ds;
    Err e;
    assert_int_equal(idx_load(&ds, im, lb, &e), QA_ERR);
    assert_string_equal(e.field, "header");
    assert_string_equal(e.msg, "implausible size 67108864 x 64 x 64");

    /* 4 images of 2x3 declared, 64 MiB of zeros behind them */
    put32(h, 0x803), put32(h + 4, 4), put32(h + 8, 2), put32(h + 12, 3);
    g = gzopen(im, "wb");
    gzwrite(g, h, 16);
    static uint8_t zeros[1 << 16];
    for (int i = 0; i < 1024; i++)
        gzwrite(g, zeros, sizeof zeros);
    gzclose(g);
    put32(h, 0x801), put32(h + 4, 4);
    g = gzopen(lb, "wb");
    gzwrite(g, h, 8);
    gzwrite(g, zeros, 4);
    gzclose(g);
    qa_alloc_fail_at(0);
    assert_int_equal(idx_load(&ds, im, lb, &e), QA_OK);
    assert_true(qa_alloc_count() <= 6);
    assert_int_equal(ds.n, 4);
    idx_free(&ds);
    remove(im);
    remove(lb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_good),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_load_oom),
        cmocka_unit_test(test_load_limits),
        cmocka_unit_test(test_fashion_mnist),
        cmocka_unit_test(test_synthetic_and_batch),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
