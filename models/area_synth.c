/* area_synth.c: the synthesized MAC data (see area_synth.h) and the two
 * numbers qarray takes from it.
 *
 * Source: models/rtl/mac_area.csv, written by models/rtl/synth/mac_area.sh
 * with Yosys 0.23 (synth -flatten; flip-flops legalized to $_DFF_P_;
 * abc -g AND,NAND,OR,NOR,XOR,XNOR,MUX; stat -tech cmos). Transistors per
 * cell from Yosys's CMOS table: NOT 2, NAND 4, NOR 4, AND 6, OR 6, XOR 12,
 * XNOR 12, MUX 12, DFF 16; GE = transistors / 4 (a NAND2 is 4). All MACs
 * are signed with 32-bit accumulators (the chip's acc_bits), so the adder
 * and the accumulator register, which do not shrink with the operands,
 * set a floor under the fixed MAC's area: 16 -> 2 bits is 6.55x, not 14x. */
#include "models/area_synth.h"

#include <math.h>
#include <string.h>

/* kind, bits, lanes, acc_bits, cells, transistors, GE */
static const AreaSynthMac rows[] = {
    {"fixed", 2, 1, 32, 276, 2340, 585.0},
    {"fixed", 3, 1, 32, 302, 2518, 629.5},
    {"fixed", 4, 1, 32, 338, 2792, 698.0},
    {"fixed", 8, 1, 32, 667, 5108, 1277.0},
    {"fixed", 16, 1, 32, 2107, 15332, 3833.0},
    {"mul", 2, 1, 0, 9, 66, 16.5},
    {"mul", 3, 1, 0, 38, 244, 61.0},
    {"mul", 4, 1, 0, 71, 494, 123.5},
    {"mul", 8, 1, 0, 410, 2876, 719.0},
    {"mul", 16, 1, 0, 1722, 12030, 3007.5},
    {"config", 16, 1, 32, 4895, 36944, 9236.0},
    {"config", 8, 2, 32, 4895, 36944, 9236.0},
    {"config", 4, 4, 32, 4895, 36944, 9236.0},
    {"config", 2, 8, 32, 4895, 36944, 9236.0},
};

int area_synth_count(void)
{
    return (int)(sizeof rows / sizeof rows[0]);
}

const AreaSynthMac *area_synth_row(int i)
{
    return i >= 0 && i < area_synth_count() ? &rows[i] : NULL;
}

const AreaSynthMac *area_synth_find(const char *kind, int bits)
{
    for (int i = 0; i < area_synth_count(); i++)
        if (!strcmp(rows[i].kind, kind) && rows[i].bits == bits)
            return &rows[i];
    return NULL;
}

double area_synth_fixed_rel(int bits)
{
    static const int pts[] = {2, 3, 4, 8, 16};
    const int n = (int)(sizeof pts / sizeof pts[0]);
    double ge[5];
    for (int i = 0; i < n; i++)
        ge[i] = area_synth_find("fixed", pts[i])->ge;
    double lb = log2((double)bits);
    int i = 0;
    /* Segment [i, i+1] that holds lb; the end segments extrapolate. */
    while (i < n - 2 && lb > log2((double)pts[i + 1]))
        i++;
    double x0 = log2((double)pts[i]), x1 = log2((double)pts[i + 1]);
    double y0 = log2(ge[i]), y1 = log2(ge[i + 1]);
    double y = y0 + (y1 - y0) * (lb - x0) / (x1 - x0);
    return pow(2.0, y) / ge[n - 1];
}

double area_synth_config_density(int bits)
{
    const AreaSynthMac *c = area_synth_find("config", bits);
    if (!c)
        return 0;
    return c->lanes * area_synth_find("fixed", 16)->ge / c->ge;
}
