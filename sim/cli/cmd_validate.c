/* cmd_validate.c: `qarray validate`: an integer model file run on the
 * simulated chip in functional mode (sim/engine/validate.h), its per-layer
 * table, the summary, and optionally the per-layer CSV. */
#include "quant/int/export.h"
#include "quant/int/safetensors.h"
#include "quant/train/idx.h"
#include "sim/cli/args.h"
#include "sim/cli/cmd.h"
#include "sim/engine/validate.h"
#include "sim/study/point.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    const char *model, *arch, *data, *out, *flip;
    int input, limit, batch, dataset, engine, exact_acc;
    int64_t seed, pe_macs, pe_tiles;
} ValidateOpts;

static const ArgOpt opts[] = {
    ARGS_OPT_MODEL(ValidateOpts, model, "integer model file (qarray train --export,\n"
                   "qarray quantize)", ARG_REQUIRED),
    ARGS_OPT_ARCH(ValidateOpts, arch),
    ARGS_OPT_CHIP,
    {.name = "acc-bits", .kind = ARG_CHIP, .key = "core.acc_bits", .meta = "N",
     .help = "accumulator width of a PE"},
    {.name = "input", .kind = ARG_INT, .off = offsetof(ValidateOpts, input), .meta = "N",
     .help = "N seeded random input images", .lo = 1, .hi = 1000000, .def = "1"},
    ARGS_OPT_SEED(ValidateOpts, seed, "seed of those images"),
    {.name = "dataset", .kind = ARG_FLAG, .off = offsetof(ValidateOpts, dataset),
     .help = "the Fashion-MNIST test set instead (1x28x28 models)"},
    ARGS_OPT_DATA(ValidateOpts, data),
    ARGS_OPT_LIMIT(ValidateOpts, limit),
    ARGS_OPT_BATCH(ValidateOpts, batch, 4096, "1", "images per simulated run"),
    ARGS_OPT_ENGINE(ValidateOpts, engine, "systemc",
                    "systemc: the SystemC cores compute the tiles;\n"
                    "analytic: the same tiles in schedule order, cycles\n"
                    "from the analytic model"),
    {.name = "pe-macs", .kind = ARG_I64, .off = offsetof(ValidateOpts, pe_macs),
     .meta = "N", .help = "tiles the PE-level array may re-run: those of up to\n"
     "N MACs, and the first and last tile of each core on\ntheir leading part (0: off)",
     .lo = 0, .hi = 1099511627776.0, .def = "65536"},
    {.name = "pe-tiles", .kind = ARG_I64, .off = offsetof(ValidateOpts, pe_tiles),
     .meta = "N", .help = "of those, re-run N per simulated run, spread over\n"
     "the layers from the seed (0: all of them)",
     .lo = 0, .hi = 1099511627776.0, .def = "8"},
    {.name = "flip", .kind = ARG_STR, .off = offsetof(ValidateOpts, flip),
     .meta = "L:I:B", .help = "fault injection: flip bit B of weight code I of\n"
     "layer L (a name) in the chip's copy"},
    {.name = "exact-acc", .kind = ARG_FLAG, .off = offsetof(ValidateOpts, exact_acc),
     .help = "every tile's partial sums in the accumulation order,\n"
     "so max|acc| is exact on every layer (slower); by\n"
     "default a bound stands in where it fits acc_bits"},
    ARGS_OPT_OUT(ValidateOpts, out, "FILE.csv", "per-layer results", ARG_OUT),
};

#define RANDOM_ONLY "--dataset runs the test set, not random images"
static const ArgRule rules[] = {
    {ARG_CONFLICTS, "input", "dataset", NULL, RANDOM_ONLY},
    {ARG_CONFLICTS, "seed", "dataset", NULL, RANDOM_ONLY},
    {ARG_REQUIRES, "limit", "dataset", NULL, "it counts test images"},
    {ARG_REQUIRES, "data", "dataset", NULL, "the test set's folder"},
};

static void print_table(const ValResult *r, const Accel *a)
{
    printf("%-22s %-7s %6s %10s %10s %9s %12s %9s %12s\n", "layer", "op", "tiles",
           "mismatch", "outputs", "max|acc|", "bits/acc", "pe tiles", "cycles");
    for (int l = 0; l < r->shape.n; l++) {
        const Layer *ly = &r->shape.layers[l];
        const FuncLayer *f = &r->layers[l].f;
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
            snprintf(pe, sizeof pe, "%lld/%lld%s", (long long)f->pe_tiles,
                     (long long)f->pe_eligible,
                     f->pe_mismatches || f->pe_cycles != f->sys_cycles ||
                     f->pe_max_acc != f->pe_max_want ? " BAD" : "");
        }
        printf("%-22.22s %-7s %6lld %10lld %10lld %9s %12s %9s %12lld\n", ly->name,
               layer_op_name(ly->op), (long long)f->tiles, (long long)f->mismatches,
               (long long)f->elems, mx, bits, pe, (long long)r->layers[l].cycles);
    }
}

/* One row of the per-layer CSV (-o): a layer's FuncLayer, its name and
 * op, the chip's accumulator width and the layer's cycles. */
typedef struct {
    char layer[LAYER_NAME_MAX];
    const char *op;
    FuncLayer f;
    int acc_bits;
    int64_t cycles;
    int acc_exact;
} ValRow;

#define V_(f) offsetof(ValRow, f)
#define F_(m) (offsetof(ValRow, f) + offsetof(FuncLayer, m))
static const CsvCol val_cols[] = {
    CSV_COL("layer", CSV_STR, V_(layer), "", "layer name"),
    CSV_COL("op", CSV_PSTR, V_(op), "", "conv, fc, add, maxpool, avgpool"),
    CSV_COL("tiles", CSV_I64, F_(tiles), "", "tiles the chip computed"),
    CSV_COL("macs", CSV_I64, F_(macs), "", "MACs the chip computed"),
    CSV_COL("outputs", CSV_I64, F_(elems), "", "output elements compared"),
    CSV_COL("mismatches", CSV_I64, F_(mismatches), "", "outputs that differ from the reference"),
    CSV_COL("first_image", CSV_I64, F_(first[0]), "", "first mismatch: image"),
    CSV_COL("first_k", CSV_I64, F_(first[1]), "", "first mismatch: channel"),
    CSV_COL("first_p", CSV_I64, F_(first[2]), "", "first mismatch: row"),
    CSV_COL("first_q", CSV_I64, F_(first[3]), "", "first mismatch: column"),
    CSV_COL("max_abs_acc", CSV_I64, F_(max_acc), "", "largest partial sum held"),
    CSV_COL("acc_bits_needed", CSV_INT, F_(acc_bits_needed), "bits", "signed bits that hold it"),
    CSV_COL("acc_bits", CSV_INT, V_(acc_bits), "bits", "the chip's accumulators"),
    CSV_COL("overflow", CSV_INT, F_(overflow), "", "1: acc_bits_needed > acc_bits"),
    CSV_COL("pe_tiles", CSV_I64, F_(pe_tiles), "", "tiles re-run on the PE-level array"),
    CSV_COL("pe_macs", CSV_I64, F_(pe_macs), "", "their MACs"),
    CSV_COL("pe_mismatches", CSV_I64, F_(pe_mismatches), "", "PE-level outputs that differ"),
    CSV_COL("pe_cycles", CSV_I64, F_(pe_cycles), "cycles", "PE-level cycles of those tiles"),
    CSV_COL("sys_cycles", CSV_I64, F_(sys_cycles), "cycles", "closed-form cycles of the same GEMMs"),
    CSV_COL("pe_max_abs_acc", CSV_I64, F_(pe_max_acc), "", "largest partial sum on the PE-level array"),
    CSV_COL("cycles", CSV_I64, V_(cycles), "cycles", "the layer's simulated cycles"),
    CSV_COL("acc_exact", CSV_INT, V_(acc_exact), "", "1: max_abs_acc is exact, 0: an upper bound"),
    CSV_COL("max_abs_sum", CSV_I64, F_(max_sum), "", "largest final sum of an output"),
    CSV_COL("fast_tiles", CSV_I64, F_(fast_tiles), "", "tiles summed by oneDNN's product"),
};
#undef V_
#undef F_
static const CsvTable val_table = CSV_TABLE(val_cols);

/* The per-layer CSV (-o), through the CSV writer (a layer name is a user
 * string of the model file). */
static int write_csv(const char *path, const ValResult *r, const Accel *a, Err *e)
{
    ValRow *rows = qa_calloc((size_t)QA_MAX(r->shape.n, 1), sizeof *rows);
    if (!rows)
        return err_set(e, path, 0, NULL, "out of memory");
    for (int l = 0; l < r->shape.n; l++) {
        snprintf(rows[l].layer, sizeof rows[l].layer, "%s", r->shape.layers[l].name);
        rows[l].op = layer_op_name(r->shape.layers[l].op);
        rows[l].f = r->layers[l].f;
        rows[l].acc_bits = a->acc_bits;
        rows[l].cycles = r->layers[l].cycles;
        rows[l].acc_exact = r->layers[l].f.exact_tiles == r->layers[l].f.tiles;
    }
    int rc = csv_write(path, &val_table, rows, sizeof *rows, r->shape.n, e);
    free(rows);
    return rc;
}

/* The images to run: Fashion-MNIST test images (labels too) or seeded
 * random codes (*labels NULL). */
static int load_images(const ValidateOpts *o, const INet *ref, uint8_t **images,
                       uint8_t **labels, int *n, Err *e)
{
    *images = NULL, *labels = NULL;
    if (!o->dataset) {
        *n = o->input;
        return validate_random_images(ref, (uint64_t)o->seed, *n, images, e);
    }
    if (ref->in_C != 1 || ref->in_H != 28 || ref->in_W != 28 || ref->in_bits != 8)
        return err_set(e, o->model, 0, "input", "the model reads %dx%dx%d %d-bit "
                       "images, Fashion-MNIST is 1x28x28 8-bit", ref->in_C, ref->in_H,
                       ref->in_W, ref->in_bits);
    Dataset te;
    if (idx_load_fashion_test(&te, o->data, e) != QA_OK)
        return QA_ERR;
    if (o->limit > 0)
        idx_truncate(&te, o->limit);
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

/* The summary after the per-layer table. */
static void print_summary(const ValResult *r, double wall)
{
    printf("layers %d (%d on the array), outputs compared %lld, mismatches %lld, "
           "overflowing layers %d\n", r->shape.n, net_array_layers(&r->shape),
           (long long)r->elems, (long long)r->mismatches, r->overflows);
    printf("PE-level array: %lld of %lld eligible tiles re-run (%lld MACs), %s\n",
           (long long)r->pe_tiles, (long long)r->pe_eligible, (long long)r->pe_macs,
           r->pe_bad ? "DISAGREES with the functional model" :
                       "same outputs, cycles and largest partial sums");
    printf("cycles %lld for %d image%s; %.3g MACs on the chip; %.2f s wall for the "
           "whole validation\n", (long long)r->cycles, r->n, r->n == 1 ? "" : "s",
           (double)r->macs, wall);
    printf("predicted class: chip == integer reference on %d of %d images\n", r->agree,
           r->n);
}

static int run(const Args *a, void *obj, Err *e)
{
    const ValidateOpts *o = obj;
    ValOptions vo = {o->batch, o->engine == ENGINE_SYSTEMC, o->pe_macs, NULL, 0, 0,
                     o->exact_acc, o->pe_tiles, (uint64_t)o->seed};
    char flip_layer[64];
    if (o->flip && parse_flip(o->flip, flip_layer, sizeof flip_layer, &vo, e) != QA_OK)
        return ARGS_USAGE;
    Accel acc;
    INet ref;
    ValResult r;
    uint8_t *images = NULL, *labels = NULL;
    int n = 0, rc = QA_ERR;
    intref_init(&ref);
    memset(&r, 0, sizeof r); /* validate_free takes it as it is */
    struct timespec t0, t1;
    if (args_load_chip(a, o->arch, &acc, e) != QA_OK ||
        export_load(&ref, o->model, e) != QA_OK ||
        load_images(o, &ref, &images, &labels, &n, e) != QA_OK)
        goto done;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (validate_run(&acc, &ref, images, n, &vo, &r, e) != QA_OK)
        goto done;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("%s on %s (%s, %s dataflow, %d-bit accumulators): %d image%s, batch %d\n",
           o->model, acc.name, vo.systemc ? "SystemC cores" : "analytic engine",
           arch_dataflow_name(acc.dataflow), acc.acc_bits, n, n == 1 ? "" : "s", o->batch);
    print_table(&r, &acc);
    double wall = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    print_summary(&r, wall);
    if (labels)
        print_accuracy(&r, labels, o->model);
    /* The CSV is the report of a failed validation too. */
    if (o->out && write_csv(o->out, &r, &acc, e) != QA_OK)
        goto done;
    rc = validate_verdict(&r, &acc, o->model, e);
done:
    free(images), free(labels);
    validate_free(&r);
    intref_free(&ref);
    return rc;
}

const ArgCmd cmd_validate = {
    .name = "validate",
    .summary = "run an integer model on the chip, bit-exact against the reference",
    .about =
        "Runs the integer network of a model file on the simulated chip in functional\n"
        "mode: every tile of the mapper's schedule is computed on the real integer\n"
        "codes by the cores, accumulators are checked against the chip's acc_bits,\n"
        "and every layer's outputs are compared with the integer reference\n"
        "(quant/int/intref.h). Prints per layer the mismatches, the largest partial\n"
        "sum (\"<=\": a bound, exact wherever it overflows; --exact-acc: exact), the\n"
        "PE-level cross-check and the cycles. Exit status 1 if any output differs\n"
        "or any accumulator overflows.",
    .opts = opts, .nopts = (int)QA_COUNT(opts),
    .rules = rules, .nrules = (int)QA_COUNT(rules),
    .size = sizeof(ValidateOpts),
    .run = run,
};
