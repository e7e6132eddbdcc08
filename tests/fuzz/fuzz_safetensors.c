/* fuzz_safetensors.c: libFuzzer harness for the safetensors reader (header
 * JSON, dtypes, shapes, data offsets). Any input must give QA_OK or a clean
 * Err. An accepted file must be self-consistent: every tensor's bytes are
 * the product of its shape and dtype size and lie inside the file, names
 * are unique and st_get finds each tensor by name with its own dtype and
 * shape, and writing the
 * tensors and metadata back and reading them again gives the same names,
 * shapes and bytes. */
#include "tests/fuzz/fuzz.h"

#include "quant/int/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char in[FUZZ_PATH_MAX], out[FUZZ_PATH_MAX];
    StFile f, g;
    Err e;
    err_clear(&e);
    fuzz_write("in.safetensors", data, size, in);
    if (st_read(&f, in, &e) != QA_OK) {
        fuzz_check_err(&e);
        FUZZ_CHECK(f.buf == NULL && f.t == NULL && f.meta == NULL);
        return 0;
    }
    FUZZ_CHECK(f.len == size);
    for (int i = 0; i < f.n; i++) {
        const StTensor *t = &f.t[i];
        FUZZ_CHECK(t->ndim >= 0 && t->ndim <= ST_MAX_DIMS);
        /* the shape's byte count, saturated above the file size so that
         * it cannot overflow (a zero dimension still gives 0) */
        __uint128_t want = st_dtype_size(t->dtype);
        for (int d = 0; d < t->ndim; d++) {
            FUZZ_CHECK(t->shape[d] >= 0);
            want *= (__uint128_t)t->shape[d];
            if (want > size)
                want = (__uint128_t)size + 1;
        }
        FUZZ_CHECK(want == t->bytes);
        const uint8_t *p = t->data;
        FUZZ_CHECK(p >= f.buf + 8 && p + t->bytes <= f.buf + f.len);
        /* names are keys: a second tensor of the same name would be
         * unreachable through st_get */
        for (int k = 0; k < i; k++)
            FUZZ_CHECK(strcmp(f.t[k].name, t->name) != 0);
        const void *got;
        FUZZ_CHECK(st_get(&f, t->name, t->dtype, t->ndim, t->shape, &got,
                          &e) == QA_OK);
        FUZZ_CHECK(got == t->data);
    }
    fuzz_path("out.safetensors", out);
    const char **meta = qa_malloc(sizeof *meta * (size_t)(2 * f.n_meta + 1));
    FUZZ_CHECK(meta != NULL);
    for (int i = 0; i < 2 * f.n_meta; i++)
        meta[i] = f.meta[i];
    if (st_write(out, f.t, f.n, meta, f.n_meta, &e) == QA_OK) {
        FUZZ_CHECK(st_read(&g, out, &e) == QA_OK);
        FUZZ_CHECK(g.n == f.n && g.n_meta == f.n_meta);
        for (int i = 0; i < f.n; i++) {
            const void *got;
            FUZZ_CHECK(st_get(&g, f.t[i].name, f.t[i].dtype, f.t[i].ndim,
                              f.t[i].shape, &got, &e) == QA_OK);
            if (f.t[i].bytes)
                FUZZ_CHECK(!memcmp(got, f.t[i].data, f.t[i].bytes));
        }
        st_close(&g);
    } else {
        fuzz_check_err(&e);
    }
    free(meta);
    st_close(&f);
    return 0;
}
