/* cli_run.c: `qarray run` (one design point) and `qarray area`. */
#include "sim/cli/cli.h"
#include "sim/study/point.h"
#include "models/area.h"
#include "models/scale.h"
#include "sim/report/area_cmp.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void run_usage(FILE *f)
{
    fprintf(f,
"usage: qarray run [options]\n"
"Simulate one network on one chip at one precision; print a summary and,\n"
"with -o, write the per-layer CSV.\n\n"
"  -c, --arch FILE       architecture file (default arch/pact2018.cfg)\n"
"  -w, --workload NAME   built-in network: %s (default resnet50)\n"
"      --topo FILE       SCALE-Sim topology CSV instead of a built-in\n"
"  -m, --model FILE      integer model file (qarray train --export, qarray\n"
"                        quantize): its layers and per-layer bits; the bit\n"
"                        options are ignored\n"
"  -b, --bits W[/A]      weight/activation bits of inner layers (default 16)\n"
"      --first-last B    bits of the first and last layers (default 8, or\n"
"                        the inner bits when wider)\n"
"      --shortcut-bits B bits of projection shortcuts (--fpsc: 16)\n"
"      --batch N         images per inference (default 1)\n"
"      --bw GBPS         DRAM bandwidth in GB/s or \"unlimited\"\n"
"      --cores N         override the number of cores\n"
"      --sram BYTES      override scratchpad per core (e.g. 2MiB)\n"
"      --dataflow D      override the dataflow: ws, os, is\n"
"      --engine E        systemc (default) or analytic\n"
"      --arbitration A   SystemC engine: round-robin (default) or fcfs\n"
"      --vcd FILE        SystemC engine: write a value-change dump\n"
"  -o, --out PATH        PATH.csv: per-layer CSV; otherwise a folder that\n"
"                        gets config.cfg, layers.csv, summary.csv\n"
"      --verbose         SystemC reports on stderr\n"
"      --help-config     list every architecture file key\n"
"      --help-columns    list the CSV columns\n",
            net_builtin_names());
}

/* Parse "W" or "W/A" bits, each 1..16. */
static int parse_bits(const char *s, int *w, int *a)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%s", s);
    char *slash = strchr(buf, '/');
    long lw, la;
    if (slash)
        *slash = '\0';
    if (qa_parse_long(buf, &lw) != QA_OK || lw < 1 || lw > ARCH_MAX_BITS)
        return QA_ERR;
    la = lw;
    if (slash && (qa_parse_long(slash + 1, &la) != QA_OK || la < 1 ||
                  la > ARCH_MAX_BITS))
        return QA_ERR;
    *w = (int)lw;
    *a = (int)la;
    return QA_OK;
}

static int bad_flag(const char *flag, const char *val, const char *want)
{
    Err e;
    err_set(&e, NULL, 0, flag, "'%s' is not %s", val, want);
    err_print(&e, stderr);
    return 2;
}

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
                         const RunRecord *rec, const LayerRecord *rows, int n)
{
    Err e;
    if (ends_with(out, ".csv")) {
        if (report_write_layers(out, rows, n, &e) != QA_OK)
            goto fail;
        return QA_OK;
    }
    char path[1100];
    if (qa_mkdirs(out, &e) != QA_OK)
        goto fail;
    snprintf(path, sizeof path, "%s/config.cfg", out);
    if (arch_save(&p->accel, path, &e) != QA_OK)
        goto fail;
    snprintf(path, sizeof path, "%s/layers.csv", out);
    if (report_write_layers(path, rows, n, &e) != QA_OK)
        goto fail;
    snprintf(path, sizeof path, "%s/summary.csv", out);
    if (report_write_summary(path, rec, 1, &e) != QA_OK)
        goto fail;
    return QA_OK;
fail:
    err_print(&e, stderr);
    return QA_ERR;
}

int cli_run(int argc, char **argv)
{
    enum { O_TOPO = 256, O_FL, O_SC, O_FPSC, O_BATCH, O_BW, O_CORES, O_SRAM,
           O_DF, O_ENGINE, O_ARB, O_VCD, O_VERBOSE, O_HCFG, O_HCOL };
    static const struct option opts[] = {
        {"arch", required_argument, 0, 'c'},
        {"workload", required_argument, 0, 'w'},
        {"topo", required_argument, 0, O_TOPO},
        {"model", required_argument, 0, 'm'},
        {"bits", required_argument, 0, 'b'},
        {"first-last", required_argument, 0, O_FL},
        {"shortcut-bits", required_argument, 0, O_SC},
        {"fpsc", no_argument, 0, O_FPSC},
        {"batch", required_argument, 0, O_BATCH},
        {"bw", required_argument, 0, O_BW},
        {"cores", required_argument, 0, O_CORES},
        {"sram", required_argument, 0, O_SRAM},
        {"dataflow", required_argument, 0, O_DF},
        {"engine", required_argument, 0, O_ENGINE},
        {"arbitration", required_argument, 0, O_ARB},
        {"vcd", required_argument, 0, O_VCD},
        {"out", required_argument, 0, 'o'},
        {"verbose", no_argument, 0, O_VERBOSE},
        {"help-config", no_argument, 0, O_HCFG},
        {"help-columns", no_argument, 0, O_HCOL},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    PointSpec p;
    point_defaults(&p);
    const char *arch_path = "arch/pact2018.cfg";
    const char *out = NULL;
    /* Overrides are applied after the file is loaded. */
    const char *bw = NULL, *cores = NULL, *sram = NULL, *df = NULL;
    long v;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "c:w:b:m:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': arch_path = optarg; break;
        case 'w': snprintf(p.workload, sizeof p.workload, "%s", optarg); break;
        case O_TOPO: snprintf(p.topo_path, sizeof p.topo_path, "%s", optarg); break;
        case 'm': snprintf(p.model_path, sizeof p.model_path, "%s", optarg); break;
        case 'b':
            if (parse_bits(optarg, &p.w_bits, &p.a_bits) != QA_OK)
                return bad_flag("--bits", optarg, "W or W/A with 1..16 bits");
            break;
        case O_FL:
            if (qa_parse_long(optarg, &v) != QA_OK || v < 1 || v > ARCH_MAX_BITS)
                return bad_flag("--first-last", optarg, "a bit width 1..16");
            p.first_last_bits = (int)v;
            break;
        case O_SC:
            if (qa_parse_long(optarg, &v) != QA_OK || v < 1 || v > ARCH_MAX_BITS)
                return bad_flag("--shortcut-bits", optarg, "a bit width 1..16");
            p.shortcut_bits = (int)v;
            break;
        case O_FPSC: p.shortcut_bits = 16; break;
        case O_BATCH:
            if (qa_parse_long(optarg, &v) != QA_OK || v < 1 || v > 65536)
                return bad_flag("--batch", optarg, "a batch size 1..65536");
            p.batch = (int)v;
            break;
        case O_BW: bw = optarg; break;
        case O_CORES: cores = optarg; break;
        case O_SRAM: sram = optarg; break;
        case O_DF: df = optarg; break;
        case O_ENGINE:
            if (point_engine_parse(optarg, &p.engine) != QA_OK)
                return bad_flag("--engine", optarg, "analytic or systemc");
            break;
        case O_ARB:
            if (sim_arbitration_parse(optarg, &p.arbitration) != QA_OK)
                return bad_flag("--arbitration", optarg, "round-robin or fcfs");
            break;
        case O_VCD: p.vcd_path = optarg; break;
        case 'o': out = optarg; break;
        case O_VERBOSE: p.verbose = 1; break;
        case O_HCFG: arch_help_config(stdout); return 0;
        case O_HCOL: report_print_columns(stdout); return 0;
        case 'h': run_usage(stdout); return 0;
        default:
            fprintf(stderr, "qarray: run: unknown or incomplete option '%s'\n",
                    argv[optind - 1]);
            run_usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "qarray: run: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    Err e;
    if (arch_load(&p.accel, arch_path, &e) != QA_OK) {
        err_print(&e, stderr);
        return 1;
    }
    /* Overrides go through the architecture file's key table: the same
     * types and limits as the file. */
    const char *const over[][3] = {{"dram.gbps", bw, "--bw"},
                                   {"cores", cores, "--cores"},
                                   {"core.sram_bytes", sram, "--sram"},
                                   {"core.dataflow", df, "--dataflow"}};
    for (size_t i = 0; i < QA_COUNT(over); i++)
        if (over[i][1] && arch_set(&p.accel, over[i][0], over[i][1], over[i][2],
                                   &e) != QA_OK) {
            err_print(&e, stderr);
            return 2;
        }
    if (arch_validate(&p.accel, arch_path, &e) != QA_OK) {
        err_print(&e, stderr);
        return 1;
    }

    RunRecord rec;
    LayerRecord *rows = NULL;
    int n = 0;
    if (point_run(&p, &rec, out ? &rows : NULL, &n, &e) != QA_OK) {
        err_print(&e, stderr);
        return 1;
    }
    print_summary(&rec, p.accel.clock_ghz);
    int rc = 0;
    if (out) {
        if (write_outputs(out, &p, &rec, rows, n) != QA_OK)
            rc = 1;
        else
            printf("  wrote           %s\n", out);
    }
    free(rows);
    return rc;
}

int cli_area(int argc, char **argv)
{
    const char *arch_path = "arch/pact2018.cfg";
    static const struct option opts[] = {
        {"arch", required_argument, 0, 'c'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': arch_path = optarg; break;
        case 'h':
            printf("usage: qarray area [-c ARCH]\n"
                   "Area, MAC density, peak TOPS and TOPS/mm2 of the chip at "
                   "16, 8, 4, 3, 2 bits (iso-area).\n");
            return 0;
        default:
            fprintf(stderr, "qarray: area: unknown option '%s'\n", argv[optind - 1]);
            return 2;
        }
    }
    Accel a;
    Err e;
    if (arch_load(&a, arch_path, &e) != QA_OK) {
        err_print(&e, stderr);
        return 1;
    }
    static const int bits[] = {16, 8, 4, 3, 2};
    printf("%s: %d cores, %dx%d PEs at %d bits, %.0f KiB scratchpad per core, "
           "MAC area model %s, precision rule %s, lanes as %s\n",
           a.name, a.cores, a.rows, a.cols, a.base_bits, a.sram_bytes / 1024.0,
           arch_area_model_name(a.area_model), arch_scale_name(a.scale_rule),
           arch_place_name(a.placement));
    printf("%5s %10s %10s %6s %11s %12s %9s %9s %9s %10s %10s\n", "bits",
           "mac_um2", "density_x", "lanes", "array", "macs/cycle", "pe_mm2",
           "sram_mm2", "chip_mm2", "peak_tops", "tops/mm2");
    for (size_t i = 0; i < QA_COUNT(bits); i++) {
        AreaReport r;
        int rows, cols;
        area_report(&a, bits[i], &r);
        scale_array(&a, bits[i], &rows, &cols);
        char shape[32];
        snprintf(shape, sizeof shape, "%dx%d", rows, cols);
        printf("%5d %10.2f %10.2f %6d %11s %12lld %9.3f %9.3f %9.3f %10.3f %10.4f\n",
               bits[i], area_mac_um2(&a, bits[i]), area_ratio(&a, bits[i]),
               scale_lanes(&a, bits[i]), shape, (long long)r.macs_per_cycle,
               r.pe_mm2, r.sram_mm2, r.chip_mm2, r.peak_tops, r.tops_per_mm2);
    }
    /* The same chip with APoT shift-add PEs, beside uniform. */
    Accel ap = a;
    ap.pe = PE_APOT;
    printf("\nwith APoT shift-add PEs (k = 2; a b-bit weight takes ceil(b/2) "
           "cycles per MAC):\n");
    printf("%5s %10s %6s %12s %10s %10s %12s\n", "bits", "lane_x", "lanes",
           "macs/cycle", "peak_tops", "tops/mm2", "vs_uniform");
    for (size_t i = 0; i < QA_COUNT(bits); i++) {
        AreaReport r, u;
        area_report(&ap, bits[i], &r);
        area_report(&a, bits[i], &u);
        printf("%5d %10.2f %6d %12lld %10.3f %10.4f %11.2fx\n", bits[i],
               area_apot_ratio(&ap, bits[i]), scale_apot_lanes(&ap, bits[i]),
               (long long)r.macs_per_cycle, r.peak_tops, r.tops_per_mm2,
               r.peak_tops / u.peak_tops);
    }
    report_area_models(&a, stdout);
    return 0;
}
