/* main.c: the qarray command: a table of subcommands, each with --help.
 * Library code returns errors; this is the only place that exits. */
#include "arch/qa.h"
#include "sim/cli/cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* In the order `qarray --help` lists them. */
static const ArgCmd *const commands[] = {
    &cmd_run, &cmd_area, &cmd_net, &cmd_sweep, &cmd_merge, &cmd_plot,
    &cmd_quantize_tensor, &cmd_levels, &cmd_sawb_fit, &cmd_train, &cmd_eval,
    &cmd_validate, &cmd_tradeoff, &cmd_quantize, &cmd_export,
};

static void usage(FILE *f)
{
    fprintf(f, "usage: qarray COMMAND [options]   (qarray COMMAND --help)\n\n"
               "commands:\n");
    for (size_t i = 0; i < QA_COUNT(commands); i++)
        fprintf(f, "  %-16s %s\n", commands[i]->name, commands[i]->summary);
}

/* GNU libgomp reads its wait policy when it loads, before main: by default
 * a thread that ends its share of a parallel region spins a while before it
 * sleeps. On a loaded 2-core machine the spinning thread takes the core
 * from the one it waits for (a tile re-run on the PE-level array, the
 * SystemC child): `validate` of one ResNet-50 image took 1.7-4.2 s wall
 * instead of 0.7 s at load average 7. validate and eval run a few large
 * regions per layer, so a sleeping thread costs them nothing measurable:
 * they start once more with OMP_WAIT_POLICY=passive, unless the user chose
 * a policy. If the program cannot be run again (no /proc), it goes on. */
static void passive_threads(char **argv)
{
    if (getenv("OMP_WAIT_POLICY") || getenv("GOMP_SPINCOUNT") ||
        setenv("OMP_WAIT_POLICY", "passive", 1) != 0)
        return;
    execv("/proc/self/exe", argv);
    unsetenv("OMP_WAIT_POLICY");
}

int main(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "validate") || !strcmp(argv[1], "eval")))
        passive_threads(argv);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < QA_COUNT(commands); i++)
        if (!strcmp(argv[1], commands[i]->name))
            return args_main(commands[i], argc - 1, argv + 1);
    fprintf(stderr, "qarray: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
