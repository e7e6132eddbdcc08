/* fuzz_model.c: libFuzzer harness for integer model files (export_load:
 * the safetensors reader, then the metadata graph, then intref_validate).
 * Any input must give QA_OK or a clean Err. An accepted model must be one
 * the integer arithmetic can run: a forward of an all-zero and an
 * all-maximum image (the widest codes every input can hold) completes
 * without a sanitizer report (-fno-sanitize-recover: an int64 overflow
 * in a requantization aborts), its shape maps to the chip's layers
 * (func_net), and saving and loading it again gives the same logits. The
 * forward runs only on models of modest work, so one input stays fast. */
#include "tests/fuzz/fuzz.h"

#include "quant/int/export.h"
#include "sim/engine/func.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* MACs of one image and elements of all outputs, in double (no wrap). */
static double work(const INet *net)
{
    double w = 0;
    for (int i = 0; i < net->n; i++) {
        const IOp *op = &net->ops[i];
        double out = (double)op->K * op->P * op->Q;
        w += out * (op->kind == IOP_CONV ? (double)op->C * op->R * op->S
                    : op->kind == IOP_MAXPOOL ? (double)op->R * op->S
                    : op->kind == IOP_GAPFC ? (double)op->C * op->H * op->W
                                            : 2.0);
    }
    return w;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char in[FUZZ_PATH_MAX], out[FUZZ_PATH_MAX];
    INet net, back;
    Err e;
    err_clear(&e);
    fuzz_write("in.safetensors", data, size, in);
    if (export_load(&net, in, &e) != QA_OK) {
        fuzz_check_err(&e);
        FUZZ_CHECK(net.ops == NULL && net.n == 0);
        return 0;
    }
    FUZZ_CHECK(net.in_bits >= 1 && net.in_bits <= 8);
    FUZZ_CHECK(net.classes >= 1 && net.classes <= 1024);
    Net shape;
    if (func_net(&net, 1, &shape, &e) == QA_OK)
        net_free(&shape);
    else
        fuzz_check_err(&e);
    if (work(&net) <= 1 << 22) {
        size_t nin = (size_t)net.in_C * net.in_H * net.in_W;
        uint8_t *img = qa_malloc(nin);
        int64_t lg[1024], lg2[1024];
        FUZZ_CHECK(img != NULL);
        for (int pass = 0; pass < 2; pass++) {
            memset(img, pass ? (1 << net.in_bits) - 1 : 0, nin);
            FUZZ_CHECK(intref_forward(&net, img, lg, &e) == QA_OK);
        }
        fuzz_path("out.safetensors", out);
        if (export_save(&net, out, NULL, 0, &e) == QA_OK) {
            FUZZ_CHECK(export_load(&back, out, &e) == QA_OK);
            FUZZ_CHECK(back.n == net.n);
            FUZZ_CHECK(intref_forward(&back, img, lg2, &e) == QA_OK);
            FUZZ_CHECK(!memcmp(lg, lg2, sizeof(int64_t) * (size_t)net.classes));
            intref_free(&back);
        } else {
            fuzz_check_err(&e);
        }
        free(img);
    }
    intref_free(&net);
    return 0;
}
