/* SPDX-License-Identifier: MIT */
/*
 * The Modbus adapter of the site controller (controller/ctl.h): every [meter] and every
 * [evse] with control = modbus, polled by drivers/modbus/mb_poller threads (one per transport)
 * behind their hand-off, so nothing here waits for I/O.
 *
 * On every ctl_step it
 *   (service) stamps the loop's liveness on every poller (mb_poller_alive: EVSE traffic, watchdog
 *           keep-alives included, flows only while the loop steps) and steps the simulator's
 *           in-memory pollers;
 * and before each tick
 *   (read)  copies each meter's latest valid reading into the controller (grid and circuit
 *           meters become uncontrolled loads, EVSE meters the EVSE's draw: the engine decides),
 *           and each Modbus EVSE's state and the offer it reports in force (its current register
 *           and enable, read back by the poller; not what was queued or written);
 *   (apply) queues each Modbus EVSE's target; the poller writes it and keeps the watchdog.
 *
 * A failed read publishes nothing: the engine sees the reading age and applies the fail-safes
 * (stale_timeout_ms, stale_current_a) on its own.
 */
#ifndef CTL_MB_H
#define CTL_MB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controller/ctl.h"
#include "drivers/modbus/mb_bus.h"
#include "drivers/modbus/mb_clock.h"
#include "drivers/modbus/mb_evse.h"
#include "drivers/modbus/mb_maps.h"

struct ctl_mb;

/* The health of one meter or EVSE, for the status report. */
struct ctl_mb_health {
    int last_rc;        /* the latest read's code: 0, -EAGAIN before the first, else an error */
    uint64_t at_ms;     /* when the latest read started (0: never) */
    uint64_t good_ms;   /* when the latest valid reading was taken (0: never) */
    bool pending;       /* EVSE: a setpoint not yet acknowledged */
    int32_t applied_ma; /* EVSE: the setpoint it acknowledged, -1 before any */
    uint8_t state;      /* EVSE: enum mb_evse_state */
};

/*
 * Builds and starts the pollers for site (borrowed; one poller per distinct transport). clock
 * is borrowed (NULL: mb_clock_monotonic): its now_ms must be the clock ctl_step is called with.
 * Returns 0, or -EINVAL / -ENOMEM / a transport code with a message naming the [meter] or
 * [evse] in err. Nothing is registered yet: see ctl_mb_attach.
 */
int ctl_mb_new(const struct site *site,
               const struct mb_clock *clock,
               struct ctl_mb **out,
               char *err,
               size_t errlen);

/*
 * The simulator's lines. For a site transport, the resolver fills line: an in-memory line (mem
 * and mem_ctx: its pollers run without threads, stepped by every ctl_step (service) on the
 * controller's own now_ms, deterministic on a virtual clock), or another address to use instead
 * (addr: the simulator's own server on loopback). Returns 0, or -ENOENT when it has no line for
 * transport. Either way the same maps, models and poller rules run as under `ampshare run`.
 */
struct ctl_mb_line {
    const struct mb_bus_mem_ops *mem;
    void *mem_ctx;
    char addr[CFG_TEXT_MAX];
};

typedef int ctl_mb_line_fn(void *ctx, const char *transport, struct ctl_mb_line *line);

/* ctl_mb_new with every transport resolved by lines (its ctx borrowed). */
int ctl_mb_new_sim(const struct site *site,
                   const struct mb_clock *clock,
                   ctl_mb_line_fn *lines,
                   void *lines_ctx,
                   struct ctl_mb **out,
                   char *err,
                   size_t errlen);

/* Registers the adapter with ctl, whose site must be the adapter's. Returns 0 or -ENOSPC. */
int ctl_mb_attach(struct ctl_mb *c, struct ctl *ctl);

/* Unregisters (when attached), stops the pollers (writing setpoints still queued first, each
 * bounded by the transaction timeout) and frees. NULL is allowed. */
void ctl_mb_free(struct ctl_mb *c);

/*
 * Unregisters (when attached) and asks the pollers to stop without waiting for them: each
 * writes the setpoints it still has queued, then ends. A reload retires the old adapter this
 * way, so the loop never waits for a Modbus transaction; ctl_mb_retired says when ctl_mb_free
 * will not block. The adapter's site need not outlive this call. NULL is allowed.
 */
void ctl_mb_retire(struct ctl_mb *c);

/* True when every poller of a retired adapter has finished (NULL: true). Never waits. */
bool ctl_mb_retired(const struct ctl_mb *c);

/* True when every Modbus EVSE acknowledged its last setpoint (or has failed its last write). */
bool ctl_mb_settled(const struct ctl_mb *c);

/* The health of site meter m / site EVSE e. -ENOENT when it is not polled here. */
int ctl_mb_meter_health(const struct ctl_mb *c, size_t m, struct ctl_mb_health *out);
int ctl_mb_evse_health(const struct ctl_mb *c, size_t e, struct ctl_mb_health *out);

/*
 * The register map a [meter] is read with: its built-in map, or the generic one its map keys
 * build into *custom (which the map then lives in). NULL, with "[meter NAME]: why" in err, for
 * bad keys. The daemon's pollers and the simulator's meters take the map from here.
 */
const struct mb_map *ctl_mb_meter_map(const struct site_meter *sm,
                                      struct mb_map_custom *custom,
                                      char *err,
                                      size_t errlen);

/* The same for a Modbus [evse]'s model (control_map, or generic from its keys). */
const struct mb_evse_model *ctl_mb_evse_model(const struct site_evse *ev,
                                              struct mb_evse_custom *custom,
                                              char *err,
                                              size_t errlen);

#endif
