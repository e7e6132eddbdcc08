/* plot.c: data files for the gnuplot scripts, and running gnuplot.
 *
 * Every figure fixes the axes of the study's `plot` group (the others at
 * their first value) and varies bits; speedup and TOPS/mm2 also vary the
 * bandwidth. Data files (whitespace-separated, a header row of column
 * titles, NaN where the study has no point) in OUT/plots/:
 *   speedup.dat        bits linear <one column per bandwidth>     (Fig. 6c)
 *   tops_mm2.dat       bits peak <one column per bandwidth>
 *   area.dat           bits mac_um2 density                      (Fig. 6b)
 *   layers_cycles.dat  idx layer, then compute and other cycles per bits
 *   layers_dram.dat    idx layer, then DRAM MB per bits */
#include "sim/study/plot.h"
#include "models/area.h"
#include "sim/report/table.h"

#include <errno.h>
#include <math.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

extern char **environ;

const char *const plot_names[] = {"speedup", "area", "tops_mm2",
                                  "layers_cycles", "layers_dram"};
const int plot_count = (int)QA_COUNT(plot_names);

typedef struct {
    const Study *s;
    Table t;
    int c_axes[STUDY_NAXES];
} Data;

/* Row on the plot's slice: every axis but those in vary (a bit mask) at
 * the plot value, or the axis's first value. An axis of one value is not
 * checked: a command-line override (--engine) may have replaced it. */
static int selected(const Data *d, int row, unsigned vary)
{
    for (int ax = 0; ax < STUDY_NAXES; ax++) {
        if ((vary & (1u << ax)) ||
            (!d->s->plot_set[ax] && d->s->axes[ax].n < 2))
            continue;
        const char *want = d->s->plot_set[ax] ? d->s->plot[ax].text
                                              : d->s->axes[ax].v[0].text;
        if (strcmp(table_get(&d->t, row, d->c_axes[ax]), want))
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

static int open_dat(const Study *s, const char *name, AtomicFile *af, Err *e)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/plots/%s.dat", s->out_dir, name);
    return qa_afile_open(af, path, e);
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
    unsigned vary = 1u << STUDY_BITS | 1u << STUDY_DRAM;
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
    AtomicFile cy, dr;
    char lab[64];
    if (!lt)
        return err_set(e, NULL, 0, NULL, "out of memory");
    for (int i = 0; i < nb; i++) {
        int r = find_row(d, 1u << STUDY_BITS, s->axes[STUDY_BITS].v[i].text,
                         NULL);
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
    fprintf(cy.f, "idx layer");
    fprintf(dr.f, "idx layer");
    for (int i = 0; i < nb; i++) {
        bits_label(&s->axes[STUDY_BITS].v[i], lab, sizeof lab);
        fprintf(cy.f, " compute_%sb other_%sb", lab, lab);
        fprintf(dr.f, " %sb", lab);
    }
    fputc('\n', cy.f);
    fputc('\n', dr.f);
    for (int l = 0; l < lt[0].nrows; l++) {
        const char *name = table_get(&lt[0], l, table_col(&lt[0], "layer"));
        fprintf(cy.f, "%d %s", l, name);
        fprintf(dr.f, "%d %s", l, name);
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
    for (int ax = 0; ax < STUDY_NAXES; ax++)
        if ((d.c_axes[ax] = table_col(&d.t, study_axis_name((StudyAxis)ax))) < 0) {
            table_free(&d.t);
            return err_set(e, table, 1, study_axis_name((StudyAxis)ax),
                           "column missing: not a points table");
        }
    int rc = QA_ERR;
    if (write_by_bw(&d, "speedup", "speedup", "linear", e) == QA_OK &&
        write_by_bw(&d, "tops_mm2", "tops_per_mm2", "peak", e) == QA_OK &&
        write_area(s, e) == QA_OK && write_layers(&d, e) == QA_OK)
        rc = QA_OK;
    table_free(&d.t);
    return rc;
}

int plot_gnuplot(const char *script, const char *vars, const char *log, Err *e)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    /* posix_spawnp takes char *const argv[]: writable copies. */
    char prog[] = "gnuplot", opt[] = "-e", v[2600], path[1100];
    snprintf(v, sizeof v, "%s", vars);
    snprintf(path, sizeof path, "%s", script);
    char *argv[] = {prog, opt, v, path, NULL};
    pid_t pid;
    fflush(stdout);
    fflush(stderr);
    int rc = posix_spawnp(&pid, "gnuplot", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return err_set(e, script, 0, NULL, "cannot run gnuplot: %s "
                       "(install gnuplot-nox)", strerror(rc));
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return err_set(e, script, 0, NULL, "gnuplot failed (see %s)", log);
    return QA_OK;
}

/* gnuplot -e "dir='OUT/plots'; out='TMP'; nb=4; nbw=3; bits='16 8 4 2'"
 * SCRIPT, output to a log. The script reads dir and draws into out. */
static int run_gnuplot(const Study *s, const char *script, const char *out,
                       Err *e)
{
    char vars[2600], log[1100], bits[512] = "";
    size_t len = 0;
    for (int i = 0; i < s->axes[STUDY_BITS].n && len < sizeof bits; i++) {
        char lab[64];
        bits_label(&s->axes[STUDY_BITS].v[i], lab, sizeof lab);
        len += (size_t)snprintf(bits + len, sizeof bits - len, "%s%s",
                                i ? " " : "", lab);
    }
    snprintf(vars, sizeof vars,
             "dir='%s/plots'; out='%s'; nb=%d; nbw=%d; bits='%s'", s->out_dir,
             out, s->axes[STUDY_BITS].n, s->axes[STUDY_DRAM].n, bits);
    snprintf(log, sizeof log, "%s/plots/gnuplot.log", s->out_dir);
    return plot_gnuplot(script, vars, log, e);
}

/* Move (or, with keep 0, remove) NAME.png and NAME.svg from tmp to plots. */
static int settle(const char *tmp, const char *plots, const char *name,
                  int keep, Err *e)
{
    static const char *const ext[] = {"png", "svg"};
    int rc = QA_OK;
    for (size_t k = 0; k < QA_COUNT(ext); k++) {
        char from[1200], to[1200];
        snprintf(from, sizeof from, "%s/%s.%s", tmp, name, ext[k]);
        snprintf(to, sizeof to, "%s/%s.%s", plots, name, ext[k]);
        if (keep && rc == QA_OK && rename(from, to) != 0)
            rc = err_set(e, to, 0, NULL, "cannot write: %s", strerror(errno));
        remove(from);
    }
    return rc;
}

int plot_study(const Study *s, const char *table, const char *scripts_dir,
               Err *e)
{
    if (plot_write_data(s, table, e) != QA_OK)
        return QA_ERR;
    char log[1100], plots[1100], tmp[1200];
    snprintf(log, sizeof log, "%s/plots/gnuplot.log", s->out_dir);
    remove(log);
    /* gnuplot writes its figures in place, so it draws into a folder of
     * its own beside them and each figure is renamed when complete: a
     * sweep killed while plotting leaves no half-drawn PNG or SVG. */
    snprintf(plots, sizeof plots, "%s/plots", s->out_dir);
    snprintf(tmp, sizeof tmp, "%s/.tmp.%ld", plots, (long)getpid());
    if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
        return err_set(e, tmp, 0, NULL, "cannot create folder: %s",
                       strerror(errno));
    int rc = QA_OK;
    for (int i = 0; i < plot_count && rc == QA_OK; i++) {
        char script[1100];
        snprintf(script, sizeof script, "%s/%s.gp", scripts_dir, plot_names[i]);
        if (access(script, R_OK) != 0) {
            rc = err_set(e, script, 0, NULL, "cannot read the gnuplot script");
            break;
        }
        if (run_gnuplot(s, script, tmp, e) != QA_OK) {
            Err ignore;
            settle(tmp, plots, plot_names[i], 0, &ignore);
            rc = QA_ERR;
            break;
        }
        rc = settle(tmp, plots, plot_names[i], 1, e);
    }
    rmdir(tmp);
    return rc;
}
