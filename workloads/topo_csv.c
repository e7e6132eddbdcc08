/* topo_csv.c: SCALE-Sim topology CSV import and export.
 *
 * Two formats, told apart by the header line (SCALE-Sim v2 itself has a
 * flag for it, -i conv|gemm; qarray reads the header it would skip):
 *   conv: Layer name, IFMAP Height, IFMAP Width, Filter Height,
 *         Filter Width, Channels, Num Filter, Strides,
 *   GEMM: Layer, M, N, K,        (any first name; M, N, K in any case)
 * then one row per layer. References below are to SCALE-Sim v2 at commit
 * 22f88b17f1dd3160e18bff5df165035bf8146e83 (models/scalesim.h). It ends
 * every line with a comma (it drops the last field of a row,
 * scalesim/topology_utils.py:66, 96); both forms are read, spaces around
 * fields are ignored, column names are compared without regard to case,
 * blank rows (or rows of bare commas, which SCALE-Sim's own files contain)
 * are skipped, CRLF is accepted. No quoting: a layer name cannot hold a
 * comma.
 *
 * Conv rows may carry more columns, as SCALE-Sim's own files do: a 9th
 * value is SCALE-Sim's width stride (topology_utils.py:160-161), accepted
 * when it equals Strides (a qarray layer has one stride) and refused
 * otherwise; further columns are read when the header has them (the
 * "Eh, Ew" notes of its topologies/conv_nets/Resnet50.csv) and ignored,
 * and must be empty when it does not.
 *
 * A GEMM row M, N, K is an M x K input times a K x N weight: a 1x1 conv
 * over an M x 1 input of K channels with N filters (P = M, Q = 1), or an fc
 * layer when M = 1. SCALE-Sim writes it as H = M, W = K, a 1 x K filter over
 * one channel (topology_utils.py:74): the same GEMM, the same cycles.
 *
 * Depthwise rows. As SCALE-Sim does (topology_utils.py:97-102), a conv row
 * whose name contains "DP" (case-sensitive: "Conv_DP_b" does, "dp_3" does
 * not) is one layer per channel: Channels layers of one channel each, the
 * same Num Filter, named NAME + "Channel_" + i, each reading the row's
 * input. This holds however the file is read (the format means it); one
 * difference: a DP row of one channel keeps its name (SCALE-Sim would add
 * "Channel_0"), so that export -> import keeps the names.
 *
 * Padding. SCALE-Sim has no padding column: its IFMAP size is the padded
 * input. SCALE-Sim v1 computes P = floor((IFMAP - Filter) / Stride) + 1,
 * as qarray and the frameworks do; v2 rounds up instead
 * (topology_utils.py:209-210: ceil((IFMAP - Filter + Stride) / Stride)).
 * The two agree only when Stride divides IFMAP - Filter, so export writes
 * the extent the filter windows actually cover, (P - 1)*stride + R:
 * H + 2*pad when the stride divides evenly, one less otherwise (ResNet-50
 * conv1: 229, not 230, which v2 would turn into 113x113). Both versions
 * then compute qarray's P, Q and MACs. topo_csv_load keeps H, W as given
 * with pad 0 and rounds down (v1), so export -> import is exact.
 * topo_csv_read with TOPO_CEIL rounds up as v2 does: the last window then hangs over the input's edge by up to
 * Stride - 1 rows, which SCALE-Sim computes all the same (it marks their
 * addresses -1 but runs them, compute/operand_matrix.py:161-174); the
 * layer gets those rows as zero rows of its input: H becomes
 * (P - 1)*stride + R (ResNet-50's Conv1, 224 with 7x7 stride 2: 225, and
 * P = 110 as in SCALE-Sim v2).
 *
 * What is lost: pool and add layers are not exported (SCALE-Sim has none),
 * grouped convolutions cannot be (an error), nor a layer named with "DP"
 * and more than one channel (it would come back split), batch is per image
 * (N = 1 on import), and on import the layers are chained in file order
 * (in[0] = the previous row), so residual structure does not survive a
 * round trip. A row with IFMAP 1x1 and filter 1x1 becomes an fc layer
 * (stride 1). Batch norm is not in the format either: imported convs are
 * marked as followed by one (bn_after = 1, the post-activation case), fc
 * layers and GEMM rows not. */
#include "workloads/net.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum {
    COL_NAME, COL_H, COL_W, COL_R, COL_S, COL_C, COL_K, COL_STRIDE,
    TOPO_COLS,
    COL_STRIDE_W = TOPO_COLS   /* SCALE-Sim's optional width stride */
};

static const char *const columns[TOPO_COLS] = {
    "Layer name", "IFMAP Height", "IFMAP Width", "Filter Height",
    "Filter Width", "Channels", "Num Filter", "Strides",
};

enum { GEMM_NAME, GEMM_M, GEMM_N, GEMM_K, GEMM_COLS };

static const char *const gemm_columns[GEMM_COLS] = {"Layer", "M", "N", "K"};

#define TOPO_HEADER                                                        \
    "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, " \
    "Channels, Num Filter, Strides,"
#define GEMM_HEADER "Layer, M, N, K,"

/* More fields than this are only counted, never looked at. */
#define MAX_FIELDS 16
/* A DP row is one layer per channel; this many at most (the widest
 * depthwise layers of real networks have a few thousand channels). */
#define TOPO_DP_MAX 4096
/* Layers of one topology, DP rows split: a limit on what a file of short
 * lines can make the mapper work through (its live-tensor bookkeeping
 * grows with the square of the layer count: 16384 layers map in about
 * 1.5 s). MobileNet-V2 split per channel has about 7200. */
#define TOPO_LAYERS_MAX 16384

/* A real row is under 200 bytes; a longer line is not a topology CSV (a
 * binary file, a table of another tool) and is refused before it is read
 * whole, so a 1 GB line without a newline costs nothing. */
#define TOPO_LINE_MAX 4096

enum { LINE_OK, LINE_EOF, LINE_LONG, LINE_NUL };

/* What the header says about the rows, and how to read them. */
typedef struct {
    int gemm;              /* 1: GEMM rows (Layer, M, N, K) */
    int ncols;             /* columns the header has */
    TopoRounding round;
} Format;

/* Read one line (with its '\n', if any) into buf[TOPO_LINE_MAX + 1]. */
static int read_line(FILE *fp, char *buf)
{
    size_t n = 0;
    int c;
    while ((c = getc(fp)) != EOF) {
        if (c == '\0')
            return LINE_NUL;
        if (n == TOPO_LINE_MAX)
            return LINE_LONG;
        buf[n++] = (char)c;
        if (c == '\n')
            break;
    }
    buf[n] = '\0';
    return n ? LINE_OK : LINE_EOF;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *end = s + strlen(s);
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' ||
                       end[-1] == '\r' || end[-1] == '\n'))
        *--end = '\0';
    return s;
}

/* Splits line in place at commas into trimmed fields; drops one empty
 * field after a trailing comma. Returns the number of fields (which may
 * exceed MAX_FIELDS; only the first MAX_FIELDS are stored). */
static int split(char *line, char **f)
{
    int n = 0;
    char *p = line;
    for (;;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        if (n < MAX_FIELDS)
            f[n] = trim(p);
        n++;
        if (!comma)
            break;
        p = comma + 1;
    }
    if (n > 1 && n <= MAX_FIELDS && !f[n - 1][0])
        n--;
    return n;
}

static int blank(const char *line)
{
    for (; *line; line++)
        if (!strchr(" \t\r\n,", *line))
            return 0;
    return 1;
}

static int check_header(char *line, const char *path, Format *fmt, Err *e)
{
    char *f[MAX_FIELDS];
    if (!strncmp(line, "\xEF\xBB\xBF", 3)) /* UTF-8 byte order mark */
        line += 3;
    int n = split(line, f);
    fmt->ncols = n;
    fmt->gemm = n == GEMM_COLS;
    for (int i = GEMM_M; i < GEMM_COLS && fmt->gemm; i++)
        fmt->gemm = !strcasecmp(f[i], gemm_columns[i]);
    if (fmt->gemm)
        return QA_OK;
    if (n < TOPO_COLS)
        return err_set(e, path, 1, "header",
                       "%d columns, expected 8: %s (or a GEMM topology: %s)",
                       n, TOPO_HEADER, GEMM_HEADER);
    for (int i = 0; i < TOPO_COLS; i++)
        if (strcasecmp(f[i], columns[i]))
            return err_set(e, path, 1, columns[i],
                           "header column %d is '%s', expected '%s'", i + 1,
                           f[i], columns[i]);
    return QA_OK;
}

/* Field i of a row as a positive integer (<= LAYER_DIM_MAX) into *v. */
static int field_int(char *const *f, int i, const char *col, const char *path,
                     int lineno, int *v, Err *e)
{
    long x;
    if (qa_parse_long(f[i], &x))
        return err_set(e, path, lineno, col, "not an integer: '%s'", f[i]);
    if (x <= 0)
        return err_set(e, path, lineno, col, "must be positive, got %ld", x);
    if (x > LAYER_DIM_MAX)
        return err_set(e, path, lineno, col, "%ld too large (max %d)", x,
                       LAYER_DIM_MAX);
    *v = (int)x;
    return QA_OK;
}

/* Append l (name set) to net as read from line lineno: too many layers,
 * a bad shape or no memory is an error placed in the file. */
static int add_layer(Net *net, const Layer *l, const char *path, int lineno,
                     Err *e)
{
    if (net->n >= TOPO_LAYERS_MAX)
        return err_set(e, path, lineno, NULL,
                       "more than %d layers (DP rows count one per channel)",
                       TOPO_LAYERS_MAX);
    if (net_add(net, l, e) < 0) {
        /* keep the layer's message, place it in the file */
        Err inner = *e;
        return err_set(e, path, lineno, inner.field, "%s", inner.msg);
    }
    return QA_OK;
}

static int set_name(Layer *l, const char *name, const char *path, int lineno,
                    Err *e)
{
    if (!name[0])
        return err_set(e, path, lineno, columns[COL_NAME], "empty");
    if (strlen(name) >= sizeof l->name)
        return err_set(e, path, lineno, columns[COL_NAME],
                       "longer than %d characters", LAYER_NAME_MAX - 1);
    snprintf(l->name, sizeof l->name, "%s", name);
    return QA_OK;
}

/* A GEMM row: M x K times K x N, a 1x1 conv over M x 1 pixels (fc when
 * M = 1). */
static int parse_gemm_row(Net *net, char **f, int n, const char *path,
                          int lineno, Err *e)
{
    if (n < GEMM_COLS)
        return err_set(e, path, lineno, gemm_columns[n],
                       "missing (row has %d of %d columns)", n, GEMM_COLS);
    if (n > GEMM_COLS)
        return err_set(e, path, lineno, "column 5",
                       "unexpected value '%s' (GEMM rows have %d columns)",
                       f[GEMM_COLS], GEMM_COLS);
    Layer l;
    memset(&l, 0, sizeof l);
    if (set_name(&l, f[GEMM_NAME], path, lineno, e))
        return QA_ERR;
    int v[GEMM_COLS];
    for (int i = GEMM_M; i < GEMM_COLS; i++)
        if (field_int(f, i, gemm_columns[i], path, lineno, &v[i], e))
            return QA_ERR;
    l.op = v[GEMM_M] == 1 ? OP_FC : OP_CONV;
    l.N = 1;
    l.H = v[GEMM_M];
    l.W = l.R = l.S = l.stride = l.groups = 1;
    l.C = v[GEMM_K];
    l.K = v[GEMM_N];
    l.in[0] = net->n - 1;
    l.in[1] = LAYER_NO_INPUT;
    return add_layer(net, &l, path, lineno, e);
}

/* The input extent whose windows SCALE-Sim v2 counts: its output size
 * ceil((in - filt + stride) / stride), then (out - 1)*stride + filt. */
static int ceil_extent(int in, int filt, int stride)
{
    int64_t out = ((int64_t)in - filt + stride - 1) / stride + 1;
    return (int)QA_MIN((out - 1) * stride + filt, (int64_t)INT_MAX);
}

/* One conv data row -> a finished layer reading the previous row (a DP
 * row: one per channel, each reading the previous row). */
static int parse_row(Net *net, char *line, const Format *fmt, const char *path,
                     int lineno, Err *e)
{
    char *f[MAX_FIELDS];
    int n = split(line, f);
    if (fmt->gemm)
        return parse_gemm_row(net, f, n, path, lineno, e);
    if (n < TOPO_COLS)
        return err_set(e, path, lineno, columns[n],
                       "missing (row has %d of %d columns)", n, TOPO_COLS);
    /* Columns past the header's must be empty; the 9th, if it has a value,
     * is SCALE-Sim's width stride, the rest are notes. */
    for (int i = QA_MAX(fmt->ncols, COL_STRIDE_W + 1); i < n; i++)
        if (i >= MAX_FIELDS || f[i][0]) {
            char col[24];
            snprintf(col, sizeof col, "column %d", i + 1);
            return err_set(e, path, lineno, col,
                           "unexpected value '%s' (the header has %d columns)",
                           i < MAX_FIELDS ? f[i] : "...", fmt->ncols);
        }

    Layer l;
    memset(&l, 0, sizeof l);
    if (set_name(&l, f[COL_NAME], path, lineno, e))
        return QA_ERR;
    int v[TOPO_COLS];
    for (int i = COL_H; i < TOPO_COLS; i++)
        if (field_int(f, i, columns[i], path, lineno, &v[i], e))
            return QA_ERR;
    if (n > COL_STRIDE_W && f[COL_STRIDE_W][0]) {
        int sw;
        if (field_int(f, COL_STRIDE_W, "column 9", path, lineno, &sw, e))
            return QA_ERR;
        if (sw != v[COL_STRIDE])
            return err_set(e, path, lineno, "column 9",
                           "width stride %d differs from Strides %d (a qarray "
                           "layer has one stride)", sw, v[COL_STRIDE]);
    }
    if (v[COL_R] > v[COL_H])
        return err_set(e, path, lineno, columns[COL_R],
                       "%d larger than IFMAP Height %d", v[COL_R], v[COL_H]);
    if (v[COL_S] > v[COL_W])
        return err_set(e, path, lineno, columns[COL_S],
                       "%d larger than IFMAP Width %d", v[COL_S], v[COL_W]);

    int fc = v[COL_H] == 1 && v[COL_W] == 1 && v[COL_R] == 1 && v[COL_S] == 1;
    l.op = fc ? OP_FC : OP_CONV;
    l.N = 1;
    l.H = v[COL_H];
    l.W = v[COL_W];
    l.R = v[COL_R];
    l.S = v[COL_S];
    l.C = v[COL_C];
    l.K = v[COL_K];
    l.stride = fc ? 1 : v[COL_STRIDE]; /* 1x1 on 1x1: any stride gives P=1 */
    if (fmt->round == TOPO_CEIL && !fc) {
        l.H = ceil_extent(l.H, l.R, l.stride);
        l.W = ceil_extent(l.W, l.S, l.stride);
    }
    l.pad = 0;
    l.groups = 1;
    l.bn_after = !fc; /* not in the format: assume post-activation */
    l.in[0] = net->n - 1; /* -1 for the first row: the network input */
    l.in[1] = LAYER_NO_INPUT;
    if (!strstr(l.name, "DP") || l.C == 1)
        return add_layer(net, &l, path, lineno, e);

    /* Depthwise: one layer of one channel per channel. */
    int ch = l.C;
    char name[LAYER_NAME_MAX];
    snprintf(name, sizeof name, "%s", l.name);
    if (ch > TOPO_DP_MAX)
        return err_set(e, path, lineno, columns[COL_C],
                       "%d: a DP row is one layer per channel, at most %d",
                       ch, TOPO_DP_MAX);
    if ((size_t)snprintf(NULL, 0, "%sChannel_%d", name, ch - 1) >=
        sizeof l.name)
        return err_set(e, path, lineno, columns[COL_NAME],
                       "'%s' + Channel_%d is longer than %d characters (a DP "
                       "row names one layer per channel)", name, ch - 1,
                       LAYER_NAME_MAX - 1);
    l.C = 1;
    for (int i = 0; i < ch; i++) {
        char full[LAYER_NAME_MAX + 24]; /* fits: checked above */
        snprintf(full, sizeof full, "%sChannel_%d", name, i);
        memcpy(l.name, full, strlen(full) + 1);
        if (add_layer(net, &l, path, lineno, e))
            return QA_ERR;
    }
    return QA_OK;
}

/* "dir/Resnet50.csv" -> "Resnet50", like SCALE-Sim names its runs. */
static void base_name(const char *path, char *out, size_t size)
{
    const char *slash = strrchr(path, '/');
    const char *b = slash ? slash + 1 : path;
    const char *dot = strrchr(b, '.');
    size_t len = dot && dot != b ? (size_t)(dot - b) : strlen(b);
    if (len >= size)
        len = size - 1;
    memcpy(out, b, len);
    out[len] = '\0';
}

int topo_csv_load(Net *net, const char *path, Err *e)
{
    return topo_csv_read(net, path, TOPO_FLOOR, e);
}

int topo_csv_read(Net *net, const char *path, TopoRounding round, Err *e)
{
    char name[sizeof net->name];
    base_name(path, name, sizeof name);
    net_init(net, name);

    FILE *fp = qa_open_input(path, "topology CSV", 0, e);
    if (!fp)
        return QA_ERR;
    char line[TOPO_LINE_MAX + 1];
    int lineno = 0, rc = QA_ERR;
    Format fmt = {0, 0, round};
    for (;;) {
        int got = read_line(fp, line);
        if (got == LINE_EOF)
            break;
        lineno++;
        if (got == LINE_LONG) {
            err_set(e, path, lineno, NULL,
                    "line longer than %d bytes (not a topology CSV?)",
                    TOPO_LINE_MAX);
            goto done;
        }
        if (got == LINE_NUL) {
            err_set(e, path, lineno, NULL,
                    "NUL byte in the line (not a text file?)");
            goto done;
        }
        if (lineno == 1) {
            if (check_header(line, path, &fmt, e))
                goto done;
            continue;
        }
        if (blank(line))
            continue;
        if (parse_row(net, line, &fmt, path, lineno, e))
            goto done;
    }
    if (ferror(fp)) {
        err_set(e, path, lineno, NULL, "read error: %s", strerror(errno));
        goto done;
    }
    if (lineno == 0) {
        err_set(e, path, 1, "header", "empty file, expected: %s", TOPO_HEADER);
        goto done;
    }
    if (net->n == 0) {
        err_set(e, path, lineno, NULL, "no layer rows after the header");
        goto done;
    }
    {
        const BitPolicy base = {16, 16, 0, 0};
        rc = net_apply_bits(net, &base, e);
    }
done:
    fclose(fp);
    if (rc)
        net_free(net);
    return rc;
}

int topo_csv_save(const Net *net, const char *path, Err *e)
{
    AtomicFile af;
    if (qa_afile_open(&af, path, e))
        return QA_ERR;
    fprintf(af.f, "%s\n", TOPO_HEADER);
    for (int i = 0; i < net->n; i++) {
        const Layer *l = &net->layers[i];
        if (!layer_on_array(l))
            continue;
        if (l->groups != 1) {
            qa_afile_abort(&af);
            return err_set(e, path, 0, l->name,
                           "grouped convolution (groups %d) has no SCALE-Sim "
                           "row", l->groups);
        }
        if (strstr(l->name, "DP") && l->C > 1) {
            qa_afile_abort(&af);
            return err_set(e, path, 0, l->name,
                           "a layer named with \"DP\" and %d channels would "
                           "be read back as %d layers of one channel "
                           "(SCALE-Sim's depthwise rule): rename it", l->C,
                           l->C);
        }
        if (strchr(l->name, ',')) {
            qa_afile_abort(&af);
            return err_set(e, path, 0, l->name,
                           "a layer name with a comma cannot be written");
        }
        /* covered extent, so that ceil and floor give the same P and Q */
        int h = (l->P - 1) * l->stride + l->R;
        int w = (l->Q - 1) * l->stride + l->S;
        fprintf(af.f, "%s, %d, %d, %d, %d, %d, %d, %d,\n", l->name, h, w,
                l->R, l->S, l->C, l->K, l->stride);
    }
    return qa_afile_commit(&af, e);
}
