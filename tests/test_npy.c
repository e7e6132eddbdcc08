/* test_npy.c: .npy round trip, header parsing and every rejection. */
#include "tests/qtest.h"
#include "quant/npy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[512];

static int setup(void **state)
{
    (void)state;
    return qt_tmpdir(dir, sizeof dir);
}

static int teardown(void **state)
{
    (void)state;
    return qt_rmtree(dir);
}

/* Write a file with the given header dict and nbytes of payload. */
static void write_raw(const char *path, const char *dict, int major,
                      const void *data, size_t nbytes)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    size_t dl = strlen(dict);
    size_t pre = major == 1 ? 10 : 12;
    size_t hl = dl + 1 + (64 - (pre + dl + 1) % 64) % 64;
    fwrite("\x93NUMPY", 1, 6, f);
    fputc(major, f);
    fputc(0, f);
    fputc((int)(hl & 0xff), f);
    fputc((int)(hl >> 8), f);
    if (major != 1) {
        fputc(0, f);
        fputc(0, f);
    }
    fwrite(dict, 1, dl, f);
    for (size_t i = dl + 1; i < hl; i++)
        fputc(' ', f);
    fputc('\n', f);
    if (nbytes)
        fwrite(data, 1, nbytes, f);
    fclose(f);
}

static void test_round_trip(void **state)
{
    (void)state;
    char path[640];
    snprintf(path, sizeof path, "%s/a.npy", dir);
    float x[6] = {1.5f, -2.0f, 0.0f, 3.25f, 1e-7f, -1e6f};
    NpyShape sh = {.ndim = 2, .shape = {2, 3}, .n = 6};
    Err e;
    assert_int_equal(npy_write(path, NPY_F32, x, &sh, &e), QA_OK);
    float *y;
    NpyShape s2;
    assert_int_equal(npy_read_f32(path, &y, &s2, &e), QA_OK);
    assert_int_equal(s2.ndim, 2);
    assert_int_equal(s2.shape[0], 2);
    assert_int_equal(s2.shape[1], 3);
    assert_int_equal(s2.n, 6);
    assert_memory_equal(x, y, sizeof x);
    free(y);
    /* the header is padded so the data starts at a multiple of 64 (128) */
    FILE *f = fopen(path, "rb");
    char hdr[129];
    assert_int_equal(fread(hdr, 1, 128, f), 128);
    hdr[128] = '\0';
    /* the tuple is written as Python (and numpy) prints it */
    assert_non_null(strstr(hdr + 10, "{'descr': '<f4', 'fortran_order': False, "
                                     "'shape': (2, 3), }"));
    assert_true(hdr[127] == '\n');
    fseek(f, 0, SEEK_END);
    assert_int_equal(ftell(f), 128 + 24);
    fclose(f);
}

static void test_reads_numpy_written_header(void **state)
{
    (void)state;
    char path[640];
    snprintf(path, sizeof path, "%s/np.npy", dir);
    float x[3] = {1, 2, 3};
    /* exactly what numpy.save writes for np.float32([1, 2, 3]), version 1
     * and 2 */
    write_raw(path, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", 1,
              x, sizeof x);
    float *y;
    NpyShape sh;
    Err e;
    assert_int_equal(npy_read_f32(path, &y, &sh, &e), QA_OK);
    assert_int_equal(sh.ndim, 1);
    assert_int_equal(sh.n, 3);
    assert_true(y[2] == 3.0f);
    free(y);
    write_raw(path, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", 2,
              x, 4);
    assert_int_equal(npy_read_f32(path, &y, &sh, &e), QA_OK);
    assert_int_equal(sh.ndim, 0);
    assert_int_equal(sh.n, 1);
    free(y);
}

static void expect_error(const char *dict, const void *data, size_t nbytes,
                         const char *field, const char *msg_part)
{
    char path[640];
    snprintf(path, sizeof path, "%s/bad.npy", dir);
    write_raw(path, dict, 1, data, nbytes);
    float *y = (float *)1;
    NpyShape sh;
    Err e;
    err_clear(&e);
    assert_int_equal(npy_read_f32(path, &y, &sh, &e), QA_ERR);
    assert_null(y);
    assert_string_equal(e.field, field);
    assert_non_null(strstr(e.msg, msg_part));
    assert_string_equal(e.file, path);
}

static void test_rejections(void **state)
{
    (void)state;
    double d[4] = {0};
    float f[4] = {0};
    expect_error("{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", d,
                 sizeof d, "descr", "'<f8' is not supported");
    expect_error("{'descr': '>f4', 'fortran_order': False, 'shape': (4,), }", f,
                 sizeof f, "descr", "'>f4'");
    expect_error("{'descr': '<i4', 'fortran_order': False, 'shape': (4,), }", f,
                 sizeof f, "descr", "'<i4'");
    expect_error("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", f,
                 sizeof f, "fortran_order", "Fortran");
    expect_error("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", f, 12,
                 "data", "truncated");
    expect_error("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", f, 16,
                 "data", "trailing");
    expect_error("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 4), }", f, 0,
                 "shape", "empty");
    expect_error("{'descr': '<f4', 'fortran_order': False, 'shape': (a,), }", f, 0,
                 "shape", "integer");
    expect_error("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }",
                 f, 4, "descr", "structured");
    expect_error("{'fortran_order': False, 'shape': (1,), }", f, 4, "descr", "missing");
}

/* Regression (fuzz_npy): a header whose shape promises 4 TB over a file of
 * 24 data bytes made the reader allocate the promised size first (ASan:
 * allocation-size-too-big). It must fail on the file size, with the header
 * buffer as the only allocation. */
static void test_huge_shape_rejected_before_allocation(void **state)
{
    (void)state;
    char path[640];
    snprintf(path, sizeof path, "%s/huge.npy", dir);
    float f[6] = {1, 2, 3, 4, 5, 6};
    write_raw(path, "{'descr': '<f4', 'fortran_order': False, "
                    "'shape': (1000000, 1000000), }", 1, f, sizeof f);
    float *y = (float *)1;
    NpyShape sh;
    Err e;
    err_clear(&e);
    qa_alloc_fail_at(0);
    assert_int_equal(npy_read_f32(path, &y, &sh, &e), QA_ERR);
    assert_int_equal(qa_alloc_count(), 1);
    assert_null(y);
    assert_string_equal(e.field, "data");
    assert_string_equal(e.msg, "truncated: shape needs 1000000000000 float32 "
                               "values, file has 6");
    /* 100 GB in a version 2 header, no data at all */
    write_raw(path, "{'descr': '<f4', 'fortran_order': False, "
                    "'shape': (25000000000,), }", 2, f, 0);
    qa_alloc_fail_at(0);
    assert_int_equal(npy_read_f32(path, &y, &sh, &e), QA_ERR);
    assert_int_equal(qa_alloc_count(), 1);
    assert_string_equal(e.msg, "truncated: shape needs 25000000000 float32 "
                               "values, file has 0");
}

static void test_not_npy_and_missing(void **state)
{
    (void)state;
    char path[640];
    snprintf(path, sizeof path, "%s/text.npy", dir);
    FILE *f = fopen(path, "wb");
    fputs("hello, this is not numpy", f);
    fclose(f);
    float *y;
    NpyShape sh;
    Err e;
    assert_int_equal(npy_read_f32(path, &y, &sh, &e), QA_ERR);
    assert_string_equal(e.field, "magic");
    snprintf(path, sizeof path, "%s/none.npy", dir);
    assert_int_equal(npy_read_f32(path, &y, &sh, &e), QA_ERR);
    assert_non_null(strstr(e.msg, "cannot open"));
}

static void test_write_int_types_and_failure(void **state)
{
    (void)state;
    char path[640];
    snprintf(path, sizeof path, "%s/c.npy", dir);
    int8_t c[5] = {-3, -1, 0, 1, 3};
    NpyShape sh = {.ndim = 1, .shape = {5}, .n = 5};
    Err e;
    assert_int_equal(npy_write(path, NPY_I8, c, &sh, &e), QA_OK);
    FILE *f = fopen(path, "rb");
    char buf[256];
    size_t got = fread(buf, 1, sizeof buf, f);
    fclose(f);
    assert_int_equal(got, 128 + 5); /* header padded to 128, as numpy does */
    char hdr[129];
    memcpy(hdr, buf, 128);
    hdr[128] = '\0';
    assert_non_null(strstr(hdr + 10, "'descr': '|i1'"));
    assert_memory_equal(buf + 128, c, 5);
    assert_string_equal(npy_descr(NPY_U16), "<u2");
    assert_int_equal(npy_type_size(NPY_I32), 4);
    /* a folder that does not exist: error, nothing written */
    snprintf(path, sizeof path, "%s/no/such/c.npy", dir);
    assert_int_equal(npy_write(path, NPY_I8, c, &sh, &e), QA_ERR);
    assert_int_equal(access(path, F_OK), -1);
    /* a device that is full, data larger than a stdio buffer: the write
     * itself fails, and the message says why */
    if (access("/dev/full", W_OK) == 0) {
        static int8_t big[1 << 16];
        NpyShape bsh = {.ndim = 1, .shape = {1 << 16}, .n = 1 << 16};
        assert_int_equal(npy_write("/dev/full", NPY_I8, big, &bsh, &e), QA_ERR);
        assert_string_equal(e.file, "/dev/full");
        assert_string_equal(e.msg, "write failed: No space left on device");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_reads_numpy_written_header),
        cmocka_unit_test(test_rejections),
        cmocka_unit_test(test_huge_shape_rejected_before_allocation),
        cmocka_unit_test(test_not_npy_and_missing),
        cmocka_unit_test(test_write_int_types_and_failure),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
