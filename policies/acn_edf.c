/* SPDX-License-Identifier: MIT */
/*
 * acn_edf: acnportal 0.3.3's reference algorithm (as acn_fcfs, in order of departure (earliest
 * first)), over the ABI (policies/acn_abi.h). Options: period_s (default 300), voltage (default
 * 230).
 */
#include "policies/acn_abi.h"

ACN_POLICY(acn_edf, ACN_EDF)
