/* test_rng.c: the explicit-state RNG is deterministic and has the right
 * first two moments. */
#include "tests/qtest.h"

static void test_same_seed_same_stream(void **state)
{
    (void)state;
    Rng a, b, c;
    rng_seed(&a, 42);
    rng_seed(&b, 42);
    rng_seed(&c, 43);
    int differ = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = rng_u64(&a);
        assert_int_equal(x, rng_u64(&b));
        differ |= x != rng_u64(&c);
    }
    assert_true(differ);
}

static void test_seed_zero_is_usable(void **state)
{
    (void)state;
    Rng r;
    rng_seed(&r, 0);
    assert_true(r.s != 0);
    assert_true(rng_u64(&r) != rng_u64(&r));
}

static void test_uniform_and_normal_moments(void **state)
{
    (void)state;
    Rng r;
    rng_seed(&r, 7);
    const int n = 200000;
    double su = 0, sn = 0, sn2 = 0;
    for (int i = 0; i < n; i++) {
        double u = rng_uniform(&r);
        assert_true(u >= 0.0 && u < 1.0);
        su += u;
        double z = rng_normal(&r);
        sn += z;
        sn2 += z * z;
    }
    /* standard errors: uniform mean 0.29/sqrt(n) = 6.5e-4, normal 2.2e-3 */
    QT_CLOSE(su / n, 0.5, 0.004);
    QT_CLOSE(sn / n, 0.0, 0.01);
    QT_CLOSE(sn2 / n, 1.0, 0.02);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_seed_same_stream),
        cmocka_unit_test(test_seed_zero_is_usable),
        cmocka_unit_test(test_uniform_and_normal_moments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
