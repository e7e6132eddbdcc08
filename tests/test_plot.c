/* test_plot.c: the figures of a study (sim/study/plot.c) when names are
 * user strings. A chip named `a, "b" #c` runs a SCALE-Sim topology whose
 * layer names hold quotes, '#', a backslash and spaces: every data file
 * keeps its number of columns on every row, the layer names reach gnuplot
 * as exact gnuplot strings, the layer CSVs read back to the same names,
 * and (when gnuplot is installed) each figure's title names the chip and
 * the values the figure fixes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "tests/qtest.h"
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/report/table.h"
#include "sim/study/plot.h"
#include "sim/study/sweep.h"

static char root[400];

static int setup(void **state)
{
    (void)state;
    return qt_tmpdir(root, sizeof root);
}

static int teardown(void **state)
{
    (void)state;
    return qt_rmtree(root);
}

static void spit(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static const char *const layer_names[] = {"conv \"a\" #1", "back\\slash x",
                                          "fc 1"};

/* arch/tiny.cfg renamed, a three-layer topology, a study of 4 points. */
static void write_inputs(char *study, size_t n)
{
    char path[600], buf[2000];
    char *chip = qt_slurp("arch/tiny.cfg");
    assert_non_null(chip);
    char *line = strstr(chip, "\nname = \"tiny\";");
    assert_non_null(line);
    snprintf(path, sizeof path, "%s/chip.cfg", root);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fwrite(chip, 1, (size_t)(line - chip), f);
    fputs("\nname = \"a, \\\"b\\\" #c\";", f);
    fputs(line + strlen("\nname = \"tiny\";"), f);
    fclose(f);
    free(chip);

    snprintf(path, sizeof path, "%s/net.csv", root);
    spit(path, "Layer name, IFMAP Height, IFMAP Width, Filter Height, "
               "Filter Width, Channels, Num Filter, Strides,\n"
               "conv \"a\" #1, 16, 16, 3, 3, 3, 8, 1,\n"
               "back\\slash x, 14, 14, 3, 3, 8, 8, 1,\n"
               "fc 1, 12, 12, 12, 12, 8, 10, 1,\n");

    snprintf(study, n, "%s/study.cfg", root);
    snprintf(buf, sizeof buf,
             "name = \"names\";\narch = \"%s/chip.cfg\";\nout = \"%s/out\";\n"
             "engine = \"analytic\";\nworkload = \"%s/net.csv\";\n"
             "dram_gbps = (\"unlimited\", 16);\nbits = [16, 4];\n"
             "plot = { dram_gbps = 16; };\n", root, root, root);
    spit(study, buf);
}

/* Every line of a whitespace-separated data file has `cols` fields (no
 * comment, no quoted field); returns the number of lines. */
static int check_columns(const char *dir, const char *name, int cols)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *text = qt_slurp(path);
    assert_non_null(text);
    int lines = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        int nf = 0;
        assert_null(strpbrk(line, "\"#"));
        for (char *p = line; *p;) {
            while (*p == ' ')
                p++;
            if (!*p)
                break;
            nf++;
            while (*p && *p != ' ')
                p++;
        }
        if (nf != cols)
            fail_msg("%s line %d: %d fields, want %d", name, lines + 1, nf, cols);
        lines++;
    }
    free(text);
    return lines;
}

static void test_user_strings(void **state)
{
    (void)state;
    char study[600], plots[700], path[800];
    Study s;
    Err e;
    write_inputs(study, sizeof study);
    assert_int_equal(study_load(&s, study, &e), QA_OK);
    assert_string_equal(s.accel.name, "a, \"b\" #c");
    SweepOpts o = {1, 0, 1, 0, 0, 0};
    SweepResult r;
    if (sweep_run(&s, &o, &r, &e) != QA_OK) {
        err_print(&e, stderr);
        fail();
    }

    /* The layer CSV reads back to the names the topology gave. */
    Table t;
    snprintf(path, sizeof path, "%s/out/layers/p000000.csv", root);
    assert_int_equal(table_read(&t, path, &e), QA_OK);
    assert_int_equal(t.nrows, 3);
    for (int l = 0; l < 3; l++)
        assert_string_equal(table_get(&t, l, table_col(&t, "layer")),
                            layer_names[l]);
    table_free(&t);
    char *csv = qt_slurp(path);
    assert_non_null(csv);
    assert_non_null(strstr(csv, "\n\"conv \"\"a\"\" #1\",conv,1,3,16,16,8,3,3,14,14,"));
    assert_non_null(strstr(csv, "\nback\\slash x,conv,1,8,14,14,8,"));
    free(csv);

    assert_int_equal(plot_write_data(&s, r.table, &e), QA_OK);
    snprintf(plots, sizeof plots, "%s/out/plots", root);
    /* bits x bandwidth: bits, linear or peak, unlimited, 16GB/s. */
    assert_int_equal(check_columns(plots, "speedup.dat", 4), 3);
    assert_int_equal(check_columns(plots, "tops_mm2.dat", 4), 3);
    /* idx, then per bits value compute and other cycles, or MB. */
    assert_int_equal(check_columns(plots, "layers_cycles.dat", 5), 4);
    assert_int_equal(check_columns(plots, "layers_dram.dat", 3), 4);
    assert_int_equal(check_columns(plots, "area.dat", 3), 16);
    snprintf(path, sizeof path, "%s/layer_names.gp", plots);
    char *names = qt_slurp(path);
    assert_non_null(names);
    assert_string_equal(names,
        "# names of the layers of layers_cycles.dat and layers_dram.dat: "
        "layer_name[idx + 1]\n"
        "array layer_name[3]\n"
        "layer_name[1] = \"conv \\\"a\\\" #1\"\n"
        "layer_name[2] = \"back\\\\slash x\"\n"
        "layer_name[3] = \"fc 1\"\n");
    free(names);

    if (system("command -v gnuplot >/dev/null 2>&1") != 0) {
        study_free(&s);
        skip();
    }
    assert_int_equal(plot_study(&s, r.table, "results/plots", &e), QA_OK);
    /* gnuplot's SVG keeps the title text as given (quotes included). */
    char want[600];
    snprintf(path, sizeof path, "%s/speedup.svg", plots);
    char *svg = qt_slurp(path);
    assert_non_null(svg);
    snprintf(want, sizeof want, "<text>a, \"b\" #c: %s/net.csv, analytic "
             "engine, batch 1</text>", root);
    assert_non_null(strstr(svg, want));
    free(svg);
    snprintf(path, sizeof path, "%s/layers_dram.svg", plots);
    svg = qt_slurp(path);
    assert_non_null(svg);
    snprintf(want, sizeof want, "<text>a, \"b\" #c: %s/net.csv, analytic "
             "engine, batch 1, 16 GB/s DRAM</text>", root);
    assert_non_null(strstr(svg, want));
    assert_non_null(strstr(svg, ">conv \"a\" #1</text>"));
    assert_non_null(strstr(svg, ">back\\slash x</text>"));
    free(svg);
    snprintf(path, sizeof path, "%s/area.svg", plots);
    svg = qt_slurp(path);
    assert_non_null(svg);
    assert_non_null(strstr(svg, "<text>a, \"b\" #c</text>"));
    free(svg);
    /* Nothing left of the folder gnuplot drew in. */
    DIR *d = opendir(plots);
    assert_non_null(d);
    for (struct dirent *ent; (ent = readdir(d)) != NULL;)
        assert_null(strstr(ent->d_name, ".tmp."));
    closedir(d);
    study_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_user_strings),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
