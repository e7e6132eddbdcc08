/* fuzz_npy.c: libFuzzer harness for the .npy reader. Any input must give
 * QA_OK or a clean Err, and no allocation larger than the file can back
 * (the harness runs with -malloc_limit_mb). An accepted array must
 * round-trip: written back and read again, it has the same shape and the
 * same bytes. */
#include "tests/fuzz/fuzz.h"

#include "quant/npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char in[FUZZ_PATH_MAX], out[FUZZ_PATH_MAX];
    float *x = NULL, *y = NULL;
    NpyShape sh, sh2;
    Err e;
    err_clear(&e);
    fuzz_write("in.npy", data, size, in);
    if (npy_read_f32(in, &x, &sh, &e) != QA_OK) {
        fuzz_check_err(&e);
        FUZZ_CHECK(x == NULL);
        return 0;
    }
    FUZZ_CHECK(sh.n * sizeof(float) <= size);
    fuzz_path("out.npy", out);
    FUZZ_CHECK(npy_write(out, NPY_F32, x, &sh, &e) == QA_OK);
    FUZZ_CHECK(npy_read_f32(out, &y, &sh2, &e) == QA_OK);
    FUZZ_CHECK(sh2.ndim == sh.ndim && sh2.n == sh.n);
    FUZZ_CHECK(!memcmp(sh2.shape, sh.shape, (size_t)sh.ndim * sizeof sh.shape[0]));
    FUZZ_CHECK(!memcmp(x, y, sh.n * sizeof *x));
    free(x);
    free(y);
    return 0;
}
