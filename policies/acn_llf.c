/* SPDX-License-Identifier: MIT */
/*
 * acn_llf: acnportal 0.3.3's reference algorithm (as acn_fcfs, in order of laxity: time left minus
 * the time the energy takes at the EVSE's maximum), over the ABI (policies/acn_abi.h). Options:
 * period_s (default 300), voltage (default 230).
 */
#include "policies/acn_abi.h"

ACN_POLICY(acn_llf, ACN_LLF)
