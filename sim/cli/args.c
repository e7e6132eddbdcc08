/* args.c: the argument helper (args.h). */
#include "sim/cli/args.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch/keytab.h"

/* The field of option o in the command's option struct. */
#define FIELD(type, obj, o) ((type *)(void *)((char *)(obj) + (o)->off))

/* The usage's option column: help starts here. */
#define HELP_COL 26

static const ArgOpt *find_long(const ArgCmd *c, const char *name, size_t len)
{
    for (int i = 0; i < c->nopts; i++)
        if (strlen(c->opts[i].name) == len && !strncmp(c->opts[i].name, name, len))
            return &c->opts[i];
    return NULL;
}

static const ArgOpt *find_short(const ArgCmd *c, char letter)
{
    for (int i = 0; i < c->nopts; i++)
        if (c->opts[i].letter && c->opts[i].letter == letter)
            return &c->opts[i];
    return NULL;
}

static int index_of(const ArgCmd *c, const char *name)
{
    const ArgOpt *o = find_long(c, name, strlen(name));
    return o ? (int)(o - c->opts) : -1;
}

/* "--name" for messages. */
static const char *flag_name(const ArgOpt *o, char *buf, size_t n)
{
    snprintf(buf, n, "--%s", o->name);
    return buf;
}

/* 1 if s would be read as an option of c (so it is not a value). */
static int is_option(const ArgCmd *c, const char *s)
{
    if (s[0] != '-' || !s[1])
        return 0;
    if (!strcmp(s, "--") || !strcmp(s, "--help") || !strcmp(s, "-h"))
        return 1;
    if (s[1] == '-') {
        const char *eq = strchr(s + 2, '=');
        return find_long(c, s + 2, eq ? (size_t)(eq - s - 2) : strlen(s + 2)) != NULL;
    }
    return find_short(c, s[1]) != NULL;
}

/* v as the shortest of %g, %.9g, %.17g that reads back as v: a bound
 * printed to 6 digits (FLT_MIN as 1.17549e-38) was a value the option
 * refuses. */
static void bound_text(double v, char *buf, size_t n)
{
    static const char *const fmts[] = {"%g", "%.9g", "%.17g"};
    for (size_t i = 0; i < QA_COUNT(fmts); i++) {
        snprintf(buf, n, fmts[i], v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

/* The accepted values of a number option: "in 1..16", "> 0", "> 0 and <= 100". */
static void range_text(const ArgOpt *o, int in, char *buf, size_t n)
{
    int above = (o->flags & ARG_ABOVE_LO) != 0;
    char lo[40], hi[40];
    bound_text(o->lo, lo, sizeof lo);
    bound_text(o->hi, hi, sizeof hi);
    if (o->kind != ARG_REAL)
        snprintf(buf, n, "%s%lld..%lld", in ? "in " : "", (long long)o->lo,
                 (long long)o->hi);
    else if (isinf(o->hi))
        snprintf(buf, n, "%s %s", above ? ">" : ">=", lo);
    else if (above)
        snprintf(buf, n, "> %s and <= %s", lo, hi);
    else
        snprintf(buf, n, "%s%s..%s", in ? "in " : "", lo, hi);
}

/* "a, b, c" (sep ", ") or "a|b|c". */
static void join(const char *const *names, const char *sep, char *buf, size_t n)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; names[i] && len < n; i++)
        len += (size_t)snprintf(buf + len, n - len, "%s%s", i ? sep : "", names[i]);
}

/* Check text as a value of o and store it in obj. */
static int set_value(const ArgOpt *o, void *obj, const char *text, Err *e)
{
    char fl[80], want[160];
    flag_name(o, fl, sizeof fl);
    switch (o->kind) {
    case ARG_FLAG:
        *FIELD(int, obj, o) = 1;
        return QA_OK;
    case ARG_STR:
        if (!text[0])
            return err_set(e, NULL, 0, fl, "needs a value, not an empty one");
        *FIELD(const char *, obj, o) = text;
        return QA_OK;
    case ARG_LIST: {
        ArgList *l = FIELD(ArgList, obj, o);
        if (l->n >= ARGS_LIST_MAX)
            return err_set(e, NULL, 0, fl, "given more than %d times", ARGS_LIST_MAX);
        l->v[l->n++] = text;
        return QA_OK;
    }
    case ARG_INT:
    case ARG_I64: {
        long v;
        if (qa_parse_long(text, &v) != QA_OK || (double)v < o->lo || (double)v > o->hi) {
            range_text(o, 1, want, sizeof want);
            return err_set(e, NULL, 0, fl, "'%s' is not an integer %s", text, want);
        }
        if (o->kind == ARG_INT)
            *FIELD(int, obj, o) = (int)v;
        else
            *FIELD(int64_t, obj, o) = (int64_t)v;
        return QA_OK;
    }
    case ARG_REAL: {
        double v;
        if (qa_parse_double(text, &v) != QA_OK || !isfinite(v) || v < o->lo ||
            ((o->flags & ARG_ABOVE_LO) && v <= o->lo) || v > o->hi) {
            range_text(o, 1, want, sizeof want);
            return err_set(e, NULL, 0, fl, "'%s' is not a number %s", text, want);
        }
        *FIELD(double, obj, o) = v;
        return QA_OK;
    }
    case ARG_BITS: {
        ArgBits *b = FIELD(ArgBits, obj, o);
        if (kt_parse_bits(text, (int)o->hi, &b->w, &b->a) != QA_OK)
            return err_set(e, NULL, 0, fl, "'%s' is not W or W/A with bits in 1..%d",
                           text, (int)o->hi);
        return QA_OK;
    }
    case ARG_CHOICE:
        for (int i = 0; o->choices[i]; i++)
            if (!strcmp(text, o->choices[i])) {
                *FIELD(int, obj, o) = i;
                return QA_OK;
            }
        join(o->choices, ", ", want, sizeof want);
        return err_set(e, NULL, 0, fl, "'%s' is not one of %s", text, want);
    case ARG_CHIP: {
        /* The key's type and range do not depend on the rest of the chip,
         * so a bad value is refused here, before any file is read. */
        Accel scratch;
        arch_defaults(&scratch);
        return arch_set(&scratch, o->key, text, fl, e);
    }
    }
    return err_set(e, NULL, 0, fl, "option of unknown kind %d", (int)o->kind);
}

/* Conflicts and requirements between the options given. */
static int check_rules(const Args *a, const ArgCmd *c, Err *e)
{
    for (int r = 0; r < c->nrules; r++) {
        const ArgRule *ru = &c->rules[r];
        int ia = index_of(c, ru->a), ib = index_of(c, ru->b);
        if (QA_NEVER(ia < 0 || ib < 0))
            return err_set(e, NULL, 0, c->name, "rule names an unknown option");
        if (!a->given[ia])
            continue;
        char why[300] = "";
        if (ru->why)
            snprintf(why, sizeof why, " (%s)", ru->why);
        char fa[80];
        flag_name(&c->opts[ia], fa, sizeof fa);
        if (ru->kind == ARG_CONFLICTS && a->given[ib] &&
            (!ru->b_value || !strcmp(a->text[ib], ru->b_value)))
            return err_set(e, NULL, 0, fa, "cannot be combined with --%s%s%s%s",
                           ru->b, ru->b_value ? " " : "",
                           ru->b_value ? ru->b_value : "", why);
        if (ru->kind == ARG_REQUIRES && !a->given[ib])
            return err_set(e, NULL, 0, fa, "only with --%s%s", ru->b, why);
    }
    return QA_OK;
}

/* A file an option or operand names: the path and who names it. */
typedef struct {
    const char *path;
    char who[80];
} FileUse;

#define ARGS_MAX_FILES (ARGS_MAX_OPERANDS + 2 * ARGS_MAX_OPTS)
#define ARGS_MAX_WRITES 16

static void add_use(FileUse *u, int *n, const char *path, const char *who)
{
    if (!path || !path[0] || *n >= ARGS_MAX_FILES)
        return;
    u[*n].path = path;
    snprintf(u[*n].who, sizeof u[*n].who, "%s", who);
    (*n)++;
}

static int ends_with(const char *s, const char *sfx)
{
    size_t n = strlen(s), m = strlen(sfx);
    return n >= m && !strcmp(s + n - m, sfx);
}

/* No output may be an input or another output: compared as files, so a
 * link or another spelling of the same name is caught too. */
static int check_files(const Args *a, const ArgCmd *c, void *obj, Err *e)
{
    static FileUse in[ARGS_MAX_FILES], out[ARGS_MAX_FILES];
    static char dir_files[ARGS_MAX_WRITES][1100];
    int nin = 0, nout = 0, ndir = 0;
    char fl[80];
    for (int i = 0; i < c->nopts; i++) {
        const ArgOpt *o = &c->opts[i];
        unsigned f = o->flags;
        if (!(f & (ARG_IN | ARG_OUT | ARG_OUT_DIR)))
            continue;
        flag_name(o, fl, sizeof fl);
        if (o->kind == ARG_LIST) {
            const ArgList *l = FIELD(ArgList, obj, o);
            for (int j = 0; j < l->n; j++)
                add_use(f & ARG_IN ? in : out, f & ARG_IN ? &nin : &nout, l->v[j], fl);
            continue;
        }
        if (o->kind != ARG_STR)
            continue;
        const char *v = *FIELD(const char *, obj, o);
        if (!v)
            continue;
        if (f & ARG_IN) {
            add_use(in, &nin, v, fl);
        } else if ((f & ARG_OUT) && (!(f & ARG_OUT_DIR) || ends_with(v, ".csv"))) {
            add_use(out, &nout, v, fl);
        } else if (f & ARG_OUT_DIR) {
            /* a folder: itself (an input there is no folder to write
             * into) and the files the command puts into it */
            add_use(out, &nout, v, fl);
            for (const char *p = o->writes ? o->writes : ""; *p && ndir < ARGS_MAX_WRITES;) {
                size_t len = strcspn(p, " ");
                snprintf(dir_files[ndir], sizeof dir_files[ndir], "%s/%.*s", v, (int)len, p);
                add_use(out, &nout, dir_files[ndir++], fl);
                p += len;
                p += strspn(p, " ");
            }
        }
    }
    if (c->operand_flags & ARG_IN)
        for (int i = 0; i < a->noperands; i++)
            add_use(in, &nin, a->operand[i], c->operands);
    for (int i = 0; i < nout; i++) {
        for (int j = 0; j < nin; j++)
            if (qa_same_file(out[i].path, in[j].path))
                return err_set(e, NULL, 0, out[i].who, "'%s' is also the input %s: writing "
                               "it would replace what is read", out[i].path, in[j].who);
        for (int j = 0; j < i; j++)
            if (qa_same_file(out[i].path, out[j].path))
                return err_set(e, NULL, 0, out[i].who, "'%s' is also written by %s: give "
                               "each output its own file", out[i].path, out[j].who);
    }
    return QA_OK;
}

int args_parse(Args *a, const ArgCmd *c, void *obj, int argc, char **argv,
               Err *e)
{
    memset(a, 0, sizeof *a);
    a->cmd = c;
    if (QA_NEVER(c->nopts > ARGS_MAX_OPTS))
        return err_set(e, NULL, 0, c->name, "more than %d options", ARGS_MAX_OPTS);
    for (int i = 0; i < c->nopts; i++)
        if (c->opts[i].def && c->opts[i].kind != ARG_CHIP &&
            set_value(&c->opts[i], obj, c->opts[i].def, e) != QA_OK)
            return QA_ERR;
    int operands_only = 0;
    char fl[80];
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (operands_only || arg[0] != '-' || !arg[1]) {
            if (!c->operands)
                return err_set(e, NULL, 0, arg, "unexpected argument (qarray %s --help)",
                               c->name);
            if (a->noperands >= ARGS_MAX_OPERANDS)
                return err_set(e, NULL, 0, c->operands, "more than %d given",
                               ARGS_MAX_OPERANDS);
            a->operand[a->noperands++] = argv[i];
            continue;
        }
        if (!strcmp(arg, "--")) {
            operands_only = 1;
            continue;
        }
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            args_usage(c, stdout);
            return ARGS_HELP;
        }
        const ArgOpt *o;
        const char *val = NULL;
        if (arg[1] == '-') {
            const char *eq = strchr(arg + 2, '=');
            size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
            o = find_long(c, arg + 2, len);
            if (!o) {
                snprintf(fl, sizeof fl, "%.*s", (int)QA_MIN(len + 2, 70), arg);
                return err_set(e, NULL, 0, fl, "unknown option (qarray %s --help)",
                               c->name);
            }
            val = eq ? eq + 1 : NULL;
        } else {
            o = find_short(c, arg[1]);
            if (!o) {
                snprintf(fl, sizeof fl, "-%c", arg[1]);
                return err_set(e, NULL, 0, fl, "unknown option (qarray %s --help)",
                               c->name);
            }
            val = arg[2] ? arg + 2 : NULL;
        }
        flag_name(o, fl, sizeof fl);
        if (o->kind == ARG_FLAG && val)
            return err_set(e, NULL, 0, fl, "takes no value");
        if (o->kind != ARG_FLAG && !val) {
            if (i + 1 >= argc || is_option(c, argv[i + 1]))
                return err_set(e, NULL, 0, fl, "needs a value");
            val = argv[++i];
        }
        int k = (int)(o - c->opts);
        /* A second value would silently replace the first. */
        if (a->given[k] && o->kind != ARG_LIST && o->kind != ARG_FLAG)
            return err_set(e, NULL, 0, fl, "given twice ('%s', then '%s')",
                           a->text[k], val);
        if (set_value(o, obj, val ? val : "", e) != QA_OK)
            return QA_ERR;
        a->given[k]++;
        a->text[k] = val;
    }
    if (check_rules(a, c, e) != QA_OK)
        return QA_ERR;
    for (int i = 0; i < c->nopts; i++)
        if ((c->opts[i].flags & ARG_REQUIRED) && !a->given[i])
            return err_set(e, NULL, 0, flag_name(&c->opts[i], fl, sizeof fl),
                           "required (qarray %s --help)", c->name);
    if (a->noperands < c->min_operands)
        return err_set(e, NULL, 0, c->operands, "required (qarray %s --help)",
                       c->name);
    return check_files(a, c, obj, e);
}

int args_main(const ArgCmd *c, int argc, char **argv)
{
    Args a;
    Err e;
    err_clear(&e);
    void *obj = qa_calloc(1, c->size ? c->size : 1);
    if (!obj) {
        err_set(&e, NULL, 0, c->name, "out of memory");
        err_print(&e, stderr);
        return 1;
    }
    if (c->init)
        c->init(obj);
    /* From here on no output may replace a file the command read. */
    qa_inputs_protect(1);
    int rc = args_parse(&a, c, obj, argc, argv, &e);
    if (rc == QA_ERR)
        rc = ARGS_USAGE;
    else if (rc == QA_OK && (rc = c->run(&a, obj, &e)) != QA_OK)
        args_flagify(&a, &e);
    free(obj);
    if (rc == QA_OK || rc == ARGS_HELP)
        return 0;
    err_print(&e, stderr);
    return rc == ARGS_USAGE ? 2 : 1;
}

int args_given(const Args *a, const char *name)
{
    int i = index_of(a->cmd, name);
    return i >= 0 && a->given[i] > 0;
}

int args_load_chip(const Args *a, const char *path, Accel *acc, Err *e)
{
    if (arch_load(acc, path, e) != QA_OK) {
        /* The default is relative to the current folder: say so when it is
         * missing there (qarray run from another folder), and only when no
         * -c was given (a -c of the same text is the user's own path). */
        if (!args_given(a, "arch") && !strcmp(path, ARGS_ARCH_DEFAULT) &&
            access(path, F_OK) != 0) {
            size_t n = strlen(e->msg);
            snprintf(e->msg + n, sizeof e->msg - n, " (the default -c is "
                     "relative to the current folder: run qarray from its "
                     "own folder, or give -c FILE)");
        }
        return QA_ERR;
    }
    const ArgCmd *c = a->cmd;
    char fl[80];
    for (int i = 0; i < c->nopts; i++)
        if (c->opts[i].kind == ARG_CHIP && a->given[i] &&
            arch_set(acc, c->opts[i].key, a->text[i],
                     flag_name(&c->opts[i], fl, sizeof fl), e) != QA_OK)
            return QA_ERR;
    return arch_validate(acc, path, e);
}

/* 1 if word is one of the space-separated words of list. */
static int in_words(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; p && *p;) {
        size_t len = strcspn(p, " ");
        if (len == n && !strncmp(p, word, n))
            return 1;
        p += len;
        p += strspn(p, " ");
    }
    return 0;
}

void args_flagify(const Args *a, Err *e)
{
    if (e->file[0] || !e->field[0])
        return;
    const ArgCmd *c = a->cmd;
    for (int i = 0; i < c->nopts; i++)
        if (a->given[i] &&
            (!strcmp(e->field, c->opts[i].name) || in_words(c->opts[i].fields, e->field))) {
            char fl[80];
            flag_name(&c->opts[i], fl, sizeof fl);
            snprintf(e->field, sizeof e->field, "%s", fl);
            return;
        }
}

/* " FILE", " a|b|c" or "" (a flag): the value after the option. */
static void meta_text(const ArgOpt *o, char *buf, size_t n)
{
    buf[0] = '\0';
    if (o->kind == ARG_FLAG)
        return;
    if (o->meta) {
        snprintf(buf, n, " %s", o->meta);
    } else if (o->choices) {
        buf[0] = ' ';
        join(o->choices, "|", buf + 1, n - 1);
    } else {
        snprintf(buf, n, " VALUE");
    }
}

/* "-c FILE" or "--bw GBPS": how the option is typed in the synopsis. */
static void spelling(const ArgOpt *o, char *buf, size_t n)
{
    char meta[160];
    meta_text(o, meta, sizeof meta);
    if (o->letter)
        snprintf(buf, n, "-%c%s", o->letter, meta);
    else
        snprintf(buf, n, "--%s%s", o->name, meta);
}

static void print_option(FILE *f, const ArgOpt *o)
{
    char left[240], meta[160], tail[300] = "", range[100] = "";
    meta_text(o, meta, sizeof meta);
    if (o->letter)
        snprintf(left, sizeof left, "  -%c, --%s%s", o->letter, o->name, meta);
    else
        snprintf(left, sizeof left, "      --%s%s", o->name, meta);
    /* Range and default, from the table itself. */
    if (o->kind == ARG_INT || o->kind == ARG_I64 || o->kind == ARG_REAL)
        range_text(o, 0, range, sizeof range);
    else if (o->kind == ARG_BITS)
        snprintf(range, sizeof range, "1..%d bits", (int)o->hi);
    if (range[0] || o->def)
        snprintf(tail, sizeof tail, " (%s%s%s%s)", range, range[0] && o->def ? ", " : "",
                 o->def ? "default " : "", o->def ? o->def : "");
    fputs(left, f);
    int col = (int)strlen(left);
    if (col >= HELP_COL - 1) {
        fputc('\n', f);
        col = 0;
    }
    fprintf(f, "%*s", HELP_COL - col, "");
    /* Help lines after the first are indented to the help column; the
     * range and default go on a line of their own if they would pass
     * column 80. */
    col = HELP_COL;
    for (const char *p = o->help; *p; p++) {
        fputc(*p, f);
        col++;
        if (*p == '\n' && p[1]) {
            fprintf(f, "%*s", HELP_COL, "");
            col = HELP_COL;
        }
    }
    if (tail[0] && col + (int)strlen(tail) > 80)
        fprintf(f, "\n%*s%s\n", HELP_COL, "", tail + 1);
    else
        fprintf(f, "%s\n", tail);
}

void args_usage(const ArgCmd *c, FILE *f)
{
    int optional = 0;
    fprintf(f, "usage: qarray %s", c->name);
    for (int i = 0; i < c->nopts; i++) {
        if (c->opts[i].flags & ARG_REQUIRED) {
            char s[200];
            spelling(&c->opts[i], s, sizeof s);
            fprintf(f, " %s", s);
        } else {
            optional = 1;
        }
    }
    if (optional)
        fputs(" [options]", f);
    if (c->operands)
        fprintf(f, " %s%s...%s", c->min_operands ? "" : "[", c->operands,
                c->min_operands ? "" : "]");
    fprintf(f, "\n%s", c->about);
    if (c->about[0] && c->about[strlen(c->about) - 1] != '\n')
        fputc('\n', f);
    fputc('\n', f);
    for (int i = 0; i < c->nopts; i++)
        print_option(f, &c->opts[i]);
    fprintf(f, "  -h, --help%*sthis text\n", HELP_COL - 12, "");
    if (c->more) {
        fputc('\n', f);
        c->more(f);
    }
}
