/* SPDX-License-Identifier: MIT */
/*
 * The Wall Connector control loop: ampshare's Gen 2 masters (drivers/twc/twc_master, one per
 * RS485 bus) feed the allocation engine (controller/alloc), and the engine's clamped targets go
 * back to the masters. The daemon, `ampshare sim seed` and the fleet simulator all run this.
 *
 * Every ctl_twc_step(now_ms):
 *   1. binds the slaves each master knows to the site's [wallconnector] sections (a fixed
 *      address binds that ID; `address = auto` binds the first unknown slave that links on its
 *      bus; a slave nothing binds is held at 0 A, since no circuit accounts for it);
 *   2. turns each bound slave's last heartbeat reply (twc-gen2.md §5.2) into the engine's input:
 *      car connected from the state code, the measured current, when it was heard, the echoed
 *      limit as the offer in force, and the unit's §7.1 spike current (the engine makes the
 *      spike a target while it lasts, accounted like any other: controller/engine/alloc_spike);
 *   3. every control_interval_ms of the site, runs alloc_tick (policy, safety clamp, hold);
 *   4. hands every target to its master with twc_master_set_target(): the ceiling is the
 *      target itself, so every cut goes out at once and no §7.1 comfort rule can offer more than
 *      the clamp allowed (docs/control.md explains the choice).
 *
 * Pure: no I/O, no clock (time comes in as now_ms), no allocation after ctl_twc_new. The masters
 * and the site are borrowed. docs/control.md describes the mapping and the fail-safes.
 */
#ifndef CTL_TWC_H
#define CTL_TWC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controller/engine/alloc.h"
#include "controller/engine/site.h"
#include "drivers/twc/twc_master.h"
#include "policies/ampshare_policy.h"

/*
 * How long a Wall Connector whose slave the master dropped (silent for 26 s, twc-gen2.md §6.4)
 * still counts as connected and drawing its last offer: a slave that hears no heartbeat stops
 * its car only after about 25 s (§6.4, §9 #12), and a slave whose replies are lost may still
 * hear them until the drop.
 */
#define CTL_TWC_GONE_HOLD_MS 25000

struct ctl_twc_stats {
    uint64_t ticks;          /* control ticks run */
    uint64_t tick_errors;    /* alloc_tick failures (every target was then set to 0) */
    uint32_t auto_bindings;  /* slaves bound to an `address = auto` [wallconnector], ever */
    uint32_t unknown_slaves; /* slaves no [wallconnector] takes, as of the last step */
};

struct ctl_twc;

/*
 * Makes the loop for site (borrowed; must outlive it) with policy (borrowed, e.g. from
 * policy_open). Allocates the engine, the live state and the result once. No master is attached
 * yet. Returns 0, -ENOMEM, or the policy's init error with a message in err.
 */
int ctl_twc_new(const struct site *site,
                const struct ampshare_policy *policy,
                struct ctl_twc **out,
                char *err,
                size_t errlen);

/* Frees the loop (not the site, the policy or the masters); NULL is allowed. */
void ctl_twc_free(struct ctl_twc *c);

/* Attaches the master that runs site bus `bus` (index into site->bus; borrowed, must outlive c).
 * Returns 0, or -EINVAL for a bad index. */
int ctl_twc_attach(struct ctl_twc *c, size_t bus, struct twc_master *m);

/*
 * Reads the masters, binds slaves, and, when a control tick is due (the first call, then every
 * site->control_interval_ms), runs the engine and sets every target. now_ms never goes
 * backwards. Call it whenever a master heard something and at ctl_twc_next_ms() at the latest.
 * Returns 1 when a tick ran, 0 when none was due, or a negative code from alloc_tick (every
 * Wall Connector is then set to 0 A).
 */
int ctl_twc_step(struct ctl_twc *c, uint64_t now_ms);

/* When the next control tick is due. */
uint64_t ctl_twc_next_ms(const struct ctl_twc *c);

/*
 * The live readings the engine reads (borrowed; valid while c lives). ctl_twc_step writes the
 * Wall Connector entries; the caller writes meters and third-party EVSEs before each step.
 */
struct site_state *ctl_twc_state(struct ctl_twc *c);

/* The last tick's result: targets and reasons in site EVSE order (borrowed; valid until the next
 * ctl_twc_step). Before the first tick every target is 0. */
const struct alloc_result *ctl_twc_result(const struct ctl_twc *c);

/* The engine (borrowed), for alloc_last_view and alloc_get_stats. */
const struct alloc *ctl_twc_alloc(const struct ctl_twc *c);

/*
 * The slave bound to site EVSE evse: true with *slave_id set when one is bound (it may be
 * absent from its master right now); false otherwise, or for an EVSE that is no Wall Connector.
 */
bool ctl_twc_slave_of(const struct ctl_twc *c, size_t evse, uint16_t *slave_id);

/* The site EVSE a slave on bus `bus` is bound to, or -1. */
int ctl_twc_evse_of(const struct ctl_twc *c, size_t bus, uint16_t slave_id);

/*
 * Writes the engine's reason for an EVSE's target as people read it ("limited by circuit
 * garage", "idle for 12 s"); see alloc_why_format. Returns the length, -EMSGSIZE or -EINVAL.
 */
int ctl_twc_why(const struct ctl_twc *c, size_t evse, uint64_t now_ms, char *buf, size_t cap);

const struct ctl_twc_stats *ctl_twc_get_stats(const struct ctl_twc *c);

#endif
