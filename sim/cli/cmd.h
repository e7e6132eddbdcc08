/* cmd.h: the subcommands of the qarray binary. Each takes argc/argv after
 * the subcommand name (argv[0] is the subcommand) and returns the process
 * exit status; only main() exits. Each prints its usage for --help. */
#ifndef CMD_H
#define CMD_H

int cli_run(int argc, char **argv);
int cli_area(int argc, char **argv);
int cli_net(int argc, char **argv);
int cli_sweep(int argc, char **argv);
int cli_merge(int argc, char **argv);
int cli_plot(int argc, char **argv);
int cli_quantize_tensor(int argc, char **argv);
int cli_levels(int argc, char **argv);
int cli_sawb_fit(int argc, char **argv);
int cli_train(int argc, char **argv);
int cli_eval(int argc, char **argv);
int cli_validate(int argc, char **argv);
int cli_tradeoff(int argc, char **argv);
int cli_quantize(int argc, char **argv);

#endif
