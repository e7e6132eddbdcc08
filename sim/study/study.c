/* study.c: libconfig study files: the plain keys (name, arch, out, compare,
 * claims) and the axes. A chip axis (cores, sram_bytes, array, dataflow,
 * timing, rule, placement, area_model, dram_gbps) is set through the
 * architecture file's key table, so it has the same types and limits as
 * the file and the command line; the other axes (workload, engine, batch, first_last, bits) have a
 * parser each here. An axis key takes one value or a list; the same code
 * reads the `baseline` and `plot` groups (one value per axis) and
 * command-line overrides, so a value means the same thing wherever it is
 * written. Errors are file:line: field: message; unknown keys are errors. */
#include "sim/study/study.h"
#include "arch/keytab.h"

#include <libconfig.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* A value of a run axis as libconfig (or a flag) gave it. */
typedef struct {
    int is_str, is_float;
    const char *s;
    long long i;
    double d;
} Raw;

typedef int (*ParseFn)(const Raw *r, StudyValue *v, char *why, size_t n);

typedef struct {
    const char *key;
    ParseFn parse;        /* run axes */
    const char *arch_key; /* chip axes: the architecture key it sets */
    const char *help;
    int optional;         /* a column only when the study names the axis */
} AxisDef;

static int want_int(const Raw *r, long lo, long hi, long *out, char *why,
                    size_t n, const char *what)
{
    if (r->is_str || r->is_float || r->i < lo || r->i > hi) {
        snprintf(why, n, "expected %s (an integer %ld..%ld)", what, lo, hi);
        return QA_ERR;
    }
    *out = (long)r->i;
    return QA_OK;
}

static int p_workload(const Raw *r, StudyValue *v, char *why, size_t n)
{
    if (!r->is_str || !r->s[0] || strlen(r->s) >= sizeof v->text ||
        strpbrk(r->s, ",\"\r\n")) {
        /* The text is a key cell of points.csv, whose rows merge and
         * resume read one line at a time. */
        snprintf(why, n, "expected a network name, a SCALE-Sim .csv or an "
                         "ONNX .onnx path (a string without commas, quotes or "
                         "line breaks, under 64 characters)");
        return QA_ERR;
    }
    snprintf(v->text, sizeof v->text, "%s", r->s);
    return QA_OK;
}

static int p_engine(const Raw *r, StudyValue *v, char *why, size_t n)
{
    if (!r->is_str || (strcmp(r->s, "analytic") && strcmp(r->s, "systemc"))) {
        snprintf(why, n, "expected \"analytic\" or \"systemc\"");
        return QA_ERR;
    }
    snprintf(v->text, sizeof v->text, "%s", r->s);
    return QA_OK;
}

static int p_batch(const Raw *r, StudyValue *v, char *why, size_t n)
{
    if (want_int(r, 1, STUDY_MAX_BATCH, &v->i0, why, n, "a batch size") != QA_OK)
        return QA_ERR;
    snprintf(v->text, sizeof v->text, "%ld", v->i0);
    return QA_OK;
}

static int p_first_last(const Raw *r, StudyValue *v, char *why, size_t n)
{
    if (r->is_str && !strcmp(r->s, "same")) {
        v->i0 = 0;
        snprintf(v->text, sizeof v->text, "same");
        return QA_OK;
    }
    if (want_int(r, 1, ARCH_MAX_BITS, &v->i0, why, n,
                 "\"same\" or bits") != QA_OK)
        return QA_ERR;
    snprintf(v->text, sizeof v->text, "%ld", v->i0);
    return QA_OK;
}

/* W (weights and activations) or "W/A". */
static int p_bits(const Raw *r, StudyValue *v, char *why, size_t n)
{
    long w, a;
    if (!r->is_str) {
        if (want_int(r, 1, ARCH_MAX_BITS, &w, why, n, "bits") != QA_OK)
            return QA_ERR;
        a = w;
    } else {
        int iw, ia;
        if (!strchr(r->s, '/') ||
            kt_parse_bits(r->s, ARCH_MAX_BITS, &iw, &ia) != QA_OK) {
            snprintf(why, n, "expected bits 1..%d or \"W/A\"", ARCH_MAX_BITS);
            return QA_ERR;
        }
        w = iw, a = ia;
    }
    v->i0 = w;
    v->i1 = a;
    snprintf(v->text, sizeof v->text, "%ld/%ld", w, a);
    return QA_OK;
}

static const AxisDef axis_defs[STUDY_NAXES] = {
    [STUDY_WORKLOAD] = {"workload", p_workload, NULL, "built-in network, SCALE-Sim topology .csv or ONNX model .onnx"},
    [STUDY_ENGINE] = {"engine", p_engine, NULL, "analytic or systemc"},
    [STUDY_BATCH] = {"batch", p_batch, NULL, "images per inference, 1..65536"},
    [STUDY_CORES] = {"cores", NULL, "cores", "cores (architecture key cores)"},
    [STUDY_SRAM] = {"sram_bytes", NULL, "core.sram_bytes", "scratchpad per core: bytes or \"2 MiB\" (core.sram_bytes)"},
    [STUDY_ARRAY] = {"array", NULL, "core.rows", "PE array per core at base bits, \"ROWSxCOLS\" (core.rows, core.cols)"},
    [STUDY_DATAFLOW] = {"dataflow", NULL, "core.dataflow", "ws, os or is (core.dataflow)"},
    [STUDY_TIMING] = {"timing", NULL, "core.timing", "whose array cycles: scalesim (SCALE-Sim v2's count) or qarray (core.timing); a points column only when given", 1},
    [STUDY_RULE] = {"rule", NULL, "precision.rule", "precision rule: linear, area, quadratic, table (precision.rule)"},
    [STUDY_PLACEMENT] = {"placement", NULL, "precision.placement", "extra lanes as cols, rows or both (precision.placement)"},
    [STUDY_AREA] = {"area_model", NULL, "area.model", "MAC area model: pact, bitfusion or synth (area.model); a points column only when given", 1},
    [STUDY_DRAM] = {"dram_gbps", NULL, "dram.gbps", "DRAM bandwidth in GB/s or \"unlimited\" (dram.gbps)"},
    [STUDY_FIRST_LAST] = {"first_last", p_first_last, NULL, "bits of the first and last layers (at least the inner bits) or \"same\""},
    [STUDY_BITS] = {"bits", p_bits, NULL, "inner-layer bits: W (= A) or \"W/A\""},
};

const char *study_axis_name(StudyAxis ax)
{
    return ax < STUDY_NAXES ? axis_defs[ax].key : "?";
}

const char *study_axis_help(StudyAxis ax)
{
    return ax < STUDY_NAXES ? axis_defs[ax].help : "?";
}

int study_axis_shown(const Study *s, StudyAxis ax)
{
    if (ax >= STUDY_NAXES)
        return 0;
    return !axis_defs[ax].optional || s->axes[ax].line > 0 ||
           s->baseline_set[ax] || s->plot_set[ax];
}

static int find_axis(const char *key)
{
    for (int i = 0; i < STUDY_NAXES; i++)
        if (!strcmp(axis_defs[i].key, key))
            return i;
    return -1;
}

/* The value of chip axis ax that chip a has, in canonical text. */
static void chip_value(const Accel *a, StudyAxis ax, StudyValue *v)
{
    switch (ax) {
    case STUDY_CORES:
        v->i0 = a->cores;
        snprintf(v->text, sizeof v->text, "%d", a->cores);
        break;
    case STUDY_SRAM:
        v->d = (double)a->sram_bytes;
        snprintf(v->text, sizeof v->text, "%lld", (long long)a->sram_bytes);
        break;
    case STUDY_ARRAY:
        v->i0 = a->rows;
        v->i1 = a->cols;
        snprintf(v->text, sizeof v->text, "%dx%d", a->rows, a->cols);
        break;
    case STUDY_DATAFLOW:
        v->i0 = a->dataflow;
        snprintf(v->text, sizeof v->text, "%s", arch_dataflow_name(a->dataflow));
        break;
    case STUDY_RULE:
        v->i0 = a->scale_rule;
        snprintf(v->text, sizeof v->text, "%s", arch_scale_name(a->scale_rule));
        break;
    case STUDY_PLACEMENT:
        v->i0 = a->placement;
        snprintf(v->text, sizeof v->text, "%s", arch_place_name(a->placement));
        break;
    case STUDY_TIMING:
        v->i0 = a->timing;
        snprintf(v->text, sizeof v->text, "%s", arch_timing_name(a->timing));
        break;
    case STUDY_AREA:
        v->i0 = a->area_model;
        snprintf(v->text, sizeof v->text, "%s",
                 arch_area_model_name(a->area_model));
        break;
    case STUDY_DRAM:
        v->d = a->dram_gbps;
        if (a->dram_gbps > 0)
            snprintf(v->text, sizeof v->text, "%g", a->dram_gbps);
        else
            snprintf(v->text, sizeof v->text, "unlimited");
        break;
    default:
        break;
    }
}

/* The value an axis takes when the study does not list it. */
static void default_value(const Study *s, StudyAxis ax, StudyValue *v)
{
    char why[160];
    Raw r = {0};
    memset(v, 0, sizeof *v);
    if (axis_defs[ax].arch_key) {
        chip_value(&s->accel, ax, v);
        return;
    }
    switch (ax) {
    case STUDY_WORKLOAD: r.is_str = 1; r.s = "resnet50"; break;
    case STUDY_ENGINE: r.is_str = 1; r.s = "systemc"; break;
    case STUDY_BATCH: r.i = 1; break;
    case STUDY_FIRST_LAST: r.i = 8; break;
    case STUDY_BITS: r.i = s->accel.base_bits; break;
    default: break;
    }
    if (QA_NEVER(axis_defs[ax].parse(&r, v, why, sizeof why) != QA_OK))
        snprintf(v->text, sizeof v->text, "?");
}

/* Apply the chip axes of one point to a copy of the base chip. */
static void apply_chip(Accel *a, StudyAxis ax, const StudyValue *v)
{
    switch (ax) {
    case STUDY_CORES: a->cores = (int)v->i0; break;
    case STUDY_SRAM: a->sram_bytes = (int64_t)v->d; break;
    case STUDY_ARRAY: a->rows = (int)v->i0; a->cols = (int)v->i1; break;
    case STUDY_DATAFLOW: a->dataflow = (Dataflow)v->i0; break;
    case STUDY_RULE: a->scale_rule = (ScaleRule)v->i0; break;
    case STUDY_PLACEMENT: a->placement = (Placement)v->i0; break;
    case STUDY_TIMING: a->timing = (Timing)v->i0; break;
    case STUDY_AREA: a->area_model = (AreaModel)v->i0; break;
    case STUDY_DRAM: a->dram_gbps = v->d; break;
    default: break;
    }
}

/* "RxC" into the chip's core.rows and core.cols, each with its key's checks. */
static int set_array(Accel *a, const char *text, const char *file, int line,
                     const char *field, Err *e)
{
    char rows[32], cols[32];
    const char *x = strchr(text, 'x');
    if (!x || x == text || (size_t)(x - text) >= sizeof rows ||
        strlen(x + 1) >= sizeof cols || !x[1])
        return err_set(e, file, line, field,
                       "\"%s\": expected \"ROWSxCOLS\" (e.g. \"32x16\")", text);
    snprintf(rows, sizeof rows, "%.*s", (int)(x - text), text);
    snprintf(cols, sizeof cols, "%s", x + 1);
    Err ke;
    if (arch_set(a, "core.rows", rows, field, &ke) != QA_OK ||
        arch_set(a, "core.cols", cols, field, &ke) != QA_OK)
        return err_set(e, file, line, field, "\"%s\": rows and columns: %s",
                       text, ke.msg);
    return QA_OK;
}

/* A chip axis value from the study file (c) or a flag (text): set it on a
 * copy of the base chip through the architecture key table, check the
 * chip as a whole, and read the canonical value back. */
static int parse_chip(const Study *s, StudyAxis ax, const config_setting_t *c,
                      const char *text, const char *file, int line,
                      const char *field, StudyValue *v, Err *e)
{
    Accel a = s->accel;
    int rc;
    if (ax == STUDY_ARRAY) {
        if (c && config_setting_type(c) != CONFIG_TYPE_STRING)
            return err_set(e, file, line, field,
                           "expected \"ROWSxCOLS\" (e.g. \"32x16\")");
        rc = set_array(&a, c ? config_setting_get_string(c) : text, file, line,
                       field, e);
    } else if (c) {
        rc = arch_set_setting(&a, axis_defs[ax].arch_key, c, file, field, e);
    } else {
        rc = arch_set(&a, axis_defs[ax].arch_key, text, field, e);
    }
    if (rc != QA_OK)
        return QA_ERR;
    chip_value(&a, ax, v);
    Err ve;
    if (arch_validate(&a, NULL, &ve) != QA_OK)
        return err_set(e, file, line, field, "%s: %s: %s", v->text, ve.field,
                       ve.msg);
    return QA_OK;
}

static int raw_of(const config_setting_t *c, Raw *r)
{
    memset(r, 0, sizeof *r);
    switch (config_setting_type(c)) {
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64: r->i = config_setting_get_int64(c); return QA_OK;
    case CONFIG_TYPE_FLOAT: r->is_float = 1; r->d = config_setting_get_float(c); return QA_OK;
    case CONFIG_TYPE_STRING: r->is_str = 1; r->s = config_setting_get_string(c); return QA_OK;
    default: return QA_ERR;
    }
}

/* Parse one scalar setting of axis ax. */
static int parse_one(const Study *s, StudyAxis ax, const config_setting_t *c,
                     const char *field, StudyValue *v, Err *e)
{
    char why[160];
    Raw r;
    int line = (int)config_setting_source_line(c);
    memset(v, 0, sizeof *v);
    v->line = line;
    if (raw_of(c, &r) != QA_OK)
        return err_set(e, s->file, line, field,
                       "expected a value or a list of values");
    if (axis_defs[ax].arch_key)
        return parse_chip(s, ax, c, NULL, s->file, line, field, v, e);
    if (axis_defs[ax].parse(&r, v, why, sizeof why) != QA_OK) {
        if (r.is_str)
            return err_set(e, s->file, line, field, "\"%s\": %s", r.s, why);
        if (r.is_float)
            return err_set(e, s->file, line, field, "%g: %s", r.d, why);
        return err_set(e, s->file, line, field, "%lld: %s", r.i, why);
    }
    return QA_OK;
}

static int parse_axis(Study *s, StudyAxis ax, const config_setting_t *c,
                      Err *e)
{
    StudyAxisValues *av = &s->axes[ax];
    const char *key = axis_defs[ax].key;
    int t = config_setting_type(c);
    int n = (t == CONFIG_TYPE_ARRAY || t == CONFIG_TYPE_LIST)
                ? config_setting_length(c) : 1;
    av->line = (int)config_setting_source_line(c);
    if (t == CONFIG_TYPE_GROUP)
        return err_set(e, s->file, av->line, key,
                       "expected a value or a list of values, got a group");
    if (n == 0)
        return err_set(e, s->file, av->line, key,
                       "empty list: give at least one value");
    av->v = qa_calloc((size_t)n, sizeof *av->v);
    if (!av->v)
        return err_set(e, s->file, av->line, key, "out of memory");
    av->n = n;
    for (int i = 0; i < n; i++) {
        const config_setting_t *el =
            n == 1 && t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST
                ? c : config_setting_get_elem(c, (unsigned)i);
        if (parse_one(s, ax, el, key, &av->v[i], e) != QA_OK)
            return QA_ERR;
        /* Lists inside an array have no line of their own in libconfig. */
        if (av->v[i].line == 0)
            av->v[i].line = av->line;
        for (int j = 0; j < i; j++)
            if (!strcmp(av->v[j].text, av->v[i].text))
                return err_set(e, s->file, av->line, key,
                               "%s is listed twice", av->v[i].text);
    }
    return QA_OK;
}

/* baseline = { bits = 16; first_last = "same"; } and plot = { ... }. */
static int parse_group(Study *s, const config_setting_t *g, const char *gname,
                       StudyValue *vals, int *set, Err *e)
{
    int line = (int)config_setting_source_line(g);
    if (config_setting_type(g) != CONFIG_TYPE_GROUP)
        return err_set(e, s->file, line, gname,
                       "expected a group { axis = value; ... }");
    for (int i = 0; i < config_setting_length(g); i++) {
        const config_setting_t *c = config_setting_get_elem(g, (unsigned)i);
        char field[160];
        snprintf(field, sizeof field, "%s.%s", gname, config_setting_name(c));
        int ax = find_axis(config_setting_name(c));
        if (ax < 0)
            return err_set(e, s->file, (int)config_setting_source_line(c),
                           field, "unknown axis (see qarray sweep --help)");
        int t = config_setting_type(c);
        if (t == CONFIG_TYPE_ARRAY || t == CONFIG_TYPE_LIST ||
            t == CONFIG_TYPE_GROUP)
            return err_set(e, s->file, (int)config_setting_source_line(c),
                           field, "expected one value");
        if (parse_one(s, (StudyAxis)ax, c, field, &vals[ax], e) != QA_OK)
            return QA_ERR;
        set[ax] = 1;
    }
    return QA_OK;
}

static int get_string(const Study *s, const config_setting_t *c,
                      const char *key, char *out, size_t n, Err *e)
{
    int line = (int)config_setting_source_line(c);
    if (config_setting_type(c) != CONFIG_TYPE_STRING)
        return err_set(e, s->file, line, key, "expected a string");
    const char *v = config_setting_get_string(c);
    if (!v[0] || strlen(v) >= n)
        return err_set(e, s->file, line, key,
                       "expected a non-empty string under %zu characters", n);
    snprintf(out, n, "%s", v);
    return QA_OK;
}

/* The `claims` group: the paper's numbers, one key table like every other
 * configuration (arch/keytab.c). */
#define CF(field) offsetof(ClaimData, field), sizeof(((ClaimData *)0)->field)
static const KtKey claim_keys[] = {
    {"claims.area_ratio", KT_FLOAT, CF(area_ratio), 1, 1000, "x", "MAC area 16 -> 2 bits the paper reports (PACT Fig. 6b: ~14)", NULL},
    {"claims.area_tolerance", KT_FLOAT, CF(area_tolerance), 0, 1, "", "relative difference that still holds", NULL},
    {"claims.linear_share", KT_FLOAT, CF(linear_share), 0, 1, "", "near-linear: speedup at 8 and 4 bits at least this share of the peak-MAC gain", NULL},
    {"claims.drop_share", KT_FLOAT, CF(drop_share), 0, 1, "", "a small drop at 2 bits: below the 4-bit share but at least this", NULL},
    {"claims.bw_gbps", KT_FLOAT, CF(bw_gbps), 0.001, 1e6, "GB/s", "the bandwidth of the super-linear claim", NULL},
    {"claims.bw_speedup", KT_FLOAT, CF(bw_speedup), 1, 1000, "x", "16 -> 4 bits at bw_gbps at least this (PACT: 4.5)", NULL},
    {"claims.super_gbps", KT_FLOAT, CF(super_gbps), 0.001, 1e6, "GB/s", "the bandwidth where 16 -> 4 bits beats the 4x peak gain", NULL},
    {"claims.fl_gain", KT_FLOAT, CF(fl_gain), 1, 100, "x", "first/last layers at the inner bits instead of 8 (PACT: 1.24)", NULL},
    {"claims.fl_tolerance", KT_FLOAT, CF(fl_tolerance), 0, 1, "", "relative difference that still holds", NULL},
    {"claims.energy_exponent", KT_FLOAT, CF(energy_exponent), 0, 10, "", "energy 16 -> b bits scales as (16/b)^this, at bw_gbps (FAQ: 2, quadratic)", NULL},
    {"claims.energy_tolerance", KT_FLOAT, CF(energy_tolerance), 0, 10, "", "absolute difference of the exponent that still holds", NULL},
};
#undef CF
static const KtTable claim_table = {"study file", claim_keys,
                                    (int)QA_COUNT(claim_keys),
                                    "qarray sweep --help", 0, NULL};

static void claim_defaults(ClaimData *c)
{
    c->area_ratio = 14, c->area_tolerance = 0.15;
    c->linear_share = 0.9, c->drop_share = 0.75;
    c->bw_gbps = 64, c->bw_speedup = 4.5, c->super_gbps = 32;
    c->fl_gain = 1.24, c->fl_tolerance = 0.1;
    c->energy_exponent = 2, c->energy_tolerance = 0.2;
}

void study_help_claims(FILE *f)
{
    ClaimData d;
    claim_defaults(&d);
    kt_help(&claim_table, &d, f);
}

static int walk(Study *s, config_t *cfg, Err *e)
{
    const config_setting_t *root = config_root_setting(cfg);
    const config_setting_t *arch = config_setting_get_member(root, "arch");
    const config_setting_t *base = NULL, *plot = NULL;
    if (!arch)
        return err_set(e, s->file, 0, "arch",
                       "missing: the architecture file of the base chip");
    if (get_string(s, arch, "arch", s->arch_path, sizeof s->arch_path, e) != QA_OK)
        return QA_ERR;
    /* The study's line, then the arch file's own file:line: key. */
    Err ae;
    if (arch_load(&s->accel, s->arch_path, &ae) != QA_OK) {
        char where[400];
        if (ae.line > 0)
            snprintf(where, sizeof where, "%.255s:%d", ae.file, ae.line);
        else
            snprintf(where, sizeof where, "%.255s", ae.file);
        return err_set(e, s->file, (int)config_setting_source_line(arch),
                       "arch", "%s: %s%s%.200s", where, ae.field,
                       ae.field[0] ? ": " : "", ae.msg);
    }
    for (int i = 0; i < config_setting_length(root); i++) {
        const config_setting_t *c = config_setting_get_elem(root, (unsigned)i);
        const char *key = config_setting_name(c);
        int line = (int)config_setting_source_line(c);
        int ax = find_axis(key);
        if (ax >= 0 || !strcmp(key, "onnx")) {
            /* onnx = "model.onnx" (or a list): the workload axis, every
             * value an ONNX model */
            int onnx = ax < 0;
            if (onnx)
                ax = STUDY_WORKLOAD;
            if (ax == STUDY_WORKLOAD && s->axes[ax].line)
                return err_set(e, s->file, line, key, "the workload is given "
                               "twice (workload and onnx are one axis)");
            if (parse_axis(s, (StudyAxis)ax, c, e) != QA_OK)
                return QA_ERR;
            for (int k = 0; onnx && k < s->axes[ax].n; k++) {
                size_t len = strlen(s->axes[ax].v[k].text);
                if (len < 6 || strcmp(s->axes[ax].v[k].text + len - 5, ".onnx"))
                    return err_set(e, s->file, s->axes[ax].v[k].line, key,
                                   "\"%s\": expected an ONNX model path "
                                   "ending in .onnx", s->axes[ax].v[k].text);
            }
        } else if (!strcmp(key, "name")) {
            if (get_string(s, c, key, s->name, sizeof s->name, e) != QA_OK)
                return QA_ERR;
        } else if (!strcmp(key, "out")) {
            if (get_string(s, c, key, s->out_dir, sizeof s->out_dir, e) != QA_OK)
                return QA_ERR;
        } else if (!strcmp(key, "compare")) {
            if (get_string(s, c, key, s->compare, sizeof s->compare, e) != QA_OK)
                return QA_ERR;
            if (strcmp(s->compare, "pact2018") && strcmp(s->compare, "none"))
                return err_set(e, s->file, line, key,
                               "\"%s\" is not one of pact2018|none", s->compare);
            if (!strcmp(s->compare, "none"))
                s->compare[0] = '\0';
        } else if (!strcmp(key, "claims")) {
            if (config_setting_type(c) != CONFIG_TYPE_GROUP)
                return err_set(e, s->file, line, key,
                               "expected a group { key = value; ... }");
            /* the group's keys as claims.KEY */
            for (int j = 0; j < config_setting_length(c); j++) {
                const config_setting_t *k = config_setting_get_elem(c, (unsigned)j);
                char path[160];
                snprintf(path, sizeof path, "claims.%s",
                         config_setting_name(k) ? config_setting_name(k) : "?");
                const KtKey *kk = kt_find(&claim_table, path);
                if (!kk)
                    return err_set(e, s->file, (int)config_setting_source_line(k),
                                   path, "unknown key (qarray sweep --help lists them)");
                if (kt_set_setting(kk, &s->claims, k, s->file, NULL, e) != QA_OK)
                    return QA_ERR;
            }
        } else if (!strcmp(key, "input_shape")) {
            /* "NAME=D0xD1x..." or a list of them, as --input-shape */
            int list = config_setting_is_aggregate(c);
            int n = list ? config_setting_length(c) : 1;
            if (n == 0)
                return err_set(e, s->file, line, key, "empty list: give at "
                               "least one NAME=D0xD1x... or leave input_shape "
                               "out");
            s->input_shape_line = line;
            for (int j = 0; j < n; j++) {
                const config_setting_t *v =
                    list ? config_setting_get_elem(c, (unsigned)j) : c;
                int vl = (int)config_setting_source_line(v);
                if (config_setting_type(v) != CONFIG_TYPE_STRING)
                    return err_set(e, s->file, vl, key, "expected a string "
                                   "NAME=D0xD1x... or a list of them");
                if (onnx_options_add(&s->onnx, config_setting_get_string(v),
                                     key, e) != QA_OK) {
                    e->line = vl;
                    snprintf(e->file, sizeof e->file, "%.255s", s->file);
                    return QA_ERR;
                }
            }
        } else if (!strcmp(key, "baseline")) {
            base = c;
        } else if (!strcmp(key, "plot")) {
            plot = c;
        } else if (strcmp(key, "arch")) {
            return err_set(e, s->file, line, key,
                           "unknown key (qarray sweep --help lists them)");
        }
    }
    if (base && parse_group(s, base, "baseline", s->baseline,
                            s->baseline_set, e) != QA_OK)
        return QA_ERR;
    if (plot && parse_group(s, plot, "plot", s->plot, s->plot_set, e) != QA_OK)
        return QA_ERR;
    return QA_OK;
}

/* Axes absent from the file get one value; counts multiply. */
static int finish(Study *s, Err *e)
{
    s->npoints = 1;
    for (int ax = 0; ax < STUDY_NAXES; ax++) {
        StudyAxisValues *av = &s->axes[ax];
        if (!av->v) {
            av->v = qa_calloc(1, sizeof *av->v);
            if (!av->v)
                return err_set(e, s->file, 0, NULL, "out of memory");
            av->n = 1;
            default_value(s, (StudyAxis)ax, &av->v[0]);
        }
        if (s->npoints > STUDY_MAX_POINTS / av->n)
            return err_set(e, s->file, av->line, study_axis_name(ax),
                           "more than 2^24 (%lld) points in the cross "
                           "product: split the study",
                           (long long)STUDY_MAX_POINTS);
        s->npoints *= av->n;
        if (s->plot_set[ax] && study_find_value(s, ax, s->plot[ax].text) < 0)
        {
            char field[64];
            snprintf(field, sizeof field, "plot.%s", study_axis_name(ax));
            return err_set(e, s->file, s->plot[ax].line, field,
                           "%s is not a value of the %s axis",
                           s->plot[ax].text, study_axis_name(ax));
        }
    }
    /* Shapes nothing reads would be a setting that silently does nothing
     * (run and net refuse --input-shape without --onnx the same way). */
    if (s->onnx.nshapes) {
        const StudyAxisValues *wl = &s->axes[STUDY_WORKLOAD];
        int any = 0;
        for (int k = 0; k < wl->n && !any; k++)
            any = onnx_is_path(wl->v[k].text);
        if (!any)
            return err_set(e, s->file, s->input_shape_line, "input_shape",
                           "no workload of the study is an ONNX model "
                           "(.onnx): the shapes would apply to nothing");
    }
    /* The default baseline is the chip at base_bits in every layer, the
     * reference of point_run's own speedup. */
    if (!s->baseline_set[STUDY_BITS]) {
        default_value(s, STUDY_BITS, &s->baseline[STUDY_BITS]);
        s->baseline_set[STUDY_BITS] = 1;
    }
    if (!s->baseline_set[STUDY_FIRST_LAST]) {
        Raw r = {1, 0, "same", 0, 0};
        char why[160];
        axis_defs[STUDY_FIRST_LAST].parse(&r, &s->baseline[STUDY_FIRST_LAST],
                                          why, sizeof why);
        s->baseline_set[STUDY_FIRST_LAST] = 1;
    }
    if (!s->name[0]) {
        const char *b = strrchr(s->file, '/');
        snprintf(s->name, sizeof s->name, "%.63s", b ? b + 1 : s->file);
        char *dot = strrchr(s->name, '.');
        if (dot)
            *dot = '\0';
    }
    if (!s->out_dir[0])
        snprintf(s->out_dir, sizeof s->out_dir, "results/%s", s->name);
    return QA_OK;
}

void study_free(Study *s)
{
    for (int ax = 0; ax < STUDY_NAXES; ax++) {
        free(s->axes[ax].v);
        s->axes[ax].v = NULL;
        s->axes[ax].n = 0;
    }
}

int study_load(Study *s, const char *path, Err *e)
{
    config_t cfg;
    memset(s, 0, sizeof *s);
    if (strlen(path) >= sizeof s->file)
        return err_set(e, path, 0, NULL, "path too long");
    snprintf(s->file, sizeof s->file, "%s", path);
    claim_defaults(&s->claims);
    if (kt_read_config(&cfg, path, "study file", e) != QA_OK)
        return QA_ERR;
    int rc = walk(s, &cfg, e);
    config_destroy(&cfg);
    if (rc == QA_OK)
        rc = finish(s, e);
    if (rc != QA_OK)
        study_free(s);
    return rc;
}

int study_override(Study *s, StudyAxis ax, const char *text, const char *flag,
                   Err *e)
{
    char why[160];
    Raw r = {1, 0, text, 0, 0};
    StudyValue v;
    double d;
    long l;
    memset(&v, 0, sizeof v);
    if (axis_defs[ax].arch_key) {
        if (parse_chip(s, ax, NULL, text, NULL, 0, flag, &v, e) != QA_OK)
            return QA_ERR;
    } else {
        /* A flag is text; numbers are numbers where the axis expects them. */
        if (qa_parse_long(text, &l) == QA_OK) {
            r.is_str = 0;
            r.i = l;
        } else if (qa_parse_double(text, &d) == QA_OK) {
            r.is_str = 0;
            r.is_float = 1;
            r.d = d;
        }
        if (axis_defs[ax].parse(&r, &v, why, sizeof why) != QA_OK)
            return err_set(e, NULL, 0, flag, "'%s': %s", text, why);
    }
    StudyValue *nv = qa_calloc(1, sizeof *nv);
    if (!nv)
        return err_set(e, NULL, 0, flag, "out of memory");
    *nv = v;
    StudyAxisValues *av = &s->axes[ax];
    s->npoints = s->npoints / av->n;
    free(av->v);
    av->v = nv;
    av->n = 1;
    return QA_OK;
}

void study_point(const Study *s, int64_t id, StudyPoint *p)
{
    int64_t rest = id;
    p->id = id;
    p->accel = s->accel;
    p->onnx = &s->onnx;
    for (int ax = STUDY_NAXES - 1; ax >= 0; ax--) {
        const StudyAxisValues *av = &s->axes[ax];
        p->v[ax] = &av->v[rest % av->n];
        rest /= av->n;
    }
    for (int ax = 0; ax < STUDY_NAXES; ax++)
        apply_chip(&p->accel, (StudyAxis)ax, p->v[ax]);
}

void study_baseline(const Study *s, const StudyPoint *p, StudyPoint *b)
{
    *b = *p;
    for (int ax = 0; ax < STUDY_NAXES; ax++)
        if (s->baseline_set[ax]) {
            b->v[ax] = &s->baseline[ax];
            apply_chip(&b->accel, (StudyAxis)ax, b->v[ax]);
        }
}

int study_point_in_plot(const Study *s, const StudyPoint *p)
{
    for (int ax = 0; ax < STUDY_NAXES; ax++)
        if (s->plot_set[ax] && strcmp(s->plot[ax].text, p->v[ax]->text))
            return 0;
    return 1;
}

int study_find_value(const Study *s, StudyAxis ax, const char *text)
{
    for (int i = 0; i < s->axes[ax].n; i++)
        if (!strcmp(s->axes[ax].v[i].text, text))
            return i;
    return -1;
}

int study_inner_bits(const StudyPoint *p)
{
    return (int)QA_MAX(p->v[STUDY_BITS]->i0, p->v[STUDY_BITS]->i1);
}

int study_first_last_bits(const StudyPoint *p)
{
    int inner = study_inner_bits(p);
    long fl = p->v[STUDY_FIRST_LAST]->i0;
    if (fl == 0)
        return inner;
    return (int)QA_MIN((long)p->accel.base_bits, QA_MAX(fl, (long)inner));
}

int study_parse_shard(const char *s, long *i, long *n)
{
    char buf[64];
    if (strlen(s) >= sizeof buf)
        return QA_ERR;
    snprintf(buf, sizeof buf, "%s", s);
    char *slash = strchr(buf, '/');
    if (!slash)
        return QA_ERR;
    *slash = '\0';
    if (qa_parse_long(buf, i) != QA_OK || qa_parse_long(slash + 1, n) != QA_OK)
        return QA_ERR;
    return *n >= 1 && *i >= 0 && *i < *n ? QA_OK : QA_ERR;
}

int study_load_with(Study *s, const char *path, const char *engine, const char *out,
                    Err *e)
{
    if (study_load(s, path, e) != QA_OK)
        return QA_ERR;
    if (engine && study_override(s, STUDY_ENGINE, engine, "engine", e) != QA_OK)
        goto fail;
    if (out) {
        if (!out[0] || strlen(out) >= sizeof s->out_dir) {
            err_set(e, NULL, 0, "out", "'%s' is not a folder name", out);
            goto fail;
        }
        snprintf(s->out_dir, sizeof s->out_dir, "%s", out);
    }
    return QA_OK;
fail:
    study_free(s);
    return QA_ERR;
}
