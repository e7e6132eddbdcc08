/* test_keytab.c: the key-table engine on a small table of its own: every
 * type from a file and from text with the same limits and messages, the
 * integer literals libconfig 1.5 would wrap, unknown keys and groups,
 * files that are not text, and the effective configuration read back. */
#include "tests/qtest.h"

#include <math.h>
#include <stddef.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arch/keytab.h"

typedef struct {
    char name[16];
    int n;
    long seed;
    int64_t big;
    int64_t bytes;
    double x;
    double gbps;
    int flag;
    int mode;
    char pick[8];
    double tab[5]; /* entries 1..4 */
} Obj;

#define F(field) offsetof(Obj, field), sizeof(((Obj *)0)->field)
static const char *const modes[] = {"ws", "os", "is", NULL};
static const char *const picks[] = {"red", "green", NULL};
static const KtKey keys[] = {
    {"name", KT_STR, F(name), 0, 0, "", "a name", NULL},
    {"g.n", KT_INT, F(n), 1, 4096, "", "an int", NULL},
    {"g.seed", KT_LONG, F(seed), 0, 2147483647, "", "a long", NULL},
    {"g.big", KT_I64, F(big), 0, 1e15, "cycles", "an int64", NULL},
    {"g.bytes", KT_BYTES, F(bytes), 1024, 1099511627776.0, "bytes", "a size", NULL},
    {"h.x", KT_FLOAT, F(x), 0.01, 100, "GHz", "a double", NULL},
    {"h.gbps", KT_GBPS, F(gbps), 0.001, 1e6, "GB/s", "a bandwidth", NULL},
    {"h.flag", KT_BOOL, F(flag), 0, 1, "", "a bool", NULL},
    {"h.mode", KT_ENUM, F(mode), 0, 0, "", "an enum", modes},
    {"h.pick", KT_STR, F(pick), 0, 0, "", "a choice", picks},
    {"h.tab", KT_LIST, F(tab), 1, 64, "lanes", "a list", NULL},
};
static const KtTable table = {"test file", keys, (int)QA_COUNT(keys), "the test table", 0, NULL};

/* Quantities, and a group kt_write leaves out while `on` is 0. */
typedef struct {
    int on;
    double p, leak;
} QObj;

#define Q(field) offsetof(QObj, field), sizeof(((QObj *)0)->field)
static const KtKey qkeys[] = {
    {"e.p", KT_QTY, Q(p), 0, 1e6, "pJ/bit", "an energy per bit", NULL},
    {"e.leak", KT_QTY, Q(leak), 0, 1e6, "mW/mm2", "a power density", NULL},
};

static int q_omit(const KtKey *k, const void *obj)
{
    (void)k;
    return !((const QObj *)obj)->on;
}

static const KtTable qtable = {"test file", qkeys, (int)QA_COUNT(qkeys),
                               "the test table", 0, q_omit};

static char dir[256];

static void write_file(const char *name, const char *text, char *path)
{
    snprintf(path, 512, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void f_append_nul(const char *path)
{
    FILE *f = fopen(path, "ab");
    assert_non_null(f);
    fputc('\0', f);
    fclose(f);
}

/* Load text; return the error (msg "" when it loaded). */
static Err load_text(const char *text, Obj *o)
{
    char path[512];
    Err e;
    err_clear(&e);
    memset(o, 0, sizeof *o);
    write_file("t.cfg", text, path);
    if (kt_load_file(&table, o, path, &e) == QA_OK)
        err_clear(&e);
    return e;
}

static Err load_q(const char *text, QObj *o)
{
    char path[512];
    Err e;
    err_clear(&e);
    memset(o, 0, sizeof *o);
    write_file("q.cfg", text, path);
    if (kt_load_file(&qtable, o, path, &e) == QA_OK)
        err_clear(&e);
    return e;
}

/* A quantity is a number in the key's unit or a string with a unit of
 * the same kind, converted; another kind of unit, a negative value or no
 * number at all is one message naming file, line and key. */
static void test_quantities(void **state)
{
    (void)state;
    QObj o;
    Err e = load_q("e = { p = \"1 pJ/B\"; leak = \"30 uW/mm2\"; };", &o);
    assert_string_equal(e.msg, "");
    assert_float_equal(o.p, 0.125, 0);
    assert_float_equal(o.leak, 30e-3, 1e-15);
    e = load_q("e = { p = 8; leak = \" 2 W/mm2 \"; };", &o);
    assert_string_equal(e.msg, "");
    assert_float_equal(o.p, 8, 0);
    assert_float_equal(o.leak, 2000, 0);
    static const struct { const char *text; int line; const char *field, *msg; } bad[] = {
        {"e = {\n leak = \"30 pJ\"; };", 2, "e.leak", "\"30 pJ\": pJ is not a unit of mW/mm2 (uW/mm2|mW/mm2|W/mm2)"},
        {"e = { p = \"8 mW/mm2\"; };", 1, "e.p", "\"8 mW/mm2\": mW/mm2 is not a unit of pJ/bit (fJ/bit|pJ/bit|nJ/bit|pJ/B)"},
        {"e = { p = -1.0; };", 1, "e.p", "must be in 0..1000000 pJ/bit, is -1"},
        {"e = { p = \"-1 nJ/bit\"; };", 1, "e.p", "must be in 0..1000000 pJ/bit, is \"-1 nJ/bit\""},
        {"e = { p = \"fast\"; };", 1, "e.p", "expected a number of pJ/bit or a quantity such as \"1 pJ/bit\", got \"fast\""},
        {"e = { p = true; };", 1, "e.p", "expected a number of pJ/bit or a quantity such as \"1 pJ/bit\", got a boolean"},
    };
    for (size_t i = 0; i < QA_COUNT(bad); i++) {
        e = load_q(bad[i].text, &o);
        if (!e.msg[0])
            fail_msg("case %zu loaded: %s", i, bad[i].text);
        assert_int_equal(e.line, bad[i].line);
        assert_string_equal(e.field, bad[i].field);
        assert_string_equal(e.msg, bad[i].msg);
    }
    /* -0, however written, is stored as 0: no "-0" in a report or in the
     * effective configuration */
    e = load_q("e = { p = \"-0 pJ/bit\"; leak = -0.0; };", &o);
    assert_string_equal(e.msg, "");
    assert_false(signbit(o.p));
    assert_false(signbit(o.leak));
    /* From text (a flag): the same conversion and the same checks. */
    const KtKey *p = kt_find(&qtable, "e.p");
    assert_int_equal(kt_set_text(p, &o, "-0", NULL, 0, "--p", &e), QA_OK);
    assert_false(signbit(o.p));
    assert_int_equal(kt_set_text(p, &o, "2 fJ/bit", NULL, 0, "--p", &e), QA_OK);
    assert_float_equal(o.p, 2e-3, 1e-18);
    assert_int_equal(kt_set_text(p, &o, "3.5", NULL, 0, "--p", &e), QA_OK);
    assert_float_equal(o.p, 3.5, 0);
    assert_int_equal(kt_set_text(p, &o, "3 W/mm2", NULL, 0, "--p", &e), QA_ERR);
    assert_string_equal(e.field, "--p");
    assert_string_equal(e.msg, "\"3 W/mm2\": W/mm2 is not a unit of pJ/bit (fJ/bit|pJ/bit|nJ/bit|pJ/B)");
    /* Written in the key's unit; a group the object omits is not written. */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    kt_write(&qtable, &o, f);
    fclose(f);
    assert_string_equal(buf, "");
    free(buf);
    o.on = 1;
    o.leak = 0.03;
    f = open_memstream(&buf, &len);
    kt_write(&qtable, &o, f);
    fclose(f);
    assert_string_equal(buf, "e = {\n"
                             "  p = 3.5;  # pJ/bit: an energy per bit\n"
                             "  leak = 0.03;  # mW/mm2: a power density\n"
                             "};\n");
    QObj back;
    e = load_q(buf, &back);
    free(buf);
    assert_string_equal(e.msg, "");
    assert_float_equal(back.p, o.p, 0);
    assert_float_equal(back.leak, o.leak, 0);
}

static void test_every_type_from_a_file(void **state)
{
    (void)state;
    Obj o;
    Err e = load_text("name = \"chip\";\n"
                      "g = { n = 7; seed = 123456; big = 5000000000L; bytes = \"2 MiB\"; };\n"
                      "h = { x = 1.5; gbps = \"unlimited\"; flag = true; mode = \"is\";\n"
                      "      pick = \"green\"; tab = (16, 8.5, 4); };\n", &o);
    assert_string_equal(e.msg, "");
    assert_string_equal(o.name, "chip");
    assert_int_equal(o.n, 7);
    assert_int_equal(o.seed, 123456);
    assert_int_equal(o.big, INT64_C(5000000000));
    assert_int_equal(o.bytes, 2 * 1024 * 1024);
    assert_float_equal(o.x, 1.5, 0);
    assert_float_equal(o.gbps, 0, 0);
    assert_int_equal(o.flag, 1);
    assert_int_equal(o.mode, 2);
    assert_string_equal(o.pick, "green");
    assert_float_equal(o.tab[1], 16, 0);
    assert_float_equal(o.tab[2], 8.5, 0);
    assert_float_equal(o.tab[3], 4, 0);
    assert_float_equal(o.tab[4], 0, 0);
}

/* One message per mistake, with file, line and key. */
static void test_file_errors(void **state)
{
    (void)state;
    static const struct { const char *text; int line; const char *field, *msg; } bad[] = {
        {"g = { n = 0; };", 1, "g.n", "must be in 1..4096, is 0"},
        {"g = {\n n = 1.5; };", 2, "g.n", "expected an integer, got a number"},
        {"h = { x = 100.0000001; };", 1, "h.x", "must be in 0.01..100 GHz, is 100.0000001"},
        {"h = { gbps = 1e-9; };", 1, "h.gbps", "must be in 0.001..1000000 GB/s or \"unlimited\", is 1e-09"},
        {"h = { gbps = \"fast\"; };", 1, "h.gbps", "expected a number of GB/s or \"unlimited\", got \"fast\""},
        {"h = { mode = \"xs\"; };", 1, "h.mode", "\"xs\" is not one of ws|os|is"},
        {"h = { pick = \"blue\"; };", 1, "h.pick", "\"blue\" is not one of red|green"},
        {"h = { flag = 1; };", 1, "h.flag", "expected true or false, got an integer"},
        {"h = { tab = [1, 100]; };", 1, "h.tab", "entry 2 must be in 1..64 lanes, is 100"},
        {"h = { tab = [1, 2, 3, 4, 5]; };", 1, "h.tab", "expected 1..4 entries, got 5"},
        {"name = \"a name much too long\";", 1, "name", "longer than 15 characters"},
        {"g = { nn = 1; };", 1, "g.nn", "unknown key (the test table lists them)"},
        {"k = { n = 1; };", 1, "k", "unknown group"},
        {"g = { bytes = \"2 MeB\"; };", 1, "g.bytes", "\"2 MeB\" is not a size (e.g. 2097152 or \"2 MiB\")"},
        {"g = { bytes = \"2.0001 KiB\"; };", 1, "g.bytes", "\"2.0001 KiB\" is not a whole number of bytes"},
        /* libconfig 1.5 would read these as 1024, -1 and 0 */
        {"# 4294968320\ng = { bytes = 4294968320; };", 2, "", "integer 4294968320 does not fit in 32 bits (write it with an L suffix, 4294968320L, or as a size such as \"4 GiB\")"},
        {"g = { n = 99999999999999999999; };", 1, "", "integer 99999999999999999999 does not fit in 64 bits"},
        {"g = {\n\n big = 99999999999999999999L; };", 3, "", "integer 99999999999999999999L does not fit in 64 bits"},
        {"g = { n = 0x100000000; };", 1, "", "integer 0x100000000 does not fit in 32 bits"},
        /* the most negative 64-bit hex: its negation does not fit */
        {"g = { n = -0x8000000000000000L; };", 1, "", "integer -0x8000000000000000L does not fit in 64 bits"},
    };
    for (size_t i = 0; i < QA_COUNT(bad); i++) {
        Obj o;
        Err e = load_text(bad[i].text, &o);
        if (!e.msg[0])
            fail_msg("case %zu loaded: %s", i, bad[i].text);
        assert_int_equal(e.line, bad[i].line);
        assert_string_equal(e.field, bad[i].field);
        if (strncmp(e.msg, bad[i].msg, strlen(bad[i].msg)))
            fail_msg("case %zu: \"%s\" does not start with \"%s\"", i, e.msg, bad[i].msg);
    }
    /* Numbers inside strings, comments and names are not integer literals. */
    Obj o;
    Err e = load_text("name = \"9999999999\"; // 9999999999\n/* 99999999999 */ h = { x = 1e10; };", &o);
    assert_string_equal(e.field, "h.x"); /* the range, not the lexer */
    e = load_text("h = { x = 2.5e1; gbps = 64.0; }; g = { big = 4000000000L; n = -0; };", &o);
    assert_string_equal(e.field, "g.n"); /* -0: in range? no: 1..4096 */
    e = load_text("h = { x = 2.5e1; gbps = 64.0; }; g = { big = 4000000000L; n = 4096; };", &o);
    assert_string_equal(e.msg, "");
    assert_int_equal(o.big, INT64_C(4000000000));
}

/* A flag or an override takes the same path: the same limits, the text
 * itself in the message, the flag as the field. */
static void test_text_values(void **state)
{
    (void)state;
    Obj o;
    Err e;
    memset(&o, 0, sizeof o);
    const KtKey *n = kt_find(&table, "g.n"), *gb = kt_find(&table, "h.gbps"),
                *by = kt_find(&table, "g.bytes"), *fl = kt_find(&table, "h.flag"),
                *md = kt_find(&table, "h.mode"), *x = kt_find(&table, "h.x");
    assert_int_equal(kt_set_text(n, &o, "12", NULL, 0, "--n", &e), QA_OK);
    assert_int_equal(o.n, 12);
    assert_int_equal(kt_set_text(n, &o, "99999999999999999999", NULL, 0, "--n", &e), QA_ERR);
    assert_string_equal(e.field, "--n");
    assert_string_equal(e.msg, "must be in 1..4096, is 99999999999999999999");
    assert_int_equal(kt_set_text(n, &o, "12x", NULL, 0, "--n", &e), QA_ERR);
    assert_string_equal(e.msg, "expected an integer, got '12x'");
    /* whole numbers inside the range, not written as decimal integers:
     * not a range the value meets */
    static const char *const not_int[] = {"1e3", "0x10", " 5", "12.0"};
    for (size_t i = 0; i < QA_COUNT(not_int); i++) {
        char want[80];
        assert_int_equal(kt_set_text(n, &o, not_int[i], NULL, 0, "--n", &e), QA_ERR);
        snprintf(want, sizeof want, "expected an integer, got '%s'", not_int[i]);
        assert_string_equal(e.msg, want);
    }
    assert_int_equal(kt_set_text(n, &o, "1e30", NULL, 0, "--n", &e), QA_ERR);
    assert_string_equal(e.msg, "must be in 1..4096, is 1e30");
    assert_int_equal(kt_set_text(gb, &o, "1e-9", NULL, 0, "--bw", &e), QA_ERR);
    assert_string_equal(e.msg, "must be in 0.001..1000000 GB/s or \"unlimited\", is 1e-9");
    assert_int_equal(kt_set_text(gb, &o, "1e-300", NULL, 0, "--bw", &e), QA_ERR);
    assert_int_equal(kt_set_text(gb, &o, "nan", NULL, 0, "--bw", &e), QA_ERR);
    assert_int_equal(kt_set_text(gb, &o, "unlimited", NULL, 0, "--bw", &e), QA_OK);
    assert_float_equal(o.gbps, 0, 0);
    assert_int_equal(kt_set_text(gb, &o, "64", NULL, 0, "--bw", &e), QA_OK);
    assert_float_equal(o.gbps, 64, 0);
    assert_int_equal(kt_set_text(by, &o, "1TiB", NULL, 0, "--sram", &e), QA_OK);
    assert_int_equal(o.bytes, INT64_C(1) << 40);
    assert_int_equal(kt_set_text(by, &o, "2TiB", NULL, 0, "--sram", &e), QA_ERR);
    assert_string_equal(e.msg, "must be in 1024..1099511627776 bytes, is 2TiB");
    assert_int_equal(kt_set_text(by, &o, "2048.5", NULL, 0, "--sram", &e), QA_ERR);
    assert_string_equal(e.msg, "\"2048.5\" is not a whole number of bytes");
    assert_int_equal(kt_set_text(by, &o, "1.5KiB", NULL, 0, "--sram", &e), QA_OK);
    assert_int_equal(o.bytes, 1536);
    assert_int_equal(kt_set_text(x, &o, "100.0000001", NULL, 0, "--clock", &e), QA_ERR);
    assert_string_equal(e.msg, "must be in 0.01..100 GHz, is 100.0000001");
    assert_int_equal(kt_set_text(fl, &o, "1", NULL, 0, "--flag", &e), QA_OK);
    assert_int_equal(o.flag, 1);
    assert_int_equal(kt_set_text(md, &o, "os", NULL, 0, "--mode", &e), QA_OK);
    assert_int_equal(o.mode, 1);
    assert_int_equal(kt_set_pair(&table, &o, "h.pick=\"red\"", &e), QA_OK);
    assert_string_equal(o.pick, "red");
    assert_int_equal(kt_set_pair(&table, &o, "h.nope=1", &e), QA_ERR);
    assert_string_equal(e.field, "h.nope");
    assert_int_equal(kt_set_pair(&table, &o, "h.x", &e), QA_ERR);
    assert_string_equal(e.msg, "expected key=value");
}

/* What kt_write prints reads back to the same struct, and looks like the
 * files people write. */
static void test_write_reads_back(void **state)
{
    (void)state;
    Obj o, back;
    memset(&o, 0, sizeof o);
    snprintf(o.name, sizeof o.name, "a\"b\\c");
    o.n = 3, o.seed = 42, o.big = INT64_C(1) << 40, o.bytes = 4096;
    o.x = 0.1, o.gbps = 25.6, o.flag = 1, o.mode = 1;
    snprintf(o.pick, sizeof o.pick, "red");
    o.tab[1] = 2, o.tab[2] = 1;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    kt_write(&table, &o, f);
    fclose(f);
    assert_string_equal(buf,
        "name = \"a\\\"b\\\\c\";  # a name\n"
        "g = {\n"
        "  n = 3;  # an int\n"
        "  seed = 42;  # a long\n"
        "  big = 1099511627776L;  # cycles: an int64\n"
        "  bytes = 4096L;  # bytes: a size\n"
        "};\n"
        "h = {\n"
        "  x = 0.1;  # GHz: a double\n"
        "  gbps = 25.6;  # GB/s: a bandwidth\n"
        "  flag = true;  # a bool\n"
        "  mode = \"os\";  # an enum\n"
        "  pick = \"red\";  # a choice\n"
        "  tab = [2.0, 1.0];  # lanes: a list\n"
        "};\n");
    Err e = load_text(buf, &back);
    free(buf);
    assert_string_equal(e.msg, "");
    assert_memory_equal(&o, &back, sizeof o);
}

/* Paths that are not configuration files. */
static void test_not_text_files(void **state)
{
    (void)state;
    Obj o;
    Err e;
    char path[512];
    assert_int_equal(kt_load_file(&table, &o, dir, &e), QA_ERR);
    assert_string_equal(e.file, dir);
    assert_string_equal(e.msg, "cannot open test file: it is a folder");
    snprintf(path, sizeof path, "%s/none.cfg", dir);
    assert_int_equal(kt_load_file(&table, &o, path, &e), QA_ERR);
    assert_non_null(strstr(e.msg, "cannot open test file"));
    write_file("nul.cfg", "name = \"x\";", path);
    f_append_nul(path);
    assert_int_equal(kt_load_file(&table, &o, path, &e), QA_ERR);
    assert_string_equal(e.msg, "test file has a NUL byte: not a text file");
}

/* A file that can be read only once (a pipe: -c <(cmd), a FIFO) gives its
 * keys; it was read twice, the second time empty, and every key kept its
 * default without a word. */
static void test_pipe_read_once(void **state)
{
    (void)state;
    int fd[2];
    assert_int_equal(pipe(fd), 0);
    const char *text = "name = \"piped\";\ng = { n = 7; };\n";
    assert_int_equal(write(fd[1], text, strlen(text)), (ssize_t)strlen(text));
    close(fd[1]);
    char path[64];
    snprintf(path, sizeof path, "/dev/fd/%d", fd[0]);
    Obj o;
    Err e;
    memset(&o, 0, sizeof o);
    assert_int_equal(kt_load_file(&table, &o, path, &e), QA_OK);
    close(fd[0]);
    assert_string_equal(o.name, "piped");
    assert_int_equal(o.n, 7);
}

static void test_value_parsers(void **state)
{
    (void)state;
    double d;
    int w, a;
    assert_int_equal(kt_parse_size("512KiB", &d), QA_OK);
    assert_float_equal(d, 524288, 0);
    assert_int_equal(kt_parse_size("2 MB", &d), QA_OK);
    assert_float_equal(d, 2e6, 0);
    assert_int_equal(kt_parse_size("-1", &d), QA_ERR);
    assert_int_equal(kt_parse_size("inf", &d), QA_ERR);
    /* strtod reads hex; a quantity a person writes is decimal */
    assert_int_equal(kt_parse_size("0x10 KiB", &d), QA_ERR);
    assert_int_equal(kt_parse_size("1.5e3", &d), QA_OK);
    assert_float_equal(d, 1500, 0);
    const char *bad;
    assert_int_equal(kt_parse_qty("0x10 pJ", "pJ", &d, &bad), QA_ERR);
    assert_int_equal(kt_parse_qty("2.5 fJ", "pJ", &d, &bad), QA_OK);
    assert_float_equal(d, 2.5e-3, 1e-15);
    assert_int_equal(qa_parse_double("0x40", &d), QA_ERR);
    assert_int_equal(qa_parse_double("-2.5e-1", &d), QA_OK);
    assert_float_equal(d, -0.25, 0);
    /* spaces around a size, as around a quantity */
    assert_int_equal(kt_parse_size(" 64KiB ", &d), QA_OK);
    assert_float_equal(d, 65536, 0);
    /* an underflow is a tiny number for the range check; an overflow is
     * no number */
    assert_int_equal(qa_parse_double("1e-320", &d), QA_OK);
    assert_true(d > 0 && d < 1e-300);
    assert_int_equal(qa_parse_double("1e400", &d), QA_ERR);
    assert_int_equal(kt_parse_gbps("unlimited", &d), QA_OK);
    assert_float_equal(d, 0, 0);
    assert_int_equal(kt_parse_gbps("0", &d), QA_ERR);
    assert_int_equal(kt_parse_bits("4/2", 16, &w, &a), QA_OK);
    assert_int_equal(w, 4);
    assert_int_equal(a, 2);
    assert_int_equal(kt_parse_bits("8", 16, &w, &a), QA_OK);
    assert_int_equal(a, 8);
    assert_int_equal(kt_parse_bits("17", 16, &w, &a), QA_ERR);
    assert_int_equal(kt_parse_bits("4/0", 16, &w, &a), QA_ERR);
}

static int setup(void **state)
{
    (void)state;
    return qt_tmpdir(dir, sizeof dir);
}

static int teardown(void **state)
{
    (void)state;
    return qt_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_type_from_a_file),
        cmocka_unit_test(test_file_errors),
        cmocka_unit_test(test_text_values),
        cmocka_unit_test(test_write_reads_back),
        cmocka_unit_test(test_not_text_files),
        cmocka_unit_test(test_pipe_read_once),
        cmocka_unit_test(test_value_parsers),
        cmocka_unit_test(test_quantities),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
