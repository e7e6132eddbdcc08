/* cmd_area.c: `qarray area`: area, MAC density, peak TOPS, TOPS/mm2 and
 * TOPS/W at peak utilisation of a chip at 16, 8, 4, 3 and 2 bits
 * (iso-area), uniform and APoT PEs. */
#include "models/area.h"
#include "models/energy.h"
#include "models/scale.h"
#include "sim/report/area_cmp.h"
#include "sim/cli/args.h"
#include "sim/cli/cmd.h"

#include <math.h>

typedef struct {
    const char *arch;
} AreaOpts;

static const ArgOpt opts[] = {
    ARGS_OPT_ARCH(AreaOpts, arch),
    ARGS_OPT_CHIP,
};

/* MACs per cycle: a whole number as one, a fraction (a multi-cycle MAC
 * on a chip of few PEs) with its digits. */
static void macs_text(double v, char *buf, size_t n)
{
    if (v == floor(v) && v < 1e15)
        snprintf(buf, n, "%.0f", v);
    else
        snprintf(buf, n, "%.4g", v);
}

/* TOPS/W at peak utilisation, or "-" for a chip without an energy group. */
static const char *tops_w(const Accel *a, int bits, char *buf, size_t n)
{
    if (!a->energy.set)
        return "-";
    snprintf(buf, n, "%.3f", energy_peak_tops_per_w(a, bits));
    return buf;
}

static int run(const Args *args, void *obj, Err *e)
{
    const AreaOpts *o = obj;
    char tw[32];
    Accel a;
    if (args_load_chip(args, o->arch, &a, e) != QA_OK)
        return QA_ERR;
    static const int bits[] = {16, 8, 4, 3, 2};
    printf("%s: %d cores, %dx%d PEs at %d bits, %.0f KiB scratchpad per core, "
           "MAC area model %s, precision rule %s, lanes as %s\n",
           a.name, a.cores, a.rows, a.cols, a.base_bits, a.sram_bytes / 1024.0,
           arch_area_model_name(a.area_model), arch_scale_name(a.scale_rule),
           arch_place_name(a.placement));
    printf("%5s %10s %10s %6s %11s %12s %9s %9s %9s %10s %10s %10s\n", "bits",
           "mac_um2", "density_x", "lanes", "array", "macs/cycle", "pe_mm2",
           "sram_mm2", "chip_mm2", "peak_tops", "tops/mm2", "tops/w");
    for (size_t i = 0; i < QA_COUNT(bits); i++) {
        AreaReport r;
        int rows, cols;
        area_report(&a, bits[i], &r);
        scale_array(&a, bits[i], &rows, &cols);
        char shape[32];
        snprintf(shape, sizeof shape, "%dx%d", rows, cols);
        char mpc[32];
        macs_text(r.macs_per_cycle, mpc, sizeof mpc);
        printf("%5d %10.2f %10.2f %6d %11s %12s %9.3f %9.3f %9.3f %10.3f %10.4f %10s\n",
               bits[i], area_mac_um2(&a, bits[i]), area_ratio(&a, bits[i]),
               scale_lanes(&a, bits[i]), shape, mpc,
               r.pe_mm2, r.sram_mm2, r.chip_mm2, r.peak_tops, r.tops_per_mm2,
               tops_w(&a, bits[i], tw, sizeof tw));
    }
    if (a.energy.set)
        printf("tops/w: at peak utilisation, every lane busy every cycle: MAC, "
               "register hops and leakage; no scratchpad or DRAM traffic\n");
    /* The same chip with APoT shift-add PEs, beside uniform. */
    Accel ap = a;
    ap.pe = PE_APOT;
    printf("\nwith APoT shift-add PEs (k = 2; a b-bit weight takes ceil(b/2) "
           "cycles per MAC):\n");
    printf("%5s %10s %6s %12s %10s %10s %12s %10s\n", "bits", "lane_x", "lanes",
           "macs/cycle", "peak_tops", "tops/mm2", "vs_uniform", "tops/w");
    for (size_t i = 0; i < QA_COUNT(bits); i++) {
        AreaReport r, u;
        area_report(&ap, bits[i], &r);
        area_report(&a, bits[i], &u);
        char mpc[32];
        macs_text(r.macs_per_cycle, mpc, sizeof mpc);
        printf("%5d %10.2f %6d %12s %10.3f %10.4f %11.2fx %10s\n", bits[i],
               area_apot_ratio(&ap, bits[i]), scale_apot_lanes(&ap, bits[i]),
               mpc, r.peak_tops, r.tops_per_mm2,
               r.peak_tops / u.peak_tops, tops_w(&ap, bits[i], tw, sizeof tw));
    }
    report_area_models(&a, stdout);
    return QA_OK;
}

const ArgCmd cmd_area = {
    .name = "area",
    .summary = "area, peak TOPS and TOPS/mm2 of a chip per precision",
    .about = "Area, MAC density, peak TOPS and TOPS/mm2 of the chip at 16, 8, 4, 3, 2\n"
             "bits (iso-area), with uniform and with APoT shift-add PEs.",
    .opts = opts, .nopts = (int)QA_COUNT(opts),
    .size = sizeof(AreaOpts),
    .run = run,
};
