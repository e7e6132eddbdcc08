/* fuzz_idx.c: libFuzzer harness for the IDX dataset reader (gzip'd or
 * plain). The input is split in two files: the first two bytes give the
 * length of the image file (little-endian, taken modulo what is left), the
 * rest is the label file. Any input must give QA_OK or a clean Err and never
 * an allocation the input cannot back; an accepted set must have labels
 * below IDX_CLASSES and the header's sizes. */
#include "tests/fuzz/fuzz.h"

#include "quant/train/idx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char im[FUZZ_PATH_MAX], lb[FUZZ_PATH_MAX];
    if (size < 2)
        return 0;
    size_t rest = size - 2;
    size_t split = ((size_t)data[0] | (size_t)data[1] << 8) % (rest + 1);
    fuzz_write("images.idx", data + 2, split, im);
    fuzz_write("labels.idx", data + 2 + split, rest - split, lb);
    Dataset ds;
    Err e;
    err_clear(&e);
    if (idx_load(&ds, im, lb, &e) != QA_OK) {
        fuzz_check_err(&e);
        FUZZ_CHECK(ds.images == NULL && ds.labels == NULL);
        return 0;
    }
    FUZZ_CHECK(ds.n > 0 && ds.H > 0 && ds.W > 0);
    for (int i = 0; i < ds.n; i++)
        FUZZ_CHECK(ds.labels[i] < IDX_CLASSES);
    idx_free(&ds);
    return 0;
}
