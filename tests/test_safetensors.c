/* test_safetensors.c: round trip of tensors and metadata, the exact bytes of
 * a small file, and every rejection: malformed header, header length past
 * the file, offsets outside the data, size/shape disagreement, unknown
 * dtype, overlap, truncation; st_get dtype and shape checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "quant/int/safetensors.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[64];

static void write_raw(const char *hdr, const void *data, size_t dlen)
{
    FILE *f = fopen(path, "wb");
    uint64_t n = strlen(hdr);
    fwrite(&n, 8, 1, f);
    fwrite(hdr, 1, n, f);
    if (dlen)
        fwrite(data, 1, dlen, f);
    fclose(f);
}

static int setup(void **s)
{
    (void)s;
    snprintf(path, sizeof path, "/tmp/qa_st_%d.safetensors", (int)getpid());
    return 0;
}

static int teardown(void **s)
{
    (void)s;
    unlink(path);
    return 0;
}

static void test_round_trip(void **s)
{
    (void)s;
    int8_t w[6] = {-3, -1, 0, 1, 2, 7};
    int64_t b[2] = {-5, 1LL << 40};
    float sc = 0.125f;
    StTensor t[3] = {
        {.name = "conv.weight", .dtype = ST_I8, .ndim = 2, .shape = {2, 3}, .data = w, .bytes = 6},
        {.name = "conv.bias", .dtype = ST_I64, .ndim = 1, .shape = {2}, .data = b, .bytes = 16},
        {.name = "scale", .dtype = ST_F32, .ndim = 0, .data = &sc, .bytes = 4},
    };
    const char *meta[] = {"format", "qarray-int", "graph", "line 1\nline \"2\""};
    Err e;
    assert_int_equal(st_write(path, t, 3, meta, 2, &e), QA_OK);
    StFile f;
    assert_int_equal(st_read(&f, path, &e), QA_OK);
    assert_int_equal(f.n, 3);
    assert_string_equal(st_meta(&f, "graph"), "line 1\nline \"2\"");
    assert_null(st_meta(&f, "nope"));
    const void *p;
    int64_t sh[2] = {2, 3};
    assert_int_equal(st_get(&f, "conv.weight", ST_I8, 2, sh, &p, &e), QA_OK);
    assert_memory_equal(p, w, 6);
    int64_t sb[1] = {2};
    assert_int_equal(st_get(&f, "conv.bias", ST_I64, 1, sb, &p, &e), QA_OK);
    assert_memory_equal(p, b, 16);
    assert_int_equal(st_get(&f, "scale", ST_F32, 0, NULL, &p, &e), QA_OK);
    float got; /* tensors are packed: data may be unaligned, copy it out */
    memcpy(&got, p, 4);
    assert_float_equal(got, 0.125, 0);
    /* dtype and shape mismatches, missing tensors */
    assert_int_equal(st_get(&f, "conv.weight", ST_I16, 2, sh, &p, &e), QA_ERR);
    assert_string_equal(e.msg, "dtype I8, expected I16");
    int64_t bad[2] = {3, 2};
    assert_int_equal(st_get(&f, "conv.weight", ST_I8, 2, bad, &p, &e), QA_ERR);
    assert_string_equal(e.msg, "shape [2x3], expected [3x2]");
    assert_int_equal(st_get(&f, "fc.weight", ST_I8, 2, sh, &p, &e), QA_ERR);
    assert_string_equal(e.field, "fc.weight");
    /* data starts 8-byte aligned */
    uint64_t hlen;
    memcpy(&hlen, f.buf, 8);
    assert_int_equal((8 + hlen) % 8, 0);
    st_close(&f);
}

/* The exact bytes of a one-tensor file, as the format defines them. */
static void test_exact_bytes(void **s)
{
    (void)s;
    uint8_t v[2] = {1, 2};
    StTensor t = {.name = "x", .dtype = ST_U8, .ndim = 1, .shape = {2}, .data = v, .bytes = 2};
    Err e;
    assert_int_equal(st_write(path, &t, 1, NULL, 0, &e), QA_OK);
    FILE *f = fopen(path, "rb");
    uint8_t buf[128];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    const char *want = "{\"x\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}}";
    size_t wl = strlen(want), padded = (wl + 8 + 7) / 8 * 8 - 8;
    assert_int_equal(n, 8 + padded + 2);
    assert_int_equal(buf[0], padded);
    assert_memory_equal(buf + 8, want, wl);
    assert_int_equal(buf[8 + wl], ' ');
    assert_int_equal(buf[8 + padded], 1);
    assert_int_equal(buf[8 + padded + 1], 2);
}

static void expect_reject(const char *hdr, size_t dlen, const char *field, const char *msg)
{
    uint8_t data[64] = {0};
    write_raw(hdr, data, dlen);
    StFile f;
    Err e;
    err_clear(&e);
    assert_int_equal(st_read(&f, path, &e), QA_ERR);
    if (strcmp(e.field, field) || !strstr(e.msg, msg))
        fail_msg("'%s' gave %s: %s; expected %s: ...%s...", hdr, e.field, e.msg, field, msg);
    assert_null(f.buf);
}

static void test_rejects(void **s)
{
    (void)s;
    expect_reject("{\"x\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]", 2, "x",
                  "expected '}'");
    expect_reject("[1,2]", 0, "header", "expected '{'");
    expect_reject("{\"x\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,4]}}", 2, "x",
                  "outside the 2 data bytes");
    expect_reject("{\"x\":{\"dtype\":\"I16\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2, "x",
                  "2 bytes for a I16 shape of 4 bytes");
    expect_reject("{\"x\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]}}", 16, "x",
                  "unsupported dtype 'F64'");
    expect_reject("{\"x\":{\"dtype\":\"U8\",\"shape\":[2]}}", 2, "x", "needs dtype, shape");
    expect_reject("{\"x\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2],\"y\":1}}", 2,
                  "x", "unknown tensor field 'y'");
    expect_reject("{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]},"
                  "\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[2,4]}}", 4, "b",
                  "overlaps tensor a");
    expect_reject("{\"x\":{\"dtype\":\"U8\",\"shape\":[-2],\"data_offsets\":[0,2]}}", 2, "x",
                  "non-negative integer");
    expect_reject("{} trailing", 0, "header", "trailing bytes");
    expect_reject("{\"__metadata__\":{\"k\":5}}", 0, "__metadata__", "expected '\"'");
    /* header length beyond the file */
    FILE *f = fopen(path, "wb");
    uint64_t big = 1000;
    fwrite(&big, 8, 1, f);
    fwrite("{}", 1, 2, f);
    fclose(f);
    StFile sf;
    Err e;
    assert_int_equal(st_read(&sf, path, &e), QA_ERR);
    assert_string_equal(e.field, "header");
    assert_non_null(strstr(e.msg, "header length 1000"));
    /* a file shorter than the length prefix */
    f = fopen(path, "wb");
    fwrite("abc", 1, 3, f);
    fclose(f);
    assert_int_equal(st_read(&sf, path, &e), QA_ERR);
    assert_non_null(strstr(e.msg, "truncated"));
    assert_int_equal(st_read(&sf, "/nonexistent/x.safetensors", &e), QA_ERR);
    assert_string_equal(e.msg, "cannot open model file: No such file or directory");
}

/* A write that fails leaves no file behind. */
static void test_write_error_leaves_nothing(void **s)
{
    (void)s;
    unlink(path);
    uint8_t v[2] = {1, 2};
    StTensor t = {.name = "x", .dtype = ST_U8, .ndim = 1, .shape = {3}, .data = v, .bytes = 2};
    Err e;
    assert_int_equal(st_write(path, &t, 1, NULL, 0, &e), QA_ERR);
    assert_string_equal(e.field, "x");
    assert_int_equal(access(path, F_OK), -1);
}

/* Regression (fuzz_safetensors): four dimensions of up to 2^40 multiply
 * past 2^64. Shape [2^32, 2^32] of F32 wrapped to 0 bytes and matched
 * data_offsets [0, 0]: the reader handed out a 2^64-element tensor over no
 * data. The overflow is refused now; a shape with a 0 dimension still has
 * 0 bytes. */
static void test_shape_overflow_rejected(void **s)
{
    (void)s;
    expect_reject("{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],"
                  "\"data_offsets\":[0,0]}}", 0, "w",
                  "shape too large: its byte count overflows 64 bits");
    expect_reject("{\"w\":{\"dtype\":\"I64\",\"shape\":[1099511627776,1099511627776,"
                  "1099511627776,1099511627776],\"data_offsets\":[0,8]}}", 8, "w",
                  "shape too large: its byte count overflows 64 bits");
    write_raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,0],\"data_offsets\":[0,0]}}",
              NULL, 0);
    StFile f;
    Err e;
    assert_int_equal(st_read(&f, path, &e), QA_OK);
    assert_int_equal(f.n, 1);
    assert_int_equal(f.t[0].bytes, 0);
    st_close(&f);
}

/* Regression (fuzz_safetensors): two tensors of the same name were
 * accepted, and st_get only ever found the first. */
static void test_duplicate_name_rejected(void **s)
{
    (void)s;
    expect_reject("{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]},"
                  "\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[2,4]}}", 4, "a",
                  "duplicate tensor name");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_exact_bytes),
        cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_shape_overflow_rejected),
        cmocka_unit_test(test_duplicate_name_rejected),
        cmocka_unit_test(test_write_error_leaves_nothing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
