/* SPDX-License-Identifier: MIT */
/*
 * acn_fcfs: acnportal 0.3.3's reference algorithm (cars by plug-in time, each given the most the
 * constraints allow (bisection to 0.01 A) up to the current that finishes its energy this period),
 * over the ABI (policies/acn_abi.h). Options: period_s (default 300), voltage (default 230).
 */
#include "policies/acn_abi.h"

ACN_POLICY(acn_fcfs, ACN_FCFS)
