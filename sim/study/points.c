/* points.c: the points table (see points.h): its columns, one row per
 * point, the point files a sweep leaves behind, reading them back for
 * resume, and merging the tables of shards. */
#include "sim/study/points.h"

#include <stdlib.h>
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
    CSV_COL("layers_csv", CSV_STR, P_(layers_csv), "", "the point's layers.csv, relative to the study's folder"),
};
#undef RES
#undef P_

const CsvTable points_result_table = CSV_TABLE(result_cols);

void points_print_header(FILE *f, const Study *s)
{
    csv_field(f, "point");
    for (int ax = 0; ax < STUDY_NAXES; ax++) {
        if (!study_axis_shown(s, (StudyAxis)ax))
            continue;
        fputc(',', f);
        csv_field(f, study_axis_name((StudyAxis)ax));
    }
    fputc(',', f);
    csv_header(f, &points_result_table);
}

/* The key is compared as text (resume, merge), so it is built by the same
 * quoting rule as the rows. Axis texts are checked when a study is loaded
 * and hold no line break, so a row stays one line (merge splits lines). */
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

void points_print_row(FILE *f, const Study *s, const StudyPoint *p,
                      const PointRow *r)
{
    char key[1024];
    points_key(s, p, key, sizeof key);
    fputs(key, f);
    csv_row(f, &points_result_table, r);
}

void points_point_path(const Study *s, int64_t id, char *buf, size_t n)
{
    snprintf(buf, n, "%s/points/p%06lld.csv", s->out_dir, (long long)id);
}

void points_layers_path(const Study *s, int64_t id, char *buf, size_t n)
{
    snprintf(buf, n, "%s/layers/p%06lld.csv", s->out_dir, (long long)id);
}

/* Read a whole small file; NULL if it cannot be read. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int c;
    while ((c = fgetc(f)) != EOF) {
        if (len + 2 > cap) {
            size_t nc = cap ? cap * 2 : 1024;
            char *nb = qa_realloc(buf, nc);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
            cap = nc;
        }
        buf[len++] = (char)c;
    }
    fclose(f);
    if (!buf)
        buf = qa_calloc(1, 1);
    else
        buf[len] = '\0';
    return buf;
}

char *points_header_text(const Study *s)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (!f)
        return NULL;
    points_print_header(f, s);
    fclose(f);
    return buf;
}

int points_done_row(const Study *s, int64_t id, const char *header,
                    char **row, Err *e)
{
    char path[1100], key[1024];
    StudyPoint p;
    *row = NULL;
    points_point_path(s, id, path, sizeof path);
    char *text = slurp(path);
    if (!text)
        return QA_OK;
    study_point(s, id, &p);
    points_key(s, &p, key, sizeof key);
    size_t hl = strlen(header);
    if (strncmp(text, header, hl) || strncmp(text + hl, key, strlen(key)) ||
        !strchr(text + hl, '\n')) {
        free(text);
        return err_set(e, path, 2, "point",
                       "not point %lld of study %s (an older study or "
                       "qarray version wrote it): use a new output folder "
                       "or remove this one", (long long)id, s->file);
    }
    size_t rl = strlen(text + hl);
    memmove(text, text + hl, rl + 1);
    *row = text;
    return QA_OK;
}

/* Rows keyed by point id, then written in id order. */
int points_merge(const Study *s, char *const *files, int n,
                const char *out_path, Err *e)
{
    char *header = points_header_text(s);
    char **rows = qa_calloc((size_t)s->npoints, sizeof *rows);
    int *from = qa_calloc((size_t)s->npoints, sizeof *from);
    int *from_line = qa_calloc((size_t)s->npoints, sizeof *from_line);
    int rc = QA_ERR;
    if (!header || !rows || !from || !from_line) {
        err_set(e, NULL, 0, NULL, "out of memory");
        goto out;
    }
    for (int fi = 0; fi < n; fi++) {
        char *text = slurp(files[fi]);
        if (!text) {
            err_set(e, files[fi], 0, NULL, "cannot open");
            goto out;
        }
        size_t hl = strlen(header);
        if (strncmp(text, header, hl)) {
            free(text);
            err_set(e, files[fi], 1, "header",
                    "not a points table of this qarray version");
            goto out;
        }
        int line = 1;
        char *p = text + hl, *next;
        for (; *p; p = next) {
            line++;
            next = strchr(p, '\n');
            next = next ? next + 1 : p + strlen(p);
            char *end;
            long long id = strtoll(p, &end, 10);
            char key[1024];
            StudyPoint pt;
            if (end == p || *end != ',' || id < 0 || id >= s->npoints) {
                err_set(e, files[fi], line, "point",
                        "not a point id of study %s (0..%lld)", s->file,
                        (long long)s->npoints - 1);
                free(text);
                goto out;
            }
            study_point(s, id, &pt);
            points_key(s, &pt, key, sizeof key);
            if (strncmp(p, key, strlen(key))) {
                err_set(e, files[fi], line, "point",
                        "point %lld has other axis values than in study %s",
                        id, s->file);
                free(text);
                goto out;
            }
            if (rows[id]) {
                err_set(e, files[fi], line, "point",
                        "point %lld is also in %s:%d", id, files[from[id]],
                        from_line[id]);
                free(text);
                goto out;
            }
            size_t len = (size_t)(next - p);
            rows[id] = qa_malloc(len + 2);
            if (!rows[id]) {
                free(text);
                err_set(e, NULL, 0, NULL, "out of memory");
                goto out;
            }
            memcpy(rows[id], p, len);
            rows[id][len] = '\0';
            if (len == 0 || rows[id][len - 1] != '\n')
                strcat(rows[id], "\n");
            from[id] = fi;
            from_line[id] = line;
        }
        free(text);
    }
    int64_t missing = 0, first = -1;
    for (int64_t id = 0; id < s->npoints; id++)
        if (!rows[id] && missing++ == 0)
            first = id;
    if (missing) {
        err_set(e, s->file, 0, "point", "%lld of %lld points missing, the "
                "first is point %lld", (long long)missing,
                (long long)s->npoints, (long long)first);
        goto out;
    }
    AtomicFile af;
    if (qa_afile_open(&af, out_path, e) != QA_OK)
        goto out;
    fputs(header, af.f);
    for (int64_t id = 0; id < s->npoints; id++)
        fputs(rows[id], af.f);
    rc = qa_afile_commit(&af, e);
out:
    if (rows)
        for (int64_t id = 0; id < s->npoints; id++)
            free(rows[id]);
    free(rows);
    free(from);
    free(from_line);
    free(header);
    return rc;
}
