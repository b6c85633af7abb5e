/* SPDX-License-Identifier: MIT */
/*
 * acn_rr: acnportal 0.3.3's reference algorithm (round robin in plug-in order: every car climbs by
 * 0.1 A while the constraints allow), over the ABI (policies/acn_abi.h). Options: period_s (default
 * 300), voltage (default 230).
 */
#include "policies/acn_abi.h"

ACN_POLICY(acn_rr, ACN_RR)
