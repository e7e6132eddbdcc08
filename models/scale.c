/* scale.c: lanes per PE and the effective array shape at a precision. */
#include "models/scale.h"
#include "models/area.h"

#include <math.h>

int scale_lanes(const Accel *a, int bits)
{
    if (bits >= a->base_bits || bits < 1)
        return 1;
    double base = a->base_bits, b = bits, lanes = 1;
    switch (a->scale_rule) {
    case SCALE_LINEAR: lanes = floor(base / b); break;
    /* The small epsilon keeps an exact ratio (e.g. 14.0 computed as
     * 13.999999) from losing a lane to rounding. */
    case SCALE_AREA: lanes = floor(area_ratio(a, bits) + 1e-9); break;
    case SCALE_QUADRATIC: lanes = floor((base / b) * (base / b)); break;
    case SCALE_TABLE: lanes = floor(a->lane_table[bits] + 1e-9); break;
    default: break;
    }
    return lanes < 1 ? 1 : (int)lanes;
}

int scale_cycles_per_mac(const Accel *a, int w_bits)
{
    return a->pe == PE_APOT ? (w_bits + 1) / 2 : 1;
}

int scale_apot_lanes(const Accel *a, int a_bits)
{
    if (a_bits >= a->base_bits)
        return 1;
    int lanes = (int)floor(area_apot_ratio(a, a_bits) + 1e-9);
    return lanes < 1 ? 1 : lanes;
}

static int lanes_for(const Accel *a, int bits)
{
    return a->pe == PE_APOT ? scale_apot_lanes(a, bits) : scale_lanes(a, bits);
}

void scale_array(const Accel *a, int bits, int *rows, int *cols)
{
    int lanes = lanes_for(a, bits);
    int rf = 1;
    switch (a->placement) {
    case PLACE_ROWS: rf = lanes; break;
    case PLACE_BOTH:
        for (int f = 1; f * f <= lanes; f++)
            if (lanes % f == 0)
                rf = f;
        break;
    default: break;
    }
    *rows = a->rows * rf;
    *cols = a->cols * (lanes / rf);
}
