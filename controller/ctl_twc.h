/* SPDX-License-Identifier: MIT */
/*
 * The Wall Connector adapter of the site controller (controller/ctl.h): ampshare's Gen 2 masters
 * (drivers/twc/twc_master, one per RS485 bus) in, the controller's targets out.
 *
 * Before each tick (ctl_step) it
 *   1. (read) takes one brief snapshot of each master's slave table (twc_master_briefs) and
 *      binds the slaves to the site's [wallconnector] sections: a fixed address binds that ID;
 *      `address = auto` binds the first unknown slave that links on its bus; a slave nothing
 *      binds is held at 0 A, since no circuit accounts for it;
 *   2. (read) reports each bound slave's last heartbeat reply (twc-gen2.md §5.2) through
 *      ctl_report_evse: a car from the state code, the measured current, when it was heard, the
 *      echoed limit as the offer in force, and the unit's §7.1 spike current (the engine makes
 *      the spike a target while it lasts, accounted like any other: controller/engine/alloc_spike);
 *   3. (apply) hands every target to its master with twc_master_set_target(): the ceiling is the
 *      target itself, so every cut goes out at once and no §7.1 comfort rule can offer more than
 *      the clamp allowed (docs/control.md explains the choice).
 *
 * Pure: no I/O, no clock, no allocation after ctl_twc_new. The masters, the site and the
 * controller are borrowed.
 */
#ifndef CTL_TWC_H
#define CTL_TWC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controller/ctl.h"
#include "drivers/twc/twc_master.h"

/*
 * How long a Wall Connector whose slave the master dropped (silent for 26 s, twc-gen2.md §6.4)
 * still counts as connected and drawing its last offer: a slave that hears no heartbeat stops
 * its car only after about 25 s (§6.4, §9 #12), and a slave whose replies are lost may still
 * hear them until the drop.
 */
#define CTL_TWC_GONE_HOLD_MS 25000

struct ctl_twc_stats {
    uint32_t auto_bindings;  /* slaves bound to an `address = auto` [wallconnector], ever */
    uint32_t unknown_slaves; /* slaves no [wallconnector] takes, as of the last step */
    uint64_t snapshots;      /* master tables read */
};

struct ctl_twc;

/*
 * Makes the adapter for the site the controller runs and registers it with ctl (both borrowed).
 * No master is attached yet. Returns 0, -ENOMEM or -ENOSPC (too many adapters).
 */
int ctl_twc_new(struct ctl *ctl, struct ctl_twc **out);

/* Unregisters and frees the adapter (not the masters); NULL is allowed. */
void ctl_twc_free(struct ctl_twc *c);

/* Attaches the master that runs site bus `bus` (index into site->bus; borrowed, must outlive c;
 * NULL detaches). Attach again after twc_master_init on the same memory: the adapter reads a
 * table only when its change_seq moved. Returns 0, or -EINVAL for a bad index. */
int ctl_twc_attach(struct ctl_twc *c, size_t bus, struct twc_master *m);

/*
 * After ctl_reload: follows the controller's new site. Bindings of Wall Connectors whose name,
 * bus name and address did not change are kept; masters must be attached again by bus index.
 * Returns 0 or -ENOMEM (the adapter is unchanged then).
 */
int ctl_twc_resite(struct ctl_twc *c);

/*
 * The slave bound to site EVSE evse: true with *slave_id set when one is bound (it may be
 * absent from its master right now); false otherwise, or for an EVSE that is no Wall Connector.
 */
bool ctl_twc_slave_of(const struct ctl_twc *c, size_t evse, uint16_t *slave_id);

/* The site EVSE a slave on bus `bus` is bound to, or -1. */
int ctl_twc_evse_of(const struct ctl_twc *c, size_t bus, uint16_t slave_id);

/* True when the slave bound to evse is in its master's table (as of the last step). */
bool ctl_twc_present(const struct ctl_twc *c, size_t evse);

const struct ctl_twc_stats *ctl_twc_get_stats(const struct ctl_twc *c);

/*
 * Our TWC ID and sign byte on bus b for one start. With master_auto the ID is drawn from seed
 * (a fresh random value at every start, as a native master does: twc-gen2.md §6.1) by
 * twc_master_pick_id(), which never gives 0000, FFFF or TWCManager's 7777, and drawn again while
 * it equals the fixed address of a Wall Connector on the bus. A fixed ID is used as configured.
 * The sign byte (twc-gen2.md §4.1) always comes from seed. Pure. Returns 0, -EINVAL for no such
 * bus.
 */
int ctl_twc_pick_master(
    const struct site *site, size_t b, uint64_t seed, uint16_t *id, uint8_t *sign);

/* The seed of bus b for ctl_twc_pick_master, from one start's seed: the daemon and the simulator
 * draw the same IDs for the same seed (a prime step, so buses never share a draw). */
#define CTL_TWC_BUS_SEED(seed, b) ((uint64_t)(seed) + (uint64_t)(b)*7919u)

#endif
