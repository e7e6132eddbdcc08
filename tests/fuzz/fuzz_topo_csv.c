/* fuzz_topo_csv.c: libFuzzer harness for the SCALE-Sim topology CSV loader.
 * Any input must give QA_OK or a clean Err. An accepted network must also
 * survive what `qarray run --topo` does next: export -> import gives the same
 * shapes, and the mapper either maps every layer on a small chip or says
 * why not, in bounded time. */
#include "tests/fuzz/fuzz.h"

#include "arch/arch.h"
#include "models/tiling.h"
#include "workloads/net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_shapes(const Net *x, const Net *y)
{
    FUZZ_CHECK(x->n == y->n);
    for (int i = 0; i < x->n; i++) {
        const Layer *l = &x->layers[i], *m = &y->layers[i];
        FUZZ_CHECK(!strcmp(l->name, m->name));
        FUZZ_CHECK(l->op == m->op && l->C == m->C && l->K == m->K);
        FUZZ_CHECK(l->R == m->R && l->S == m->S && l->stride == m->stride);
        FUZZ_CHECK(l->P == m->P && l->Q == m->Q);
        FUZZ_CHECK(layer_macs(l) == layer_macs(m));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char in[FUZZ_PATH_MAX], out[FUZZ_PATH_MAX];
    Net net, back;
    Err e;
    err_clear(&e);
    fuzz_write("in.csv", data, size, in);
    if (topo_csv_load(&net, in, &e) != QA_OK) {
        fuzz_check_err(&e);
        FUZZ_CHECK(net.n == 0 && net.layers == NULL);
        return 0;
    }
    FUZZ_CHECK(net.n > 0);

    fuzz_path("out.csv", out);
    if (topo_csv_save(&net, out, &e) == QA_OK) {
        FUZZ_CHECK(topo_csv_load(&back, out, &e) == QA_OK);
        same_shapes(&net, &back);
        net_free(&back);
    } else {
        fuzz_check_err(&e);
    }

    Accel a;
    arch_defaults(&a);
    TileSchedule ts;
    if (tile_map_net(&a, &net, &ts, &e) == QA_OK)
        tile_free(&ts);
    else
        fuzz_check_err(&e);
    net_free(&net);
    return 0;
}
