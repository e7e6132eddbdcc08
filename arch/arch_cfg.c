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
};

static const KtTable table = {"architecture file", keys, (int)QA_COUNT(keys),
                              "qarray run --help-config", 0};

int arch_load(Accel *a, const char *path, Err *e)
{
    arch_defaults(a);
    if (kt_load_file(&table, a, path, e) != QA_OK)
        return QA_ERR;
    return arch_validate(a, path, e);
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
               "precision, area):\n\n");
    kt_help(&table, &d, f);
}
