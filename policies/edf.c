/* SPDX-License-Identifier: MIT */
/*
 * edf: earliest deadline first. Cars whose driver gave a departure and an energy get, in
 * deadline order, their minimum and then the current that finishes their energy by departure;
 * the rest of the supply is shared equally with every other charging car, including those whose
 * departure is unknown (policies/deadline.h). Option: voltage (default 230).
 */
#include "policies/deadline.h"

DL_POLICY(edf, DL_EDF)
