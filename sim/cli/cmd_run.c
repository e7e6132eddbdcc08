/* cmd_run.c: `qarray run`: one network on one chip at one precision. */
#include "sim/cli/args.h"
#include "sim/cli/cmd.h"
#include "sim/study/point.h"
#include "sim/study/study.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *arch, *workload, *topo, *model, *vcd, *out;
    ArgBits bits;
    int first_last, shortcut, fpsc, batch, engine, arbitration;
    int verbose, help_config, help_columns;
} RunOpts;

static const ArgOpt opts[] = {
    ARGS_OPT_ARCH(RunOpts, arch),
    ARGS_OPT_CHIP,
    ARGS_OPT_WORKLOAD(RunOpts, workload, "resnet50", 0),
    {.name = "topo", .kind = ARG_STR, .off = offsetof(RunOpts, topo), .meta = "FILE",
     .help = "SCALE-Sim topology CSV instead of a built-in network"},
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
     .help = "SystemC engine: write a value-change dump"},
    {.name = "verbose", .kind = ARG_FLAG, .off = offsetof(RunOpts, verbose),
     .help = "SystemC engine: its reports on stderr"},
    ARGS_OPT_OUT(RunOpts, out, "PATH", "PATH.csv: the per-layer CSV; otherwise a folder\n"
                 "that gets config.cfg, layers.csv, summary.csv", 0),
    {.name = "help-config", .kind = ARG_FLAG, .off = offsetof(RunOpts, help_config),
     .help = "list every architecture file key"},
    {.name = "help-columns", .kind = ARG_FLAG, .off = offsetof(RunOpts, help_columns),
     .help = "list the CSV columns"},
};

#define MODEL_HOLDS "the model file holds the bits of every layer"
#define NO_SYSTEMC(opt, why) {ARG_CONFLICTS, opt, "engine", "analytic", why}
static const ArgRule rules[] = {
    {ARG_CONFLICTS, "topo", "workload", NULL, "give one network"},
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

static void print_summary(const RunRecord *r, double clock_ghz)
{
    printf("%s on %s (%s engine): W%d/A%d, first/last %d bits, batch %d\n",
           r->workload, r->arch, r->engine, r->w_bits, r->a_bits,
           r->first_last_bits, r->batch);
    if (r->dram_gbps > 0)
        printf("  chip            %d cores, %.1f GB/s DRAM, %.0f KiB scratchpad per core\n",
               r->cores, r->dram_gbps, r->sram_bytes / 1024.0);
    else
        printf("  chip            %d cores, unlimited DRAM bandwidth, %.0f KiB scratchpad per core\n",
               r->cores, r->sram_bytes / 1024.0);
    printf("  cycles          %lld (%.4f ms at %.2f GHz, %.1f images/s)\n",
           (long long)r->cycles, r->time_ms, clock_ghz, r->images_per_s);
    printf("  utilization     %.1f %% of peak MACs\n", 100 * r->util);
    printf("  DRAM traffic    %.2f MB\n", r->dram_bytes / 1e6);
    printf("  peak            %.2f TOPS (%.2fx the %s-bit peak)\n", r->peak_tops,
           r->peak_gain, "16");
    printf("  achieved        %.3f TOPS, %.4f TOPS/mm2 on %.2f mm2\n",
           r->achieved_tops, r->tops_per_mm2, r->chip_mm2);
    printf("  speedup         %.3fx over the same chip at 16 bits (%lld cycles)\n",
           r->speedup, (long long)r->base_cycles);
}

static int write_outputs(const char *out, const PointSpec *p,
                         const RunRecord *rec, const LayerRecord *rows, int n,
                         Err *e)
{
    if (ends_with(out, ".csv"))
        return report_write_layers(out, rows, n, e);
    char path[1100];
    if (qa_mkdirs(out, e) != QA_OK)
        return QA_ERR;
    snprintf(path, sizeof path, "%s/config.cfg", out);
    if (arch_save(&p->accel, path, e) != QA_OK)
        return QA_ERR;
    snprintf(path, sizeof path, "%s/layers.csv", out);
    if (report_write_layers(path, rows, n, e) != QA_OK)
        return QA_ERR;
    snprintf(path, sizeof path, "%s/summary.csv", out);
    return report_write_summary(path, rec, 1, e);
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
        copy_text(p.model_path, sizeof p.model_path, o->model, "--model", e) != QA_OK)
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
    print_summary(&rec, p.accel.clock_ghz);
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
