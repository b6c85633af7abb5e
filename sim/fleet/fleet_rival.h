/* SPDX-License-Identifier: MIT */
/*
 * A second master for a scenario's [fault] kind = second_master: a simulated native Gen 2 master
 * (sim/sim_native_master, its rotary switch at the bus's circuit rating) on a bus's wire, silent
 * until the fault begins, then starting up as a freshly powered unit does (announcements, then
 * heartbeats to every slave it hears), and unplugged again when the fault ends. ampshare's
 * master must notice it and stand back (twc_bus: AMP_ERR_MASTER_CLASH) and take over again once
 * it has gone.
 */
#ifndef AMPSHARE_SIM_FLEET_RIVAL_H
#define AMPSHARE_SIM_FLEET_RIVAL_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/sim_native_master.h"
#include "sim/sim_vbus.h"

struct fleet_rival {
    struct sim_native_master nm;
    struct sim_native_master_cfg cfg;
    struct sim_vbus *vb;
    int port;
    bool on;
};

/* Puts a silent rival on vb (borrowed) for a circuit of circuit_ma. Returns 0 or a negative code.
 */
int fleet_rival_add(struct fleet_rival *r, struct sim_vbus *vb, int32_t circuit_ma);

/* The rival is plugged in (starting at now_ms) or unplugged. */
void fleet_rival_set(struct fleet_rival *r, bool on, uint64_t now_ms);

#endif
