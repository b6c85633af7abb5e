/* SPDX-License-Identifier: MIT */
#ifndef SIM_PLACEHOLDER_H
#define SIM_PLACEHOLDER_H
int sim_placeholder(void);
#endif
