/* fuzz_topo_csv.c: libFuzzer harness for the SCALE-Sim topology CSV loader.
 * Any input must give QA_OK or a clean Err. An accepted network must also
 * survive what `qarray run --topo` does next: export -> import gives the same
 * shapes, and the mapper either maps every layer on a small chip or says
 * why not, in bounded time, and the analytic model then times every layer
 * (UBSan: no signed overflow on the way). Read again with SCALE-Sim v2's
 * rounding (TOPO_CEIL), the same rows give the same layers with outputs at
 * least as large, and map and time the same way. */
#include "tests/fuzz/fuzz.h"

#include "arch/arch.h"
#include "models/analytic.h"
#include "models/mapper.h"
#include "workloads/net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Export writes the extent the filter windows cover, so a conv with a 1x1
 * filter and a 1x1 output comes back as the fc it computes (topo_csv.c:
 * "A row with IFMAP 1x1 and filter 1x1 becomes an fc layer"). What the
 * array runs, the GEMM, must survive in every case. */
/* Map and time net on a small chip with a slow DRAM channel (so that
 * transfer times are large too). DP rows make thousands of layers from a
 * few lines, and the mapper's time grows with the square of the layer
 * count (16384, the loader's limit, take seconds, more under ASan): nets
 * of more than 2048 layers are left to the unit tests. */
static void map_and_time(const Net *net)
{
    Accel a;
    Err e;
    if (net->n > 2048)
        return;
    arch_defaults(&a);
    a.dram_gbps = 0.5;
    TileSchedule ts;
    if (map_net(&a, net, &ts, &e) == QA_OK) {
        RunStats rs;
        FUZZ_CHECK(analytic_run(&a, net, &ts, &rs, &e) == QA_OK);
        FUZZ_CHECK(rs.n == net->n && rs.cycles > 0);
        for (int i = 0; i < rs.n; i++)
            FUZZ_CHECK(rs.layers[i].cycles >= 0 &&
                       rs.layers[i].cycles <= rs.cycles);
        stats_free(&rs);
        tile_free(&ts);
    } else {
        fuzz_check_err(&e);
    }
}

static void same_shapes(const Net *x, const Net *y)
{
    FUZZ_CHECK(x->n == y->n);
    for (int i = 0; i < x->n; i++) {
        const Layer *l = &x->layers[i], *m = &y->layers[i];
        FUZZ_CHECK(!strcmp(l->name, m->name));
        int to_fc = l->op == OP_CONV && m->op == OP_FC && l->P == 1 &&
                    l->Q == 1 && l->R == 1 && l->S == 1;
        FUZZ_CHECK(l->op == m->op || to_fc);
        FUZZ_CHECK(l->C == m->C && l->K == m->K && l->R == m->R &&
                   l->S == m->S && l->P == m->P && l->Q == m->Q);
        FUZZ_CHECK(l->stride == m->stride || to_fc);
        Gemm g = layer_gemm(l), h = layer_gemm(m);
        FUZZ_CHECK(g.M == h.M && g.K == h.K && g.N == h.N);
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

    map_and_time(&net);

    Net up;
    if (topo_csv_read(&up, in, TOPO_CEIL, &e) == QA_OK) {
        FUZZ_CHECK(up.n == net.n);
        for (int i = 0; i < up.n; i++) {
            const Layer *l = &net.layers[i], *m = &up.layers[i];
            FUZZ_CHECK(!strcmp(l->name, m->name) && l->op == m->op);
            FUZZ_CHECK(m->P >= l->P && m->P <= l->P + 1 && m->Q >= l->Q &&
                       m->Q <= l->Q + 1);
            FUZZ_CHECK(layer_gemm(m).K == layer_gemm(l).K);
        }
        map_and_time(&up);
        net_free(&up);
    } else {
        /* only a layer made larger by the extra row can fail */
        fuzz_check_err(&e);
        FUZZ_CHECK(up.n == 0 && up.layers == NULL);
    }
    net_free(&net);
    return 0;
}
