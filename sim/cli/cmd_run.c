/* cmd_run.c: `qarray run`: one network on one chip at one precision. */
#include "sim/cli/args.h"
#include "sim/cli/cmd.h"
#include "sim/study/point.h"
#include "sim/study/study.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* What -o DIR holds. */
#define RUN_DIR_FILES "config.cfg layers.csv summary.csv"

typedef struct {
    const char *arch, *workload, *topo, *onnx, *model, *vcd, *out;
    ArgList input_shape;
    ArgBits bits;
    int first_last, shortcut, fpsc, batch, engine, arbitration;
    int verbose, help_config, help_columns;
} RunOpts;

static const ArgOpt opts[] = {
    ARGS_OPT_ARCH(RunOpts, arch),
    ARGS_OPT_CHIP,
    ARGS_OPT_WORKLOAD(RunOpts, workload, "resnet50", 0),
    {.name = "topo", .kind = ARG_STR, .off = offsetof(RunOpts, topo), .meta = "FILE",
     .help = "SCALE-Sim topology CSV instead of a built-in network", .flags = ARG_IN},
    {.name = "onnx", .kind = ARG_STR, .off = offsetof(RunOpts, onnx), .meta = "FILE",
     .help = "ONNX model instead of a built-in network", .flags = ARG_IN},
    {.name = "input-shape", .kind = ARG_LIST, .off = offsetof(RunOpts, input_shape),
     .meta = "NAME=DIMS", .help = "shape of an ONNX input, as input=1x3x224x224\n"
     "(needed when the model leaves a dimension open)"},
    ARGS_OPT_MODEL(RunOpts, model, "integer model file (qarray train --export, qarray\n"
                   "quantize): its layers and the bits of every layer", 0),
    ARGS_OPT_BITS(RunOpts, bits, ARCH_MAX_BITS, "16", 0),
    ARGS_OPT_FIRST_LAST(RunOpts, first_last, 1, ARCH_MAX_BITS, NULL,
                        "bits of the first and last layers; default 8,\n"
                        "or the inner bits when wider"),
    ARGS_OPT_SHORTCUT_BITS(RunOpts, shortcut),
    {.name = "fpsc", .kind = ARG_FLAG, .off = offsetof(RunOpts, fpsc),
     .help = "full-precision shortcuts: --shortcut-bits 16"},
    ARGS_OPT_BATCH(RunOpts, batch, STUDY_MAX_BATCH, "1", "images per inference"),
    ARGS_OPT_ENGINE(RunOpts, engine, "systemc", "the timing model"),
    {.name = "arbitration", .kind = ARG_CHOICE, .off = offsetof(RunOpts, arbitration),
     .choices = sim_arbitration_names, .def = "round-robin",
     .help = "SystemC engine: how the DRAM channel picks\nthe next burst"},
    {.name = "vcd", .kind = ARG_STR, .off = offsetof(RunOpts, vcd), .meta = "FILE",
     .help = "SystemC engine: write a value-change dump", .flags = ARG_OUT},
    {.name = "verbose", .kind = ARG_FLAG, .off = offsetof(RunOpts, verbose),
     .help = "SystemC engine: its reports on stderr"},
    ARGS_OPT_OUT_DIR(RunOpts, out, "PATH", "PATH.csv: the per-layer CSV; otherwise a folder\n"
                     "that gets config.cfg, layers.csv, summary.csv", ARG_OUT,
                     RUN_DIR_FILES),
    {.name = "help-config", .kind = ARG_FLAG, .off = offsetof(RunOpts, help_config),
     .help = "list every architecture file key"},
    {.name = "help-columns", .kind = ARG_FLAG, .off = offsetof(RunOpts, help_columns),
     .help = "list the CSV columns"},
};

#define MODEL_HOLDS "the model file holds the bits of every layer"
#define NO_SYSTEMC(opt, why) {ARG_CONFLICTS, opt, "engine", "analytic", why}
static const ArgRule rules[] = {
    {ARG_CONFLICTS, "topo", "workload", NULL, "give one network"},
    {ARG_CONFLICTS, "onnx", "workload", NULL, "give one network"},
    {ARG_CONFLICTS, "onnx", "topo", NULL, "give one network"},
    {ARG_CONFLICTS, "model", "onnx", NULL, "the model file holds the network"},
    {ARG_REQUIRES, "input-shape", "onnx", NULL, NULL},
    {ARG_CONFLICTS, "model", "workload", NULL, "the model file holds the network"},
    {ARG_CONFLICTS, "model", "topo", NULL, "the model file holds the network"},
    {ARG_CONFLICTS, "model", "bits", NULL, MODEL_HOLDS},
    {ARG_CONFLICTS, "model", "first-last", NULL, MODEL_HOLDS},
    {ARG_CONFLICTS, "model", "shortcut-bits", NULL, MODEL_HOLDS},
    {ARG_CONFLICTS, "model", "fpsc", NULL, MODEL_HOLDS},
    {ARG_CONFLICTS, "fpsc", "shortcut-bits", NULL, "--fpsc is --shortcut-bits 16"},
    NO_SYSTEMC("vcd", "the analytic engine has no signals to dump"),
    NO_SYSTEMC("arbitration", "the analytic engine has no DRAM channel to arbitrate"),
    NO_SYSTEMC("verbose", "the analytic engine has no reports"),
};

static int ends_with(const char *s, const char *sfx)
{
    size_t n = strlen(s), m = strlen(sfx);
    return n >= m && !strcmp(s + n - m, sfx);
}

/* uJ below a millijoule, else mJ. */
static void fmt_energy(char *buf, size_t n, double uj)
{
    if (uj < 1000)
        snprintf(buf, n, "%.2f uJ", uj);
    else
        snprintf(buf, n, "%.3f mJ", uj * 1e-3);
}

static void print_energy(const RunRecord *r, int base_bits, int energy_set)
{
    if (!(r->energy_uj > 0) && energy_set) {
        /* A group of zeros is valid (every range starts at 0) but has no
         * shares, TOPS/W or ratio to print. */
        printf("  energy          0 uJ per inference: the values of the architecture "
               "file's energy group give no energy\n");
        return;
    }
    if (!(r->energy_uj > 0)) {
        printf("  energy          not modelled: the architecture file has no "
               "energy group (qarray run --help-config)\n");
        return;
    }
    char all[32], one[32];
    fmt_energy(all, sizeof all, r->energy_uj);
    fmt_energy(one, sizeof one, r->energy_per_image_uj);
    double t = r->energy_uj;
    printf("  energy          %s per inference", all);
    if (r->batch > 1)
        printf(" (%s per image)", one);
    printf(": MAC %.0f%%, array %.0f%%, scratchpad %.0f%%, DRAM %.0f%%, "
           "leakage %.0f%%\n", 100 * r->e_mac_uj / t, 100 * r->e_array_uj / t,
           100 * r->e_sram_uj / t, 100 * r->e_dram_uj / t,
           100 * r->e_leak_uj / t);
    printf("  power           %.3f W average, %.3f TOPS/W, %.1f images/J, "
           "EDP %.3g J*s\n", r->power_w, r->tops_per_w, r->images_per_j,
           r->edp_j_s);
    printf("  energy ratio    %.3fx less energy than the same chip at %d bits "
           "(speedup %.3fx)\n", r->energy_gain, base_bits, r->speedup);
}

/* v with `decimals` decimals, unless that loses more than 5% of it (a
 * 0.001 GB/s channel printed as "0.0 GB/s", 0.0025 images/s as "0.0"):
 * then three significant digits. Ordinary values print as they always did. */
static const char *num(char *buf, size_t n, double v, int decimals)
{
    snprintf(buf, n, "%.*f", decimals, v);
    if (v != 0 && isfinite(v) && fabs(strtod(buf, NULL) - v) > 0.05 * fabs(v))
        snprintf(buf, n, "%.3g", v);
    return buf;
}

/* The baseline is the chip at its base_bits (16 on every preset, but not
 * on every chip): the summary says which. */
static void print_summary(const RunRecord *r, double clock_ghz, int base_bits,
                          int energy_set)
{
    char a[32], b[32], c[32];
    printf("%s on %s (%s engine): W%d/A%d, first/last %d bits, batch %d\n",
           r->workload, r->arch, r->engine, r->w_bits, r->a_bits,
           r->first_last_bits, r->batch);
    if (r->dram_gbps > 0)
        printf("  chip            %d cores, %s GB/s DRAM, %s KiB scratchpad per core\n",
               r->cores, num(a, sizeof a, r->dram_gbps, 1),
               num(b, sizeof b, r->sram_bytes / 1024.0, 0));
    else
        printf("  chip            %d cores, unlimited DRAM bandwidth, %s KiB scratchpad per core\n",
               r->cores, num(b, sizeof b, r->sram_bytes / 1024.0, 0));
    printf("  cycles          %lld (%s ms at %s GHz, %s images/s)\n",
           (long long)r->cycles, num(a, sizeof a, r->time_ms, 4),
           num(b, sizeof b, clock_ghz, 2), num(c, sizeof c, r->images_per_s, 1));
    printf("  utilization     %s %% of peak MACs\n", num(a, sizeof a, 100 * r->util, 1));
    printf("  DRAM traffic    %s MB\n", num(a, sizeof a, (double)r->dram_bytes / 1e6, 2));
    printf("  peak            %s TOPS (%sx the %d-bit peak)\n",
           num(a, sizeof a, r->peak_tops, 2), num(b, sizeof b, r->peak_gain, 2), base_bits);
    printf("  achieved        %s TOPS, %s TOPS/mm2 on %s mm2\n",
           num(a, sizeof a, r->achieved_tops, 3), num(b, sizeof b, r->tops_per_mm2, 4),
           num(c, sizeof c, r->chip_mm2, 2));
    printf("  speedup         %sx over the same chip at %d bits (%lld cycles)\n",
           num(a, sizeof a, r->speedup, 3), base_bits, (long long)r->base_cycles);
    print_energy(r, base_bits, energy_set);
}

/* PATH.csv, or a device or FIFO (/dev/stdout, a pipe): the per-layer
 * CSV. Otherwise the folder of RUN_DIR_FILES, which appears complete or
 * not at all (a full disk leaves nothing). */
static int write_outputs(const char *out, const PointSpec *p,
                         const RunRecord *rec, const LayerRecord *rows, int n,
                         Err *e)
{
    if (ends_with(out, ".csv") || qa_is_stream(out))
        return report_write_layers(out, rows, n, e);
    AtomicDir d;
    char path[1200];
    if (qa_adir_open(&d, out, e) != QA_OK)
        return QA_ERR;
    if (qa_adir_file(&d, "config.cfg", path, sizeof path, e) != QA_OK ||
        arch_save(&p->accel, path, e) != QA_OK ||
        qa_adir_file(&d, "layers.csv", path, sizeof path, e) != QA_OK ||
        report_write_layers(path, rows, n, e) != QA_OK ||
        qa_adir_file(&d, "summary.csv", path, sizeof path, e) != QA_OK ||
        report_write_summary(path, rec, 1, e) != QA_OK) {
        qa_adir_abort(&d, e);
        return QA_ERR;
    }
    return qa_adir_commit(&d, e);
}

/* A name or path into a fixed field of PointSpec, never cut short. */
static int copy_text(char *dst, size_t size, const char *src, const char *flag, Err *e)
{
    if (!src)
        return QA_OK;
    if (strlen(src) >= size)
        return err_set(e, NULL, 0, flag, "longer than %zu bytes", size - 1);
    snprintf(dst, size, "%s", src);
    return QA_OK;
}

static int run(const Args *a, void *obj, Err *e)
{
    const RunOpts *o = obj;
    if (o->help_config) {
        arch_help_config(stdout);
        return QA_OK;
    }
    if (o->help_columns) {
        report_print_columns(stdout);
        return QA_OK;
    }
    PointSpec p;
    point_defaults(&p);
    if (copy_text(p.workload, sizeof p.workload, o->workload, "--workload", e) != QA_OK ||
        copy_text(p.topo_path, sizeof p.topo_path, o->topo, "--topo", e) != QA_OK ||
        copy_text(p.onnx_path, sizeof p.onnx_path, o->onnx, "--onnx", e) != QA_OK ||
        copy_text(p.model_path, sizeof p.model_path, o->model, "--model", e) != QA_OK)
        return ARGS_USAGE;
    for (int i = 0; i < o->input_shape.n; i++)
        if (onnx_options_add(&p.onnx, o->input_shape.v[i], "--input-shape", e) != QA_OK)
            return ARGS_USAGE;
    p.w_bits = o->bits.w, p.a_bits = o->bits.a;
    p.first_last_bits = o->first_last;
    p.shortcut_bits = o->fpsc ? 16 : o->shortcut;
    p.batch = o->batch;
    p.engine = (Engine)o->engine;
    p.arbitration = (SimArbitration)o->arbitration;
    p.vcd_path = o->vcd;
    p.verbose = o->verbose;
    RunRecord rec;
    LayerRecord *rows = NULL;
    int n = 0;
    if (args_load_chip(a, o->arch, &p.accel, e) != QA_OK ||
        point_run(&p, &rec, o->out ? &rows : NULL, &n, e) != QA_OK)
        return QA_ERR;
    print_summary(&rec, p.accel.clock_ghz, p.accel.base_bits, p.accel.energy.set);
    int rc = o->out ? write_outputs(o->out, &p, &rec, rows, n, e) : QA_OK;
    free(rows);
    if (rc == QA_OK && o->out)
        printf("  wrote           %s\n", o->out);
    return rc;
}

const ArgCmd cmd_run = {
    .name = "run",
    .summary = "simulate one network on one chip at one precision",
    .about = "Simulate one network on one chip at one precision; print a summary and,\n"
             "with -o, write the per-layer CSV.",
    .opts = opts, .nopts = (int)QA_COUNT(opts),
    .rules = rules, .nrules = (int)QA_COUNT(rules),
    .size = sizeof(RunOpts),
    .run = run,
};
