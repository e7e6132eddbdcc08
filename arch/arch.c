/* arch.c: defaults, names of the enumerations, derived values and the
 * cross-field validation of an Accel. Parsing lives in arch_cfg.c. */
#include "arch/arch.h"

#include <string.h>

const char *const arch_dataflow_names[DF_COUNT + 1] = {"ws", "os", "is", NULL};
const char *const arch_scale_names[SCALE_COUNT + 1] = {"linear", "area",
                                                       "quadratic", "table", NULL};
const char *const arch_place_names[PLACE_COUNT + 1] = {"cols", "rows", "both", NULL};
const char *const arch_area_names[AREA_COUNT + 1] = {"pact", "bitfusion",
                                                     "synth", NULL};
const char *const arch_pe_names[PE_COUNT + 1] = {"uniform", "apot", NULL};
const char *const arch_timing_names[TIMING_COUNT + 1] = {"qarray", "scalesim",
                                                       NULL};
const char *const arch_energy_mac_names[EMAC_COUNT + 1] = {"formula", "table",
                                                           NULL};

void arch_defaults(Accel *a)
{
    memset(a, 0, sizeof *a);
    snprintf(a->name, sizeof a->name, "default");
    a->clock_ghz = 1.0;
    a->cores = 1;
    a->rows = 16;
    a->cols = 16;
    a->base_bits = 16;
    a->dataflow = DF_WS;
    a->timing = TIMING_QARRAY;
    a->sram_bytes = 256 * 1024;
    a->double_buffer = 1;
    a->dram_gbps = 0;
    a->dram_latency_cycles = 100;
    a->burst_bytes = 64;
    a->acc_bits = 32;
    a->vector_lanes = 16;
    a->scale_rule = SCALE_LINEAR;
    a->placement = PLACE_COLS;
    a->weights_resident = 0;
    a->mac16_um2 = 160.0;
    a->sram_mm2_per_kib = 0.00096;
    a->core_overhead_mm2 = 0.0;
    a->area_model = AREA_PACT;
}

static int parse_name(const char *s, const char *const *names, int n, int *out)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(s, names[i])) {
            *out = i;
            return QA_OK;
        }
    return QA_ERR;
}

const char *arch_dataflow_name(Dataflow d)
{
    return d < DF_COUNT ? arch_dataflow_names[d] : "?";
}

int arch_dataflow_parse(const char *s, Dataflow *d)
{
    int v;
    if (parse_name(s, arch_dataflow_names, DF_COUNT, &v) != QA_OK)
        return QA_ERR;
    *d = (Dataflow)v;
    return QA_OK;
}

const char *arch_scale_name(ScaleRule r)
{
    return r < SCALE_COUNT ? arch_scale_names[r] : "?";
}

int arch_scale_parse(const char *s, ScaleRule *r)
{
    int v;
    if (parse_name(s, arch_scale_names, SCALE_COUNT, &v) != QA_OK)
        return QA_ERR;
    *r = (ScaleRule)v;
    return QA_OK;
}

const char *arch_place_name(Placement p)
{
    return p < PLACE_COUNT ? arch_place_names[p] : "?";
}

int arch_place_parse(const char *s, Placement *p)
{
    int v;
    if (parse_name(s, arch_place_names, PLACE_COUNT, &v) != QA_OK)
        return QA_ERR;
    *p = (Placement)v;
    return QA_OK;
}

const char *arch_pe_name(PeKind k)
{
    return k < PE_COUNT ? arch_pe_names[k] : "?";
}

int arch_pe_parse(const char *s, PeKind *k)
{
    int v;
    if (parse_name(s, arch_pe_names, PE_COUNT, &v) != QA_OK)
        return QA_ERR;
    *k = (PeKind)v;
    return QA_OK;
}

const char *arch_area_model_name(AreaModel m)
{
    return m < AREA_COUNT ? arch_area_names[m] : "?";
}

int arch_area_model_parse(const char *s, AreaModel *m)
{
    int v;
    if (parse_name(s, arch_area_names, AREA_COUNT, &v) != QA_OK)
        return QA_ERR;
    *m = (AreaModel)v;
    return QA_OK;
}

const char *arch_timing_name(Timing t)
{
    return t < TIMING_COUNT ? arch_timing_names[t] : "?";
}

double arch_dram_bytes_per_cycle(const Accel *a)
{
    /* GB/s (10^9 bytes per second) divided by 10^9 cycles per second. */
    return a->dram_gbps > 0 ? a->dram_gbps / a->clock_ghz : 0;
}

int arch_energy_table_len(const double *list)
{
    int n = 0;
    while (n < ARCH_ENERGY_TABLE_MAX && list[n + 1] != 0)
        n++;
    return n;
}

/* The table of pJ per MAC: one energy per listed width, widths rising
 * (interpolation needs an order). Field names are the keys' paths, so
 * arch_load can say on which line they are. */
static int energy_validate(const EnergyParams *p, const char *file, Err *e)
{
    if (!p->set)
        return QA_OK;
    if (p->mac != EMAC_TABLE) {
        /* a table given beside the formula would be ignored */
        if (arch_energy_table_len(p->table_bits) > 0)
            return err_set(e, file, 0, "energy.table_bits", "is read only "
                           "with mac = \"table\"; mac is \"formula\"");
        if (arch_energy_table_len(p->table_pj) > 0)
            return err_set(e, file, 0, "energy.table_pj", "is read only "
                           "with mac = \"table\"; mac is \"formula\"");
        return QA_OK;
    }
    int nb = arch_energy_table_len(p->table_bits);
    int np = arch_energy_table_len(p->table_pj);
    if (nb == 0)
        return err_set(e, file, 0, "energy.table_bits",
                       "mac = \"table\" needs the widths of the table");
    if (np != nb)
        return err_set(e, file, 0, "energy.table_pj",
                       "has %d entries, energy.table_bits %d: one energy per "
                       "width", np, nb);
    for (int i = 2; i <= nb; i++)
        if (p->table_bits[i] <= p->table_bits[i - 1])
            return err_set(e, file, 0, "energy.table_bits",
                           "widths must rise: entry %d (%g) after %g", i,
                           p->table_bits[i], p->table_bits[i - 1]);
    return QA_OK;
}

int arch_validate(const Accel *a, const char *file, Err *e)
{
    if (a->base_bits < 2 || a->base_bits > ARCH_MAX_BITS)
        return err_set(e, file, 0, "base_bits", "must be 2..%d, is %d",
                       ARCH_MAX_BITS, a->base_bits);
    if (a->acc_bits < 2 * 2 || a->acc_bits > 64)
        return err_set(e, file, 0, "acc_bits", "must be 4..64, is %d",
                       a->acc_bits);
    /* The smallest tile the mapper can use needs room for a few words;
     * below this no layer maps. */
    if (a->sram_bytes < 1024)
        return err_set(e, file, 0, "sram_bytes",
                       "must be at least 1024 bytes, is %lld",
                       (long long)a->sram_bytes);
    if ((int64_t)a->rows * a->cols > (int64_t)1 << 20)
        return err_set(e, file, 0, "rows",
                       "rows x cols = %lld PEs is more than 2^20",
                       (long long)a->rows * a->cols);
    if (a->scale_rule == SCALE_TABLE) {
        for (int b = 1; b <= a->base_bits; b++)
            if (a->lane_table[b] < 1)
                return err_set(e, file, 0, "lane_table",
                               "scale_rule \"table\" needs lanes >= 1 for "
                               "every bit width 1..%d (missing at %d)",
                               a->base_bits, b);
        /* Fewer bits never fewer lanes: the mapper promises that fewer bits
         * are never slower, which needs the narrower MAC's array to be at
         * least as large. */
        for (int b = 2; b <= a->base_bits; b++)
            if ((int)a->lane_table[b] > (int)a->lane_table[b - 1])
                return err_set(e, file, 0, "lane_table",
                               "lanes at %d bits (%g) exceed lanes at %d bits "
                               "(%g): a narrower MAC must not give fewer lanes",
                               b, a->lane_table[b], b - 1, a->lane_table[b - 1]);
    }
    return energy_validate(&a->energy, file, e);
}
