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

/* Digits of base_bits an operand of `bits` is cut into. */
static int digits(const Accel *a, int bits)
{
    return bits > a->base_bits ? (bits + a->base_bits - 1) / a->base_bits : 1;
}

int scale_cycles_per_mac(const Accel *a, int w_bits, int a_bits)
{
    int w = a->pe == PE_APOT ? (w_bits + 1) / 2 : digits(a, w_bits);
    return QA_MAX(w, 1) * digits(a, a_bits);
}

int scale_vector_passes(const Accel *a, int bits)
{
    return digits(a, bits);
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
