/* SPDX-License-Identifier: MIT */
/*
 * Wire mode: each [bus] of the site carries simulated Wall Connector slaves (sim/sim_twc_slave,
 * a sim_car behind each) that answer ampshare's real bus driver (drivers/twc/twc_bus) through
 * real bytes over the in-memory transport, and the site's control loop (controller/ctl,
 * controller/ctl_twc: the allocation engine, the policy, the clamp) sets every limit, bound as
 * the daemon binds them (sim/sim_gw), as `ampshare sim seed` does. The fleet loop (fleet_fast.c)
 * plugs and unplugs the cars and reads what the units report. Every bus and the control loop are
 * parties on one event-time clock (sim/sim_sched): it jumps from one due time to the next.
 * Today: sites whose chargers are all Wall Connectors (a fixed address, or `address = auto`: the
 * unit then gets an ID drawn from the seed, which the gateway binds as it binds any unknown
 * slave), and no meters.
 */
#ifndef AMPSHARE_SIM_FLEET_WIRE_H
#define AMPSHARE_SIM_FLEET_WIRE_H

#include <stdbool.h>
#include <stdint.h>

#include "policies/ampshare_policy.h"
#include "sim/fleet/fleet.h"

struct fleet_wire;

int fleet_wire_new(const struct fleet_scenario *sc,
                   const struct ampshare_policy *policy,
                   struct fleet_wire **out,
                   char *err,
                   size_t errlen);
void fleet_wire_free(struct fleet_wire *w);

/* A car plugs into charger evse wanting wanted_kwh, or leaves it. */
void fleet_wire_plug(
    struct fleet_wire *w, int evse, const struct fleet_car *c, double wanted_kwh, uint64_t now_ms);
void fleet_wire_unplug(struct fleet_wire *w, int evse, uint64_t now_ms);

/* Its clock (borrowed): benches and tests read its counts or run it in lockstep. */
struct sim_sched *fleet_wire_sched(struct fleet_wire *w);

/* Transmissions that overlapped on any bus so far (sim_vbus stats.collisions, summed). */
uint64_t fleet_wire_collisions(const struct fleet_wire *w);

/* Paces its clock to the wall clock (--realtime; NULL: as fast as the CPU allows). */
void fleet_wire_set_pace(struct fleet_wire *w, sim_sched_pace_fn *fn, void *ctx);

/* Runs every bus to until_ms. 0 or a negative errno (the pace's: -EINTR on Ctrl-C). */
int fleet_wire_run(struct fleet_wire *w, uint64_t until_ms);

/* Fault f of the scenario begins (on) or ends at now_ms. 0, or -ENOTSUP for a kind wire mode
 * cannot do yet. */
int fleet_wire_fault(struct fleet_wire *w, const struct fleet_fault *f, bool on, uint64_t now_ms);

struct fleet_wire_reading {
    int32_t offer_ma; /* the limit the unit holds (0 before any) */
    int32_t draw_ma;  /* what its car draws */
    bool full;
    double delivered_kwh; /* since the car plugged in */
};

void fleet_wire_read(struct fleet_wire *w, int evse, struct fleet_wire_reading *r);

#endif
