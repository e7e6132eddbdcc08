/* arch_cfg.c: libconfig <-> Accel through one key table.
 *
 * The table below declares every key of an architecture file: its path,
 * type, range, unit and help. The same table parses (type and range checks,
 * errors as file:line: key: problem), rejects unknown keys, prints
 * `qarray --help-config` and writes the effective configuration that every
 * run saves beside its results. Cross-field rules are in arch_validate. */
#include "arch/arch.h"
#include "arch/cfgfile.h"

#include <libconfig.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef enum { K_INT, K_I64, K_BYTES, K_FLOAT, K_BOOL, K_ENUM, K_BW,
               K_STR, K_LANES } KeyType;

typedef struct {
    const char *path;
    KeyType type;
    size_t off;
    double min, max;
    const char *unit;
    const char *help;
    /* K_ENUM only: parse a name, print a value. */
    int (*parse)(const char *s, int *v);
    const char *(*name)(int v);
    const char *choices;
} Key;

/* Adapters so the enum parsers fit one signature. */
static int p_df(const char *s, int *v) { Dataflow d; int r = arch_dataflow_parse(s, &d); *v = (int)d; return r; }
static int p_sc(const char *s, int *v) { ScaleRule d; int r = arch_scale_parse(s, &d); *v = (int)d; return r; }
static int p_pl(const char *s, int *v) { Placement d; int r = arch_place_parse(s, &d); *v = (int)d; return r; }
static int p_pe(const char *s, int *v) { PeKind d; int r = arch_pe_parse(s, &d); *v = (int)d; return r; }
static const char *n_pe(int v) { return arch_pe_name((PeKind)v); }
static int p_am(const char *s, int *v) { AreaModel d; int r = arch_area_model_parse(s, &d); *v = (int)d; return r; }
static const char *n_df(int v) { return arch_dataflow_name((Dataflow)v); }
static const char *n_sc(int v) { return arch_scale_name((ScaleRule)v); }
static const char *n_pl(int v) { return arch_place_name((Placement)v); }
static const char *n_am(int v) { return arch_area_model_name((AreaModel)v); }

#define OFF(f) offsetof(Accel, f)
#define ENUM(p, n, c) NULL, NULL, NULL
static const Key keys[] = {
    {"name", K_STR, OFF(name), 0, 0, "", "name of the chip, copied into reports", ENUM(0, 0, 0)},
    {"clock_ghz", K_FLOAT, OFF(clock_ghz), 0.01, 100, "GHz", "core clock", ENUM(0, 0, 0)},
    {"cores", K_INT, OFF(cores), 1, 4096, "", "number of identical cores sharing the DRAM channel", ENUM(0, 0, 0)},
    {"weights_resident", K_BOOL, OFF(weights_resident), 0, 1, "", "keep all weights on chip across inferences when the whole model fits", ENUM(0, 0, 0)},
    {"core.rows", K_INT, OFF(rows), 1, 4096, "PEs", "systolic array rows at base_bits", ENUM(0, 0, 0)},
    {"core.cols", K_INT, OFF(cols), 1, 4096, "PEs", "systolic array columns at base_bits", ENUM(0, 0, 0)},
    {"core.base_bits", K_INT, OFF(base_bits), 2, ARCH_MAX_BITS, "bits", "precision of one MAC lane; a PE is one lane at this precision", ENUM(0, 0, 0)},
    {"core.dataflow", K_ENUM, OFF(dataflow), 0, 0, "", "systolic dataflow", p_df, n_df, "ws|os|is"},
    {"core.sram_bytes", K_BYTES, OFF(sram_bytes), 1024, 1099511627776.0, "bytes", "scratchpad per core, the same bytes at every precision (integer or \"2 MiB\")", ENUM(0, 0, 0)},
    {"core.double_buffer", K_BOOL, OFF(double_buffer), 0, 1, "", "overlap loads and stores with compute (two buffers per tensor)", ENUM(0, 0, 0)},
    {"core.acc_bits", K_INT, OFF(acc_bits), 4, 64, "bits", "accumulator width of a PE", ENUM(0, 0, 0)},
    {"core.vector_lanes", K_INT, OFF(vector_lanes), 1, 65536, "elements/cycle", "pool/add unit throughput at base_bits (scales linearly with lower bits)", ENUM(0, 0, 0)},
    {"core.overhead_mm2", K_FLOAT, OFF(core_overhead_mm2), 0, 1e4, "mm2", "per-core area besides PEs and scratchpad (control, DMA, vector unit)", ENUM(0, 0, 0)},
    {"dram.gbps", K_BW, OFF(dram_gbps), 0.001, 1e6, "GB/s", "shared DRAM bandwidth (10^9 bytes/s) or \"unlimited\"", ENUM(0, 0, 0)},
    {"dram.latency_cycles", K_I64, OFF(dram_latency_cycles), 0, 1e7, "cycles", "latency of one DMA transfer", ENUM(0, 0, 0)},
    {"dram.burst_bytes", K_INT, OFF(burst_bytes), 1, 1048576, "bytes", "DMA burst size (one TLM transaction)", ENUM(0, 0, 0)},
    {"precision.rule", K_ENUM, OFF(scale_rule), 0, 0, "", "MAC lanes per PE at b bits: linear 16/b, area area(16)/area(b), quadratic (16/b)^2, table", p_sc, n_sc, "linear|area|quadratic|table"},
    {"precision.placement", K_ENUM, OFF(placement), 0, 0, "", "where the extra lanes go: more columns, more rows, or both", p_pl, n_pl, "cols|rows|both"},
    {"precision.pe", K_ENUM, OFF(pe), 0, 0, "", "uniform: b-bit multiplier lanes; apot: shift-add lanes, a b-bit APoT weight (k = 2) costs ceil(b/2) cycles", p_pe, n_pe, "uniform|apot"},
    {"precision.lane_table", K_LANES, OFF(lane_table), 1, 4096, "lanes", "rule \"table\": list of base_bits numbers, lanes per PE at 1..base_bits bits", ENUM(0, 0, 0)},
    {"area.model", K_ENUM, OFF(area_model), 0, 0, "", "MAC area vs bits: pact (calibrated to PACT Fig. 6b, ~14x 16->2 bit) or bitfusion (45 nm synthesis table)", p_am, n_am, "pact|bitfusion"},
    {"area.mac16_um2", K_FLOAT, OFF(mac16_um2), 0.001, 1e6, "um2", "area of one 16-bit MAC lane (other widths follow area.model)", ENUM(0, 0, 0)},
    {"area.sram_mm2_per_kib", K_FLOAT, OFF(sram_mm2_per_kib), 0, 1, "mm2/KiB", "scratchpad area per KiB", ENUM(0, 0, 0)},
};
#undef ENUM

/* Group names that may appear as prefixes of the keys above. */
static const char *const groups[] = {"core", "dram", "precision", "area"};

static const Key *find_key(const char *path)
{
    for (size_t i = 0; i < QA_COUNT(keys); i++)
        if (!strcmp(keys[i].path, path))
            return &keys[i];
    return NULL;
}

static int is_group(const char *path)
{
    for (size_t i = 0; i < QA_COUNT(groups); i++)
        if (!strcmp(groups[i], path))
            return 1;
    return 0;
}

static const char *type_name(int t)
{
    switch (t) {
    case CONFIG_TYPE_GROUP: return "a group";
    case CONFIG_TYPE_INT: case CONFIG_TYPE_INT64: return "an integer";
    case CONFIG_TYPE_FLOAT: return "a number";
    case CONFIG_TYPE_STRING: return "a string";
    case CONFIG_TYPE_BOOL: return "a boolean";
    case CONFIG_TYPE_ARRAY: case CONFIG_TYPE_LIST: return "a list";
    default: return "something else";
    }
}

static int is_number(int t)
{
    return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64 ||
           t == CONFIG_TYPE_FLOAT;
}

static double number_of(const config_setting_t *s)
{
    if (config_setting_type(s) == CONFIG_TYPE_FLOAT)
        return config_setting_get_float(s);
    return (double)config_setting_get_int64(s);
}

int arch_parse_size(const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s)
        return QA_ERR;
    while (*end == ' ')
        end++;
    static const struct { const char *sfx; double mul; } units[] = {
        {"", 1}, {"B", 1}, {"KiB", 1024.0}, {"MiB", 1048576.0},
        {"GiB", 1073741824.0}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}};
    for (size_t i = 0; i < QA_COUNT(units); i++)
        if (!strcmp(end, units[i].sfx)) {
            *out = v * units[i].mul;
            return QA_OK;
        }
    return QA_ERR;
}

static int range_err(const Key *k, const char *file, int line, double v,
                     Err *e)
{
    return err_set(e, file, line, k->path, "must be in %g..%g%s%s, is %g",
                   k->min, k->max, k->unit[0] ? " " : "", k->unit, v);
}

static int set_key(Accel *a, const Key *k, const config_setting_t *s,
                   const char *file, Err *e)
{
    char *base = (char *)a + k->off;
    int line = (int)config_setting_source_line(s);
    int t = config_setting_type(s);
    double v = 0;

    switch (k->type) {
    case K_STR:
        if (t != CONFIG_TYPE_STRING)
            return err_set(e, file, line, k->path, "expected a string, got %s",
                           type_name(t));
        snprintf(base, sizeof a->name, "%s", config_setting_get_string(s));
        return QA_OK;
    case K_BOOL:
        if (t != CONFIG_TYPE_BOOL)
            return err_set(e, file, line, k->path,
                           "expected true or false, got %s", type_name(t));
        *(int *)base = config_setting_get_bool(s);
        return QA_OK;
    case K_ENUM: {
        int ev;
        if (t != CONFIG_TYPE_STRING)
            return err_set(e, file, line, k->path,
                           "expected one of %s, got %s", k->choices,
                           type_name(t));
        if (k->parse(config_setting_get_string(s), &ev) != QA_OK)
            return err_set(e, file, line, k->path,
                           "\"%s\" is not one of %s",
                           config_setting_get_string(s), k->choices);
        *(int *)base = ev;
        return QA_OK;
    }
    case K_LANES: {
        if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST)
            return err_set(e, file, line, k->path,
                           "expected a list of numbers, got %s", type_name(t));
        int n = config_setting_length(s);
        if (n < 1 || n > ARCH_MAX_BITS)
            return err_set(e, file, line, k->path,
                           "expected 1..%d entries (lanes at 1, 2, ... bits), "
                           "got %d", ARCH_MAX_BITS, n);
        double *tab = (double *)base;
        for (int i = 0; i < n; i++) {
            const config_setting_t *el = config_setting_get_elem(s, (unsigned)i);
            if (!is_number(config_setting_type(el)))
                return err_set(e, file, line, k->path,
                               "entry %d: expected a number", i + 1);
            v = number_of(el);
            if (v < k->min || v > k->max)
                return err_set(e, file, line, k->path,
                               "entry %d (lanes at %d bits) must be in "
                               "%g..%g, is %g", i + 1, i + 1, k->min, k->max, v);
            tab[i + 1] = v;
        }
        return QA_OK;
    }
    case K_BW:
        if (t == CONFIG_TYPE_STRING) {
            if (strcmp(config_setting_get_string(s), "unlimited"))
                return err_set(e, file, line, k->path,
                               "expected a number of GB/s or \"unlimited\", "
                               "got \"%s\"", config_setting_get_string(s));
            *(double *)base = 0;
            return QA_OK;
        }
        break;
    case K_BYTES:
        if (t == CONFIG_TYPE_STRING) {
            if (arch_parse_size(config_setting_get_string(s), &v) != QA_OK)
                return err_set(e, file, line, k->path,
                               "\"%s\" is not a size (e.g. 2097152 or "
                               "\"2 MiB\")", config_setting_get_string(s));
            if (v < k->min || v > k->max || v != floor(v))
                return range_err(k, file, line, v, e);
            *(int64_t *)base = (int64_t)v;
            return QA_OK;
        }
        break;
    default:
        break;
    }
    /* Numbers: K_INT, K_I64, K_BYTES, K_FLOAT, K_BW. */
    int want_int = k->type == K_INT || k->type == K_I64 || k->type == K_BYTES;
    if (!is_number(t) || (want_int && t == CONFIG_TYPE_FLOAT))
        return err_set(e, file, line, k->path, "expected %s, got %s",
                       want_int ? "an integer" : "a number", type_name(t));
    v = number_of(s);
    if (!(v >= k->min && v <= k->max))
        return range_err(k, file, line, v, e);
    if (k->type == K_INT)
        *(int *)base = (int)v;
    else if (k->type == K_I64 || k->type == K_BYTES)
        *(int64_t *)base = config_setting_get_int64(s);
    else
        *(double *)base = v;
    return QA_OK;
}

/* Walk every setting: known keys are applied, anything else is an error. */
static int walk(Accel *a, const config_setting_t *grp, const char *prefix,
                const char *file, Err *e)
{
    int n = config_setting_length(grp);
    for (int i = 0; i < n; i++) {
        const config_setting_t *s = config_setting_get_elem(grp, (unsigned)i);
        char path[256];
        const char *name = config_setting_name(s);
        snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "." : "",
                 name ? name : "?");
        int line = (int)config_setting_source_line(s);
        if (config_setting_type(s) == CONFIG_TYPE_GROUP) {
            if (!is_group(path))
                return err_set(e, file, line, path, "unknown group");
            if (walk(a, s, path, file, e) != QA_OK)
                return QA_ERR;
            continue;
        }
        const Key *k = find_key(path);
        if (!k)
            return err_set(e, file, line, path,
                           "unknown key (qarray run --help-config lists them)");
        if (set_key(a, k, s, file, e) != QA_OK)
            return QA_ERR;
    }
    return QA_OK;
}

int arch_load(Accel *a, const char *path, Err *e)
{
    config_t cfg;
    arch_defaults(a);
    if (cfgfile_read(&cfg, path, "architecture file", e) != QA_OK)
        return QA_ERR;
    int rc = walk(a, config_root_setting(&cfg), "", path, e);
    config_destroy(&cfg);
    if (rc != QA_OK)
        return QA_ERR;
    return arch_validate(a, path, e);
}

/* Shortest of %.15g / %.17g that reads back to the same double, always with
 * a decimal point (libconfig reads "2" as an integer). */
static void fmt_double(char *buf, size_t n, double v)
{
    snprintf(buf, n, "%.15g", v);
    if (strtod(buf, NULL) != v)
        snprintf(buf, n, "%.17g", v);
    if (!strpbrk(buf, ".eEn"))
        snprintf(buf + strlen(buf), n - strlen(buf), ".0");
}

/* A libconfig string literal: quotes, backslashes and control characters
 * escaped, or a name like "a\\b" would be written as a syntax error. */
static void print_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            fprintf(f, "\\x%02x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void print_value(FILE *f, const Accel *a, const Key *k)
{
    char buf[64];
    const char *base = (const char *)a + k->off;
    switch (k->type) {
    case K_STR: print_string(f, base); break;
    case K_BOOL: fputs(*(const int *)base ? "true" : "false", f); break;
    case K_ENUM: fprintf(f, "\"%s\"", k->name(*(const int *)base)); break;
    case K_INT: fprintf(f, "%d", *(const int *)base); break;
    case K_I64: case K_BYTES: fprintf(f, "%lldL", (long long)*(const int64_t *)base); break;
    case K_BW:
        if (*(const double *)base > 0) {
            fmt_double(buf, sizeof buf, *(const double *)base);
            fputs(buf, f);
        } else {
            fputs("\"unlimited\"", f);
        }
        break;
    case K_FLOAT:
        fmt_double(buf, sizeof buf, *(const double *)base);
        fputs(buf, f);
        break;
    case K_LANES: {
        const double *tab = (const double *)base;
        fputc('[', f);
        for (int b = 1; b <= a->base_bits; b++) {
            fmt_double(buf, sizeof buf, tab[b]);
            fprintf(f, "%s%s", b > 1 ? ", " : "", buf);
        }
        fputc(']', f);
        break;
    }
    }
}

int arch_save(const Accel *a, const char *path, Err *e)
{
    AtomicFile af;
    if (qa_afile_open(&af, path, e) != QA_OK)
        return QA_ERR;
    FILE *f = af.f;
    fprintf(f, "# Effective qarray architecture (every key, defaults included).\n");
    char cur[32] = ""; /* group whose braces are open, "" = top level */
    for (size_t i = 0; i < QA_COUNT(keys); i++) {
        const Key *k = &keys[i];
        if (k->type == K_LANES && a->scale_rule != SCALE_TABLE)
            continue;
        const char *dot = strchr(k->path, '.');
        char grp[32] = "";
        if (dot)
            snprintf(grp, sizeof grp, "%.*s", (int)(dot - k->path), k->path);
        if (strcmp(grp, cur)) {
            if (*cur)
                fputs("};\n", f);
            if (*grp)
                fprintf(f, "%s = {\n", grp);
            snprintf(cur, sizeof cur, "%s", grp);
        }
        fprintf(f, "%s%s = ", *grp ? "  " : "", dot ? dot + 1 : k->path);
        print_value(f, a, k);
        fprintf(f, ";  # %s%s%s\n", k->unit[0] ? k->unit : "",
                k->unit[0] ? ": " : "", k->help);
    }
    if (*cur)
        fputs("};\n", f);
    return qa_afile_commit(&af, e);
}

void arch_help_config(FILE *f)
{
    Accel d;
    arch_defaults(&d);
    fprintf(f, "Architecture file keys (libconfig syntax; groups core, dram, "
               "precision, area):\n\n");
    for (size_t i = 0; i < QA_COUNT(keys); i++) {
        const Key *k = &keys[i];
        fprintf(f, "  %-24s default ", k->path);
        print_value(f, &d, k);
        if (k->type == K_ENUM)
            fprintf(f, "  (%s)", k->choices);
        else if (k->type != K_STR && k->type != K_BOOL)
            fprintf(f, "  range %g..%g %s", k->min, k->max, k->unit);
        fprintf(f, "\n      %s\n", k->help);
    }
}
