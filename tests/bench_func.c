/* bench_func.c: speed of the functional path (make bench). ResNet-50 W4A4
 * (first and last layers at 8 bits; seeded generated weights, as `qarray
 * quantize` makes them), one 224x224 image on arch/pact2018.cfg: wall time
 * and MAC/s of every tile computed by func_run (the C path, the arithmetic
 * the SystemC cores call), then of the whole SystemC functional run (fork,
 * simulation with the tiles, comparison with the integer reference, results
 * back over the pipe) with the PE-level cross-check off. Goal: the
 * functional tiles of one image in < 20 s. Every layer must be bit-exact.
 * An argument names a model file to use instead of generating one. */
#include "models/mapper.h"
#include "quant/int/export.h"
#include "quant/int/generate.h"
#include "sim/engine/func.h"
#include "sim/engine/sim.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define GOAL_S 20.0

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    Err e;
    Accel a;
    INet ref;
    Net net;
    TileSchedule ts;
    FuncChip *f = NULL, *g = NULL;
    GenSpec gs = {"resnet50", "pact-sawb", 4, 4, 8, 1, 4};
    GenCheck chk;
    if (arch_load(&a, "arch/pact2018.cfg", &e) != QA_OK)
        goto fail;
    double t0 = now_s();
    if (argc > 1 ? export_load(&ref, argv[1], &e) != QA_OK
                 : gen_quantized(&gs, &ref, &chk, &e) != QA_OK)
        goto fail;
    printf("%s in %.1f s (%d integer ops)\n", argc > 1 ? argv[1] : "ResNet-50 W4A4 generated",
           now_s() - t0, ref.n);
    if (func_net(&ref, 1, &net, &e) != QA_OK || map_net(&a, &net, &ts, &e) != QA_OK)
        goto fail;
    uint8_t *img = malloc((size_t)3 * 224 * 224);
    if (!img)
        return 1;
    for (size_t i = 0; i < (size_t)3 * 224 * 224; i++)
        img[i] = (uint8_t)((i * 2654435761u) >> 24);
    FuncOptions fo = {0};
    if (func_init(&f, &a, &ref, &net, &ts, &fo, &e) != QA_OK ||
        func_set_images(f, img, &e) != QA_OK)
        goto fail;
    t0 = now_s();
    if (func_run(f, &e) != QA_OK)
        goto fail;
    double tf = now_s() - t0;
    int64_t macs = net_macs(&net);
    t0 = now_s();
    if (func_compare(f, &e) != QA_OK)
        goto fail;
    double tr = now_s() - t0;
    printf("functional tiles (C path): %d layers (%d on the array), %.3g MACs in %.2f s: "
           "%.3g MAC/s (goal < %.0f s)\n", net.n, net_array_layers(&net), (double)macs, tf,
           macs / tf, GOAL_S);
    printf("integer reference (intref) on the same image: %.2f s\n", tr);
    printf("mismatches %lld, overflowing layers %d\n", (long long)func_total_mismatches(f),
           func_overflows(f));

    if (func_init(&g, &a, &ref, &net, &ts, &fo, &e) != QA_OK ||
        func_set_images(g, img, &e) != QA_OK)
        goto fail;
    SimFunctional h = func_sim_hooks(g);
    SimOptions so = {NULL, 0, SIM_ARB_ROUND_ROBIN, &h};
    RunStats rs;
    t0 = now_s();
    if (sim_run(&a, &ts, &so, &rs, &e) != QA_OK)
        goto fail;
    double ts_s = now_s() - t0;
    printf("SystemC functional run + comparison: %.2f s wall, %lld cycles, mismatches %lld\n",
           ts_s, (long long)rs.cycles, (long long)func_total_mismatches(g));
    int ok = func_total_mismatches(f) == 0 && func_total_mismatches(g) == 0 &&
             !memcmp(func_logits(f), func_logits(g), sizeof(int64_t) * (size_t)ref.classes);
    stats_free(&rs);
    func_free(f);
    func_free(g);
    free(img);
    tile_free(&ts);
    net_free(&net);
    intref_free(&ref);
    if (!ok) {
        printf("FAIL: not bit-exact\n");
        return 1;
    }
    if (tf > GOAL_S)
        printf("MISSED the goal: %.2f s > %.0f s\n", tf, GOAL_S);
    return 0;
fail:
    err_print(&e, stderr);
    func_free(f);
    func_free(g);
    return 1;
}
