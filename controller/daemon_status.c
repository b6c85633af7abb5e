/* SPDX-License-Identifier: MIT */
/* The daemon's snapshots: the plain one (daemon_status) and the status socket's (docs/status.md).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "controller/ctl_ocpp.h"
#include "controller/daemon.h"
#include "controller/daemon_internal.h"
#include "controller/loop.h"
#include "drivers/base/amp_err.h"

void daemon_status_free(struct daemon_status *s)
{
    free(s->evse);
    free(s->circuit);
    free(s->bus);
    free(s->meter);
    memset(s, 0, sizeof(*s));
}

void daemon_evse_status(const struct daemon *d,
                        size_t e,
                        uint64_t now,
                        struct daemon_evse_status *o)
{
    const struct site *site = d->cur.site;
    const struct site_evse *ev = &site->evse[e];
    const struct alloc_evse_result *r = &ctl_result(d->ctl)->evse[e];
    const struct site_evse_input *in = &ctl_state((struct ctl *)d->ctl)->evse[e];
    o->name = ev->name;
    o->kind = ev->kind == SITE_EVSE_WALL_CONNECTOR ? "wallconnector" : "evse";
    o->connected = in->connected;
    o->offer_ma = in->offer_ma;
    o->target_ma = ctl_target_ma(d->ctl, e);
    o->stale = r->stale;
    memcpy(o->draw_ma, r->draw_ma, sizeof(o->draw_ma));
    if (ev->kind == SITE_EVSE_WALL_CONNECTOR) {
        o->present = ctl_twc_present(d->twc, e);
        (void)ctl_twc_slave_of(d->twc, e, &o->slave_id);
    } else if (strcmp(ev->control, "ocpp") == 0) {
        o->present = ctl_ocpp_present(d->ocpp, e);
    } else {
        struct ctl_mb_health h;
        o->present = ctl_mb_evse_health(d->mb, e, &h) == 0 && h.last_rc == 0 && h.at_ms != 0;
    }
    if (ctl_why(d->ctl, e, now, o->why, sizeof(o->why)) < 0) {
        o->why[0] = '\0';
    }
}

int daemon_status(const struct daemon *d, uint64_t now_ms, struct daemon_status *out)
{
    memset(out, 0, sizeof(*out));
    const struct site *site = d->cur.site;
    out->now_ms = now_ms;
    out->evse = calloc(site->n_evse + 1, sizeof(*out->evse));
    out->circuit = calloc(site->n_circuit + 1, sizeof(*out->circuit));
    out->bus = calloc(site->n_bus + 1, sizeof(*out->bus));
    out->meter = calloc(site->n_meter + 1, sizeof(*out->meter));
    if (!out->evse || !out->circuit || !out->bus || !out->meter) {
        daemon_status_free(out);
        return -ENOMEM;
    }
    out->n_evse = site->n_evse;
    out->n_circuit = site->n_circuit;
    out->n_bus = site->n_bus;
    out->n_meter = site->n_meter;
    for (size_t e = 0; e < site->n_evse; e++) {
        daemon_evse_status(d, e, now_ms, &out->evse[e]);
    }
    const struct alloc_result *r = ctl_result(d->ctl);
    for (size_t c = 0; c < site->n_circuit; c++) {
        struct daemon_circuit_status *o = &out->circuit[c];
        o->name = site->circuit[c].name;
        memcpy(o->limit_ma, r->circuit[c].limit_ma, sizeof(o->limit_ma));
        memcpy(o->counted_ma, r->circuit[c].counted_ma, sizeof(o->counted_ma));
        memcpy(o->offered_ma, r->circuit[c].offered_ma, sizeof(o->offered_ma));
        o->meter_stale = r->circuit[c].meter_stale;
    }
    for (size_t i = 0; i < site->n_bus; i++) {
        struct daemon_bus_status *o = &out->bus[i];
        const struct dbus *b = d->bus[i];
        o->name = b->name;
        o->transport = b->transport;
        o->up = tp_link_is_up(b->link);
        o->losses = tp_link_losses(b->link);
        o->slaves = twc_master_slave_count(&b->bus.master);
        o->master_id = twc_master_id(&b->bus.master); /* a clash may have changed it */
    }
    for (size_t m = 0; m < site->n_meter; m++) {
        struct daemon_meter_status *o = &out->meter[m];
        struct ctl_mb_health h;
        o->name = site->meter[m].name;
        o->age_ms = UINT64_MAX;
        if (ctl_mb_meter_health(d->mb, m, &h) == 0) {
            o->last_rc = h.last_rc;
            o->age_ms = h.good_ms && now_ms >= h.good_ms ? now_ms - h.good_ms : UINT64_MAX;
        }
    }
    out->stats = d->stats;
    out->stopping = d->stopping;
    return 0;
}

static void fill_charger(const struct daemon *d, size_t e, uint64_t now, struct status_charger *o)
{
    const struct site *site = d->cur.site;
    const struct site_evse *ev = &site->evse[e];
    struct daemon_evse_status s;
    memset(&s, 0, sizeof(s));
    daemon_evse_status(d, e, now, &s);
    const struct alloc_evse_result *r = &ctl_result(d->ctl)->evse[e];
    snprintf(o->name, sizeof(o->name), "%s", ev->name);
    snprintf(o->kind, sizeof(o->kind), "%s", s.kind);
    snprintf(o->circuit, sizeof(o->circuit), "%s", site->circuit[ev->circuit].name);
    int32_t most = 0;
    for (int p = 0; p < 3; p++) {
        o->measured_ma[p] = s.draw_ma[p];
        most = s.draw_ma[p] > most ? s.draw_ma[p] : most;
    }
    const char *state = !s.present && ev->controllable        ? "offline"
                        : !s.connected                        ? "no_car"
                        : most >= site->charging_threshold_ma ? "charging"
                                                              : "idle";
    snprintf(o->state, sizeof(o->state), "%s", state);
    o->controllable = ev->controllable;
    o->stale = s.stale;
    o->offer_ma = s.offer_ma;
    o->target_ma = s.target_ma;
    o->min_ma = ev->min_ma;
    o->max_ma = ev->max_ma;
    o->phases = ev->phases;
    struct sess_record rec;
    o->session_wh = d->sess && sess_log_current(d->sess, e, &rec) ? (int64_t)rec.energy_wh : -1;
    o->energy_wh = d->sess ? d->cur.energy_wh[e] : -1; /* counted from the session log */
    o->command_max_ma = -1;
    if (e < d->cmds.n_evse) { /* what remote commands hold in force (daemon_telemetry.c) */
        o->paused = d->cmds.evse[e].paused;
        o->charge_now = d->cmds.evse[e].charge_until_ms != 0;
        o->command_max_ma = d->cmds.evse[e].cap_ma;
    }
    snprintf(o->vin, sizeof(o->vin), "%s", d->cur.vin[e]);
    snprintf(o->why, sizeof(o->why), "%s", alloc_why_name((enum alloc_why)r->why));
    snprintf(o->reason, sizeof(o->reason), "%s", s.why);
}

int daemon_status_fill(void *ctx, struct status_snapshot *snap)
{
    const struct daemon *d = ctx;
    const struct site *site = d->cur.site;
    uint64_t now = loop_now_ms(d->loop);
    snprintf(snap->site, sizeof(snap->site), "%s", site->name);
    snprintf(snap->policy, sizeof(snap->policy), "%s",
             d->policy_name[0] ? d->policy_name : site->policy);
    snap->wall_ms = (int64_t)time(NULL) * 1000;
    for (size_t e = 0; e < site->n_evse && snap->n_charger < snap->cap_charger; e++) {
        fill_charger(d, e, now, &snap->charger[snap->n_charger++]);
    }
    const struct alloc_result *r = ctl_result(d->ctl);
    for (size_t c = 0; c < site->n_circuit && snap->n_circuit < snap->cap_circuit; c++) {
        const struct site_circuit *sc = &site->circuit[c];
        struct status_circuit *o = &snap->circuit[snap->n_circuit++];
        snprintf(o->name, sizeof(o->name), "%s", sc->name);
        snprintf(o->parent, sizeof(o->parent), "%s",
                 sc->parent >= 0 ? site->circuit[sc->parent].name : "");
        o->phases = sc->phases;
        for (int p = 0; p < 3; p++) {
            o->rating_ma[p] = sc->rating_ma[p];
            o->limit_ma[p] = r->circuit[c].limit_ma[p];
            o->uncontrolled_ma[p] = r->circuit[c].uncontrolled_ma[p];
            o->load_ma[p] = r->circuit[c].counted_ma[p] + r->circuit[c].uncontrolled_ma[p];
            o->offered_ma[p] = r->circuit[c].offered_ma[p];
        }
        o->meter_stale = r->circuit[c].meter_stale;
    }
    for (size_t i = 0; i < site->n_bus && snap->n_bus < snap->cap_bus; i++) {
        const struct dbus *b = d->bus[i];
        struct status_bus *o = &snap->bus[snap->n_bus++];
        const struct twc_bus_stats *bs = twc_bus_get_stats(&b->bus);
        snprintf(o->name, sizeof(o->name), "%s", b->name);
        snprintf(o->transport, sizeof(o->transport), "%.*s", (int)sizeof(o->transport) - 1,
                 b->transport);
        o->up = tp_link_is_up(b->link);
        o->slaves = (uint32_t)twc_master_slave_count(&b->bus.master);
        o->reconnects = tp_link_losses(b->link);
        o->bad_frames =
            bs->bad_checksum + bs->bad_length + bs->garbage + bs->bad_escape + bs->overlong;
        o->heartbeat_late_worst_ms = (int32_t)d->stats.worst_wake_late_ms;
    }
    for (size_t m = 0; m < site->n_meter && snap->n_meter < snap->cap_meter; m++) {
        const struct site_meter *sm = &site->meter[m];
        struct status_meter *o = &snap->meter[snap->n_meter++];
        struct ctl_mb_health h;
        snprintf(o->name, sizeof(o->name), "%s", sm->name);
        snprintf(o->measures, sizeof(o->measures), "%s",
                 sm->measures == CFG_MEASURES_GRID      ? "grid"
                 : sm->measures == CFG_MEASURES_CIRCUIT ? "circuit"
                                                        : "evse");
        o->age_ms = -1;
        if (ctl_mb_meter_health(d->mb, m, &h) == 0) {
            o->age_ms = h.good_ms && now >= h.good_ms ? (int64_t)(now - h.good_ms) : -1;
            o->stale = o->age_ms < 0 || (uint64_t)o->age_ms > sm->stale_timeout_ms;
            if (h.last_rc < 0 && h.last_rc != -EAGAIN) {
                snprintf(o->last_error, sizeof(o->last_error), "%s", amp_strerror(h.last_rc));
            }
        }
    }
    snap->loop.uptime_ms = now - d->started_ms;
    snap->loop.ticks = d->stats.ticks;
    snap->loop.tick_us_max = (uint32_t)(d->stats.worst_step_ms * 1000);
    struct loop_busy busy;
    loop_busy_stats(d->loop, &busy);
    snap->loop.turn_us_max = (uint32_t)(busy.max_us > UINT32_MAX ? UINT32_MAX : busy.max_us);
    snap->loop.turn_cpu_us_max =
        (uint32_t)(busy.cpu_max_us > UINT32_MAX ? UINT32_MAX : busy.cpu_max_us);
    for (size_t i = 0; i < STATUS_TURN_BUCKETS && i < LOOP_BUSY_BUCKETS; i++) {
        snap->loop.turn_over_ms[i] = loop_busy_over_ms[i];
        snap->loop.turns_over[i] = busy.over[i];
    }
    snap->loop.heartbeat_late_worst_ms = (int32_t)d->stats.worst_wake_late_ms;
    snap->loop.late_worst_ms = (int32_t)(d->stats.worst_tick_late_ms > d->stats.worst_wake_late_ms
                                             ? d->stats.worst_tick_late_ms
                                             : d->stats.worst_wake_late_ms);
    /* errors by kind since start, for /metrics and the status document */
    const struct alloc_stats *as = alloc_get_stats(ctl_alloc(d->ctl));
    uint64_t fixes = 0, bad_frames = 0, meter_errors = 0;
    for (int f = 1; f < ALLOC_FIX_COUNT; f++) {
        fixes += as->fixes[f];
    }
    for (size_t b = 0; b < snap->n_bus; b++) {
        bad_frames += snap->bus[b].bad_frames;
    }
    for (size_t m = 0; m < snap->n_meter; m++) {
        meter_errors += snap->meter[m].errors;
    }
    const struct status_count counts[] = {
        {"policy", as->policy_errors},
        {"clamp", fixes},
        {"implausible", as->implausible},
        {"bad_frame", bad_frames},
        {"meter_read", meter_errors},
        {"reload", d->stats.reload_failures},
        {"session_log", d->sess_failing ? 1u : 0u},
    };
    for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]) && i < STATUS_ERRORS_MAX; i++) {
        snap->error[snap->n_error++] = counts[i];
    }
    return 0;
}
