/* cli_validate.c: `qarray validate`: an integer model file run on the
 * simulated chip in functional mode, batch by batch, each layer's outputs
 * compared with the integer reference; per-layer table, optional CSV. */
#include "models/analytic.h"
#include "models/tiling.h"
#include "quant/int/export.h"
#include "quant/train/idx.h"
#include "quant/rng.h"
#include "quant/int/safetensors.h"
#include "sim/cli/cli.h"
#include "sim/engine/func.h"

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
"      --exact-acc       every tile's partial sums in the accumulation order,\n"
"                        so max|acc| is exact on every layer (slower); by\n"
"                        default a bound stands in where it fits acc_bits\n"
"  -o, --out FILE.csv    per-layer results\n");
}

enum { O_INPUT = 256, O_SEED, O_DATASET, O_DATA, O_LIMIT, O_BATCH, O_ENGINE,
       O_DF, O_ACC, O_PE, O_FLIP, O_EXACT };

typedef struct {
    const char *model, *arch, *data, *out, *flip;
    long input, seed, limit, batch, acc_bits, pe_macs;
    int dataset, systemc, exact_acc;
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
        {"exact-acc", no_argument, 0, O_EXACT},
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
        case O_EXACT: o->exact_acc = 1; break;
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

/* What the whole run adds up per layer. */
typedef struct {
    FuncLayer f;
    int64_t cycles;
} Total;

static void add_layer(Total *t, const FuncLayer *f, int64_t cycles)
{
    FuncLayer *a = &t->f;
    if (a->mismatches == 0 && f->mismatches > 0) {
        memcpy(a->first, f->first, sizeof a->first);
        a->got = f->got, a->want = f->want;
    }
    a->mismatches += f->mismatches;
    a->elems += f->elems;
    a->max_acc = QA_MAX(a->max_acc, f->max_acc);
    a->max_sum = QA_MAX(a->max_sum, f->max_sum);
    a->exact_tiles += f->exact_tiles, a->fast_tiles += f->fast_tiles;
    a->acc_bits_needed = QA_MAX(a->acc_bits_needed, f->acc_bits_needed);
    a->overflow |= f->overflow;
    a->macs += f->macs, a->tiles += f->tiles;
    a->pe_tiles += f->pe_tiles, a->pe_macs += f->pe_macs;
    a->pe_mismatches += f->pe_mismatches;
    a->pe_cycles += f->pe_cycles, a->sys_cycles += f->sys_cycles;
    a->pe_max_acc = QA_MAX(a->pe_max_acc, f->pe_max_acc);
    a->pe_max_want = QA_MAX(a->pe_max_want, f->pe_max_want);
    t->cycles += cycles;
}

/* The chip's run of one batch; totals, chip predictions and reference
 * predictions (n each) updated. first_image numbers the mismatches. */
typedef struct {
    const Opts *o;
    const Accel *a;
    const INet *ref;
    Total *tot;
    int *chip_pred, *ref_pred;
    int64_t cycles;
} Job;

static int run_batch(Job *j, const uint8_t *images, int n, int64_t first_image,
                     Err *e)
{
    Net net;
    TileSchedule ts;
    FuncChip *f = NULL;
    RunStats rs;
    memset(&rs, 0, sizeof rs);
    memset(&ts, 0, sizeof ts);
    int rc = QA_ERR;
    if (func_net(j->ref, n, &net, e) != QA_OK)
        return QA_ERR;
    if (tile_map_net(j->a, &net, &ts, e) != QA_OK)
        goto done;
    FuncOptions fo = {j->o->pe_macs, j->o->exact_acc};
    if (func_init(&f, j->a, j->ref, &net, &ts, &fo, e) != QA_OK ||
        func_set_images(f, images, e) != QA_OK)
        goto done;
    if (j->o->flip) {
        char name[64];
        long long idx;
        int bit, used = 0;
        if (sscanf(j->o->flip, "%63[^:]:%lld:%d%n", name, &idx, &bit, &used) != 3 ||
            j->o->flip[used] != '\0') {
            err_set(e, NULL, 0, "--flip", "'%s' is not LAYER:INDEX:BIT", j->o->flip);
            goto done;
        }
        int l = net_find(&net, name);
        if (l < 0) {
            err_set(e, NULL, 0, "--flip", "no layer '%s' in the model", name);
            goto done;
        }
        if (func_flip_weight(f, l, idx, bit, e) != QA_OK)
            goto done;
    }
    if (j->o->systemc) {
        SimFunctional h = func_sim_hooks(f);
        SimOptions so = {NULL, 0, SIM_ARB_ROUND_ROBIN, &h};
        if (sim_run(j->a, &ts, &so, &rs, e) != QA_OK)
            goto done;
    } else {
        if (func_run(f, e) != QA_OK || func_compare(f, e) != QA_OK ||
            analytic_run(j->a, &net, &ts, &rs, e) != QA_OK)
            goto done;
    }
    const FuncLayer *fl = func_layers(f);
    for (int l = 0; l < net.n; l++) {
        FuncLayer x = fl[l];
        x.first[0] += x.mismatches ? first_image : 0;
        add_layer(&j->tot[l], &x, rs.layers[l].cycles);
    }
    j->cycles += rs.cycles;
    const int64_t *lg = func_logits(f);
    int classes = j->ref->classes;
    for (int i = 0; i < n; i++) {
        int best = 0;
        for (int k = 1; k < classes; k++)
            if (lg[(size_t)i * classes + k] > lg[(size_t)i * classes + best])
                best = k;
        j->chip_pred[first_image + i] = best;
        j->ref_pred[first_image + i] = func_ref_pred(f)[i];
    }
    rc = QA_OK;
done:
    stats_free(&rs);
    func_free(f);
    tile_free(&ts);
    net_free(&net);
    return rc;
}

static void print_table(const Net *net, const Total *tot, const Accel *a)
{
    printf("%-22s %-7s %6s %10s %10s %9s %12s %9s %12s\n", "layer", "op", "tiles",
           "mismatch", "outputs", "max|acc|", "bits/acc", "pe tiles", "cycles");
    for (int l = 0; l < net->n; l++) {
        const Layer *ly = &net->layers[l];
        const FuncLayer *f = &tot[l].f;
        char bits[24] = "-", pe[24] = "-", mx[24] = "-";
        if (layer_on_array(ly)) {
            /* not every tile's partial sums ran in order: max|acc| is a
             * bound ("<="), the bits lie between those of the largest
             * final sum and the bound's */
            int exact = f->exact_tiles == f->tiles;
            int lo = 1;
            while (lo < 64 && (f->max_sum >> (lo - 1)) != 0)
                lo++;
            snprintf(mx, sizeof mx, "%s%lld", exact ? "" : "<=", (long long)f->max_acc);
            if (exact || lo >= f->acc_bits_needed)
                snprintf(bits, sizeof bits, "%d/%d%s", f->acc_bits_needed, a->acc_bits,
                         f->overflow ? " OVF" : "");
            else
                snprintf(bits, sizeof bits, "%d..%d/%d", lo, f->acc_bits_needed, a->acc_bits);
            snprintf(pe, sizeof pe, "%lld%s", (long long)f->pe_tiles,
                     f->pe_mismatches || f->pe_cycles != f->sys_cycles ||
                     f->pe_max_acc != f->pe_max_want ? " BAD" : "");
        }
        printf("%-22.22s %-7s %6lld %10lld %10lld %9s %12s %9s %12lld\n", ly->name,
               layer_op_name(ly->op), (long long)f->tiles, (long long)f->mismatches,
               (long long)f->elems, mx, bits, pe, (long long)tot[l].cycles);
    }
}

static int write_csv(const char *path, const Net *net, const Total *tot, const Accel *a,
                     Err *e)
{
    AtomicFile af;
    if (qa_afile_open(&af, path, e) != QA_OK)
        return QA_ERR;
    fprintf(af.f, "layer,op,tiles,macs,outputs,mismatches,first_image,first_k,first_p,"
                  "first_q,max_abs_acc,acc_bits_needed,acc_bits,overflow,pe_tiles,pe_macs,"
                  "pe_mismatches,pe_cycles,sys_cycles,pe_max_abs_acc,cycles,acc_exact,"
                  "max_abs_sum,fast_tiles\n");
    for (int l = 0; l < net->n; l++) {
        const FuncLayer *f = &tot[l].f;
        fprintf(af.f, "%s,%s,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%d,%d,%d,%lld,"
                "%lld,%lld,%lld,%lld,%lld,%lld,%d,%lld,%lld\n", net->layers[l].name,
                layer_op_name(net->layers[l].op), (long long)f->tiles, (long long)f->macs,
                (long long)f->elems, (long long)f->mismatches, (long long)f->first[0],
                (long long)f->first[1], (long long)f->first[2], (long long)f->first[3],
                (long long)f->max_acc, f->acc_bits_needed, a->acc_bits, f->overflow,
                (long long)f->pe_tiles, (long long)f->pe_macs, (long long)f->pe_mismatches,
                (long long)f->pe_cycles, (long long)f->sys_cycles, (long long)f->pe_max_acc,
                (long long)tot[l].cycles, f->exact_tiles == f->tiles, (long long)f->max_sum,
                (long long)f->fast_tiles);
    }
    return qa_afile_commit(&af, e);
}

/* The images to run: Fashion-MNIST test images or seeded random codes. */
static int load_images(const Opts *o, const INet *ref, uint8_t **images,
                       uint8_t **labels, int *n, Err *e)
{
    size_t per = (size_t)ref->in_C * ref->in_H * ref->in_W;
    *images = NULL, *labels = NULL;
    if (o->dataset) {
        if (ref->in_C != 1 || ref->in_H != 28 || ref->in_W != 28 || ref->in_bits != 8)
            return err_set(e, o->model, 0, "input", "the model reads %dx%dx%d %d-bit "
                           "images, Fashion-MNIST is 1x28x28 8-bit", ref->in_C, ref->in_H,
                           ref->in_W, ref->in_bits);
        Dataset tr, te;
        if (idx_load_fashion(&tr, &te, o->data, e) != QA_OK)
            return QA_ERR;
        idx_free(&tr);
        if (o->limit > 0 && o->limit < te.n)
            idx_truncate(&te, (int)o->limit);
        *images = te.images, *labels = te.labels, *n = te.n;
        return QA_OK;
    }
    *n = (int)o->input;
    *images = qa_malloc(per * (size_t)*n);
    if (!*images)
        return err_set(e, NULL, 0, NULL, "out of memory");
    Rng r;
    rng_seed(&r, (uint64_t)o->seed);
    for (size_t i = 0; i < per * (size_t)*n; i++)
        (*images)[i] = (uint8_t)(rng_u64(&r) % ((uint64_t)1 << ref->in_bits));
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
    Accel a;
    INet ref;
    Net shape;
    uint8_t *images = NULL, *labels = NULL;
    int *chip_pred = NULL, *ref_pred = NULL;
    Total *tot = NULL;
    int rc = 1, n = 0;
    intref_init(&ref);
    net_init(&shape, "model");
    if (arch_load(&a, o.arch, &e) != QA_OK)
        goto fail;
    if (o.df && arch_dataflow_parse(o.df, &a.dataflow) != QA_OK) {
        err_set(&e, NULL, 0, "--dataflow", "'%s' is not ws, os or is", o.df);
        goto fail;
    }
    if (o.acc_bits)
        a.acc_bits = (int)o.acc_bits;
    if (arch_validate(&a, o.arch, &e) != QA_OK || export_load(&ref, o.model, &e) != QA_OK ||
        func_net(&ref, 1, &shape, &e) != QA_OK ||
        load_images(&o, &ref, &images, &labels, &n, &e) != QA_OK)
        goto fail;
    chip_pred = qa_calloc((size_t)n, sizeof *chip_pred);
    ref_pred = qa_calloc((size_t)n, sizeof *ref_pred);
    tot = qa_calloc((size_t)shape.n, sizeof *tot);
    if (!chip_pred || !ref_pred || !tot) {
        err_set(&e, NULL, 0, NULL, "out of memory");
        goto fail;
    }
    Job j = {&o, &a, &ref, tot, chip_pred, ref_pred, 0};
    size_t per = (size_t)ref.in_C * ref.in_H * ref.in_W;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < n; i += (int)o.batch) {
        int b = QA_MIN((int)o.batch, n - i);
        if (run_batch(&j, images + per * i, b, i, &e) != QA_OK)
            goto fail;
        qa_progress("validate", i + b, n);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double wall = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);

    printf("%s on %s (%s, %s dataflow, %d-bit accumulators): %d image%s, batch %ld\n",
           o.model, a.name, o.systemc ? "SystemC cores" : "C functional model",
           arch_dataflow_name(a.dataflow), a.acc_bits, n, n == 1 ? "" : "s", o.batch);
    print_table(&shape, tot, &a);
    int64_t mism = 0, pe_bad = 0, macs = 0, pe_tiles = 0, elems = 0;
    int ovf = 0, first_bad = -1;
    for (int l = 0; l < shape.n; l++) {
        const FuncLayer *f = &tot[l].f;
        mism += f->mismatches, macs += f->macs, pe_tiles += f->pe_tiles;
        elems += f->elems;
        ovf += f->overflow;
        pe_bad += f->pe_mismatches + (f->pe_cycles != f->sys_cycles) +
                  (f->pe_max_acc != f->pe_max_want);
        if (first_bad < 0 && (f->mismatches || f->overflow))
            first_bad = l;
    }
    int agree = 0, correct = 0, ref_correct = 0;
    for (int i = 0; i < n; i++) {
        agree += chip_pred[i] == ref_pred[i];
        if (labels) {
            correct += chip_pred[i] == labels[i];
            ref_correct += ref_pred[i] == labels[i];
        }
    }
    printf("layers %d (%d on the array), outputs compared %lld, mismatches %lld, "
           "overflowing layers %d\n", shape.n, net_array_layers(&shape),
           (long long)elems, (long long)mism, ovf);
    printf("PE-level array: %lld tiles re-run, %s\n", (long long)pe_tiles,
           pe_bad ? "DISAGREES with the functional model" :
                    "same outputs, cycles and largest partial sums");
    printf("cycles %lld for %d image%s; %.3g MACs on the chip; %.2f s wall for the "
           "whole validation\n", (long long)j.cycles, n, n == 1 ? "" : "s", (double)macs,
           wall);
    printf("predicted class: chip == integer reference on %d of %d images\n", agree, n);
    if (labels) {
        /* the accuracies the training run wrote into the model file */
        StFile sf;
        Err se;
        const char *fq = NULL, *ia = NULL;
        int have = st_read(&sf, o.model, &se) == QA_OK;
        if (have) {
            fq = st_meta(&sf, "test_acc_fake_quant");
            ia = st_meta(&sf, "test_acc_integer");
        }
        printf("accuracy: chip %.2f %%, integer reference %.2f %%", 100.0 * correct / n,
               100.0 * ref_correct / n);
        if (fq)
            printf(", fake-quant %s %% (model file)", fq);
        if (ia)
            printf(", integer at export %s %% (model file)", ia);
        printf("\n");
        if (have)
            st_close(&sf);
    }
    if (o.out && write_csv(o.out, &shape, tot, &a, &e) != QA_OK)
        goto fail;
    if (first_bad >= 0) {
        const FuncLayer *f = &tot[first_bad].f;
        if (f->mismatches)
            err_set(&e, o.model, 0, shape.layers[first_bad].name, "%lld outputs differ from "
                    "the integer reference, first at image %lld channel %lld row %lld "
                    "column %lld: chip %lld, reference %lld", (long long)f->mismatches,
                    (long long)f->first[0], (long long)f->first[1], (long long)f->first[2],
                    (long long)f->first[3], (long long)f->got, (long long)f->want);
        else
            err_set(&e, o.model, 0, shape.layers[first_bad].name, "accumulator overflow: "
                    "partial sums need %d bits, the chip has %d", f->acc_bits_needed,
                    a.acc_bits);
        err_print(&e, stderr);
    } else if (pe_bad) {
        err_set(&e, o.model, 0, "pe_ref", "the PE-level array disagrees with the "
                "functional model");
        err_print(&e, stderr);
    } else {
        rc = 0;
    }
    goto done;
fail:
    err_print(&e, stderr);
done:
    free(images), free(labels), free(chip_pred), free(ref_pred), free(tot);
    net_free(&shape);
    intref_free(&ref);
    return rc;
}
