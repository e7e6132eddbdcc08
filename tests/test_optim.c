/* test_optim.c: SGD momentum/Nesterov/weight-decay steps by hand, and each
 * learning-rate schedule at chosen steps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "quant/train/optim.h"

#include <math.h>

static void test_sgd_momentum_decay_groups(void **s)
{
    (void)s;
    float p[3] = {1.0f, 2.0f, 4.0f}, g[3] = {0.5f, 0.5f, 0.5f}, v[3] = {0};
    ParamSeg segs[3] = {{0, 1, PK_WEIGHT}, {1, 1, PK_BN}, {2, 1, PK_ALPHA}};
    SgdConfig c = {.momentum = 0.9f, .wd = 0.1f, .wd_bn = 0.0f, .wd_alpha = 0.01f};
    optim_sgd_step(&c, 0.1f, p, g, v, segs, 3);
    /* weight: g' = 0.5 + 0.1*1 = 0.6, v = 0.6, p = 1 - 0.06 */
    assert_float_equal(p[0], 0.94, 1e-6);
    assert_float_equal(p[1], (2.0 - 0.05), 1e-6);
    assert_float_equal(p[2], (4.0 - 0.1 * (0.5 + 0.04)), 1e-6);
    optim_sgd_step(&c, 0.1f, p, g, v, segs, 3);
    /* second step: g' = 0.5 + 0.094 = 0.594, v = 0.9*0.6 + 0.594 = 1.134 */
    assert_float_equal(v[0], 1.134, 1e-6);
    assert_float_equal(p[0], (0.94 - 0.1134), 1e-6);
}

static void test_sgd_nesterov(void **s)
{
    (void)s;
    float p[1] = {1.0f}, g[1] = {1.0f}, v[1] = {0};
    ParamSeg seg = {0, 1, PK_WEIGHT};
    SgdConfig c = {.momentum = 0.5f, .nesterov = 1};
    optim_sgd_step(&c, 0.1f, p, g, v, &seg, 1);
    /* v = 1; p -= 0.1 (1 + 0.5) */
    assert_float_equal(p[0], 0.85, 1e-6);
    optim_sgd_step(&c, 0.1f, p, g, v, &seg, 1);
    /* v = 1.5; p -= 0.1 (1 + 0.75) */
    assert_float_equal(p[0], (0.85 - 0.175), 1e-6);
}

static void test_schedules(void **s)
{
    (void)s;
    Schedule st = {.kind = SCHED_STEP, .lr = 0.1f, .gamma = 0.1f, .step_epochs = 3,
                   .epochs = 9, .steps_per_epoch = 10};
    assert_float_equal(optim_lr(&st, 29), 0.1, 1e-7);
    assert_float_equal(optim_lr(&st, 30), 0.01, 1e-7);
    assert_float_equal(optim_lr(&st, 60), 0.001, 1e-8);
    Schedule co = {.kind = SCHED_COSINE, .lr = 0.2f, .lr_end = 0.0f, .warmup_epochs = 1,
                   .epochs = 5, .steps_per_epoch = 10};
    assert_float_equal(optim_lr(&co, 0), 0.02, 1e-7);
    assert_float_equal(optim_lr(&co, 9), 0.2, 1e-7);
    assert_float_equal(optim_lr(&co, 10), 0.2, 1e-7);
    assert_float_equal(optim_lr(&co, 30), 0.1, 1e-6);  /* halfway through 40 steps */
    assert_float_equal(optim_lr(&co, 50), 0.0, 1e-7);
    /* FAQ: 0.0015 -> 1e-6 over 110 epochs is a factor 0.9353 per epoch */
    Schedule ex = {.kind = SCHED_EXP, .lr = 0.0015f, .lr_end = 1e-6f, .epochs = 110,
                   .steps_per_epoch = 100};
    assert_float_equal(optim_lr(&ex, 99), 0.0015, 1e-9);
    assert_float_equal(((double)optim_lr(&ex, 100) / 0.0015), pow(1e-6 / 0.0015, 1.0 / 109), 1e-5);
    assert_float_equal(optim_lr(&ex, 109 * 100), 1e-6, 1e-10);
    assert_int_equal(optim_sched_parse("cosine"), SCHED_COSINE);
    assert_int_equal(optim_sched_parse("exp"), SCHED_EXP);
    assert_int_equal(optim_sched_parse("linear"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sgd_momentum_decay_groups),
        cmocka_unit_test(test_sgd_nesterov),
        cmocka_unit_test(test_schedules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
