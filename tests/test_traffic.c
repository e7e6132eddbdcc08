/* test_traffic.c: input rows with halo, even splits, and the DRAM bytes
 * and scratchpad fit of single candidates, by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "models/traffic.h"

static Layer conv(int C, int K, int H, int R, int stride, int pad)
{
    Layer l;
    Err e;
    memset(&l, 0, sizeof l);
    snprintf(l.name, sizeof l.name, "c");
    l.op = OP_CONV;
    l.N = 1; l.C = C; l.K = K; l.H = H; l.W = H; l.R = R; l.S = R;
    l.stride = stride; l.pad = pad; l.groups = 1;
    l.w_bits = l.a_bits = l.o_bits = 8;
    l.in[0] = l.in[1] = LAYER_NO_INPUT;
    assert_int_equal(layer_finish(&l, &e), QA_OK);
    return l;
}

/* Shape on every core the split can use, then price, as the mapper does. */
static int shape_eval(const Accel *a, const LayerView *v, int64_t resident,
                      TileChoice *c)
{
    c->cores_used = (int)QA_MIN((int64_t)a->cores, traffic_units(v, c->split));
    traffic_shape(v, c);
    return traffic_eval(a, v, resident, c);
}

static void test_in_rows(void **state)
{
    (void)state;
    Layer c3 = conv(64, 64, 56, 3, 1, 1);   /* P = 56 */
    assert_int_equal(traffic_in_rows(&c3, 56), 56);  /* whole image */
    assert_int_equal(traffic_in_rows(&c3, 8), 8 + 2); /* 8 rows + halo of 2 */
    assert_int_equal(traffic_in_rows(&c3, 112), 112); /* two images */
    Layer ds = conv(256, 512, 56, 1, 2, 0);  /* 1x1 stride 2: P = 28 */
    assert_int_equal(ds.P, 28);
    assert_int_equal(traffic_in_rows(&ds, 7), 14);   /* skipped rows fetched too */
    assert_int_equal(traffic_in_rows(&ds, 28), 56);
    Layer c1 = conv(3, 64, 224, 7, 2, 3);    /* P = 112 */
    assert_int_equal(traffic_in_rows(&c1, 10), 20 + 5);
    assert_int_equal(traffic_in_rows(&c1, 0), 0);
}

/* Sliding window: a 3x3/1 conv on 56 rows has an overlap of 2 rows. */
static void test_in_rows_range(void **state)
{
    (void)state;
    Layer c3 = conv(64, 64, 56, 3, 1, 1);
    c3.N = 2;
    assert_int_equal(traffic_in_rows_range(&c3, 0, 0, 8), 10);   /* 8 + 2 */
    assert_int_equal(traffic_in_rows_range(&c3, 0, 8, 16), 8);   /* 18 - 10 */
    assert_int_equal(traffic_in_rows_range(&c3, 0, 0, 56), 56);  /* whole image */
    /* Rows 50..55 of image 0 (56 - 52 = 4 new) and 0..3 of image 1 (4 + 2). */
    assert_int_equal(traffic_in_rows_range(&c3, 0, 50, 60), 4 + 6);
    /* A core starting at row 28 fetches its own overlap. */
    assert_int_equal(traffic_in_rows_range(&c3, 28, 28, 56), 30);
    /* Blocking does not change a pass: 7 blocks of 8 rows = one of 56. */
    int64_t sum = 0;
    for (int b = 0; b < 7; b++)
        sum += traffic_in_rows_range(&c3, 0, 8 * b, 8 * b + 8);
    assert_int_equal(sum, 56);
    Layer ds = conv(256, 512, 56, 1, 2, 0);  /* no overlap: stride > R */
    assert_int_equal(traffic_in_rows_range(&ds, 0, 0, 7), 14);
    assert_int_equal(traffic_in_rows_range(&ds, 0, 7, 14), 14);
    /* Across whole images (batch 5): from row 50 of image 0 (6 rows of
     * output, 56 - 52 = 4 new input rows) through images 1..3 (56 each)
     * to rows 0..9 of image 4 (10 + 2). */
    c3.N = 5;
    assert_int_equal(traffic_in_rows_range(&c3, 0, 50, 4 * 56 + 10),
                     4 + 3 * 56 + 12);
    /* The same pass cut into 1-row blocks fetches the same rows. */
    sum = 0;
    for (int64_t r = 50; r < 4 * 56 + 10; r++)
        sum += traffic_in_rows_range(&c3, 50, r, r + 1);
    assert_int_equal(sum, traffic_in_rows_range(&c3, 50, 50, 4 * 56 + 10));
}

/* Where every output row fetches `stride` rows of its own, r rows fetch
 * r * stride wherever they lie, so tiles of equal size are equal. */
static void test_rows_uniform(void **state)
{
    (void)state;
    Layer ds = conv(256, 512, 56, 1, 2, 0);  /* P = 28, 28 * 2 = 56 rows */
    ds.N = 3;
    assert_true(traffic_rows_uniform(&ds));
    for (int64_t a = 0; a + 5 <= 3 * 28; a++)
        assert_int_equal(traffic_in_rows_range(&ds, 0, a, a + 5), 10);
    Layer odd = conv(64, 64, 7, 1, 2, 0);    /* P = 4: 4 * 2 > 7 rows */
    assert_false(traffic_rows_uniform(&odd));
    assert_int_equal(traffic_in_rows_range(&odd, 0, 3, 4), 1); /* row 6 only */
    Layer c3 = conv(64, 64, 56, 3, 1, 1);    /* overlapping windows */
    assert_false(traffic_rows_uniform(&c3));
    Layer pw = conv(64, 64, 56, 1, 1, 0);    /* 1x1, stride 1 */
    assert_true(traffic_rows_uniform(&pw));
}

static void test_part(void **state)
{
    (void)state;
    /* 10 over 4: 3 3 2 2 */
    assert_int_equal(traffic_part(10, 4, 0), 3);
    assert_int_equal(traffic_part(10, 4, 1), 3);
    assert_int_equal(traffic_part(10, 4, 2), 2);
    assert_int_equal(traffic_part(10, 4, 3), 2);
    int64_t sum = 0;
    for (int i = 0; i < 7; i++)
        sum += traffic_part(1000003, 7, i);
    assert_int_equal(sum, 1000003);
}

/* FC 1024 -> 64, batch 4, 8 bits, one core, single buffers:
 * W = 65536 B, I = 4096 B, O = 256 B. */
static void fc_view(Layer *l, LayerView *v)
{
    Err e;
    memset(l, 0, sizeof *l);
    snprintf(l->name, sizeof l->name, "fc");
    l->op = OP_FC;
    l->N = 4; l->C = 1024; l->K = 64; l->H = l->W = l->R = l->S = 1;
    l->stride = 1; l->groups = 1;
    l->w_bits = l->a_bits = l->o_bits = 8;
    l->in[0] = l->in[1] = LAYER_NO_INPUT;
    assert_int_equal(layer_finish(l, &e), QA_OK);
    memset(v, 0, sizeof *v);
    v->l = l;
    v->on_array = 1;
    v->kind = VIEW_DENSE;
    v->nin = 1;
    v->rows_out = 4;
    v->ch = 64;
    v->unit_k = 1;
    v->kg = 1024;
    v->row_in_bytes = 1024;
    v->w_all = 65536;
    v->in_all[0] = 4096;
    v->out_all = 256;
    /* the same as the view of the layer */
    LayerView d;
    memset(&d, 0, sizeof d);
    traffic_view_dims(l, &d);
    assert_memory_equal(&d, v, sizeof d);
}

static void test_eval_by_hand(void **state)
{
    (void)state;
    Layer l;
    LayerView v;
    fc_view(&l, &v);
    Accel a;
    arch_defaults(&a);
    a.cores = 1;
    a.double_buffer = 0;
    a.sram_bytes = 4096;
    TileChoice c;

    /* Inputs outer, 1 filter x 2 images per tile: 1024 + 2048 + 2 B fit;
     * inputs read once, weights once per row block (2 blocks). */
    memset(&c, 0, sizeof c);
    c.split = SPLIT_K;
    c.order = LOOP_IN_OUTER;
    c.tn = 1;
    c.tr = 2;
    assert_int_equal(shape_eval(&a, &v, 0, &c), 1);
    assert_int_equal(c.sram_bytes, 1024 + 2048 + 2);
    assert_int_equal(c.nb_n, 64);
    assert_int_equal(c.nb_m, 2);
    assert_int_equal(c.w_reads, 2);
    assert_int_equal(c.dram_w, 131072);
    assert_int_equal(c.dram_in, 4096);
    assert_int_equal(c.dram_out, 256);

    /* Weights outer, 2 filters x 1 image: inputs re-read for each of the
     * 32 filter blocks. */
    memset(&c, 0, sizeof c);
    c.split = SPLIT_K;
    c.order = LOOP_W_OUTER;
    c.tn = 2;
    c.tr = 1;
    assert_int_equal(shape_eval(&a, &v, 0, &c), 1);
    assert_int_equal(c.in_reads, 32);
    assert_int_equal(c.dram_in, 32 * 4096);
    assert_int_equal(c.dram_w, 65536);
    /* Caching the input needs 4096 more bytes: does not fit. */
    c.cache = 1;
    assert_int_equal(shape_eval(&a, &v, 0, &c), 0);
    /* With room it fits and the input is read once. */
    a.sram_bytes = 4096 + 3074 + 4096;
    assert_int_equal(shape_eval(&a, &v, 0, &c), 1);
    assert_int_equal(c.dram_in, 4096);

    /* A resident input costs nothing, a kept output neither; the kept
     * output occupies its bytes. */
    a.sram_bytes = 1 << 20;
    v.in_resident[0] = 1;
    memset(&c, 0, sizeof c);
    c.split = SPLIT_K;
    c.order = LOOP_W_OUTER;
    c.tn = 64;
    c.tr = 4;
    c.keep_out = 1;
    assert_int_equal(shape_eval(&a, &v, 1000, &c), 1);
    assert_int_equal(c.dram_in + c.dram_out, 0);
    assert_int_equal(c.sram_bytes, 65536 + 4096 + 1000 + 256);
}

/* Two cores split by output channels share (broadcast) the input: DRAM sees
 * it once; each core holds the whole input tile. */
static void test_broadcast(void **state)
{
    (void)state;
    Layer l;
    LayerView v;
    fc_view(&l, &v);
    Accel a;
    arch_defaults(&a);
    a.cores = 2;
    a.double_buffer = 0;
    a.sram_bytes = 1 << 20;
    TileChoice c;
    memset(&c, 0, sizeof c);
    c.split = SPLIT_K;
    c.order = LOOP_W_OUTER;
    c.tn = 32;
    c.tr = 4;
    assert_int_equal(shape_eval(&a, &v, 0, &c), 1);
    assert_int_equal(c.cores_used, 2);
    assert_int_equal(c.share_ch, 32);
    assert_int_equal(c.dram_in, 4096);
    assert_int_equal(c.dram_w, 65536);
    assert_int_equal(c.sram_bytes, 32 * 1024 + 4096 + 32 * 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_rows),
        cmocka_unit_test(test_in_rows_range),
        cmocka_unit_test(test_rows_uniform),
        cmocka_unit_test(test_part),
        cmocka_unit_test(test_eval_by_hand),
        cmocka_unit_test(test_broadcast),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
