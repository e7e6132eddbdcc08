/* fuzz_onnxq.c: libFuzzer harness for quantized ONNX models (quant/int/
 * onnx_q.c). Any input must give QA_OK or a clean Err with nothing left
 * allocated (ASan); an accepted model must be a valid integer network, and
 * a small one must run an all-zero and an all-maximum image through the
 * integer reference. */
#include "tests/fuzz/fuzz.h"

#include "quant/int/onnx_q.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    INet net;
    Err e;
    err_clear(&e);
    if (onnxq_load_buffer(&net, "fuzz.onnx", data, size, &e) != QA_OK) {
        fuzz_check_err(&e);
        FUZZ_CHECK(net.n == 0 && net.ops == NULL);
        return 0;
    }
    FUZZ_CHECK(intref_validate(&net, &e) == QA_OK);
    int64_t macs = 0;
    for (int i = 0; i < net.n; i++) {
        const IOp *op = &net.ops[i];
        macs += (int64_t)op->K * op->P * op->Q * (op->kind == IOP_CONV ? op->C * op->R * op->S : 1) +
                (int64_t)op->C * op->H * op->W;
    }
    size_t px = (size_t)net.in_C * net.in_H * net.in_W;
    if (macs < 4000000 && px < 1000000) {
        uint8_t *img = malloc(px);
        int64_t *lg = malloc(sizeof(int64_t) * (size_t)net.classes);
        FUZZ_CHECK(img && lg);
        memset(img, 0, px);
        FUZZ_CHECK(intref_forward(&net, img, lg, &e) == QA_OK);
        memset(img, (1 << net.in_bits) - 1 > 255 ? 255 : (1 << net.in_bits) - 1, px);
        FUZZ_CHECK(intref_forward(&net, img, lg, &e) == QA_OK);
        free(img), free(lg);
    }
    intref_free(&net);
    return 0;
}
