/* SPDX-License-Identifier: MIT */
/*
 * The gateway daemon's body: one site from a config file run on one event loop. It owns the site
 * model, the policy, the site controller (controller/ctl.h) with its Wall Connector and Modbus
 * adapters, one master per [bus] over a real transport (serial, pty, TCP bridge), and the timers.
 *
 *   - every bus fd and every bus's next wake-up are loop events; a frame heard runs the master,
 *     then ctl_step (cheap when no tick is due), then every bus's wake-up is re-armed, so a
 *     reply due or a new target goes out as soon as the line is idle;
 *   - the control tick is a timer at ctl_next_ms;
 *   - the Modbus pollers are threads behind their hand-off (ctl_mb): nothing here waits for them;
 *   - a lost transport is tp_link's: logged once, retried with back-off; the master keeps its
 *     table meanwhile, so the clamp counts that bus's chargers at their last offer until the
 *     master drops them and ctl_twc's own hold expires (docs/daemon.md);
 *   - daemon_reload re-reads the file: an invalid one changes nothing (every error logged with
 *     file:line); a valid one is applied keeping every bus whose transport did not change, with
 *     its master and links;
 *   - daemon_stop begins the safe stop: every charger to its shutdown current (ctl_shutdown_ma),
 *     done when each slave echoes it and each Modbus EVSE acknowledged it, or after
 *     DAEMON_STOP_GRACE_MS.
 */
#ifndef DAEMON_H
#define DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controller/ctl.h"
#include "controller/loop.h"

#define DAEMON_DEFAULT_CONFIG "/etc/ampshare/ampshare.ini"
/* How long a stop may wait for the shutdown currents to be echoed and acknowledged. */
#define DAEMON_STOP_GRACE_MS 5000

/* Called after every control tick (the demo's live table, sessions, status pushes). */
typedef void daemon_tick_fn(void *ctx, uint64_t now_ms);

struct daemon_opts {
    const char *path;     /* the config file (re-read on reload) */
    const char *ini_text; /* instead of path: the config itself (the demo); named by path */
    uint64_t seed;        /* master IDs for `master_address = auto` (0: from the clock) */
    daemon_tick_fn *on_tick;
    void *on_tick_ctx;
};

struct daemon_stats {
    uint64_t ticks;
    uint64_t reloads, reload_failures;
    uint64_t bus_wakeups;
    uint64_t worst_wake_late_ms; /* the worst lateness of a bus wake-up (heartbeats ride on it) */
    uint64_t worst_tick_late_ms; /* the worst lateness of a control tick */
    uint64_t worst_step_ms;      /* the longest site step (engine, session log) on the loop */
};

struct daemon;

/*
 * Loads the site, opens every bus and starts the Modbus pollers on loop l (borrowed). Errors go
 * to the log (every config error with file:line) and the first into err. Returns 0, -EINVAL for
 * a bad config, -ENOENT for a missing file, -ENOMEM, or a driver's code.
 */
int daemon_new(
    const struct daemon_opts *o, struct loop *l, struct daemon **out, char *err, size_t errlen);

/* Frees everything (after the stop, or at once: chargers then fall back to their own
 * fail-safes). NULL allowed. */
void daemon_free(struct daemon *d);

/* Re-reads the config (SIGHUP). Returns 0 when the new one runs, else a negative code with the
 * old one still running. */
int daemon_reload(struct daemon *d);

/* Begins the safe stop (SIGTERM/SIGINT); the loop is stopped once it is done. */
void daemon_stop(struct daemon *d);

/* True once daemon_stop was called. */
bool daemon_stopping(const struct daemon *d);

/* True once the safe stop finished with every shutdown current confirmed (false: timed out). */
bool daemon_stop_confirmed(const struct daemon *d);

const struct daemon_stats *daemon_get_stats(const struct daemon *d);

/* The controller (borrowed: valid until the next reload). */
const struct ctl *daemon_ctl(const struct daemon *d);

/* ---- status snapshot (the status socket and the demo read it) ---- */

#define DAEMON_WHY_MAX 96

struct daemon_evse_status {
    const char *name; /* borrowed from the site */
    const char *kind; /* "wallconnector" | "evse" */
    bool connected;   /* a car is plugged in */
    bool present;     /* its driver hears it (slave in the table, EVSE answering) */
    bool stale;       /* its measurement is older than its stale timeout */
    int32_t offer_ma; /* in force as the charger reports it, -1 unknown */
    int32_t target_ma;
    int32_t draw_ma[3]; /* per supply phase, as the engine used it */
    uint16_t slave_id;  /* Wall Connectors: the bound slave, 0 none */
    char why[DAEMON_WHY_MAX];
};

struct daemon_circuit_status {
    const char *name;
    int32_t limit_ma[3];   /* what the EVSEs may count: rating - uncontrolled */
    int32_t counted_ma[3]; /* current counted below it */
    int32_t offered_ma[3];
    bool meter_stale;
};

struct daemon_bus_status {
    const char *name;
    const char *transport;
    bool up;
    uint64_t losses; /* transport losses since start */
    size_t slaves;
    uint16_t master_id;
};

struct daemon_meter_status {
    const char *name;
    int last_rc;
    uint64_t age_ms; /* since the last valid reading; UINT64_MAX never */
};

struct daemon_status {
    uint64_t now_ms;
    size_t n_evse, n_circuit, n_bus, n_meter;
    struct daemon_evse_status *evse;
    struct daemon_circuit_status *circuit;
    struct daemon_bus_status *bus;
    struct daemon_meter_status *meter;
    struct daemon_stats stats;
    bool stopping;
};

/* Fills a snapshot (allocated here; free with daemon_status_free). Returns 0 or -ENOMEM. */
int daemon_status(const struct daemon *d, uint64_t now_ms, struct daemon_status *out);
void daemon_status_free(struct daemon_status *s);

#endif
