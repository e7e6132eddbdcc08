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
    ARGS_OPT_OUT(TradeoffOpts, out, "DIR", "output folder", ARG_REQUIRED),
    ARGS_OPT_ARCH(TradeoffOpts, arch),
    ARGS_OPT_CHIP,
    ARGS_OPT_DATA(TradeoffOpts, data),
    ARGS_OPT_LIMIT(TradeoffOpts, limit),
    {.name = "float-acc", .kind = ARG_REAL, .off = offsetof(TradeoffOpts, float_acc),
     .meta = "PCT", .help = "accuracy of the float network, printed as a first row",
     .lo = 0, .hi = 100, .flags = ARG_ABOVE_LO},
};

/* OUT/tradeoff.csv (dat 0) or the whitespace table gnuplot reads (dat 1). */
static int write_table(const char *path, const TradeoffRow *rows, int n, double float_acc,
                       int dat, Err *e)
{
    AtomicFile af;
    if (qa_afile_open(&af, path, e) != QA_OK)
        return QA_ERR;
    const char *sep = dat ? " " : ",";
    fprintf(af.f, dat ? "label w_bits a_bits accuracy fq_accuracy speedup tops_mm2 "
                        "r50_speedup r50_tops_mm2\n"
                      : "model,w_bits,a_bits,accuracy,fq_accuracy,speedup,tops_mm2,"
                        "r50_speedup,r50_tops_mm2\n");
    if (float_acc > 0 && !dat)
        fprintf(af.f, "float,32,32,%.2f,,,,,\n", float_acc);
    for (int i = 0; i < n; i++) {
        const TradeoffRow *r = &rows[i];
        if (dat)
            fprintf(af.f, "W%dA%d", r->w_bits, r->a_bits);
        else
            fprintf(af.f, "%s", r->name);
        fprintf(af.f, "%s%d%s%d%s%.2f%s", sep, r->w_bits, sep, r->a_bits, sep, r->acc, sep);
        if (r->fq_acc >= 0)
            fprintf(af.f, "%.2f", r->fq_acc);
        else if (dat)
            fprintf(af.f, "NaN");
        fprintf(af.f, "%s%.4f%s%.4f%s%.4f%s%.4f\n", sep, r->speedup, sep, r->tops_mm2, sep,
                r->r50_speedup, sep, r->r50_tops_mm2);
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
    Dataset tr, te;
    if (args_load_chip(a, o->arch, &base.accel, e) != QA_OK ||
        idx_load_fashion(&tr, &te, o->data, e) != QA_OK)
        return QA_ERR;
    idx_free(&tr);
    if (o->limit > 0)
        idx_truncate(&te, o->limit);
    int n = a->noperands;
    TradeoffRow *rows = qa_calloc((size_t)n, sizeof *rows);
    int rc = rows ? QA_OK : err_set(e, NULL, 0, NULL, "out of memory");
    for (int i = 0; i < n && rc == QA_OK; i++)
        rc = tradeoff_row(a->operand[i], &te, &base, &rows[i], e);
    if (rc == QA_OK)
        print_rows(base.accel.name, te.n, rows, n, o->float_acc);
    char path[1100];
    if (rc == QA_OK)
        rc = qa_mkdirs(o->out, e);
    if (rc == QA_OK) {
        snprintf(path, sizeof path, "%s/tradeoff.csv", o->out);
        rc = write_table(path, rows, n, o->float_acc, 0, e);
    }
    if (rc == QA_OK) {
        snprintf(path, sizeof path, "%s/tradeoff.dat", o->out);
        rc = write_table(path, rows, n, o->float_acc, 1, e);
    }
    if (rc == QA_OK) {
        char cap[400], bw[32];
        if (base.accel.dram_gbps > 0)
            snprintf(bw, sizeof bw, "%g GB/s", base.accel.dram_gbps);
        else
            snprintf(bw, sizeof bw, "unlimited");
        snprintf(cap, sizeof cap, "%s: Fashion-MNIST test set (%d images), %s DRAM, "
                 "%s engine, batch %d", base.accel.name, te.n, bw,
                 point_engine_name(base.engine), base.batch);
        rc = tradeoff_plot(o->out, "results/plots/tradeoff.gp", cap, e);
    }
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
    .operands = "MODEL", .min_operands = 1,
    .size = sizeof(TradeoffOpts),
    .run = run,
};
