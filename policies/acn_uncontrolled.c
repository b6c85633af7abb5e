/* SPDX-License-Identifier: MIT */
/*
 * acn_uncontrolled: acnportal 0.3.3's reference algorithm (every car with energy left is offered
 * its EVSE's maximum, whatever the limits (the host's clamp then cuts it back; acnportal applies it
 * and only warns)), over the ABI (policies/acn_abi.h). Options: period_s (default 300), voltage
 * (default 230).
 */
#include "policies/acn_abi.h"

ACN_POLICY(acn_uncontrolled, ACN_UNCONTROLLED)
