/* SPDX-License-Identifier: MIT */
/* Wire mode (fleet_wire.h). */
#include "sim/fleet/fleet_wire.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/ctl_twc.h"
#include "drivers/twc/twc_feed.h"
#include "sim/fleet/fleet_wire_mb.h"
#include "sim/sim_vbus.h"

struct wbus {
    struct fleet_wire *w;
    struct twc_master m;
    struct twc_deframer df;
    struct sim_twc_slaves set;
    struct sim_vbus vb;
    bool up;
};

struct fleet_wire {
    const struct fleet_scenario *sc;
    struct ctl *ctl;     /* the site controller, as the daemon runs it */
    struct ctl_twc *twc; /* its Wall Connector adapter */
    struct wbus *bus;
    size_t n_bus;
    struct sim_twc_slave **slave; /* per site EVSE */
    struct fleet_wire_mb *mb;     /* meters and third-party EVSEs (fleet_wire_mb.h), or NULL */
    uint64_t now_ms;
};

static void amp_rx(void *ctx, uint64_t now_ms, const uint8_t *buf, size_t len)
{
    struct wbus *b = ctx;
    twc_master_feed(&b->m, &b->df, now_ms, buf, len);
}

static size_t amp_tx(void *ctx, uint64_t now_ms, uint8_t *out, size_t cap, uint64_t *next_ms)
{
    struct wbus *b = ctx;
    (void)ctl_step(b->w->ctl, now_ms); /* a failed tick has already set every target to 0 */
    struct twc_master_out mo;
    int rc = twc_master_poll(&b->m, now_ms, &mo);
    uint64_t tick = ctl_next_ms(b->w->ctl);
    *next_ms = mo.next_ms < tick ? mo.next_ms : tick;
    if (rc != 1 || !mo.has_frame || mo.wire_len > cap) {
        return 0;
    }
    memcpy(out, mo.wire, mo.wire_len);
    return mo.wire_len;
}

/* What a Wall Connector's car draws, for the meters above it. */
static int32_t wc_draw(void *ctx, int evse, uint8_t *phases)
{
    const struct fleet_wire *w = ctx;
    const struct sim_twc_slave *s = w->slave[evse];
    if (!s || s->car.phase == SIM_CAR_UNPLUGGED) {
        return 0;
    }
    *phases = (uint8_t)s->car.cfg.phases;
    return sim_car_draw_ma(&s->car);
}

void fleet_wire_free(struct fleet_wire *w)
{
    if (!w) {
        return;
    }
    for (size_t b = 0; b < w->n_bus; b++) {
        if (w->bus[b].up) {
            sim_vbus_fini(&w->bus[b].vb);
        }
    }
    fleet_wire_mb_free(w->mb);
    ctl_twc_free(w->twc);
    ctl_free(w->ctl);
    free(w->bus);
    free(w->slave);
    free(w);
}

int fleet_wire_new(const struct fleet_scenario *sc,
                   const struct ampshare_policy *policy,
                   struct fleet_wire **out,
                   char *err,
                   size_t errlen)
{
    const struct site *site = sc->site;
    for (size_t e = 0; e < site->n_evse; e++) {
        if (site->evse[e].kind == SITE_EVSE_WALL_CONNECTOR && site->evse[e].address_auto) {
            snprintf(err, errlen,
                     "wire mode simulates Wall Connectors with fixed addresses only "
                     "('%s' is not one); use --fast",
                     site->evse[e].name);
            return -ENOTSUP;
        }
    }
    struct fleet_wire *w = calloc(1, sizeof(*w));
    if (!w) {
        return -ENOMEM;
    }
    w->sc = sc;
    w->n_bus = site->n_bus;
    w->bus = calloc(site->n_bus + 1, sizeof(*w->bus));
    w->slave = calloc(site->n_evse + 1, sizeof(*w->slave));
    int rc = w->bus && w->slave ? ctl_new(site, policy, &w->ctl, err, errlen) : -ENOMEM;
    if (rc == 0) {
        rc = ctl_twc_new(w->ctl, &w->twc);
    }
    if (rc == 0 && fleet_wire_mb_needed(site)) {
        rc = fleet_wire_mb_new(sc, w->ctl, sc->modbus_loopback, wc_draw, w, &w->mb, err, errlen);
    }
    for (size_t b = 0; rc == 0 && b < site->n_bus; b++) {
        struct wbus *wb = &w->bus[b];
        wb->w = w;
        struct twc_master_config mc;
        twc_master_config_init(&mc);
        rc = ctl_twc_pick_master(site, b, sc->seed, &mc.id, &mc.sign);
        twc_deframer_init(&wb->df);
        if (rc == 0) {
            rc = twc_master_init(&wb->m, &mc, 0);
        }
        if (rc == 0) {
            rc = ctl_twc_attach(w->twc, b, &wb->m);
        }
        sim_twc_slaves_init(&wb->set);
        uint32_t k = 0;
        for (size_t e = 0; rc == 0 && e < site->n_evse; e++) {
            const struct site_evse *se = &site->evse[e];
            if ((size_t)se->bus != b) {
                continue;
            }
            struct sim_twc_slave_cfg cfg;
            sim_twc_slave_cfg_default(&cfg, se->address, SIM_TWC_V2);
            int32_t ca = se->max_ma / 10;
            cfg.max_ca = (uint16_t)(ca < 600 ? 600 : ca > 8000 ? 8000 : ca);
            cfg.linkready_first_ms = k++ * 300; /* not all at once on a half-duplex bus */
            /* the unit reads its first car's profile's no-load current */
            const struct fleet_car *first = NULL;
            for (size_t c = 0; c < sc->n_car && !first; c++) {
                first = sc->car[c].charger == (int)e ? &sc->car[c] : NULL;
            }
            cfg.noload_actual_ca = first ? (uint16_t)(first->p->noload_ma / 10) : 0;
            struct sim_car_cfg cc;
            sim_car_cfg_preset(&cc, "bmw-i3");
            if (first) {
                fleet_wire_car_cfg(sc, first, 1, &cc);
            }
            rc = sim_twc_slaves_add(&wb->set, &cfg, &cc, 0);
            if (rc >= 0) {
                w->slave[e] = sim_twc_slaves_find(&wb->set, se->address);
                sim_car_unplug(&w->slave[e]->car, 0);
                rc = 0;
            }
        }
        if (rc == 0) {
            struct sim_vbus_party pm = {.rx = amp_rx, .tx = amp_tx, .ctx = wb}, ps;
            sim_vbus_party_slaves(&ps, &wb->set);
            rc = sim_vbus_init(&wb->vb, &pm, &ps, 0);
            wb->up = rc == 0;
        }
    }
    if (rc != 0) {
        if (!err[0]) {
            snprintf(err, errlen, "wire mode: %s", strerror(-rc));
        }
        fleet_wire_free(w);
        return rc;
    }
    *out = w;
    return 0;
}

void fleet_wire_plug(
    struct fleet_wire *w, int evse, const struct fleet_car *c, double wanted_kwh, uint64_t now_ms)
{
    if (fleet_wire_mb_owns(w->mb, evse)) {
        fleet_wire_mb_plug(w->mb, evse, c, wanted_kwh, now_ms);
        return;
    }
    struct sim_twc_slave *s = w->slave[evse];
    struct sim_car_cfg cc;
    fleet_wire_car_cfg(w->sc, c, wanted_kwh, &cc);
    sim_car_init(&s->car, &cc, now_ms); /* a new car: init plugs it in */
}

void fleet_wire_unplug(struct fleet_wire *w, int evse, uint64_t now_ms)
{
    if (fleet_wire_mb_owns(w->mb, evse)) {
        fleet_wire_mb_unplug(w->mb, evse, now_ms);
        return;
    }
    sim_car_unplug(&w->slave[evse]->car, now_ms);
}

int fleet_wire_run(struct fleet_wire *w, uint64_t until_ms)
{
    /* all buses in lockstep: the one control loop's clock never goes backwards */
    while (w->now_ms < until_ms) {
        uint64_t t = w->now_ms + 1;
        for (size_t b = 0; b < w->n_bus; b++) {
            int rc = sim_vbus_run(&w->bus[b].vb, t, 1);
            if (rc != 0) {
                return rc;
            }
        }
        w->now_ms = t;
    }
    return 0;
}

void fleet_wire_read(struct fleet_wire *w, int evse, struct fleet_wire_reading *r)
{
    if (fleet_wire_mb_owns(w->mb, evse)) {
        fleet_wire_mb_read(w->mb, evse, w->now_ms, r);
        return;
    }
    const struct sim_twc_slave *s = w->slave[evse];
    r->offer_ma = s->limit_set && !s->contactor_open ? (int32_t)s->limit_ca * 10 : 0;
    bool plugged = s->car.phase != SIM_CAR_UNPLUGGED;
    r->draw_ma = plugged ? sim_car_draw_ma(&s->car) : 0;
    r->full = plugged && s->car.phase == SIM_CAR_FULL;
    r->delivered_kwh = plugged ? (double)sim_car_delivered_wh(&s->car) / 1000 : 0;
}

int fleet_wire_fault(struct fleet_wire *w, const struct fleet_fault *f, bool on, uint64_t now_ms)
{
    const struct site *site = w->sc->site;
    switch (f->kind) {
    case FLEET_FAULT_METER_SILENT:
        return w->mb ? fleet_wire_mb_silence(w->mb, site->meter[f->target].name, on) : -ENOENT;
    case FLEET_FAULT_EVSE_SILENT:
        return w->mb ? fleet_wire_mb_silence(w->mb, site->evse[f->target].name, on) : -ENOENT;
    case FLEET_FAULT_SLAVE_SILENT:
        sim_twc_slave_mute(w->slave[f->target], on);
        return 0;
    case FLEET_FAULT_SLAVE_REBOOT:
        sim_twc_slave_power(w->slave[f->target], now_ms, !on);
        return 0;
    default:
        return -ENOTSUP;
    }
}
