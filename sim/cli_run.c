/* cli_run.c: `qarray run` and `qarray area` (filled in with the C core). */
#include "sim/cli.h"

#include <stdio.h>

int cli_run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "qarray run: not built yet\n");
    return 1;
}

int cli_area(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "qarray area: not built yet\n");
    return 1;
}
