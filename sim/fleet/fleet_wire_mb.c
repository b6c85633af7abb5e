/* SPDX-License-Identifier: MIT */
/* Wire mode's Modbus side (fleet_wire_mb.h). */
#include "sim/fleet/fleet_wire_mb.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "controller/ctl_mb.h"
#include "drivers/modbus/mb_clock.h"
#include "drivers/modbus/mb_evse.h"
#include "drivers/modbus/mb_maps.h"
#include "sim/fleet/fleet_wire.h"
#include "sim/sim_evse.h"
#include "sim/sim_meter.h"

struct line { /* one simulated Modbus line per site transport */
    struct fleet_wire_mb *m;
    char transport[CFG_TEXT_MAX];
    struct sim_mbsrv *srv;
};

/* Where a simulated device answers: a unit on a line. */
struct place {
    struct line *line; /* NULL: not simulated */
    uint8_t unit;
};

struct meter {
    struct place at;
    struct mb_map_custom custom; /* a generic map's home */
    struct sim_meter *sim;
    int32_t shown[3];
    bool any;
};

struct evse { /* a third-party EVSE and the car in it */
    bool owned;
    struct place at;              /* no line: metered only (no control line) */
    struct mb_evse_custom custom; /* a generic model's home */
    struct sim_evse *sim;         /* NULL: metered only */
    struct sim_car car;
    bool plugged;
    int32_t offer_ma;
};

struct fleet_wire_mb {
    const struct fleet_scenario *sc;
    struct ctl *ctl;
    struct ctl_mb *mb;
    bool adapter;
    bool loopback;
    fleet_wire_mb_wc_fn *wc_draw;
    void *wc_ctx;
    struct line *line;
    size_t n_line;
    struct meter *meter; /* [n_meter] */
    struct evse *evse;   /* [n_evse] */
    uint64_t now_ms;
    uint64_t mono0_ms; /* loopback: the wall clock at virtual 0 */
    struct mb_clock clock;
};

void fleet_wire_car_cfg(const struct fleet_scenario *sc,
                        const struct fleet_car *c,
                        double kwh,
                        struct sim_car_cfg *cc)
{
    /* sim_car's Tesla or non-Tesla (no VIN) with the profile's charger, phases, under-draw,
     * battery and taper; it arrives at the SoC that leaves kwh to its target (as fast mode's car,
     * whose state of charge is soc_target - kwh / battery at plug-in). */
    bool tesla = strncmp(c->p->name, "tesla", 5) == 0;
    sim_car_cfg_preset(cc, tesla ? "tesla" : "bmw-i3");
    cc->max_ma = c->p->max_ma;
    cc->phases = c->p->phases;
    cc->offset_ma = c->p->gap_ma;
    cc->voltage_v = sc->site->voltage_v ? sc->site->voltage_v : 230;
    cc->energy_wanted_wh = (int64_t)(kwh * 1000);
    cc->full_wake_at_ms = c->wake_at_ms; /* fast mode's wake-up, the same rule */
    cc->full_wake_ma = c->wake_ma;
    cc->full_wake_for_ms = c->wake_ms;
    double soc0 = c->soc_target - kwh / c->p->battery_kwh;
    cc->battery_kwh = c->p->battery_kwh;
    cc->soc0 = soc0 < 0 ? 0 : soc0 > 1 ? 1 : soc0;
    cc->taper_soc = c->p->taper_soc;
    cc->taper_end_ma = c->p->taper_end_ma;
}

bool fleet_wire_mb_needed(const struct site *site)
{
    for (size_t e = 0; e < site->n_evse; e++) {
        if (site->evse[e].kind == SITE_EVSE_THIRD_PARTY) {
            return true;
        }
    }
    return site->n_meter > 0;
}

/* ---- physics ---- */

/* The current each supply phase carries for site EVSE e now. */
static void evse_phases(struct fleet_wire_mb *m, size_t e, int32_t ph[3])
{
    const struct site_evse *se = &m->sc->site->evse[e];
    int32_t draw = 0;
    uint8_t phases = 1;
    if (m->evse[e].owned) {
        if (m->evse[e].plugged) {
            sim_car_step(&m->evse[e].car, m->now_ms);
            draw = sim_car_draw_ma(&m->evse[e].car);
        }
        phases = (uint8_t)m->evse[e].car.cfg.phases;
    } else if (m->wc_draw) {
        draw = m->wc_draw(m->wc_ctx, (int)e, &phases);
    }
    uint8_t n = phases < se->n_phases ? phases : se->n_phases;
    for (uint8_t i = 0; i < n && i < 3; i++) {
        if (se->phase_map[i] < 3) {
            ph[se->phase_map[i]] += draw;
        }
    }
}

static bool under(const struct site *site, int32_t c, int32_t target)
{
    for (; c >= 0; c = site->circuit[c].parent) {
        if (c == target) {
            return true;
        }
    }
    return false;
}

/* What meter i measures now, per supply phase: its EVSE, or everything under its circuit. */
static void measure(struct fleet_wire_mb *m, size_t i, int32_t ph[3])
{
    const struct site *site = m->sc->site;
    const struct site_meter *sm = &site->meter[i];
    memset(ph, 0, 3 * sizeof(*ph));
    if (sm->measures == CFG_MEASURES_EVSE) {
        evse_phases(m, (size_t)sm->target, ph);
        return;
    }
    for (size_t e = 0; e < site->n_evse; e++) {
        if (under(site, site->evse[e].circuit, sm->target)) {
            evse_phases(m, e, ph);
        }
    }
    for (size_t l = 0; l < m->sc->n_load; l++) {
        const struct fleet_load *ld = &m->sc->load[l];
        for (int p = 0; p < 3 && under(site, ld->circuit, sm->target); p++) {
            ph[p] += fleet_load_ma(site, ld, m->now_ms, p);
        }
    }
}

/* Meter i shows what it measures now. */
static void show_meter(struct fleet_wire_mb *m, size_t i)
{
    const struct site *site = m->sc->site;
    int32_t ph[3], in[3] = {0, 0, 0};
    measure(m, i, ph);
    for (uint8_t k = 0; k < site->meter[i].n_inputs && k < 3; k++) {
        uint8_t p = site->meter[i].phase_map[k];
        in[k] = p < 3 ? ph[p] : 0;
    }
    struct meter *mt = &m->meter[i];
    if (!mt->any || memcmp(in, mt->shown, sizeof(in)) != 0) {
        mt->any = sim_meter_set_currents(mt->sim, in) == 0;
        memcpy(mt->shown, in, sizeof(in));
    }
}

/* An EVSE's car follows what its registers allow now. */
static void follow(struct fleet_wire_mb *m, size_t e)
{
    struct evse *ev = &m->evse[e];
    int32_t offer = m->sc->site->evse[e].max_ma; /* metered only: nothing limits the car */
    if (ev->sim) {
        struct sim_evse_view v;
        if (sim_evse_tick(ev->sim, m->now_ms, &v) == 0) {
            offer = v.draw_ma; /* the car's maximum is the model's: this is what is allowed */
        }
    }
    if (!ev->plugged) {
        ev->offer_ma = offer;
        return;
    }
    if (offer != ev->offer_ma) {
        sim_car_step(&ev->car, m->now_ms);
        sim_car_set_offer(&ev->car, m->now_ms, offer);
        ev->offer_ma = offer;
    }
    sim_car_step(&ev->car, m->now_ms);
}

void fleet_wire_mb_advance(struct fleet_wire_mb *m, uint64_t now_ms)
{
    if (!m || now_ms <= m->now_ms) {
        return;
    }
    m->now_ms = now_ms;
    if (!m->loopback) {
        return; /* in memory each device catches up when it is read or written */
    }
    for (size_t e = 0; e < m->sc->site->n_evse; e++) {
        if (m->evse[e].owned) {
            follow(m, e);
        }
    }
    for (size_t i = 0; i < m->sc->site->n_meter; i++) {
        show_meter(m, i);
    }
}

/* ---- the lines ---- */

static bool is_at(const struct place *p, const struct line *ln, uint8_t unit)
{
    return p->line == ln && p->unit == unit;
}

/* The EVSE (evse_on) or the meter (meter_on) that answers at unit on ln, or -1. A unit has one
 * device: the line refuses a second one. */
static int evse_on(const struct line *ln, uint8_t unit)
{
    for (size_t e = 0; e < ln->m->sc->site->n_evse; e++) {
        if (is_at(&ln->m->evse[e].at, ln, unit)) {
            return (int)e;
        }
    }
    return -1;
}

static int meter_on(const struct line *ln, uint8_t unit)
{
    for (size_t i = 0; i < ln->m->sc->site->n_meter; i++) {
        if (is_at(&ln->m->meter[i].at, ln, unit)) {
            return (int)i;
        }
    }
    return -1;
}

/* In memory a write reaches the EVSE's car at once (a real box applies it within its cycle). */
static void written(struct line *ln, uint8_t unit, int rc)
{
    int e = rc == 0 ? evse_on(ln, unit) : -1;
    if (e >= 0) {
        follow(ln->m, (size_t)e);
    }
}

/* Before a read the device of the unit is where it is now: an EVSE's watchdog may have run
 * out, a meter shows its present currents. */
static void reading(struct line *ln, uint8_t unit)
{
    int e = evse_on(ln, unit), i = meter_on(ln, unit);
    if (e >= 0) {
        follow(ln->m, (size_t)e);
    }
    if (i >= 0) {
        show_meter(ln->m, (size_t)i);
    }
}

static int
ln_read_regs(void *ctx, uint8_t unit, uint8_t fc, uint16_t addr, uint16_t n, uint16_t *dst)
{
    struct line *ln = ctx;
    reading(ln, unit);
    return sim_mbsrv_mem_ops.read_regs(ln->srv, unit, fc, addr, n, dst);
}

static int ln_read_coils(void *ctx, uint8_t unit, uint16_t addr, uint16_t n, uint8_t *dst)
{
    struct line *ln = ctx;
    reading(ln, unit);
    return sim_mbsrv_mem_ops.read_coils(ln->srv, unit, addr, n, dst);
}

static int
ln_write_regs(void *ctx, uint8_t unit, uint8_t fc, uint16_t addr, uint16_t n, const uint16_t *src)
{
    struct line *ln = ctx;
    int rc = sim_mbsrv_mem_ops.write_regs(ln->srv, unit, fc, addr, n, src);
    written(ln, unit, rc);
    return rc;
}

static int ln_write_coil(void *ctx, uint8_t unit, uint16_t addr, bool on)
{
    struct line *ln = ctx;
    int rc = sim_mbsrv_mem_ops.write_coil(ln->srv, unit, addr, on);
    written(ln, unit, rc);
    return rc;
}

static const struct mb_bus_mem_ops line_ops = {
    .read_regs = ln_read_regs,
    .read_coils = ln_read_coils,
    .write_regs = ln_write_regs,
    .write_coil = ln_write_coil,
};

static struct line *find_line(struct fleet_wire_mb *m, const char *transport)
{
    for (size_t i = 0; i < m->n_line; i++) {
        if (strcmp(m->line[i].transport, transport) == 0) {
            return &m->line[i];
        }
    }
    return NULL;
}

static int resolve(void *ctx, const char *transport, struct ctl_mb_line *out)
{
    struct fleet_wire_mb *m = ctx;
    struct line *ln = find_line(m, transport);
    if (!ln) {
        return -ENOENT;
    }
    if (m->loopback) {
        snprintf(out->addr, sizeof(out->addr), "%s", sim_mbsrv_client_addr(ln->srv));
    } else {
        out->mem = &line_ops;
        out->mem_ctx = ln;
    }
    return 0;
}

/* Places a device at unit on the line of transport, the line made on first use. Returns 0, or a
 * negative code and err. */
static int place(struct fleet_wire_mb *m,
                 const char *transport,
                 uint32_t unit,
                 struct place *at,
                 char *err,
                 size_t errlen)
{
    at->unit = (uint8_t)unit;
    at->line = find_line(m, transport);
    if (at->line) {
        return 0;
    }
    struct line *ln = &m->line[m->n_line];
    ln->m = m;
    snprintf(ln->transport, sizeof(ln->transport), "%s", transport);
    int rc;
    if (m->loopback) {
        struct tp_addr a;
        char msg[160];
        rc = tp_addr_parse_listen("tcp://127.0.0.1:0", &a, msg, sizeof(msg));
        rc = rc == 0 ? sim_mbsrv_new(&a, &ln->srv, err, errlen) : rc;
        rc = rc == 0 ? sim_mbsrv_start(ln->srv) : rc;
    } else {
        rc = sim_mbsrv_new_mem(transport, &ln->srv);
    }
    if (rc < 0) {
        if (!err[0]) {
            snprintf(err, errlen, "simulated line for %s: %s", transport, strerror(-rc));
        }
        sim_mbsrv_free(ln->srv);
        ln->srv = NULL;
        return rc;
    }
    m->n_line++;
    at->line = ln;
    return 0;
}

/* rc of the simulated device [kind name] made at its place; on failure err says why. */
static int
placed(int rc, const char *kind, const char *name, const struct place *at, char *err, size_t errlen)
{
    if (rc < 0) {
        snprintf(err, errlen, "wire mode: [%s %s]: unit %u on %s: %s", kind, name,
                 (unsigned)at->unit, at->line->transport, rc == -EEXIST ? "taken" : strerror(-rc));
    }
    return rc;
}

/* ---- the controller's side ---- */

static void on_service(void *self, struct ctl *c, uint64_t now_ms)
{
    (void)c;
    struct fleet_wire_mb *m = self;
    fleet_wire_mb_pace(m, now_ms);
    fleet_wire_mb_advance(m, now_ms);
}

/* Registered before ctl_mb: the devices are where they are at now_ms before it polls them. */
static const struct ctl_adapter_ops sim_ops = {
    .name = "sim-modbus",
    .service = on_service,
};

static uint64_t virt_now(void *ctx)
{
    const struct fleet_wire_mb *m = ctx;
    return mb_clock_monotonic_ms() - m->mono0_ms;
}

static void virt_sleep(void *ctx, uint32_t ms)
{
    (void)ctx;
    mb_clock_monotonic.sleep_ms(mb_clock_monotonic.ctx, ms);
}

void fleet_wire_mb_pace(struct fleet_wire_mb *m, uint64_t now_ms)
{
    if (!m || !m->loopback) {
        return;
    }
    uint64_t wall = mb_clock_monotonic_ms() - m->mono0_ms;
    if (now_ms > wall) {
        mb_clock_monotonic.sleep_ms(mb_clock_monotonic.ctx, (uint32_t)(now_ms - wall));
    }
}

static int add_meter(struct fleet_wire_mb *m, size_t i, char *err, size_t errlen)
{
    const struct site_meter *sm = &m->sc->site->meter[i];
    /* the map ampshare reads it with, generic ones included: the device serves that table */
    const struct mb_map *map = ctl_mb_meter_map(sm, &m->meter[i].custom, err, errlen);
    if (!map) {
        return -EINVAL;
    }
    struct place *at = &m->meter[i].at;
    int rc = place(m, sm->transport, sm->unit_id, at, err, errlen);
    if (rc < 0) {
        return rc;
    }
    const struct site_evse *own = sm->measures == CFG_MEASURES_EVSE && sm->target >= 0
                                      ? &m->sc->site->evse[sm->target]
                                      : NULL;
    if (own && !strcmp(own->control, "modbus") && own->control_unit_id == sm->unit_id &&
        !strcmp(own->control_transport, sm->transport)) {
        /* a wallbox's own meter (a Heidelberg's): one unit answers for both, as the box does */
        sim_mbsrv_share_unit(at->line->srv, at->unit);
    }
    rc = sim_meter_new(at->line->srv, at->unit, map, &m->meter[i].sim);
    return placed(rc, "meter", sm->name, at, err, errlen);
}

static int add_evse(struct fleet_wire_mb *m, size_t e, char *err, size_t errlen)
{
    const struct site_evse *se = &m->sc->site->evse[e];
    struct evse *ev = &m->evse[e];
    ev->owned = true;
    if (!se->controllable) {
        return 0; /* metered only: a car in it is a load its meter shows */
    }
    if (strcmp(se->control, "modbus") != 0) {
        snprintf(err, errlen,
                 "wire mode: [evse %s]: control = %s is not simulated (Modbus EVSEs and Wall "
                 "Connectors are); use --fast",
                 se->name, se->control);
        return -ENOTSUP;
    }
    const struct mb_evse_model *model = ctl_mb_evse_model(se, &ev->custom, err, errlen);
    if (!model) {
        return -EINVAL;
    }
    int rc = place(m, se->control_transport, se->control_unit_id, &ev->at, err, errlen);
    if (rc < 0) {
        return rc;
    }
    struct sim_evse_cfg cfg = {
        .model = model,
        .unit = ev->at.unit,
        .car = false,
        .car_max_ma = model->max_ma,
        .phases = se->n_phases,
    };
    rc = sim_evse_new(ev->at.line->srv, &cfg, &ev->sim);
    return placed(rc, "evse", se->name, &ev->at, err, errlen);
}

int fleet_wire_mb_new(const struct fleet_scenario *sc,
                      struct ctl *ctl,
                      bool loopback,
                      fleet_wire_mb_wc_fn *wc_draw,
                      void *wc_ctx,
                      struct fleet_wire_mb **out,
                      char *err,
                      size_t errlen)
{
    *out = NULL;
    const struct site *site = sc->site;
    struct fleet_wire_mb *m = calloc(1, sizeof(*m));
    if (!m) {
        return -ENOMEM;
    }
    m->sc = sc;
    m->ctl = ctl;
    m->loopback = loopback;
    m->wc_draw = wc_draw;
    m->wc_ctx = wc_ctx;
    m->mono0_ms = mb_clock_monotonic_ms();
    m->clock = (struct mb_clock){.now_ms = virt_now, .sleep_ms = virt_sleep, .ctx = m};
    m->line = calloc(site->n_meter + site->n_evse + 1, sizeof(*m->line));
    m->meter = calloc(site->n_meter + 1, sizeof(*m->meter));
    m->evse = calloc(site->n_evse + 1, sizeof(*m->evse));
    int rc = m->line && m->meter && m->evse ? 0 : -ENOMEM;
    for (size_t i = 0; rc == 0 && i < site->n_meter; i++) {
        rc = add_meter(m, i, err, errlen);
    }
    for (size_t e = 0; rc == 0 && e < site->n_evse; e++) {
        if (site->evse[e].kind == SITE_EVSE_THIRD_PARTY) {
            rc = add_evse(m, e, err, errlen);
        }
    }
    if (rc == 0) {
        rc = ctl_add_adapter(ctl, &sim_ops, m);
        m->adapter = rc == 0;
    }
    if (rc == 0) {
        rc = ctl_mb_new_sim(site, loopback ? &m->clock : NULL, resolve, m, &m->mb, err, errlen);
    }
    if (rc == 0) {
        rc = ctl_mb_attach(m->mb, ctl);
    }
    if (rc != 0) {
        if (!err[0]) {
            snprintf(err, errlen, "wire mode (Modbus): %s", strerror(-rc));
        }
        fleet_wire_mb_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

void fleet_wire_mb_free(struct fleet_wire_mb *m)
{
    if (!m) {
        return;
    }
    ctl_mb_free(m->mb); /* first: its last setpoints still go out on the lines */
    if (m->adapter) {
        ctl_remove_adapter(m->ctl, m);
    }
    for (size_t e = 0; m->evse && e < m->sc->site->n_evse; e++) {
        sim_evse_free(m->evse[e].sim);
    }
    for (size_t i = 0; m->meter && i < m->sc->site->n_meter; i++) {
        sim_meter_free(m->meter[i].sim);
    }
    for (size_t i = 0; i < m->n_line; i++) {
        sim_mbsrv_free(m->line[i].srv);
    }
    free(m->line);
    free(m->meter);
    free(m->evse);
    free(m);
}

bool fleet_wire_mb_owns(const struct fleet_wire_mb *m, int evse)
{
    return m && evse >= 0 && (size_t)evse < m->sc->site->n_evse && m->evse[evse].owned;
}

void fleet_wire_mb_plug(
    struct fleet_wire_mb *m, int evse, const struct fleet_car *c, double kwh, uint64_t now_ms)
{
    struct evse *ev = &m->evse[evse];
    fleet_wire_mb_advance(m, now_ms);
    struct sim_car_cfg cc;
    fleet_wire_car_cfg(m->sc, c, kwh, &cc);
    if (sim_car_init(&ev->car, &cc, now_ms) != 0) {
        return;
    }
    ev->plugged = true;
    if (ev->sim) {
        sim_evse_set_car(ev->sim, true);
    }
    ev->offer_ma = -1; /* the car learns the offer at the next step */
    follow(m, (size_t)evse);
}

void fleet_wire_mb_unplug(struct fleet_wire_mb *m, int evse, uint64_t now_ms)
{
    struct evse *ev = &m->evse[evse];
    fleet_wire_mb_advance(m, now_ms);
    if (ev->plugged) {
        sim_car_unplug(&ev->car, now_ms);
    }
    ev->plugged = false;
    if (ev->sim) {
        sim_evse_set_car(ev->sim, false);
    }
    follow(m, (size_t)evse);
}

void fleet_wire_mb_read(struct fleet_wire_mb *m,
                        int evse,
                        uint64_t now_ms,
                        struct fleet_wire_reading *r)
{
    fleet_wire_mb_advance(m, now_ms);
    follow(m, (size_t)evse);
    const struct evse *ev = &m->evse[evse];
    r->offer_ma = ev->offer_ma > 0 ? ev->offer_ma : 0;
    r->draw_ma = ev->plugged ? sim_car_draw_ma(&ev->car) : 0;
    r->full = ev->plugged && ev->car.phase == SIM_CAR_FULL;
    r->delivered_kwh = ev->plugged ? (double)sim_car_delivered_wh(&ev->car) / 1000 : 0;
}

int fleet_wire_mb_silence(struct fleet_wire_mb *m, const char *name, bool silent)
{
    const struct site *site = m->sc->site;
    int i = site_find_meter(site, name), e = site_find_evse(site, name);
    const struct place *at = i >= 0 ? &m->meter[i].at : e >= 0 ? &m->evse[e].at : NULL;
    if (!at || !at->line) {
        return -ENOENT;
    }
    return sim_mbsrv_set_unit_fault(at->line->srv, at->unit,
                                    silent ? SIM_MB_FAULT_SILENT : SIM_MB_FAULT_NONE, 0);
}
