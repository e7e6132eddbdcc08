/* arch_cfg.c: libconfig <-> Accel through one key table.
 *
 * The table below declares every key of an architecture file: its path,
 * type, range, unit and help. The key-table engine (keytab.c) uses it to
 * parse files, to take command-line overrides and study axes with the same
 * checks, to print `qarray run --help-config` and to write the effective
 * configuration every run saves beside its results. Cross-field rules are
 * in arch_validate. */
#include "arch/arch.h"
#include "arch/keytab.h"

#include <stddef.h>
#include <string.h>

#define F(field) offsetof(Accel, field), sizeof(((Accel *)0)->field)

static const KtKey keys[] = {
    {"name", KT_STR, F(name), 0, 0, "", "name of the chip, copied into reports", NULL},
    {"clock_ghz", KT_FLOAT, F(clock_ghz), 0.01, 100, "GHz", "core clock", NULL},
    {"cores", KT_INT, F(cores), 1, 4096, "", "number of identical cores sharing the DRAM channel", NULL},
    {"weights_resident", KT_BOOL, F(weights_resident), 0, 1, "", "keep all weights on chip across inferences when the whole model fits", NULL},
    {"core.rows", KT_INT, F(rows), 1, 4096, "PEs", "systolic array rows at base_bits", NULL},
    {"core.cols", KT_INT, F(cols), 1, 4096, "PEs", "systolic array columns at base_bits", NULL},
    {"core.base_bits", KT_INT, F(base_bits), 2, ARCH_MAX_BITS, "bits", "precision of one MAC lane; a PE is one lane at this precision", NULL},
    {"core.dataflow", KT_ENUM, F(dataflow), 0, 0, "", "systolic dataflow", arch_dataflow_names},
    {"core.timing", KT_ENUM, F(timing), 0, 0, "", "whose array cycles: qarray (overlapped folds, models/systolic.c) or scalesim (SCALE-Sim v2's count, models/scalesim.c: folds padded and back to back, one tile per core and layer, topologies read with its output-size rounding)", arch_timing_names},
    {"core.sram_bytes", KT_BYTES, F(sram_bytes), 1024, 1099511627776.0, "bytes", "scratchpad per core, the same bytes at every precision (integer or \"2 MiB\")", NULL},
    {"core.double_buffer", KT_BOOL, F(double_buffer), 0, 1, "", "overlap loads and stores with compute (two buffers per tensor)", NULL},
    {"core.acc_bits", KT_INT, F(acc_bits), 4, 64, "bits", "accumulator width of a PE", NULL},
    {"core.vector_lanes", KT_INT, F(vector_lanes), 1, 65536, "elements/cycle", "pool/add unit throughput at base_bits (scales linearly with lower bits)", NULL},
    {"core.overhead_mm2", KT_FLOAT, F(core_overhead_mm2), 0, 1e4, "mm2", "per-core area besides PEs and scratchpad (control, DMA, vector unit)", NULL},
    {"dram.gbps", KT_GBPS, F(dram_gbps), 0.001, 1e6, "GB/s", "shared DRAM bandwidth (10^9 bytes/s) or \"unlimited\"", NULL},
    {"dram.latency_cycles", KT_I64, F(dram_latency_cycles), 0, 1e7, "cycles", "latency of one DMA transfer", NULL},
    {"dram.burst_bytes", KT_INT, F(burst_bytes), 1, 1048576, "bytes", "DMA burst size (one TLM transaction)", NULL},
    {"precision.rule", KT_ENUM, F(scale_rule), 0, 0, "", "MAC lanes per PE at b bits: linear 16/b, area area(16)/area(b), quadratic (16/b)^2, table", arch_scale_names},
    {"precision.placement", KT_ENUM, F(placement), 0, 0, "", "where the extra lanes go: more columns, more rows, or both", arch_place_names},
    {"precision.pe", KT_ENUM, F(pe), 0, 0, "", "uniform: b-bit multiplier lanes; apot: shift-add lanes, a b-bit APoT weight (k = 2) costs ceil(b/2) cycles", arch_pe_names},
    {"precision.lane_table", KT_LIST, F(lane_table), 1, 4096, "lanes", "rule \"table\": list of base_bits numbers, lanes per PE at 1..base_bits bits", NULL},
    {"area.model", KT_ENUM, F(area_model), 0, 0, "", "MAC area vs bits: pact (calibrated to PACT Fig. 6b, ~14x 16->2 bit), bitfusion (45 nm synthesis table) or synth (Yosys gate counts of qarray's own MAC RTL, models/rtl/mac_area.csv)", arch_area_names},
    {"area.mac16_um2", KT_FLOAT, F(mac16_um2), 0.001, 1e6, "um2", "area of one 16-bit MAC lane (other widths follow area.model)", NULL},
    {"area.sram_mm2_per_kib", KT_FLOAT, F(sram_mm2_per_kib), 0, 1, "mm2/KiB", "scratchpad area per KiB", NULL},
    /* The energy group (models/energy.c): optional, but a file that has it
     * gives every key, so no number of one chip comes silently from
     * another node's defaults. */
    {"energy.mac", KT_ENUM, F(energy.mac), 0, 0, "", "energy per MAC: formula (mul8_pj, mul_exp, add8_pj, add_exp) or table (table_bits, table_pj: the chip's PE per MAC)", arch_energy_mac_names},
    {"energy.mul8_pj", KT_QTY, F(energy.mul8_pj), 0, 1e6, "pJ", "8 x 8-bit integer multiply; a w x a-bit one costs mul8_pj * (w*a/64)^(mul_exp/2)", NULL},
    {"energy.mul_exp", KT_FLOAT, F(energy.mul_exp), 0, 4, "", "exponent of the multiply energy in the operand width", NULL},
    {"energy.add8_pj", KT_QTY, F(energy.add8_pj), 0, 1e6, "pJ", "8-bit integer add; a b-bit one costs add8_pj * (b/8)^add_exp (accumulate, shift-add term, vector unit)", NULL},
    {"energy.add_exp", KT_FLOAT, F(energy.add_exp), 0, 4, "", "exponent of the add energy in the width", NULL},
    {"energy.table_bits", KT_LIST, F(energy.table_bits), 1, ARCH_MAX_BITS, "bits", "mac = \"table\": rising lane widths of the table", NULL},
    {"energy.table_pj", KT_LIST, F(energy.table_pj), 1e-9, 1e6, "pJ", "mac = \"table\": pJ per MAC at those widths (log-log interpolated between)", NULL},
    {"energy.flex_overhead", KT_FLOAT, F(energy.flex_overhead), 0.01, 100, "", "energy per MAC x this when the lanes run narrower than base_bits (a precision-configurable PE against a fixed one)", NULL},
    {"energy.hop_pj_per_bit", KT_QTY, F(energy.hop_pj_per_bit), 0, 1e3, "pJ/bit", "one bit moved from one PE's register into its neighbour's", NULL},
    {"energy.sram_read_pj_per_byte", KT_QTY, F(energy.sram_read_pj_per_byte), 0, 1e6, "pJ/B", "scratchpad read per byte at sram_ref_bytes", NULL},
    {"energy.sram_write_pj_per_byte", KT_QTY, F(energy.sram_write_pj_per_byte), 0, 1e6, "pJ/B", "scratchpad write per byte at sram_ref_bytes", NULL},
    {"energy.sram_ref_bytes", KT_BYTES, F(energy.sram_ref_bytes), 1, 1099511627776.0, "bytes", "size the two scratchpad energies are given at (integer or \"128 KiB\")", NULL},
    {"energy.sram_size_exp", KT_FLOAT, F(energy.sram_size_exp), 0, 2, "", "scratchpad energy per byte ~ (core.sram_bytes / sram_ref_bytes)^this", NULL},
    {"energy.dram_pj_per_bit", KT_QTY, F(energy.dram_pj_per_bit), 0, 1e6, "pJ/bit", "DRAM read or write per bit (the DRAM type's), not scaled", NULL},
    {"energy.leak_logic_mw_per_mm2", KT_QTY, F(energy.leak_logic_mw_per_mm2), 0, 1e6, "mW/mm2", "leakage of PE arrays and per-core overhead area", NULL},
    {"energy.leak_sram_mw_per_mm2", KT_QTY, F(energy.leak_sram_mw_per_mm2), 0, 1e6, "mW/mm2", "leakage of scratchpad area", NULL},
    {"energy.scale", KT_FLOAT, F(energy.scale), 0, 100, "", "technology factor on MAC, array and scratchpad energy (1 at the node the values are given for)", NULL},
};

static int is_energy_key(const KtKey *k)
{
    return !strncmp(k->path, "energy.", 7);
}

/* A chip without an energy group writes none. */
static int omit_key(const KtKey *k, const void *obj)
{
    return is_energy_key(k) && !((const Accel *)obj)->energy.set;
}

static const KtTable table = {"architecture file", keys, (int)QA_COUNT(keys),
                              "qarray run --help-config", 0, omit_key};

/* An energy group gives every key; the table only with mac = "table"
 * (arch_validate checks those). */
static int energy_group(Accel *a, const config_t *cfg, const char *path,
                        Err *e)
{
    const config_setting_t *g = config_lookup(cfg, "energy");
    if (!g)
        return QA_OK;
    a->energy.set = 1;
    for (size_t i = 0; i < QA_COUNT(keys); i++) {
        const KtKey *k = &keys[i];
        if (!is_energy_key(k) || k->type == KT_LIST)
            continue;
        if (!config_setting_get_member(g, k->path + 7))
            return err_set(e, path, (int)config_setting_source_line(g), k->path,
                           "missing: an energy group gives every key, so no "
                           "number comes from another chip (%s lists them)",
                           table.hint);
    }
    return QA_OK;
}

int arch_load(Accel *a, const char *path, Err *e)
{
    config_t cfg;
    arch_defaults(a);
    if (kt_read_config(&cfg, path, table.what, e) != QA_OK)
        return QA_ERR;
    int rc = kt_load(&table, a, config_root_setting(&cfg), path, e);
    if (rc == QA_OK)
        rc = energy_group(a, &cfg, path, e);
    if (rc == QA_OK)
        rc = arch_validate(a, path, e);
    /* A cross-field error names a key: say where it is, or where its group
     * is when the key is missing. */
    if (rc != QA_OK && e->line == 0 && e->field[0]) {
        const config_setting_t *s = config_lookup(&cfg, e->field);
        const char *dot = strchr(e->field, '.');
        if (!s && dot) {
            char grp[64];
            snprintf(grp, sizeof grp, "%.*s", (int)(dot - e->field), e->field);
            s = config_lookup(&cfg, grp);
        }
        if (s)
            e->line = (int)config_setting_source_line(s);
    }
    config_destroy(&cfg);
    return rc;
}

int arch_set(Accel *a, const char *key, const char *text, const char *flag,
             Err *e)
{
    const KtKey *k = kt_find(&table, key);
    if (QA_NEVER(!k))
        return err_set(e, NULL, 0, flag, "no architecture key %s", key);
    return kt_set_text(k, a, text, NULL, 0, flag, e);
}

int arch_set_setting(Accel *a, const char *key, const config_setting_t *s,
                     const char *file, const char *field, Err *e)
{
    const KtKey *k = kt_find(&table, key);
    if (QA_NEVER(!k))
        return err_set(e, file, 0, field, "no architecture key %s", key);
    return kt_set_setting(k, a, s, file, field, e);
}

int arch_save(const Accel *a, const char *path, Err *e)
{
    AtomicFile af;
    if (qa_afile_open(&af, path, e) != QA_OK)
        return QA_ERR;
    fprintf(af.f, "# Effective qarray architecture (every key, defaults included).\n");
    kt_write(&table, a, af.f);
    return qa_afile_commit(&af, e);
}

void arch_help_config(FILE *f)
{
    Accel d;
    arch_defaults(&d);
    fprintf(f, "Architecture file keys (libconfig syntax; groups core, dram, "
               "precision, area, energy). The energy group is optional; a file "
               "that has it gives\nevery energy key (the defaults below are "
               "not used), and table_bits and table_pj with\nmac = \"table\"; "
               "without it no energy is reported.\n\n");
    kt_help(&table, &d, f);
}
