/* fuzz_onnx.c: libFuzzer harness for the ONNX reader. Any input (a
 * protobuf, broken or not) must give QA_OK or a clean Err with nothing
 * left allocated (ASan); an accepted network must have layers that
 * layer_finish accepts again unchanged, and the mapper must then map it on
 * a small chip or say why not, and the analytic model time every layer. */
#include "tests/fuzz/fuzz.h"

#include "arch/arch.h"
#include "models/analytic.h"
#include "models/mapper.h"
#include "workloads/onnx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Net net;
    Err e;
    err_clear(&e);
    if (onnx_load_buffer(&net, "fuzz.onnx", data, size, NULL, &e) != QA_OK) {
        fuzz_check_err(&e);
        FUZZ_CHECK(net.n == 0 && net.layers == NULL);
        return 0;
    }
    FUZZ_CHECK(net.n > 0);
    for (int i = 0; i < net.n; i++) {
        Layer l = net.layers[i];
        FUZZ_CHECK(layer_finish(&l, &e) == QA_OK);
        FUZZ_CHECK(!memcmp(&l, &net.layers[i], sizeof l));
        FUZZ_CHECK(l.in[0] < i && l.in[1] < i);
    }
    /* Mapping is bounded by the layer count; a fuzzed net of thousands of
     * layers would only slow the search down. */
    if (net.n <= 64) {
        Accel a;
        arch_defaults(&a);
        a.dram_gbps = 0.5;
        TileSchedule ts;
        if (map_net(&a, &net, &ts, &e) == QA_OK) {
            RunStats rs;
            FUZZ_CHECK(analytic_run(&a, &net, &ts, &rs, &e) == QA_OK);
            FUZZ_CHECK(rs.n == net.n && rs.cycles > 0);
            stats_free(&rs);
            tile_free(&ts);
        } else {
            fuzz_check_err(&e);
        }
    }
    net_free(&net);
    return 0;
}
