/* SPDX-License-Identifier: MIT */
/*
 * The gateway's half of a simulation, bound as `ampshare run` binds it (controller/daemon.c):
 * the site controller (controller/ctl) with its Wall Connector adapter (controller/ctl_twc), and
 * for each [bus] the real bus driver (drivers/twc/twc_bus) over a tp_link over the bus's
 * in-memory port. The simulator therefore drives exactly the gateway's code, bytes included:
 * the receive and transmit loop, the line-idle rule, the logging.
 *
 * On the event-time clock (sim/sim_sched) it is a few parties: the control tick (first, so a
 * tick's targets go out in the same millisecond), then one per bus. As in the daemon, every bus
 * service is followed by a controller step, and every step re-asks each bus when it is next due
 * and the controller when it next ticks (a target set, or a frame heard, can make a heartbeat due
 * at once). The clock is passed in: twc_bus and ctl read none.
 */
#ifndef SIM_GW_H
#define SIM_GW_H

#include <stddef.h>
#include <stdint.h>

#include "controller/ctl.h"
#include "controller/ctl_twc.h"
#include "drivers/twc/twc_bus.h"
#include "sim/sim_sched.h"
#include "sim/sim_vbus.h"

struct sim_gw;

/*
 * Makes the controller for site under policy (both borrowed; they must outlive it) and
 * registers the control tick on sched (borrowed). seed draws the masters' IDs and sign bytes as
 * the daemon draws them (ctl_twc_pick_master, seed + 7919 per bus). Returns 0, -ENOMEM,
 * -ENOSPC, or the policy's init error with a message in err.
 */
int sim_gw_new(const struct site *site,
               const struct ampshare_policy *policy,
               uint64_t seed,
               struct sim_sched *sched,
               struct sim_gw **out,
               char *err,
               size_t errlen);

/* Frees it, its links and ports; NULL is allowed. Only with (or after) the scheduler's last run. */
void sim_gw_free(struct sim_gw *g);

/*
 * Puts ampshare's master for site bus b on vb (borrowed): a port party whose service is
 * twc_bus_service and a controller step. Returns 0, -EINVAL (no such bus, or attached before),
 * -ENOSPC or -ENOMEM.
 */
int sim_gw_attach_bus(struct sim_gw *g, size_t b, struct sim_vbus *vb);

struct ctl *sim_gw_ctl(const struct sim_gw *g);
struct ctl_twc *sim_gw_twc(const struct sim_gw *g);

/* The driver of site bus b (borrowed), or NULL before sim_gw_attach_bus. */
struct twc_bus *sim_gw_bus(const struct sim_gw *g, size_t b);

#endif
