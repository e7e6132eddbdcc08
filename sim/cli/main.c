/* main.c: the qarray command: a table of subcommands, each with --help.
 * Library code returns errors; this is the only place that exits. */
#include "arch/qa.h"
#include "sim/cli/cmd.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
} Command;

static const Command commands[] = {
    {"run", cli_run, "simulate one network on one chip at one precision"},
    {"area", cli_area, "area, peak TOPS and TOPS/mm2 of a chip per precision"},
    {"net", cli_net, "layers, MACs, weights and bits of a network; SCALE-Sim CSV"},
    {"sweep", cli_sweep, "run a study: every design point of its axes, in parallel"},
    {"merge", cli_merge, "join the points tables of a study's shards"},
    {"plot", cli_plot, "draw a finished study's figures with gnuplot"},
    {"quantize-tensor", cli_quantize_tensor, "quantize a .npy tensor with one method"},
    {"levels", cli_levels, "print the APoT, PoT or uniform level set"},
    {"sawb-fit", cli_sawb_fit, "re-derive the SAWB coefficients from six distributions"},
    {"train", cli_train, "quantization-aware training on Fashion-MNIST from a recipe"},
    {"eval", cli_eval, "test accuracy of an integer model file (safetensors)"},
    {"validate", cli_validate, "run an integer model on the chip, bit-exact against the reference"},
    {"tradeoff", cli_tradeoff, "accuracy vs speedup and TOPS/mm2 per precision, one table and plot"},
    {"quantize", cli_quantize, "seeded quantized integer model of a network (e.g. ResNet-50)"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: qarray COMMAND [options]   (qarray COMMAND --help)\n\n"
               "commands:\n");
    for (size_t i = 0; i < QA_COUNT(commands); i++)
        fprintf(f, "  %-16s %s\n", commands[i].name, commands[i].help);
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
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "qarray: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
