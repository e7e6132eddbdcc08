/* args.h: the one argument helper of every qarray command.
 *
 * A command (ArgCmd) declares its options in a static table: long name,
 * optional short letter, kind, the field of the command's option struct it
 * fills, metavariable, one line of help, range or choices, default; and
 * rules between options (conflicts, requirements). args_parse reads argv
 * against that table ("--opt value", "--opt=value", "-o value", "-ovalue";
 * "--" ends the options) and args_usage prints the usage from the same
 * table, so what is accepted and what is documented cannot drift. Values
 * are checked here, never later: bits by kt_parse_bits, architecture
 * overrides by arch_set. Every error is one Err naming the flag ("--bits:
 * '4/17' is not W or W/A with bits in 1..16"); args_main, which runs a
 * whole command, prints it and returns exit status 2. Nothing here exits. */
#ifndef ARGS_H
#define ARGS_H

#include <stddef.h>

#include "arch/arch.h"

/* The chip every command that takes one reads unless -c says otherwise. */
#define ARGS_ARCH_DEFAULT "arch/pact2018.cfg"

typedef enum {
    ARG_FLAG,   /* no value: int field set to 1 */
    ARG_STR,    /* const char * field: the text as typed, not empty */
    ARG_LIST,   /* ArgList field: every occurrence appended (repeatable) */
    ARG_INT,    /* int field, lo..hi */
    ARG_I64,    /* int64_t field, lo..hi */
    ARG_REAL,   /* double field, finite, lo..hi (lo excluded: ARG_ABOVE_LO) */
    ARG_BITS,   /* ArgBits field: "W" or "W/A", each 1..hi */
    ARG_CHOICE, /* int field: the index of the value in `choices` */
    ARG_CHIP,   /* architecture key `key`: checked with arch_set when
                   parsed, applied by args_load_chip after the file loads;
                   no field */
} ArgKind;

/* ArgOpt.flags */
#define ARG_REQUIRED 1u /* must be given */
#define ARG_ABOVE_LO 2u /* ARG_REAL: lo itself is refused */
/* What a file option names, so that no output replaces an input or another
 * output of the same command (checked by args_parse on the files
 * themselves: a symbolic link, a hard link or "./x" is the same file). */
#define ARG_IN 4u       /* a file the command reads */
#define ARG_OUT 8u      /* a file the command writes */
#define ARG_OUT_DIR 16u /* a folder the command writes `writes` into; with
                           ARG_OUT too, a value ending in ".csv" is a file */

#define ARGS_LIST_MAX 32
typedef struct {
    const char *v[ARGS_LIST_MAX];
    int n;
} ArgList;

typedef struct {
    int w, a; /* "4" gives 4/4 */
} ArgBits;

typedef struct {
    const char *name;     /* long name without "--" */
    char letter;          /* short option letter, 0: none */
    ArgKind kind;
    size_t off;           /* the field in the command's option struct */
    const char *meta;     /* metavariable ("FILE"); choices default to a|b */
    const char *help;     /* '\n' continues on the next line */
    double lo, hi;        /* ARG_INT, ARG_I64, ARG_REAL; ARG_BITS: hi */
    const char *const *choices; /* ARG_CHOICE: NULL-terminated */
    const char *key;      /* ARG_CHIP: the architecture key */
    const char *def;      /* default as text, set before argv is read and
                             shown in the usage; NULL: the command's own */
    unsigned flags;       /* ARG_REQUIRED, ARG_ABOVE_LO */
    const char *fields;   /* space-separated Err fields of library code
                             this option feeds ("w_bits a_bits"), renamed
                             to the flag by args_flagify */
    const char *writes;   /* ARG_OUT_DIR: space-separated names of the
                             files written into the folder */
} ArgOpt;

typedef enum {
    ARG_CONFLICTS, /* a and b (b with b_value, if set) never together */
    ARG_REQUIRES,  /* a only with b */
} ArgRuleKind;

typedef struct {
    ArgRuleKind kind;
    const char *a, *b;    /* long names */
    const char *b_value;  /* ARG_CONFLICTS: only when b has this value */
    const char *why;      /* said after the message; NULL: nothing */
} ArgRule;

typedef struct Args Args;

typedef struct {
    const char *name;     /* the subcommand: "run" */
    const char *summary;  /* one line for `qarray --help` */
    const char *about;    /* what it does, printed under the usage line */
    const ArgOpt *opts;
    int nopts;
    const ArgRule *rules;
    int nrules;
    const char *operands; /* metavariable of the arguments that are not
                             options ("TABLE"); NULL: none are taken */
    int min_operands;
    unsigned operand_flags; /* ARG_IN: the operands are files read */
    void (*more)(FILE *f);/* help printed after the options; NULL: none */
    size_t size;          /* the command's option struct */
    void (*init)(void *obj); /* defaults no table can hold (the number of
                                online cores); NULL: none */
    /* The command, given the parsed options: QA_OK, QA_ERR (e says why;
     * exit status 1) or ARGS_USAGE (e is a bad value the table could not
     * check; exit status 2). */
    int (*run)(const Args *a, void *obj, Err *e);
} ArgCmd;

#define ARGS_MAX_OPTS 48
#define ARGS_MAX_OPERANDS 1024

/* What one parse saw, beside the values written into the option struct. */
struct Args {
    const ArgCmd *cmd;
    int given[ARGS_MAX_OPTS];        /* times on the command line */
    const char *text[ARGS_MAX_OPTS]; /* the value as typed (last one) */
    char *operand[ARGS_MAX_OPERANDS];
    int noperands;
};

/* args_parse's return when --help (-h) printed the usage on stdout. */
#define ARGS_HELP 1
/* A command's return for a bad command line it found itself. */
#define ARGS_USAGE 2

/* A whole command: its option struct zeroed, c->init, args_parse, then
 * c->run. Returns the exit status: 0 (also after --help), 1 when the run
 * failed, 2 for a bad command line; the error is printed on stderr as one
 * line, its field made a flag by args_flagify. */
int args_main(const ArgCmd *c, int argc, char **argv);

/* Parse argv[1..argc-1] (argv[0] is the subcommand) into obj, the
 * command's option struct: defaults from the table first, then argv, then
 * the rules, required options and operand count. Fields of options that
 * are neither given nor defaulted keep what the caller put there.
 * QA_OK: run the command; ARGS_HELP; QA_ERR: e names the flag. */
int args_parse(Args *a, const ArgCmd *c, void *obj, int argc, char **argv,
               Err *e);
/* 1 if the option `name` was on the command line. */
int args_given(const Args *a, const char *name);
/* The usage, generated from the table. */
void args_usage(const ArgCmd *c, FILE *f);

/* arch_load(path), the ARG_CHIP options given, then arch_validate. */
int args_load_chip(const Args *a, const char *path, Accel *acc, Err *e);

/* Library errors name their parameters ("bits", "w_bits"); on the command
 * line they are flags: an error without a file whose field is the name or
 * one of the `fields` of an option given on the command line is renamed
 * "--name" (an option left at its default cannot be what the user got
 * wrong). */
void args_flagify(const Args *a, Err *e);

/* The options every command spells the same way. */
#define ARGS_OPT_ARCH(T, f)                                                    \
    {.name = "arch", .letter = 'c', .kind = ARG_STR, .off = offsetof(T, f),    \
     .meta = "FILE", .help = "architecture file", .def = ARGS_ARCH_DEFAULT,    \
     .flags = ARG_IN}
/* Architecture keys a command that takes a chip lets the user override. */
#define ARGS_OPT_CHIP                                                          \
    {.name = "bw", .kind = ARG_CHIP, .key = "dram.gbps", .meta = "GBPS",       \
     .help = "DRAM bandwidth in GB/s or \"unlimited\""},                       \
    {.name = "cores", .kind = ARG_CHIP, .key = "cores", .meta = "N",           \
     .help = "number of cores"},                                               \
    {.name = "sram", .kind = ARG_CHIP, .key = "core.sram_bytes",               \
     .meta = "BYTES", .help = "scratchpad per core (e.g. 2MiB)"},              \
    {.name = "dataflow", .kind = ARG_CHIP, .key = "core.dataflow",             \
     .meta = "D", .help = "dataflow of the arrays: ws, os or is"}
#define ARGS_OPT_STUDY(T, f, help_)                                            \
    {.name = "study", .letter = 's', .kind = ARG_STR, .off = offsetof(T, f),   \
     .meta = "FILE", .help = (help_), .flags = ARG_REQUIRED | ARG_IN}
#define ARGS_OPT_WORKLOAD(T, f, def_, flags_)                                  \
    {.name = "workload", .letter = 'w', .kind = ARG_STR, .off = offsetof(T, f),\
     .meta = "NAME", .help = "built-in network (qarray net --help lists them)",\
     .def = (def_), .flags = (flags_), .fields = "network"}
#define ARGS_OPT_MODEL(T, f, help_, flags_)                                    \
    {.name = "model", .letter = 'm', .kind = ARG_STR, .off = offsetof(T, f),   \
     .meta = "FILE", .help = (help_), .flags = (flags_) | ARG_IN}
#define ARGS_OPT_OUT(T, f, meta_, help_, flags_)                               \
    {.name = "out", .letter = 'o', .kind = ARG_STR, .off = offsetof(T, f),     \
     .meta = (meta_), .help = (help_), .flags = (flags_)}
/* An output folder; writes_: the names of the files put into it. */
#define ARGS_OPT_OUT_DIR(T, f, meta_, help_, flags_, writes_)                  \
    {.name = "out", .letter = 'o', .kind = ARG_STR, .off = offsetof(T, f),     \
     .meta = (meta_), .help = (help_), .flags = (flags_) | ARG_OUT_DIR,         \
     .writes = (writes_)}
#define ARGS_OPT_BITS(T, f, max, def_, flags_)                                 \
    {.name = "bits", .letter = 'b', .kind = ARG_BITS, .off = offsetof(T, f),   \
     .meta = "W[/A]", .help = "weight/activation bits of the inner layers",   \
     .hi = (max), .def = (def_), .flags = (flags_), .fields = "w_bits a_bits"}
#define ARGS_OPT_FIRST_LAST(T, f, lo_, hi_, def_, help_)                       \
    {.name = "first-last", .kind = ARG_INT, .off = offsetof(T, f),             \
     .meta = "B", .help = (help_), .lo = (lo_), .hi = (hi_), .def = (def_),    \
     .fields = "first_last_bits"}
#define ARGS_OPT_SHORTCUT_BITS(T, f)                                           \
    {.name = "shortcut-bits", .kind = ARG_INT, .off = offsetof(T, f),          \
     .meta = "B", .help = "bits of projection shortcuts; default: as --bits", \
     .lo = 1, .hi = ARCH_MAX_BITS, .fields = "shortcut_bits"}
/* Needs sim/study/point.h (the engine names). */
#define ARGS_OPT_ENGINE(T, f, def_, help_)                                     \
    {.name = "engine", .kind = ARG_CHOICE, .off = offsetof(T, f),              \
     .choices = point_engine_names, .help = (help_), .def = (def_)}
#define ARGS_OPT_BATCH(T, f, hi_, def_, help_)                                 \
    {.name = "batch", .kind = ARG_INT, .off = offsetof(T, f), .meta = "N",     \
     .help = (help_), .lo = 1, .hi = (hi_), .def = (def_), .fields = "batch"}
#define ARGS_OPT_SEED(T, f, help_)                                             \
    {.name = "seed", .kind = ARG_I64, .off = offsetof(T, f), .meta = "S",      \
     .help = (help_), .lo = 0, .hi = 4294967295.0, .def = "1"}
/* Needs quant/train/idx.h (where the data set is looked for). */
#define ARGS_OPT_DATA(T, f)                                                    \
    {.name = "data", .kind = ARG_STR, .off = offsetof(T, f), .meta = "DIR",    \
     .help = "Fashion-MNIST folder (default $" IDX_ENV_DIR ", else\n"          \
             IDX_DEFAULT_DIR ")"}
#define ARGS_OPT_LIMIT(T, f)                                                   \
    {.name = "limit", .kind = ARG_INT, .off = offsetof(T, f), .meta = "N",     \
     .help = "the first N test images only", .lo = 1, .hi = 1000000}

#endif
