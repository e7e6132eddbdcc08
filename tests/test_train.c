/* test_train.c: a small network learns the seeded synthetic set well above
 * chance; resume from a checkpoint is bit-identical to an uninterrupted run;
 * recipe and checkpoint errors name file, line and key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "quant/train/train.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];

static void path_of(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", dir, name);
}

static void write_text(const char *name, const char *text)
{
    char p[128];
    path_of(p, sizeof p, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static const char *small_recipe =
    "model: { arch = \"cnn\"; width = 1.0; };\n"
    "data: { synthetic = 1000; augment = true; };\n"
    "train: { epochs = 2; batch = 50; seed = 3; schedule = \"cosine\";\n"
    "         lr = 0.15; nesterov = true; wd = 1e-4; };\n";

static int setup(void **s)
{
    (void)s;
    strcpy(dir, "/tmp/qa_train_XXXXXX");
    assert_non_null(mkdtemp(dir));
    write_text("small.cfg", small_recipe);
    return 0;
}

static int teardown(void **s)
{
    (void)s;
    const char *f[] = {"small.cfg", "bad1.cfg", "bad2.cfg", "bad3.cfg", "a.ckpt",
                       "b.ckpt", "junk.ckpt"};
    char p[128];
    for (size_t i = 0; i < QA_COUNT(f); i++) {
        path_of(p, sizeof p, f[i]);
        unlink(p);
    }
    rmdir(dir);
    return 0;
}

static void load_small(Recipe *r)
{
    char p[128];
    Err e;
    path_of(p, sizeof p, "small.cfg");
    if (recipe_load(r, p, &e)) {
        err_print(&e, stderr);
        fail();
    }
}

/* Two epochs on 1000 synthetic images: test accuracy far above 10% chance,
 * loss below the initial ln(10). */
static void test_learns_synthetic(void **s)
{
    (void)s;
    Recipe r;
    load_small(&r);
    Trainer t;
    Err e;
    assert_int_equal(train_init(&t, &r, &e), QA_OK);
    float loss0;
    float acc0 = train_evaluate(&t, &t.test, &loss0);
    EpochStats st;
    for (int i = 0; i < 2; i++)
        assert_int_equal(train_epoch(&t, &st, &e), QA_OK);
    float loss1;
    float acc1 = train_evaluate(&t, &t.test, &loss1);
    print_message("synthetic: test %.1f%% -> %.1f%%, loss %.3f -> %.3f\n", (double)acc0,
                  (double)acc1, (double)loss0, (double)loss1);
    assert_true(acc1 > 70.0f);
    assert_true(loss1 < 1.0f);
    assert_float_equal(st.test_acc, acc1, 1e-4);
    train_free(&t);
}

/* The same epoch with 1 and 3 OpenMP threads ends in bit-identical weights:
 * every sum runs over fixed slices, never over threads. */
static void test_thread_count_bit_identical(void **s)
{
    (void)s;
    Recipe r;
    load_small(&r);
    r.epochs = 1;
    Err e;
    Trainer t;
    EpochStats st;
    int saved = omp_get_max_threads();
    float *ref = NULL;
    size_t np = 0;
    for (int T = 1; T <= 3; T += 2) {
        omp_set_num_threads(T);
        assert_int_equal(train_init(&t, &r, &e), QA_OK);
        assert_int_equal(train_epoch(&t, &st, &e), QA_OK);
        if (!ref) {
            np = t.net.n_params;
            ref = malloc(sizeof(float) * np);
            memcpy(ref, t.net.params, sizeof(float) * np);
        } else {
            assert_memory_equal(t.net.params, ref, sizeof(float) * np);
        }
        train_free(&t);
    }
    omp_set_num_threads(saved);
    free(ref);
}

/* 2 epochs straight == 1 epoch, checkpoint, fresh trainer, resume, 1 epoch. */
static void test_resume_bit_identical(void **s)
{
    (void)s;
    Recipe r;
    load_small(&r);
    Err e;
    char a[128], b[128];
    path_of(a, sizeof a, "a.ckpt");
    path_of(b, sizeof b, "b.ckpt");
    Trainer t;
    EpochStats st;
    assert_int_equal(train_init(&t, &r, &e), QA_OK);
    assert_int_equal(train_epoch(&t, &st, &e), QA_OK);
    assert_int_equal(train_epoch(&t, &st, &e), QA_OK);
    assert_int_equal(train_save(&t, a, &e), QA_OK);
    float *ref = malloc(sizeof(float) * t.net.n_params);
    memcpy(ref, t.net.params, sizeof(float) * t.net.n_params);
    size_t np = t.net.n_params;
    train_free(&t);

    assert_int_equal(train_init(&t, &r, &e), QA_OK);
    assert_int_equal(train_epoch(&t, &st, &e), QA_OK);
    assert_int_equal(train_save(&t, b, &e), QA_OK);
    train_free(&t);
    assert_int_equal(train_init(&t, &r, &e), QA_OK);
    assert_int_equal(train_load(&t, b, 0, &e), QA_OK);
    assert_int_equal(t.epoch, 1);
    assert_int_equal(train_epoch(&t, &st, &e), QA_OK);
    assert_memory_equal(t.net.params, ref, sizeof(float) * np);
    train_free(&t);

    /* train_run --resume from the one-epoch checkpoint gets there too */
    FILE *devnull = fopen("/dev/null", "w");
    Trainer done;
    assert_int_equal(train_run(&done, &r, b, 1, devnull, &e), QA_OK);
    train_free(&done);
    fclose(devnull);
    assert_int_equal(train_init(&t, &r, &e), QA_OK);
    assert_int_equal(train_load(&t, b, 0, &e), QA_OK);
    assert_memory_equal(t.net.params, ref, sizeof(float) * np);
    train_free(&t);
    free(ref);
}

static void test_checkpoint_errors(void **s)
{
    (void)s;
    Recipe r;
    load_small(&r);
    Err e;
    Trainer t;
    char a[128], j[128];
    path_of(a, sizeof a, "a.ckpt");
    path_of(j, sizeof j, "junk.ckpt");
    write_text("junk.ckpt", "not a checkpoint at all, just some text......................");
    assert_int_equal(train_init(&t, &r, &e), QA_OK);
    assert_int_equal(train_load(&t, j, 0, &e), QA_ERR);
    assert_string_equal(e.field, "magic");
    /* a different recipe (seed) must not resume this checkpoint */
    t.r.seed = 99;
    assert_int_equal(train_load(&t, a, 0, &e), QA_ERR);
    assert_string_equal(e.field, "recipe");
    assert_int_equal(train_load(&t, a, 1, &e), QA_OK); /* weights only: fine */
    train_free(&t);
    /* a different width does not fit */
    r.width = 2.0;
    assert_int_equal(train_init(&t, &r, &e), QA_OK);
    assert_int_equal(train_load(&t, a, 1, &e), QA_ERR);
    assert_string_equal(e.field, "model");
    train_free(&t);
    /* a truncated checkpoint */
    FILE *f = fopen(a, "r+b");
    assert_non_null(f);
    assert_int_equal(ftruncate(fileno(f), 300), 0);
    fclose(f);
    load_small(&r);
    assert_int_equal(train_init(&t, &r, &e), QA_OK);
    assert_int_equal(train_load(&t, a, 0, &e), QA_ERR);
    assert_non_null(strstr(e.msg, "truncated"));
    train_free(&t);
}

/* Quantized weights that lose the float scale rescale every conv output:
 * calibrating a float checkpoint with its stale BN running statistics made
 * the act clips grow layer by layer. With batch statistics every clip stays
 * near the scale of a BN output. */
static void calibrate_from_float(const char *w_method, const char *a_method, int wn)
{
    Recipe r;
    load_small(&r);
    r.epochs = 1;
    Err e;
    char a[128];
    path_of(a, sizeof a, "a.ckpt");
    Trainer t;
    EpochStats st;
    assert_int_equal(train_init(&t, &r, &e), QA_OK);
    assert_int_equal(train_epoch(&t, &st, &e), QA_OK);
    assert_int_equal(train_save(&t, a, &e), QA_OK);
    train_free(&t);
    snprintf(r.w_method, sizeof r.w_method, "%s", w_method);
    snprintf(r.a_method, sizeof r.a_method, "%s", a_method);
    r.w_bits = r.a_bits = 4;
    r.wn = wn;
    r.alpha_init = 0;
    r.calib_batches = 4;
    snprintf(r.init_from, sizeof r.init_from, "%s", a);
    assert_int_equal(train_init(&t, &r, &e), QA_OK);
    int acts = 0;
    for (int i = 0; i < t.net.n_ops; i++) {
        const QOp *op = &t.net.ops[i];
        if (op->kind != QOP_ACT || op->a_bits == 0)
            continue;
        acts++;
        print_message("%s %s clip %.3f\n", w_method, op->name, (double)op->q.alpha);
        assert_true(op->q.alpha > 0.25f && op->q.alpha <= 16.0f);
    }
    assert_int_equal(acts, 3);
    train_free(&t);
}

/* APoT's weight normalization (ResNet-20: clips to 1e15). */
static void test_wn_calibration_from_float(void **s)
{
    (void)s;
    calibrate_from_float("apot", "uniform", 1);
}

/* DoReFa maps weights to [-1, 1] whatever their float scale: the same
 * stale-statistics blow-up (ResNet-20 PACT+DoReFa: clips to 4e9, loss at
 * chance from the first step). */
static void test_dorefa_calibration_from_float(void **s)
{
    (void)s;
    calibrate_from_float("dorefa", "pact", 0);
}

static void test_recipe_errors(void **s)
{
    (void)s;
    Recipe r;
    Err e;
    char p[128];
    write_text("bad1.cfg", "model: { arch = \"resnet20\";\n  widht = 2.0; };\n");
    path_of(p, sizeof p, "bad1.cfg");
    assert_int_equal(recipe_load(&r, p, &e), QA_ERR);
    assert_int_equal(e.line, 2);
    assert_string_equal(e.field, "model.widht");
    assert_string_equal(e.msg, "unknown key (qarray train --help lists them)");
    write_text("bad2.cfg", "train: {\n epochs = 0;\n};\n");
    path_of(p, sizeof p, "bad2.cfg");
    assert_int_equal(recipe_load(&r, p, &e), QA_ERR);
    assert_int_equal(e.line, 2);
    assert_string_equal(e.field, "train.epochs");
    assert_string_equal(e.msg, "must be in 1..10000, is 0");
    write_text("bad3.cfg", "quant: { w_method = \"sawb\"; };\n");
    path_of(p, sizeof p, "bad3.cfg");
    assert_int_equal(recipe_load(&r, p, &e), QA_ERR);
    assert_string_equal(e.field, "quant.w_bits");
    recipe_defaults(&r);
    assert_int_equal(recipe_set(&r, "train.lr=0.2", &e), QA_OK);
    assert_float_equal(r.lr, 0.2, 0);
    assert_int_equal(recipe_set(&r, "train.lr=abc", &e), QA_ERR);
    assert_int_equal(recipe_set(&r, "nope=1", &e), QA_ERR);
    assert_string_equal(e.field, "nope");
    /* the effective recipe written out reads back to the same struct */
    FILE *f = fopen(p, "w");
    load_small(&r);
    recipe_write(&r, f);
    fclose(f);
    Recipe r2;
    assert_int_equal(recipe_load(&r2, p, &e), QA_OK);
    memset(r.file, 0, sizeof r.file);
    memset(r2.file, 0, sizeof r2.file);
    assert_memory_equal(&r, &r2, sizeof r);
}

/* Numerical faults: a NaN or Inf stops training at once with the step and
 * the layer (before, a float net trained on NaN and checkpointed it). A NaN
 * weight of the fc makes its output, the logits and the loss NaN in the
 * first forward pass; a NaN conv weight whose NaN a ReLU hides from the
 * loss is caught after the first update; an infinite velocity turns a BN
 * gamma infinite in the first update. */
static void test_divergence_stops_with_step_and_layer(void **s)
{
    (void)s;
    Recipe r;
    load_small(&r);
    Err e;
    Trainer t;
    EpochStats st;
    assert_int_equal(train_init(&t, &r, &e), QA_OK);
    const QOp *fc = &t.net.ops[t.net.n_ops - 1];
    assert_int_equal(fc->kind, QOP_FC);
    t.net.params[fc->p_w] = NAN;
    assert_int_equal(train_epoch(&t, &st, &e), QA_ERR);
    assert_string_equal(e.field, fc->name);
    if (!strstr(e.msg, "step 1 (epoch 1): output not finite"))
        fail_msg("%s: %s", e.field, e.msg);
    train_free(&t);

    assert_int_equal(train_init(&t, &r, &e), QA_OK);
    assert_int_equal(t.net.ops[0].kind, QOP_CONV);
    t.net.params[t.net.ops[0].p_w] = NAN;
    assert_int_equal(train_epoch(&t, &st, &e), QA_ERR);
    assert_string_equal(e.field, t.net.ops[0].name);
    assert_non_null(strstr(e.msg, "step 1 (epoch 1): "));
    train_free(&t);

    assert_int_equal(train_init(&t, &r, &e), QA_OK);
    const QOp *bn = NULL;
    for (int i = 0; i < t.net.n_ops && !bn; i++)
        if (t.net.ops[i].kind == QOP_BN)
            bn = &t.net.ops[i];
    assert_non_null(bn);
    t.net.velocity[bn->p_w] = INFINITY;
    assert_int_equal(train_epoch(&t, &st, &e), QA_ERR);
    assert_string_equal(e.field, bn->name);
    assert_non_null(strstr(e.msg, "step 1 (epoch 1): parameter not finite after the update"));
    train_free(&t);
}

/* Regression (fuzz_ckpt): a checkpoint holding NaN parameters, or an epoch
 * outside the recipe's run, was loaded and trained on. */
static void test_checkpoint_rejects_nan_and_bad_epoch(void **s)
{
    (void)s;
    Recipe r;
    load_small(&r);
    Err e;
    Trainer t;
    char b[128];
    path_of(b, sizeof b, "b.ckpt");
    assert_int_equal(train_init(&t, &r, &e), QA_OK);
    float keep = t.net.velocity[3];
    t.net.velocity[3] = NAN;
    assert_int_equal(train_save(&t, b, &e), QA_OK);
    assert_int_equal(train_load(&t, b, 0, &e), QA_ERR);
    assert_string_equal(e.field, "params");
    t.net.velocity[3] = keep;
    t.epoch = 7;
    t.step = 7 * t.sched.steps_per_epoch;
    assert_int_equal(train_save(&t, b, &e), QA_OK);
    assert_int_equal(train_load(&t, b, 0, &e), QA_ERR);
    assert_string_equal(e.field, "epoch");
    t.epoch = 1;
    t.step = 0;
    assert_int_equal(train_save(&t, b, &e), QA_OK);
    assert_int_equal(train_load(&t, b, 0, &e), QA_ERR);
    assert_string_equal(e.field, "epoch");
    assert_int_equal(train_load(&t, b, 1, &e), QA_OK); /* weights only: fine */
    t.step = t.sched.steps_per_epoch;
    assert_int_equal(train_save(&t, b, &e), QA_OK);
    assert_int_equal(train_load(&t, b, 0, &e), QA_OK);
    train_free(&t);
}

/* Regression (fuzz_recipe): the effective recipe (also what a checkpoint's
 * recipe hash covers) wrote strings unescaped (data.dir a"b gave a syntax
 * error), doubles to 9 digits (lr 0.1234567890123 came back changed) and
 * -0.0 as "-0", which reads back as the integer 0. */
static void test_recipe_write_round_trip(void **s)
{
    (void)s;
    char p[128];
    write_text("bad3.cfg", "data: { dir = \"a\\\"b\\\\c\\x01\"; };\n"
                           "train: { lr = 0.1234567890123; momentum = 0.9;\n"
                           "         lr_end = -0.0; };\n");
    path_of(p, sizeof p, "bad3.cfg");
    Recipe r, r2;
    Err e;
    assert_int_equal(recipe_load(&r, p, &e), QA_OK);
    assert_string_equal(r.data_dir, "a\"b\\c\x01");
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    recipe_write(&r, f);
    fclose(f);
    if (recipe_load(&r2, p, &e) != QA_OK)
        fail_msg("effective recipe does not load back: %s", e.msg);
    memset(r.file, 0, sizeof r.file);
    memset(r2.file, 0, sizeof r2.file);
    assert_memory_equal(&r, &r2, sizeof r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_learns_synthetic),
        cmocka_unit_test(test_thread_count_bit_identical),
        cmocka_unit_test(test_wn_calibration_from_float),
        cmocka_unit_test(test_dorefa_calibration_from_float),
        cmocka_unit_test(test_resume_bit_identical),
        cmocka_unit_test(test_checkpoint_errors),
        cmocka_unit_test(test_recipe_errors),
        cmocka_unit_test(test_divergence_stops_with_step_and_layer),
        cmocka_unit_test(test_checkpoint_rejects_nan_and_bad_epoch),
        cmocka_unit_test(test_recipe_write_round_trip),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
