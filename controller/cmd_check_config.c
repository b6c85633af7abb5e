/* SPDX-License-Identifier: MIT */
/* Placeholder until its issue lands: refuses to run rather than pretending to work. */
#include <stdio.h>

#include "controller/cmd.h"

int cmd_check_config(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "ampshare %s: not built yet\n", argv[0]);
    return CMD_EXIT_FAIL;
}
