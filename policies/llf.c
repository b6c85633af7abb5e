/* SPDX-License-Identifier: MIT */
/*
 * llf: least laxity first. As edf, but the order is the laxity: the time left before departure
 * minus the time the car's energy takes at the EVSE's most, so a car that must charge without a
 * break comes first (policies/deadline.h). Option: voltage (default 230).
 */
#include "policies/deadline.h"

DL_POLICY(llf, DL_LLF)
