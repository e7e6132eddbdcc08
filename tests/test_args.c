/* test_args.c: the argument helper on a command of its own: every kind of
 * option in every spelling, defaults, operands, the rules between options,
 * every error with its exact flag and message, a whole command's exit
 * statuses, the usage generated from the table, architecture overrides and
 * library field names made flags. */
#include "tests/qtest.h"

#include <fcntl.h>
#include <stddef.h>
#include <unistd.h>

#include "sim/cli/args.h"

typedef struct {
    int flag;
    const char *str;
    ArgList set;
    int n;
    int64_t big;
    double x, pct;
    ArgBits bits;
    int colour;
    const char *arch;
} Opt;

static const char *const colours[] = {"red", "green", "blue", NULL};

static const ArgOpt opts[] = {
    {.name = "flag", .letter = 'f', .kind = ARG_FLAG, .off = offsetof(Opt, flag),
     .help = "a flag"},
    {.name = "str", .letter = 's', .kind = ARG_STR, .off = offsetof(Opt, str),
     .meta = "TEXT", .help = "a string", .flags = ARG_REQUIRED},
    {.name = "set", .kind = ARG_LIST, .off = offsetof(Opt, set), .meta = "K=V",
     .help = "repeatable"},
    {.name = "n", .letter = 'n', .kind = ARG_INT, .off = offsetof(Opt, n), .meta = "N",
     .help = "an int\nover two lines", .lo = 1, .hi = 16, .def = "4", .fields = "count"},
    {.name = "big", .kind = ARG_I64, .off = offsetof(Opt, big), .meta = "N",
     .help = "an int64", .lo = 0, .hi = 1e12},
    {.name = "x", .kind = ARG_REAL, .off = offsetof(Opt, x), .meta = "X",
     .help = "a positive number", .lo = 0, .hi = INFINITY, .flags = ARG_ABOVE_LO},
    {.name = "pct", .kind = ARG_REAL, .off = offsetof(Opt, pct), .meta = "P",
     .help = "a percentage", .lo = 0, .hi = 100},
    ARGS_OPT_BITS(Opt, bits, 8, "8", 0),
    {.name = "colour", .kind = ARG_CHOICE, .off = offsetof(Opt, colour),
     .choices = colours, .help = "a choice", .def = "red"},
    ARGS_OPT_ARCH(Opt, arch),
    ARGS_OPT_CHIP,
};

static const ArgRule rules[] = {
    {ARG_CONFLICTS, "x", "pct", NULL, "one number"},
    {ARG_CONFLICTS, "flag", "colour", "blue", "no blue flags"},
    {ARG_REQUIRES, "big", "n", NULL, NULL},
};

/* What args_main handed to the command, and what the command returns. */
static Opt seen;
static int seen_operands, run_returns;

static void init(void *obj)
{
    ((Opt *)obj)->big = 77; /* kept where no default and no value is given */
}

static int run(const Args *a, void *obj, Err *e)
{
    seen = *(const Opt *)obj;
    seen_operands = a->noperands;
    if (run_returns != QA_OK)
        err_set(e, NULL, 0, "count", "bad count");
    return run_returns;
}

static const ArgCmd demo = {
    .name = "demo", .summary = "a test command", .about = "A command for the tests.",
    .opts = opts, .nopts = (int)QA_COUNT(opts), .rules = rules,
    .nrules = (int)QA_COUNT(rules), .operands = "FILE", .size = sizeof(Opt), .init = init,
    .run = run};
static const ArgCmd bare = {.name = "bare", .about = "No operands.", .opts = opts,
                            .nopts = (int)QA_COUNT(opts)};
static const ArgCmd needy = {.name = "needy", .about = "One operand at least.", .opts = opts,
                             .nopts = (int)QA_COUNT(opts), .operands = "FILE",
                             .min_operands = 1};

/* argv_ from "NAME LINE" split at spaces (argv[0] is the command); argc. */
static char buf[4096];
static char *argv_[600];
static int split(const char *name, const char *line)
{
    snprintf(buf, sizeof buf, "%s %s", name, line);
    int argc = 0;
    for (char *t = strtok(buf, " "); t && argc < 600; t = strtok(NULL, " "))
        argv_[argc++] = t;
    return argc;
}

static int parse(const ArgCmd *c, const char *line, Opt *o, Args *a, Err *e)
{
    memset(o, 0, sizeof *o);
    int argc = split(c->name, line);
    err_clear(e);
    return args_parse(a, c, o, argc, argv_, e);
}

/* The parse fails naming field with exactly msg. */
static void refused(const ArgCmd *c, const char *line, const char *field, const char *msg)
{
    Opt o;
    Args a;
    Err e;
    assert_int_equal(parse(c, line, &o, &a, &e), QA_ERR);
    assert_string_equal(e.file, "");
    assert_string_equal(e.field, field);
    assert_string_equal(e.msg, msg);
}

/* stdout and stderr to /dev/null while a call prints what the test does
 * not check; unmute puts them back. */
static int saved_fd[2];
static void mute(void)
{
    fflush(stdout);
    fflush(stderr);
    int null = open("/dev/null", O_WRONLY);
    saved_fd[0] = dup(1), saved_fd[1] = dup(2);
    assert_true(null >= 0 && saved_fd[0] >= 0 && saved_fd[1] >= 0);
    dup2(null, 1);
    dup2(null, 2);
    close(null);
}

static void unmute(void)
{
    fflush(stdout);
    fflush(stderr);
    dup2(saved_fd[0], 1);
    dup2(saved_fd[1], 2);
    close(saved_fd[0]);
    close(saved_fd[1]);
}

static int quiet(const ArgCmd *c, const char *line)
{
    Opt o;
    Args a;
    Err e;
    mute();
    int rc = parse(c, line, &o, &a, &e);
    unmute();
    return rc;
}

static void test_every_kind(void **s)
{
    (void)s;
    Opt o;
    Args a;
    Err e;
    /* defaults from the table */
    assert_int_equal(parse(&demo, "-s hi", &o, &a, &e), QA_OK);
    assert_string_equal(o.str, "hi");
    assert_int_equal(o.n, 4);
    assert_int_equal(o.bits.w, 8);
    assert_int_equal(o.bits.a, 8);
    assert_int_equal(o.colour, 0);
    assert_string_equal(o.arch, ARGS_ARCH_DEFAULT);
    assert_int_equal(o.flag, 0);
    assert_int_equal(a.noperands, 0);
    assert_true(args_given(&a, "str"));
    assert_false(args_given(&a, "n"));
    assert_false(args_given(&a, "nosuch"));

    /* long options with a separate value and with '=', flags, lists,
     * operands among the options and after "--" */
    assert_int_equal(parse(&demo, "in1 --str=hi --flag --set a=1 --set b=2 --n 16 "
                                  "--big=1000000000000 in2 --pct=100 --bits 4/2 "
                                  "--colour green --arch arch/tiny.cfg --bw unlimited "
                                  "--cores 2 -- -in3 --flag",
                           &o, &a, &e), QA_OK);
    assert_int_equal(o.flag, 1);
    assert_int_equal(o.set.n, 2);
    assert_string_equal(o.set.v[0], "a=1");
    assert_string_equal(o.set.v[1], "b=2");
    assert_int_equal(o.n, 16);
    assert_int_equal(o.big, 1000000000000LL);
    assert_true(o.pct == 100.0);
    assert_int_equal(o.bits.w, 4);
    assert_int_equal(o.bits.a, 2);
    assert_int_equal(o.colour, 1);
    assert_string_equal(o.arch, "arch/tiny.cfg");
    assert_int_equal(a.noperands, 4);
    assert_string_equal(a.operand[0], "in1");
    assert_string_equal(a.operand[1], "in2");
    assert_string_equal(a.operand[2], "-in3");
    assert_string_equal(a.operand[3], "--flag");
    assert_true(args_given(&a, "bw"));
    assert_false(args_given(&a, "sram"));

    /* short options, separate and attached; a lone "-" is an operand */
    assert_int_equal(parse(&demo, "-shi -n7 -b 2 -f -c arch/tiny.cfg -", &o, &a, &e), QA_OK);
    assert_string_equal(o.str, "hi");
    assert_int_equal(o.n, 7);
    assert_int_equal(o.bits.w, 2);
    assert_int_equal(o.bits.a, 2);
    assert_int_equal(o.flag, 1);
    assert_int_equal(a.noperands, 1);
    assert_string_equal(a.operand[0], "-");

    assert_int_equal(parse(&demo, "-s x --x 0.5", &o, &a, &e), QA_OK);
    assert_true(o.x == 0.5);

    /* a value that starts with '-' but is no option is a value */
    refused(&demo, "-s x -n -3", "--n", "'-3' is not an integer in 1..16");
    assert_int_equal(parse(&demo, "-s -x", &o, &a, &e), QA_OK);
    assert_string_equal(o.str, "-x");
    /* a flag given twice changes nothing and is accepted */
    assert_int_equal(parse(&demo, "-s x -f --flag", &o, &a, &e), QA_OK);
    /* a conflict with a value holds only for that value */
    assert_int_equal(parse(&demo, "-s x --flag --colour green", &o, &a, &e), QA_OK);
    assert_int_equal(parse(&demo, "-s x --big 5 -n 2", &o, &a, &e), QA_OK);
    assert_int_equal(o.big, 5);

    /* --help prints the usage and asks for exit status 0; an error before
     * it is still an error */
    assert_int_equal(parse(&demo, "-n 99 --help", &o, &a, &e), QA_ERR);
    assert_int_equal(quiet(&demo, "--help -n 99"), ARGS_HELP);
    assert_int_equal(quiet(&demo, "-h"), ARGS_HELP);
}

/* args_main: init, parse, run, and the exit status of each outcome. */
static int main_of(const char *line)
{
    int argc = split("demo", line);
    memset(&seen, 0, sizeof seen);
    seen_operands = -1;
    mute();
    int rc = args_main(&demo, argc, argv_);
    unmute();
    return rc;
}

static void test_main(void **s)
{
    (void)s;
    run_returns = QA_OK;
    assert_int_equal(main_of("-s hi -n 5 a b"), 0);
    assert_string_equal(seen.str, "hi");
    assert_int_equal(seen.n, 5);
    assert_int_equal(seen.big, 77);
    assert_int_equal(seen.bits.w, 8);
    assert_int_equal(seen_operands, 2);
    /* --help: exit 0, the command does not run */
    assert_int_equal(main_of("--help"), 0);
    assert_int_equal(seen_operands, -1);
    /* a bad command line: exit 2, the command does not run */
    assert_int_equal(main_of("-s hi -n 99"), 2);
    assert_int_equal(seen_operands, -1);
    /* the command fails: exit 1; a bad value it found itself: exit 2 */
    run_returns = QA_ERR;
    assert_int_equal(main_of("-s hi"), 1);
    assert_int_equal(seen_operands, 0);
    run_returns = ARGS_USAGE;
    assert_int_equal(main_of("-s hi"), 2);
    run_returns = QA_OK;
}

static void test_every_error(void **s)
{
    (void)s;
    static const struct {
        const ArgCmd *c;
        const char *line, *field, *msg;
    } cases[] = {
        {&demo, "-s x --frob", "--frob", "unknown option (qarray demo --help)"},
        {&demo, "-s x --frob=1", "--frob", "unknown option (qarray demo --help)"},
        {&demo, "-s x --st y", "--st", "unknown option (qarray demo --help)"},
        {&demo, "-s x -z", "-z", "unknown option (qarray demo --help)"},
        {&demo, "-s", "--str", "needs a value"},
        {&demo, "--str --flag", "--str", "needs a value"},
        {&demo, "--str -n 3", "--str", "needs a value"},
        {&demo, "-s x --bits", "--bits", "needs a value"},
        {&demo, "-s x --flag=1", "--flag", "takes no value"},
        {&demo, "-s x -fx", "--flag", "takes no value"},
        {&demo, "--str=", "--str", "needs a value, not an empty one"},
        {&demo, "-s a --str b", "--str", "given twice ('a', then 'b')"},
        {&demo, "-s a -n 3 -n 3", "--n", "given twice ('3', then '3')"},
        {&demo, "-s a --bw 64 --bw 32", "--bw", "given twice ('64', then '32')"},
        {&demo, "-s x -n 17", "--n", "'17' is not an integer in 1..16"},
        {&demo, "-s x -n 0", "--n", "'0' is not an integer in 1..16"},
        {&demo, "-s x -n four", "--n", "'four' is not an integer in 1..16"},
        {&demo, "-s x -n 4.5", "--n", "'4.5' is not an integer in 1..16"},
        {&demo, "-s x --big -1", "--big", "'-1' is not an integer in 0..1000000000000"},
        {&demo, "-s x --big 99999999999999999999", "--big",
         "'99999999999999999999' is not an integer in 0..1000000000000"},
        {&demo, "-s x --x 0", "--x", "'0' is not a number > 0"},
        {&demo, "-s x --x nan", "--x", "'nan' is not a number > 0"},
        {&demo, "-s x --x inf", "--x", "'inf' is not a number > 0"},
        {&demo, "-s x --x 1e999", "--x", "'1e999' is not a number > 0"},
        {&demo, "-s x --pct 101", "--pct", "'101' is not a number in 0..100"},
        {&demo, "-s x --pct=", "--pct", "'' is not a number in 0..100"},
        {&demo, "-s x -b 9", "--bits", "'9' is not W or W/A with bits in 1..8"},
        {&demo, "-s x -b 4/0", "--bits", "'4/0' is not W or W/A with bits in 1..8"},
        {&demo, "-s x -b four", "--bits", "'four' is not W or W/A with bits in 1..8"},
        {&demo, "-s x --colour pink", "--colour", "'pink' is not one of red, green, blue"},
        /* architecture overrides: the key table's own checks, at parse time */
        {&demo, "-s x --bw fast", "--bw",
         "expected a number of GB/s or \"unlimited\", got 'fast'"},
        {&demo, "-s x --sram 12", "--sram", "must be in 1024..1099511627776 bytes, is 12"},
        {&demo, "-s x --cores 0", "--cores", "must be in 1..4096, is 0"},
        {&demo, "-s x --dataflow xs", "--dataflow", "\"xs\" is not one of ws|os|is"},
        /* rules */
        {&demo, "-s x --x 1 --pct 2", "--x", "cannot be combined with --pct (one number)"},
        {&demo, "-s x --pct 2 --x 1", "--x", "cannot be combined with --pct (one number)"},
        {&demo, "-s x --colour blue -f", "--flag",
         "cannot be combined with --colour blue (no blue flags)"},
        {&demo, "-s x --big 1", "--big", "only with --n"},
        /* required options and operands */
        {&demo, "", "--str", "required (qarray demo --help)"},
        {&demo, "-n 3", "--str", "required (qarray demo --help)"},
        {&bare, "-s x stray", "stray", "unexpected argument (qarray bare --help)"},
        {&bare, "-s x -- -f", "-f", "unexpected argument (qarray bare --help)"},
        {&needy, "-s x", "FILE", "required (qarray needy --help)"},
    };
    for (size_t i = 0; i < QA_COUNT(cases); i++)
        refused(cases[i].c, cases[i].line, cases[i].field, cases[i].msg);
    /* a list has room for ARGS_LIST_MAX values */
    char line[1024] = "-s x";
    for (int i = 0; i <= ARGS_LIST_MAX; i++)
        strcat(line, " --set k=v");
    refused(&demo, line, "--set", "given more than 32 times");
}

static void test_usage(void **s)
{
    (void)s;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    args_usage(&demo, f);
    fclose(f);
    static const char *const want[] = {
        "usage: qarray demo -s TEXT [options] [FILE...]\n"
        "A command for the tests.\n\n",
        "\n  -f, --flag              a flag\n",
        "\n  -s, --str TEXT          a string\n",
        "\n      --set K=V           repeatable\n",
        "\n  -n, --n N               an int\n"
        "                          over two lines (1..16, default 4)\n",
        "\n      --big N             an int64 (0..1000000000000)\n",
        "\n      --x X               a positive number (> 0)\n",
        "\n      --pct P             a percentage (0..100)\n",
        /* past column 80: range and default on a line of their own */
        "\n  -b, --bits W[/A]        weight/activation bits of the inner layers\n"
        "                          (1..8 bits, default 8)\n",
        "\n      --colour red|green|blue\n"
        "                          a choice (default red)\n",
        "\n  -c, --arch FILE         architecture file (default " ARGS_ARCH_DEFAULT ")\n",
        "\n      --bw GBPS           DRAM bandwidth in GB/s or \"unlimited\"\n",
        "\n  -h, --help              this text\n",
    };
    for (size_t i = 0; i < QA_COUNT(want); i++)
        if (!strstr(text, want[i]))
            fail_msg("usage lacks '%s' in:\n%s", want[i], text);
    free(text);

    f = open_memstream(&text, &len);
    args_usage(&needy, f);
    fclose(f);
    assert_non_null(strstr(text, "usage: qarray needy -s TEXT [options] FILE...\n"));
    free(text);
}

static void test_load_chip(void **s)
{
    (void)s;
    Opt o;
    Args a;
    Err e;
    Accel acc;
    assert_int_equal(parse(&demo, "-s x -c arch/tiny.cfg --cores 3 --bw 64 --sram 1MiB "
                                  "--dataflow os", &o, &a, &e), QA_OK);
    assert_int_equal(args_load_chip(&a, o.arch, &acc, &e), QA_OK);
    assert_int_equal(acc.cores, 3);
    assert_true(acc.dram_gbps == 64.0);
    assert_int_equal(acc.sram_bytes, 1 << 20);
    assert_int_equal(acc.dataflow, DF_OS);
    /* the file's own values where nothing overrides them */
    Accel file;
    assert_int_equal(arch_load(&file, "arch/tiny.cfg", &e), QA_OK);
    assert_int_equal(acc.rows, file.rows);
    assert_int_equal(parse(&demo, "-s x -c arch/tiny.cfg", &o, &a, &e), QA_OK);
    assert_int_equal(args_load_chip(&a, o.arch, &acc, &e), QA_OK);
    assert_int_equal(acc.cores, file.cores);
    /* a missing file is the loader's error */
    assert_int_equal(parse(&demo, "-s x -c no_such.cfg --cores 3", &o, &a, &e), QA_OK);
    assert_int_equal(args_load_chip(&a, o.arch, &acc, &e), QA_ERR);
    assert_string_equal(e.file, "no_such.cfg");
}

static void test_flagify(void **s)
{
    (void)s;
    Opt o;
    Args a;
    Err e;
    assert_int_equal(parse(&demo, "-s x -n 3 -b 4 --colour blue", &o, &a, &e), QA_OK);
    static const char *const cases[][2] = {
        {"count", "--n"}, {"n", "--n"}, {"w_bits", "--bits"}, {"a_bits", "--bits"},
        {"colour", "--colour"}, {"layer", "layer"}, {"", ""},
        {"pct", "pct"}, /* not given: it cannot be what went wrong */
    };
    for (size_t i = 0; i < QA_COUNT(cases); i++) {
        err_set(&e, NULL, 0, cases[i][0], "m");
        args_flagify(&a, &e);
        assert_string_equal(e.field, cases[i][1]);
    }
    /* an error in a file keeps its field: it names a key there */
    err_set(&e, "f.cfg", 3, "count", "m");
    args_flagify(&a, &e);
    assert_string_equal(e.field, "count");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_kind),
        cmocka_unit_test(test_main),
        cmocka_unit_test(test_every_error),
        cmocka_unit_test(test_usage),
        cmocka_unit_test(test_load_chip),
        cmocka_unit_test(test_flagify),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
