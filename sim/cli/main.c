/* main.c: the qarray command: a table of subcommands, each with --help.
 * Library code returns errors; this is the only place that exits. */
#include "arch/qa.h"
#include "sim/cli/cmd.h"

#include <stdio.h>
#include <string.h>

/* In the order `qarray --help` lists them. */
static const ArgCmd *const commands[] = {
    &cmd_run, &cmd_area, &cmd_net, &cmd_sweep, &cmd_merge, &cmd_plot,
    &cmd_quantize_tensor, &cmd_levels, &cmd_sawb_fit, &cmd_train, &cmd_eval,
    &cmd_validate, &cmd_tradeoff, &cmd_quantize,
};

static void usage(FILE *f)
{
    fprintf(f, "usage: qarray COMMAND [options]   (qarray COMMAND --help)\n\n"
               "commands:\n");
    for (size_t i = 0; i < QA_COUNT(commands); i++)
        fprintf(f, "  %-16s %s\n", commands[i]->name, commands[i]->summary);
}

int main(int argc, char **argv)
{
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
