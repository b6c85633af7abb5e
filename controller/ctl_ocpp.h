/* SPDX-License-Identifier: MIT */
/*
 * The OCPP adapter of the site controller (controller/ctl.h): the [evse] sections with
 * control = ocpp, served by the OCPP 1.6J central system (controller/ocpp/ocpp_srv.h) on the
 * daemon's loop. No thread: the server's callbacks and ctl_step run in the same loop.
 *
 * Before each tick (ctl_step) it
 *   (read)  reports each charge point's state (car connected from its StatusNotification, its
 *           Current.Import per phase and when it came, and the offer in force: what the charger
 *           confirmed, raised by a profile in flight; a dropped charge point keeps its last
 *           confirmed offer) through ctl_report_evse; a charge point never heard of is forgotten;
 *   (apply) hands each charge point ctl_target_ma(); a profile goes out only when it changed
 *           (drivers/ocpp/ocpp_cp.h), cuts at once. Once the controller is stopping, each
 *           charge point also gets the shutdown current as its TxDefaultProfile and, after
 *           that is confirmed, our TxProfile cleared (ocpp_cp_stop).
 */
#ifndef CTL_OCPP_H
#define CTL_OCPP_H

#include <stdbool.h>
#include <stddef.h>

#include "controller/ctl.h"
#include "controller/engine/config.h"
#include "controller/loop.h"
#include "controller/ocpp/ocpp_srv.h"

struct ctl_ocpp;

/*
 * Starts the central system on l for the control = ocpp EVSEs of site ([ocpp] c is copied; site
 * is read here only). With no such EVSE, returns 0 and *out = NULL (no server). Returns 0, or
 * -EINVAL / -ENOMEM / -errno with a message in err.
 */
int ctl_ocpp_new(struct loop *l,
                 const struct cfg_ocpp *c,
                 const struct site *site,
                 struct ctl_ocpp **out,
                 char *err,
                 size_t errlen);

/* Registers the adapter with ctl, whose site must be the adapter's. Returns 0 or -ENOSPC. */
int ctl_ocpp_attach(struct ctl_ocpp *o, struct ctl *ctl);

/* Unregisters, closes every connection and frees. The TxDefaultProfile in force stays in the
 * chargers (the applies after ctl_stop sent the shutdown current). NULL is allowed. */
void ctl_ocpp_free(struct ctl_ocpp *o);

/* True when every online charge point confirmed its target and nothing of ours is in flight. */
bool ctl_ocpp_settled(const struct ctl_ocpp *o);

/* After a reload: finds each charge point's EVSE in the new site by its ocpp_id. The server keeps
 * running (its connections stay up); a charge point added or removed takes a restart (logged). */
void ctl_ocpp_resite(struct ctl_ocpp *o, const struct site *site);

/* True when the charge point of site EVSE evse is connected (false for any other EVSE). */
bool ctl_ocpp_present(const struct ctl_ocpp *o, size_t evse);

/* The charge point of site EVSE evse (borrowed), or NULL when it is no OCPP charger: the daemon
 * reads its transactions into the session log (controller/ocpp/ocpp_sess.h). */
struct ocpp_cp *ctl_ocpp_cp(struct ctl_ocpp *o, size_t evse);

/* The server (borrowed), for the status report. */
struct ocpp_srv *ctl_ocpp_server(struct ctl_ocpp *o);

#endif
