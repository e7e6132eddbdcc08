/* topo_csv.c: SCALE-Sim topology CSV import and export.
 *
 * Format: a header line
 *   Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width,
 *   Channels, Num Filter, Strides,
 * then one row per conv/fc layer. SCALE-Sim v2 ends every line with a comma;
 * both forms are read, spaces around fields are ignored, column names are
 * compared without regard to case, blank rows (or rows of bare commas, which
 * SCALE-Sim's own files contain) are skipped, CRLF is accepted. No quoting:
 * a layer name cannot hold a comma.
 *
 * Padding. SCALE-Sim has no padding column: its IFMAP size is the padded
 * input. SCALE-Sim v1 computes P = floor((IFMAP - Filter) / Stride) + 1,
 * as qarray and the frameworks do; v2 rounds up instead
 * (scalesim/topology_utils.py: ceil). The two agree only when Stride
 * divides IFMAP - Filter, so export writes the extent the filter windows
 * actually cover, (P - 1)*stride + R: H + 2*pad when the stride divides
 * evenly, one less otherwise (ResNet-50 conv1: 229, not 230, which v2 would
 * turn into 113x113). Both versions then compute qarray's P, Q and MACs.
 * Import keeps H, W as given with pad 0 and rounds down (v1), so
 * export -> import is exact; a hand-written row whose stride does not
 * divide IFMAP - Filter gets one row/column less here than in v2.
 *
 * What is lost: pool and add layers are not exported (SCALE-Sim has none),
 * grouped convolutions cannot be (an error), batch is per image (N = 1 on
 * import), and on import the layers are chained in file order (in[0] = the
 * previous row), so residual structure does not survive a round trip.
 * A row with IFMAP 1x1 and filter 1x1 becomes an fc layer (stride 1).
 * Batch norm is not in the format either: imported convs are marked as
 * followed by one (bn_after = 1, the post-activation case), fc layers not. */
#include "workloads/net.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum {
    COL_NAME, COL_H, COL_W, COL_R, COL_S, COL_C, COL_K, COL_STRIDE,
    TOPO_COLS
};

static const char *const columns[TOPO_COLS] = {
    "Layer name", "IFMAP Height", "IFMAP Width", "Filter Height",
    "Filter Width", "Channels", "Num Filter", "Strides",
};

#define TOPO_HEADER                                                        \
    "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, " \
    "Channels, Num Filter, Strides,"

/* More fields than this are only counted, never looked at. */
#define MAX_FIELDS 16
/* A real row is under 200 bytes; a longer line is not a topology CSV (a
 * binary file, a table of another tool) and is refused before it is read
 * whole, so a 1 GB line without a newline costs nothing. */
#define TOPO_LINE_MAX 4096

enum { LINE_OK, LINE_EOF, LINE_LONG, LINE_NUL };

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

static int check_header(char *line, const char *path, Err *e)
{
    char *f[MAX_FIELDS];
    if (!strncmp(line, "\xEF\xBB\xBF", 3)) /* UTF-8 byte order mark */
        line += 3;
    int n = split(line, f);
    if (n != TOPO_COLS)
        return err_set(e, path, 1, "header", "%d columns, expected %d: %s", n,
                       TOPO_COLS, TOPO_HEADER);
    for (int i = 0; i < TOPO_COLS; i++)
        if (strcasecmp(f[i], columns[i]))
            return err_set(e, path, 1, columns[i],
                           "header column %d is '%s', expected '%s'", i + 1,
                           f[i], columns[i]);
    return QA_OK;
}

/* One data row -> a finished layer reading the previous row. */
static int parse_row(Net *net, char *line, const char *path, int lineno,
                     Err *e)
{
    char *f[MAX_FIELDS];
    int n = split(line, f);
    if (n < TOPO_COLS)
        return err_set(e, path, lineno, columns[n],
                       "missing (row has %d of %d columns)", n, TOPO_COLS);
    if (n > TOPO_COLS) {
        char col[16];
        snprintf(col, sizeof col, "column %d", TOPO_COLS + 1);
        return err_set(e, path, lineno, col,
                       "unexpected value '%s' (rows have %d columns)",
                       f[TOPO_COLS], TOPO_COLS);
    }

    Layer l;
    memset(&l, 0, sizeof l);
    if (!f[COL_NAME][0])
        return err_set(e, path, lineno, columns[COL_NAME], "empty");
    if (strlen(f[COL_NAME]) >= sizeof l.name)
        return err_set(e, path, lineno, columns[COL_NAME],
                       "longer than %d characters", LAYER_NAME_MAX - 1);
    snprintf(l.name, sizeof l.name, "%s", f[COL_NAME]);

    int v[TOPO_COLS];
    for (int i = COL_H; i < TOPO_COLS; i++) {
        long x;
        if (qa_parse_long(f[i], &x))
            return err_set(e, path, lineno, columns[i],
                           "not an integer: '%s'", f[i]);
        if (x <= 0)
            return err_set(e, path, lineno, columns[i],
                           "must be positive, got %ld", x);
        if (x > LAYER_DIM_MAX)
            return err_set(e, path, lineno, columns[i],
                           "%ld too large (max %d)", x, LAYER_DIM_MAX);
        v[i] = (int)x;
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
    l.pad = 0;
    l.groups = 1;
    l.bn_after = !fc; /* not in the format: assume post-activation */
    l.in[0] = net->n - 1; /* -1 for the first row: the network input */
    l.in[1] = LAYER_NO_INPUT;
    if (net_add(net, &l, e) < 0) {
        /* keep the layer's message, place it in the file */
        Err inner = *e;
        return err_set(e, path, lineno, inner.field, "%s", inner.msg);
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
    char name[sizeof net->name];
    base_name(path, name, sizeof name);
    net_init(net, name);

    FILE *fp = qa_open_input(path, "topology CSV", 0, e);
    if (!fp)
        return QA_ERR;
    char line[TOPO_LINE_MAX + 1];
    int lineno = 0, rc = QA_ERR;
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
            if (check_header(line, path, e))
                goto done;
            continue;
        }
        if (blank(line))
            continue;
        if (parse_row(net, line, path, lineno, e))
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
