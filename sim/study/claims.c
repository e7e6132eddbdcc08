/* claims.c: PACT Section 6 beside the model (see claims.h).
 *
 * The paper's statements and the tests applied to them; the numbers are
 * data of the study file's `claims` group (ClaimData, defaults PACT's):
 *   area   MAC area 16 -> 2 bits ~area_ratio (Fig. 6b: ~14x), within
 *          area_tolerance.
 *   lin    unlimited bandwidth, near-linear to 4 bits: speedup at 8 and 4
 *          bits at least linear_share of the peak-MAC gain.
 *   drop   unlimited bandwidth, "a small drop" at 2 bits: below the 4-bit
 *          share but at least drop_share of the 2-bit peak gain.
 *   bw     at bw_gbps (64 GB/s), 16 -> 4 bits: 4x peak MACs, "4.5x
 *          performance": at least bw_speedup (and so super-linear).
 *   super  at super_gbps (32 GB/s) the same super-linearity: 4-bit speedup
 *          above the 4x peak gain.
 *   fl     first and last layers at 4/2 bits instead of 8: "an additional
 *          1.24x" (bandwidth not given; checked at bw_gbps): the gain at
 *          4 and at 2 bits each within fl_tolerance of fl_gain.
 * All speedups with first/last at 8 bits unless the claim says otherwise,
 * over the study's baseline (the chip at 16 bits).
 * Under the area claim, whatever the study's area model, two lines say what
 * synthesis of qarray's own MAC RTL gives for the same ratio (Yosys gate
 * equivalents, models/rtl/mac_area.csv): the fixed 2-bit MAC against the
 * fixed 16-bit one, and the precision-configurable 16-bit MAC's eight
 * 2-bit lanes against the fixed 16-bit MAC. They are reported, not
 * counted in the summary line.
 *
 * And one statement of the FAQ paper (McKinstry et al. 2018, "energy and
 * area scale down quadratically with precision"), checked at bw_gbps with
 * every layer at the inner bits, energy E(b) = e_mac_uj or energy_uj:
 *   emac   the MACs alone: E(16) / E(b) = (16 / b)^x with x within
 *          energy_tolerance of energy_exponent (2) at 4 and at 2 bits.
 *   esys   the whole chip (MAC, array, scratchpad, DRAM, leakage), the
 *          same test; the table after it says which components carry the
 *          energy at the lowest precision and how each one scales. */
#include "sim/study/claims.h"
#include "sim/study/points.h"
#include "models/area.h"
#include "models/area_synth.h"
#include "sim/report/table.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { CL_AREA, CL_LIN, CL_DROP, CL_BW64, CL_BW32, CL_FL, CL_EMAC, CL_ESYS,
       CL_COUNT };

/* The name and the paper's statement of each claim, with the study's
 * numbers in them. */
static void claim_text(const ClaimData *d, int c, char *name, size_t nn,
                       char *paper, size_t np)
{
    switch (c) {
    case CL_AREA:
        snprintf(name, nn, "MAC area 16 -> 2 bits (Fig. 6b)");
        snprintf(paper, np, "~%gx smaller", d->area_ratio);
        break;
    case CL_LIN:
        snprintf(name, nn, "unlimited BW: 16 -> 8, 4 bits");
        snprintf(paper, np, "near-linear");
        break;
    case CL_DROP:
        snprintf(name, nn, "unlimited BW: 16 -> 2 bits");
        snprintf(paper, np, "small drop");
        break;
    case CL_BW64:
        snprintf(name, nn, "%g GB/s: 16 -> 4 bits", d->bw_gbps);
        snprintf(paper, np, ">= %gx (4x peak)", d->bw_speedup);
        break;
    case CL_BW32:
        snprintf(name, nn, "%g GB/s: 16 -> 4 bits", d->super_gbps);
        snprintf(paper, np, "super-linear");
        break;
    case CL_FL:
        snprintf(name, nn, "first/last at 4, 2 bits, not 8");
        snprintf(paper, np, "%gx more", d->fl_gain);
        break;
    case CL_EMAC:
        snprintf(name, nn, "MAC energy 16 -> 4, 2 bits (FAQ)");
        snprintf(paper, np, "~b^%g: %gx, %gx", d->energy_exponent,
                 pow(4, d->energy_exponent), pow(8, d->energy_exponent));
        break;
    default:
        snprintf(name, nn, "chip energy 16 -> 4, 2 bits (FAQ)");
        snprintf(paper, np, "~b^%g: %gx, %gx", d->energy_exponent,
                 pow(4, d->energy_exponent), pow(8, d->energy_exponent));
        break;
    }
}
static const char *const claim_short[CL_COUNT] = {
    "area", "lin", "drop", "bw64", "bw32", "fl", "emac", "esys"};

typedef struct {
    int known;         /* 0: the study lacks a point the claim needs */
    int holds;
    char model[64];    /* what the model says */
    char note[48];     /* deviation from the paper */
} Verdict;

typedef struct {
    const Table *t;
    int c_bits, c_fl, c_bw, c_speed, c_gain;
    int c_energy, c_emac;   /* -1: a table without energy columns */
    int c_axes[STUDY_NAXES];
    const int *rows;   /* rows of one group */
    int n;
} Group;

/* The group's row with these bits, first/last and bandwidth; -1 if none
 * (or only a row of a point that does not fit). */
static int find(const Group *g, const char *bits, const char *fl,
                const char *bw)
{
    for (int i = 0; i < g->n; i++) {
        int r = g->rows[i];
        if (points_row_ok(g->t, r) &&
            !strcmp(table_get(g->t, r, g->c_bits), bits) &&
            !strcmp(table_get(g->t, r, g->c_fl), fl) &&
            !strcmp(table_get(g->t, r, g->c_bw), bw))
            return r;
    }
    return -1;
}

/* Speedup (and peak gain, 0 without the point) of the point with these
 * bits, first/last and bandwidth in the group; 0 if the study has no such
 * point. */
static double speedup(const Group *g, const char *bits, const char *fl,
                      const char *bw, double *gain)
{
    int r = find(g, bits, fl, bw);
    if (gain)
        *gain = r < 0 ? 0 : table_num(g->t, r, g->c_gain);
    return r < 0 ? 0 : table_num(g->t, r, g->c_speed);
}

/* x of E(16) / E(b) = (16 / b)^x for column c at bandwidth bw, every
 * layer at b bits; 0 when a point or its energy is missing. */
static double energy_exp(const Group *g, int c, int b, const char *bw,
                         double *ratio)
{
    char bits[16];
    snprintf(bits, sizeof bits, "%d/%d", b, b);
    int r16 = find(g, "16/16", "same", bw), rb = find(g, bits, "same", bw);
    if (c < 0 || r16 < 0 || rb < 0)
        return 0;
    double e16 = table_num(g->t, r16, c), eb = table_num(g->t, rb, c);
    if (!(e16 > 0) || !(eb > 0))
        return 0;
    *ratio = e16 / eb;
    return log(*ratio) / log(16.0 / b);
}

static void judge_energy(const Group *g, int c, const ClaimData *d, Verdict *v)
{
    char bw[32];
    snprintf(bw, sizeof bw, "%g", d->bw_gbps);
    double r4 = 0, r2 = 0;
    double x4 = energy_exp(g, c, 4, bw, &r4), x2 = energy_exp(g, c, 2, bw, &r2);
    if (x4 == 0 || x2 == 0)
        return;
    v->known = 1;
    v->holds = fabs(x4 - d->energy_exponent) <= d->energy_tolerance &&
               fabs(x2 - d->energy_exponent) <= d->energy_tolerance;
    snprintf(v->model, sizeof v->model, "%.2fx, %.1fx", r4, r2);
    snprintf(v->note, sizeof v->note, "b^%.2f, b^%.2f (b^%g)", x4, x2,
             d->energy_exponent);
}

static void judge(const Group *g, const Study *s, Verdict v[CL_COUNT])
{
    const ClaimData *d = &s->claims;
    memset(v, 0, sizeof(Verdict) * CL_COUNT);
    double ratio = area_ratio(&s->accel, 2);
    v[CL_AREA].known = 1;
    v[CL_AREA].holds = fabs(ratio / d->area_ratio - 1) <= d->area_tolerance;
    snprintf(v[CL_AREA].model, sizeof v[CL_AREA].model, "%.2fx", ratio);
    snprintf(v[CL_AREA].note, sizeof v[CL_AREA].note, "%+.0f%% vs %gx",
             100 * (ratio / d->area_ratio - 1), d->area_ratio);

    double g8, g4, g2;
    double u8 = speedup(g, "8/8", "8", "unlimited", &g8);
    double u4 = speedup(g, "4/4", "8", "unlimited", &g4);
    double u2 = speedup(g, "2/2", "8", "unlimited", &g2);
    if (u8 > 0 && u4 > 0) {
        double e8 = u8 / g8, e4 = u4 / g4;
        v[CL_LIN].known = 1;
        v[CL_LIN].holds = e8 >= d->linear_share && e4 >= d->linear_share;
        snprintf(v[CL_LIN].model, sizeof v[CL_LIN].model, "%.2fx, %.2fx",
                 u8, u4);
        snprintf(v[CL_LIN].note, sizeof v[CL_LIN].note,
                 "%.0f%%, %.0f%% of linear", 100 * e8, 100 * e4);
    }
    if (u4 > 0 && u2 > 0) {
        double e4 = u4 / g4, e2 = u2 / g2;
        v[CL_DROP].known = 1;
        v[CL_DROP].holds = e2 < e4 && e2 >= d->drop_share;
        snprintf(v[CL_DROP].model, sizeof v[CL_DROP].model, "%.2fx", u2);
        snprintf(v[CL_DROP].note, sizeof v[CL_DROP].note,
                 "%.0f%% of %.0fx%s", 100 * e2, g2,
                 e2 >= e4 ? ", no drop" : e2 < d->drop_share ? ", large drop" : "");
    }
    char bw[32], sup[32];
    snprintf(bw, sizeof bw, "%g", d->bw_gbps);
    snprintf(sup, sizeof sup, "%g", d->super_gbps);
    double b4 = speedup(g, "4/4", "8", bw, &g4);
    if (b4 > 0) {
        v[CL_BW64].known = 1;
        /* the printed %.2f rounds: 4.495 shows as 4.50 and holds */
        v[CL_BW64].holds = b4 >= d->bw_speedup - 0.005 && b4 > g4;
        snprintf(v[CL_BW64].model, sizeof v[CL_BW64].model, "%.2fx", b4);
        snprintf(v[CL_BW64].note, sizeof v[CL_BW64].note, "%+.1f%% vs %gx",
                 100 * (b4 / d->bw_speedup - 1), d->bw_speedup);
    }
    double c4 = speedup(g, "4/4", "8", sup, &g4);
    if (c4 > 0) {
        v[CL_BW32].known = 1;
        v[CL_BW32].holds = c4 > g4;
        snprintf(v[CL_BW32].model, sizeof v[CL_BW32].model, "%.2fx", c4);
        snprintf(v[CL_BW32].note, sizeof v[CL_BW32].note, "%.2fx the %.0fx peak",
                 c4 / g4, g4);
    }
    double f4 = speedup(g, "4/4", "same", bw, NULL);
    double f2 = speedup(g, "2/2", "same", bw, NULL);
    double e4 = speedup(g, "4/4", "8", bw, NULL);
    double e2 = speedup(g, "2/2", "8", bw, NULL);
    if (f4 > 0 && f2 > 0 && e4 > 0 && e2 > 0) {
        double r4 = f4 / e4, r2 = f2 / e2;
        v[CL_FL].known = 1;
        v[CL_FL].holds = fabs(r4 / d->fl_gain - 1) <= d->fl_tolerance &&
                         fabs(r2 / d->fl_gain - 1) <= d->fl_tolerance;
        snprintf(v[CL_FL].model, sizeof v[CL_FL].model, "%.2fx, %.2fx", r4, r2);
        snprintf(v[CL_FL].note, sizeof v[CL_FL].note, "%+.0f%%, %+.0f%% vs %gx",
                 100 * (r4 / d->fl_gain - 1), 100 * (r2 / d->fl_gain - 1),
                 d->fl_gain);
    }
    judge_energy(g, g->c_emac, d, &v[CL_EMAC]);
    judge_energy(g, g->c_energy, d, &v[CL_ESYS]);
}

static const char *verdict_word(const Verdict *v)
{
    return !v->known ? "n/a" : v->holds ? "holds" : "FAILS";
}

/* "batch=16 sram_bytes=2097152": the axes with more than one value,
 * except the three every claim varies. */
static void group_label(const Study *s, const Group *g, char *buf, size_t n)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int ax = 0; ax < STUDY_NAXES && len < n; ax++) {
        if (ax == STUDY_BITS || ax == STUDY_FIRST_LAST || ax == STUDY_DRAM ||
            s->axes[ax].n < 2)
            continue;
        len += (size_t)snprintf(buf + len, n - len, "%s%s=%s", len ? " " : "",
                                study_axis_name((StudyAxis)ax),
                                table_get(g->t, g->rows[0], g->c_axes[ax]));
    }
}

/* One line of the claims table for a synthesized density at 2 bits. */
static void synth_line(const ClaimData *d, const char *name, double ratio,
                       const char *what, FILE *f)
{
    char model[16], note[64], cname[64], paper[64];
    claim_text(d, CL_AREA, cname, sizeof cname, paper, sizeof paper);
    snprintf(model, sizeof model, "%.2fx", ratio);
    snprintf(note, sizeof note, "%+.0f%% vs %gx, %s",
             100 * (ratio / d->area_ratio - 1), d->area_ratio, what);
    fprintf(f, "%-34s %-18s %-13s %-7s %s\n", name, paper, model,
            fabs(ratio / d->area_ratio - 1) <= d->area_tolerance ? "holds" : "FAILS",
            note);
}

static void print_detail(const Study *s, const Group *g, const Verdict *v,
                         FILE *f)
{
    char label[256];
    group_label(s, g, label, sizeof label);
    fprintf(f, "\nPACT Section 6 vs qarray: %s, %s engine%s%s\n", s->name,
            table_get(g->t, g->rows[0], g->c_axes[STUDY_ENGINE]),
            label[0] ? ", " : "", label);
    fprintf(f, "%-34s %-18s %-13s %-7s %s\n", "claim", "paper", "qarray",
            "verdict", "difference");
    for (int c = 0; c < CL_COUNT; c++) {
        char name[64], paper[64];
        claim_text(&s->claims, c, name, sizeof name, paper, sizeof paper);
        fprintf(f, "%-34s %-18s %-13s %-7s %s\n", name, paper,
                v[c].known ? v[c].model : "-", verdict_word(&v[c]), v[c].note);
        if (c == CL_AREA) {
            synth_line(&s->claims, "  synthesized: fixed MACs",
                       1 / area_synth_fixed_rel(2), "Yosys, 32-bit acc.", f);
            synth_line(&s->claims, "  synthesized: configurable MAC",
                       area_synth_config_density(2), "8 lanes of 2 bits", f);
        }
    }
}

/* Sum of a column of a layer table. */
static double col_sum(const Table *lt, const char *name)
{
    int c = table_col(lt, name);
    double sum = 0;
    for (int r = 0; r < lt->nrows; r++)
        sum += table_num(lt, r, c);
    return sum;
}

static int col_count(const Table *lt, const char *name, const char *value)
{
    int c = table_col(lt, name), n = 0;
    for (int r = 0; r < lt->nrows; r++)
        n += !strcmp(table_get(lt, r, c), value);
    return n;
}

/* Why the speedup is super-linear: at 64 GB/s with first/last at 8 bits,
 * the DRAM traffic per precision split into weights and activations, how
 * many layers keep their output on chip and how many wait for DRAM, from
 * the points' layer CSVs. */
static int explain(const Study *s, const Group *g, FILE *f, Err *e)
{
    int c_csv = table_col(g->t, "layers_csv");
    int header = 0;
    char bw[32];
    snprintf(bw, sizeof bw, "%g", s->claims.bw_gbps);
    if (c_csv < 0)
        return QA_OK;
    for (int i = 0; i < s->axes[STUDY_BITS].n; i++) {
        const char *bits = s->axes[STUDY_BITS].v[i].text;
        int row = -1;
        for (int k = 0; k < g->n && row < 0; k++) {
            int r = g->rows[k];
            if (points_row_ok(g->t, r) &&
                !strcmp(table_get(g->t, r, g->c_bits), bits) &&
                !strcmp(table_get(g->t, r, g->c_fl), "8") &&
                !strcmp(table_get(g->t, r, g->c_bw), bw))
                row = r;
        }
        if (row < 0 || !table_get(g->t, row, c_csv)[0])
            continue; /* no point, or a sweep that kept no layers */
        char path[1100];
        Table lt;
        snprintf(path, sizeof path, "%s/%s", s->out_dir,
                 table_get(g->t, row, c_csv));
        if (table_read(&lt, path, e) != QA_OK)
            return QA_ERR;
        if (!header) {
            fprintf(f, "\nWhere the %s GB/s speedup comes from (first/last "
                       "8 bits; per layer: %s/layers/):\n", bw, s->out_dir);
            fprintf(f, "%-6s %9s %11s %11s %10s %14s %13s\n", "bits",
                    "speedup", "DRAM MB", "weights MB", "act. MB",
                    "outputs kept", "memory-bound");
            header = 1;
        }
        double w = col_sum(&lt, "dram_w_bytes");
        double all = col_sum(&lt, "dram_bytes");
        fprintf(f, "%-6s %8.2fx %11.1f %11.1f %10.1f %8d of %-3d %6d of %d\n",
                bits, table_num(g->t, row, g->c_speed), all / 1e6, w / 1e6,
                (all - w) / 1e6, col_count(&lt, "out_on_chip", "1"), lt.nrows,
                col_count(&lt, "bound_by", "memory"), lt.nrows);
        table_free(&lt);
    }
    return QA_OK;
}

/* Where the energy goes: at 64 GB/s with every layer at the inner bits,
 * uJ per image by component, each component's exponent from 16 bits to
 * the narrowest precision, and why the components that scale slower than
 * b^1.8 do (those with 5 % or more of the energy there, and the MAC
 * always: it is the emac claim). */
static const struct {
    const char *col, *name, *why;
} ecomp[] = {
    {"e_mac_uj", "MAC", NULL},
    {"e_array_uj", "array", "operand hops ~ b, partial-sum hops of w + a + log2 K bits"},
    {"e_sram_uj", "SRAM", "operand bytes ~ b, partial sums of w + a + log2 K bits"},
    {"e_dram_uj", "DRAM", "bytes ~ b, fewer once tensors fit on chip"},
    {"e_leak_uj", "leak", "~ time: it falls with the speedup only"},
};

/* Why the MAC alone is not quadratic, from the chip's energy group. */
static void mac_why(const Accel *a, char *buf, size_t n)
{
    const EnergyParams *p = &a->energy;
    size_t len;
    if (a->pe == PE_APOT)
        len = (size_t)snprintf(buf, n, "shift-add terms ~ w, each an add of "
                               "w + a + log2 K bits (b^%.3g of its width)",
                               p->add_exp);
    else if (p->mac == EMAC_TABLE)
        len = (size_t)snprintf(buf, n, "the table's PE per MAC");
    else
        len = (size_t)snprintf(buf, n, "multiply b^%.4g, accumulate add of "
                               "w + a + log2 K bits b^%.3g of its width",
                               p->mul_exp, p->add_exp);
    if (p->flex_overhead != 1 && len < n)
        snprintf(buf + len, n - len, ", lanes below %d bits x%.3g",
                 a->base_bits, p->flex_overhead);
}

static int explain_energy(const Study *s, const Group *g, FILE *f)
{
    if (g->c_energy < 0 || g->c_emac < 0)
        return QA_OK;
    int c_batch = g->c_axes[STUDY_BATCH];
    int c[QA_COUNT(ecomp)];
    for (size_t k = 0; k < QA_COUNT(ecomp); k++)
        if ((c[k] = table_col(g->t, ecomp[k].col)) < 0)
            return QA_OK;
    char bw[32];
    snprintf(bw, sizeof bw, "%g", s->claims.bw_gbps);
    int r16 = find(g, "16/16", "same", bw), last = -1, header = 0;
    const StudyValue *lowest = NULL; /* the narrowest W = A with a point */
    for (int i = 0; i < s->axes[STUDY_BITS].n; i++) {
        const StudyValue *v = &s->axes[STUDY_BITS].v[i];
        int r = find(g, v->text, "same", bw);
        if (r < 0 || !(table_num(g->t, r, g->c_energy) > 0))
            continue;
        double batch = c_batch >= 0 ? table_num(g->t, r, c_batch) : 1;
        if (!(batch >= 1))
            batch = 1;
        if (!header) {
            fprintf(f, "\nWhere the energy goes (%s GB/s, every layer at the "
                       "bits; uJ per image):\n", bw);
            fprintf(f, "%-12s %9s %9s %9s %9s %9s %9s %8s\n", "bits", "total",
                    "MAC", "array", "SRAM", "DRAM", "leak", "vs 16b");
            header = 1;
        }
        fprintf(f, "%-12s %9.1f", v->text,
                table_num(g->t, r, g->c_energy) / batch);
        for (size_t k = 0; k < QA_COUNT(ecomp); k++)
            fprintf(f, " %9.1f", table_num(g->t, r, c[k]) / batch);
        if (r16 >= 0)
            fprintf(f, " %7.2fx", table_num(g->t, r16, g->c_energy) /
                                      table_num(g->t, r, g->c_energy));
        fputc('\n', f);
        if (v->i0 == v->i1 && v->i0 < 16 && (!lowest || v->i0 < lowest->i0)) {
            last = r;
            lowest = v;
        }
    }
    if (r16 < 0 || last < 0)
        return QA_OK;
    double l16 = log(16.0 / (double)lowest->i0);
    double tot = table_num(g->t, last, g->c_energy);
    double x[QA_COUNT(ecomp)];
    char lab[32];
    snprintf(lab, sizeof lab, "b^x, 16->%ld", lowest->i0);
    fprintf(f, "%-12s %9.2f", lab,
            log(table_num(g->t, r16, g->c_energy) / tot) / l16);
    for (size_t k = 0; k < QA_COUNT(ecomp); k++) {
        double e16 = table_num(g->t, r16, c[k]), eb = table_num(g->t, last, c[k]);
        x[k] = e16 > 0 && eb > 0 ? log(e16 / eb) / l16 : (double)NAN;
        fprintf(f, " %9.2f", x[k]);
    }
    fprintf(f, "\nWhy not b^2 (scaling slower than b^1.8, share of the %s-bit "
               "energy):\n", lowest->text);
    for (size_t k = 0; k < QA_COUNT(ecomp); k++) {
        double share = table_num(g->t, last, c[k]) / tot;
        if (!(x[k] < 1.8) || (k > 0 && share < 0.05))
            continue;
        char why[200];
        if (ecomp[k].why)
            snprintf(why, sizeof why, "%s", ecomp[k].why);
        else
            mac_why(&s->accel, why, sizeof why);
        fprintf(f, "  %-6s %3.0f%%  b^%.2f: %s\n", ecomp[k].name, 100 * share,
                x[k], why);
    }
    return QA_OK;
}

int claims_print(const Study *s, const char *path, FILE *f, Err *e)
{
    Table t;
    if (table_read(&t, path, e) != QA_OK)
        return QA_ERR;
    Group g = {&t, table_col(&t, "bits"), table_col(&t, "first_last"),
               table_col(&t, "dram_gbps"), table_col(&t, "speedup"),
               table_col(&t, "peak_gain"), table_col(&t, "energy_uj"),
               table_col(&t, "e_mac_uj"), {0}, NULL, 0};
    for (int ax = 0; ax < STUDY_NAXES; ax++)
        g.c_axes[ax] = table_col(&t, study_axis_name((StudyAxis)ax));
    if (g.c_bits < 0 || g.c_fl < 0 || g.c_bw < 0 || g.c_speed < 0 ||
        g.c_gain < 0 || g.c_axes[STUDY_ENGINE] < 0 || t.nrows == 0) {
        table_free(&t);
        return err_set(e, path, 1, NULL, "not a points table with rows");
    }
    /* Group id of each row: rows equal on every axis but the three. */
    int *gid = qa_calloc((size_t)t.nrows, sizeof *gid);
    int *rows = qa_calloc((size_t)t.nrows, sizeof *rows);
    if (!gid || !rows) {
        free(gid);
        free(rows);
        table_free(&t);
        return err_set(e, NULL, 0, NULL, "out of memory");
    }
    int ngroups = 0;
    for (int r = 0; r < t.nrows; r++) {
        gid[r] = -1;
        for (int q = 0; q < r && gid[r] < 0; q++) {
            int same = 1;
            for (int ax = 0; ax < STUDY_NAXES && same; ax++)
                if (ax != STUDY_BITS && ax != STUDY_FIRST_LAST &&
                    ax != STUDY_DRAM && g.c_axes[ax] >= 0)
                    same = !strcmp(table_get(&t, r, g.c_axes[ax]),
                                   table_get(&t, q, g.c_axes[ax]));
            if (same)
                gid[r] = gid[q];
        }
        if (gid[r] < 0)
            gid[r] = ngroups++;
    }
    int holds[CL_COUNT] = {0}, known[CL_COUNT] = {0};
    if (ngroups > 4)
        fprintf(f, "\nWhere PACT Section 6 holds (%s, %d groups): "
                   "claim=model value, ok or FAIL\n", s->name, ngroups);
    for (int gi = 0; gi < ngroups; gi++) {
        g.n = 0;
        for (int r = 0; r < t.nrows; r++)
            if (gid[r] == gi)
                rows[g.n++] = r;
        g.rows = rows;
        Verdict v[CL_COUNT];
        judge(&g, s, v);
        for (int c = 0; c < CL_COUNT; c++) {
            known[c] += v[c].known;
            holds[c] += v[c].known && v[c].holds;
        }
        if (ngroups <= 4) {
            print_detail(s, &g, v, f);
            if (explain(s, &g, f, e) != QA_OK ||
                explain_energy(s, &g, f) != QA_OK) {
                free(gid);
                free(rows);
                table_free(&t);
                return QA_ERR;
            }
            continue;
        }
        char label[256];
        group_label(s, &g, label, sizeof label);
        fprintf(f, "%-44s", label);
        for (int c = CL_LIN; c < CL_COUNT; c++)
            if (v[c].known)
                fprintf(f, " %s=%s %s", claim_short[c], v[c].model,
                        v[c].holds ? "ok" : "FAIL");
        fputc('\n', f);
    }
    fprintf(f, "\nclaims holding, of the groups that have the points:");
    for (int c = 0; c < CL_COUNT; c++)
        fprintf(f, " %s %d/%d%s", claim_short[c], holds[c], known[c],
                c + 1 < CL_COUNT ? "," : "\n");
    free(gid);
    free(rows);
    table_free(&t);
    return QA_OK;
}
