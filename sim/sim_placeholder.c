/* SPDX-License-Identifier: MIT */
/* Keeps the sim library non-empty until the simulators land. */
#include "sim/sim_placeholder.h"

int sim_placeholder(void)
{
    return 0;
}
