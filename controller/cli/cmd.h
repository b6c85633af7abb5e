/* SPDX-License-Identifier: MIT */
/* Subcommands of the ampshare binary. Each takes argv from its own name on and returns an exit
 * code. */
#ifndef AMP_CMD_H
#define AMP_CMD_H

#include <stdbool.h>

/* Exit codes shared by every subcommand. */
#define CMD_EXIT_OK    0
#define CMD_EXIT_FAIL  1 /* the work failed: bad input, device error */
#define CMD_EXIT_USAGE 2 /* wrong arguments */

int cmd_decode(int argc, char **argv);
int cmd_sniff(int argc, char **argv);
int cmd_sim(int argc, char **argv);
int cmd_sim_meter(int argc, char **argv); /* `ampshare sim meter` */
int cmd_meter(int argc, char **argv);
int cmd_check_config(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_ports(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_chargeport(int argc, char **argv);
int cmd_sessions(int argc, char **argv);

/* `ampshare sim <what>` simulators (rows of the table in cmd_sim.c). */
int cmd_sim_seed(int argc, char **argv);
int cmd_sim_slaves(int argc, char **argv);
int cmd_sim_master(int argc, char **argv);
int cmd_sim_ocpp(int argc, char **argv);
int cmd_sim_evse(int argc, char **argv);
int cmd_sim_replay(int argc, char **argv);
int cmd_sim_scenario(int argc, char **argv); /* `ampshare sim SCENARIO.ini` */

/* Returns true when argv holds -h or --help before any "--". */
bool cmd_wants_help(int argc, char **argv);

#endif
