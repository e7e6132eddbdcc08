/* cmd_tradeoff.c: `qarray tradeoff`: accuracy vs speedup and TOPS/mm2, one
 * row per integer model file (sim/study/tradeoff.h): the table on stdout,
 * OUT/tradeoff.csv, and OUT/tradeoff.png drawn by
 * results/plots/tradeoff.gp from OUT/tradeoff.dat. */
#include "quant/train/idx.h"
#include "sim/cli/cmd.h"
#include "sim/study/point.h"
#include "sim/study/tradeoff.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
"usage: qarray tradeoff -o DIR [-c ARCH] [--bw GBPS] [--data DIR] [--limit N]\n"
"                       [--float-acc PCT] MODEL.safetensors...\n"
"Accuracy vs speed: for each integer model of a Fashion-MNIST network, its\n"
"test accuracy (integer network, equal to the chip's: qarray validate\n"
"--dataset) and fake-quant accuracy (model file), and from the SystemC model\n"
"the speedup over 16 bits and TOPS/mm2 of that network and of ResNet-50 at\n"
"the same bits (first and last layers at 8). Writes DIR/tradeoff.csv and\n"
"DIR/tradeoff.png (gnuplot, results/plots/tradeoff.gp).\n\n"
"  -c, --arch FILE     architecture (default arch/pact2018.cfg)\n"
"      --bw GBPS       DRAM bandwidth override (default: the file's)\n"
"      --data DIR      Fashion-MNIST folder\n"
"      --limit N       the first N test images only\n"
"      --float-acc P   accuracy of the float network, printed as a first row\n"
"  -o, --out DIR       output folder\n");
}

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

int cli_tradeoff(int argc, char **argv)
{
    enum { O_BW = 256, O_DATA, O_LIMIT, O_FLOAT };
    static const struct option opts[] = {
        {"arch", required_argument, 0, 'c'}, {"out", required_argument, 0, 'o'},
        {"bw", required_argument, 0, O_BW}, {"data", required_argument, 0, O_DATA},
        {"limit", required_argument, 0, O_LIMIT}, {"float-acc", required_argument, 0, O_FLOAT},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *arch = "arch/pact2018.cfg", *out = NULL, *data = NULL, *bw = NULL;
    long limit = 0;
    double float_acc = 0;
    Err e;
    err_clear(&e);
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":c:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': arch = optarg; break;
        case 'o': out = optarg; break;
        case O_BW: bw = optarg; break;
        case O_DATA: data = optarg; break;
        case O_LIMIT:
            if (qa_parse_long(optarg, &limit) != QA_OK || limit < 1) {
                err_set(&e, NULL, 0, "--limit", "'%s' is not a positive integer", optarg);
                goto fail;
            }
            break;
        case O_FLOAT:
            if (qa_parse_double(optarg, &float_acc) != QA_OK || float_acc <= 0 ||
                float_acc > 100) {
                err_set(&e, NULL, 0, "--float-acc", "'%s' is not a percentage", optarg);
                goto fail;
            }
            break;
        case 'h': usage(stdout); return 0;
        default:
            err_set(&e, NULL, 0, argv[optind - 1], c == ':' ? "needs a value"
                    : "unknown option (qarray tradeoff --help)");
            goto fail;
        }
    }
    if (!out || optind >= argc) {
        err_set(&e, NULL, 0, out ? "MODEL" : "--out", "required (qarray tradeoff --help)");
        goto fail;
    }
    PointSpec base;
    point_defaults(&base);
    if (arch_load(&base.accel, arch, &e) != QA_OK)
        goto fail;
    if (bw) {
        double g;
        if (!strcmp(bw, "unlimited"))
            g = 0;
        else if (qa_parse_double(bw, &g) != QA_OK || g <= 0) {
            err_set(&e, NULL, 0, "--bw", "'%s' is not GB/s or \"unlimited\"", bw);
            goto fail;
        }
        base.accel.dram_gbps = g;
    }
    Dataset tr, te;
    if (idx_load_fashion(&tr, &te, data, &e) != QA_OK)
        goto fail;
    idx_free(&tr);
    if (limit > 0 && limit < te.n)
        idx_truncate(&te, (int)limit);
    int n = argc - optind;
    TradeoffRow *rows = qa_calloc((size_t)n, sizeof *rows);
    if (!rows) {
        idx_free(&te);
        err_set(&e, NULL, 0, NULL, "out of memory");
        goto fail;
    }
    for (int i = 0; i < n; i++)
        if (tradeoff_row(argv[optind + i], &te, &base, &rows[i], &e) != QA_OK) {
            free(rows);
            idx_free(&te);
            goto fail;
        }
    printf("accuracy vs speed on %s, Fashion-MNIST test set (%d images)\n",
           base.accel.name, te.n);
    printf("%-8s %9s %9s %10s %10s %12s %12s\n", "bits", "accuracy", "fakequant",
           "speedup", "TOPS/mm2", "R50 speedup", "R50 TOPS/mm2");
    if (float_acc > 0)
        printf("%-8s %8.2f%% %9s %10s %10s %12s %12s\n", "float", float_acc, "-", "-", "-",
               "-", "-");
    for (int i = 0; i < n; i++) {
        const TradeoffRow *r = &rows[i];
        char b[16], fq[16] = "-";
        snprintf(b, sizeof b, "W%dA%d", r->w_bits, r->a_bits);
        if (r->fq_acc >= 0)
            snprintf(fq, sizeof fq, "%.2f%%", r->fq_acc);
        printf("%-8s %8.2f%% %9s %9.3fx %10.4f %11.3fx %12.4f\n", b, r->acc, fq, r->speedup,
               r->tops_mm2, r->r50_speedup, r->r50_tops_mm2);
    }
    char path[1100];
    int rc = qa_mkdirs(out, &e);
    if (rc == QA_OK) {
        snprintf(path, sizeof path, "%s/tradeoff.csv", out);
        rc = write_table(path, rows, n, float_acc, 0, &e);
    }
    if (rc == QA_OK) {
        snprintf(path, sizeof path, "%s/tradeoff.dat", out);
        rc = write_table(path, rows, n, float_acc, 1, &e);
    }
    if (rc == QA_OK)
        rc = tradeoff_plot(out, "results/plots/tradeoff.gp", &e);
    free(rows);
    idx_free(&te);
    if (rc != QA_OK)
        goto fail;
    return 0;
fail:
    err_print(&e, stderr);
    return 1;
}
