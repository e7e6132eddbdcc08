/* fuzz_study.c: libFuzzer harness for the sweep (study) file loader. Any
 * input must give QA_OK or a clean Err. An accepted study must decode every
 * point it can reach: the first, the last and a spread between, each with a
 * value on every axis, its baseline, and a valid chip. */
#include "tests/fuzz/fuzz.h"

#include "sim/study/study.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_point(const Study *s, int64_t id)
{
    StudyPoint p, b;
    Err e;
    study_point(s, id, &p);
    FUZZ_CHECK(p.id == id);
    for (int ax = 0; ax < STUDY_NAXES; ax++)
        FUZZ_CHECK(p.v[ax] != NULL);
    FUZZ_CHECK(arch_validate(&p.accel, NULL, &e) == QA_OK);
    study_baseline(s, &p, &b);
    for (int ax = 0; ax < STUDY_NAXES; ax++)
        FUZZ_CHECK(b.v[ax] != NULL);
    FUZZ_CHECK(arch_validate(&b.accel, NULL, &e) == QA_OK);
    int inner = study_inner_bits(&p);
    FUZZ_CHECK(inner >= 1 && inner <= ARCH_MAX_BITS);
    int fl = study_first_last_bits(&p);
    FUZZ_CHECK(fl >= 1 && fl <= ARCH_MAX_BITS);
    (void)study_point_in_plot(s, &p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char in[FUZZ_PATH_MAX];
    Study s;
    Err e;
    err_clear(&e);
    fuzz_write("in.cfg", data, size, in);
    if (study_load(&s, in, &e) != QA_OK) {
        fuzz_check_err(&e);
        return 0;
    }
    FUZZ_CHECK(s.npoints >= 1 && s.npoints <= STUDY_MAX_POINTS);
    int64_t step = s.npoints / 16 + 1;
    for (int64_t id = 0; id < s.npoints; id += step)
        check_point(&s, id);
    check_point(&s, s.npoints - 1);
    study_free(&s);
    return 0;
}
