/* fuzz_ckpt.c: libFuzzer harness for the training checkpoint loader (what
 * `qarray train --resume` reads). One small trainer (the CNN on a
 * synthetic set) is built once; every input is loaded into it. Any input
 * must give QA_OK or a clean Err. An accepted checkpoint must be one
 * training could have written: epoch within the recipe's epochs, the step
 * count of that many epochs, and finite parameters, BN statistics and
 * velocities. */
#include "tests/fuzz/fuzz.h"

#include <math.h>

#include "quant/train/train.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static Trainer t;
/* The trainer as built: a load that fails may have read part of the file
 * into it (the CLI then stops), so every load starts from this state. */
static float *params0, *velocity0, *state0;
static int epoch0;
static long step0;

static void restore(void)
{
    memcpy(t.net.params, params0, t.net.n_params * sizeof *params0);
    memcpy(t.net.velocity, velocity0, t.net.n_params * sizeof *velocity0);
    memcpy(t.net.state, state0, t.net.n_state * sizeof *state0);
    t.epoch = epoch0;
    t.step = step0;
}

static void setup(void)
{
    Recipe r;
    Err e;
    recipe_defaults(&r);
    static const char *const set[] = {
        "model.arch=cnn", "data.synthetic=64", "data.test_subset=16",
        "train.epochs=3", "train.batch=16",
    };
    for (size_t i = 0; i < QA_COUNT(set); i++)
        FUZZ_CHECK(recipe_set(&r, set[i], &e) == QA_OK);
    if (train_init(&t, &r, &e) != QA_OK) {
        err_print(&e, stderr);
        abort();
    }
    params0 = malloc(t.net.n_params * sizeof *params0);
    velocity0 = malloc(t.net.n_params * sizeof *velocity0);
    state0 = malloc(t.net.n_state * sizeof *state0 + 1);
    FUZZ_CHECK(params0 && velocity0 && state0);
    memcpy(params0, t.net.params, t.net.n_params * sizeof *params0);
    memcpy(velocity0, t.net.velocity, t.net.n_params * sizeof *velocity0);
    memcpy(state0, t.net.state, t.net.n_state * sizeof *state0);
    epoch0 = t.epoch;
    step0 = t.step;
}

static int finite_all(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        setup();
        ready = 1;
    }
    char in[FUZZ_PATH_MAX];
    Err e;
    err_clear(&e);
    fuzz_write("in.ckpt", data, size, in);
    for (int weights_only = 0; weights_only < 2; weights_only++) {
        restore();
        if (train_load(&t, in, weights_only, &e) != QA_OK) {
            fuzz_check_err(&e);
            continue;
        }
        FUZZ_CHECK(t.epoch >= 0 && t.epoch <= t.r.epochs);
        FUZZ_CHECK(t.step == (long)t.epoch * t.sched.steps_per_epoch);
        FUZZ_CHECK(finite_all(t.net.params, t.net.n_params));
        FUZZ_CHECK(finite_all(t.net.velocity, t.net.n_params));
        FUZZ_CHECK(finite_all(t.net.state, t.net.n_state));
    }
    return 0;
}
