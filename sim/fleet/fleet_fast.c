/* SPDX-License-Identifier: MIT */
/*
 * Fast mode: the allocation engine (alloc_tick: the gateway's engine, policy and clamp) on the
 * fleet model, one tick every tick_ms of virtual time, no bytes. Each tick:
 *   1. arrivals and departures;
 *   2. the readings the gateway would have (each charger's current per conductor, the offer in
 *      force, meters per input, departure and energy where the driver tells) go into site_state;
 *   3. alloc_tick; its targets become the offers in force (no bus in between);
 *   4. each car moves towards min(offer - its gap, its charger's most) after its response
 *      delay, capped at once by its taper (sim_car_taper_ma, as wire mode's sim_car), or draws
 * nothing when full (but for a wake-up), paused, or, with the "does not resume" quirk, once paused
 * until re-plugged;
 *   5. the metrics, from the currents physically drawn (never from the commands).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "controller/engine/alloc.h"
#include "controller/engine/policy_loader.h"
#include "sim/fleet/fleet.h"
#include "sim/fleet/fleet_wire.h"
#include "sim/sim_car.h"

#define MIN_MA 6000 /* IEC 61851 / J1772: below this a car cannot charge */

struct car_st {
    bool plugged, done_session, full, dead; /* dead: paused with the no-resume quirk */
    bool was_charging;
    double soc;
    double kwh;
    int32_t draw, pending;
    uint64_t pending_at;
    uint64_t full_at;
    uint64_t wake_end;
    bool woke;
};

/* The profile's taper: the rule wire mode's sim_car follows (one copy, sim_car_taper_ma). */
static int32_t taper(const struct fleet_car *c, double soc)
{
    return sim_car_taper_ma(c->p->max_ma, c->p->taper_soc, c->p->taper_end_ma, soc);
}

/* What the car would draw now at this offer (before its response delay). */
static int32_t
desired(const struct fleet_car *c, struct car_st *s, int32_t offer, int32_t evse_max, uint64_t now)
{
    if (!s->plugged || s->dead) {
        return 0;
    }
    if (s->full) {
        if (c->wake_at_ms && !s->woke && now >= c->wake_at_ms) {
            s->woke = true;
            s->wake_end = now + c->wake_ms;
        }
        if (s->woke && now < s->wake_end && offer >= MIN_MA) {
            int32_t w = offer - c->p->gap_ma;
            return w < c->wake_ma ? w : c->wake_ma;
        }
        return 0;
    }
    if (offer < MIN_MA) {
        if (c->no_resume && s->draw > 0) {
            s->dead = true; /* paused: this car will not start again until re-plugged */
        }
        return 0;
    }
    int32_t d = offer - c->p->gap_ma;
    int32_t m = c->p->max_ma < evse_max ? c->p->max_ma : evse_max;
    return d < m ? d : m; /* the taper caps the draw itself (step 4) */
}

void fleet_result_free(struct fleet_result *res)
{
    free(res->peak_ma);
    free(res->charger);
    res->peak_ma = NULL;
    res->charger = NULL;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

/* Reclaim: one stop measured at a time (docs/scenarios.md, reclaim_s). */
struct reclaim {
    bool on;
    uint64_t t0;
    int64_t goal;
    double max;
};

/* Car k, drawing freed_ma, has just stopped (full) at at_ms: the others should take what they
 * can of it (their own, their charger's and their taper's limits). */
static void reclaim_begin(struct reclaim *rc,
                          const struct fleet_scenario *sc,
                          const struct car_st *cs,
                          size_t k,
                          int32_t freed_ma,
                          uint64_t at_ms)
{
    if (rc->on) {
        return;
    }
    int64_t tot = 0, head = 0;
    for (size_t j = 0; j < sc->n_car; j++) {
        if (j != k && cs[j].plugged && !cs[j].full && !cs[j].dead) {
            tot += cs[j].draw;
            int32_t own = sc->car[j].p->max_ma;
            int32_t emax = sc->site->evse[sc->car[j].charger].max_ma;
            int32_t tap = taper(&sc->car[j], cs[j].soc);
            own = own < emax ? own : emax;
            own = own < tap ? own : tap;
            own -= sc->car[j].p->gap_ma;
            head += own > cs[j].draw ? own - cs[j].draw : 0;
        }
    }
    int64_t freed = freed_ma < head ? freed_ma : head;
    if (freed >= 2000) {
        rc->on = true;
        rc->t0 = at_ms;
        rc->goal = tot + freed - 1000;
    }
}

/* Whether a fault of kind (or, for an EVSE, any silence) holds target silent now. */
static bool
silenced(const struct fleet_scenario *sc, const bool *on, enum fleet_fault_kind kind, int target)
{
    for (size_t f = 0; f < sc->n_fault; f++) {
        const struct fleet_fault *ft = &sc->fault[f];
        bool match = ft->kind == kind ||
                     (kind == FLEET_FAULT_SLAVE_SILENT && ft->kind == FLEET_FAULT_EVSE_SILENT);
        if (on[f] && match && ft->target == target) {
            return true;
        }
    }
    return false;
}

int fleet_run_paced(const struct fleet_scenario *sc,
                    const char *policy,
                    bool wire,
                    struct fleet_result *res,
                    fleet_tick_fn on_tick,
                    void *ctx,
                    const struct fleet_pace *pace,
                    char *err,
                    size_t errlen)
{
    memset(res, 0, sizeof(*res));
    clock_t c0 = clock();
    snprintf(res->policy, sizeof(res->policy), "%s", policy);
    const struct site *site = sc->site;
    size_t ne = site->n_evse, nc = site->n_circuit, ncar = sc->n_car;
    struct policy_handle ph;
    memset(&ph, 0, sizeof(ph));
    struct alloc *al = NULL;
    struct alloc_result *ar = NULL;
    struct site_state *st = NULL;
    struct fleet_wire *wi = NULL;
    int rc = policy_open(policy, &ph, err, errlen);
    if (rc == 0 && wire) {
        rc = fleet_wire_new(sc, ph.policy, &wi, err, errlen);
        if (rc == 0 && pace) {
            fleet_wire_set_pace(wi, pace->fn, pace->ctx); /* paced on its own clock */
        }
    } else if (rc == 0) {
        rc = alloc_new(site, ph.policy, &al, err, errlen);
    }
    if (rc == 0) {
        rc = alloc_result_new(site, &ar);
    }
    if (rc == 0) {
        rc = site_state_new(site, &st);
    }
    struct car_st *cs = calloc(ncar + 1, sizeof(*cs));
    int *occupant = malloc((ne + 1) * sizeof(int));
    int32_t *offer = calloc(ne + 1, sizeof(int32_t));
    int32_t(*ph_ma)[3] = calloc(ne + 1, sizeof(*ph_ma));
    int64_t(*circ)[3] = calloc(nc + 1, sizeof(*circ));
    double *ch_sum = calloc(ne + 1, sizeof(double)), *ch_n = calloc(ne + 1, sizeof(double));
    double *oi_sum = calloc(ne + 1, sizeof(double)), *oi_n = calloc(ne + 1, sizeof(double));
    double *ttf = calloc(ncar + 1, sizeof(double));
    res->peak_ma = calloc((nc + 1) * 3, sizeof(int32_t));
    res->charger = calloc(ne + 1, sizeof(*res->charger));
    if (rc == 0 && (!cs || !occupant || !offer || !ph_ma || !circ || !ch_sum || !ch_n || !oi_sum ||
                    !oi_n || !ttf || !res->peak_ma || !res->charger)) {
        snprintf(err, errlen, "out of memory");
        rc = -ENOMEM;
    }
    if (rc != 0) {
        goto out;
    }
    res->n_circuit = nc;
    for (size_t e = 0; e < ne; e++) {
        occupant[e] = -1;
        res->charger[e].max_a = 0;
    }
    double volt = site->voltage_v ? site->voltage_v : 230;
    double dt_h = sc->tick_ms / 3600000.0;
    struct reclaim rec = {.max = NAN};
    bool fault_on[16] = {false};
    for (size_t k = 0; k < ncar; k++) {
        res->requested_kwh += (sc->car[k].soc_target - sc->car[k].soc0) * sc->car[k].p->battery_kwh;
        cs[k].soc = sc->car[k].soc0;
    }
    res->sessions = ncar;
    for (uint64_t now = 0; now < sc->duration_ms; now += sc->tick_ms) {
        if (pace && !wi && now > 0 && (rc = pace->fn(pace->ctx, now - sc->tick_ms, now)) != 0) {
            snprintf(err, errlen, "stopped at %.3f s of %.3f s", (double)(now - sc->tick_ms) / 1000,
                     (double)sc->duration_ms / 1000);
            goto out;
        }
        /* 1. departures, then arrivals */
        for (size_t k = 0; k < ncar; k++) {
            const struct fleet_car *c = &sc->car[k];
            struct car_st *s = &cs[k];
            if (s->plugged && c->depart_ms && now >= c->depart_ms) {
                rec.on = false; /* the fleet changed: a reclaim under way is not measurable */
                s->plugged = false;
                if (wi) {
                    fleet_wire_unplug(wi, c->charger, now);
                }
                s->done_session = true;
                occupant[c->charger] = -1;
                s->draw = s->pending = 0;
            }
            if (!s->plugged && !s->done_session && now >= c->arrive_ms &&
                (!c->depart_ms || now < c->depart_ms) && occupant[c->charger] < 0) {
                rec.on = false;
                s->plugged = true;
                occupant[c->charger] = (int)k;
                s->full = s->soc >= c->soc_target;
                if (wi) {
                    fleet_wire_plug(wi, c->charger, c, (c->soc_target - s->soc) * c->p->battery_kwh,
                                    now);
                }
                s->pending_at = UINT64_MAX;
            }
        }
        /* faults begin and end (wire mode: on the simulated devices) */
        for (size_t f = 0; f < sc->n_fault; f++) {
            bool on = fleet_fault_active(&sc->fault[f], now);
            if (wi && on != fault_on[f]) {
                rc = fleet_wire_fault(wi, &sc->fault[f], on, now);
                if (rc != 0 && rc != -ENOTSUP) {
                    snprintf(err, errlen, "[fault %s]: %s", sc->fault[f].name, strerror(-rc));
                    goto out;
                }
                rc = 0;
            }
            fault_on[f] = on;
        }
        /* wire mode: the bus runs to now; what the units report is the fleet's state */
        if (wi) {
            rc = fleet_wire_run(wi, now);
            if (rc == -EINTR) {
                snprintf(err, errlen, "stopped before %.3f s of %.3f s", (double)now / 1000,
                         (double)sc->duration_ms / 1000);
                goto out;
            }
            if (rc != 0) {
                snprintf(err, errlen, "wire: %s", strerror(-rc));
                goto out;
            }
            for (size_t e = 0; e < ne; e++) {
                struct fleet_wire_reading r;
                fleet_wire_read(wi, (int)e, &r);
                offer[e] = r.offer_ma;
                int k = occupant[e];
                if (k < 0) {
                    continue;
                }
                const struct fleet_car *c = &sc->car[k];
                struct car_st *s = &cs[k];
                int32_t before = s->draw;
                s->draw = r.draw_ma;
                s->kwh = r.delivered_kwh;
                s->soc = c->soc0 + r.delivered_kwh / c->p->battery_kwh;
                if (r.full && !s->full) {
                    s->full = true;
                    s->full_at = now;
                    reclaim_begin(&rec, sc, cs, (size_t)k, before, now);
                }
            }
        }
        /* 2. readings (a silent device's are frozen: the engine sees them age) */
        for (size_t e = 0; e < ne; e++) {
            struct site_evse_input *in = &st->evse[e];
            const struct site_evse *se = &site->evse[e];
            int k = occupant[e];
            struct site_evse_input frozen = *in;
            memset(in, 0, sizeof(*in));
            in->offer_ma = offer[e];
            in->draw_at_ms = now + 1;
            in->energy_wanted_wh = -1;
            in->command_cap_ma = -1; /* no remote command caps a simulated charger */
            memset(ph_ma[e], 0, sizeof(ph_ma[e]));
            if (k < 0) {
                continue;
            }
            const struct fleet_car *c = &sc->car[k];
            struct car_st *s = &cs[k];
            in->connected = true;
            uint8_t n = c->p->phases < se->n_phases ? c->p->phases : se->n_phases;
            for (uint8_t i = 0; i < se->n_phases && i < 3; i++) {
                int32_t a = i < n ? s->draw : 0;
                if (i == 0 && s->draw == 0) {
                    a = c->p->noload_ma; /* what the unit reads with no load */
                }
                in->draw_ma[i] = a;
                if (se->phase_map[i] < 3) {
                    ph_ma[e][se->phase_map[i]] += a;
                }
            }
            if (c->tell) {
                in->departure_ms = c->depart_ms;
                double wh = (c->soc_target - s->soc) * c->p->battery_kwh * 1000;
                in->energy_wanted_wh = wh > 0 ? (int32_t)wh : 0;
            }
            if (!wi && silenced(sc, fault_on, FLEET_FAULT_SLAVE_SILENT, (int)e)) {
                *in = frozen;
            }
        }
        /* physical currents per circuit and phase (chargers and loads below it) */
        memset(circ, 0, (nc + 1) * sizeof(*circ));
        for (size_t e = 0; e < ne; e++) {
            for (int32_t c = site->evse[e].circuit; c >= 0; c = site->circuit[c].parent) {
                for (int p = 0; p < 3; p++) {
                    circ[c][p] += ph_ma[e][p];
                }
            }
        }
        for (size_t l = 0; l < sc->n_load; l++) {
            const struct fleet_load *ld = &sc->load[l];
            for (int32_t c = ld->circuit; c >= 0; c = site->circuit[c].parent) {
                for (int p = 0; p < 3; p++) {
                    circ[c][p] += fleet_load_ma(site, ld, now, p);
                }
            }
        }
        for (size_t m = 0; m < site->n_meter; m++) {
            const struct site_meter *sm = &site->meter[m];
            struct site_meter_input *mi = &st->meter[m];
            if (silenced(sc, fault_on, FLEET_FAULT_METER_SILENT, (int)m)) {
                continue; /* its last reading ages */
            }
            mi->at_ms = now + 1;
            for (uint8_t i = 0; i < sm->n_inputs && i < 3; i++) {
                uint8_t p = sm->phase_map[i] < 3 ? sm->phase_map[i] : 0;
                mi->current_ma[i] = sm->measures == CFG_MEASURES_EVSE
                                        ? ph_ma[sm->target][p]
                                        : (int32_t)circ[sm->target][p];
            }
        }
        /* 3. the engine (in wire mode the site's control loop runs it on the bus) */
        if (!wi) {
            rc = alloc_tick(al, st, now + 1, ar);
            if (rc != 0) {
                snprintf(err, errlen, "alloc_tick at %llu ms: %s", (unsigned long long)now,
                         strerror(-rc));
                goto out;
            }
            for (size_t e = 0; e < ne; e++) {
                /* a metered-only charger is nobody's to limit: its car takes what it wants */
                offer[e] =
                    site->evse[e].controllable ? ar->evse[e].target_ma : site->evse[e].max_ma;
            }
        }
        /* 5. metrics on the currents drawn this tick */
        bool over = false;
        for (size_t c = 0; c < nc; c++) {
            for (int p = 0; p < 3; p++) {
                int64_t x = circ[c][p] - site->circuit[c].rating_ma[p];
                if (site->circuit[c].rating_ma[p] > 0 && x > 0) {
                    over = true;
                    res->over_limit_as += (double)x / 1000 * sc->tick_ms / 1000;
                    res->max_over_a = x / 1000.0 > res->max_over_a ? x / 1000.0 : res->max_over_a;
                }
                if (circ[c][p] > res->peak_ma[c * 3 + (size_t)p]) {
                    res->peak_ma[c * 3 + (size_t)p] = (int32_t)circ[c][p];
                }
            }
        }
        if (over) {
            res->over_limit_s += sc->tick_ms / 1000.0;
        }
        double kw = (double)(circ[0][0] + circ[0][1] + circ[0][2]) / 1000 * volt / 1000;
        res->peak_kw = kw > res->peak_kw ? kw : res->peak_kw;
        size_t n_conn = 0, n_chg = 0;
        int only = -1;
        bool limited = false;
        for (size_t e = 0; e < ne; e++) {
            int k = occupant[e];
            if (k < 0) {
                continue;
            }
            n_conn++;
            if (cs[k].draw >= 1000) {
                n_chg++;
                only = (int)e;
                int32_t own = sc->car[k].p->max_ma < site->evse[e].max_ma ? sc->car[k].p->max_ma
                                                                          : site->evse[e].max_ma;
                if (offer[e] < own && cs[k].draw + sc->car[k].p->gap_ma + 1000 >= offer[e]) {
                    limited = true;
                }
            }
            ch_sum[e] += cs[k].draw / 1000.0;
            ch_n[e] += 1;
        }
        for (size_t e = 0; e < ne; e++) {
            int k = occupant[e];
            if (k >= 0 && cs[k].draw < 1000 && limited) {
                res->idle_waste_ah += offer[e] / 1000.0 * dt_h;
            }
        }
        if (n_chg == 1 && n_conn > 1) {
            oi_sum[only] += cs[occupant[only]].draw / 1000.0;
            oi_n[only] += 1;
        }
        /* 4. the cars follow */
        for (size_t k = 0; k < ncar; k++) {
            const struct fleet_car *c = &sc->car[k];
            struct car_st *s = &cs[k];
            if (!s->plugged) {
                continue;
            }
            int e = c->charger;
            if (!wi) { /* in wire mode the slave's car moves on the bus */
                int32_t want = desired(c, s, offer[e], site->evse[e].max_ma, now);
                if (want != s->pending) {
                    uint32_t delay = want < s->draw ? 1000
                                     : s->draw == 0 ? c->p->start_ms
                                                    : c->p->follow_ms;
                    s->pending = want;
                    s->pending_at = now + delay;
                }
                if (now + sc->tick_ms > s->pending_at) { /* it happens before the next tick */
                    s->draw = s->pending;
                    s->pending_at = UINT64_MAX;
                }
                if (s->full && s->draw > s->pending) {
                    s->draw = s->pending;
                }
                /* The battery's own limit, at once: kept out of the response delay, which a
                 * target that falls every tick (as the taper's does) would re-arm for ever. */
                int32_t tap = taper(c, s->soc);
                s->draw = s->draw < tap ? s->draw : tap;
                double kwh = s->draw / 1000.0 * volt * c->p->phases / 1000 * dt_h;
                if (!s->full && s->draw > 0) {
                    double room = (c->soc_target - s->soc) * c->p->battery_kwh;
                    kwh = kwh < room ? kwh : room;
                    s->soc += kwh / c->p->battery_kwh;
                    s->kwh += kwh;
                    if (s->soc >= c->soc_target - 1e-9) {
                        s->full = true;
                        s->full_at = now + sc->tick_ms;
                        /* a full car stops at once: the freed current is what reclaim measures */
                        reclaim_begin(&rec, sc, cs, k, s->draw, now + sc->tick_ms);
                        s->draw = s->pending = 0;
                    }
                }
            }
            res->charger[e].energy_kwh += s->draw / 1000.0 * volt * c->p->phases / 1000 * dt_h;
            if (s->draw / 1000.0 > res->charger[e].max_a) {
                res->charger[e].max_a = s->draw / 1000.0;
            }
        }
        if (rec.on) {
            int64_t tot = 0;
            for (size_t j = 0; j < ncar; j++) {
                if (cs[j].plugged && !cs[j].full) {
                    tot += cs[j].draw;
                }
            }
            if (tot >= rec.goal) {
                double r = (double)(now + sc->tick_ms - rec.t0) / 1000;
                rec.max = isnan(rec.max) || r > rec.max ? r : rec.max;
                rec.on = false;
            }
        }
        if (on_tick) {
            for (size_t e = 0; e < ne; e++) { /* the currents drawn after this tick's step */
                memset(ph_ma[e], 0, sizeof(ph_ma[e]));
                int k = occupant[e];
                if (k < 0) {
                    continue;
                }
                const struct site_evse *se = &site->evse[e];
                uint8_t n =
                    sc->car[k].p->phases < se->n_phases ? sc->car[k].p->phases : se->n_phases;
                for (uint8_t i = 0; i < n; i++) {
                    if (se->phase_map[i] < 3) {
                        ph_ma[e][se->phase_map[i]] += cs[k].draw;
                    }
                }
            }
            on_tick(ctx, now, (const int32_t(*)[3])ph_ma, ne);
        }
    }
    if (rec.on) { /* never reclaimed: counts to the end */
        double r = (double)(sc->duration_ms - rec.t0) / 1000;
        rec.max = isnan(rec.max) || r > rec.max ? r : rec.max;
    }
    res->reclaim_s = rec.max;
    double sx = 0, sx2 = 0;
    size_t nx = 0, nt = 0;
    for (size_t k = 0; k < ncar; k++) {
        const struct fleet_car *c = &sc->car[k];
        double req = (c->soc_target - c->soc0) * c->p->battery_kwh;
        res->delivered_kwh += cs[k].kwh;
        if (req - cs[k].kwh < 0.1) {
            res->served++;
        } else {
            res->unfinished++;
        }
        if (cs[k].full_at && req > 0) {
            ttf[nt++] = (double)(cs[k].full_at - c->arrive_ms) / 1000;
        }
        if (req > 0) {
            double x = cs[k].kwh / req;
            sx += x;
            sx2 += x * x;
            nx++;
        }
    }
    res->delivered_pct =
        res->requested_kwh > 0 ? 100 * res->delivered_kwh / res->requested_kwh : 100;
    res->jain = sx2 > 0 ? sx * sx / ((double)nx * sx2) : 1;
    if (nt) {
        double s = 0;
        for (size_t i = 0; i < nt; i++) {
            s += ttf[i];
        }
        res->mean_time_to_full_s = s / (double)nt;
        qsort(ttf, nt, sizeof(double), cmp_double);
        res->p95_time_to_full_s = ttf[(size_t)ceil(0.95 * (double)nt) - 1];
    }
    for (size_t e = 0; e < ne; e++) {
        snprintf(res->charger[e].name, sizeof(res->charger[e].name), "%s", site->evse[e].name);
        res->charger[e].mean_a = ch_n[e] > 0 ? ch_sum[e] / ch_n[e] : 0;
        res->charger[e].mean_a_others_idle = oi_n[e] > 0 ? oi_sum[e] / oi_n[e] : NAN;
    }
    res->n_charger = ne;
out:
    free(cs);
    free(occupant);
    free(offer);
    free(ph_ma);
    free(circ);
    free(ch_sum);
    free(ch_n);
    free(oi_sum);
    free(oi_n);
    free(ttf);
    site_state_free(st);
    alloc_result_free(ar);
    alloc_free(al);
    fleet_wire_free(wi);
    policy_close(&ph);
    res->run_s = (double)(clock() - c0) / CLOCKS_PER_SEC;
    if (rc != 0) {
        fleet_result_free(res);
    }
    return rc;
}

int fleet_run_fast(const struct fleet_scenario *sc,
                   const char *policy,
                   struct fleet_result *res,
                   fleet_tick_fn on_tick,
                   void *ctx,
                   char *err,
                   size_t errlen)
{
    return fleet_run_paced(sc, policy, false, res, on_tick, ctx, NULL, err, errlen);
}

int fleet_run_wire(const struct fleet_scenario *sc,
                   const char *policy,
                   struct fleet_result *res,
                   fleet_tick_fn on_tick,
                   void *ctx,
                   char *err,
                   size_t errlen)
{
    return fleet_run_paced(sc, policy, true, res, on_tick, ctx, NULL, err, errlen);
}
