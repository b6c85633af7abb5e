/* SPDX-License-Identifier: MIT */
/*
 * The §7.1 spike, accounted. Since Tesla firmware 2017.44 a raise can leave a car stuck at its
 * 6 A step (5.2 A drawn) until the master offers the spike current (16 A, 21 A on 80 A units)
 * for at least 5 s. A spike is current like any other, so the engine makes it a target: for
 * its window the EVSE's target *is* the spike, counted in every circuit's sums, held back by
 * the hold like any raise, and cut at once when the room goes. Three rules (twc-gen2.md §7.1):
 *   - proactive: a running Wall Connector whose target is raised to below its spike;
 *   - reactive: a Tesla that has drawn more than 2 A short of an unchanged offer, and at most
 *     the spike, for more than 10 s;
 *   - stuck: a car offered the spike itself that draws more than 2 A short of it for more
 *     than 10 s is offered spike - 2 A.
 * "Short for 10 s" counts under one offer, and starts again when the draw climbs 1 A: a car
 * that climbs is following its offer, not stuck. A car that stays short after a spike may simply
 * take less than it is offered (the engine cannot tell a tapering battery from a lock), so the
 * reactive rule backs off: 20 s, 40 s, ... up to 320 s between spikes, until it draws its offer.
 * A spike is granted only when, counting every EVSE at max(target, offer in force) and the
 * spikes already in force, every circuit above the EVSE keeps both rules with it. The window
 * is 5 s from the tick whose echo shows the spike in force (so the car surely saw 5 s of it),
 * or ends when the echo never comes within ALLOC_SPIKE_GIVE_UP_MS.
 */
#include "controller/engine/alloc_internal.h"

#define ALLOC_SPIKE_HOLD_MS     5000  /* §7.1: >= 5 s (3 s was not enough) */
#define ALLOC_SPIKE_SHORT_MA    2000  /* §7.1: "draws > 2 A less than offered" */
#define ALLOC_SPIKE_REACT_MS    10000 /* ... "for > 10 s" */
#define ALLOC_SPIKE_STICK_MA    2000  /* §7.1: a car stuck at the spike gets spike - 2 A */
#define ALLOC_SPIKE_GIVE_UP_MS  10000 /* a spike whose echo never shows is dropped */
#define ALLOC_SPIKE_CLIMB_MA    1000  /* a draw that climbs this much is following its offer */
#define ALLOC_SPIKE_BACKOFF_MAX 5     /* reactive spikes back off to 10 s << 5 = 320 s apart */

static int32_t draw_max(const struct ampshare_policy_evse *ev)
{
    int32_t d = 0;
    for (uint32_t pm = ev->phases & 7u; pm; pm &= pm - 1) {
        int p = alloc_low_phase(pm);
        d = ev->draw_ma[p] > d ? ev->draw_ma[p] : d;
    }
    return d;
}

/* Adds (sign +1) or takes away (-1) EVSE ev at worst-case value from -> to in the sums of every
 * circuit above it. */
static void shift(struct alloc *a, const struct ampshare_policy_evse *ev, int32_t from, int32_t to)
{
    const struct ampshare_policy_input *in = &a->in;
    for (int32_t c = ev->circuit; c >= 0; c = ampshare_policy_circuit_at(in, (size_t)c)->parent) {
        for (uint32_t pm = ev->phases & 7u; pm; pm &= pm - 1) {
            int p = alloc_low_phase(pm);
            a->pil[c][p] += (int64_t)to - from;
            a->cnt[c][p] += (int64_t)apr_counted(ev, to, p) - apr_counted(ev, from, p);
        }
    }
}

/* True when no circuit above ev breaks a rule with the sums as they are. */
static bool fits(const struct alloc *a, const struct ampshare_policy_evse *ev)
{
    const struct ampshare_policy_input *in = &a->in;
    for (int32_t c = ev->circuit; c >= 0; c = ampshare_policy_circuit_at(in, (size_t)c)->parent) {
        const struct ampshare_policy_circuit *ci = ampshare_policy_circuit_at(in, (size_t)c);
        for (uint32_t pm = ev->phases & 7u; pm; pm &= pm - 1) {
            int p = alloc_low_phase(pm);
            if (alloc_over(ci, a->pil[c][p], a->cnt[c][p], p)) {
                return false;
            }
        }
    }
    return true;
}

/* Whether EVSE v's spike is still in its window. */
static bool in_window(struct alloc_hist *h, const struct ampshare_policy_evse *ev, uint64_t now)
{
    if (h->spike_ma <= 0) {
        return false;
    }
    if (h->spike_seen_ms == 0 && ev->offered_ma >= h->spike_ma) {
        h->spike_seen_ms = now;
    }
    return h->spike_seen_ms ? now < h->spike_seen_ms + ALLOC_SPIKE_HOLD_MS
                            : now < h->spike_at_ms + ALLOC_SPIKE_GIVE_UP_MS;
}

int alloc_spike(struct alloc *a, const struct site_state *st, int32_t *t, uint64_t now)
{
    const size_t n = a->in.n_evse;
    const struct ampshare_policy_evse *ve = a->ve;
    bool any = false;
    int changed = 0;
    /* 1. each EVSE: how long it has been short, and whether it asks for its spike (want[v]; the
     * hold's flags are free until it runs) */
    uint8_t *want = a->held;
    for (size_t v = 0; v < n; v++) {
        const struct ampshare_policy_evse *ev = &ve[v];
        struct alloc_hist *h = &a->hist[a->vk[v].site];
        int32_t spike = st->evse[a->vk[v].site].spike_ma, d = draw_max(ev);
        want[v] = 0;
        bool wc = (ev->flags & AMPSHARE_EVSE_F_WALL_CONNECTOR) && spike > 0 &&
                  !(ev->flags & AMPSHARE_EVSE_F_STALE) && ev->state == AMPSHARE_EVSE_CHARGING;
        bool short_now =
            wc && ev->offered_ma > 0 && (int64_t)d + ALLOC_SPIKE_SHORT_MA < ev->offered_ma;
        if (!short_now) {
            h->short_since_ms = 0;
            h->spike_tries = 0; /* it takes its offer: the lock, if any, is gone */
            h->spike_next_ms = 0;
        } else if (h->short_since_ms == 0 || d > h->short_draw_ma + ALLOC_SPIKE_CLIMB_MA) {
            h->short_since_ms = now ? now : 1; /* a car that climbs is following, not stuck */
            h->short_draw_ma = d;
        } else if (d < h->short_draw_ma) {
            h->short_draw_ma = d;
        }
        /* short for long enough under one offer: a change of offer starts the count again */
        uint64_t from =
            h->short_since_ms > ev->offered_since_ms ? h->short_since_ms : ev->offered_since_ms;
        bool long_short = short_now && now >= from + ALLOC_SPIKE_REACT_MS;
        bool active = wc && in_window(h, ev, now);
        if (!active) {
            h->spike_ma = 0;
            h->spike_seen_ms = 0;
        }
        if (!wc || t[v] <= 0 || spike > ev->max_ma) {
            continue;
        }
        if (t[v] >= spike) {
            h->spike_ma = 0; /* a target at or above the spike needs none */
            h->spike_seen_ms = 0;
            if (long_short && ev->offered_ma == spike) {
                /* stuck at the spike: one step under it (a cut: always safe) */
                int32_t lower = apr_sanitize(ev, spike - ALLOC_SPIKE_STICK_MA);
                changed += lower < t[v];
                t[v] = lower < t[v] ? lower : t[v];
            }
            continue;
        }
        bool proactive = t[v] > h->target_ma && h->target_ma > 0;
        bool reactive = long_short && d <= spike && now >= h->spike_next_ms;
        if (active || proactive || reactive) {
            want[v] = 1;
            any = true;
        }
    }
    if (!any) {
        return changed;
    }
    /* 2. spikes in force first, counting the others at their offers in force (a raise still to
     * come waits for the spike: the hold holds it), then new spikes, counting the others at
     * max(target, offer in force) (a raise already decided comes first), in view order */
    int32_t *hi = a->clamped; /* the clamp's output is no longer needed as such */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t v = 0; v < n; v++) {
            int32_t off = ve[v].offered_ma > 0 ? ve[v].offered_ma : 0;
            int32_t spike = a->hist[a->vk[v].site].spike_ma;
            hi[v] = pass == 1 && t[v] > off ? t[v] : off;
            if (want[v] && spike > hi[v]) {
                hi[v] = spike;
            }
        }
        alloc_sums(&a->in, hi, a->pil, a->cnt);
        for (size_t v = 0; v < n; v++) {
            struct alloc_hist *h = &a->hist[a->vk[v].site];
            if (!want[v] || (pass == 0) != (h->spike_ma > 0)) {
                continue;
            }
            int32_t spike = st->evse[a->vk[v].site].spike_ma;
            int32_t base = t[v] > ve[v].offered_ma ? t[v] : ve[v].offered_ma;
            base = base > 0 ? base : 0;
            int32_t top = base > spike ? base : spike;
            if (pass == 1) {
                shift(a, &ve[v], hi[v], top);
            }
            if (!fits(a, &ve[v])) {
                shift(a, &ve[v], top, pass == 1 ? hi[v] : base); /* no room: no spike */
                h->spike_ma = 0;
                h->spike_seen_ms = 0;
                want[v] = 0;
                continue;
            }
            if (pass == 1) {
                h->spike_ma = spike;
                h->spike_at_ms = now;
                h->spike_seen_ms = 0;
                /* a car that stays short after a spike may just take less (a full battery
                 * tapering): the next reactive one waits twice as long, up to 5 min */
                uint8_t k = h->spike_tries < ALLOC_SPIKE_BACKOFF_MAX ? h->spike_tries + 1
                                                                     : ALLOC_SPIKE_BACKOFF_MAX;
                h->spike_next_ms = now + ((uint64_t)ALLOC_SPIKE_REACT_MS << k);
                h->spike_tries = h->spike_tries < 255 ? (uint8_t)(h->spike_tries + 1) : 255;
            }
            changed += t[v] != spike;
            t[v] = spike;
        }
    }
    return changed;
}

void alloc_spike_after(struct alloc *a, const int32_t *t, uint8_t *held)
{
    for (size_t v = 0; v < a->in.n_evse; v++) {
        struct alloc_hist *h = &a->hist[a->vk[v].site];
        if (h->spike_ma <= 0) {
            continue;
        }
        if (t[v] < h->spike_ma) {
            h->spike_ma = 0; /* held back, or cut: not in force */
            h->spike_seen_ms = 0;
        } else if (!held[v]) {
            held[v] = ALLOC_WHY_SPIKE;
        }
    }
}
