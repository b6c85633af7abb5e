/* SPDX-License-Identifier: MIT */
/*
 * Wire mode (fleet_wire.h). The parties on the one event-time clock, in the order they are
 * serviced at a given millisecond (sim/sim_sched.h):
 *   the control tick                     (sim_gw: ctl, ctl_twc)
 *   per [bus]: its wire                  (sim_vbus: bytes in flight at 9600 8N1)
 *              ampshare's master         (sim_gw: twc_bus over tp_link over the bus's port)
 *              the simulated slaves      (sim_twc_slaves, a sim_car behind each)
 * Simulated meters and Modbus EVSEs (fleet_wire_mb.h) are read and written by the controller's
 * Modbus adapter on every controller step, in memory, at the step's time.
 */
#include "sim/fleet/fleet_wire.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/ctl_twc.h"
#include "drivers/twc/twc_master.h"
#include "sim/fleet/fleet_rival.h"
#include "sim/fleet/fleet_wire_mb.h"
#include "sim/sim_gw.h"
#include "sim/sim_sched.h"
#include "sim/sim_vbus.h"

struct wbus {
    struct sim_twc_slaves set;
    struct sim_vbus vb;
    int port_slaves;
    bool up;
    struct fleet_rival rival; /* a [fault] second_master on this bus */
    bool has_rival;
};

struct fleet_wire {
    const struct fleet_scenario *sc;
    struct sim_sched sched; /* one clock for every party */
    struct sim_gw *gw;      /* the gateway's half: the site controller and its masters */
    struct wbus *bus;
    size_t n_bus;
    struct sim_twc_slave **slave; /* per site EVSE */
    int *slave_bus;               /* per site EVSE: its bus */
    struct fleet_wire_mb *mb;     /* meters and third-party EVSEs, or NULL */
};

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
    fleet_wire_mb_free(w->mb); /* before the controller it is attached to */
    sim_gw_free(w->gw);
    for (size_t b = 0; b < w->n_bus; b++) {
        if (w->bus[b].up) {
            sim_vbus_fini(&w->bus[b].vb);
        }
    }
    free(w->bus);
    free(w->slave);
    free(w->slave_bus);
    free(w);
}

/* True when id is taken on bus b: a fixed address, a slave made already, or our master's ID. */
static bool id_taken(const struct fleet_wire *w, size_t b, uint16_t id)
{
    const struct site *site = w->sc->site;
    for (size_t e = 0; e < site->n_evse; e++) {
        const struct site_evse *se = &site->evse[e];
        if ((size_t)se->bus == b && !se->address_auto && se->address == id) {
            return true;
        }
    }
    uint16_t master;
    uint8_t sign;
    (void)ctl_twc_pick_master(site, b, CTL_TWC_BUS_SEED(w->sc->seed, b), &master, &sign);
    return id == master || sim_twc_slaves_find(&w->bus[b].set, id) != NULL;
}

/*
 * The ID of the unit behind an `address = auto` Wall Connector: a real unit's is random (§4.1);
 * here it is drawn from the scenario's seed and the charger, so runs repeat. The gateway binds
 * it as it binds any unknown slave (ctl_twc: the first free auto place, in the order they link),
 * and the units link in site order (staggered linkreadies), so each lands on its own section.
 */
static uint16_t auto_id(const struct fleet_wire *w, size_t b, size_t e)
{
    uint16_t id;
    uint8_t sign;
    for (uint64_t k = 0;; k++) {
        twc_master_pick_id(w->sc->seed * 0x9E3779B1u + e * 131u + k, &id, &sign);
        if (!id_taken(w, b, id)) {
            return id;
        }
    }
}

/* A simulated slave for every Wall Connector of bus b, each with its car unplugged. */
static int add_slaves(struct fleet_wire *w, size_t b)
{
    const struct fleet_scenario *sc = w->sc;
    const struct site *site = sc->site;
    struct wbus *wb = &w->bus[b];
    sim_twc_slaves_init(&wb->set);
    uint32_t k = 0;
    for (size_t e = 0; e < site->n_evse; e++) {
        const struct site_evse *se = &site->evse[e];
        if ((size_t)se->bus != b) {
            continue;
        }
        uint16_t id = se->address_auto ? auto_id(w, b, e) : se->address;
        struct sim_twc_slave_cfg cfg;
        sim_twc_slave_cfg_default(&cfg, id, SIM_TWC_V2);
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
        int rc = sim_twc_slaves_add(&wb->set, &cfg, &cc, 0);
        if (rc < 0) {
            return rc;
        }
        w->slave[e] = sim_twc_slaves_find(&wb->set, id);
        w->slave_bus[e] = (int)b;
        sim_car_unplug(&w->slave[e]->car, 0);
    }
    return 0;
}

/* The rotary setting a rival native master on bus b would have: its first unit's circuit. */
static int32_t rival_circuit_ma(const struct site *site, size_t b)
{
    for (size_t e = 0; e < site->n_evse; e++) {
        if (site->evse[e].kind == SITE_EVSE_WALL_CONNECTOR && (size_t)site->evse[e].bus == b) {
            const int32_t *r = site->circuit[site->evse[e].circuit].rating_ma;
            return r[0] > r[1] ? (r[0] > r[2] ? r[0] : r[2]) : (r[1] > r[2] ? r[1] : r[2]);
        }
    }
    return 6000;
}

/* Bus b's parties: its wire, ampshare's master, the slaves (and a rival master for a fault). */
static int add_bus(struct fleet_wire *w, size_t b)
{
    struct wbus *wb = &w->bus[b];
    int rc = add_slaves(w, b);
    if (rc == 0) {
        rc = sim_vbus_init(&wb->vb, &w->sched, w->sc->site->bus[b].name, SIM_VBUS_BAUD);
        wb->up = rc == 0;
    }
    if (rc == 0) {
        rc = sim_gw_attach_bus(w->gw, b, &wb->vb);
    }
    if (rc == 0) {
        wb->port_slaves = sim_vbus_add_slaves(&wb->vb, &wb->set);
        rc = wb->port_slaves < 0 ? wb->port_slaves : 0;
    }
    for (size_t f = 0; rc == 0 && f < w->sc->n_fault; f++) {
        const struct fleet_fault *ft = &w->sc->fault[f];
        if (ft->kind == FLEET_FAULT_SECOND_MASTER && (size_t)ft->target == b && !wb->has_rival) {
            rc = fleet_rival_add(&wb->rival, &wb->vb, rival_circuit_ma(w->sc->site, b));
            wb->has_rival = rc == 0;
        }
    }
    return rc;
}

int fleet_wire_new(const struct fleet_scenario *sc,
                   const struct ampshare_policy *policy,
                   struct fleet_wire **out,
                   char *err,
                   size_t errlen)
{
    const struct site *site = sc->site;
    int rc;
    struct fleet_wire *w = calloc(1, sizeof(*w));
    if (!w) {
        return -ENOMEM;
    }
    w->sc = sc;
    w->n_bus = site->n_bus;
    w->bus = calloc(site->n_bus + 1, sizeof(*w->bus));
    w->slave = calloc(site->n_evse + 1, sizeof(*w->slave));
    w->slave_bus = calloc(site->n_evse + 1, sizeof(*w->slave_bus));
    sim_sched_init(&w->sched, 0);
    rc = w->bus && w->slave && w->slave_bus
             ? sim_gw_new(site, policy, sc->seed, &w->sched, &w->gw, err, errlen)
             : -ENOMEM;
    for (size_t b = 0; rc == 0 && b < site->n_bus; b++) {
        rc = add_bus(w, b);
    }
    if (rc == 0 && fleet_wire_mb_needed(site)) {
        rc = fleet_wire_mb_new(sc, sim_gw_ctl(w->gw), sc->modbus_loopback, wc_draw, w, &w->mb, err,
                               errlen);
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

/* A car came or went: the slaves report it from their next service on. */
static void wake_slaves(struct fleet_wire *w, int evse, uint64_t now_ms)
{
    struct wbus *wb = &w->bus[w->slave_bus[evse]];
    sim_vbus_wake(&wb->vb, wb->port_slaves, now_ms);
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
    sim_twc_slave_car_changed(s);
    wake_slaves(w, evse, now_ms);
}

void fleet_wire_unplug(struct fleet_wire *w, int evse, uint64_t now_ms)
{
    if (fleet_wire_mb_owns(w->mb, evse)) {
        fleet_wire_mb_unplug(w->mb, evse, now_ms);
        return;
    }
    sim_car_unplug(&w->slave[evse]->car, now_ms);
    sim_twc_slave_car_changed(w->slave[evse]);
    wake_slaves(w, evse, now_ms);
}

struct sim_sched *fleet_wire_sched(struct fleet_wire *w)
{
    return &w->sched;
}

uint64_t fleet_wire_collisions(const struct fleet_wire *w)
{
    uint64_t n = 0;
    for (size_t b = 0; b < w->n_bus; b++) {
        n += w->bus[b].vb.stats.collisions;
    }
    return n;
}

void fleet_wire_set_pace(struct fleet_wire *w, sim_sched_pace_fn *fn, void *ctx)
{
    sim_sched_set_pace(&w->sched, fn, ctx);
}

int fleet_wire_run(struct fleet_wire *w, uint64_t until_ms)
{
    int rc = sim_sched_run(&w->sched, until_ms);
    /* the units as they are now: every car's draw and energy up to until_ms */
    for (size_t e = 0; rc == 0 && e < w->sc->site->n_evse; e++) {
        if (!w->slave[e]) {
            continue; /* a third-party EVSE: fleet_wire_read brings it to the time */
        }
        struct sim_twc_slave_view v;
        sim_twc_slave_view(w->slave[e], until_ms, &v);
    }
    return rc;
}

void fleet_wire_read(struct fleet_wire *w, int evse, struct fleet_wire_reading *r)
{
    if (fleet_wire_mb_owns(w->mb, evse)) {
        fleet_wire_mb_read(w->mb, evse, w->sched.now_ms, r);
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
        wake_slaves(w, f->target, now_ms);
        return 0;
    case FLEET_FAULT_SLAVE_REBOOT:
        sim_twc_slave_power(w->slave[f->target], now_ms, !on);
        wake_slaves(w, f->target, now_ms);
        return 0;
    case FLEET_FAULT_SECOND_MASTER:
        if (!w->bus[f->target].has_rival) {
            return -ENOENT;
        }
        fleet_rival_set(&w->bus[f->target].rival, on, now_ms);
        return 0;
    default:
        return -ENOTSUP;
    }
}
