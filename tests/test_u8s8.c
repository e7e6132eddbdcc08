/* test_u8s8.c: when oneDNN's u8 x s8 product is trusted (quant/int/u8s8.h).
 * The rules of u8s8_exact by level and the int32 limit on K; where it says
 * exact, the product equals int64 loops on seeded and extreme codes in
 * shapes that reach the GEMV and GEMM kernels. Then the same binary again
 * with oneDNN capped below VNNI (ONEDNN_MAX_CPU_ISA=AVX2, AVX512_CORE: a
 * fresh process each): the level is never full, the raw product of
 * 255 x -128 pairs comes out wrong there (so the saturating kernels are
 * really in use and this test can see one), and every product u8s8_exact
 * still allows is exact. */
#include "tests/qtest.h"

#include "quant/int/u8s8.h"

/* A product of shape M x N x K with codes drawn from the ranges (lo == hi:
 * that constant), against int64 loops; 1 when equal. */
static int product_exact(uint64_t seed, int64_t M, int64_t N, int64_t K, int alo, int ahi,
                         int blo, int bhi)
{
    Rng r;
    rng_seed(&r, seed);
    uint8_t *A = malloc((size_t)(M * K));
    int8_t *B = malloc((size_t)(K * N));
    int32_t *C = malloc(sizeof *C * (size_t)(M * N));
    assert_non_null(A), assert_non_null(B), assert_non_null(C);
    for (int64_t i = 0; i < M * K; i++)
        A[i] = (uint8_t)(alo + (int)(rng_u64(&r) % (uint64_t)(ahi - alo + 1)));
    for (int64_t i = 0; i < K * N; i++)
        B[i] = (int8_t)(blo + (int)(rng_u64(&r) % (uint64_t)(bhi - blo + 1)));
    Err e;
    assert_int_equal(u8s8_gemm(M, N, K, A, K, B, N, C, N, &e), QA_OK);
    int ok = 1;
    for (int64_t m = 0; m < M; m++)
        for (int64_t n = 0; n < N; n++) {
            int64_t s = 0;
            for (int64_t k = 0; k < K; k++)
                s += (int64_t)A[m * K + k] * B[k * N + n];
            ok &= s == C[m * N + n];
        }
    free(A), free(B), free(C);
    return ok;
}

static const int64_t shapes[][3] = {
    {1, 1, 1}, {1, 1, 4096}, {33, 1, 513}, {1, 40, 300}, {7, 5, 3}, {64, 64, 1024},
    {129, 17, 77}, {3, 130, 260},
};

/* Operand ranges: (a_lo, a_hi, b_lo, b_hi). */
static const int ranges[][4] = {
    {255, 255, -128, -128}, {255, 255, 127, 127}, {0, 255, -128, 127},
    {127, 127, -128, -128}, {0, 127, -128, 127}, {255, 255, -64, -64},
    {0, 255, -64, 63},      {0, 15, -8, 7},      {0, 1, -2, 1},
};

static void test_rules(void **s)
{
    (void)s;
    U8s8Level l = u8s8_level();
    printf("oneDNN ISA %s, level %s\n", u8s8_isa_name(), u8s8_level_name(l));
    /* the full range only with VNNI */
    assert_int_equal(u8s8_exact(255, -128, 127, 100), l == U8S8_FULL);
    /* pairs that cannot saturate a 16-bit sum from the half level on */
    assert_int_equal(u8s8_exact(127, -128, 127, 100), l >= U8S8_HALF);
    assert_int_equal(u8s8_exact(255, -64, 63, 100), l >= U8S8_HALF);
    assert_int_equal(u8s8_exact(255, -65, 63, 100), l == U8S8_FULL);
    /* no sum may leave int32: 65793 x 255 x 128 = 2147483520 fits, one more does not */
    assert_int_equal(u8s8_exact(255, -128, 127, 65793), l == U8S8_FULL);
    assert_int_equal(u8s8_exact(255, -128, 127, 65794), 0);
    assert_int_equal(u8s8_exact(1, 0, 1, INT32_MAX), l >= U8S8_HALF);
    assert_int_equal(u8s8_exact(1, 0, 1, (int64_t)INT32_MAX + 1), 0);
    /* codes outside u8 and s8 */
    assert_int_equal(u8s8_exact(256, 0, 1, 1), 0);
    assert_int_equal(u8s8_exact(-1, 0, 1, 1), 0);
    assert_int_equal(u8s8_exact(1, -129, 1, 1), 0);
    assert_int_equal(u8s8_exact(1, 0, 128, 1), 0);
    assert_int_equal(u8s8_exact(1, 0, 1, -1), 0);
}

/* Every shape and range: exact wherever u8s8_exact allows it. */
static int products_where_allowed(void)
{
    int bad = 0;
    uint64_t seed = 11;
    for (size_t i = 0; i < QA_COUNT(shapes); i++)
        for (size_t j = 0; j < QA_COUNT(ranges); j++) {
            const int *g = ranges[j];
            if (!u8s8_exact(g[1], g[2], g[3], shapes[i][2]))
                continue;
            if (!product_exact(seed++, shapes[i][0], shapes[i][1], shapes[i][2], g[0], g[1],
                               g[2], g[3])) {
                printf("not exact: %lld x %lld x %lld, a %d..%d, b %d..%d\n",
                       (long long)shapes[i][0], (long long)shapes[i][1],
                       (long long)shapes[i][2], g[0], g[1], g[2], g[3]);
                bad++;
            }
        }
    return bad;
}

static void test_products(void **s)
{
    (void)s;
    assert_int_equal(products_where_allowed(), 0);
}

static void test_capped(void **s)
{
    (void)s;
    assert_int_equal(qt_run_capped("AVX2", "--capped"), 0);
    assert_int_equal(qt_run_capped("AVX512_CORE", "--capped"), 0);
}

/* The child of test_capped: 0 when every check holds. */
static int capped(void)
{
    const char *isa = u8s8_isa_name();
    U8s8Level l = u8s8_level();
    printf("capped: oneDNN ISA %s, level %s\n", isa, u8s8_level_name(l));
    int bad = 0;
    if (l == U8S8_FULL) {
        printf("capped: level full below VNNI\n");
        bad++;
    }
    /* the kernels below VNNI saturate 16-bit pair sums: proof that this
     * process runs one, so the checks below would catch a wrong answer */
    if ((!strcmp(isa, "avx2") || !strcmp(isa, "avx512_core")) &&
        product_exact(1, 4, 4, 4096, 255, 255, -128, -128)) {
        printf("capped: 255 x -128 came out exact on %s\n", isa);
        bad++;
    }
    if (u8s8_exact(255, -128, 127, 100)) {
        printf("capped: the full range allowed\n");
        bad++;
    }
    bad += products_where_allowed();
    return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--capped"))
        return capped();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_products),
        cmocka_unit_test(test_capped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
