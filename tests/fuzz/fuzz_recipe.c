/* fuzz_recipe.c: libFuzzer harness for the training recipe loader
 * (libconfig). Any input must give QA_OK or a clean Err. An accepted recipe
 * must round-trip: the effective recipe recipe_write prints (also what a
 * checkpoint's recipe hash is taken over) loads back to the same struct. */
#include "tests/fuzz/fuzz.h"

#include "quant/train/recipe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char in[FUZZ_PATH_MAX], out[FUZZ_PATH_MAX];
    Recipe r, r2;
    Err e;
    err_clear(&e);
    fuzz_write("in.cfg", data, size, in);
    if (recipe_load(&r, in, &e) != QA_OK) {
        fuzz_check_err(&e);
        return 0;
    }
    if (recipe_validate(&r, &e) != QA_OK)
        fuzz_check_err(&e);
    fuzz_path("out.cfg", out);
    FILE *f = fopen(out, "w");
    FUZZ_CHECK(f != NULL);
    recipe_write(&r, f);
    FUZZ_CHECK(fclose(f) == 0);
    if (recipe_load(&r2, out, &e) != QA_OK) {
        err_print(&e, stderr);
        FUZZ_CHECK(!"effective recipe does not load back");
    }
    memset(r.file, 0, sizeof r.file);
    memset(r2.file, 0, sizeof r2.file);
    FUZZ_CHECK(memcmp(&r, &r2, sizeof r) == 0);
    return 0;
}
