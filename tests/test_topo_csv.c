/* test_topo_csv.c: SCALE-Sim topology CSV: reading the format's variants,
 * export -> import round trips, rows SCALE-Sim reads the same way, and the
 * broken files of tests/bad/topo_*.csv with their exact messages.
 * Run from the repository root (the fixtures are named relative to it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "workloads/net.h"

static char tmpdir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/qa_topo_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return rmdir(tmpdir);
}

static void tmp_path(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", tmpdir, name);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[1 << 14];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* The whole line main would print. */
static char *err_line(const Err *e)
{
    static char buf[1024];
    FILE *m = fmemopen(buf, sizeof buf, "w");
    assert_non_null(m);
    err_print(e, m);
    fclose(m);
    return buf;
}

/* Trailing comma or not, spaces, CRLF, blank and comma-only rows, column
 * names in SCALE-Sim's lower case: all read the same. */
static void test_load_variants(void **state)
{
    (void)state;
    char path[128];
    tmp_path(path, sizeof path, "Small.csv");
    write_file(path,
               "Layer name,IFMAP height,IFMAP width,Filter height,"
               "Filter width,Channels,Num filter,Strides\r\n"
               "  conv1 , 229, 229, 7, 7, 3, 64, 2,\r\n"
               "\r\n"
               ",,,,,,,,\n"
               "conv2,56,56,1,1,64,256,1\n"
               "c3,\t57,57,3,3,256,128,2,\n"
               "fc, 1, 1, 1, 1, 2048, 1000, 1,\n");
    Net net;
    Err e;
    assert_int_equal(topo_csv_load(&net, path, &e), QA_OK);
    unlink(path);
    assert_string_equal(net.name, "Small");
    assert_int_equal(net.n, 4);
    const Layer *c1 = &net.layers[0], *c2 = &net.layers[1];
    const Layer *c3 = &net.layers[2], *fc = &net.layers[3];
    assert_string_equal(c1->name, "conv1");
    assert_int_equal(c1->op, OP_CONV);
    assert_int_equal(c1->pad, 0);
    assert_int_equal(c1->P, 112); /* (229 - 7)/2 + 1 */
    assert_int_equal(layer_macs(c1), 118013952);
    assert_int_equal(c1->in[0], LAYER_NO_INPUT);
    assert_int_equal(c2->in[0], 0);
    assert_int_equal(c2->K, 256);
    assert_int_equal(c2->P, 56);
    assert_string_equal(c3->name, "c3");
    assert_int_equal(c3->P, 28); /* (57 - 3)/2 + 1 */
    assert_int_equal(c3->stride, 2);
    assert_int_equal(fc->op, OP_FC);
    assert_int_equal(fc->in[0], 2);
    assert_int_equal(layer_macs(fc), 2048000);
    assert_int_equal(fc->bn_after, 0);
    assert_int_equal(c1->bn_after, 1);
    /* 16 bits until a policy is applied; the fc output leaves at 16 */
    assert_int_equal(c1->w_bits, 16);
    assert_int_equal(fc->o_bits, 16);
    net_free(&net);
}

/* Columns padded with spaces as in SCALE-Sim's alexnet.csv. The stride 4
 * does not divide 224 - 11 = 213: qarray rounds down (SCALE-Sim v1) to
 * 213/4 + 1 = 54, where SCALE-Sim v2 would round up to 55. */
static void test_load_aligned_rounding(void **state)
{
    (void)state;
    char path[128];
    tmp_path(path, sizeof path, "alex.csv");
    write_file(path,
               "Layer name, IFMAP Height, IFMAP Width, Filter Height, "
               "Filter Width, Channels, Num Filter, Strides,\n"
               "Conv1     ,224         ,224        ,11           ,11"
               "          ,3       ,96        ,4      ,\n");
    Net net;
    Err e;
    assert_int_equal(topo_csv_load(&net, path, &e), QA_OK);
    unlink(path);
    assert_int_equal(net.n, 1);
    assert_string_equal(net.layers[0].name, "Conv1");
    assert_int_equal(net.layers[0].P, 54);
    assert_int_equal(layer_macs(&net.layers[0]), 54LL * 54 * 11 * 11 * 3 * 96);
    net_free(&net);
}

/* Each built-in network: export, import, same totals and P, Q per layer;
 * a second export is byte-identical to the first. */
static void test_round_trip(void **state)
{
    (void)state;
    const char *names[] = {"resnet50", "resnet50v1", "resnet18", "resnet20"};
    for (size_t k = 0; k < QA_COUNT(names); k++) {
        Net net, back;
        Err e;
        char path[128], path2[128];
        tmp_path(path, sizeof path, "out.csv");
        tmp_path(path2, sizeof path2, "again.csv");
        assert_int_equal(net_build(&net, names[k], &e), QA_OK);
        assert_int_equal(topo_csv_save(&net, path, &e), QA_OK);
        assert_int_equal(topo_csv_load(&back, path, &e), QA_OK);
        assert_int_equal(net_macs(&back), net_macs(&net));
        assert_int_equal(net_weights(&back), net_weights(&net));
        assert_int_equal(back.n, net_array_layers(&net));
        int j = 0;
        for (int i = 0; i < net.n; i++) {
            const Layer *a = &net.layers[i];
            if (!layer_on_array(a))
                continue;
            const Layer *b = &back.layers[j++];
            assert_string_equal(b->name, a->name);
            assert_int_equal(b->op, a->op);
            assert_int_equal(b->P, a->P);
            assert_int_equal(b->Q, a->Q);
            assert_int_equal(b->stride, a->stride);
            assert_int_equal(layer_macs(b), layer_macs(a));
        }
        assert_int_equal(topo_csv_save(&back, path2, &e), QA_OK);
        char *first = strdup(read_file(path));
        assert_string_equal(read_file(path2), first);
        free(first);
        unlink(path);
        unlink(path2);
        net_free(&net);
        net_free(&back);
    }
}

/* The rows of the ResNet-50 export, checked the way SCALE-Sim reads them:
 * P = ceil((IFMAP - Filter)/Stride) + 1 must equal qarray's P, and the
 * columns keep the conventions of SCALE-Sim's topologies/conv_nets/
 * Resnet50.csv (one row per conv, projection after conv3 of its block,
 * fc as a 1x1 on 1x1). That file describes v1 without padding (e.g.
 * "CB2a_2,56,56,3,3,64,64,1" where we write 58, and "CB3a_1,56,56,1,1,
 * 256,128,2" where we write 55, because SCALE-Sim v2 would round 55/2 up
 * to a 29x29 output), so only the conventions are compared, not its
 * numbers. */
static void test_scalesim_rows(void **state)
{
    (void)state;
    Net net;
    Err e;
    char path[128];
    tmp_path(path, sizeof path, "r50.csv");
    assert_int_equal(net_build(&net, "resnet50", &e), QA_OK);
    assert_int_equal(topo_csv_save(&net, path, &e), QA_OK);
    char *text = strdup(read_file(path));
    unlink(path);
    const char *want[] = {
        "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, "
        "Channels, Num Filter, Strides,\n"
        "conv1, 229, 229, 7, 7, 3, 64, 2,\n"
        "layer1.0.conv1, 56, 56, 1, 1, 64, 64, 1,\n"
        "layer1.0.conv2, 58, 58, 3, 3, 64, 64, 1,\n"
        "layer1.0.conv3, 56, 56, 1, 1, 64, 256, 1,\n"
        "layer1.0.downsample, 56, 56, 1, 1, 64, 256, 1,\n"
        "layer1.1.conv1, 56, 56, 1, 1, 256, 64, 1,\n",
        "layer2.0.conv1, 56, 56, 1, 1, 256, 128, 1,\n"
        "layer2.0.conv2, 57, 57, 3, 3, 128, 128, 2,\n"
        "layer2.0.conv3, 28, 28, 1, 1, 128, 512, 1,\n"
        "layer2.0.downsample, 55, 55, 1, 1, 256, 512, 2,\n",
        "layer4.2.conv3, 7, 7, 1, 1, 512, 2048, 1,\n"
        "fc, 1, 1, 1, 1, 2048, 1000, 1,\n",
    };
    assert_true(!strncmp(text, want[0], strlen(want[0])));
    for (size_t i = 1; i < QA_COUNT(want); i++)
        if (!strstr(text, want[i]))
            fail_msg("export lacks:\n%s", want[i]);

    /* every row: SCALE-Sim's rounding up gives qarray's P and Q */
    int rows = 0, line = 0;
    for (char *s = strtok(text, "\n"); s; s = strtok(NULL, "\n")) {
        if (line++ == 0)
            continue;
        char name[64];
        int h, w, r, sw, c, k, st;
        assert_int_equal(sscanf(s, "%63[^,], %d, %d, %d, %d, %d, %d, %d,",
                                name, &h, &w, &r, &sw, &c, &k, &st), 8);
        const Layer *l = &net.layers[net_find(&net, name)];
        assert_int_equal((h - r + st - 1) / st + 1, l->P);
        assert_int_equal((w - sw + st - 1) / st + 1, l->Q);
        assert_int_equal((int64_t)((h - r + st - 1) / st + 1) *
                             ((w - sw + st - 1) / st + 1) * r * sw * c * k,
                         layer_macs(l));
        rows++;
    }
    assert_int_equal(rows, 54); /* 53 conv + fc; no pool, no add */
    free(text);
    net_free(&net);
}

/* The GEMM format "Layer, M, N, K," (SCALE-Sim's -i gemm): an M x K input
 * times K x N weights, a 1x1 conv over M x 1 pixels, fc when M = 1. */
static void test_gemm_rows(void **state)
{
    (void)state;
    char path[128];
    tmp_path(path, sizeof path, "g.csv");
    write_file(path, "Layer Name, m, n, k\n"
                     "g_128_64_256, 128, 64, 256,\n"
                     "gemv, 1, 1000, 2048\n");
    Net net;
    Err e;
    assert_int_equal(topo_csv_load(&net, path, &e), QA_OK);
    assert_int_equal(net.n, 2);
    Gemm g = layer_gemm(&net.layers[0]);
    assert_int_equal(g.M, 128);
    assert_int_equal(g.K, 256);
    assert_int_equal(g.N, 64);
    assert_int_equal(net.layers[0].op, OP_CONV);
    assert_int_equal(net.layers[0].bn_after, 0);
    assert_int_equal(net.layers[1].op, OP_FC);
    assert_int_equal(layer_macs(&net.layers[1]), 2048000);
    assert_int_equal(net.layers[1].in[0], 0);
    /* exported as the conv rows SCALE-Sim reads the same GEMM from */
    assert_int_equal(topo_csv_save(&net, path, &e), QA_OK);
    assert_string_equal(read_file(path),
                        "Layer name, IFMAP Height, IFMAP Width, Filter Height, "
                        "Filter Width, Channels, Num Filter, Strides,\n"
                        "g_128_64_256, 128, 1, 1, 1, 256, 64, 1,\n"
                        "gemv, 1, 1, 1, 1, 2048, 1000, 1,\n");
    unlink(path);
    net_free(&net);
}

/* SCALE-Sim's depthwise rule: a row named with "DP" (case-sensitive) is
 * one layer per channel, each of one channel, the same filters, named
 * NAME + "Channel_" + i, each reading the row's input. One channel keeps
 * its name, so the split layers export and import unchanged. */
static void test_dp_rows(void **state)
{
    (void)state;
    char path[128];
    tmp_path(path, sizeof path, "dw.csv");
    write_file(path, "Layer name, IFMAP Height, IFMAP Width, Filter Height, "
                     "Filter Width, Channels, Num Filter, Strides,\n"
                     "pw, 14, 14, 1, 1, 16, 8, 1,\n"
                     "Conv_DP_b, 15, 15, 3, 3, 5, 2, 2,\n"
                     "dp_lower, 14, 14, 3, 3, 4, 1, 1,\n"
                     "one_DP, 14, 14, 3, 3, 1, 1, 1,\n");
    Net net, back;
    Err e;
    assert_int_equal(topo_csv_load(&net, path, &e), QA_OK);
    assert_int_equal(net.n, 1 + 5 + 1 + 1);
    for (int i = 0; i < 5; i++) {
        const Layer *l = &net.layers[1 + i];
        char want[32];
        snprintf(want, sizeof want, "Conv_DP_bChannel_%d", i);
        assert_string_equal(l->name, want);
        assert_int_equal(l->C, 1);
        assert_int_equal(l->K, 2);
        assert_int_equal(l->P, 7);
        assert_int_equal(l->in[0], 0);
    }
    assert_string_equal(net.layers[6].name, "dp_lower");
    assert_int_equal(net.layers[6].C, 4);
    assert_int_equal(net.layers[6].in[0], 5); /* file order: the last one */
    assert_string_equal(net.layers[7].name, "one_DP");
    assert_int_equal(topo_csv_save(&net, path, &e), QA_OK);
    assert_int_equal(topo_csv_load(&back, path, &e), QA_OK);
    assert_int_equal(back.n, net.n);
    for (int i = 0; i < net.n; i++)
        assert_string_equal(back.layers[i].name, net.layers[i].name);
    net_free(&back);
    /* a layer named with DP and several channels would come back split */
    snprintf(net.layers[6].name, sizeof net.layers[6].name, "xDPx");
    err_clear(&e);
    assert_int_equal(topo_csv_save(&net, path, &e), QA_ERR);
    assert_string_equal(e.field, "xDPx");
    assert_non_null(strstr(e.msg, "would be read back as 4 layers"));
    net_free(&net);
    /* 4 rows of 4096 channels fill the 16384 layers a file may make */
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, "
          "Channels, Num Filter, Strides,\n", f);
    for (int i = 0; i < 5; i++)
        fprintf(f, "DP%d, 4, 4, 3, 3, 4096, 1, 1,\n", i);
    fclose(f);
    err_clear(&e);
    assert_int_equal(topo_csv_load(&net, path, &e), QA_ERR);
    assert_int_equal(e.line, 6);
    assert_string_equal(e.msg, "more than 16384 layers (DP rows count one per "
                               "channel)");
    assert_int_equal(net.n, 0);
    unlink(path);
}

/* Columns after Strides: SCALE-Sim's width stride (when it equals the
 * height stride) and the notes of its own Resnet50.csv (header ",,Eh,Ew,
 * e2", an empty row of commas, empty columns in every row). */
static void test_extra_columns(void **state)
{
    (void)state;
    char path[128];
    tmp_path(path, sizeof path, "Resnet50.csv");
    write_file(path, "Layer name, IFMAP Height, IFMAP Width, Filter Height, "
                     "Filter Width, Channels, Num Filter, Strides,,,Eh,Ew,e2\n"
                     ",,,,,,,,,,,,\n"
                     "Conv1,224,224,7,7,3,64,2,,,110,110,12100\n"
                     "CB2a_1,56,56,1,1,64,64,1,,,,,\n"
                     "s2,56,56,1,1,64,64,2,2,\n");
    Net net;
    Err e;
    assert_int_equal(topo_csv_load(&net, path, &e), QA_OK);
    assert_int_equal(net.n, 3);
    assert_int_equal(net.layers[0].P, 109);
    assert_int_equal(net.layers[2].stride, 2);
    net_free(&net);
    unlink(path);
}

/* SCALE-Sim v2's rounding (TOPO_CEIL): alexnet's conv1 (224, 11x11,
 * stride 4) gives 55x55, over 227 input rows; where the stride divides,
 * both roundings agree and the input stays as written. */
static void test_ceil_rounding(void **state)
{
    (void)state;
    char path[128];
    tmp_path(path, sizeof path, "alex.csv");
    write_file(path, "Layer name, IFMAP Height, IFMAP Width, Filter Height, "
                     "Filter Width, Channels, Num Filter, Strides,\n"
                     "Conv1, 224, 224, 11, 11, 3, 96, 4,\n"
                     "c2, 57, 20, 3, 3, 8, 8, 2,\n"
                     "fc, 1, 1, 1, 1, 9216, 4096, 3,\n");
    Net net;
    Err e;
    assert_int_equal(topo_csv_read(&net, path, TOPO_CEIL, &e), QA_OK);
    unlink(path);
    assert_int_equal(net.layers[0].P, 55);
    assert_int_equal(net.layers[0].H, 227);
    assert_int_equal(net.layers[0].pad, 0);
    assert_int_equal(net.layers[1].P, 28);
    assert_int_equal(net.layers[1].H, 57);
    assert_int_equal(net.layers[1].Q, 10);  /* (20 - 3)/2 rounded up, + 1 */
    assert_int_equal(net.layers[1].W, 21);
    assert_int_equal(net.layers[2].op, OP_FC);
    net_free(&net);
}

static void test_save_errors(void **state)
{
    (void)state;
    Net net;
    Err e;
    char path[128];
    tmp_path(path, sizeof path, "grouped.csv");
    net_init(&net, "g");
    Layer l;
    memset(&l, 0, sizeof l);
    snprintf(l.name, sizeof l.name, "dw");
    l.op = OP_CONV;
    l.N = 1;
    l.C = l.K = l.groups = 8;
    l.H = l.W = 8;
    l.R = l.S = 3;
    l.stride = 1;
    l.in[0] = l.in[1] = LAYER_NO_INPUT;
    assert_int_equal(net_add(&net, &l, &e), 0);
    err_clear(&e);
    assert_int_equal(topo_csv_save(&net, path, &e), QA_ERR);
    assert_string_equal(e.field, "dw");
    assert_string_equal(e.msg,
                        "grouped convolution (groups 8) has no SCALE-Sim row");
    /* nothing left behind: no file, no temp file (teardown's rmdir of the
     * folder fails if anything remains) */
    assert_int_equal(access(path, F_OK), -1);

    err_clear(&e);
    assert_int_equal(topo_csv_save(&net, "/nonexistent-dir/x.csv", &e),
                     QA_ERR);
    assert_string_equal(e.file, "/nonexistent-dir/x.csv");
    assert_non_null(strstr(e.msg, "cannot write"));
    net_free(&net);
}

/* The n-th allocation fails, for every n until the load succeeds: the error
 * names the file, the row and the layer, and the net is left empty (the
 * ASan run checks that nothing leaks). */
static void test_load_oom(void **state)
{
    (void)state;
    Net net;
    Err e;
    char path[128];
    tmp_path(path, sizeof path, "r18.csv");
    assert_int_equal(net_build(&net, "resnet18", &e), QA_OK);
    assert_int_equal(topo_csv_save(&net, path, &e), QA_OK);
    net_free(&net);
    int failures = 0;
    for (long n = 1;; n++) {
        err_clear(&e);
        qa_alloc_fail_at(n);
        int rc = topo_csv_load(&net, path, &e);
        qa_alloc_fail_at(0);
        if (rc == QA_OK)
            break;
        assert_string_equal(e.file, path);
        assert_string_equal(e.msg, "out of memory");
        if (n == 1) { /* the first row: line 2 */
            assert_int_equal(e.line, 2);
            assert_string_equal(e.field, "conv1");
        }
        assert_int_equal(net.n, 0);
        assert_null(net.layers);
        failures++;
    }
    /* 21 rows: the layer array grows 16 -> 32, two allocations */
    assert_int_equal(failures, 2);
    assert_int_equal(net_macs(&net), 1814073344LL);
    net_free(&net);
    unlink(path);
}

typedef struct {
    const char *file;
    const char *line; /* what main prints */
} Bad;

static const Bad bad[] = {
    {"tests/bad/topo_header.csv",
     "qarray: tests/bad/topo_header.csv:1: Num Filter: header column 7 is "
     "'Num Filters', expected 'Num Filter'\n"},
    {"tests/bad/topo_header_cols.csv",
     "qarray: tests/bad/topo_header_cols.csv:1: Strides: header column 8 is "
     "'Stride height', expected 'Strides'\n"},
    {"tests/bad/topo_header_short.csv",
     "qarray: tests/bad/topo_header_short.csv:1: header: 5 columns, expected "
     "8: Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, "
     "Channels, Num Filter, Strides, (or a GEMM topology: Layer, M, N, K,)\n"},
    {"tests/bad/topo_empty.csv",
     "qarray: tests/bad/topo_empty.csv:1: header: empty file, expected: "
     "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, "
     "Channels, Num Filter, Strides,\n"},
    {"tests/bad/topo_columns.csv",
     "qarray: tests/bad/topo_columns.csv:3: Strides: missing (row has 7 of "
     "8 columns)\n"},
    {"tests/bad/topo_extra.csv",
     "qarray: tests/bad/topo_extra.csv:2: column 9: width stride 1 differs "
     "from Strides 2 (a qarray layer has one stride)\n"},
    {"tests/bad/topo_extra_cols.csv",
     "qarray: tests/bad/topo_extra_cols.csv:2: column 11: unexpected value "
     "'7' (the header has 8 columns)\n"},
    {"tests/bad/topo_gemm_extra.csv",
     "qarray: tests/bad/topo_gemm_extra.csv:2: column 5: unexpected value '1' "
     "(GEMM rows have 4 columns)\n"},
    {"tests/bad/topo_gemm_zero.csv",
     "qarray: tests/bad/topo_gemm_zero.csv:2: N: must be positive, got 0\n"},
    {"tests/bad/topo_dp_name.csv",
     "qarray: tests/bad/topo_dp_name.csv:2: Layer name: "
     "'mobilenet_v2_block12_expand_DP_depthwise_3x3' + Channel_575 is longer "
     "than 47 characters (a DP row names one layer per channel)\n"},
    {"tests/bad/topo_dp_many.csv",
     "qarray: tests/bad/topo_dp_many.csv:2: Channels: 5000: a DP row is one "
     "layer per channel, at most 4096\n"},
    {"tests/bad/topo_nonint.csv",
     "qarray: tests/bad/topo_nonint.csv:4: IFMAP Width: not an integer: "
     "'5x8'\n"},
    {"tests/bad/topo_float.csv",
     "qarray: tests/bad/topo_float.csv:2: Strides: not an integer: '2.0'\n"},
    {"tests/bad/topo_zero.csv",
     "qarray: tests/bad/topo_zero.csv:2: Channels: must be positive, got 0\n"},
    {"tests/bad/topo_negative.csv",
     "qarray: tests/bad/topo_negative.csv:2: Strides: must be positive, got "
     "-2\n"},
    {"tests/bad/topo_filter.csv",
     "qarray: tests/bad/topo_filter.csv:2: Filter Height: 7 larger than "
     "IFMAP Height 5\n"},
    {"tests/bad/topo_filter_width.csv",
     "qarray: tests/bad/topo_filter_width.csv:2: Filter Width: 7 larger "
     "than IFMAP Width 5\n"},
    {"tests/bad/topo_noname.csv",
     "qarray: tests/bad/topo_noname.csv:2: Layer name: empty\n"},
    {"tests/bad/topo_big.csv",
     "qarray: tests/bad/topo_big.csv:3: IFMAP Height: 1048577 too large "
     "(max 1048576)\n"},
    {"tests/bad/topo_norows.csv",
     "qarray: tests/bad/topo_norows.csv:3: no layer rows after the header\n"},
    {"tests/bad/topo_huge.csv",
     "qarray: tests/bad/topo_huge.csv:2: conv1: layer too large: input of "
     "1152921504606846976 elements per image, more than 2^36\n"},
    {"tests/bad/topo_missing.csv",
     "qarray: tests/bad/topo_missing.csv: cannot open topology CSV: No such file or "
     "directory\n"},
};

static void test_bad_files(void **state)
{
    (void)state;
    for (size_t i = 0; i < QA_COUNT(bad); i++) {
        Net net;
        Err e;
        err_clear(&e);
        assert_int_equal(topo_csv_load(&net, bad[i].file, &e), QA_ERR);
        assert_string_equal(err_line(&e), bad[i].line);
        assert_int_equal(net.n, 0);
        assert_null(net.layers);
    }
}

/* Limits: a 1 MB row (a line with no newline, a binary file) is refused at
 * its line number after 4 KiB, with no allocation; a NUL byte likewise. */
static void test_long_line_and_nul(void **state)
{
    (void)state;
    char path[128];
    tmp_path(path, sizeof path, "long.csv");
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, "
          "Channels, Num Filter, Strides,\nconv1, 8, 8, 3, 3, 3, 8, 1,\nbig,",
          f);
    for (int i = 0; i < 1 << 20; i++)
        fputc(' ', f);
    fputs("8, 8, 3, 3, 3, 8, 1,\n", f);
    fclose(f);
    Net net;
    Err e;
    err_clear(&e);
    qa_alloc_fail_at(0);
    assert_int_equal(topo_csv_load(&net, path, &e), QA_ERR);
    assert_int_equal(qa_alloc_count(), 1); /* the first row's layer array */
    assert_int_equal(e.line, 3);
    assert_string_equal(e.msg, "line longer than 4096 bytes (not a topology "
                               "CSV?)");
    assert_null(net.layers);

    f = fopen(path, "wb");
    assert_non_null(f);
    fputs("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, "
          "Channels, Num Filter, Strides,\nconv1, 8, 8, 3, 3, 3, 8, 1,", f);
    fputc('\0', f);
    fputs(" 9,\n", f);
    fclose(f);
    assert_int_equal(topo_csv_load(&net, path, &e), QA_ERR);
    assert_int_equal(e.line, 2);
    assert_string_equal(e.msg, "NUL byte in the line (not a text file?)");
    remove(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_variants),
        cmocka_unit_test(test_load_aligned_rounding),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_scalesim_rows),
        cmocka_unit_test(test_gemm_rows),
        cmocka_unit_test(test_dp_rows),
        cmocka_unit_test(test_extra_columns),
        cmocka_unit_test(test_ceil_rounding),
        cmocka_unit_test(test_save_errors),
        cmocka_unit_test(test_load_oom),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_long_line_and_nul),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
