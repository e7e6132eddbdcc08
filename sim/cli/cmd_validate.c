/* cmd_validate.c: `qarray validate`: an integer model file run on the
 * simulated chip in functional mode (sim/engine/validate.h), its per-layer
 * table, the summary, and optionally the per-layer CSV. */
#include "quant/int/export.h"
#include "quant/int/safetensors.h"
#include "quant/train/idx.h"
#include "sim/cli/cmd.h"
#include "sim/engine/validate.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage(FILE *f)
{
    fprintf(f,
"usage: qarray validate -m MODEL.safetensors [-c ARCH] [--input N | --dataset]\n"
"                       [options]\n"
"Runs the integer network of MODEL (qarray train --export, qarray quantize)\n"
"on the simulated chip in functional mode: every tile of the mapper's\n"
"schedule is computed on the real integer codes by the cores, accumulators\n"
"are checked against the chip's acc_bits, and every layer's outputs are\n"
"compared with the integer reference (quant/int/intref.h). Prints per layer the\n"
"mismatches, the largest partial sum, the PE-level cross-check and the\n"
"cycles. Exit status 1 if any output differs or any accumulator overflows.\n\n"
"  -m, --model FILE      integer model (safetensors)\n"
"  -c, --arch FILE       architecture file (default arch/pact2018.cfg)\n"
"      --input N         N seeded random input images (default 1)\n"
"      --seed S          seed of those images (default 1)\n"
"      --dataset         the Fashion-MNIST test set instead (1x28x28 models)\n"
"      --data DIR        its folder (default $QARRAY_FASHION_MNIST, else the\n"
"                        Debian path)\n"
"      --limit N         the first N test images only\n"
"      --batch N         images per simulated run (default 1, max 4096)\n"
"      --engine E        systemc (default): the SystemC cores compute the\n"
"                        tiles; c: the same tiles in schedule order, cycles\n"
"                        from the analytic model\n"
"      --dataflow D      override the dataflow: ws, os, is\n"
"      --acc-bits N      override the accumulator width (4..64)\n"
"      --pe-macs N       re-run tiles of up to N MACs on the PE-level array,\n"
"                        and the first and last tile of each core on their\n"
"                        leading part (default 65536; 0: off)\n"
"      --flip L:I:B      fault injection: flip bit B of weight code I of\n"
"                        layer L (a name) in the chip's copy\n"
"  -o, --out FILE.csv    per-layer results\n");
}

enum { O_INPUT = 256, O_SEED, O_DATASET, O_DATA, O_LIMIT, O_BATCH, O_ENGINE,
       O_DF, O_ACC, O_PE, O_FLIP };

typedef struct {
    const char *model, *arch, *data, *out, *flip;
    long input, seed, limit, batch, acc_bits, pe_macs;
    int dataset, systemc;
    const char *df;
} Opts;

static int flag_err(const char *flag, const char *val, const char *want)
{
    Err e;
    err_set(&e, NULL, 0, flag, "'%s' is not %s", val, want);
    err_print(&e, stderr);
    return 2;
}

static int parse(int argc, char **argv, Opts *o)
{
    static const struct option opts[] = {
        {"model", required_argument, 0, 'm'}, {"arch", required_argument, 0, 'c'},
        {"input", required_argument, 0, O_INPUT}, {"seed", required_argument, 0, O_SEED},
        {"dataset", no_argument, 0, O_DATASET}, {"data", required_argument, 0, O_DATA},
        {"limit", required_argument, 0, O_LIMIT}, {"batch", required_argument, 0, O_BATCH},
        {"engine", required_argument, 0, O_ENGINE},
        {"dataflow", required_argument, 0, O_DF},
        {"acc-bits", required_argument, 0, O_ACC}, {"pe-macs", required_argument, 0, O_PE},
        {"flip", required_argument, 0, O_FLIP}, {"out", required_argument, 0, 'o'},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    o->arch = "arch/pact2018.cfg";
    o->input = 1, o->seed = 1, o->batch = 1, o->pe_macs = 65536, o->systemc = 1;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":m:c:o:h", opts, NULL)) != -1) {
        long v = 0;
        switch (c) {
        case 'm': o->model = optarg; break;
        case 'c': o->arch = optarg; break;
        case 'o': o->out = optarg; break;
        case O_DATASET: o->dataset = 1; break;
        case O_DATA: o->data = optarg; break;
        case O_FLIP: o->flip = optarg; break;
        case O_DF: o->df = optarg; break;
        case O_ENGINE:
            if (strcmp(optarg, "systemc") && strcmp(optarg, "c"))
                return flag_err("--engine", optarg, "systemc or c");
            o->systemc = !strcmp(optarg, "systemc");
            break;
        case O_INPUT: case O_SEED: case O_LIMIT: case O_BATCH: case O_ACC: case O_PE: {
            static const struct { int opt; const char *name; long lo, hi; } lim[] = {
                {O_INPUT, "--input", 1, 1000000}, {O_SEED, "--seed", 0, 2147483647},
                {O_LIMIT, "--limit", 1, 1000000}, {O_BATCH, "--batch", 1, 4096},
                {O_ACC, "--acc-bits", 4, 64}, {O_PE, "--pe-macs", 0, 1L << 40}};
            size_t i = 0;
            while (lim[i].opt != c)
                i++;
            char want[64];
            snprintf(want, sizeof want, "an integer in %ld..%ld", lim[i].lo, lim[i].hi);
            if (qa_parse_long(optarg, &v) != QA_OK || v < lim[i].lo || v > lim[i].hi)
                return flag_err(lim[i].name, optarg, want);
            if (c == O_INPUT) o->input = v;
            else if (c == O_SEED) o->seed = v;
            else if (c == O_LIMIT) o->limit = v;
            else if (c == O_BATCH) o->batch = v;
            else if (c == O_ACC) o->acc_bits = v;
            else o->pe_macs = v;
            break;
        }
        case 'h': usage(stdout); return 0;
        case ':': {
            Err e;
            err_set(&e, NULL, 0, argv[optind - 1], "needs a value");
            err_print(&e, stderr);
            return 2;
        }
        default: {
            Err e;
            err_set(&e, NULL, 0, argv[optind - 1], "unknown option (qarray validate --help)");
            err_print(&e, stderr);
            return 2;
        }
        }
    }
    if (optind < argc) {
        Err e;
        err_set(&e, NULL, 0, argv[optind], "unexpected argument");
        err_print(&e, stderr);
        return 2;
    }
    if (!o->model) {
        Err e;
        err_set(&e, NULL, 0, "--model", "required (qarray validate --help)");
        err_print(&e, stderr);
        return 2;
    }
    return -1;
}

static void print_table(const ValResult *r, const Accel *a)
{
    printf("%-22s %-7s %6s %10s %10s %9s %12s %9s %12s\n", "layer", "op", "tiles",
           "mismatch", "outputs", "max|acc|", "bits/acc", "pe tiles", "cycles");
    for (int l = 0; l < r->shape.n; l++) {
        const Layer *ly = &r->shape.layers[l];
        const FuncLayer *f = &r->layers[l].f;
        char bits[24] = "-", pe[24] = "-", mx[24] = "-";
        if (layer_on_array(ly)) {
            snprintf(mx, sizeof mx, "%lld", (long long)f->max_acc);
            snprintf(bits, sizeof bits, "%d/%d%s", f->acc_bits_needed, a->acc_bits,
                     f->overflow ? " OVF" : "");
            snprintf(pe, sizeof pe, "%lld%s", (long long)f->pe_tiles,
                     f->pe_mismatches || f->pe_cycles != f->sys_cycles ||
                     f->pe_max_acc != f->pe_max_want ? " BAD" : "");
        }
        printf("%-22.22s %-7s %6lld %10lld %10lld %9s %12s %9s %12lld\n", ly->name,
               layer_op_name(ly->op), (long long)f->tiles, (long long)f->mismatches,
               (long long)f->elems, mx, bits, pe, (long long)r->layers[l].cycles);
    }
}

/* The per-layer CSV (-o). */
static int write_csv(const char *path, const ValResult *r, const Accel *a, Err *e)
{
    AtomicFile af;
    if (qa_afile_open(&af, path, e) != QA_OK)
        return QA_ERR;
    fprintf(af.f, "layer,op,tiles,macs,outputs,mismatches,first_image,first_k,first_p,"
                  "first_q,max_abs_acc,acc_bits_needed,acc_bits,overflow,pe_tiles,pe_macs,"
                  "pe_mismatches,pe_cycles,sys_cycles,pe_max_abs_acc,cycles\n");
    for (int l = 0; l < r->shape.n; l++) {
        const FuncLayer *f = &r->layers[l].f;
        fprintf(af.f, "%s,%s,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%d,%d,%d,%lld,"
                "%lld,%lld,%lld,%lld,%lld,%lld\n", r->shape.layers[l].name,
                layer_op_name(r->shape.layers[l].op), (long long)f->tiles,
                (long long)f->macs, (long long)f->elems, (long long)f->mismatches,
                (long long)f->first[0], (long long)f->first[1], (long long)f->first[2],
                (long long)f->first[3], (long long)f->max_acc, f->acc_bits_needed,
                a->acc_bits, f->overflow, (long long)f->pe_tiles, (long long)f->pe_macs,
                (long long)f->pe_mismatches, (long long)f->pe_cycles,
                (long long)f->sys_cycles, (long long)f->pe_max_acc,
                (long long)r->layers[l].cycles);
    }
    return qa_afile_commit(&af, e);
}

/* The images to run: Fashion-MNIST test images (labels too) or seeded
 * random codes (*labels NULL). */
static int load_images(const Opts *o, const INet *ref, uint8_t **images,
                       uint8_t **labels, int *n, Err *e)
{
    *images = NULL, *labels = NULL;
    if (!o->dataset) {
        *n = (int)o->input;
        return validate_random_images(ref, (uint64_t)o->seed, *n, images, e);
    }
    if (ref->in_C != 1 || ref->in_H != 28 || ref->in_W != 28 || ref->in_bits != 8)
        return err_set(e, o->model, 0, "input", "the model reads %dx%dx%d %d-bit "
                       "images, Fashion-MNIST is 1x28x28 8-bit", ref->in_C, ref->in_H,
                       ref->in_W, ref->in_bits);
    Dataset tr, te;
    if (idx_load_fashion(&tr, &te, o->data, e) != QA_OK)
        return QA_ERR;
    idx_free(&tr);
    if (o->limit > 0)
        idx_truncate(&te, (int)o->limit);
    *images = te.images, *labels = te.labels, *n = te.n;
    return QA_OK;
}

/* The accuracies against the labels, and those the training run wrote
 * into the model file. */
static void print_accuracy(const ValResult *r, const uint8_t *labels, const char *model)
{
    int correct = 0, ref_correct = 0;
    for (int i = 0; i < r->n; i++) {
        correct += r->chip_pred[i] == labels[i];
        ref_correct += r->ref_pred[i] == labels[i];
    }
    StFile sf;
    Err ignore;
    const char *fq = NULL, *ia = NULL;
    int have = st_read(&sf, model, &ignore) == QA_OK;
    if (have) {
        fq = st_meta(&sf, "test_acc_fake_quant");
        ia = st_meta(&sf, "test_acc_integer");
    }
    printf("accuracy: chip %.2f %%, integer reference %.2f %%", 100.0 * correct / r->n,
           100.0 * ref_correct / r->n);
    if (fq)
        printf(", fake-quant %s %% (model file)", fq);
    if (ia)
        printf(", integer at export %s %% (model file)", ia);
    printf("\n");
    if (have)
        st_close(&sf);
}

/* --flip LAYER:INDEX:BIT into vo (the layer name points into buf). */
static int parse_flip(const char *text, char *buf, size_t size, ValOptions *vo, Err *e)
{
    long long idx;
    int bit, used = 0;
    char fmt[32];
    snprintf(fmt, sizeof fmt, "%%%zu[^:]:%%lld:%%d%%n", size - 1);
    if (sscanf(text, fmt, buf, &idx, &bit, &used) != 3 || text[used] != '\0')
        return err_set(e, NULL, 0, "--flip", "'%s' is not LAYER:INDEX:BIT", text);
    vo->flip_layer = buf, vo->flip_index = idx, vo->flip_bit = bit;
    return QA_OK;
}

int cli_validate(int argc, char **argv)
{
    Opts o;
    int prc = parse(argc, argv, &o);
    if (prc >= 0)
        return prc;
    Err e;
    err_clear(&e);
    ValOptions vo = {(int)o.batch, o.systemc, o.pe_macs, NULL, 0, 0};
    char flip_layer[64];
    Accel a;
    INet ref;
    ValResult r;
    uint8_t *images = NULL, *labels = NULL;
    int rc = 1, n = 0;
    intref_init(&ref);
    memset(&r, 0, sizeof r); /* validate_free takes it as it is */
    if (o.flip && parse_flip(o.flip, flip_layer, sizeof flip_layer, &vo, &e) != QA_OK)
        goto fail;
    if (arch_load(&a, o.arch, &e) != QA_OK)
        goto fail;
    if (o.df && arch_dataflow_parse(o.df, &a.dataflow) != QA_OK) {
        err_set(&e, NULL, 0, "--dataflow", "'%s' is not ws, os or is", o.df);
        goto fail;
    }
    if (o.acc_bits)
        a.acc_bits = (int)o.acc_bits;
    if (arch_validate(&a, o.arch, &e) != QA_OK || export_load(&ref, o.model, &e) != QA_OK ||
        load_images(&o, &ref, &images, &labels, &n, &e) != QA_OK)
        goto fail;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (validate_run(&a, &ref, images, n, &vo, &r, &e) != QA_OK)
        goto fail;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double wall = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);

    printf("%s on %s (%s, %s dataflow, %d-bit accumulators): %d image%s, batch %ld\n",
           o.model, a.name, vo.systemc ? "SystemC cores" : "C functional model",
           arch_dataflow_name(a.dataflow), a.acc_bits, n, n == 1 ? "" : "s", o.batch);
    print_table(&r, &a);
    printf("layers %d (%d on the array), outputs compared %lld, mismatches %lld, "
           "overflowing layers %d\n", r.shape.n, net_array_layers(&r.shape),
           (long long)r.elems, (long long)r.mismatches, r.overflows);
    printf("PE-level array: %lld tiles re-run, %s\n", (long long)r.pe_tiles,
           r.pe_bad ? "DISAGREES with the functional model" :
                      "same outputs, cycles and largest partial sums");
    printf("cycles %lld for %d image%s; %.3g MACs on the chip; %.2f s wall for the "
           "whole validation\n", (long long)r.cycles, n, n == 1 ? "" : "s",
           (double)r.macs, wall);
    printf("predicted class: chip == integer reference on %d of %d images\n", r.agree, n);
    if (labels)
        print_accuracy(&r, labels, o.model);
    if (o.out && write_csv(o.out, &r, &a, &e) != QA_OK)
        goto fail;
    if (validate_verdict(&r, &a, o.model, &e) == QA_OK)
        rc = 0;
    else
        err_print(&e, stderr);
    goto done;
fail:
    if (!e.file[0] && !strcmp(e.field, "flip"))
        snprintf(e.field, sizeof e.field, "--flip");
    err_print(&e, stderr);
done:
    free(images), free(labels);
    validate_free(&r);
    intref_free(&ref);
    return rc;
}
