/* cmd_net.c: `qarray net`: show a network's layers, shapes, MACs, weights
 * and per-layer bits after a bit policy; export it as a SCALE-Sim topology
 * CSV, or read one (or an ONNX model) instead of a built-in network.
 * Nothing is timed here. */
#include "sim/cli/args.h"
#include "sim/cli/cmd.h"
#include "workloads/net.h"
#include "workloads/onnx.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    const char *workload, *topo, *onnx, *out;
    ArgList input_shape;
    int batch;
    ArgBits bits;
    int first_last, shortcut;
} NetOpts;

static void list_networks(FILE *f)
{
    fprintf(f, "built-in networks: %s\n", net_builtin_names());
}

static const ArgOpt opts[] = {
    ARGS_OPT_WORKLOAD(NetOpts, workload, "resnet50", 0),
    {.name = "topo", .kind = ARG_STR, .off = offsetof(NetOpts, topo), .meta = "FILE",
     .help = "read a SCALE-Sim topology CSV instead", .flags = ARG_IN},
    {.name = "onnx", .kind = ARG_STR, .off = offsetof(NetOpts, onnx), .meta = "FILE",
     .help = "read an ONNX model instead", .flags = ARG_IN},
    {.name = "input-shape", .kind = ARG_LIST, .off = offsetof(NetOpts, input_shape),
     .meta = "NAME=DIMS", .help = "shape of an ONNX input, as input=1x3x224x224\n"
     "(needed when the model leaves a dimension open)"},
    ARGS_OPT_BATCH(NetOpts, batch, LAYER_BATCH_MAX, "1", "images per inference"),
    ARGS_OPT_BITS(NetOpts, bits, ARCH_MAX_BITS, "16", 0),
    ARGS_OPT_FIRST_LAST(NetOpts, first_last, 1, ARCH_MAX_BITS, NULL,
                        "bits of the first conv and last fc; default: as --bits"),
    ARGS_OPT_SHORTCUT_BITS(NetOpts, shortcut),
    ARGS_OPT_OUT(NetOpts, out, "FILE.csv", "export the conv/fc layers as a SCALE-Sim\n"
                 "topology CSV", ARG_OUT),
};

static const ArgRule rules[] = {
    {ARG_CONFLICTS, "topo", "workload", NULL, "give one network"},
    {ARG_CONFLICTS, "onnx", "workload", NULL, "give one network"},
    {ARG_CONFLICTS, "onnx", "topo", NULL, "give one network"},
    {ARG_REQUIRES, "input-shape", "onnx", NULL, NULL},
};

static void print_net(const Net *net, const NetOpts *o)
{
    printf("network %s: %d layers (%d conv/fc), batch %d, bits %d/%d",
           net->name, net->n, net_array_layers(net), o->batch, o->bits.w, o->bits.a);
    if (o->first_last)
        printf(", first/last %d", o->first_last);
    if (o->shortcut)
        printf(", shortcut %d", o->shortcut);
    printf("\n%3s %-20s %-7s %-7s %3s %5s %4s %4s %5s %2s %2s %2s %2s %4s "
           "%4s %13s %9s %2s %2s %2s\n",
           "id", "name", "op", "in", "N", "C", "H", "W", "K", "R", "S", "st",
           "pd", "P", "Q", "MACs", "weights", "w", "a", "o");
    int64_t weight_bytes = 0;
    for (int i = 0; i < net->n; i++) {
        const Layer *l = &net->layers[i];
        char in[16], op[16];
        if (layer_inputs(l) == 2)
            snprintf(in, sizeof in, "%d,%d", l->in[0], l->in[1]);
        else
            snprintf(in, sizeof in, "%d", l->in[0]);
        /* grouped conv, heads of a matmul */
        if (l->groups > 1)
            snprintf(op, sizeof op, "%s/%d", layer_op_name(l->op), l->groups);
        else
            snprintf(op, sizeof op, "%s", layer_op_name(l->op));
        char w[8];
        if (layer_on_array(l))
            snprintf(w, sizeof w, "%d", l->w_bits);
        else
            snprintf(w, sizeof w, "-");
        printf("%3d %-20s %-7s %-7s %3d %5d %4d %4d %5d %2d %2d %2d %2d %4d "
               "%4d %13lld %9lld %2s %2d %2d\n",
               i, l->name, op, in, l->N, l->C, l->H, l->W,
               l->K, l->R, l->S, l->stride, l->pad, l->P, l->Q,
               (long long)layer_macs(l), (long long)layer_weights(l), w,
               l->a_bits, l->o_bits);
        weight_bytes += layer_weight_bytes(l);
    }
    printf("total: %lld MACs (%.3f G), %lld weights (%lld bytes at the "
           "layers' w_bits)\n",
           (long long)net_macs(net), (double)net_macs(net) / 1e9,
           (long long)net_weights(net), (long long)weight_bytes);
}

static int run(const Args *a, void *obj, Err *e)
{
    (void)a;
    const NetOpts *o = obj;
    OnnxOptions oo;
    memset(&oo, 0, sizeof oo);
    for (int i = 0; i < o->input_shape.n; i++)
        if (onnx_options_add(&oo, o->input_shape.v[i], "--input-shape", e) != QA_OK)
            return ARGS_USAGE;
    Net net;
    int rc = o->onnx ? onnx_load(&net, o->onnx, &oo, e)
             : o->topo ? topo_csv_load(&net, o->topo, e)
                       : net_build(&net, o->workload, e);
    if (rc != QA_OK)
        return QA_ERR;
    net_set_batch(&net, o->batch);
    BitPolicy bits = {o->bits.w, o->bits.a, o->first_last, o->shortcut};
    /* Export before printing, so a failed export prints one line only. */
    rc = net_apply_bits(&net, &bits, e);
    if (rc == QA_OK && o->out)
        rc = topo_csv_save(&net, o->out, e);
    if (rc == QA_OK) {
        print_net(&net, o);
        if (o->out)
            fprintf(stderr, "qarray: wrote %s (%d conv/fc rows)\n", o->out,
                    net_array_layers(&net));
    }
    net_free(&net);
    return rc;
}

const ArgCmd cmd_net = {
    .name = "net",
    .summary = "layers, MACs, weights and bits of a network; SCALE-Sim CSV",
    .about = "Prints the layers of a network (shapes, MACs, weights, w/a/o bits) and totals.",
    .opts = opts, .nopts = (int)QA_COUNT(opts),
    .rules = rules, .nrules = (int)QA_COUNT(rules),
    .more = list_networks,
    .size = sizeof(NetOpts),
    .run = run,
};
