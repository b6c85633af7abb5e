/* SPDX-License-Identifier: MIT */
/* The site controller: readings in, engine, targets out (see ctl.h). */
#include "controller/ctl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct ctl_adapter {
    const struct ctl_adapter_ops *ops;
    void *self;
};

struct ctl {
    const struct site *site;
    struct alloc *alloc;
    struct site_state *st;
    struct alloc_result *res;
    struct ctl_adapter ad[CTL_ADAPTERS_MAX];
    size_t n_ad;
    uint64_t next_tick_ms;
    bool ticked;
    bool failed; /* the last tick failed: every target is 0 */
    bool stopping;
    struct ctl_stats stats;
};

/* The engine, state and result of one site, made together so a reload can fail cleanly. */
struct ctl_core {
    struct alloc *alloc;
    struct site_state *st;
    struct alloc_result *res;
};

static void core_free(struct ctl_core *k)
{
    alloc_result_free(k->res);
    site_state_free(k->st);
    alloc_free(k->alloc);
}

static int core_new(const struct site *site,
                    const struct ampshare_policy *policy,
                    struct ctl_core *k,
                    char *err,
                    size_t errlen)
{
    memset(k, 0, sizeof(*k));
    int rc = alloc_new(site, policy, &k->alloc, err, errlen);
    if (rc == 0) {
        rc = site_state_new(site, &k->st);
    }
    if (rc == 0) {
        rc = alloc_result_new(site, &k->res);
    }
    if (rc != 0) {
        core_free(k);
        return rc;
    }
    for (size_t e = 0; e < site->n_evse; e++) {
        k->st->evse[e].offer_ma = SITE_OFFER_UNKNOWN;
        k->st->evse[e].energy_wanted_wh = -1;
    }
    return 0;
}

void ctl_free(struct ctl *c)
{
    if (!c) {
        return;
    }
    struct ctl_core k = {c->alloc, c->st, c->res};
    core_free(&k);
    free(c);
}

int ctl_new(const struct site *site,
            const struct ampshare_policy *policy,
            struct ctl **out,
            char *err,
            size_t errlen)
{
    *out = NULL;
    struct ctl *c = calloc(1, sizeof(*c));
    if (!c) {
        return -ENOMEM;
    }
    struct ctl_core k;
    int rc = core_new(site, policy, &k, err, errlen);
    if (rc != 0) {
        free(c);
        return rc;
    }
    c->site = site;
    c->alloc = k.alloc;
    c->st = k.st;
    c->res = k.res;
    *out = c;
    return 0;
}

int ctl_add_adapter(struct ctl *c, const struct ctl_adapter_ops *ops, void *self)
{
    if (c->n_ad >= CTL_ADAPTERS_MAX) {
        return -ENOSPC;
    }
    c->ad[c->n_ad++] = (struct ctl_adapter){ops, self};
    return 0;
}

void ctl_remove_adapter(struct ctl *c, const void *self)
{
    for (size_t i = 0; i < c->n_ad; i++) {
        if (c->ad[i].self == self) {
            memmove(&c->ad[i], &c->ad[i + 1], (c->n_ad - i - 1) * sizeof(c->ad[0]));
            c->n_ad--;
            return;
        }
    }
}

static void apply_all(struct ctl *c, uint64_t now_ms)
{
    for (size_t i = 0; i < c->n_ad; i++) {
        if (c->ad[i].ops->apply) {
            c->ad[i].ops->apply(c->ad[i].self, c, now_ms);
        }
    }
}

int ctl_step(struct ctl *c, uint64_t now_ms)
{
    for (size_t i = 0; i < c->n_ad; i++) {
        if (c->ad[i].ops->service) {
            c->ad[i].ops->service(c->ad[i].self, c, now_ms);
        }
    }
    /* Readings matter when the engine runs: between ticks (a step after every bus frame)
     * reading them would only be done again before they are used. */
    bool due = !c->ticked || now_ms >= c->next_tick_ms;
    for (size_t i = 0; (due || c->stopping) && i < c->n_ad; i++) {
        if (c->ad[i].ops->read) {
            c->ad[i].ops->read(c->ad[i].self, c, now_ms);
        }
    }
    if (c->stopping) {
        apply_all(c, now_ms); /* the shutdown currents, again, to whatever links late */
        return 0;
    }
    if (!due) {
        return 0;
    }
    uint32_t period = c->site->control_interval_ms ? c->site->control_interval_ms : 1000;
    c->next_tick_ms = c->ticked ? c->next_tick_ms + period : now_ms + period;
    if (c->next_tick_ms <= now_ms) {
        c->next_tick_ms = now_ms + period; /* called late: keep the period from now */
    }
    c->ticked = true;
    c->stats.ticks++;
    int rc = alloc_tick(c->alloc, c->st, now_ms, c->res);
    c->failed = rc < 0;
    if (rc < 0) {
        c->stats.tick_errors++;
    }
    apply_all(c, now_ms);
    return rc < 0 ? rc : 1;
}

uint64_t ctl_next_ms(const struct ctl *c)
{
    return c->ticked ? c->next_tick_ms : 0;
}

void ctl_report_evse(struct ctl *c, size_t evse, const struct ctl_evse_reading *r)
{
    if (evse >= c->st->n_evse) {
        return;
    }
    struct site_evse_input *in = &c->st->evse[evse];
    int32_t most = 0;
    for (int k = 0; k < 3; k++) {
        int32_t v = r->draw_ma[r->n_draw >= 3 ? k : 0];
        in->draw_ma[k] = v > 0 ? v : 0;
        most = in->draw_ma[k] > most ? in->draw_ma[k] : most;
    }
    /* a unit that draws current has a car, whatever its state code says: count it */
    in->connected = r->car || most >= c->site->charging_threshold_ma;
    in->draw_at_ms = r->draw_at_ms;
    in->offer_ma = r->offer_ma >= 0 ? r->offer_ma : SITE_OFFER_UNKNOWN;
    in->spike_ma = r->spike_ma > 0 ? r->spike_ma : 0;
}

void ctl_forget_evse(struct ctl *c, size_t evse)
{
    if (evse >= c->st->n_evse) {
        return;
    }
    struct site_evse_input *in = &c->st->evse[evse];
    in->connected = false;
    in->draw_at_ms = 0;
    in->offer_ma = SITE_OFFER_UNKNOWN;
    in->spike_ma = 0;
    memset(in->draw_ma, 0, sizeof(in->draw_ma));
}

void ctl_report_meter(struct ctl *c, size_t meter, const int32_t current_ma[3], uint64_t at_ms)
{
    if (meter >= c->st->n_meter) {
        return;
    }
    struct site_meter_input *in = &c->st->meter[meter];
    for (int k = 0; k < 3; k++) {
        int32_t v = current_ma[k];
        in->current_ma[k] = v < 0 ? (v == INT32_MIN ? INT32_MAX : -v) : v;
    }
    in->at_ms = at_ms;
}

/* How many controllable EVSEs below circuit k load supply phase p. */
static int32_t evses_below(const struct site *site, int32_t k, int p)
{
    int32_t n = 0;
    for (size_t e = 0; e < site->n_evse; e++) {
        const struct site_evse *ev = &site->evse[e];
        if (ev->controllable && (ev->phases & (1u << p)) &&
            site_circuit_is_below(site, ev->circuit, k)) {
            n++;
        }
    }
    return n;
}

int32_t ctl_shutdown_ma(const struct site *site, size_t evse)
{
    if (evse >= site->n_evse || !site->evse[evse].controllable) {
        return 0;
    }
    const struct site_evse *ev = &site->evse[evse];
    int32_t v = ev->max_ma;
    if (site->shutdown_current_ma >= 0 && site->shutdown_current_ma < v) {
        v = site->shutdown_current_ma;
    }
    for (int32_t k = ev->circuit; k >= 0; k = site->circuit[k].parent) {
        for (int p = 0; p < 3; p++) {
            int32_t n = (ev->phases & (1u << p)) ? evses_below(site, k, p) : 0;
            if (n > 0 && site->circuit[k].rating_ma[p] / n < v) {
                v = site->circuit[k].rating_ma[p] / n;
            }
        }
    }
    return v >= ev->min_ma && v > 0 ? v : 0;
}

int32_t ctl_target_ma(const struct ctl *c, size_t evse)
{
    if (evse >= c->site->n_evse) {
        return 0;
    }
    int32_t t = c->failed || !c->ticked ? 0 : c->res->evse[evse].target_ma;
    t = t > 0 ? t : 0;
    if (c->stopping) {
        /* a stop never raises an offer: the last clamp knew the uncontrolled loads */
        int32_t s = ctl_shutdown_ma(c->site, evse);
        return c->ticked && !c->failed && t < s ? t : s;
    }
    return t;
}

void ctl_stop(struct ctl *c, uint64_t now_ms)
{
    c->stopping = true;
    apply_all(c, now_ms);
}

bool ctl_stopping(const struct ctl *c)
{
    return c->stopping;
}

int ctl_reload(struct ctl *c,
               const struct site *site,
               const struct ampshare_policy *policy,
               char *err,
               size_t errlen)
{
    struct ctl_core k;
    int rc = core_new(site, policy, &k, err, errlen);
    if (rc != 0) {
        return rc;
    }
    for (size_t e = 0; e < site->n_evse; e++) {
        int old = site_find_evse(c->site, site->evse[e].name);
        if (old >= 0) {
            k.st->evse[e] = c->st->evse[old];
        }
    }
    for (size_t m = 0; m < site->n_meter; m++) {
        int old = site_find_meter(c->site, site->meter[m].name);
        if (old >= 0) {
            k.st->meter[m] = c->st->meter[old];
        }
    }
    struct ctl_core gone = {c->alloc, c->st, c->res};
    core_free(&gone);
    c->site = site;
    c->alloc = k.alloc;
    c->st = k.st;
    c->res = k.res;
    /* Until the new engine ticks, every target is 0: tick on the next step. */
    c->ticked = false;
    c->failed = false;
    c->stats.reloads++;
    return 0;
}

const struct site *ctl_site(const struct ctl *c)
{
    return c->site;
}

struct site_state *ctl_state(struct ctl *c)
{
    return c->st;
}

const struct alloc_result *ctl_result(const struct ctl *c)
{
    return c->res;
}

const struct alloc *ctl_alloc(const struct ctl *c)
{
    return c->alloc;
}

int ctl_why(const struct ctl *c, size_t evse, uint64_t now_ms, char *buf, size_t cap)
{
    if (evse >= c->site->n_evse) {
        return -EINVAL;
    }
    return alloc_why_format(c->site, &c->res->evse[evse], now_ms, 0, buf, cap);
}

const struct ctl_stats *ctl_get_stats(const struct ctl *c)
{
    return &c->stats;
}
