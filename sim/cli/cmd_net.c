/* cmd_net.c: `qarray net`: show a network's layers, shapes, MACs, weights
 * and per-layer bits after a bit policy; export it as a SCALE-Sim topology
 * CSV, or read one instead of a built-in network. Nothing is timed here. */
#include "sim/cli/cmd.h"

#include <stdio.h>
#include <string.h>

#include "workloads/net.h"

typedef struct {
    const char *workload;  /* -w */
    const char *topo;      /* --topo: read this CSV instead */
    const char *csv;       /* --csv: export here */
    int batch;
    BitPolicy bits;
} NetArgs;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: qarray net (-w NAME | --topo IN.csv) [--batch N] "
            "[--bits W/A]\n"
            "                  [--first-last B] [--shortcut B] [--csv OUT.csv]\n"
            "\n"
            "Prints the layers of a network (shapes, MACs, weights, w/a/o "
            "bits) and totals.\n"
            "  -w NAME          built-in network: %s\n"
            "  --topo IN.csv    read a SCALE-Sim topology CSV instead\n"
            "  --batch N        batch size (default 1)\n"
            "  --bits W/A       weight/activation bits of conv/fc, 1..16 "
            "(default 16/16; B = B/B)\n"
            "  --first-last B   bits of the first conv and last fc "
            "(default: as --bits)\n"
            "  --shortcut B     bits of projection shortcut convs, e.g. 16 "
            "(default: as --bits)\n"
            "  --csv OUT.csv    export conv/fc layers as a SCALE-Sim "
            "topology CSV\n",
            net_builtin_names());
}

static int parse_int(const char *flag, const char *s, int lo, int hi, int *out,
                     Err *e)
{
    long v;
    if (qa_parse_long(s, &v) || v < lo || v > hi)
        return err_set(e, NULL, 0, flag, "expected an integer in %d..%d, "
                       "got '%s'", lo, hi, s);
    *out = (int)v;
    return QA_OK;
}

/* "W/A" or "B" (both the same). */
static int parse_bits(const char *s, BitPolicy *p, Err *e)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%s", s);
    char *slash = strchr(buf, '/');
    if (slash)
        *slash = '\0';
    if (parse_int("--bits", buf, 1, 16, &p->w_bits, e) ||
        parse_int("--bits", slash ? slash + 1 : buf, 1, 16, &p->a_bits, e))
        return err_set(e, NULL, 0, "--bits",
                       "expected W/A or B with bits in 1..16, got '%s'", s);
    return QA_OK;
}

static int parse_args(int argc, char **argv, NetArgs *a, Err *e)
{
    memset(a, 0, sizeof *a);
    a->batch = 1;
    a->bits.w_bits = a->bits.a_bits = 16;
    static const char *const opts[] = {"-w", "--topo", "--csv", "--batch",
                                       "--bits", "--first-last", "--shortcut"};
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        size_t k = 0;
        while (k < QA_COUNT(opts) && strcmp(opt, opts[k]))
            k++;
        if (k == QA_COUNT(opts))
            return err_set(e, NULL, 0, "net",
                           "unknown %s '%s' (qarray net --help)",
                           opt[0] == '-' ? "option" : "argument", opt);
        if (i + 1 >= argc)
            return err_set(e, NULL, 0, opt, "needs a value");
        const char *val = argv[++i];
        int rc = QA_OK;
        if (!strcmp(opt, "-w"))
            a->workload = val;
        else if (!strcmp(opt, "--topo"))
            a->topo = val;
        else if (!strcmp(opt, "--csv"))
            a->csv = val;
        else if (!strcmp(opt, "--batch"))
            rc = parse_int(opt, val, 1, LAYER_BATCH_MAX, &a->batch, e);
        else if (!strcmp(opt, "--bits"))
            rc = parse_bits(val, &a->bits, e);
        else if (!strcmp(opt, "--first-last"))
            rc = parse_int(opt, val, 1, 16, &a->bits.first_last_bits, e);
        else
            rc = parse_int(opt, val, 1, 16, &a->bits.shortcut_bits, e);
        if (rc)
            return QA_ERR;
    }
    if (!a->workload == !a->topo)
        return err_set(e, NULL, 0, "-w",
                       "give exactly one of -w NAME and --topo IN.csv");
    return QA_OK;
}

static void print_net(const Net *net, const NetArgs *a)
{
    printf("network %s: %d layers (%d conv/fc), batch %d, bits %d/%d",
           net->name, net->n, net_array_layers(net), a->batch,
           a->bits.w_bits, a->bits.a_bits);
    if (a->bits.first_last_bits)
        printf(", first/last %d", a->bits.first_last_bits);
    if (a->bits.shortcut_bits)
        printf(", shortcut %d", a->bits.shortcut_bits);
    printf("\n%3s %-20s %-7s %-7s %3s %5s %4s %4s %5s %2s %2s %2s %2s %4s "
           "%4s %13s %9s %2s %2s %2s\n",
           "id", "name", "op", "in", "N", "C", "H", "W", "K", "R", "S", "st",
           "pd", "P", "Q", "MACs", "weights", "w", "a", "o");
    int64_t weight_bytes = 0;
    for (int i = 0; i < net->n; i++) {
        const Layer *l = &net->layers[i];
        char in[16];
        if (l->op == OP_ADD)
            snprintf(in, sizeof in, "%d,%d", l->in[0], l->in[1]);
        else
            snprintf(in, sizeof in, "%d", l->in[0]);
        char w[8];
        if (layer_on_array(l))
            snprintf(w, sizeof w, "%d", l->w_bits);
        else
            snprintf(w, sizeof w, "-");
        printf("%3d %-20s %-7s %-7s %3d %5d %4d %4d %5d %2d %2d %2d %2d %4d "
               "%4d %13lld %9lld %2s %2d %2d\n",
               i, l->name, layer_op_name(l->op), in, l->N, l->C, l->H, l->W,
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

/* Flag names for the fields net_apply_bits reports. */
static void to_flag(Err *e)
{
    static const char *const map[][2] = {
        {"w_bits", "--bits"},
        {"a_bits", "--bits"},
        {"first_last_bits", "--first-last"},
        {"shortcut_bits", "--shortcut"},
    };
    for (size_t i = 0; i < QA_COUNT(map); i++)
        if (!strcmp(e->field, map[i][0]))
            snprintf(e->field, sizeof e->field, "%s", map[i][1]);
}

int cli_net(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
    NetArgs a;
    Err e;
    Net net;
    err_clear(&e);
    if (parse_args(argc, argv, &a, &e)) {
        err_print(&e, stderr);
        return 2;
    }
    int rc = a.topo ? topo_csv_load(&net, a.topo, &e)
                    : net_build(&net, a.workload, &e);
    if (rc) {
        if (!a.topo && !strcmp(e.field, "network"))
            snprintf(e.field, sizeof e.field, "-w");
        err_print(&e, stderr);
        return 1;
    }
    net_set_batch(&net, a.batch);
    if (net_apply_bits(&net, &a.bits, &e)) {
        to_flag(&e);
        goto fail;
    }
    /* Export before printing, so a failed export prints one line only. */
    if (a.csv && topo_csv_save(&net, a.csv, &e))
        goto fail;
    print_net(&net, &a);
    if (a.csv)
        fprintf(stderr, "qarray: wrote %s (%d conv/fc rows)\n", a.csv,
                net_array_layers(&net));
    net_free(&net);
    return 0;
fail:
    err_print(&e, stderr);
    net_free(&net);
    return 1;
}
