/* cmd.h: the subcommands of the qarray binary, one file each
 * (cmd_NAME.c): its option table, the call into library code, and what it
 * prints, declared as an ArgCmd that args_main runs (sim/cli/args.h).
 * main.c lists them. */
#ifndef CMD_H
#define CMD_H

#include "sim/cli/args.h"

extern const ArgCmd cmd_run, cmd_area, cmd_net, cmd_sweep, cmd_merge, cmd_plot,
    cmd_quantize_tensor, cmd_levels, cmd_sawb_fit, cmd_train, cmd_eval, cmd_validate,
    cmd_tradeoff, cmd_quantize;

#endif
