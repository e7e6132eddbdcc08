/* keytab.h: the one engine behind every libconfig file qarray reads and
 * every single value typed on a command line or in a study axis.
 *
 * A static table per kind of file declares each key: its path, type, the
 * field it fills, its range, unit and one line of help. The same table
 * reads files (unknown keys and groups are errors), takes one value from a
 * flag, a study axis or a key=value override with the same checks, writes
 * the effective configuration and prints the help, so a limit is stated
 * once and holds however a value enters. Errors are file:line: key: message.
 * Depends on libc and libconfig only. */
#ifndef KEYTAB_H
#define KEYTAB_H

#include <libconfig.h>

#include "arch/qa.h"

typedef enum {
    KT_INT,    /* int field */
    KT_LONG,   /* long field */
    KT_I64,    /* int64_t field */
    KT_BYTES,  /* int64_t field; also a size such as "2 MiB" */
    KT_FLOAT,  /* double field */
    KT_GBPS,   /* double field of GB/s; "unlimited" is 0 */
    KT_BOOL,   /* int field, 0 or 1 */
    KT_ENUM,   /* int field: the index of its name in `names` */
    KT_STR,    /* char[size] field; with `names`, one of them */
    KT_LIST,   /* double[size / sizeof(double)] field, entries 1.. from a
                  list; min and max bound each entry */
    KT_QTY,    /* double field in `unit`; also a string "<number> <unit>"
                  in a unit of the same kind ("30 uW/mm2" for mW/mm2),
                  converted; a unit of another kind is an error */
} KtType;

typedef struct {
    const char *path;          /* "core.rows": group, dot, name */
    KtType type;
    size_t off, size;          /* the field in the struct */
    double min, max;           /* numbers: inclusive range */
    const char *unit;          /* "" if none */
    const char *help;
    const char *const *names;  /* KT_ENUM / KT_STR: NULL-terminated names */
} KtKey;

typedef struct {
    const char *what;          /* "architecture file", "recipe" */
    const KtKey *keys;
    int n;
    const char *hint;          /* "qarray run --help-config": lists the keys */
    /* 1: groups written "name: {" and no comments. Recipes keep the text
     * their checkpoints hash (quant/train/train.c), so a checkpoint of an
     * earlier qarray still resumes. */
    int compact;
    /* NULL, or 1 when kt_write must leave key k of obj out: a group a file
     * may omit as a whole (the architecture file's energy group). */
    int (*omit)(const KtKey *k, const void *obj);
} KtTable;

/* Read a libconfig file into cfg (the caller config_destroy()s it on
 * success; on failure it is already destroyed). The file is read once: a
 * pipe or FIFO works, and the text checked is the text parsed. A missing
 * file, a syntax error, or an integer literal libconfig 1.5 would silently
 * wrap (over 2^31 - 1 without an L suffix) is "file:line: message". */
int kt_read_config(config_t *cfg, const char *path, const char *what, Err *e);

/* Set every key found under `root` (a file's root group) into obj; a
 * setting the table does not know is an error. Keys absent keep obj's
 * values (the caller fills defaults first). */
int kt_load(const KtTable *t, void *obj, const config_setting_t *root,
            const char *file, Err *e);
/* kt_read_config + kt_load. */
int kt_load_file(const KtTable *t, void *obj, const char *path, Err *e);

const KtKey *kt_find(const KtTable *t, const char *path);

/* One value from libconfig, with the key's checks. file, line and field
 * name the place in errors (field NULL: the key's path). */
int kt_set_setting(const KtKey *k, void *obj, const config_setting_t *s,
                   const char *file, const char *field, Err *e);
/* One value as text (a flag, "key=value", a study string): numbers,
 * sizes, "unlimited", true/false or 1/0, names; the same checks. */
int kt_set_text(const KtKey *k, void *obj, const char *text,
                const char *file, int line, const char *field, Err *e);
/* "key=value" (a --set override): the key looked up in t. */
int kt_set_pair(const KtTable *t, void *obj, const char *kv, Err *e);

/* Every key with its effective value, in libconfig syntax. */
void kt_write(const KtTable *t, const void *obj, FILE *f);
/* Every key: path, default (from defaults), range or choices, unit, help. */
void kt_help(const KtTable *t, const void *defaults, FILE *f);

/* Value parsers shared by every place a size, a bandwidth or a bit width
 * is typed. "2 MiB", "512KiB", "1048576" -> bytes. */
int kt_parse_size(const char *s, double *out);
/* "8", "8 pJ/bit", "1 pJ/B" -> the value in `unit` (8, 8, 0.125 for
 * unit "pJ/bit"). QA_ERR if not a number; *bad_unit set (else NULL) when
 * the number carries a unit that is not of unit's kind. */
int kt_parse_qty(const char *s, const char *unit, double *out,
                 const char **bad_unit);
/* The units a KT_QTY key of this unit accepts, "|"-separated, into buf. */
void kt_qty_units(const char *unit, char *buf, size_t n);
/* "unlimited" -> 0, else GB/s > 0. */
int kt_parse_gbps(const char *s, double *out);
/* "W" or "W/A" with 1 <= bits <= max_bits each. */
int kt_parse_bits(const char *s, int max_bits, int *w, int *a);

#endif
