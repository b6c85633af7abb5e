/* SPDX-License-Identifier: MIT */
/* The allocation engine: life cycle, the per-tick view of the site, and the tick itself. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/engine/alloc_internal.h"
#include "controller/engine/policy_loader.h"
#include "drivers/base/log.h"

static void host_log(void *ctx, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Policies log through here, under the module name "policy:<name>". */
static void host_log(void *ctx, int level, const char *fmt, ...)
{
    const struct ampshare_policy *p = ctx;
    enum log_level lvl = level <= AMPSHARE_LOG_ERR     ? LOG_LEVEL_ERR
                         : level == AMPSHARE_LOG_WARN  ? LOG_LEVEL_WARN
                         : level >= AMPSHARE_LOG_DEBUG ? LOG_LEVEL_DEBUG
                                                       : LOG_LEVEL_INFO;
    if (!log_enabled(lvl)) {
        return;
    }
    char mod[48];
    snprintf(mod, sizeof(mod), "policy:%s", p && p->name ? p->name : "?");
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(lvl, mod, fmt, ap);
    va_end(ap);
}

static int32_t floor_step(int32_t t, int32_t step)
{
    step = step > 0 ? step : 1;
    return t <= 0 ? 0 : t - alloc_mod_step(t, step);
}

void alloc_free(struct alloc *a)
{
    if (!a) {
        return;
    }
    if (a->policy && a->pstate) {
        a->policy->destroy(a->pstate);
    }
    if (a->fallback && a->fstate) {
        a->fallback->destroy(a->fstate);
    }
    alloc_clamp_scratch_fini(&a->scratch);
    free(a->vc);
    free(a->ve);
    free(a->raw);
    free(a->hint);
    free(a->clamped);
    free(a->fix);
    free(a->fix_circuit);
    free(a->final);
    free(a->held);
    free(a->evc);
    free(a->vk);
    free(a->hist);
    free(a->unc);
    free(a->sub_draw);
    free(a->pil);
    free(a->cnt);
    free(a->deep);
    free(a->bound);
    free(a);
}

int alloc_new(const struct site *site,
              const struct ampshare_policy *policy,
              struct alloc **out,
              char *err,
              size_t errlen)
{
    *out = NULL;
    struct alloc *a = calloc(1, sizeof(*a));
    if (!a) {
        return -ENOMEM;
    }
    size_t nc = site->n_circuit, nv = site->n_controllable ? site->n_controllable : 1;
    size_t ne = site->n_evse ? site->n_evse : 1;
    a->site = site;
    a->vc = calloc(nc, sizeof(*a->vc));
    a->ve = calloc(nv, sizeof(*a->ve));
    a->raw = calloc(nv, sizeof(*a->raw));
    a->hint = calloc(nv, sizeof(*a->hint));
    a->clamped = calloc(nv, sizeof(*a->clamped));
    a->fix = calloc(nv, sizeof(*a->fix));
    a->fix_circuit = calloc(nv, sizeof(*a->fix_circuit));
    a->final = calloc(nv, sizeof(*a->final));
    a->held = calloc(nv, sizeof(*a->held));
    a->evc = calloc(ne, sizeof(*a->evc));
    a->vk = calloc(nv, sizeof(*a->vk));
    a->hist = calloc(ne, sizeof(*a->hist));
    a->unc = calloc(nc, sizeof(*a->unc));
    a->sub_draw = calloc(nc, sizeof(*a->sub_draw));
    a->pil = calloc(nc, sizeof(*a->pil));
    a->cnt = calloc(nc, sizeof(*a->cnt));
    a->deep = calloc(nc, sizeof(*a->deep));
    a->bound = calloc(nc, sizeof(*a->bound));
    if (!a->vc || !a->ve || !a->raw || !a->hint || !a->clamped || !a->fix || !a->fix_circuit ||
        !a->final || !a->held || !a->evc || !a->vk || !a->hist || !a->unc || !a->sub_draw ||
        !a->pil || !a->cnt || !a->deep || !a->bound ||
        alloc_clamp_scratch_init(&a->scratch, nc, nv) != 0) {
        alloc_free(a);
        snprintf(err, errlen, "allocation engine: out of memory");
        return -ENOMEM;
    }
    a->host = (struct ampshare_policy_host){
        .struct_size = sizeof(a->host),
        .max_evse = (uint32_t)nv,
        .max_circuit = (uint32_t)nc,
        .ctx = (void *)(uintptr_t)policy, /* also how an isolated plugin finds its child */
        .log = host_log,
    };
    int rc = policy->init(&a->host, site->policy_opt, site->n_policy_opt, &a->pstate);
    if (rc != 0) {
        a->pstate = NULL;
        snprintf(err, errlen, "policy %s: init failed: %s", policy->name,
                 rc < 0 ? strerror(-rc) : "bad return code");
        alloc_free(a);
        return rc < 0 ? rc : -EINVAL;
    }
    a->policy = policy;
    const struct ampshare_policy *fb = policy_builtin_find("equal_share");
    struct ampshare_policy_host fhost = a->host;
    fhost.ctx = (void *)(uintptr_t)fb;
    rc = fb ? fb->init(&fhost, NULL, 0, &a->fstate) : -ENOENT;
    if (rc != 0) {
        snprintf(err, errlen, "fallback policy equal_share: init failed");
        alloc_free(a);
        return rc;
    }
    a->fallback = fb;
    a->in = (struct ampshare_policy_input){
        .struct_size = sizeof(a->in),
        .circuit_size = sizeof(*a->vc),
        .evse_size = sizeof(*a->ve),
        .circuit = a->vc,
        .n_circuit = nc,
        .evse = a->ve,
        .n_evse = site->n_controllable,
    };
    for (size_t c = 0; c < nc; c++) {
        const struct site_circuit *sc = &site->circuit[c];
        a->vc[c].name = sc->name;
        a->vc[c].parent = sc->parent;
        a->vc[c].phases = sc->phases;
        a->vc[c].overcommit_ma = sc->overcommit_ma;
        memcpy(a->vc[c].rating_ma, sc->rating_ma, sizeof(sc->rating_ma));
    }
    for (size_t i = 0; i < site->n_evse; i++) {
        const struct site_evse *e = &site->evse[i];
        a->evc[i] = (struct alloc_evc){
            .meter = e->meter,
            .stale_timeout_ms = e->stale_timeout_ms,
            .circuit = e->circuit,
            .view = e->controllable ? e->view : -1,
            .max_ma = e->max_ma,
            .step_ma = e->step_ma,
            .stale_current_ma = e->stale_current_ma,
            .assumed_ma = e->stale_current_ma >= 0 ? e->stale_current_ma : e->configured_max_ma,
            .own_max_ma = e->configured_max_ma,
            .phases = e->phases,
            .n_phases = e->n_phases,
            .phase_map = {e->phase_map[0], e->phase_map[1], e->phase_map[2]},
            .flags = e->kind == SITE_EVSE_WALL_CONNECTOR ? AMPSHARE_EVSE_F_WALL_CONNECTOR : 0,
        };
    }
    for (size_t v = 0; v < site->n_controllable; v++) {
        const struct site_evse *e = &site->evse[site->controllable[v]];
        struct ampshare_policy_evse *ve = &a->ve[v];
        ve->name = e->name;
        ve->circuit = e->circuit;
        ve->phases = e->phases;
        ve->n_phases = e->n_phases;
        ve->flags = e->kind == SITE_EVSE_WALL_CONNECTOR ? AMPSHARE_EVSE_F_WALL_CONNECTOR : 0;
        ve->priority = e->priority;
        ve->min_ma = e->min_ma;
        ve->step_ma = e->step_ma;
        uint8_t ph = e->phases & AMPSHARE_PHASE_ALL;
        a->vk[v] = (struct alloc_vk){
            .site = site->controllable[v],
            .circuit = e->circuit,
            .top_ma = floor_step(e->max_ma, e->step_ma),
            .phases = ph,
            .phase = (uint8_t)(ph && !(ph & (ph - 1)) ? alloc_low_phase(ph) : 3),
            .whole_amps = e->step_ma == 1000,
        };
    }
    *out = a;
    return 0;
}

int alloc_result_new(const struct site *site, struct alloc_result **out)
{
    *out = NULL;
    struct alloc_result *r = calloc(1, sizeof(*r));
    if (!r) {
        return -ENOMEM;
    }
    r->n_evse = site->n_evse;
    r->n_circuit = site->n_circuit;
    r->evse = calloc(site->n_evse ? site->n_evse : 1, sizeof(*r->evse));
    r->circuit = calloc(site->n_circuit, sizeof(*r->circuit));
    if (!r->evse || !r->circuit) {
        alloc_result_free(r);
        return -ENOMEM;
    }
    *out = r;
    return 0;
}

void alloc_result_free(struct alloc_result *r)
{
    if (!r) {
        return;
    }
    free(r->evse);
    free(r->circuit);
    free(r);
}

const struct ampshare_policy_input *alloc_last_view(const struct alloc *a)
{
    return &a->in;
}

const struct alloc_stats *alloc_get_stats(const struct alloc *a)
{
    return &a->stats;
}

/*
 * The settle facts of an EVSE's view (ABI minor 1): when its offer in force took effect, and
 * since when its car has drawn below it (more than AMPSHARE_POLICY_BELOW_MA under it) without a
 * break. A raise starts a new run: the car cannot yet have followed it. So does a draw that
 * climbs ALLOC_CLIMB_MA above where the run began: the car is still following (a start, the
 * §7.1 lock clearing). A cut does not: a car below the higher offer is below the lower one too.
 * A stale reading is assumed to be the whole offer, so it is never below.
 */
#define ALLOC_CLIMB_MA 1000

static void track_offer(struct alloc_hist *h,
                        struct ampshare_policy_evse *ve,
                        int32_t offered,
                        int32_t draw,
                        bool stale,
                        uint64_t now)
{
    if (h->offer_since_ms == 0 || offered != h->offer_ma) {
        if (offered > h->offer_ma) {
            h->below_since_ms = 0;
        }
        h->offer_ma = offered;
        h->offer_since_ms = now;
    }
    bool below = !stale && offered > 0 && (int64_t)draw + AMPSHARE_POLICY_BELOW_MA < offered;
    if (!below) {
        h->below_since_ms = 0;
    } else if (h->below_since_ms == 0 || draw > h->below_draw_ma + ALLOC_CLIMB_MA) {
        h->below_since_ms = now ? now : 1; /* 0 means "not below" */
        h->below_draw_ma = draw;
    } else if (draw < h->below_draw_ma) {
        h->below_draw_ma = draw; /* a climb counts from the lowest draw of the run */
    }
    ve->offered_since_ms = h->offer_since_ms;
    ve->below_since_ms = h->below_since_ms;
}

/* Every EVSE: its measurement, its state and, if controllable, its view entry. The arrays are
 * held in locals: the byte-sized stores below may alias anything, and would otherwise make the
 * compiler reload every pointer from *a for each EVSE. */
static uint32_t view_evses(struct alloc *a,
                           const struct site_state *st,
                           uint64_t now,
                           struct alloc_evse_result *res)
{
    uint32_t n_implausible = 0;
    const struct alloc_evc *evc = a->evc;
    const struct site_evse_input *input = st->evse;
    const struct site_meter_input *meter = st->meter;
    struct alloc_hist *hist = a->hist;
    struct ampshare_policy_evse *view = a->ve;
    int32_t(*unc)[3] = a->unc;
    int32_t(*sub_draw)[3] = a->sub_draw;
    const int32_t threshold = a->site->charging_threshold_ma;
    const size_t n = a->site->n_evse;
    for (size_t i = 0; i < n; i++) {
        const struct alloc_evc *e = &evc[i];
        const struct site_evse_input *ein = &input[i];
        struct alloc_evse_result *r = &res[i];
        const int32_t *cur = ein->draw_ma;
        uint64_t at = ein->draw_at_ms;
        if (e->meter >= 0) {
            cur = meter[e->meter].current_ma;
            at = meter[e->meter].at_ms;
        }
        bool stale = alloc_is_stale(at, now, e->stale_timeout_ms);
        /* Each conductor's draw (at least 0) on its supply phase, kept in registers: written to
         * a small array at a varying place and read back whole, it stalled every EVSE on store
         * forwarding (a fifth of the view's time). A later conductor on the same phase wins,
         * as phase_map says. */
        int32_t s0 = 0, s1 = 0, s2 = 0, dmax = 0;
        for (int k = 0; k < e->n_phases; k++) {
            int32_t d = cur[k] > 0 ? cur[k] : 0;
            uint8_t m = e->phase_map[k];
            s0 = m == 0 ? d : s0;
            s1 = m == 1 ? d : s1;
            s2 = m == 2 ? d : s2;
            dmax = d > dmax ? d : dmax;
        }
        if (e->view < 0) {
            /* A metered load nothing controls: it only lowers its circuit's budget. While its
             * meter is stale, assume its configured stale current, or its maximum. */
            *r = (struct alloc_evse_result){
                .state = dmax >= threshold || stale ? AMPSHARE_EVSE_CHARGING : AMPSHARE_EVSE_IDLE,
                .why = ALLOC_WHY_UNCONTROLLED,
                .stale = stale,
                .why_circuit = -1,
                .since_ms = now,
            };
            for (int p = 0; p < 3; p++) {
                if ((e->phases >> p) & 1u) {
                    int32_t sp = p == 0 ? s0 : p == 1 ? s1 : s2;
                    unc[e->circuit][p] += stale ? e->assumed_ma : sp;
                    r->draw_ma[p] = stale ? e->assumed_ma : sp;
                }
            }
            continue;
        }
        struct alloc_hist *h = &hist[i];
        /* a reading that could raise a budget must be plausible, or it counts as stale */
        int32_t bad_ma = 0;
        uint8_t implausible = ALLOC_IMPLAUSIBLE_NONE;
        if (!stale) {
            implausible = alloc_plaus_check(a, e, (const int32_t[3]){s0, s1, s2}, dmax, &bad_ma);
            stale = implausible != ALLOC_IMPLAUSIBLE_NONE;
            n_implausible += stale;
        }
        bool connected = ein->connected;
        int32_t offered = ein->offer_ma >= 0 ? ein->offer_ma : h->target_ma;
        uint8_t state = !connected                   ? AMPSHARE_EVSE_UNPLUGGED
                        : stale || dmax >= threshold ? AMPSHARE_EVSE_CHARGING
                                                     : AMPSHARE_EVSE_IDLE;
        if (!h->seen || state != h->state) {
            h->since_ms = now;
        }
        if (connected && (!h->seen || !h->connected)) {
            h->connected_since_ms = now;
        }
        h->seen = true;
        h->state = state;
        h->connected = connected;
        struct ampshare_policy_evse *ve = &view[e->view];
        int32_t max = e->max_ma;
        if (stale) {
            /* a stale EVSE is assumed to draw its whole offer, which it keeps at most */
            s0 = (e->phases & 1u) ? offered : 0;
            s1 = (e->phases & 2u) ? offered : 0;
            s2 = (e->phases & 4u) ? offered : 0;
            int32_t cap =
                floor_step(e->stale_current_ma >= 0 ? e->stale_current_ma : offered, e->step_ma);
            max = cap < max ? cap : max;
        }
        if (ein->command_paused || ein->command_cap_ma > 0) {
            /* a remote command lowers the most it may get; the clamp keeps every rule anyway */
            int32_t cap = ein->command_paused ? 0 : floor_step(ein->command_cap_ma, e->step_ma);
            max = cap < max ? cap : max;
        }
        if (!stale) {
            /* its fresh draw feeds the meters; it is 0 on the phases it does not load */
            int32_t *sd = sub_draw[e->circuit];
            sd[0] += s0;
            sd[1] += s1;
            sd[2] += s2;
        }
        ve->state = state;
        ve->flags = (uint8_t)(e->flags | (stale ? AMPSHARE_EVSE_F_STALE : 0));
        ve->offered_ma = offered;
        ve->max_ma = max;
        ve->draw_ma[0] = s0;
        ve->draw_ma[1] = s1;
        ve->draw_ma[2] = s2;
        ve->state_since_ms = h->since_ms;
        ve->connected_since_ms = connected ? h->connected_since_ms : 0;
        ve->departure_ms = ein->departure_ms;
        ve->energy_wanted_wh = ein->energy_wanted_wh;
        track_offer(h, ve, offered, dmax, stale, now);
        /* the target, the policy's answer, the fix and the reason follow in alloc_explain */
        r->offered_ma = offered;
        r->draw_ma[0] = s0;
        r->draw_ma[1] = s1;
        r->draw_ma[2] = s2;
        r->state = state;
        r->stale = stale;
        r->since_ms = h->since_ms;
        r->implausible = implausible;
        r->implausible_new = implausible && !h->implausible;
        r->implausible_ma = bad_ma;
        h->implausible = implausible;
    }
    return n_implausible;
}

/* Uncontrolled load and budget of every circuit, children first. */
static void
view_circuits(struct alloc *a, const struct site_state *st, uint64_t now, struct alloc_result *out)
{
    const struct site *site = a->site;
    for (size_t c = site->n_circuit; c-- > 1;) {
        int32_t parent = site->circuit[c].parent;
        for (int p = 0; p < 3; p++) {
            a->sub_draw[parent][p] += a->sub_draw[c][p];
        }
    }
    for (size_t c = site->n_circuit; c-- > 0;) {
        const struct site_circuit *sc = &site->circuit[c];
        struct ampshare_policy_circuit *vc = &a->vc[c];
        vc->flags = 0;
        if (sc->meter >= 0) {
            const struct site_meter *m = &site->meter[sc->meter];
            const struct site_meter_input *mi = &st->meter[sc->meter];
            int32_t meas[3] = {0, 0, 0};
            if (alloc_is_stale(mi->at_ms, now, m->stale_timeout_ms)) {
                /* fail-safe: the configured stale load, or the whole rating (no budget) */
                vc->flags |= AMPSHARE_CIRCUIT_F_METER_STALE;
                for (int p = 0; p < 3; p++) {
                    meas[p] = m->stale_current_ma >= 0 ? m->stale_current_ma : sc->rating_ma[p];
                }
            } else {
                for (int k = 0; k < m->n_inputs; k++) {
                    int p = m->phase_map[k];
                    int32_t rd = mi->current_ma[k] > 0 ? mi->current_ma[k] : 0;
                    /* what the meter sees beyond the EVSEs we measure is not ours to control */
                    meas[p] = rd > a->sub_draw[c][p] ? rd - a->sub_draw[c][p] : 0;
                }
            }
            for (int p = 0; p < 3; p++) {
                a->unc[c][p] = meas[p] > a->unc[c][p] ? meas[p] : a->unc[c][p];
            }
        }
        for (int p = 0; p < 3; p++) {
            if (!((sc->phases >> p) & 1u)) {
                a->unc[c][p] = 0;
            }
            int32_t lim = sc->rating_ma[p] - a->unc[c][p];
            vc->uncontrolled_ma[p] = a->unc[c][p];
            vc->limit_ma[p] = lim > 0 ? lim : 0;
            out->circuit[c].limit_ma[p] = vc->limit_ma[p];
            out->circuit[c].uncontrolled_ma[p] = a->unc[c][p];
            if (c > 0) {
                a->unc[sc->parent][p] += a->unc[c][p];
            }
        }
        out->circuit[c].meter_stale = vc->flags & AMPSHARE_CIRCUIT_F_METER_STALE;
    }
}

/* Runs the policy (or, if it fails, equal share; if that fails too, all targets stay 0). */
static int run_policy(struct alloc *a)
{
    size_t n = a->in.n_evse;
    struct ampshare_policy_output po = {
        .struct_size = sizeof(po),
        .target_ma = a->raw,
        .why = a->hint,
    };
    memset(a->raw, 0, n * sizeof(*a->raw));
    memset(a->hint, AMPSHARE_WHY_POLICY, n);
    int rc = a->policy->allocate(a->pstate, &a->in, &po);
    if (rc == 0) {
        return 0;
    }
    a->stats.policy_errors++;
    memset(a->raw, 0, n * sizeof(*a->raw));
    memset(a->hint, AMPSHARE_WHY_POLICY, n);
    if (a->fallback->allocate(a->fstate, &a->in, &po) != 0) {
        memset(a->raw, 0, n * sizeof(*a->raw));
    }
    return rc < 0 ? rc : -EINVAL;
}

/* "Charge now" asks an EVSE's maximum whatever the policy said; the clamp still bounds it. */
static void charge_now(struct alloc *a, const struct site_state *st)
{
    const struct site *site = a->site;
    for (size_t i = 0; i < site->n_evse; i++) {
        int32_t v = site->evse[i].view;
        if (v >= 0 && st->evse[i].charge_now && a->in.evse[v].state != AMPSHARE_EVSE_UNPLUGGED) {
            a->raw[v] = a->ve[v].max_ma;
        }
    }
}

int alloc_tick(struct alloc *a,
               const struct site_state *st,
               uint64_t now_ms,
               struct alloc_result *out)
{
    const struct site *site = a->site;
    if (st->n_evse != site->n_evse || st->n_meter != site->n_meter || out->n_evse != site->n_evse ||
        out->n_circuit != site->n_circuit) {
        return -EINVAL;
    }
    uint64_t dt = !a->ticked                ? site->control_interval_ms
                  : now_ms > a->last_now_ms ? now_ms - a->last_now_ms
                                            : 0;
    memset(a->unc, 0, site->n_circuit * sizeof(*a->unc));
    memset(a->sub_draw, 0, site->n_circuit * sizeof(*a->sub_draw));
    a->in.now_ms = now_ms;
    alloc_plaus_bounds(a, st, now_ms);
    out->implausible = view_evses(a, st, now_ms, out->evse);
    a->stats.implausible += out->implausible;
    view_circuits(a, st, now_ms, out);

    out->policy_rc = run_policy(a);
    charge_now(a, st);
    int fixed = alloc_clamp(&a->in, a->raw, a->clamped, a->fix, a->fix_circuit, &a->scratch);
    if (fixed < 0) {
        return fixed; /* cannot happen with a view built from a site */
    }
    out->corrections = (uint32_t)fixed;
    for (size_t v = 0; fixed > 0 && v < a->in.n_evse; v++) {
        if (a->fix[v] != ALLOC_FIX_NONE) {
            a->stats.fixes[a->fix[v]]++;
        }
    }
    memcpy(a->final, a->clamped, a->in.n_evse * sizeof(*a->final));
    int spiked = alloc_spike(a, st, a->final, now_ms); /* §7.1: a target while it lasts */
    out->held = (uint32_t)alloc_hold(a, a->final, a->held, dt);
    alloc_spike_after(a, a->final, a->held);
    /* Nothing cut, spiked or held: the clamp's sums are those of the final targets. */
    bool sums_valid = fixed == 0 && spiked == 0 && out->held == 0;
    for (size_t c = 0; sums_valid && c < site->n_circuit; c++) {
        for (int p = 0; p < 3; p++) {
            a->pil[c][p] = a->scratch.pil[c][p];
            a->cnt[c][p] = a->scratch.nid[c][p] + a->scratch.idl[c][p];
        }
    }
    alloc_explain(a, out, sums_valid); /* and remembers each target in a->hist */
    a->ticked = true;
    a->last_now_ms = now_ms;
    a->stats.ticks++;
    return 0;
}
