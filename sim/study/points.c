/* points.c: the points table (see points.h): its columns and one row per
 * point, as CSV text. The study store (store.c) keeps the same columns. */
#include "sim/study/points.h"

#include <string.h>

/* Result columns; the key columns (point id, then one per axis, named
 * after it) come first. The RunRecord columns mean what they mean in
 * summary.csv, whose table documents them (qarray run --help-columns);
 * speedup_16 and energy_gain_16 are summary.csv's speedup and
 * energy_gain. */
#define RES(name, kind, f) CSV_COL(name, kind, offsetof(PointRow, rec.f), "", "")
#define P_(f) offsetof(PointRow, f)
static const CsvCol result_cols[] = {
    RES("w_bits", CSV_INT, w_bits),
    RES("a_bits", CSV_INT, a_bits),
    RES("first_last_bits", CSV_INT, first_last_bits),
    RES("cycles", CSV_I64, cycles),
    RES("time_ms", CSV_F64, time_ms),
    RES("images_per_s", CSV_F64, images_per_s),
    RES("dram_bytes", CSV_I64, dram_bytes),
    RES("macs", CSV_I64, macs),
    RES("util", CSV_F64, util),
    RES("peak_tops", CSV_F64, peak_tops),
    RES("achieved_tops", CSV_F64, achieved_tops),
    RES("chip_mm2", CSV_F64, chip_mm2),
    RES("tops_per_mm2", CSV_F64, tops_per_mm2),
    RES("base_cycles", CSV_I64, base_cycles),
    RES("speedup_16", CSV_F64, speedup),
    RES("peak_gain", CSV_F64, peak_gain),
    RES("energy_uj", CSV_F64, energy_uj),
    RES("e_mac_uj", CSV_F64, e_mac_uj),
    RES("e_array_uj", CSV_F64, e_array_uj),
    RES("e_sram_uj", CSV_F64, e_sram_uj),
    RES("e_dram_uj", CSV_F64, e_dram_uj),
    RES("e_leak_uj", CSV_F64, e_leak_uj),
    RES("energy_per_image_uj", CSV_F64, energy_per_image_uj),
    RES("power_w", CSV_F64, power_w),
    RES("tops_per_w", CSV_F64, tops_per_w),
    RES("images_per_j", CSV_F64, images_per_j),
    RES("edp_j_s", CSV_F64, edp_j_s),
    RES("base_energy_uj", CSV_F64, base_energy_uj),
    RES("energy_gain_16", CSV_F64, energy_gain),
    CSV_COL("baseline_cycles", CSV_I64, P_(baseline_cycles), "cycles", "the study's baseline point for this point"),
    CSV_COL("speedup", CSV_F64, P_(speedup_vs_baseline), "", "baseline_cycles / cycles"),
    CSV_COL("baseline_energy_uj", CSV_F64, P_(baseline_energy_uj), "uJ", "energy of the study's baseline point"),
    CSV_COL("energy_gain", CSV_F64, P_(energy_gain_vs_baseline), "", "baseline_energy_uj / energy_uj"),
    CSV_TEXT("layers_csv", PointRow, layers_csv, "", "the point's layers.csv, relative to the study's folder"),
};

static const CsvCol status_cols[] = {
    CSV_TEXT("status", PointRow, status, "", "ok; infeasible: some layer of the point fits no mapping of the chip (its result cells are empty); baseline_infeasible: the point fits but a run its speedups are over does not (base_cycles, speedup_16, base_energy_uj, energy_gain_16, baseline_cycles, speedup, baseline_energy_uj and energy_gain are empty)"),
    CSV_TEXT("infeasible_layer", PointRow, infeasible_layer, "", "the layer that does not fit; empty when ok"),
    CSV_TEXT("reason", PointRow, reason, "", "the mapper's message, after the run it came from when not the point's own; empty when ok"),
};
#undef RES
#undef P_

const CsvTable points_result_table = CSV_TABLE(result_cols);
const CsvTable points_status_table = CSV_TABLE(status_cols);

void points_print_header(FILE *f, const Study *s, int with_status)
{
    csv_field(f, "point");
    for (int ax = 0; ax < STUDY_NAXES; ax++) {
        if (!study_axis_shown(s, (StudyAxis)ax))
            continue;
        fputc(',', f);
        csv_field(f, study_axis_name((StudyAxis)ax));
    }
    fputc(',', f);
    csv_names(f, &points_result_table);
    if (with_status) {
        fputc(',', f);
        csv_names(f, &points_status_table);
    }
    fputc('\n', f);
}

/* The key is compared as text (the store checks rows with it), so it is
 * built by the same quoting rule as the rows. Axis texts are checked when
 * a study is loaded and hold no line break, so a row stays one line. */
void points_key(const Study *s, const StudyPoint *p, char *buf, size_t n)
{
    size_t len = (size_t)snprintf(buf, n, "%lld", (long long)p->id);
    for (int ax = 0; ax < STUDY_NAXES && len + 1 < n; ax++) {
        if (!study_axis_shown(s, (StudyAxis)ax))
            continue;
        buf[len++] = ',';
        len += csv_quote(buf + len, n - len, p->v[ax]->text);
    }
    if (len + 1 < n)
        snprintf(buf + len, n - len, ",");
}

int points_cell_empty(const char *status, int col)
{
    if (!strcmp(status, POINTS_INFEASIBLE))
        return 1;
    if (strcmp(status, POINTS_NO_BASELINE))
        return 0;
    const char *name = points_result_table.cols[col].name;
    static const char *const over_baseline[] = {
        "base_cycles", "speedup_16", "base_energy_uj", "energy_gain_16",
        "baseline_cycles", "speedup", "baseline_energy_uj", "energy_gain"};
    for (size_t i = 0; i < QA_COUNT(over_baseline); i++)
        if (!strcmp(name, over_baseline[i]))
            return 1;
    return 0;
}

void points_print_row(FILE *f, const Study *s, const StudyPoint *p,
                      const PointRow *r, int with_status)
{
    char key[1024];
    points_key(s, p, key, sizeof key);
    fputs(key, f);
    if (!strcmp(r->status, POINTS_INFEASIBLE) || !strcmp(r->status, POINTS_NO_BASELINE)) {
        for (int i = 0; i < points_result_table.n; i++) {
            if (i)
                fputc(',', f);
            if (!points_cell_empty(r->status, i))
                csv_cell(f, &points_result_table.cols[i], r);
        }
    } else {
        csv_cells(f, &points_result_table, r);
    }
    if (with_status) {
        fputc(',', f);
        csv_cells(f, &points_status_table, r);
    }
    fputc('\n', f);
}

void points_layers_name(int64_t id, char *buf, size_t n)
{
    snprintf(buf, n, "layers/p%06lld.csv", (long long)id);
}

void points_layers_path(const Study *s, int64_t id, char *buf, size_t n)
{
    char name[64];
    points_layers_name(id, name, sizeof name);
    snprintf(buf, n, "%s/%s", s->out_dir, name);
}

int points_row_ok(const Table *t, int r)
{
    int c = table_col(t, "status");
    return c < 0 || !strcmp(table_get(t, r, c), POINTS_OK);
}
