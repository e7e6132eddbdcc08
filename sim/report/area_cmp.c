/* area_cmp.c: the MAC area models side by side (see area_cmp.h). */
#include "sim/report/area_cmp.h"
#include "models/area.h"
#include "models/area_synth.h"

void report_area_models(const Accel *a, FILE *f)
{
    static const int bits[] = {16, 8, 4, 3, 2};
    Accel m[AREA_COUNT];
    for (int i = 0; i < AREA_COUNT; i++) {
        m[i] = *a;
        m[i].area_model = (AreaModel)i;
    }
    fprintf(f, "\nMAC density by area model (area of a %d-bit MAC / area of "
               "a b-bit MAC); synth: Yosys on qarray's\nown MAC RTL "
               "(models/rtl/mac_area.csv, gate equivalents, NAND2 = 1):\n",
            a->base_bits);
    fprintf(f, "%5s %9s %10s %9s %9s %10s %8s\n", "bits", "pact", "bitfusion",
            "synth", "synth_ge", "config_x", "lanes");
    for (size_t i = 0; i < QA_COUNT(bits); i++) {
        int b = bits[i];
        const AreaSynthMac *fx = area_synth_find("fixed", b);
        const AreaSynthMac *cf = area_synth_find("config", b);
        char ge[16] = "-", cx[16] = "-", lanes[16] = "-";
        if (fx)
            snprintf(ge, sizeof ge, "%.1f", fx->ge);
        if (cf) {
            snprintf(cx, sizeof cx, "%.2f", area_synth_config_density(b));
            snprintf(lanes, sizeof lanes, "%dx%d", cf->lanes, cf->bits);
        }
        fprintf(f, "%5d %9.2f %10.2f %9.2f %9s %10s %8s\n", b,
                area_ratio(&m[AREA_PACT], b), area_ratio(&m[AREA_BITFUSION], b),
                area_ratio(&m[AREA_SYNTH], b), ge, cx, lanes);
    }
    const AreaSynthMac *cf = area_synth_find("config", 16);
    fprintf(f, "config_x: the precision-configurable 16-bit MAC (%.1f GE: "
               "16/b lanes of b bits, a %d-bit accumulator\neach) against "
               "the fixed 16-bit MAC, in MACs per area (PACT Fig. 6b says "
               "~14x at 2 bits).\n", cf->ge, cf->acc_bits);
}
