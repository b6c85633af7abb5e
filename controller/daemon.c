/* SPDX-License-Identifier: MIT */
/* The gateway daemon: one site on one event loop (see daemon.h). */
#include "controller/daemon.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "controller/ctl_mb.h"
#include "controller/ctl_ocpp.h"
#include "controller/ocpp/ocpp_sess.h"
#include "controller/ctl_twc.h"
#include "controller/daemon_internal.h"
#include "controller/engine/config.h"
#include "controller/engine/policy_loader.h"
#include "controller/sdnotify.h"
#include "controller/sessions.h"
#include "controller/status/status.h"
#include "controller/status/status_srv.h"
#include "drivers/base/amp_err.h"
#include "drivers/base/log.h"
#include "drivers/transport/tp_link.h"
#include "drivers/twc/twc_bus.h"

#define MOD "daemon"
/* While stopping, how often the shutdown currents' confirmation is checked. */
#define DAEMON_STOP_CHECK_MS 100

/* ---- loading ---- */

static void dsite_free(struct dsite *s)
{
    free(s->logged_ma);
    free(s->energy_wh);
    free(s->sess_last_wh);
    free(s->vin);
    free(s->names);
    site_free(s->site);
    policy_close(&s->ph);
    memset(s, 0, sizeof(*s));
}

/* Parses and validates the config, logging every message with its file:line. */
static int dsite_load(struct daemon *d, struct dsite *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    struct config *cfg = malloc(sizeof(*cfg));
    struct cfg_diag *diag = malloc(sizeof(*diag));
    if (!cfg || !diag) {
        free(cfg);
        free(diag);
        return -ENOMEM;
    }
    cfg_init(cfg);
    cfg_diag_init(diag);
    int rc = d->ini_text ? cfg_parse_string(d->ini_text, d->path, cfg, diag)
                         : cfg_parse_file(d->path, cfg, diag);
    if (rc == 0) {
        rc = cfg_validate(cfg, diag);
    }
    const char *first = NULL;
    for (size_t i = 0; i < diag->n; i++) {
        if (diag->item[i].warning) {
            log_warn(MOD, "%s", diag->item[i].text);
        } else {
            log_err(MOD, "%s", diag->item[i].text);
            first = first ? first : diag->item[i].text;
        }
    }
    if (diag->dropped) {
        log_err(MOD, "%s: %zu more messages not shown", d->path, diag->dropped);
    }
    if (rc == -ENOENT || (rc < 0 && rc != -EINVAL && rc != -ENOMEM)) {
        snprintf(err, errlen, "%s: %s", d->path, strerror(-rc));
        log_err(MOD, "%s", err);
    } else if (rc != 0) {
        snprintf(err, errlen, "%s", first ? first : "the config has errors");
    }
    if (rc == 0) {
        rc = site_new(cfg, &out->site, err, errlen);
    }
    if (rc == 0) {
        rc = policy_open(out->site->policy, &out->ph, err, errlen);
        if (rc != 0) {
            log_err(MOD, "%s: [policy] %s", d->path, err);
            site_free(out->site);
            out->site = NULL;
        }
    }
    if (rc == 0) {
        size_t n = out->site->n_evse + 1;
        out->logged_ma = calloc(n, sizeof(*out->logged_ma)); /* everything starts at 0 A */
        out->energy_wh = calloc(n, sizeof(*out->energy_wh));
        out->sess_last_wh = calloc(n, sizeof(*out->sess_last_wh));
        out->vin = calloc(n, sizeof(*out->vin));
        out->names = calloc(n, sizeof(*out->names));
        if (!out->logged_ma || !out->vin || !out->names || !out->energy_wh || !out->sess_last_wh) {
            dsite_free(out);
            rc = -ENOMEM;
        }
        for (size_t e = 0; rc == 0 && e < out->site->n_evse; e++) {
            out->names[e] = out->site->evse[e].name;
        }
        if (rc == 0) {
            snprintf(out->sess_db, sizeof(out->sess_db), "%s",
                     cfg->sessions.db.line ? cfg->sessions.db.s : CFG_DEFAULT_SESSION_DB);
            out->sess_flush_ms = cfg->sessions.flush_interval.line ? cfg->sessions.flush_interval.v
                                                                   : SESS_DEFAULT_FLUSH_MS;
            snprintf(out->status_socket, sizeof(out->status_socket), "%s",
                     cfg->site.status_socket.line ? cfg->site.status_socket.s : "");
            out->ocpp = cfg->ocpp;
            rc = daemon_telemetry_load(cfg, out, err, errlen);
            if (rc != 0) {
                log_err(MOD, "%s", err);
                dsite_free(out);
            }
        }
    }
    cfg_free(cfg);
    free(cfg);
    free(diag);
    return rc;
}

/* ---- the loop's events ---- */

static void rearm(struct daemon *d);

static void check_stop(struct daemon *d, uint64_t now);

/* One line per changed target, with the engine's reason: what journald keeps of the site. */
static void log_targets(struct daemon *d, uint64_t now)
{
    const struct site *site = d->cur.site;
    for (size_t e = 0; e < site->n_evse; e++) {
        int32_t t = ctl_target_ma(d->ctl, e);
        if (!site->evse[e].controllable || t == d->cur.logged_ma[e]) {
            continue;
        }
        char why[DAEMON_WHY_MAX];
        if (ctl_why(d->ctl, e, now, why, sizeof(why)) < 0) {
            why[0] = '\0';
        }
        log_info(MOD, "%s: %" PRId32 " -> %" PRId32 " mA%s%s", site->evse[e].name,
                 d->cur.logged_ma[e], t, why[0] ? ": " : "", why);
        d->cur.logged_ma[e] = t;
    }
}

static int64_t wall_s(void)
{
    return (int64_t)time(NULL);
}

/* A Modbus adapter a reload replaced: its pollers write what they still had queued and end in
 * the background (a transaction may take its whole timeout), reaped by mb_reap. */
static void mb_retire(struct daemon *d, struct ctl_mb *mb)
{
    ctl_mb_retire(mb);
    struct ctl_mb **old = realloc(d->mb_old, (d->n_mb_old + 1) * sizeof(*old));
    if (!old) {
        ctl_mb_free(mb); /* out of memory: wait for it here rather than leak its threads */
        return;
    }
    d->mb_old = old;
    d->mb_old[d->n_mb_old++] = mb;
}

/* Frees the retired adapters whose pollers finished; wait: all of them, waiting (exit only). */
static void mb_reap(struct daemon *d, bool wait)
{
    size_t k = 0;
    for (size_t i = 0; i < d->n_mb_old; i++) {
        if (wait || ctl_mb_retired(d->mb_old[i])) {
            ctl_mb_free(d->mb_old[i]);
        } else {
            d->mb_old[k++] = d->mb_old[i];
        }
    }
    d->n_mb_old = k;
}

/* Logs a session-log failure once, and its recovery. Charging goes on either way. */
static void sess_result(struct daemon *d, int rc)
{
    if (rc < 0 && !d->sess_failing) {
        log_err(MOD, "session log: %s; sessions are kept in memory and retried",
                sess_log_error(d->sess));
    } else if (rc == 0 && d->sess_failing && sess_log_is_writing(d->sess)) {
        log_info(MOD, "session log: writing again");
    }
    d->sess_failing = rc < 0 || (d->sess_failing && !sess_log_is_writing(d->sess));
}

/* An OCPP charger's session is its transaction: the starts and stops since the last tick go in
 * first, each at the time it was heard, then the tick's sample says whether one is open. */
static int sess_ocpp(struct daemon *d, size_t e, struct sess_sample *smp)
{
    struct ocpp_cp *cp = ctl_ocpp_cp(d->ocpp, e);
    struct ocpp_tx_event ev;
    int rc = 0;
    while (cp && ocpp_cp_tx_event(cp, &ev)) {
        struct sess_sample es = *smp;
        ocpp_sess_event(&ev, &es);
        int r = sess_update(d->sess, (int64_t)ev.wall_s, ev.at_ms, e, &es);
        rc = rc < 0 ? rc : r;
    }
    if (cp) {
        ocpp_sess_tick(cp, smp);
    }
    return rc;
}

/* One sample per charger per tick into the session log. */
static void sess_tick(struct daemon *d, uint64_t now)
{
    if (!d->sess) {
        return;
    }
    const struct site *site = d->cur.site;
    const struct site_state *st = ctl_state(d->ctl);
    int64_t wall = wall_s();
    int rc = 0;
    for (size_t e = 0; e < site->n_evse; e++) {
        const struct site_evse *ev = &site->evse[e];
        const struct site_evse_input *in = &st->evse[e];
        struct sess_sample smp = {.connected = in->connected, .offered_ma = in->offer_ma};
        const int32_t *cur = ev->meter >= 0 ? st->meter[ev->meter].current_ma : in->draw_ma;
        int32_t most = 0;
        for (int k = 0; k < 3; k++) {
            smp.current_ma[k] = k < ev->n_phases ? cur[k] : 0;
            most = smp.current_ma[k] > most ? smp.current_ma[k] : most;
        }
        smp.charging = most >= site->charging_threshold_ma;
        smp.vin = d->cur.vin[e];
        int r = sess_ocpp(d, e, &smp);
        rc = rc < 0 ? rc : r;
        r = sess_update(d->sess, wall, now, e, &smp);
        rc = rc < 0 ? rc : r;
        /* energy since start: every rise of the open session's count (a new session starts
         * from 0), so it only grows */
        struct sess_record rec;
        int64_t wh = sess_log_current(d->sess, e, &rec) ? (int64_t)rec.energy_wh : 0;
        int64_t last = d->cur.sess_last_wh[e];
        d->cur.energy_wh[e] += wh >= last ? wh - last : wh;
        d->cur.sess_last_wh[e] = wh;
    }
    sess_result(d, rc);
}

/* After any bus activity and on every tick: the site controller's step. */
static void site_step(struct daemon *d, uint64_t now)
{
    daemon_commands_apply(d, now);
    int rc = ctl_step(d->ctl, now);
    if (rc < 0) {
        log_limited("daemon-tick", now, LOG_LEVEL_ERR, MOD,
                    "control tick failed (%s): every charger set to 0 A", amp_strerror(rc));
    }
    if (rc != 0) {
        d->stats.ticks++;
        log_targets(d, now);
        sess_tick(d, now);
        if (d->o.on_tick) {
            d->o.on_tick(d->o.on_tick_ctx, now);
        }
    }
    mb_reap(d, false);
    if (d->stopping) {
        check_stop(d, now);
    }
    if (rc != 0) {
        /* a tick's work (the engine, the session log's commits) delays every bus: measure it */
        uint64_t took = loop_update_time(d->loop) - now;
        d->stats.worst_step_ms = took > d->stats.worst_step_ms ? took : d->stats.worst_step_ms;
    }
    rearm(d);
}

static void bus_run(struct dbus *b, uint64_t now)
{
    if (twc_bus_service(&b->bus, now) == AMP_ERR_MASTER_CLASH && !b->clash_logged) {
        b->clash_logged = true;
        log_err(MOD, "[bus %s]: another master is on the bus; ours stays silent", b->name);
    }
}

static void on_bus_fd(struct loop *l, struct loop_fd *h, int fd, short rev, void *ctx)
{
    (void)h;
    (void)fd;
    (void)rev;
    struct dbus *b = ctx;
    uint64_t now = loop_now_ms(l);
    bus_run(b, now);
    site_step(b->d, now);
}

static void on_bus_wake(struct loop *l, struct loop_timer *t, uint64_t now, void *ctx)
{
    (void)l;
    (void)t;
    struct dbus *b = ctx;
    uint64_t late = now > b->wake_due ? now - b->wake_due : 0;
    if (late > b->d->stats.worst_wake_late_ms) {
        b->d->stats.worst_wake_late_ms = late;
    }
    b->d->stats.bus_wakeups++;
    bus_run(b, now);
    site_step(b->d, now);
}

static void on_tick(struct loop *l, struct loop_timer *t, uint64_t now, void *ctx)
{
    (void)l;
    (void)t;
    struct daemon *d = ctx;
    uint64_t late = now > d->tick_due ? now - d->tick_due : 0;
    if (late > d->stats.worst_tick_late_ms) {
        d->stats.worst_tick_late_ms = late;
    }
    site_step(d, now);
}

static void arm(struct loop *l, struct loop_timer *t, uint64_t *due, uint64_t at)
{
    uint64_t now = loop_now_ms(l);
    *due = at > now || at == LOOP_NEVER ? at : now;
    loop_timer_arm(l, t, at);
}

/* Every bus's fd (it changes when a link comes back) and next wake-up, and the tick. */
static void rearm(struct daemon *d)
{
    for (size_t i = 0; i < d->cur.site->n_bus; i++) {
        struct dbus *b = d->bus[i];
        if (!b) {
            continue;
        }
        (void)loop_fd_set(d->loop, &b->io, twc_bus_poll_fd(&b->bus), LOOP_READ);
        uint64_t next = twc_bus_next_wakeup_ms(&b->bus);
        arm(d->loop, &b->wake, &b->wake_due, next == UINT64_MAX ? LOOP_NEVER : next);
    }
    uint64_t t = ctl_next_ms(d->ctl);
    if (!d->stopping) {
        arm(d->loop, &d->tick, &d->tick_due, t ? t : loop_now_ms(d->loop));
    }
}

/* ---- buses ---- */

static void dbus_free(struct daemon *d, struct dbus *b)
{
    if (!b) {
        return;
    }
    loop_fd_del(d->loop, &b->io);
    loop_timer_disarm(d->loop, &b->wake);
    tp_link_free(b->link);
    free(b);
}

/* A master's events the daemon keeps: the VIN a Wall Connector reported (sessions). */
static void on_bus_event(void *ctx, const struct twc_master_event *ev)
{
    struct dbus *b = ctx;
    struct daemon *d = b->d;
    if (ev->type != TWC_MEV_VIN || !d->twc) {
        return;
    }
    for (size_t i = 0; i < d->cur.site->n_bus; i++) {
        int e = d->bus[i] == b ? ctl_twc_evse_of(d->twc, i, ev->slave_id) : -1;
        if (e >= 0) {
            snprintf(d->cur.vin[e], sizeof(d->cur.vin[e]), "%s", ev->u.text.text);
            if (ev->u.text.text[0]) {
                log_info(MOD, "%s: car VIN %s", d->cur.site->evse[e].name, ev->u.text.text);
            }
        }
    }
}

static int dbus_open(struct daemon *d,
                     const struct site *site,
                     size_t i,
                     struct dbus **out,
                     char *err,
                     size_t errlen)
{
    *out = NULL;
    const struct site_bus *sb = &site->bus[i];
    struct dbus *b = calloc(1, sizeof(*b));
    if (!b) {
        return -ENOMEM;
    }
    b->d = d;
    snprintf(b->name, sizeof(b->name), "%s", sb->name);
    snprintf(b->transport, sizeof(b->transport), "%s", sb->transport);
    char msg[200];
    int rc = tp_link_new_from_text(sb->transport, TP_ROLE_CONNECT, &b->link, msg, sizeof(msg));
    if (rc < 0) {
        snprintf(err, errlen, "%s:%d: [bus %s] transport: %s", site->file, sb->cfg_line, sb->name,
                 msg);
        free(b);
        return rc;
    }
    struct twc_bus_config bc;
    twc_bus_config_init(&bc);
    (void)ctl_twc_pick_master(site, i, CTL_TWC_BUS_SEED(d->seed, i), &bc.master.id, &bc.master.sign);
    bc.on_event = on_bus_event;
    bc.on_event_ctx = b;
    rc = twc_bus_init(&b->bus, b->link, &bc, loop_now_ms(d->loop));
    if (rc < 0) {
        snprintf(err, errlen, "[bus %s]: %s", sb->name, amp_strerror(rc));
        tp_link_free(b->link);
        free(b);
        return rc;
    }
    loop_fd_init(&b->io, on_bus_fd, b);
    loop_timer_init(&b->wake, on_bus_wake, b);
    log_info(MOD, "[bus %s] on %s: our master ID %04x", sb->name, sb->transport, bc.master.id);
    *out = b;
    return 0;
}

/* ---- life cycle ---- */

static uint64_t fresh_seed(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ ((uint64_t)getpid() << 40);
}

/* Opens the session log of the current site; a file that cannot be used is logged and retried
 * (the log keeps sessions in memory meanwhile). */
static void sess_open(struct daemon *d, uint64_t now)
{
    struct sess_opts so = SESS_OPTS_DEFAULT;
    so.path = d->cur.sess_db;
    so.charger = d->cur.names;
    so.n_charger = d->cur.site->n_evse;
    so.flush_interval_ms = d->cur.sess_flush_ms;
    so.nominal_voltage_v = (uint16_t)d->cur.site->voltage_v;
    so.threaded = true; /* commits and their syncs off the loop: heartbeats stay on time */
    int rc = sess_log_new(&so, wall_s(), now, &d->sess);
    if (!d->sess) {
        log_err(MOD, "session log %s: %s: running without it", so.path, amp_strerror(rc));
        return;
    }
    if (rc < 0) {
        d->sess_failing = true;
        log_err(MOD, "session log: %s; sessions are kept in memory and retried",
                sess_log_error(d->sess));
    } else {
        log_info(MOD, "session log %s", so.path);
    }
}

/* The status socket (docs/status.md), sized for the current site; opened again when a reload
 * makes the site larger. Without it the site runs all the same. */
static void status_open(struct daemon *d)
{
    const struct site *site = d->cur.site;
    struct status_caps caps = {site->n_evse, site->n_circuit, site->n_bus, site->n_meter};
    if (d->status && caps.charger <= d->status_caps.charger &&
        caps.circuit <= d->status_caps.circuit && caps.bus <= d->status_caps.bus &&
        caps.meter <= d->status_caps.meter) {
        return;
    }
    status_srv_close(d->status);
    d->status = NULL;
    char path[CFG_TEXT_MAX], err[CFG_TEXT_MAX + 64];
    if (status_socket_path(d->cur.status_socket, true, path, sizeof(path)) != 0) {
        log_err(MOD, "status socket: the path is too long");
        return;
    }
    int rc =
        status_srv_open(d->loop, path, &caps, daemon_status_fill, d, &d->status, err, sizeof(err));
    if (rc < 0) {
        log_err(MOD, "status socket: %s; running without it", err);
        d->status = NULL;
        return;
    }
    d->status_caps = caps;
    log_info(MOD, "status socket %s", path);
}

/* Ends every open session with reason and closes the log. */
static void sess_end(struct daemon *d, uint64_t now, enum sess_end_reason reason)
{
    if (d->sess) {
        int rc = sess_close_all(d->sess, wall_s(), now, reason);
        if (rc < 0) {
            log_err(MOD, "session log: %s", sess_log_error(d->sess));
        }
        sess_log_free(d->sess);
        d->sess = NULL;
    }
}

void daemon_free(struct daemon *d)
{
    if (!d) {
        return;
    }
    for (size_t i = 0; d->bus && d->cur.site && i < d->cur.site->n_bus; i++) {
        dbus_free(d, d->bus[i]);
    }
    free(d->bus);
    daemon_telemetry_close(d);
    status_srv_close(d->status);
    if (d->sess) {
        /* not stopped through daemon_stop: leave the sessions open, as a crash would; the next
         * start closes them with controller_restart */
        sess_log_free(d->sess);
    }
    loop_timer_disarm(d->loop, &d->tick);
    loop_timer_disarm(d->loop, &d->stop_check);
    ctl_mb_free(d->mb);
    mb_reap(d, true);
    free(d->mb_old);
    ctl_ocpp_free(d->ocpp);
    ctl_twc_free(d->twc);
    ctl_free(d->ctl);
    policy_close(&d->switched); /* after the engine that may still run it */
    dsite_free(&d->cur);
    free(d->ini_text);
    free(d);
}

static void on_stop_check(struct loop *l, struct loop_timer *t, uint64_t now, void *ctx)
{
    struct daemon *d = ctx;
    site_step(d, now);
    if (!d->stop_done) {
        loop_timer_arm_in(l, t, DAEMON_STOP_CHECK_MS);
    }
}

int daemon_new(
    const struct daemon_opts *o, struct loop *l, struct daemon **out, char *err, size_t errlen)
{
    *out = NULL;
    struct daemon *d = calloc(1, sizeof(*d));
    if (!d) {
        return -ENOMEM;
    }
    d->o = *o;
    d->loop = l;
    d->seed = o->seed ? o->seed : fresh_seed();
    snprintf(d->path, sizeof(d->path), "%s", o->path ? o->path : DAEMON_DEFAULT_CONFIG);
    d->o.path = d->path;
    loop_timer_init(&d->tick, on_tick, d);
    loop_timer_init(&d->stop_check, on_stop_check, d);
    if (o->ini_text && !(d->ini_text = strdup(o->ini_text))) {
        free(d);
        return -ENOMEM;
    }
    int rc = dsite_load(d, &d->cur, err, errlen);
    if (rc == 0) {
        rc = ctl_new(d->cur.site, d->cur.ph.policy, &d->ctl, err, errlen);
    }
    if (rc == 0) {
        rc = ctl_twc_new(d->ctl, &d->twc);
    }
    if (rc == 0) {
        rc = ctl_mb_new(d->cur.site, NULL, &d->mb, err, errlen);
    }
    if (rc == 0) {
        rc = ctl_mb_attach(d->mb, d->ctl);
    }
    if (rc == 0) {
        rc = ctl_ocpp_new(l, &d->cur.ocpp, d->cur.site, &d->ocpp, err, errlen);
    }
    if (rc == 0 && d->ocpp) {
        rc = ctl_ocpp_attach(d->ocpp, d->ctl);
    }
    const struct site *site = d->cur.site;
    if (rc == 0 && !(d->bus = calloc(site->n_bus + 1, sizeof(*d->bus)))) {
        rc = -ENOMEM;
    }
    for (size_t i = 0; rc == 0 && i < site->n_bus; i++) {
        rc = dbus_open(d, site, i, &d->bus[i], err, errlen);
        if (rc == 0) {
            rc = ctl_twc_attach(d->twc, i, twc_bus_master(&d->bus[i]->bus));
        }
    }
    if (rc != 0) {
        daemon_free(d);
        return rc;
    }
    sess_open(d, loop_now_ms(l));
    d->started_ms = loop_now_ms(l);
    status_open(d);
    daemon_telemetry_open(d);
    log_info(MOD, "site %s from %s: %zu circuits, %zu chargers, %zu meters, %zu buses, policy %s",
             site->name, d->path, site->n_circuit, site->n_evse, site->n_meter, site->n_bus,
             site->policy);
    uint64_t now = loop_now_ms(l);
    for (size_t i = 0; i < site->n_bus; i++) {
        bus_run(d->bus[i], now);
    }
    site_step(d, now);
    *out = d;
    return 0;
}

/* The bus of the old table called name with the same transport, taken out of it; or NULL. */
static struct dbus *take_bus(struct daemon *d, const struct site_bus *sb)
{
    for (size_t i = 0; i < d->cur.site->n_bus; i++) {
        struct dbus *b = d->bus[i];
        if (b && strcmp(b->name, sb->name) == 0 && strcmp(b->transport, sb->transport) == 0) {
            d->bus[i] = NULL;
            return b;
        }
    }
    return NULL;
}

int daemon_reload(struct daemon *d)
{
    char err[CFG_DIAG_TEXT];
    struct dsite next;
    log_info(MOD, "reloading %s", d->path);
    (void)sdnotify_reloading("reloading the config");
    int rc = dsite_load(d, &next, err, sizeof(err));
    struct ctl_mb *mb = NULL;
    struct dbus **bus = NULL;
    if (rc == 0) {
        rc = ctl_mb_new(next.site, NULL, &mb, err, sizeof(err));
    }
    if (rc == 0 && !(bus = calloc(next.site->n_bus + 1, sizeof(*bus)))) {
        rc = -ENOMEM;
    }
    /* new buses and changed transports are opened before anything is switched */
    for (size_t i = 0; rc == 0 && i < next.site->n_bus; i++) {
        const struct site_bus *sb = &next.site->bus[i];
        bool kept = false;
        for (size_t j = 0; j < d->cur.site->n_bus; j++) {
            kept = kept || (d->bus[j] && strcmp(d->bus[j]->name, sb->name) == 0 &&
                            strcmp(d->bus[j]->transport, sb->transport) == 0);
        }
        if (!kept) {
            rc = dbus_open(d, next.site, i, &bus[i], err, sizeof(err));
        }
    }
    if (rc == 0) {
        rc = ctl_reload(d->ctl, next.site, next.ph.policy, err, sizeof(err));
    }
    if (rc != 0) {
        for (size_t i = 0; bus && i < next.site->n_bus; i++) {
            dbus_free(d, bus[i]);
        }
        free(bus);
        mb_retire(d, mb); /* its pollers may be inside a transaction: never wait here */
        if (next.site) {
            dsite_free(&next);
        }
        log_err(MOD, "reload of %s refused, the running config stays: %s", d->path, err);
        d->stats.reload_failures++;
        (void)sdnotify_ready("reload refused: the running config stays");
        return rc;
    }
    /* Switched: the controller runs the new site. Move the kept buses over. */
    for (size_t i = 0; i < next.site->n_bus; i++) {
        if (!bus[i]) {
            bus[i] = take_bus(d, &next.site->bus[i]);
        }
    }
    for (size_t i = 0; i < d->cur.site->n_bus; i++) {
        if (d->bus[i]) {
            log_info(MOD, "[bus %s] closed (gone or its transport changed)", d->bus[i]->name);
            (void)ctl_twc_attach(d->twc, i, NULL);
            dbus_free(d, d->bus[i]);
        }
    }
    free(d->bus);
    d->bus = bus;
    if (ctl_twc_resite(d->twc) != 0) {
        log_err(MOD, "reload: out of memory re-binding the Wall Connectors");
    }
    for (size_t i = 0; i < next.site->n_bus; i++) {
        (void)ctl_twc_attach(d->twc, i, twc_bus_master(&bus[i]->bus));
    }
    mb_retire(d, d->mb); /* writes what it still had queued, in the background */
    d->mb = mb;
    (void)ctl_mb_attach(d->mb, d->ctl);
    ctl_ocpp_resite(d->ocpp, next.site); /* its connections stay up */
    for (size_t e = 0; e < next.site->n_evse; e++) {
        int o = site_find_evse(d->cur.site, next.site->evse[e].name);
        next.logged_ma[e] = o >= 0 ? d->cur.logged_ma[o] : 0;
        next.energy_wh[e] = o >= 0 ? d->cur.energy_wh[o] : 0;
        next.sess_last_wh[e] = o >= 0 ? d->cur.sess_last_wh[o] : 0;
        if (o >= 0) {
            memcpy(next.vin[e], d->cur.vin[o], sizeof(next.vin[e]));
        }
    }
    uint64_t t = loop_now_ms(d->loop);
    bool same_db = strcmp(next.sess_db, d->cur.sess_db) == 0;
    if (!same_db) {
        /* another file: the sessions end in the old one and start again in the new one */
        sess_end(d, t, SESS_END_CONTROLLER_RESTART);
    } else if (d->sess) {
        /* the same file: a charger still named keeps its open session, a removed one's ends */
        sess_result(d, sess_log_set_chargers(d->sess, next.names, next.site->n_evse, wall_s(), t));
    }
    struct dsite old = d->cur;
    d->cur = next;
    dsite_free(&old);
    if (!same_db) {
        sess_open(d, t);
    }
    status_open(d);
    daemon_telemetry_open(d); /* the new site's sizes, names and [http]/[mqtt] */
    d->stats.reloads++;
    (void)sdnotify_ready("running (config reloaded)");
    log_info(MOD, "reloaded %s: %zu circuits, %zu chargers, %zu meters, %zu buses, policy %s",
             d->path, next.site->n_circuit, next.site->n_evse, next.site->n_meter, next.site->n_bus,
             next.site->policy);
    uint64_t now = loop_now_ms(d->loop);
    for (size_t i = 0; i < next.site->n_bus; i++) {
        bus_run(d->bus[i], now);
    }
    site_step(d, now);
    return 0;
}

/* Every Wall Connector in a master's table echoes what it is told, every Modbus EVSE acked. */
static bool stop_confirmed(const struct daemon *d)
{
    for (size_t i = 0; i < d->cur.site->n_bus; i++) {
        struct twc_master_brief br[TWC_MASTER_SLAVES_MAX];
        size_t n = twc_master_briefs(&d->bus[i]->bus.master, br);
        for (size_t k = 0; k < n; k++) {
            if (!br[k].replied || br[k].limit_ma != br[k].target_ma) {
                return false;
            }
        }
    }
    /* a reload's retired pollers must have written what they had queued too */
    return ctl_mb_settled(d->mb) && ctl_ocpp_settled(d->ocpp) && d->n_mb_old == 0;
}

static void check_stop(struct daemon *d, uint64_t now)
{
    if (d->stop_done) {
        return;
    }
    mb_reap(d, false);
    if (stop_confirmed(d)) {
        d->confirmed = true;
    } else if (now < d->stop_deadline) {
        return;
    } else {
        log_warn(MOD, "stop: not every charger confirmed its shutdown current within %d ms",
                 DAEMON_STOP_GRACE_MS);
    }
    d->stop_done = true;
    sess_end(d, now, SESS_END_SHUTDOWN);
    log_info(MOD, "stopped%s",
             d->confirmed ? ": every charger confirmed its shutdown current" : "");
    loop_stop(d->loop);
}

void daemon_stop(struct daemon *d)
{
    if (d->stopping) {
        return;
    }
    uint64_t now = loop_now_ms(d->loop);
    d->stopping = true;
    (void)sdnotify_stopping("stopping: every charger to its shutdown current");
    d->stop_deadline = now + DAEMON_STOP_GRACE_MS;
    loop_timer_disarm(d->loop, &d->tick);
    ctl_stop(d->ctl, now);
    const struct site *site = d->cur.site;
    for (size_t e = 0; e < site->n_evse; e++) {
        if (site->evse[e].controllable) {
            log_info(MOD, "stop: %s to %" PRId32 " mA", site->evse[e].name,
                     ctl_target_ma(d->ctl, e));
        }
    }
    loop_timer_arm_in(d->loop, &d->stop_check, DAEMON_STOP_CHECK_MS);
    rearm(d);
}

bool daemon_stopping(const struct daemon *d)
{
    return d->stopping;
}

bool daemon_stop_confirmed(const struct daemon *d)
{
    return d->confirmed;
}

const struct daemon_stats *daemon_get_stats(const struct daemon *d)
{
    return &d->stats;
}

const struct ctl *daemon_ctl(const struct daemon *d)
{
    return d->ctl;
}
