/* SPDX-License-Identifier: MIT */
/* The Wall Connector control loop: masters in, engine, targets out (see ctl_twc.h). */
#include "controller/ctl_twc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* What the loop keeps per site EVSE (only Wall Connectors use it). */
struct ctl_twc_wc {
    uint16_t id;      /* bound slave; 0 = none (0000 is never a slave ID, twc-gen2.md §7.5) */
    bool present;     /* in its master's table at the last step */
    bool seen;        /* scratch: found in this step */
    uint64_t gone_ms; /* when it left the table */
};

struct ctl_twc {
    const struct site *site;
    struct alloc *alloc;
    struct site_state *st;
    struct alloc_result *res;
    struct twc_master **master; /* [n_bus], borrowed */
    struct ctl_twc_wc *wc;      /* [n_evse] */
    uint64_t next_tick_ms;
    bool ticked;
    struct ctl_twc_stats stats;
};

void ctl_twc_free(struct ctl_twc *c)
{
    if (!c) {
        return;
    }
    alloc_result_free(c->res);
    site_state_free(c->st);
    alloc_free(c->alloc);
    free(c->master);
    free(c->wc);
    free(c);
}

int ctl_twc_new(const struct site *site,
                const struct ampshare_policy *policy,
                struct ctl_twc **out,
                char *err,
                size_t errlen)
{
    *out = NULL;
    struct ctl_twc *c = calloc(1, sizeof(*c));
    if (!c) {
        return -ENOMEM;
    }
    c->site = site;
    c->master = calloc(site->n_bus ? site->n_bus : 1, sizeof(*c->master));
    c->wc = calloc(site->n_evse ? site->n_evse : 1, sizeof(*c->wc));
    int rc = -ENOMEM;
    if (c->master && c->wc) {
        rc = alloc_new(site, policy, &c->alloc, err, errlen);
    }
    if (rc == 0) {
        rc = site_state_new(site, &c->st);
    }
    if (rc == 0) {
        rc = alloc_result_new(site, &c->res);
    }
    if (rc != 0) {
        ctl_twc_free(c);
        return rc;
    }
    for (size_t e = 0; e < site->n_evse; e++) {
        const struct site_evse *ev = &site->evse[e];
        if (ev->kind == SITE_EVSE_WALL_CONNECTOR && !ev->address_auto) {
            c->wc[e].id = ev->address; /* a fixed address is bound from the start */
        }
        c->st->evse[e].offer_ma = SITE_OFFER_UNKNOWN;
    }
    *out = c;
    return 0;
}

int ctl_twc_attach(struct ctl_twc *c, size_t bus, struct twc_master *m)
{
    if (bus >= c->site->n_bus) {
        return -EINVAL;
    }
    c->master[bus] = m;
    return 0;
}

static bool is_wc_on(const struct site *site, size_t e, size_t bus)
{
    const struct site_evse *ev = &site->evse[e];
    return ev->kind == SITE_EVSE_WALL_CONNECTOR && ev->bus == (int32_t)bus;
}

int ctl_twc_evse_of(const struct ctl_twc *c, size_t bus, uint16_t slave_id)
{
    for (size_t e = 0; slave_id != 0 && e < c->site->n_evse; e++) {
        if (is_wc_on(c->site, e, bus) && c->wc[e].id == slave_id) {
            return (int)e;
        }
    }
    return -1;
}

/* The first `address = auto` Wall Connector of the bus that has no slave: -1 if none. */
static int free_auto(const struct ctl_twc *c, size_t bus)
{
    for (size_t e = 0; e < c->site->n_evse; e++) {
        if (is_wc_on(c->site, e, bus) && c->site->evse[e].address_auto && c->wc[e].id == 0) {
            return (int)e;
        }
    }
    return -1;
}

/* What a heartbeat reply says, as the engine's input (twc-gen2.md §5.2). */
static void report(struct ctl_twc *c, size_t e, const struct twc_master_slave_info *info)
{
    struct site_evse_input *in = &c->st->evse[e];
    if (!info->replied) {
        /* linked but not heard yet: nothing is known, and the master offers it nothing */
        in->connected = false;
        in->draw_at_ms = 0;
        in->offer_ma = SITE_OFFER_UNKNOWN;
        memset(in->draw_ma, 0, sizeof(in->draw_ma));
        return;
    }
    int32_t actual = info->actual_ma > 0 ? info->actual_ma : 0;
    /*
     * §5.2: 00 is "ready, car may or may not be plugged in" (what an empty unit reports, with a
     * 0.25 A offset on some) and 02 an error; 01, 03, 04, 08 and the 06/07/09/0A echoes all
     * have a car. A unit that draws current has a car whatever it says: count it.
     */
    bool car = info->state != TWC_STATE_READY && info->state != TWC_STATE_ERROR;
    in->connected = car || actual >= c->site->charging_threshold_ma;
    /* one current for the unit: put it on each conductor (site.h) */
    for (int k = 0; k < 3; k++) {
        in->draw_ma[k] = actual;
    }
    in->draw_at_ms = info->last_heard_ms;
    /* §5.2: the slave echoes the limit it enforces, 0 included: the offer in force */
    in->offer_ma = info->limit_ma;
    /* §7.1: the spike this unit needs; the engine makes it a target when it may (alloc_spike) */
    in->spike_ma = info->spike_ma;
}

/* A bound Wall Connector its master does not list (never linked, or dropped). */
static void absent(struct ctl_twc *c, size_t e, uint64_t now)
{
    struct ctl_twc_wc *w = &c->wc[e];
    struct site_evse_input *in = &c->st->evse[e];
    if (w->present) {
        w->present = false;
        w->gone_ms = now;
    }
    if (in->connected && now - w->gone_ms < CTL_TWC_GONE_HOLD_MS) {
        /* Its last reading ages into staleness: the engine then counts its whole last offer
         * and never raises it, until the car has surely stopped (§6.4). */
        return;
    }
    in->connected = false;
    in->draw_at_ms = 0;
    in->offer_ma = SITE_OFFER_UNKNOWN;
    memset(in->draw_ma, 0, sizeof(in->draw_ma));
    if (c->site->evse[e].address_auto) {
        w->id = 0; /* gone for good: the place is free for the next unknown slave */
    }
}

/* Binds and reads every slave of one master. Unknown slaves are held at 0 A. */
static void read_bus(struct ctl_twc *c, size_t bus, uint64_t now)
{
    struct twc_master *m = c->master[bus];
    size_t n = twc_master_slave_count(m);
    struct twc_master_slave_info info;
    /* Known slaves first, so that an auto place is never given away to a slave that merely
     * comes earlier in the table; then new slaves in the order they linked. */
    for (int pass = 0; pass < 2; pass++) {
        for (;;) {
            int pick = -1;
            uint64_t pick_ms = UINT64_MAX;
            for (size_t i = 0; i < n; i++) {
                if (twc_master_slave_at(m, i, &info) != 0) {
                    continue;
                }
                int e = ctl_twc_evse_of(c, bus, info.id);
                if (pass == 0 && e >= 0 && !c->wc[e].seen) {
                    pick = (int)i;
                    break;
                }
                if (pass == 1 && e < 0 && info.linked_ms < pick_ms) {
                    pick = (int)i;
                    pick_ms = info.linked_ms;
                }
            }
            if (pick < 0 || twc_master_slave_at(m, (size_t)pick, &info) != 0) {
                break;
            }
            int e = ctl_twc_evse_of(c, bus, info.id);
            if (e < 0) {
                e = free_auto(c, bus);
                if (e < 0) {
                    break; /* the rest are unknown */
                }
                c->wc[e].id = info.id;
                c->stats.auto_bindings++;
            }
            c->wc[e].seen = true;
            c->wc[e].present = true;
            report(c, (size_t)e, &info);
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (twc_master_slave_at(m, i, &info) == 0 && ctl_twc_evse_of(c, bus, info.id) < 0) {
            /* No circuit accounts for it: it may offer nothing (twc_master makes 0 a stop). */
            c->stats.unknown_slaves++;
            if (info.target_ma != 0) {
                twc_master_set_target(m, now, info.id, 0);
            }
        }
    }
}

/* Hands every bound, present Wall Connector its target (0 for all when the tick failed). */
static void apply(struct ctl_twc *c, uint64_t now, bool failed)
{
    for (size_t e = 0; e < c->site->n_evse; e++) {
        const struct site_evse *ev = &c->site->evse[e];
        if (ev->kind != SITE_EVSE_WALL_CONNECTOR || !c->wc[e].present || ev->bus < 0 ||
            !c->master[ev->bus]) {
            continue;
        }
        int32_t t = failed ? 0 : c->res->evse[e].target_ma;
        /* ceiling = target: the clamp's value is all that is safe, so cuts are never paced */
        twc_master_set_target(c->master[ev->bus], now, c->wc[e].id, t > 0 ? t : 0);
    }
}

int ctl_twc_step(struct ctl_twc *c, uint64_t now_ms)
{
    const struct site *site = c->site;
    c->stats.unknown_slaves = 0;
    for (size_t e = 0; e < site->n_evse; e++) {
        c->wc[e].seen = false;
    }
    for (size_t b = 0; b < site->n_bus; b++) {
        if (c->master[b]) {
            read_bus(c, b, now_ms);
        }
    }
    for (size_t e = 0; e < site->n_evse; e++) {
        const struct site_evse *ev = &site->evse[e];
        if (ev->kind == SITE_EVSE_WALL_CONNECTOR && ev->bus >= 0 && c->master[ev->bus] &&
            !c->wc[e].seen) {
            absent(c, e, now_ms);
        }
    }
    if (c->ticked && now_ms < c->next_tick_ms) {
        return 0;
    }
    uint32_t period = site->control_interval_ms ? site->control_interval_ms : 1000;
    c->next_tick_ms = c->ticked ? c->next_tick_ms + period : now_ms + period;
    if (c->next_tick_ms <= now_ms) {
        c->next_tick_ms = now_ms + period; /* called late: keep the period from now */
    }
    c->ticked = true;
    c->stats.ticks++;
    int rc = alloc_tick(c->alloc, c->st, now_ms, c->res);
    if (rc < 0) {
        c->stats.tick_errors++;
    }
    apply(c, now_ms, rc < 0);
    return rc < 0 ? rc : 1;
}

uint64_t ctl_twc_next_ms(const struct ctl_twc *c)
{
    return c->ticked ? c->next_tick_ms : 0;
}

struct site_state *ctl_twc_state(struct ctl_twc *c)
{
    return c->st;
}

const struct alloc_result *ctl_twc_result(const struct ctl_twc *c)
{
    return c->res;
}

const struct alloc *ctl_twc_alloc(const struct ctl_twc *c)
{
    return c->alloc;
}

bool ctl_twc_slave_of(const struct ctl_twc *c, size_t evse, uint16_t *slave_id)
{
    if (evse >= c->site->n_evse || c->site->evse[evse].kind != SITE_EVSE_WALL_CONNECTOR ||
        c->wc[evse].id == 0) {
        return false;
    }
    *slave_id = c->wc[evse].id;
    return true;
}

int ctl_twc_why(const struct ctl_twc *c, size_t evse, uint64_t now_ms, char *buf, size_t cap)
{
    if (evse >= c->site->n_evse) {
        return -EINVAL;
    }
    return alloc_why_format(c->site, &c->res->evse[evse], now_ms, 0, buf, cap);
}

const struct ctl_twc_stats *ctl_twc_get_stats(const struct ctl_twc *c)
{
    return &c->stats;
}
