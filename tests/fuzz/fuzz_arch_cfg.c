/* fuzz_arch_cfg.c: libFuzzer harness for the architecture loader.
 * Any input must give QA_OK or a clean Err (never a crash, a hang, a leak or
 * undefined behaviour). Accepted input must also round-trip: the effective
 * configuration arch_save writes must load back to the same Accel. */
#include "tests/fuzz/fuzz.h"

#include "arch/arch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The fields arch_save writes: the lane table only under rule "table" and
 * only for 1..base_bits bits. */
static void normalise(Accel *a)
{
    for (int b = 0; b <= ARCH_MAX_BITS; b++)
        if (a->scale_rule != SCALE_TABLE || b < 1 || b > a->base_bits)
            a->lane_table[b] = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char in[FUZZ_PATH_MAX], out[FUZZ_PATH_MAX];
    Accel a, b;
    Err e;
    err_clear(&e);
    fuzz_write("in.cfg", data, size, in);
    if (arch_load(&a, in, &e) != QA_OK) {
        fuzz_check_err(&e);
        return 0;
    }
    fuzz_path("out.cfg", out);
    FUZZ_CHECK(arch_save(&a, out, &e) == QA_OK);
    if (arch_load(&b, out, &e) != QA_OK) {
        err_print(&e, stderr);
        FUZZ_CHECK(!"effective config does not load back");
    }
    normalise(&a);
    normalise(&b);
    FUZZ_CHECK(memcmp(&a, &b, sizeof a) == 0);
    return 0;
}
