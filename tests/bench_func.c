/* bench_func.c: speed of functional validation and integer inference
 * (make bench), side by side in one run, every figure the median of REPS
 * runs (the machine is shared: the load average is printed before and
 * after each part):
 *   1. oneDNN's u8s8s32 peak: dnnl_gemm_u8s8s32 2048^3 on this run's threads.
 *   2. ResNet-50 W4A4 and W8A8 (seeded, as `qarray quantize` makes them,
 *      kept in build/bench/), one image and batch 16, on pact2018.cfg:
 *      through the library as `qarray validate` runs it (SystemC cores,
 *      tiles in this process, comparison with the reference): the tile
 *      GEMMs' MAC/s against the peak (goal >= 30 %), where a tile's time
 *      goes (GEMM, the rest of the tile, outside the tiles: the SystemC
 *      shell and the pipe), the reference; then `qarray validate` as a
 *      process, whole wall time, as a user runs it and without the
 *      PE-level re-runs (--pe-macs 0: the check of the cycle model on
 *      re-run tiles, outside the functional validation; goal: one image
 *      < 0.5 s).
 *   3. ResNet-20 W4A4 (`qarray quantize -w resnet20`) on all 10,000
 *      Fashion-MNIST test images: `qarray validate --dataset --batch 2000`
 *      and `--batch 500`, whole wall time (goal < 30 s).
 *   4. `qarray eval` images/s beside PyTorch's float inference of the same
 *      network (tests/tools/torch_resnet20.py under /usr/bin/python3) and
 *      beside ONNX Runtime on the model exported as ONNX
 *      (tests/tools/ort_bench.js), the same threads and batch (goal
 *      >= 1.0x).
 * Beside every wall time the CPU seconds it took (user + system, this
 * process or the command and its children): on a quiet machine the wall
 * time of a run on T threads approaches CPU / T.
 * Goals are reported, not enforced; the bench fails when a result is not
 * bit-exact or a command fails. QARRAY names the binary (default ./qarray),
 * QA_BENCH_REPS the repetitions (default 3). */
#include "models/mapper.h"
#include "quant/int/export.h"
#include "quant/int/u8s8.h"
#include "quant/rng.h"
#include "sim/engine/func.h"
#include "sim/engine/sim.h"

#include <dnnl.h>
#include <fcntl.h>
#include <stddef.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXREPS 9
#define DIR "build/bench"

static int reps = 3;
static const char *qarray = "./qarray";

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(const double *v, int n)
{
    double s[MAXREPS];
    memcpy(s, v, sizeof *v * (size_t)n);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    return n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}

static void load_line(const char *when)
{
    char buf[64] = "?";
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (!fgets(buf, sizeof buf, f))
            buf[0] = '\0';
        fclose(f);
    }
    buf[strcspn(buf, "\n")] = '\0';
    printf("  (load average %s: %s)\n", when, buf);
}

/* CPU seconds (user + system) of this process and its waited-for children. */
static double cpu_s(void)
{
    struct rusage a, b;
    getrusage(RUSAGE_SELF, &a);
    getrusage(RUSAGE_CHILDREN, &b);
    return (double)(a.ru_utime.tv_sec + a.ru_stime.tv_sec + b.ru_utime.tv_sec +
                    b.ru_stime.tv_sec) +
           1e-6 * (double)(a.ru_utime.tv_usec + a.ru_stime.tv_usec + b.ru_utime.tv_usec +
                           b.ru_stime.tv_usec);
}

/* CPU seconds of every waited-for child so far. */
static double children_cpu_s(void)
{
    struct rusage b;
    getrusage(RUSAGE_CHILDREN, &b);
    return (double)(b.ru_utime.tv_sec + b.ru_stime.tv_sec) +
           1e-6 * (double)(b.ru_utime.tv_usec + b.ru_stime.tv_usec);
}

/* CPU seconds of the last run_cmd (its process and children). */
static double cmd_cpu;

/* Runs argv with stdout into out (or /dev/null); its wall seconds in *wall.
 * Returns the exit status, -1 if it could not run. */
static int run_cmd(const char *const argv[], const char *out, double *wall)
{
    fflush(NULL);
    double t0 = now_s(), c0 = children_cpu_s();
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int fd = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || dup2(fd, 1) < 0)
            _exit(127);
        execvp(argv[0], (char *const *)argv); /* execvp does not write them */
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        ;
    *wall = now_s() - t0;
    cmd_cpu = children_cpu_s() - c0;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The number after `key` in file path, or -1. */
static double grab(const char *path, const char *key)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[1024];
    double v = -1;
    while (fgets(line, sizeof line, f)) {
        char *p = strstr(line, key);
        if (p && sscanf(p + strlen(key), "%lf", &v) == 1)
            break;
    }
    fclose(f);
    return v;
}

static int file_has(const char *path, const char *text)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[1024];
    int found = 0;
    while (!found && fgets(line, sizeof line, f))
        found = strstr(line, text) != NULL;
    fclose(f);
    return found;
}

/* A model file made by `qarray quantize` once and kept. */
static int model(const char *path, const char *net, const char *bits)
{
    struct stat st;
    if (stat(path, &st) == 0)
        return 0;
    char wa[16];
    snprintf(wa, sizeof wa, "%s/%s", bits, bits);
    const char *argv[] = {qarray, "quantize", "-w", net, "--method", "pact-sawb",
                    "-b", wa, "-o", path, NULL};
    double w;
    int rc = run_cmd(argv, NULL, &w);
    printf("  made %s (qarray quantize -w %s -b %s) in %.1f s\n", path, net, wa, w);
    return rc;
}

/* ---- 1. the peak -------------------------------------------------------- */

static double peak_gmacs(void)
{
    const int64_t n = 2048;
    uint8_t *A = malloc((size_t)(n * n));
    int8_t *B = malloc((size_t)(n * n));
    int32_t *C = malloc(sizeof *C * (size_t)(n * n));
    if (!A || !B || !C)
        return 0;
    for (int64_t i = 0; i < n * n; i++)
        A[i] = (uint8_t)(i * 7), B[i] = (int8_t)(i * 13);
    const int32_t co = 0;
    double g[MAXREPS];
    dnnl_gemm_u8s8s32('N', 'N', 'F', n, n, n, 1.0f, A, n, 0, B, n, 0, 0.0f, C, n, &co);
    int runs = QA_MAX(5, reps);
    for (int r = 0; r < runs && r < MAXREPS; r++) {
        double t0 = now_s();
        dnnl_gemm_u8s8s32('N', 'N', 'F', n, n, n, 1.0f, A, n, 0, B, n, 0, 0.0f, C, n, &co);
        g[r] = (double)n * n * n / (now_s() - t0) / 1e9;
    }
    free(A), free(B), free(C);
    double med = median(g, QA_MIN(runs, MAXREPS)), best = 0;
    for (int r = 0; r < QA_MIN(runs, MAXREPS); r++)
        best = g[r] > best ? g[r] : best;
    printf("  dnnl_gemm_u8s8s32 2048^3: median %.0f GMAC/s, best %.0f (%d runs)\n", med, best,
           QA_MIN(runs, MAXREPS));
    return med;
}

/* ---- 2. ResNet-50 through the library ------------------------------------ */

typedef struct {
    double wall, cpu, tile_s, gemm_rate, tiles_rate, per_tile, gemm_tile, rest_tile;
    double shell_tile, ref_s, compare_s;
} LibRun;

/* One SystemC functional run of ref at batch b, as validate does it. */
static int lib_run(const Accel *a, const INet *ref, int b, LibRun *out, Err *e)
{
    Net net;
    TileSchedule ts;
    FuncChip *f = NULL;
    RunStats rs;
    memset(&ts, 0, sizeof ts);
    memset(&rs, 0, sizeof rs);
    int rc = QA_ERR;
    size_t per = (size_t)ref->in_C * ref->in_H * ref->in_W;
    uint8_t *img = malloc(per * (size_t)b);
    if (!img)
        return err_set(e, NULL, 0, NULL, "out of memory");
    Rng r;
    rng_seed(&r, 1);
    for (size_t i = 0; i < per * (size_t)b; i++)
        img[i] = (uint8_t)(rng_u64(&r) % ((uint64_t)1 << ref->in_bits));
    if (func_net(ref, b, &net, e) != QA_OK)
        goto out;
    FuncOptions fo = {.pe_max_macs = 0};
    if (map_net(a, &net, &ts, e) != QA_OK ||
        func_init(&f, a, ref, &net, &ts, &fo, e) != QA_OK || func_set_images(f, img, e) != QA_OK)
        goto done;
    SimFunctional h = func_sim_hooks(f);
    SimOptions so = {NULL, 0, SIM_ARB_ROUND_ROBIN, &h};
    double t0 = now_s(), c0 = cpu_s();
    if (sim_run(a, &ts, &so, &rs, e) != QA_OK)
        goto done;
    double wall = now_s() - t0;
    out->cpu = cpu_s() - c0;
    if (func_total_mismatches(f) != 0 || func_overflows(f) != 0) {
        err_set(e, NULL, 0, "bench", "%lld mismatches, %d overflowing layers",
                (long long)func_total_mismatches(f), func_overflows(f));
        goto done;
    }
    const FuncTimes *t = func_times(f);
    double gemm_wall = t->gemm_s / t->threads; /* thread-seconds over the threads */
    out->wall = wall;
    out->tile_s = t->tile_s;
    out->gemm_rate = t->fast_macs / gemm_wall / 1e9;
    out->tiles_rate = (double)net_macs(&net) / t->tile_s / 1e9;
    out->per_tile = wall / (double)t->tiles * 1e6;
    out->gemm_tile = gemm_wall / (double)t->tiles * 1e6;
    out->rest_tile = (t->tile_s - gemm_wall) / (double)t->tiles * 1e6;
    out->shell_tile = (wall - t->tile_s - t->compare_s) / (double)t->tiles * 1e6;
    out->ref_s = t->ref_s;
    out->compare_s = t->compare_s;
    rc = QA_OK;
done:
    stats_free(&rs);
    func_free(f);
    tile_free(&ts);
    net_free(&net);
out:
    free(img);
    return rc;
}

/* v[i] = the double at offset off of lr[i]. */
static void v_fill(double *v, const LibRun *lr, int n, size_t off)
{
    for (int i = 0; i < n; i++)
        memcpy(&v[i], (const char *)&lr[i] + off, sizeof *v);
}

typedef struct {
    const char *name;
    double gemm_rate, validate_s, validate_nope_s, validate_cpu, validate_nope_cpu, lib_wall;
} R50Row;

static int r50(const Accel *a, const char *path, const char *name, int b, double peak,
               R50Row *row)
{
    Err e;
    INet ref;
    if (export_load(&ref, path, &e) != QA_OK) {
        err_print(&e, stderr);
        return 1;
    }
    LibRun lr[MAXREPS];
    double v[MAXREPS], cli[MAXREPS], inner[MAXREPS], cpu[MAXREPS];
    printf("%s, batch %d:\n", name, b);
    for (int r = 0; r < reps; r++)
        if (lib_run(a, &ref, b, &lr[r], &e) != QA_OK) {
            err_print(&e, stderr);
            intref_free(&ref);
            return 1;
        }
#define MED(field) (v_fill(v, lr, reps, offsetof(LibRun, field)), median(v, reps))
    double gr = MED(gemm_rate);
    printf("  library (SystemC cores, tiles in this process, %d threads): run + comparison "
           "%.3f s (%.3f s CPU), tiles %.3f s\n", omp_get_max_threads(), MED(wall), MED(cpu),
           MED(tile_s));
    printf("  tile GEMMs %.0f GMAC/s = %.0f %% of the peak (goal >= 30 %%); all tile work "
           "%.0f GMAC/s\n", gr, 100.0 * gr / peak, MED(tiles_rate));
    printf("  per tile %.0f us: GEMM %.0f us, rest of the tile %.0f us, outside the tiles "
           "(SystemC shell, pipe) %.0f us\n", MED(per_tile), MED(gemm_tile), MED(rest_tile),
           MED(shell_tile));
    printf("  reference (oneDNN convolutions) %.3f s, with the comparison %.3f s\n",
           MED(ref_s), MED(compare_s));
    row->gemm_rate = gr;
    row->lib_wall = MED(wall);
#undef MED
    char bs[16];
    snprintf(bs, sizeof bs, "%d", b);
    /* as a user runs it, and without the PE-level re-runs (--pe-macs 0) */
    for (int pe = 1; pe >= 0; pe--) {
        const char *argv[] = {qarray, "validate", "-m", path, "--input", bs,
                        "--batch", bs, pe ? NULL : "--pe-macs", "0", NULL};
        for (int r = 0; r < reps; r++) {
            if (run_cmd(argv, DIR "/validate.out", &cli[r]) != 0 ||
                !file_has(DIR "/validate.out", "mismatches 0, overflowing layers 0")) {
                fprintf(stderr, "bench: qarray validate -m %s failed\n", path);
                intref_free(&ref);
                return 1;
            }
            inner[r] = grab(DIR "/validate.out", "MACs on the chip; ");
            cpu[r] = cmd_cpu;
        }
        double m = median(cli, reps);
        if (pe)
            row->validate_s = m, row->validate_cpu = median(cpu, reps);
        else
            row->validate_nope_s = m, row->validate_nope_cpu = median(cpu, reps);
        printf("  qarray validate -m %s --input %d --batch %d%s: %.3f s wall, %.3f s CPU (the "
               "whole process; its own count, model loaded: %.3f s)%s\n", path, b, b,
               pe ? "" : " --pe-macs 0", m, median(cpu, reps), median(inner, reps),
               b == 1 && !pe ? " (goal < 0.5 s)" : "");
    }
    intref_free(&ref);
    return 0;
}

/* ---- 4b. ONNX Runtime ---------------------------------------------------- */

/* ONNX Runtime (npm onnxruntime-node in $ORT_DIR, default build/ort, where
 * tests/test_cli_onnxq.sh installs it) on the ResNet-20 model exported by
 * `qarray export --onnx`, made batchable (tests/tools/onnx_batch.py), the
 * same threads and batch: images/s, or -1 when it cannot run. th, reps:
 * as text; evs: qarray eval's images/s. */
static double ort_speed(const char *th, const char *reps_s, double evs)
{
    const char *od = getenv("ORT_DIR");
    od = od && *od ? od : "build/ort";
    const char *data = getenv("QARRAY_FASHION_MNIST");
    data = data && *data ? data : "/usr/share/datasets/fashion-mnist";
    char mod[1024];
    snprintf(mod, sizeof mod, "%s/node_modules/onnxruntime-node", od);
    struct stat st;
    double w, v = -1;
    if (stat(mod, &st) != 0) {
        printf("  ONNX Runtime: not run (no %s: make test installs it)\n", mod);
        return -1;
    }
    const char *xargv[] = {qarray, "export", "-m", DIR "/r20_w4a4.safetensors", "--onnx",
                     DIR "/r20_w4a4.onnx", NULL};
    const char *bargv[] = {"/usr/bin/python3", "tests/tools/onnx_batch.py",
                     DIR "/r20_w4a4.onnx", DIR "/r20_w4a4_batch.onnx", NULL};
    /* 2560 images (10 batches): ONNX Runtime takes seconds per batch here */
    const char *oargv[] = {"node", "tests/tools/ort_bench.js", od, DIR "/r20_w4a4_batch.onnx",
                     data, "2560", "256", th, reps_s, NULL};
    if (run_cmd(xargv, NULL, &w) != 0 || run_cmd(bargv, NULL, &w) != 0 ||
        run_cmd(oargv, DIR "/ort.out", &w) != 0 || (v = grab(DIR "/ort.out", "ort ")) <= 0) {
        printf("  ONNX Runtime: failed (see %s/ort.out)\n", DIR);
        return -1;
    }
    printf("  ONNX Runtime (QDQ ONNX of the same model, float input, 2560 images): %.0f "
           "images/s (%.1f s CPU); qarray eval / ONNX Runtime = %.2fx (goal >= 1.0x)\n", v,
           cmd_cpu, evs / v);
    return v;
}

int main(int argc, char **argv)
{
    (void)argc;
    /* The library runs below with the OpenMP wait policy qarray validate
     * and eval choose for themselves (sim/cli/main.c); the commands it
     * starts get their own default again (PyTorch too). */
    if (getenv("QA_BENCH_PASSIVE")) {
        unsetenv("QA_BENCH_PASSIVE");
        unsetenv("OMP_WAIT_POLICY");
    } else if (!getenv("OMP_WAIT_POLICY") && !getenv("GOMP_SPINCOUNT") &&
               setenv("OMP_WAIT_POLICY", "passive", 1) == 0 &&
               setenv("QA_BENCH_PASSIVE", "1", 1) == 0) {
        execv("/proc/self/exe", argv);
        unsetenv("OMP_WAIT_POLICY");
        unsetenv("QA_BENCH_PASSIVE");
    }
    const char *q = getenv("QARRAY");
    if (q && *q)
        qarray = q;
    const char *rp = getenv("QA_BENCH_REPS");
    if (rp && atoi(rp) > 0)
        reps = QA_MIN(MAXREPS, atoi(rp));
    mkdir("build", 0755);
    mkdir(DIR, 0755);
    printf("functional validation and integer inference, %d threads, medians of %d runs\n",
           omp_get_max_threads(), reps);
    printf("oneDNN %d.%d.%d, ISA %s, exact u8 x s8 level %s\n", dnnl_version()->major,
           dnnl_version()->minor, dnnl_version()->patch, u8s8_isa_name(),
           u8s8_level_name(u8s8_level()));
    load_line("at start");

    printf("1. oneDNN's int8 GEMM peak:\n");
    double peak = peak_gmacs();

    printf("2. ResNet-50 on arch/pact2018.cfg:\n");
    if (model(DIR "/r50_w4a4.safetensors", "resnet50", "4") ||
        model(DIR "/r50_w8a8.safetensors", "resnet50", "8") ||
        model(DIR "/r20_w4a4.safetensors", "resnet20", "4")) {
        fprintf(stderr, "bench: qarray quantize failed\n");
        return 1;
    }
    Accel a;
    Err e;
    if (arch_load(&a, "arch/pact2018.cfg", &e) != QA_OK) {
        err_print(&e, stderr);
        return 1;
    }
    static const struct {
        const char *path, *name;
        int batch;
    } runs[] = {
        {DIR "/r50_w4a4.safetensors", "ResNet-50 W4A4", 1},
        {DIR "/r50_w4a4.safetensors", "ResNet-50 W4A4", 16},
        {DIR "/r50_w8a8.safetensors", "ResNet-50 W8A8", 1},
        {DIR "/r50_w8a8.safetensors", "ResNet-50 W8A8", 16},
    };
    R50Row rows[4];
    for (int i = 0; i < 4; i++) {
        rows[i].name = runs[i].name;
        if (r50(&a, runs[i].path, runs[i].name, runs[i].batch, peak, &rows[i]))
            return 1;
    }
    load_line("after ResNet-50");

    printf("3. ResNet-20 W4A4 on the 10,000 Fashion-MNIST test images:\n");
    /* batch 2000: 5 simulated runs (their PE-level re-runs are per run);
     * batch 500: the command of README's earlier measurement */
    static const char *r20b[] = {"2000", "500"};
    double r20s[2], r20c[2];
    for (int i = 0; i < 2; i++) {
        double r20[MAXREPS], rc[MAXREPS];
        const char *vargv[] = {qarray, "validate", "-m", DIR "/r20_w4a4.safetensors",
                         "--dataset", "--batch", r20b[i], NULL};
        for (int r = 0; r < reps; r++)
            if (run_cmd(vargv, DIR "/r20.out", &r20[r]) != 0 ||
                !file_has(DIR "/r20.out", "mismatches 0, overflowing layers 0") ||
                !file_has(DIR "/r20.out", "on 10000 of 10000 images")) {
                fprintf(stderr, "bench: qarray validate --dataset failed (%s/r20.out)\n", DIR);
                return 1;
            } else {
                rc[r] = cmd_cpu;
            }
        r20s[i] = median(r20, reps), r20c[i] = median(rc, reps);
        printf("  qarray validate -m %s/r20_w4a4.safetensors --dataset --batch %s: %.1f s "
               "wall, %.1f s CPU (goal < 30 s)\n", DIR, r20b[i], r20s[i], r20c[i]);
    }
    load_line("after ResNet-20 validation");

    printf("4. qarray eval beside PyTorch (float, same network) and ONNX Runtime (the same "
           "model), same threads and batch:\n");
    double ev[MAXREPS], evc[MAXREPS];
    const char *eargv[] = {qarray, "eval", "-m", DIR "/r20_w4a4.safetensors", "--batch",
                     "256", NULL};
    for (int r = 0; r < reps; r++) {
        double w;
        if (run_cmd(eargv, DIR "/eval.out", &w) != 0) {
            fprintf(stderr, "bench: qarray eval failed\n");
            return 1;
        }
        ev[r] = grab(DIR "/eval.out", " s, ");
        evc[r] = cmd_cpu;
    }
    double evs = median(ev, reps);
    printf("  qarray eval --batch 256: %.0f images/s (integer, 10,000 images; the whole "
           "process %.1f s CPU)\n", evs, median(evc, reps));
    char th[16], rs[16];
    snprintf(th, sizeof th, "%d", omp_get_max_threads());
    snprintf(rs, sizeof rs, "%d", reps);
    const char *targv[] = {"/usr/bin/python3", "tests/tools/torch_resnet20.py", "--threads", th,
                     "--batch", "256", "--reps", rs, NULL};
    double w, ts = -1;
    if (run_cmd(targv, DIR "/torch.out", &w) == 0)
        ts = grab(DIR "/torch.out", "torch ");
    double tcpu = cmd_cpu;
    if (ts > 0)
        printf("  PyTorch float: %.0f images/s (%d runs: %.1f s CPU); qarray eval / PyTorch = "
               "%.2fx (goal >= 1.0x)\n", ts, reps, tcpu, evs / ts);
    else
        printf("  PyTorch float: not run (/usr/bin/python3 with torch: Debian python3-torch)\n");
    double ortv = ort_speed(th, rs, evs);
    load_line("at the end");

    printf("summary (medians of %d runs, %d threads; a shared machine: see the load "
           "averages):\n", reps, omp_get_max_threads());
    printf("  oneDNN u8s8s32 peak %.0f GMAC/s\n", peak);
    for (int i = 0; i < 4; i++)
        printf("  %s batch %2d: tile GEMMs %.0f GMAC/s (%.0f %% of peak), validate %.3f s "
               "(%.3f s CPU), without PE-level re-runs %.3f s (%.3f s CPU)\n", rows[i].name,
               runs[i].batch, rows[i].gemm_rate, 100 * rows[i].gemm_rate / peak,
               rows[i].validate_s, rows[i].validate_cpu, rows[i].validate_nope_s,
               rows[i].validate_nope_cpu);
    printf("  ResNet-20 10,000 images validated: %.1f s (%.1f s CPU) at batch 2000, %.1f s "
           "(%.1f s CPU) at batch 500\n", r20s[0], r20c[0], r20s[1], r20c[1]);
    printf("  eval %.0f images/s, PyTorch %.0f images/s: %.2fx; ONNX Runtime %.0f images/s: "
           "%.2fx\n", evs, ts, ts > 0 ? evs / ts : 0, ortv, ortv > 0 ? evs / ortv : 0);
    return 0;
}
