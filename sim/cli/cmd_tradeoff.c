/* cmd_tradeoff.c: `qarray tradeoff`: accuracy vs speedup and TOPS/mm2, one
 * row per integer model file (sim/study/tradeoff.h): the table on stdout,
 * OUT/tradeoff.csv, and OUT/tradeoff.png drawn by
 * results/plots/tradeoff.gp from OUT/tradeoff.dat. */
#include "quant/train/idx.h"
#include "sim/cli/args.h"
#include "sim/cli/cmd.h"
#include "sim/study/point.h"
#include "sim/study/tradeoff.h"

#include <stdlib.h>

typedef struct {
    const char *arch, *out, *data;
    int limit;
    double float_acc;
} TradeoffOpts;

static const ArgOpt opts[] = {
    ARGS_OPT_OUT_DIR(TradeoffOpts, out, "DIR", "output folder", ARG_REQUIRED,
                     "tradeoff.csv tradeoff.dat tradeoff.png gnuplot.log"),
    ARGS_OPT_ARCH(TradeoffOpts, arch),
    ARGS_OPT_CHIP,
    ARGS_OPT_DATA(TradeoffOpts, data),
    ARGS_OPT_LIMIT(TradeoffOpts, limit),
    {.name = "float-acc", .kind = ARG_REAL, .off = offsetof(TradeoffOpts, float_acc),
     .meta = "PCT", .help = "accuracy of the float network, printed as a first row",
     .lo = 0, .hi = 100, .flags = ARG_ABOVE_LO},
};

/* One row of tradeoff.csv, every cell as text: the float row leaves the
 * simulator's columns empty, a model without a stored fake-quant accuracy
 * its fq_accuracy. */
typedef struct {
    char model[256], w[8], a[8], acc[32], fq[32], sp[32], tm[32], r50s[32], r50t[32];
} CsvRow;

#define C_(f) offsetof(CsvRow, f)
static const CsvCol csv_cols[] = {
    CSV_COL("model", CSV_STR, C_(model), "", "the model file (\"float\": --float-acc)"),
    CSV_COL("w_bits", CSV_STR, C_(w), "bits", "weight bits of the inner layers"),
    CSV_COL("a_bits", CSV_STR, C_(a), "bits", "activation bits of the inner layers"),
    CSV_COL("accuracy", CSV_STR, C_(acc), "%", "test accuracy of the integer network"),
    CSV_COL("fq_accuracy", CSV_STR, C_(fq), "%", "fake-quant accuracy stored in the file"),
    CSV_COL("speedup", CSV_STR, C_(sp), "x", "the model's network over 16 bits"),
    CSV_COL("tops_mm2", CSV_STR, C_(tm), "TOPS/mm2", "the model's network"),
    CSV_COL("r50_speedup", CSV_STR, C_(r50s), "x", "ResNet-50 at the same bits"),
    CSV_COL("r50_tops_mm2", CSV_STR, C_(r50t), "TOPS/mm2", "ResNet-50 at the same bits"),
};
#undef C_
static const CsvTable csv_table = CSV_TABLE(csv_cols);

/* OUT/tradeoff.csv through the CSV writer. */
static int write_csv(const char *path, const TradeoffRow *rows, int n, double float_acc,
                     Err *e)
{
    CsvRow *out = qa_calloc((size_t)n + 1, sizeof *out);
    if (!out)
        return err_set(e, path, 0, NULL, "out of memory");
    int k = 0;
    if (float_acc > 0) {
        snprintf(out[k].model, sizeof out[k].model, "float");
        snprintf(out[k].w, sizeof out[k].w, "32");
        snprintf(out[k].a, sizeof out[k].a, "32");
        snprintf(out[k].acc, sizeof out[k].acc, "%.2f", float_acc);
        k++;
    }
    for (int i = 0; i < n; i++, k++) {
        const TradeoffRow *r = &rows[i];
        CsvRow *c = &out[k];
        snprintf(c->model, sizeof c->model, "%s", r->name);
        snprintf(c->w, sizeof c->w, "%d", r->w_bits);
        snprintf(c->a, sizeof c->a, "%d", r->a_bits);
        snprintf(c->acc, sizeof c->acc, "%.2f", r->acc);
        if (r->fq_acc >= 0)
            snprintf(c->fq, sizeof c->fq, "%.2f", r->fq_acc);
        snprintf(c->sp, sizeof c->sp, "%.4f", r->speedup);
        snprintf(c->tm, sizeof c->tm, "%.4f", r->tops_mm2);
        snprintf(c->r50s, sizeof c->r50s, "%.4f", r->r50_speedup);
        snprintf(c->r50t, sizeof c->r50t, "%.4f", r->r50_tops_mm2);
    }
    int rc = csv_write(path, &csv_table, out, sizeof *out, k, e);
    free(out);
    return rc;
}

/* OUT/tradeoff.dat: the whitespace table gnuplot reads, numbers and W?A?
 * labels only (no user string). */
static int write_dat(const char *path, const TradeoffRow *rows, int n, Err *e)
{
    AtomicFile af;
    if (qa_afile_open(&af, path, e) != QA_OK)
        return QA_ERR;
    fprintf(af.f, "label w_bits a_bits accuracy fq_accuracy speedup tops_mm2 "
                  "r50_speedup r50_tops_mm2\n");
    for (int i = 0; i < n; i++) {
        const TradeoffRow *r = &rows[i];
        fprintf(af.f, "W%dA%d %d %d %.2f ", r->w_bits, r->a_bits, r->w_bits, r->a_bits,
                r->acc);
        if (r->fq_acc >= 0)
            fprintf(af.f, "%.2f", r->fq_acc);
        else
            fprintf(af.f, "NaN");
        fprintf(af.f, " %.4f %.4f %.4f %.4f\n", r->speedup, r->tops_mm2, r->r50_speedup,
                r->r50_tops_mm2);
    }
    return qa_afile_commit(&af, e);
}

static void print_rows(const char *chip, int images, const TradeoffRow *rows, int n,
                       double float_acc)
{
    printf("accuracy vs speed on %s, Fashion-MNIST test set (%d images)\n", chip, images);
    printf("%-8s %9s %9s %10s %10s %12s %12s\n", "bits", "accuracy", "fakequant",
           "speedup", "TOPS/mm2", "R50 speedup", "R50 TOPS/mm2");
    if (float_acc > 0)
        printf("%-8s %8.2f%% %9s %10s %10s %12s %12s\n", "float", float_acc, "-", "-", "-",
               "-", "-");
    for (int i = 0; i < n; i++) {
        const TradeoffRow *r = &rows[i];
        char b[32], fq[32] = "-";
        snprintf(b, sizeof b, "W%dA%d", r->w_bits, r->a_bits);
        if (r->fq_acc >= 0)
            snprintf(fq, sizeof fq, "%.2f%%", r->fq_acc);
        printf("%-8s %8.2f%% %9s %9.3fx %10.4f %11.3fx %12.4f\n", b, r->acc, fq, r->speedup,
               r->tops_mm2, r->r50_speedup, r->r50_tops_mm2);
    }
}

static int run(const Args *a, void *obj, Err *e)
{
    const TradeoffOpts *o = obj;
    PointSpec base;
    point_defaults(&base);
    Dataset te;
    if (args_load_chip(a, o->arch, &base.accel, e) != QA_OK ||
        idx_load_fashion_test(&te, o->data, e) != QA_OK)
        return QA_ERR;
    if (o->limit > 0)
        idx_truncate(&te, o->limit);
    int n = a->noperands;
    TradeoffRow *rows = qa_calloc((size_t)n, sizeof *rows);
    int rc = rows ? QA_OK : err_set(e, NULL, 0, NULL, "out of memory");
    for (int i = 0; i < n && rc == QA_OK; i++)
        rc = tradeoff_row(a->operand[i], &te, &base, &rows[i], e);
    if (rc == QA_OK)
        print_rows(base.accel.name, te.n, rows, n, o->float_acc);
    /* OUT appears complete (table, data, figure) or not at all. */
    AtomicDir d;
    char path[1200];
    int opened = rc == QA_OK && (rc = qa_adir_open(&d, o->out, e)) == QA_OK;
    if (rc == QA_OK && (rc = qa_adir_file(&d, "tradeoff.csv", path, sizeof path, e)) == QA_OK)
        rc = write_csv(path, rows, n, o->float_acc, e);
    if (rc == QA_OK && (rc = qa_adir_file(&d, "tradeoff.dat", path, sizeof path, e)) == QA_OK)
        rc = write_dat(path, rows, n, e);
    if (rc == QA_OK) {
        char cap[400], bw[32];
        if (base.accel.dram_gbps > 0)
            snprintf(bw, sizeof bw, "%g GB/s", base.accel.dram_gbps);
        else
            snprintf(bw, sizeof bw, "unlimited");
        snprintf(cap, sizeof cap, "%s: Fashion-MNIST test set (%d images), %s DRAM, "
                 "%s engine, batch %d", base.accel.name, te.n, bw,
                 point_engine_name(base.engine), base.batch);
        rc = tradeoff_plot(d.tmp, "results/plots/tradeoff.gp", cap, e);
    }
    if (opened)
        rc = rc == QA_OK ? qa_adir_commit(&d, e) : (qa_adir_abort(&d, e), QA_ERR);
    free(rows);
    idx_free(&te);
    return rc;
}

const ArgCmd cmd_tradeoff = {
    .name = "tradeoff",
    .summary = "accuracy vs speedup and TOPS/mm2 per precision, one table and plot",
    .about =
        "Accuracy vs speed: for each integer model of a Fashion-MNIST network, its\n"
        "test accuracy (integer network, equal to the chip's: qarray validate\n"
        "--dataset) and fake-quant accuracy (model file), and from the SystemC model\n"
        "the speedup over 16 bits and TOPS/mm2 of that network and of ResNet-50 at\n"
        "the same bits (first and last layers at 8). Writes DIR/tradeoff.csv and\n"
        "DIR/tradeoff.png (gnuplot, results/plots/tradeoff.gp).",
    .opts = opts, .nopts = (int)QA_COUNT(opts),
    .operands = "MODEL", .min_operands = 1, .operand_flags = ARG_IN,
    .size = sizeof(TradeoffOpts),
    .run = run,
};
