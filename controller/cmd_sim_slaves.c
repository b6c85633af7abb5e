/* SPDX-License-Identifier: MIT */
#include "controller/cmd.h"
int cmd_sim_slaves(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return CMD_EXIT_FAIL;
}
