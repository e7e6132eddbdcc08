/* test_irun.c: the batched reference (quant/int/irun.h) against the plain
 * loops of intref_forward_ops, image by image and op by op: the residual
 * network of tests/fnet.h (stem, max pool, identity and projection blocks
 * with int32 branches, classifier) at 2, 4 and 8 bits, batches of 1 to 9
 * on 1 to 3 threads (one lane of images per thread), every output element
 * and every logit equal; irun_predict the argmax of the plain logits over
 * a set whose last batch is short. */
#include "tests/qtest.h"

#include "quant/int/irun.h"
#include "tests/fnet.h"

#include <omp.h>

static void check_batch(const INet *net, const uint8_t *img, int batch)
{
    Err e;
    IRun *r;
    assert_int_equal(irun_init(&r, net, batch, &e), QA_OK);
    assert_int_equal(irun_forward(r, img, &e), QA_OK);
    size_t per = (size_t)net->in_C * net->in_H * net->in_W;
    int32_t **outs = calloc((size_t)net->n, sizeof *outs);
    int64_t lg[16];
    for (int i = 0; i < net->n; i++)
        outs[i] = calloc((size_t)net->ops[i].K * net->ops[i].P * net->ops[i].Q, sizeof **outs);
    for (int n = 0; n < batch; n++) {
        assert_int_equal(intref_forward_ops(net, img + per * n, lg, outs, &e), QA_OK);
        assert_memory_equal(irun_logits(r) + (size_t)n * net->classes, lg,
                            sizeof(int64_t) * (size_t)net->classes);
        for (int i = 0; i < net->n; i++) {
            const IOp *op = &net->ops[i];
            int wide;
            const void *y = irun_out(r, i, &wide);
            size_t pq = (size_t)op->P * op->Q;
            /* plain: (K, P, Q) per image; batched: (batch, P, Q, K) */
            for (int k = 0; k < op->K; k++)
                for (size_t j = 0; j < pq; j++) {
                    size_t at = ((size_t)n * pq + j) * op->K + k;
                    int64_t v = wide ? ((const int32_t *)y)[at] : ((const uint8_t *)y)[at];
                    if (v != outs[i][k * pq + j])
                        fail_msg("%s image %d channel %d pixel %zu: batched %lld, plain %d",
                                 op->name, n, k, j, (long long)v, outs[i][k * pq + j]);
                }
        }
    }
    for (int i = 0; i < net->n; i++)
        free(outs[i]);
    free(outs);
    irun_free(r);
}

static void test_equals_plain(void **s)
{
    (void)s;
    static const int bits[] = {2, 4, 8};
    static const int batches[] = {1, 2, 5, 9};
    Err e;
    uint8_t img[9 * 3 * 12 * 12];
    for (size_t b = 0; b < QA_COUNT(bits); b++) {
        INet net;
        assert_int_equal(fn_build(&net, 40 + b, bits[b], bits[b], &e), QA_OK);
        fn_images(&net, 7 + b, 9, img);
        for (int threads = 1; threads <= 3; threads++) {
            omp_set_num_threads(threads);
            for (size_t i = 0; i < QA_COUNT(batches); i++)
                check_batch(&net, img, batches[i]);
        }
        intref_free(&net);
    }
    omp_set_num_threads(1);
}

static void test_predict(void **s)
{
    (void)s;
    Err e;
    INet net;
    assert_int_equal(fn_build(&net, 3, 4, 4, &e), QA_OK);
    enum { N = 11 };
    uint8_t img[N * 3 * 12 * 12];
    fn_images(&net, 5, N, img);
    int pred[N], want[N];
    for (int n = 0; n < N; n++) {
        int64_t lg[16];
        assert_int_equal(intref_forward(&net, img + (size_t)n * 3 * 12 * 12, lg, &e), QA_OK);
        want[n] = 0;
        for (int k = 1; k < net.classes; k++)
            if (lg[k] > lg[want[n]])
                want[n] = k;
    }
    for (int threads = 1; threads <= 2; threads++) {
        omp_set_num_threads(threads);
        /* batches of 4: the last one has 3 images and a blank one */
        assert_int_equal(irun_predict(&net, img, N, 4, pred, &e), QA_OK);
        assert_memory_equal(pred, want, sizeof pred);
        assert_int_equal(irun_predict(&net, img, N, 64, pred, &e), QA_OK);
        assert_memory_equal(pred, want, sizeof pred);
    }
    /* a batch below 1 is refused */
    IRun *r;
    assert_int_equal(irun_init(&r, &net, 0, &e), QA_ERR);
    assert_string_equal(e.field, "batch");
    intref_free(&net);
    omp_set_num_threads(1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_equals_plain),
        cmocka_unit_test(test_predict),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
