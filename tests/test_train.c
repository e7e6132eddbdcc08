/* test_train.c: a small network learns the seeded synthetic set well above
 * chance; resume from a checkpoint is bit-identical to an uninterrupted run;
 * recipe and checkpoint errors name file, line and key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "quant/train.h"

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
    print_message("synthetic: test %.1f%% -> %.1f%%, loss %.3f -> %.3f\n", acc0, acc1,
                  loss0, loss1);
    assert_true(acc1 > 70.0f);
    assert_true(loss1 < 1.0f);
    assert_float_equal(st.test_acc, acc1, 1e-4);
    train_free(&t);
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
    assert_int_equal(train_run(&r, b, 1, NULL, devnull, &e), QA_OK);
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
    assert_string_equal(e.msg, "unknown key");
    write_text("bad2.cfg", "train: {\n epochs = 0;\n};\n");
    path_of(p, sizeof p, "bad2.cfg");
    assert_int_equal(recipe_load(&r, p, &e), QA_ERR);
    assert_int_equal(e.line, 2);
    assert_string_equal(e.field, "train.epochs");
    assert_non_null(strstr(e.msg, "out of range"));
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_learns_synthetic),
        cmocka_unit_test(test_resume_bit_identical),
        cmocka_unit_test(test_checkpoint_errors),
        cmocka_unit_test(test_recipe_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
