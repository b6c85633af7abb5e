/* SPDX-License-Identifier: MIT */
/* `ampshare run --demo`: placeholder until the demo site lands in this file. */
#include <stdio.h>

#include "controller/cli/cmd.h"
#include "controller/cli/cmd_run.h"

int cmd_run_demo(uint64_t duration_ms)
{
    (void)duration_ms;
    fprintf(stderr, "ampshare run: the demo site is not built yet\n");
    return CMD_EXIT_FAIL;
}
