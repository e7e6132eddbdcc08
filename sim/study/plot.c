/* plot.c: data files for the gnuplot scripts, the title of each figure,
 * and running the scripts (through sim/report/gnuplot.c).
 *
 * Every figure fixes the axes of the study's `plot` group (the others at
 * their first value) and varies bits; speedup and TOPS/mm2 also vary the
 * bandwidth. Its title names the chip and those fixed values (the
 * `caption` variable), so a PNG alone says what it shows. Data files
 * (whitespace-separated, a header row of column titles, NaN where the
 * study has no point) in OUT/plots/:
 *   speedup.dat        bits linear <one column per bandwidth>     (Fig. 6c)
 *   tops_mm2.dat       bits peak <one column per bandwidth>
 *   area.dat           bits mac_um2 density                      (Fig. 6b)
 *   layers_cycles.dat  idx, then compute and other cycles per bits
 *   layers_dram.dat    idx, then DRAM MB per bits
 *   energy.dat         one block (gnuplot index) per bandwidth: bits,
 *                      then uJ per image by component (mac array sram
 *                      dram leak): where the energy goes
 *   energy_bits.dat    bits quadratic MAC MAC_quadratic <one column per
 *                      bandwidth>: uJ per image; quadratic is the first
 *                      bandwidth's 16-bit total x (w a / 256), MAC its
 *                      MACs alone, MAC_quadratic their 16-bit energy x
 *                      (w a / 256)
 *   layer_names.gp     layer_name[idx + 1]: the layer names as gnuplot
 *                      strings. Names are user strings (a topology CSV, an
 *                      ONNX model) and gnuplot's data files cannot carry
 *                      every character (a quote ends a field whatever
 *                      escapes it), so the data files hold numbers only. */
#include "sim/study/plot.h"
#include "models/area.h"
#include "sim/report/gnuplot.h"
#include "sim/report/table.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define VARY_BITS (1u << STUDY_BITS)
#define VARY_BITS_BW (1u << STUDY_BITS | 1u << STUDY_DRAM)
#define VARY_ALL (~0u) /* the area model: the chip alone */

/* The scripts in the order they run, and the axes each figure varies. */
static const struct {
    const char *name;
    unsigned vary;
} figures[] = {
    {"speedup", VARY_BITS_BW}, {"area", VARY_ALL}, {"tops_mm2", VARY_BITS_BW},
    {"layers_cycles", VARY_BITS}, {"layers_dram", VARY_BITS},
    {"energy", VARY_BITS_BW}, {"energy_bits", VARY_BITS_BW},
};

/* The energy figures need a table with energy in it (a chip with an
 * energy group). */
static int is_energy_figure(const char *name)
{
    return !strncmp(name, "energy", 6);
}

typedef struct {
    const Study *s;
    Table t;
    int c_axes[STUDY_NAXES];
} Data;

/* The value the plots fix an axis at: the plot group's, or the first. */
static const StudyValue *fixed_value(const Study *s, int ax)
{
    return s->plot_set[ax] ? &s->plot[ax] : &s->axes[ax].v[0];
}

/* Row on the plot's slice: every axis but those in vary (a bit mask) at
 * its fixed value. An axis of one value is not checked: a command-line
 * override (--engine) may have replaced it. */
static int selected(const Data *d, int row, unsigned vary)
{
    for (int ax = 0; ax < STUDY_NAXES; ax++) {
        if ((vary & (1u << ax)) ||
            (!d->s->plot_set[ax] && d->s->axes[ax].n < 2))
            continue;
        if (strcmp(table_get(&d->t, row, d->c_axes[ax]),
                   fixed_value(d->s, ax)->text))
            return 0;
    }
    return 1;
}

static int find_row(const Data *d, unsigned vary, const char *bits,
                    const char *bw)
{
    for (int r = 0; r < d->t.nrows; r++)
        if (selected(d, r, vary) &&
            !strcmp(table_get(&d->t, r, d->c_axes[STUDY_BITS]), bits) &&
            (!bw || !strcmp(table_get(&d->t, r, d->c_axes[STUDY_DRAM]), bw)))
            return r;
    return -1;
}

/* "4" for 4/4, "4/2" otherwise. */
static void bits_label(const StudyValue *v, char *buf, size_t n)
{
    if (v->i0 == v->i1)
        snprintf(buf, n, "%ld", v->i0);
    else
        snprintf(buf, n, "%ld/%ld", v->i0, v->i1);
}

static void bw_label(const StudyValue *v, char *buf, size_t n)
{
    if (v->d > 0)
        snprintf(buf, n, "%.40sGB/s", v->text);
    else
        snprintf(buf, n, "unlimited");
}

/* The title of a figure that varies the axes in vary: the chip's name,
 * then the fixed value of the network, engine, batch and bandwidth, and
 * of every other axis the study sets (the chip is then not quite the one
 * its file describes), e.g. "pact2018: resnet50, systemc engine, batch 16,
 * 64 GB/s DRAM, first/last layers 8 bits". */
static void caption(const Study *s, unsigned vary, char *buf, size_t n)
{
    size_t len = (size_t)snprintf(buf, n, "%s", s->accel.name);
    const char *sep = len ? ": " : "";
    for (int ax = 0; ax < STUDY_NAXES && len < n; ax++) {
        int always = ax == STUDY_WORKLOAD || ax == STUDY_ENGINE ||
                     ax == STUDY_BATCH || ax == STUDY_DRAM;
        if ((vary & (1u << ax)) ||
            (!always && !s->plot_set[ax] && s->axes[ax].n < 2 &&
             !s->axes[ax].line))
            continue;
        const StudyValue *v = fixed_value(s, ax);
        const char *t = v->text;
        char lab[128];
        switch ((StudyAxis)ax) {
        case STUDY_WORKLOAD: snprintf(lab, sizeof lab, "%s", t); break;
        case STUDY_ENGINE: snprintf(lab, sizeof lab, "%s engine", t); break;
        case STUDY_BATCH: snprintf(lab, sizeof lab, "batch %s", t); break;
        case STUDY_CORES: snprintf(lab, sizeof lab, "%s cores", t); break;
        case STUDY_SRAM: snprintf(lab, sizeof lab, "%s B scratchpad", t); break;
        case STUDY_ARRAY: snprintf(lab, sizeof lab, "%s array", t); break;
        case STUDY_DATAFLOW: snprintf(lab, sizeof lab, "%s dataflow", t); break;
        case STUDY_RULE: snprintf(lab, sizeof lab, "%s scaling", t); break;
        case STUDY_PLACEMENT: snprintf(lab, sizeof lab, "lanes in %s", t); break;
        case STUDY_TIMING: snprintf(lab, sizeof lab, "%s timing", t); break;
        case STUDY_AREA: snprintf(lab, sizeof lab, "%s MAC area", t); break;
        case STUDY_DRAM:
            if (v->d > 0)
                snprintf(lab, sizeof lab, "%s GB/s DRAM", t);
            else
                snprintf(lab, sizeof lab, "unlimited DRAM bandwidth");
            break;
        case STUDY_FIRST_LAST:
            if (v->i0)
                snprintf(lab, sizeof lab, "first/last layers %s bits", t);
            else
                snprintf(lab, sizeof lab, "first/last layers as inner");
            break;
        default:
            snprintf(lab, sizeof lab, "%s %s", study_axis_name((StudyAxis)ax), t);
        }
        len += (size_t)snprintf(buf + len, n - len, "%s%s", sep, lab);
        sep = ", ";
    }
}

static int open_file(const Study *s, const char *name, AtomicFile *af,
                     Err *e)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/plots/%s", s->out_dir, name);
    return qa_afile_open(af, path, e);
}

static int open_dat(const Study *s, const char *name, AtomicFile *af, Err *e)
{
    char file[128];
    snprintf(file, sizeof file, "%s.dat", name);
    return open_file(s, file, af, e);
}

/* bits x bandwidth: column `col` of the table; the second column is
 * `first` (peak_gain, or peak TOPS/mm2 when first == NULL). */
static int write_by_bw(const Data *d, const char *name, const char *col,
                       const char *first_title, Err *e)
{
    const Study *s = d->s;
    AtomicFile af;
    int c = table_col(&d->t, col);
    int c_gain = table_col(&d->t, "peak_gain");
    int c_peak = table_col(&d->t, "peak_tops");
    int c_mm2 = table_col(&d->t, "chip_mm2");
    unsigned vary = VARY_BITS_BW;
    char lab[64];
    if (open_dat(s, name, &af, e) != QA_OK)
        return QA_ERR;
    fprintf(af.f, "bits %s", first_title);
    for (int b = 0; b < s->axes[STUDY_DRAM].n; b++) {
        bw_label(&s->axes[STUDY_DRAM].v[b], lab, sizeof lab);
        fprintf(af.f, " %s", lab);
    }
    fputc('\n', af.f);
    for (int i = 0; i < s->axes[STUDY_BITS].n; i++) {
        const StudyValue *bv = &s->axes[STUDY_BITS].v[i];
        bits_label(bv, lab, sizeof lab);
        int any = find_row(d, vary, bv->text, NULL);
        double first = (double)NAN;
        if (any >= 0)
            first = !strcmp(name, "speedup")
                        ? table_num(&d->t, any, c_gain)
                        : table_num(&d->t, any, c_peak) /
                              table_num(&d->t, any, c_mm2);
        fprintf(af.f, "%s %.6g", lab, first);
        for (int b = 0; b < s->axes[STUDY_DRAM].n; b++) {
            int r = find_row(d, vary, bv->text, s->axes[STUDY_DRAM].v[b].text);
            fprintf(af.f, " %.6g", r >= 0 ? table_num(&d->t, r, c) : (double)NAN);
        }
        fputc('\n', af.f);
    }
    return qa_afile_commit(&af, e);
}

static int write_area(const Study *s, Err *e)
{
    AtomicFile af;
    if (open_dat(s, "area", &af, e) != QA_OK)
        return QA_ERR;
    fprintf(af.f, "bits mac_um2 density\n");
    for (int b = s->accel.base_bits; b >= 2; b--)
        fprintf(af.f, "%d %.6g %.6g\n", b, area_mac_um2(&s->accel, b),
                area_ratio(&s->accel, b));
    return qa_afile_commit(&af, e);
}

/* Per-layer files: the layer CSV of each bits value on the plot slice. */
static int write_layers(const Data *d, Err *e)
{
    const Study *s = d->s;
    int nb = s->axes[STUDY_BITS].n;
    Table *lt = qa_calloc((size_t)nb, sizeof *lt);
    int c_csv = table_col(&d->t, "layers_csv");
    int rc = QA_ERR;
    AtomicFile cy, dr, nm;
    char lab[64];
    if (!lt)
        return err_set(e, NULL, 0, NULL, "out of memory");
    for (int i = 0; i < nb; i++) {
        int r = find_row(d, VARY_BITS, s->axes[STUDY_BITS].v[i].text, NULL);
        char path[1100];
        if (r < 0) {
            err_set(e, s->file, 0, "plot", "no point for bits %s on the plot "
                    "slice", s->axes[STUDY_BITS].v[i].text);
            goto out;
        }
        snprintf(path, sizeof path, "%s/%s", s->out_dir,
                 table_get(&d->t, r, c_csv));
        if (table_read(&lt[i], path, e) != QA_OK)
            goto out;
        if (lt[i].nrows != lt[0].nrows) {
            err_set(e, path, 0, NULL, "%d layers, the %s-bit run has %d",
                    lt[i].nrows, s->axes[STUDY_BITS].v[0].text, lt[0].nrows);
            goto out;
        }
    }
    if (open_dat(s, "layers_cycles", &cy, e) != QA_OK)
        goto out;
    if (open_dat(s, "layers_dram", &dr, e) != QA_OK) {
        qa_afile_abort(&cy);
        goto out;
    }
    if (open_file(s, "layer_names.gp", &nm, e) != QA_OK) {
        qa_afile_abort(&cy);
        qa_afile_abort(&dr);
        goto out;
    }
    fprintf(cy.f, "idx");
    fprintf(dr.f, "idx");
    for (int i = 0; i < nb; i++) {
        bits_label(&s->axes[STUDY_BITS].v[i], lab, sizeof lab);
        fprintf(cy.f, " compute_%sb other_%sb", lab, lab);
        fprintf(dr.f, " %sb", lab);
    }
    fputc('\n', cy.f);
    fputc('\n', dr.f);
    /* gnuplot arrays start at 1 and hold at least one element. */
    fprintf(nm.f, "# names of the layers of layers_cycles.dat and "
                  "layers_dram.dat: layer_name[idx + 1]\n"
                  "array layer_name[%d]\n", QA_MAX(lt[0].nrows, 1));
    int c_name = table_col(&lt[0], "layer");
    for (int l = 0; l < lt[0].nrows; l++) {
        fprintf(nm.f, "layer_name[%d] = ", l + 1);
        gnuplot_string(nm.f, table_get(&lt[0], l, c_name));
        fputc('\n', nm.f);
        fprintf(cy.f, "%d", l);
        fprintf(dr.f, "%d", l);
        for (int i = 0; i < nb; i++) {
            double comp = table_num(&lt[i], l, table_col(&lt[i], "compute_cycles"));
            double all = table_num(&lt[i], l, table_col(&lt[i], "cycles"));
            double bytes = table_num(&lt[i], l, table_col(&lt[i], "dram_bytes"));
            fprintf(cy.f, " %.0f %.0f", comp, all > comp ? all - comp : 0);
            fprintf(dr.f, " %.6g", bytes / 1e6);
        }
        fputc('\n', cy.f);
        fputc('\n', dr.f);
    }
    if (qa_afile_commit(&nm, e) != QA_OK) {
        qa_afile_abort(&cy);
        qa_afile_abort(&dr);
        goto out;
    }
    if (qa_afile_commit(&cy, e) != QA_OK) {
        qa_afile_abort(&dr);
        goto out;
    }
    rc = qa_afile_commit(&dr, e);
out:
    for (int i = 0; i < nb; i++)
        table_free(&lt[i]);
    free(lt);
    return rc;
}

static const char *const ecols[] = {"e_mac_uj", "e_array_uj", "e_sram_uj",
                                    "e_dram_uj", "e_leak_uj"};

/* uJ per image of column c in row r. */
static double per_image(const Data *d, int r, int c)
{
    double batch = (double)fixed_value(d->s, STUDY_BATCH)->i0;
    int cb = d->c_axes[STUDY_BATCH];
    if (cb >= 0)
        batch = table_num(&d->t, r, cb);
    return table_num(&d->t, r, c) / (batch >= 1 ? batch : 1);
}

/* 1 when the table has energy (some row with energy_uj > 0). */
static int has_energy(const Data *d)
{
    int c = table_col(&d->t, "energy_uj");
    for (int r = 0; c >= 0 && r < d->t.nrows; r++)
        if (table_num(&d->t, r, c) > 0)
            return 1;
    return 0;
}

static int write_energy(const Data *d, Err *e)
{
    const Study *s = d->s;
    AtomicFile af, bf;
    int c[QA_COUNT(ecols)];
    int c_tot = table_col(&d->t, "energy_uj");
    char lab[64];
    for (size_t k = 0; k < QA_COUNT(ecols); k++)
        c[k] = table_col(&d->t, ecols[k]);
    if (open_dat(s, "energy", &af, e) != QA_OK)
        return QA_ERR;
    if (open_dat(s, "energy_bits", &bf, e) != QA_OK) {
        qa_afile_abort(&af);
        return QA_ERR;
    }
    /* No header row in energy.dat: its blocks are read by index, and
     * gnuplot takes column titles from the file's first line only. */
    for (int b = 0; b < s->axes[STUDY_DRAM].n; b++) {
        bw_label(&s->axes[STUDY_DRAM].v[b], lab, sizeof lab);
        fprintf(af.f, "%s# %s: bits mac array sram dram leak (uJ per image)\n",
                b ? "\n\n" : "", lab);
        for (int i = 0; i < s->axes[STUDY_BITS].n; i++) {
            const StudyValue *bv = &s->axes[STUDY_BITS].v[i];
            int r = find_row(d, VARY_BITS_BW, bv->text,
                             s->axes[STUDY_DRAM].v[b].text);
            bits_label(bv, lab, sizeof lab);
            fprintf(af.f, "%s", lab);
            for (size_t k = 0; k < QA_COUNT(ecols); k++)
                fprintf(af.f, " %.6g", r >= 0 ? per_image(d, r, c[k]) : (double)NAN);
            fputc('\n', af.f);
        }
    }
    fprintf(bf.f, "bits quadratic MAC MAC_quadratic");
    for (int b = 0; b < s->axes[STUDY_DRAM].n; b++) {
        bw_label(&s->axes[STUDY_DRAM].v[b], lab, sizeof lab);
        fprintf(bf.f, " %s", lab);
    }
    fputc('\n', bf.f);
    /* The reference: the first bandwidth's energy at 16 bits, scaled by
     * the bits squared. */
    int r16 = find_row(d, VARY_BITS_BW, "16/16", s->axes[STUDY_DRAM].v[0].text);
    double e16 = r16 >= 0 ? per_image(d, r16, c_tot) : (double)NAN;
    double m16 = r16 >= 0 ? per_image(d, r16, c[0]) : (double)NAN;
    for (int i = 0; i < s->axes[STUDY_BITS].n; i++) {
        const StudyValue *bv = &s->axes[STUDY_BITS].v[i];
        int r0 = find_row(d, VARY_BITS_BW, bv->text, s->axes[STUDY_DRAM].v[0].text);
        bits_label(bv, lab, sizeof lab);
        double q = (double)(bv->i0 * bv->i1) / 256.0;
        fprintf(bf.f, "%s %.6g %.6g %.6g", lab, e16 * q,
                r0 >= 0 ? per_image(d, r0, c[0]) : (double)NAN, m16 * q);
        for (int b = 0; b < s->axes[STUDY_DRAM].n; b++) {
            int r = find_row(d, VARY_BITS_BW, bv->text, s->axes[STUDY_DRAM].v[b].text);
            fprintf(bf.f, " %.6g", r >= 0 ? per_image(d, r, c_tot) : (double)NAN);
        }
        fputc('\n', bf.f);
    }
    if (qa_afile_commit(&af, e) != QA_OK) {
        qa_afile_abort(&bf);
        return QA_ERR;
    }
    return qa_afile_commit(&bf, e);
}

int plot_write_data(const Study *s, const char *table, Err *e)
{
    Data d;
    char path[1100];
    d.s = s;
    snprintf(path, sizeof path, "%s/plots", s->out_dir);
    if (qa_mkdirs(path, e) != QA_OK)
        return QA_ERR;
    if (table_read(&d.t, table, e) != QA_OK)
        return QA_ERR;
    /* An axis the table has no column for (study_axis_shown) has one value
     * and is never compared. */
    for (int ax = 0; ax < STUDY_NAXES; ax++)
        if ((d.c_axes[ax] = table_col(&d.t, study_axis_name((StudyAxis)ax))) < 0 &&
            study_axis_shown(s, (StudyAxis)ax)) {
            table_free(&d.t);
            return err_set(e, table, 1, study_axis_name((StudyAxis)ax),
                           "column missing: not a points table");
        }
    int rc = QA_ERR;
    if (write_by_bw(&d, "speedup", "speedup", "linear", e) == QA_OK &&
        write_by_bw(&d, "tops_mm2", "tops_per_mm2", "peak", e) == QA_OK &&
        write_area(s, e) == QA_OK && write_layers(&d, e) == QA_OK &&
        (!has_energy(&d) || write_energy(&d, e) == QA_OK))
        rc = QA_OK;
    table_free(&d.t);
    return rc;
}

/* Each script, with dir (the data folder), nb and nbw (the number of bits
 * and bandwidth values), bits (their labels, space-separated) and caption
 * (the figure's title); gnuplot.c has it draw into a folder of its own
 * and renames each finished figure into OUT/plots: a sweep killed while
 * plotting leaves no half-drawn PNG or SVG. */
int plot_study(const Study *s, const char *table, const char *scripts_dir,
               Err *e)
{
    if (plot_write_data(s, table, e) != QA_OK)
        return QA_ERR;
    Data d;
    d.s = s;
    if (table_read(&d.t, table, e) != QA_OK)
        return QA_ERR;
    int energy = has_energy(&d);
    table_free(&d.t);
    char bws[512] = "";
    size_t bl = 0;
    for (int i = 0; i < s->axes[STUDY_DRAM].n && bl < sizeof bws; i++) {
        char lab[64];
        bw_label(&s->axes[STUDY_DRAM].v[i], lab, sizeof lab);
        bl += (size_t)snprintf(bws + bl, sizeof bws - bl, "%s%s", i ? " " : "", lab);
    }
    char log[1200], plots[1100], bits[512] = "", cap[1024];
    snprintf(plots, sizeof plots, "%s/plots", s->out_dir);
    snprintf(log, sizeof log, "%s/gnuplot.log", plots);
    remove(log);
    size_t len = 0;
    for (int i = 0; i < s->axes[STUDY_BITS].n && len < sizeof bits; i++) {
        char lab[64];
        bits_label(&s->axes[STUDY_BITS].v[i], lab, sizeof lab);
        len += (size_t)snprintf(bits + len, sizeof bits - len, "%s%s",
                                i ? " " : "", lab);
    }
    for (size_t i = 0; i < QA_COUNT(figures); i++) {
        char script[1100];
        if (is_energy_figure(figures[i].name) && !energy)
            continue;
        snprintf(script, sizeof script, "%s/%s.gp", scripts_dir,
                 figures[i].name);
        caption(s, figures[i].vary, cap, sizeof cap);
        const GnuplotVar vars[] = {
            {"dir", plots, 0},
            {"nb", NULL, s->axes[STUDY_BITS].n},
            {"nbw", NULL, s->axes[STUDY_DRAM].n},
            {"bits", bits, 0},
            {"bws", bws, 0},
            {"caption", cap, 0},
        };
        if (gnuplot_draw(script, vars, (int)QA_COUNT(vars), plots, log, e) !=
            QA_OK)
            return QA_ERR;
    }
    return QA_OK;
}
