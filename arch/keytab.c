/* keytab.c: the key-table engine (keytab.h). */
#include "arch/keytab.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- reading a file ---- */

/* Files qarray reads as configuration are a few KiB; this bounds what a
 * wrong path (a disk image, /dev/zero) can make us read. */
#define KT_MAX_FILE_BYTES (16L << 20)

static int is_name_char(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '*';
}

/* libconfig 1.5 reads an integer literal without an L suffix as 32 bits and
 * wraps what does not fit (4294968320 becomes 1024; 99999999999999999999
 * becomes -1) without a word. Scan the text as libconfig's lexer would
 * (strings, three kinds of comments, names, numbers) and refuse such a
 * literal before libconfig sees it. */
static int check_int_literals(const char *text, const char *path, Err *e)
{
    int line = 1;
    const char *p = text;
    while (*p) {
        char c = *p;
        if (c == '\n') {
            line++, p++;
        } else if (c == '"') {
            for (p++; *p && *p != '"'; p++) {
                if (*p == '\\' && p[1])
                    p++;
                if (*p == '\n')
                    line++;
            }
            if (*p)
                p++;
        } else if (c == '#' || (c == '/' && p[1] == '/')) {
            while (*p && *p != '\n')
                p++;
        } else if (c == '/' && p[1] == '*') {
            for (p += 2; *p && !(p[0] == '*' && p[1] == '/'); p++)
                if (*p == '\n')
                    line++;
            if (*p)
                p += 2;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                   c == '*' || c == '@') {
            while (is_name_char((unsigned char)*p) || *p == '@')
                p++;
        } else if ((c >= '0' && c <= '9') || c == '.' ||
                   ((c == '-' || c == '+') &&
                    ((p[1] >= '0' && p[1] <= '9') || p[1] == '.'))) {
            const char *start = p;
            if (c == '-' || c == '+')
                p++;
            int hex = p[0] == '0' && (p[1] == 'x' || p[1] == 'X');
            p += hex ? 2 : 0;
            while ((*p >= '0' && *p <= '9') ||
                   (hex && ((*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F'))))
                p++;
            if (!hex && (*p == '.' || *p == 'e' || *p == 'E')) {
                /* a float: libconfig reads it as a double */
                while (is_name_char((unsigned char)*p) || *p == '.' ||
                       ((*p == '-' || *p == '+') && (p[-1] == 'e' || p[-1] == 'E')))
                    p++;
                continue;
            }
            int wide = *p == 'L';
            errno = 0;
            long long v = strtoll(start, NULL, hex ? 16 : 10);
            if (hex && start[0] == '-') {
                if (v == LLONG_MIN)
                    errno = ERANGE; /* its negation does not fit */
                else
                    v = -v;
            }
            int n = (int)(p - start) + wide;
            if (errno == ERANGE)
                return err_set(e, path, line, NULL,
                               "integer %.*s does not fit in 64 bits", n, start);
            if (!wide && (v > INT_MAX || v < INT_MIN))
                return err_set(e, path, line, NULL,
                               "integer %.*s does not fit in 32 bits (write it "
                               "with an L suffix, %.*sL, or as a size such as "
                               "\"4 GiB\")", n, start, n, start);
            p += wide;
        } else {
            p++;
        }
    }
    return QA_OK;
}

/* The whole file as a string; folders, huge files and NUL bytes refused. */
static char *slurp(const char *path, const char *what, Err *e)
{
    char *buf;
    size_t n;
    if (qa_read_input(path, what, (size_t)KT_MAX_FILE_BYTES, 0, &buf, &n, e) != QA_OK)
        return NULL;
    if (memchr(buf, '\0', n)) {
        err_set(e, path, 0, NULL, "%s has a NUL byte: not a text file", what);
        free(buf);
        return NULL;
    }
    return buf;
}

int kt_read_config(config_t *cfg, const char *path, const char *what, Err *e)
{
    char *text = slurp(path, what, e);
    if (!text)
        return QA_ERR;
    int rc = check_int_literals(text, path, e);
    /* The text checked is the text parsed: the file is read once. Read
     * again by name, a pipe (-c <(cmd)) or a FIFO gave libconfig an empty
     * file, every key its default, silently; a file replaced in between
     * was parsed unchecked. */
    if (rc == QA_OK) {
        config_init(cfg);
        if (!config_read_string(cfg, text)) {
            rc = err_set(e, path, config_error_line(cfg), NULL, "syntax error: %s",
                         config_error_text(cfg));
            config_destroy(cfg);
        }
    }
    free(text);
    return rc;
}

/* ---- one value ---- */

typedef enum { V_INT, V_FLOAT, V_STR, V_BOOL, V_OTHER } VKind;

typedef struct {
    VKind kind;
    long long i;
    double d;
    const char *s;      /* V_STR */
    const char *text;   /* the value as typed, for messages; NULL if a file */
    const char *what;   /* V_OTHER: "a list", "a group" */
} Val;

typedef struct {
    const char *file;
    int line;
    const char *field;
} Where;

static const char *kind_name(const Val *v)
{
    switch (v->kind) {
    case V_INT: return "an integer";
    case V_FLOAT: return "a number";
    case V_STR: return "a string";
    case V_BOOL: return "a boolean";
    default: return v->what;
    }
}

/* Shortest of %.15g / %.17g that reads back as v. `point`: always with a
 * decimal point (libconfig reads "2" as an integer); -0 always keeps it. */
static void fmt_double(char *buf, size_t n, double v, int point)
{
    snprintf(buf, n, "%.15g", v);
    if (strtod(buf, NULL) != v)
        snprintf(buf, n, "%.17g", v);
    if ((point || (v == 0 && signbit(v))) && !strpbrk(buf, ".eEn"))
        snprintf(buf + strlen(buf), n - strlen(buf), ".0");
}

static void val_text(const Val *v, char *buf, size_t n)
{
    if (v->text)
        snprintf(buf, n, "%s", v->text);
    else if (v->kind == V_INT)
        snprintf(buf, n, "%lld", v->i);
    else if (v->kind == V_FLOAT)
        fmt_double(buf, n, v->d, 0);
    else if (v->kind == V_STR)
        snprintf(buf, n, "\"%s\"", v->s);
    else
        snprintf(buf, n, "%s", kind_name(v));
}

static const char *field_of(const KtKey *k, const Where *w)
{
    return w->field ? w->field : k->path;
}

static void names_text(const KtKey *k, char *buf, size_t n)
{
    buf[0] = '\0';
    for (int i = 0; k->names[i]; i++)
        snprintf(buf + strlen(buf), n - strlen(buf), "%s%s", i ? "|" : "",
                 k->names[i]);
}

static int range_err(const KtKey *k, const Val *v, const Where *w, Err *e)
{
    char val[80], lo[32], hi[32];
    val_text(v, val, sizeof val);
    fmt_double(lo, sizeof lo, k->min, 0);
    fmt_double(hi, sizeof hi, k->max, 0);
    return err_set(e, w->file, w->line, field_of(k, w),
                   "must be in %s..%s%s%s%s, is %s", lo, hi,
                   k->unit[0] ? " " : "", k->unit,
                   k->type == KT_GBPS ? " or \"unlimited\"" : "", val);
}

static int type_err(const KtKey *k, const Val *v, const char *want,
                    const Where *w, Err *e)
{
    if (v->text)
        return err_set(e, w->file, w->line, field_of(k, w),
                       "expected %s, got '%s'", want, v->text);
    if (v->kind == V_STR)
        return err_set(e, w->file, w->line, field_of(k, w),
                       "expected %s, got \"%s\"", want, v->s);
    return err_set(e, w->file, w->line, field_of(k, w), "expected %s, got %s",
                   want, kind_name(v));
}

static int in_range(const KtKey *k, double d)
{
    return d >= k->min && d <= k->max; /* false for NaN */
}

/* -0 (written "-0", "-0.0 pJ" or -0.0) is stored as 0: the same value,
 * and the reports print "0", not "-0". */
static double pos_zero(double d)
{
    return d == 0 ? 0 : d;
}

static int set_val(const KtKey *k, void *obj, const Val *v, const Where *w,
                   Err *e)
{
    char *field = (char *)obj + k->off;
    char names[256];
    double d;
    switch (k->type) {
    case KT_STR:
        if (v->kind != V_STR)
            return type_err(k, v, "a string", w, e);
        if (k->names) {
            int i;
            for (i = 0; k->names[i] && strcmp(k->names[i], v->s); i++)
                ;
            if (!k->names[i]) {
                names_text(k, names, sizeof names);
                return err_set(e, w->file, w->line, field_of(k, w),
                               "\"%s\" is not one of %s", v->s, names);
            }
        }
        if (strlen(v->s) >= k->size)
            return err_set(e, w->file, w->line, field_of(k, w),
                           "longer than %zu characters", k->size - 1);
        memcpy(field, v->s, strlen(v->s) + 1);
        return QA_OK;
    case KT_ENUM:
        names_text(k, names, sizeof names);
        if (v->kind != V_STR)
            return type_err(k, v, names, w, e);
        for (int i = 0; k->names[i]; i++)
            if (!strcmp(k->names[i], v->s)) {
                *(int *)field = i;
                return QA_OK;
            }
        return err_set(e, w->file, w->line, field_of(k, w),
                       "\"%s\" is not one of %s", v->s, names);
    case KT_BOOL:
        if (v->kind != V_BOOL)
            return type_err(k, v, "true or false", w, e);
        *(int *)field = (int)v->i;
        return QA_OK;
    case KT_GBPS:
        if (v->kind == V_STR && !strcmp(v->s, "unlimited")) {
            *(double *)field = 0;
            return QA_OK;
        }
        if (v->kind != V_INT && v->kind != V_FLOAT)
            return type_err(k, v, "a number of GB/s or \"unlimited\"", w, e);
        d = v->kind == V_INT ? (double)v->i : v->d;
        if (!in_range(k, d))
            return range_err(k, v, w, e);
        *(double *)field = pos_zero(d);
        return QA_OK;
    case KT_FLOAT:
        if (v->kind != V_INT && v->kind != V_FLOAT)
            return type_err(k, v, "a number", w, e);
        d = v->kind == V_INT ? (double)v->i : v->d;
        if (!in_range(k, d))
            return range_err(k, v, w, e);
        *(double *)field = pos_zero(d);
        return QA_OK;
    case KT_QTY:
        if (v->kind == V_STR) {
            const char *bad;
            if (kt_parse_qty(v->s, k->unit, &d, &bad) != QA_OK)
                return err_set(e, w->file, w->line, field_of(k, w),
                               "expected a number of %s or a quantity such "
                               "as \"1 %s\", got \"%s\"", k->unit, k->unit,
                               v->s);
            if (bad) {
                kt_qty_units(k->unit, names, sizeof names);
                return err_set(e, w->file, w->line, field_of(k, w),
                               "\"%s\": %s is not a unit of %s (%s)", v->s,
                               bad, k->unit, names);
            }
        } else if (v->kind == V_INT || v->kind == V_FLOAT) {
            d = v->kind == V_INT ? (double)v->i : v->d;
        } else {
            char want[96];
            snprintf(want, sizeof want, "a number of %s or a quantity such "
                     "as \"1 %s\"", k->unit, k->unit);
            return type_err(k, v, want, w, e);
        }
        if (!in_range(k, d))
            return range_err(k, v, w, e);
        *(double *)field = pos_zero(d);
        return QA_OK;
    case KT_BYTES:
        if (v->kind == V_STR) {
            if (kt_parse_size(v->s, &d) != QA_OK)
                return err_set(e, w->file, w->line, field_of(k, w),
                               "\"%s\" is not a size (e.g. 2097152 or "
                               "\"2 MiB\")", v->s);
            if (!in_range(k, d))
                return range_err(k, v, w, e);
            if (d != floor(d))
                return err_set(e, w->file, w->line, field_of(k, w),
                               "\"%s\" is not a whole number of bytes", v->s);
            *(int64_t *)field = (int64_t)d;
            return QA_OK;
        }
        /* an integer number of bytes: as the integers below */
        __attribute__((fallthrough));
    case KT_INT:
    case KT_LONG:
    case KT_I64:
        if (v->kind != V_INT)
            return type_err(k, v, "an integer", w, e);
        if (!in_range(k, (double)v->i))
            return range_err(k, v, w, e);
        if (k->type == KT_INT)
            *(int *)field = (int)v->i;
        else if (k->type == KT_LONG)
            *(long *)field = (long)v->i;
        else
            *(int64_t *)field = (int64_t)v->i;
        return QA_OK;
    case KT_LIST:
        return type_err(k, v, "a list of numbers", w, e);
    }
    return QA_ERR;
}

static void val_of_setting(const config_setting_t *s, Val *v)
{
    memset(v, 0, sizeof *v);
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64: v->kind = V_INT; v->i = config_setting_get_int64(s); break;
    case CONFIG_TYPE_FLOAT: v->kind = V_FLOAT; v->d = config_setting_get_float(s); break;
    case CONFIG_TYPE_STRING: v->kind = V_STR; v->s = config_setting_get_string(s); break;
    case CONFIG_TYPE_BOOL: v->kind = V_BOOL; v->i = config_setting_get_bool(s); break;
    case CONFIG_TYPE_GROUP: v->kind = V_OTHER; v->what = "a group"; break;
    default: v->kind = V_OTHER; v->what = "a list"; break;
    }
}

static int set_list(const KtKey *k, void *obj, const config_setting_t *s,
                    const Where *w, Err *e)
{
    int t = config_setting_type(s);
    int cap = (int)(k->size / sizeof(double)) - 1;
    if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) {
        Val v;
        val_of_setting(s, &v);
        return type_err(k, &v, "a list of numbers", w, e);
    }
    int n = config_setting_length(s);
    if (n < 1 || n > cap)
        return err_set(e, w->file, w->line, field_of(k, w),
                       "expected 1..%d entries, got %d", cap, n);
    double tab[256];
    for (int i = 0; i < n; i++) {
        Val v;
        val_of_setting(config_setting_get_elem(s, (unsigned)i), &v);
        if (v.kind != V_INT && v.kind != V_FLOAT)
            return err_set(e, w->file, w->line, field_of(k, w),
                           "entry %d: expected a number, got %s", i + 1,
                           kind_name(&v));
        double d = v.kind == V_INT ? (double)v.i : v.d;
        if (!in_range(k, d)) {
            char val[64];
            val_text(&v, val, sizeof val);
            return err_set(e, w->file, w->line, field_of(k, w),
                           "entry %d must be in %g..%g%s%s, is %s", i + 1,
                           k->min, k->max, k->unit[0] ? " " : "", k->unit, val);
        }
        tab[i] = pos_zero(d);
    }
    double *field = (double *)((char *)obj + k->off);
    for (int i = 1; i <= cap; i++)
        field[i] = i <= n ? tab[i - 1] : 0;
    return QA_OK;
}

int kt_set_setting(const KtKey *k, void *obj, const config_setting_t *s,
                   const char *file, const char *field, Err *e)
{
    Where w = {file, (int)config_setting_source_line(s), field};
    if (k->type == KT_LIST)
        return set_list(k, obj, s, &w, e);
    Val v;
    val_of_setting(s, &v);
    return set_val(k, obj, &v, &w, e);
}

/* A whole decimal integer that fits in long long, with an optional sign. */
static int parse_ll(const char *s, long long *out)
{
    char *end;
    if (!*s || *s == ' ')
        return QA_ERR;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || end == s)
        return QA_ERR;
    *out = v;
    return QA_OK;
}

int kt_set_text(const KtKey *k, void *obj, const char *text,
                const char *file, int line, const char *field, Err *e)
{
    Where w = {file, line, field};
    Val v;
    memset(&v, 0, sizeof v);
    v.text = text;
    switch (k->type) {
    case KT_STR:
    case KT_ENUM:
        v.kind = V_STR;
        v.s = text;
        break;
    case KT_BOOL:
        v.kind = V_BOOL;
        if (!strcmp(text, "true") || !strcmp(text, "1"))
            v.i = 1;
        else if (!strcmp(text, "false") || !strcmp(text, "0"))
            v.i = 0;
        else
            return err_set(e, file, line, field_of(k, &w),
                           "expected true or false, got '%s'", text);
        break;
    case KT_INT:
    case KT_LONG:
    case KT_I64:
    case KT_BYTES:
        if (parse_ll(text, &v.i) == QA_OK) {
            v.kind = V_INT;
        } else if (k->type == KT_BYTES) {
            v.kind = V_STR;
            v.s = text;
        } else {
            double d;
            /* a whole number too large for 64 bits: say the range; one
             * inside it (1e3, 0x10, " 5") is not written as an integer */
            if (qa_parse_double(text, &d) == QA_OK && d == floor(d) && !in_range(k, d))
                return range_err(k, &v, &w, e);
            return err_set(e, file, line, field_of(k, &w),
                           "expected an integer, got '%s'", text);
        }
        break;
    case KT_FLOAT:
    case KT_GBPS:
        if (k->type == KT_GBPS && !strcmp(text, "unlimited")) {
            v.kind = V_STR;
            v.s = text;
        } else if (qa_parse_double(text, &v.d) == QA_OK) {
            v.kind = V_FLOAT;
        } else {
            return err_set(e, file, line, field_of(k, &w),
                           "expected a number%s, got '%s'",
                           k->type == KT_GBPS ? " of GB/s or \"unlimited\"" : "",
                           text);
        }
        break;
    case KT_QTY:
        /* a bare number, or a quantity set_val converts */
        if (qa_parse_double(text, &v.d) == QA_OK) {
            v.kind = V_FLOAT;
        } else {
            v.kind = V_STR;
            v.s = text;
        }
        break;
    case KT_LIST:
        return err_set(e, file, line, field_of(k, &w),
                       "a list is set in the file, not from text");
    }
    return set_val(k, obj, &v, &w, e);
}

int kt_set_pair(const KtTable *t, void *obj, const char *kv, Err *e)
{
    const char *eq = strchr(kv, '=');
    char path[128], val[512];
    if (!eq || (size_t)(eq - kv) >= sizeof path)
        return err_set(e, NULL, 0, kv, "expected key=value");
    memcpy(path, kv, (size_t)(eq - kv));
    path[eq - kv] = '\0';
    const KtKey *k = kt_find(t, path);
    if (!k)
        return err_set(e, NULL, 0, path, "unknown key (%s lists them)", t->hint);
    if (strlen(eq + 1) >= sizeof val)
        return err_set(e, NULL, 0, path, "value longer than %zu characters",
                       sizeof val - 1);
    snprintf(val, sizeof val, "%s", eq + 1);
    /* key="text" as a shell passes it through */
    size_t n = strlen(val);
    if ((k->type == KT_STR || k->type == KT_ENUM) && n >= 2 && val[0] == '"' &&
        val[n - 1] == '"') {
        memmove(val, val + 1, n - 2);
        val[n - 2] = '\0';
    }
    return kt_set_text(k, obj, val, NULL, 0, path, e);
}

/* ---- the table ---- */

const KtKey *kt_find(const KtTable *t, const char *path)
{
    for (int i = 0; i < t->n; i++)
        if (!strcmp(t->keys[i].path, path))
            return &t->keys[i];
    return NULL;
}

/* Some key lives under this group. */
static int is_group(const KtTable *t, const char *path)
{
    size_t n = strlen(path);
    for (int i = 0; i < t->n; i++)
        if (!strncmp(t->keys[i].path, path, n) && t->keys[i].path[n] == '.')
            return 1;
    return 0;
}

static int walk(const KtTable *t, void *obj, const config_setting_t *grp,
                const char *prefix, const char *file, Err *e)
{
    int n = config_setting_length(grp);
    for (int i = 0; i < n; i++) {
        const config_setting_t *s = config_setting_get_elem(grp, (unsigned)i);
        const char *name = config_setting_name(s);
        char path[256];
        snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "." : "",
                 name ? name : "?");
        int line = (int)config_setting_source_line(s);
        if (config_setting_type(s) == CONFIG_TYPE_GROUP && !kt_find(t, path)) {
            if (!is_group(t, path))
                return err_set(e, file, line, path, "unknown group");
            if (walk(t, obj, s, path, file, e) != QA_OK)
                return QA_ERR;
            continue;
        }
        const KtKey *k = kt_find(t, path);
        if (!k)
            return err_set(e, file, line, path, "unknown key (%s lists them)",
                           t->hint);
        if (kt_set_setting(k, obj, s, file, NULL, e) != QA_OK)
            return QA_ERR;
    }
    return QA_OK;
}

int kt_load(const KtTable *t, void *obj, const config_setting_t *root,
            const char *file, Err *e)
{
    return walk(t, obj, root, "", file, e);
}

int kt_load_file(const KtTable *t, void *obj, const char *path, Err *e)
{
    config_t cfg;
    if (kt_read_config(&cfg, path, t->what, e) != QA_OK)
        return QA_ERR;
    int rc = kt_load(t, obj, config_root_setting(&cfg), path, e);
    config_destroy(&cfg);
    return rc;
}

/* A libconfig string literal: quotes, backslashes and control characters
 * escaped, or a name like "a\\b" would be written as a syntax error. */
static void put_string(FILE *f, const char *s)
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

/* Entries of a list field that are set: 1..n. */
static int list_len(const KtKey *k, const void *obj)
{
    const double *tab = (const double *)((const char *)obj + k->off);
    int n = 0;
    for (int i = 1; i < (int)(k->size / sizeof(double)); i++)
        if (tab[i] != 0)
            n = i;
    return n;
}

static void put_value(FILE *f, const KtTable *t, const KtKey *k,
                      const void *obj)
{
    char buf[64];
    const char *field = (const char *)obj + k->off;
    int point = !t->compact;
    switch (k->type) {
    case KT_STR: put_string(f, field); break;
    case KT_BOOL: fputs(*(const int *)field ? "true" : "false", f); break;
    case KT_ENUM: fprintf(f, "\"%s\"", k->names[*(const int *)field]); break;
    case KT_INT: fprintf(f, "%d", *(const int *)field); break;
    case KT_LONG: fprintf(f, "%ld", *(const long *)field); break;
    case KT_I64:
    case KT_BYTES: fprintf(f, "%lldL", (long long)*(const int64_t *)field); break;
    case KT_GBPS:
        if (*(const double *)field > 0) {
            fmt_double(buf, sizeof buf, *(const double *)field, point);
            fputs(buf, f);
        } else {
            fputs("\"unlimited\"", f);
        }
        break;
    case KT_FLOAT:
    case KT_QTY:
        fmt_double(buf, sizeof buf, *(const double *)field, point);
        fputs(buf, f);
        break;
    case KT_LIST: {
        const double *tab = (const double *)field;
        fputc('[', f);
        for (int i = 1; i <= list_len(k, obj); i++) {
            fmt_double(buf, sizeof buf, tab[i], point);
            fprintf(f, "%s%s", i > 1 ? ", " : "", buf);
        }
        fputc(']', f);
        break;
    }
    }
}

void kt_write(const KtTable *t, const void *obj, FILE *f)
{
    char cur[64] = ""; /* the group whose braces are open; "" = top level */
    for (int i = 0; i < t->n; i++) {
        const KtKey *k = &t->keys[i];
        if (k->type == KT_LIST && list_len(k, obj) == 0)
            continue; /* an empty list does not parse back */
        if (t->omit && t->omit(k, obj))
            continue;
        const char *dot = strchr(k->path, '.');
        char grp[64] = "";
        if (dot)
            snprintf(grp, sizeof grp, "%.*s", (int)(dot - k->path), k->path);
        if (strcmp(grp, cur)) {
            if (*cur)
                fputs("};\n", f);
            if (*grp)
                fprintf(f, t->compact ? "%s: {\n" : "%s = {\n", grp);
            snprintf(cur, sizeof cur, "%s", grp);
        }
        fprintf(f, "%s%s = ", *grp ? "  " : "", dot ? dot + 1 : k->path);
        put_value(f, t, k, obj);
        if (t->compact)
            fputs(";\n", f);
        else
            fprintf(f, ";  # %s%s%s\n", k->unit, k->unit[0] ? ": " : "",
                    k->help);
    }
    if (*cur)
        fputs("};\n", f);
}

void kt_help(const KtTable *t, const void *defaults, FILE *f)
{
    char names[256];
    for (int i = 0; i < t->n; i++) {
        const KtKey *k = &t->keys[i];
        fprintf(f, "  %-24s default ", k->path);
        put_value(f, t, k, defaults);
        if (k->names) {
            names_text(k, names, sizeof names);
            fprintf(f, "  (%s)", names);
        } else if (k->type != KT_STR && k->type != KT_BOOL) {
            char lo[32], hi[32];
            fmt_double(lo, sizeof lo, k->min, 0);
            fmt_double(hi, sizeof hi, k->max, 0);
            fprintf(f, "  range %s..%s%s%s", lo, hi, k->unit[0] ? " " : "",
                    k->unit);
            if (k->type == KT_QTY) {
                kt_qty_units(k->unit, names, sizeof names);
                fprintf(f, " (or a string with a unit: %s)", names);
            }
        }
        fprintf(f, "\n      %s\n", k->help);
    }
}

/* ---- value parsers ---- */

int kt_parse_size(const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || !(v >= 0) || isinf(v) || !qa_decimal(s, end))
        return QA_ERR;
    while (*end == ' ')
        end++;
    size_t n = strlen(end); /* spaces after the unit, as before the number */
    while (n > 0 && end[n - 1] == ' ')
        n--;
    static const struct { const char *sfx; double mul; } units[] = {
        {"", 1}, {"B", 1}, {"KiB", 1024.0}, {"MiB", 1048576.0},
        {"GiB", 1073741824.0}, {"TiB", 1099511627776.0}, {"KB", 1e3},
        {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}};
    for (size_t i = 0; i < QA_COUNT(units); i++)
        if (strlen(units[i].sfx) == n && !strncmp(end, units[i].sfx, n)) {
            *out = v * units[i].mul;
            return QA_OK;
        }
    return QA_ERR;
}

/* The units a quantity may be written in, by the unit of its key, with
 * the factor that converts to the key's unit. */
static const struct {
    const char *key_unit, *unit;
    double mul;
} qty_units[] = {
    {"pJ", "fJ", 1e-3}, {"pJ", "pJ", 1}, {"pJ", "nJ", 1e3},
    {"pJ/bit", "fJ/bit", 1e-3}, {"pJ/bit", "pJ/bit", 1},
    {"pJ/bit", "nJ/bit", 1e3}, {"pJ/bit", "pJ/B", 0.125},
    {"pJ/B", "fJ/B", 1e-3}, {"pJ/B", "pJ/B", 1}, {"pJ/B", "nJ/B", 1e3},
    {"pJ/B", "pJ/bit", 8},
    {"mW/mm2", "uW/mm2", 1e-3}, {"mW/mm2", "mW/mm2", 1},
    {"mW/mm2", "W/mm2", 1e3},
};

int kt_parse_qty(const char *s, const char *unit, double *out,
                 const char **bad_unit)
{
    char *end;
    *bad_unit = NULL;
    while (*s == ' ')
        s++;
    double v = strtod(s, &end);
    if (end == s || isnan(v) || isinf(v) || !qa_decimal(s, end))
        return QA_ERR;
    while (*end == ' ')
        end++;
    size_t n = strlen(end);
    while (n > 0 && end[n - 1] == ' ')
        n--;
    if (n == 0) {
        *out = v;
        return QA_OK;
    }
    for (size_t i = 0; i < QA_COUNT(qty_units); i++)
        if (!strcmp(qty_units[i].key_unit, unit) &&
            strlen(qty_units[i].unit) == n &&
            !strncmp(qty_units[i].unit, end, n)) {
            *out = v * qty_units[i].mul;
            return QA_OK;
        }
    *bad_unit = end;
    return QA_OK;
}

void kt_qty_units(const char *unit, char *buf, size_t n)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < QA_COUNT(qty_units) && len < n; i++)
        if (!strcmp(qty_units[i].key_unit, unit))
            len += (size_t)snprintf(buf + len, n - len, "%s%s",
                                    len ? "|" : "", qty_units[i].unit);
}

int kt_parse_gbps(const char *s, double *out)
{
    if (!strcmp(s, "unlimited")) {
        *out = 0;
        return QA_OK;
    }
    double g;
    if (qa_parse_double(s, &g) != QA_OK || !(g > 0) || isinf(g))
        return QA_ERR;
    *out = g;
    return QA_OK;
}

int kt_parse_bits(const char *s, int max_bits, int *w, int *a)
{
    char buf[32];
    long lw, la;
    if (strlen(s) >= sizeof buf)
        return QA_ERR;
    snprintf(buf, sizeof buf, "%s", s);
    char *slash = strchr(buf, '/');
    if (slash)
        *slash = '\0';
    if (qa_parse_long(buf, &lw) != QA_OK || lw < 1 || lw > max_bits)
        return QA_ERR;
    la = lw;
    if (slash && (qa_parse_long(slash + 1, &la) != QA_OK || la < 1 ||
                  la > max_bits))
        return QA_ERR;
    *w = (int)lw;
    *a = (int)la;
    return QA_OK;
}
