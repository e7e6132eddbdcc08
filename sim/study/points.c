/* points.c: the points table (see points.h): its columns, one row per
 * point, the point files a sweep leaves behind, reading them back for
 * resume, and merging the tables of shards. */
#include "sim/study/points.h"

#include <stdlib.h>
#include <string.h>

typedef enum { C_INT, C_I64, C_F64, C_STR } ColType;

typedef struct {
    const char *name;
    ColType type;
    size_t off;
} Column;

#define R_(f) offsetof(PointRow, rec.f)
#define P_(f) offsetof(PointRow, f)
/* Result columns; the axis columns (named after the axes) come first.
 * The columns mean what they mean in summary.csv (qarray run
 * --help-columns); baseline_cycles is the study's baseline point. */
static const Column result_cols[] = {
    {"w_bits", C_INT, R_(w_bits)},
    {"a_bits", C_INT, R_(a_bits)},
    {"first_last_bits", C_INT, R_(first_last_bits)},
    {"cycles", C_I64, R_(cycles)},
    {"time_ms", C_F64, R_(time_ms)},
    {"images_per_s", C_F64, R_(images_per_s)},
    {"dram_bytes", C_I64, R_(dram_bytes)},
    {"macs", C_I64, R_(macs)},
    {"util", C_F64, R_(util)},
    {"peak_tops", C_F64, R_(peak_tops)},
    {"achieved_tops", C_F64, R_(achieved_tops)},
    {"chip_mm2", C_F64, R_(chip_mm2)},
    {"tops_per_mm2", C_F64, R_(tops_per_mm2)},
    {"base_cycles", C_I64, R_(base_cycles)},
    {"speedup_16", C_F64, R_(speedup)},
    {"peak_gain", C_F64, R_(peak_gain)},
    {"baseline_cycles", C_I64, P_(baseline_cycles)},
    {"speedup", C_F64, P_(speedup_vs_baseline)},
    {"layers_csv", C_STR, P_(layers_csv)},
};
#undef R_
#undef P_

void points_print_header(FILE *f)
{
    fputs("point", f);
    for (int ax = 0; ax < STUDY_NAXES; ax++)
        fprintf(f, ",%s", study_axis_name((StudyAxis)ax));
    for (size_t i = 0; i < QA_COUNT(result_cols); i++)
        fprintf(f, ",%s", result_cols[i].name);
    fputc('\n', f);
}

void points_key(const StudyPoint *p, char *buf, size_t n)
{
    size_t len = (size_t)snprintf(buf, n, "%lld", (long long)p->id);
    for (int ax = 0; ax < STUDY_NAXES && len < n; ax++)
        len += (size_t)snprintf(buf + len, n - len, ",%s", p->v[ax]->text);
    if (len < n)
        snprintf(buf + len, n - len, ",");
}

void points_print_row(FILE *f, const StudyPoint *p, const PointRow *r)
{
    char key[1024];
    points_key(p, key, sizeof key);
    fputs(key, f);
    for (size_t i = 0; i < QA_COUNT(result_cols); i++) {
        const void *v = (const char *)r + result_cols[i].off;
        if (i)
            fputc(',', f);
        switch (result_cols[i].type) {
        case C_INT: fprintf(f, "%d", *(const int *)v); break;
        case C_I64: fprintf(f, "%lld", (long long)*(const int64_t *)v); break;
        case C_F64: fprintf(f, "%.6g", *(const double *)v); break;
        case C_STR: fputs((const char *)v, f); break;
        }
    }
    fputc('\n', f);
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

char *points_header_text(void)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (!f)
        return NULL;
    points_print_header(f);
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
    points_key(&p, key, sizeof key);
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
    char *header = points_header_text();
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
            points_key(&pt, key, sizeof key);
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
