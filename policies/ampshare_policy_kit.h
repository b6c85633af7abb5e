/* SPDX-License-Identifier: MIT */
/*
 * ampshare_policy_kit.h: optional header-only helpers for policy authors, built on the ABI
 * header alone. It keeps the host's accounting (ampshare_policy.h, rules (1) and (2)) while a
 * policy hands out current, so a policy built with it never needs the host's clamp:
 *
 *   apk_begin()       start a tick: check sizes, zero the sums
 *   apk_room()        how much more an EVSE may be given without breaking any limit
 *   apk_admit()       give an EVSE its minimum if it fits (the "who charges at all" step)
 *   apk_reserve_draw() set aside an idle car's counted draw before a fill, to admit it after
 *   apk_raise()       raise one EVSE as far as its ceiling and the limits allow
 *   apk_fill_equal()  water-fill a set of admitted EVSEs up to their ceilings, equal increments
 *   apk_demand_at()   a ceiling from measured current (a car that takes less than offered),
 *                     once the car has settled (apr_settled); apk_demand() judges at once
 *   apk_sort()        heap sort of (key, index) pairs: deterministic, no allocation
 *   apk_order()       every EVSE by a per-EVSE key, re-sorting only what moved since last tick
 *   apk_can(), apk_demand_e(), k->lo, k->hi, k->ev: apk_can_charge(), apk_demand_at(), the min and
 *                     max targets and the state, from the kit's compact copy (after apk_begin)
 *   apk_options()     parse and check integer / amp options, logging unknown ones
 *
 * Everything is static (inline, but for a few paths kept out of line on purpose): each policy
 * (built-in or plugin) gets its own copy, so nothing is shared between instances or exported
 * from a plugin. Scratch memory is allocated once, in
 * apk_init() (call it from your init), and released with apk_fini().
 */
#ifndef AMPSHARE_POLICY_KIT_H
#define AMPSHARE_POLICY_KIT_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ampshare_policy.h"
#include "ampshare_policy_rules.h"

/* For a static (not inline) function: kept out of its callers' loops, so that the common path
 * around it inlines, and no warning where a policy does not use it. */
#if defined(__GNUC__) || defined(__clang__)
#define APK_OUTLINE __attribute__((noinline, unused))
#else
#define APK_OUTLINE
#endif

/* The largest room a single EVSE can ever be given: more than any current we handle. */
#define APK_ROOM_INF 0x3fffffff

/* Rounds of equal increments before the remainder pass (each round saturates an EVSE or a
 * constraint, so real sites finish in a handful). */
#define APK_FILL_ROUNDS 24

struct apk_key {
    uint64_t key;
    uint32_t idx;
};

/* What the kit's loops read of an EVSE, copied by apk_begin() into a compact array: the input's
 * records are larger (and may be larger still in a newer host), and the walks up the tree and
 * the fill rounds read these fields many times a tick. */
struct apk_ev {
    int32_t circuit;
    int32_t step;    /* apk_step() */
    uint8_t phases;  /* phases & AMPSHARE_PHASE_ALL */
    uint8_t by_draw; /* apk_counts_by_draw() */
    uint8_t plugged; /* state != AMPSHARE_EVSE_UNPLUGGED */
    uint8_t state;   /* enum ampshare_evse_state */
    int32_t draw[3]; /* max(draw_ma[p], 0); set only when by_draw */
};

struct apk {
    uint32_t max_evse;
    uint32_t max_circuit;
    bool idle_full;      /* count idle cars' offers in full, as if overcommit were 0 everywhere */
    uint64_t settle_ms;  /* apk_demand_e's settle time: APR_SETTLE_MS_DEFAULT from apk_init */
    int32_t *par;        /* per circuit: its parent (a compact copy for the walks up the tree) */
    int32_t (*r1)[3];    /* per circuit and phase: room left under host rule (1) */
    int32_t (*r2)[3];    /* ... and under rule (2) */
    int32_t (*share)[3]; /* apk_fill_equal scratch */
    uint32_t (*cnt)[3];  /* apk_fill_equal scratch */
    int32_t (*d1)[3];    /* apk_fill_equal scratch: a round's changes, per circuit */
    int32_t (*d2)[3];
    /* Upper bounds of the room on the way up from each circuit, per phase: under rule (2)
     * alone, and under both rules. Room only shrinks while they are valid, so a bound that says
     * "no room" is right without walking the tree; anything that frees room drops them. */
    int32_t (*bound2)[3];
    int32_t (*bound12)[3];
    bool bound_ok;
    /* Room taken since the bounds were computed makes them loose: a walk up the tree that then
     * finds no room is wasted. Once the wasted walks have visited as many circuits as there
     * are (a recompute visits each once per phase), the next use recomputes them: at most a few
     * times the cost of walking, and a full supply then turns every later car away at once. */
    bool bound_loose;
    uint32_t walked;   /* levels walked in vain since the bounds were computed */
    struct apk_ev *ev; /* per EVSE, this tick (apk_begin) */
    uint8_t *below;    /* per circuit: apk_bound_lower() scratch */
    /* per EVSE: min_ma, max_ma, step_ma, 1 once set, and the lo and hi made from them, kept
     * between ticks: they rarely change, and apk_begin() copies lo and hi out of here */
    int32_t (*lim)[6];
    int32_t *want;       /* per EVSE: the ceiling apk_fill_equal fills towards */
    int32_t *lo, *hi;    /* per EVSE, this tick: apk_min_target() and apk_max_target() */
    struct apk_key *key; /* apk_sort scratch, max_evse long */
    uint32_t *set;       /* a list of EVSE indices, max_evse long, for the policy's use */
    uint64_t *order_key; /* per EVSE: the key apk_order() sorts by, set by the policy */
    struct apk_key *ord; /* apk_order(): last tick's order, kept so that a tick whose keys */
    size_t ord_n;        /* come in the same order needs no sort; ord_n EVSEs in it */
};

static inline void apk_fini(struct apk *k)
{
    if (!k) {
        return;
    }
    free(k->par);
    free(k->r1);
    free(k->r2);
    free(k->share);
    free(k->cnt);
    free(k->d1);
    free(k->d2);
    free(k->bound2);
    free(k->bound12);
    free(k->want);
    free(k->lo);
    free(k->hi);
    free(k->key);
    free(k->set);
    free(k->order_key);
    free(k->ord);
    free(k->ev);
    free(k->below);
    free(k->lim);
    memset(k, 0, sizeof(*k));
}

/* Allocates scratch for host->max_evse EVSEs and host->max_circuit circuits. 0 or -ENOMEM. */
static inline int apk_init(struct apk *k, const struct ampshare_policy_host *host)
{
    memset(k, 0, sizeof(*k));
    uint32_t ne = host && host->max_evse ? host->max_evse : 1;
    uint32_t nc = host && host->max_circuit ? host->max_circuit : 1;
    k->max_evse = ne;
    k->max_circuit = nc;
    k->settle_ms = APR_SETTLE_MS_DEFAULT;
    k->par = calloc(nc, sizeof(*k->par));
    k->r1 = calloc(nc, sizeof(*k->r1));
    k->r2 = calloc(nc, sizeof(*k->r2));
    k->share = calloc(nc, sizeof(*k->share));
    k->cnt = calloc(nc, sizeof(*k->cnt));
    k->d1 = calloc(nc, sizeof(*k->d1));
    k->d2 = calloc(nc, sizeof(*k->d2));
    k->bound2 = calloc(nc, sizeof(*k->bound2));
    k->bound12 = calloc(nc, sizeof(*k->bound12));
    k->want = calloc(ne, sizeof(*k->want));
    k->lo = calloc(ne, sizeof(*k->lo));
    k->hi = calloc(ne, sizeof(*k->hi));
    k->key = calloc(ne, sizeof(*k->key));
    k->set = calloc(ne, sizeof(*k->set));
    k->order_key = calloc(ne, sizeof(*k->order_key));
    k->ord = calloc(ne, sizeof(*k->ord));
    k->ev = calloc(ne, sizeof(*k->ev));
    k->below = calloc(nc, sizeof(*k->below));
    k->lim = calloc(ne, sizeof(*k->lim));
    if (!k->par || !k->r1 || !k->r2 || !k->share || !k->cnt || !k->d1 || !k->d2 || !k->bound2 ||
        !k->bound12 || !k->want || !k->lo || !k->hi || !k->key || !k->set || !k->order_key ||
        !k->ord || !k->ev || !k->below || !k->lim) {
        apk_fini(k);
        return -ENOMEM;
    }
    return 0;
}

/* The lowest phase in mask m (m != 0). Loops over "for (m = phases; m; m &= m - 1)" visit only
 * the phases an EVSE loads: most are 1-phase, and the walks up the tree are the hot path. */
static inline int apk_low_phase(uint32_t m)
{
#if defined(__GNUC__) || defined(__clang__)
    return __builtin_ctz(m);
#else
    return (m & 1u) ? 0 : (m & 2u) ? 1 : 2;
#endif
}

static inline int32_t apk_min32(int32_t a, int32_t b)
{
    return a < b ? a : b;
}

static inline int32_t apk_max32(int32_t a, int32_t b)
{
    return a > b ? a : b;
}

/* The host's rules (ampshare_policy_rules.h), under the kit's names. */
static inline int32_t apk_step(const struct ampshare_policy_evse *ev)
{
    return apr_step(ev);
}

static inline int32_t apk_mod(int32_t t, int32_t step)
{
    return apr_mod(t, step);
}

static inline int32_t apk_floor_step(const struct ampshare_policy_evse *ev, int32_t t)
{
    return apr_floor_step(ev, t);
}

static inline int32_t apk_min_target(const struct ampshare_policy_evse *ev)
{
    return apr_min_target(ev);
}

static inline int32_t apk_max_target(const struct ampshare_policy_evse *ev)
{
    return apr_max_target(ev);
}

/* True when the EVSE can be given any current at all. */
static inline bool apk_can_charge(const struct ampshare_policy_evse *ev)
{
    return ev->state != AMPSHARE_EVSE_UNPLUGGED && apk_min_target(ev) <= apk_max_target(ev);
}

/* The largest measured current over the EVSE's phases. */
static inline int32_t apk_draw_max(const struct ampshare_policy_evse *ev)
{
    int32_t d = 0;
    for (uint32_t pm = ev->phases & 7u; pm; pm &= pm - 1) {
        int p = apk_low_phase(pm);
        d = apk_max32(d, ev->draw_ma[p]);
    }
    return d;
}

/* Host rule (1), unless the policy counts idle cars in full (k->idle_full). */
static inline bool apk_counts_by_draw(const struct apk *k, const struct ampshare_policy_evse *ev)
{
    return !k->idle_full && apr_counts_by_draw(ev);
}

/* What an EVSE at target t counts on phase p under host rule (1). */
static inline int32_t
apk_counted(const struct apk *k, const struct ampshare_policy_evse *ev, int32_t t, int p)
{
    return k->idle_full ? t : apr_counted(ev, t, p);
}

static inline int32_t apk_clamp32(int64_t v)
{
    return v < 0 ? 0 : v > APK_ROOM_INF ? APK_ROOM_INF : (int32_t)v;
}

/* What EVSE e at target t counts on phase p under host rule (1), from the kit's copy. */
static inline int32_t apk_counted_e(const struct apk_ev *x, int32_t t, int p)
{
    return x->by_draw && x->draw[p] < t ? x->draw[p] : t;
}

/* True when EVSE e can be given any current at all: apk_can_charge(), after apk_begin(). */
static inline bool apk_can(const struct apk *k, size_t e)
{
    return k->ev[e].plugged && k->lo[e] <= k->hi[e];
}

/* Starts a tick: checks the input fits the scratch and that parents come before children,
 * sets every circuit's room to its limits (as the host counts them) and zeroes the output.
 * Set idle_full before it: it decides, here, how each EVSE counts. Returns 0, -EMSGSIZE or
 * -EINVAL. */
static inline int
apk_begin(struct apk *k, const struct ampshare_policy_input *in, struct ampshare_policy_output *out)
{
    if (in->n_evse > k->max_evse || in->n_circuit > k->max_circuit || in->n_circuit == 0) {
        return -EMSGSIZE;
    }
    for (size_t c = 0; c < in->n_circuit; c++) {
        const struct ampshare_policy_circuit *ci = ampshare_policy_circuit_at(in, c);
        if (c == 0 ? ci->parent != -1 : (ci->parent < 0 || (size_t)ci->parent >= c)) {
            return -EINVAL;
        }
        k->par[c] = ci->parent;
        int64_t oc = ci->overcommit_ma > 0 ? ci->overcommit_ma : 0;
        for (int p = 0; p < 3; p++) {
            k->r1[c][p] = apk_clamp32(ci->limit_ma[p]);
            k->r2[c][p] = apk_clamp32((int64_t)ci->limit_ma[p] + oc);
        }
    }
    k->bound_ok = false;
    k->bound_loose = false;
    k->walked = 0;
    for (size_t e = 0; e < in->n_evse; e++) {
        const struct ampshare_policy_evse *ev = ampshare_policy_evse_at(in, e);
        if (ev->circuit < 0 || (size_t)ev->circuit >= in->n_circuit) {
            return -EINVAL;
        }
        out->target_ma[e] = 0;
        out->why[e] = AMPSHARE_WHY_POLICY;
        k->want[e] = 0;
        int32_t s = apk_step(ev);
        int32_t *l = k->lim[e];
        if (l[0] != ev->min_ma || l[1] != ev->max_ma || l[2] != ev->step_ma || !l[3]) {
            /* apk_min_target() and apk_max_target(), remade when one of the three changes */
            l[0] = ev->min_ma;
            l[1] = ev->max_ma;
            l[2] = ev->step_ma;
            l[3] = 1;
            l[4] = apr_min_target(ev);
            l[5] = apr_max_target(ev);
        }
        k->lo[e] = l[4];
        k->hi[e] = l[5];
        struct apk_ev *x = &k->ev[e];
        x->circuit = ev->circuit;
        x->step = s;
        x->phases = ev->phases & AMPSHARE_PHASE_ALL;
        x->by_draw = apk_counts_by_draw(k, ev);
        x->plugged = ev->state != AMPSHARE_EVSE_UNPLUGGED;
        x->state = ev->state;
        if (x->by_draw) { /* only an EVSE that counts by its draw needs it */
            for (int p = 0; p < 3; p++) {
                x->draw[p] = ev->draw_ma[p] > 0 ? ev->draw_ma[p] : 0;
            }
        }
    }
    return 0;
}

/* t rounded down to EVSE e's step, from the kit's copy. */
static inline int32_t apk_floor_step_e(const struct apk_ev *x, int32_t t)
{
    return t <= 0 ? 0 : t - apk_mod(t, x->step);
}

/* Sets EVSE e's target to t and takes the change off the room of every circuit above it. The
 * caller keeps t valid (0, or a step multiple in [min, max]) and within apk_room(). */
static inline void apk_set(struct apk *k,
                           const struct ampshare_policy_input *in,
                           struct ampshare_policy_output *out,
                           size_t e,
                           int32_t t)
{
    (void)in;
    const struct apk_ev *x = &k->ev[e];
    int32_t old = out->target_ma[e];
    int32_t dc[3], dp = t - old;
    if (t < old) {
        k->bound_ok = false;
    } else {
        k->bound_loose = true;
    }
    for (int p = 0; p < 3; p++) {
        dc[p] = apk_counted_e(x, t, p) - apk_counted_e(x, old, p);
    }
    for (int32_t c = x->circuit; c >= 0; c = k->par[c]) {
        for (uint32_t pm = x->phases; pm; pm &= pm - 1) {
            int p = apk_low_phase(pm);
            k->r1[c][p] -= dc[p];
            k->r2[c][p] -= dp;
        }
    }
    out->target_ma[e] = t;
}

/* Recomputes the room bounds from the room left: O(circuits). */
static APK_OUTLINE void apk_bound_refresh(struct apk *k, const struct ampshare_policy_input *in)
{
    static const int32_t none[3] = {APK_ROOM_INF, APK_ROOM_INF, APK_ROOM_INF};
    for (size_t c = 0; c < in->n_circuit; c++) {
        const int32_t *r1 = k->r1[c], *r2 = k->r2[c];
        const int32_t *up2 = c > 0 ? k->bound2[k->par[c]] : none;
        const int32_t *up12 = c > 0 ? k->bound12[k->par[c]] : none;
        int32_t *b2 = k->bound2[c], *b12 = k->bound12[c];
        /* the three phases written out: the loop compiled to three times the instructions */
        int32_t v0 = apk_max32(r2[0], 0), v1 = apk_max32(r2[1], 0), v2 = apk_max32(r2[2], 0);
        int32_t w0 = apk_min32(v0, apk_max32(r1[0], 0)), w1 = apk_min32(v1, apk_max32(r1[1], 0)),
                w2 = apk_min32(v2, apk_max32(r1[2], 0));
        b2[0] = apk_min32(v0, up2[0]);
        b2[1] = apk_min32(v1, up2[1]);
        b2[2] = apk_min32(v2, up2[2]);
        b12[0] = apk_min32(w0, up12[0]);
        b12[1] = apk_min32(w1, up12[1]);
        b12[2] = apk_min32(w2, up12[2]);
    }
    k->bound_ok = true;
    k->bound_loose = false;
    k->walked = 0;
}

/* A walk up the tree found circuit c without room on phase p: c's room, exact now, caps the
 * bounds of c and of every circuit below it on p, so the next cars there are turned away
 * without a walk. O(circuits after c). */
static APK_OUTLINE void
apk_bound_lower(struct apk *k, const struct ampshare_policy_input *in, int32_t c, int p)
{
    if (!k->bound_ok) {
        return; /* recomputed from scratch at the next use */
    }
    int32_t b2 = apk_max32(k->r2[c][p], 0);
    int32_t b12 = apk_min32(b2, apk_max32(k->r1[c][p], 0));
    /* parents come before children: x is below c when its parent is c or below c */
    for (size_t x = (size_t)c; x < in->n_circuit; x++) {
        int32_t px = k->par[x];
        bool in_c = x == (size_t)c || (px >= c && k->below[px]);
        k->below[x] = in_c;
        if (in_c) {
            k->bound2[x][p] = apk_min32(k->bound2[x][p], b2);
            k->bound12[x][p] = apk_min32(k->bound12[x][p], b12);
        }
    }
}

/* Counts a walk up the tree that found no room (levels walked), for the bounds' upkeep. */
static inline void apk_walked_in_vain(struct apk *k, const struct ampshare_policy_input *in, int n)
{
    k->walked += (uint32_t)n;
    if (k->bound_loose && k->walked >= in->n_circuit) {
        k->bound_ok = false; /* recomputed at the next apk_room_bound_e() */
    }
}

/* An upper bound of apk_room() for EVSE e (at 0 or above), without walking the tree. */
static inline int32_t
apk_room_bound_e(struct apk *k, const struct ampshare_policy_input *in, const struct apk_ev *x)
{
    if (!k->bound_ok) {
        apk_bound_refresh(k, in);
    }
    int32_t(*b)[3] = x->by_draw ? k->bound2 : k->bound12;
    int32_t r = APK_ROOM_INF;
    for (uint32_t pm = x->phases; pm; pm &= pm - 1) {
        r = apk_min32(r, b[x->circuit][apk_low_phase(pm)]);
    }
    return r;
}

/* An upper bound of apk_room() for EVSE ev, without walking the tree. */
static inline int32_t apk_room_bound(struct apk *k,
                                     const struct ampshare_policy_input *in,
                                     const struct ampshare_policy_evse *ev)
{
    if (!k->bound_ok) {
        apk_bound_refresh(k, in);
    }
    int32_t(*b)[3] = apk_counts_by_draw(k, ev) ? k->bound2 : k->bound12;
    int32_t r = APK_ROOM_INF;
    for (uint32_t pm = ev->phases & 7u; pm; pm &= pm - 1) {
        int p = apk_low_phase(pm);
        r = apk_min32(r, b[ev->circuit][p]);
    }
    return r;
}

/* How much more (mA) EVSE e may be given, from its current target, before some circuit above it
 * breaks host rule (1) or (2) on some phase. Ignores its own max and step. */
static inline int32_t apk_room(const struct apk *k,
                               const struct ampshare_policy_input *in,
                               const struct ampshare_policy_output *out,
                               size_t e)
{
    (void)in;
    const struct apk_ev *x = &k->ev[e];
    int32_t t = out->target_ma[e];
    int32_t room = APK_ROOM_INF;
    for (int32_t c = x->circuit; c >= 0; c = k->par[c]) {
        for (uint32_t pm = x->phases; pm; pm &= pm - 1) {
            int p = apk_low_phase(pm);
            room = apk_min32(room, k->r2[c][p]);
            /* an idle car counts min(t, draw): once t passes the draw, more counts nothing */
            if (!x->by_draw || x->draw[p] - apk_counted_e(x, t, p) > k->r1[c][p]) {
                room = apk_min32(room, k->r1[c][p]);
            }
        }
        if (room <= 0) {
            return 0; /* full here: no need to look further up */
        }
    }
    return room;
}

/*
 * Sets aside (sign +1) or gives back (sign -1) the current an idle EVSE at 0 would count at its
 * minimum (its draw, under host rule (1)), so that a fill leaves room for it; give it back
 * just before apk_admit()ing the EVSE. Pilots (rule (2)) are not touched: the EVSE then gets in
 * only where the offers still fit.
 */
static inline void
apk_reserve_draw(struct apk *k, const struct ampshare_policy_input *in, size_t e, int sign)
{
    (void)in;
    const struct apk_ev *x = &k->ev[e];
    int32_t m = k->lo[e];
    if (sign < 0) {
        k->bound_ok = false;
    } else {
        k->bound_loose = true;
    }
    for (int32_t c = x->circuit; c >= 0; c = k->par[c]) {
        for (uint32_t pm = x->phases; pm; pm &= pm - 1) {
            int p = apk_low_phase(pm);
            k->r1[c][p] -= sign * apk_counted_e(x, m, p);
        }
    }
}

/* apk_admit() once the bounds let EVSE e in: walks up the tree, and takes its minimum m off
 * every circuit if it fits everywhere. */
static APK_OUTLINE bool apk_admit_walk(struct apk *k,
                                       const struct ampshare_policy_input *in,
                                       struct ampshare_policy_output *out,
                                       size_t e,
                                       int32_t m)
{
    const struct apk_ev *x = &k->ev[e];
    uint32_t ph = x->phases;
    if (ph && !(ph & (ph - 1))) {
        /* one phase, as most EVSEs: the same walks without the loop over phases */
        int p = apk_low_phase(ph);
        int32_t cm = apk_counted_e(x, m, p);
        for (int32_t c = x->circuit; c >= 0; c = k->par[c]) {
            if (k->r2[c][p] < m || k->r1[c][p] < cm) {
                apk_bound_lower(k, in, c, p);
                return false;
            }
        }
        for (int32_t c = x->circuit; c >= 0; c = k->par[c]) {
            k->r1[c][p] -= cm;
            k->r2[c][p] -= m;
        }
        k->bound_loose = true;
        out->target_ma[e] = m;
        return true;
    }
    int32_t cm[3];
    for (int p = 0; p < 3; p++) {
        cm[p] = apk_counted_e(x, m, p);
    }
    for (int32_t c = x->circuit; c >= 0; c = k->par[c]) {
        for (uint32_t pm = ph; pm; pm &= pm - 1) {
            int p = apk_low_phase(pm);
            if (k->r2[c][p] < m || k->r1[c][p] < cm[p]) {
                apk_bound_lower(k, in, c, p);
                return false;
            }
        }
    }
    for (int32_t c = x->circuit; c >= 0; c = k->par[c]) {
        for (uint32_t pm = ph; pm; pm &= pm - 1) {
            int p = apk_low_phase(pm);
            k->r1[c][p] -= cm[p];
            k->r2[c][p] -= m;
        }
    }
    k->bound_loose = true;
    out->target_ma[e] = m;
    return true;
}

/* Gives EVSE e (now at 0) its minimum if that fits. Returns true when admitted. The checks
 * that turn most cars away in a shortage are inline; the walk up the tree is not. */
static inline bool apk_admit(struct apk *k,
                             const struct ampshare_policy_input *in,
                             struct ampshare_policy_output *out,
                             size_t e)
{
    const struct apk_ev *x = &k->ev[e];
    int32_t m = k->lo[e];
    if (out->target_ma[e] != 0 || !x->plugged || m > k->hi[e]) {
        return false;
    }
    if (apk_room_bound_e(k, in, x) < m) {
        return false;
    }
    return apk_admit_walk(k, in, out, e, m);
}

/* Raises EVSE e towards ceiling (clipped to its max) as far as the limits allow; an EVSE at 0
 * stays at 0 unless it can reach its minimum. Returns the new target. */
static inline int32_t apk_raise(struct apk *k,
                                const struct ampshare_policy_input *in,
                                struct ampshare_policy_output *out,
                                size_t e,
                                int32_t ceiling)
{
    const struct apk_ev *x = &k->ev[e];
    int32_t t = out->target_ma[e];
    if (!x->plugged || k->lo[e] > k->hi[e]) {
        return t;
    }
    int32_t top = ceiling < k->hi[e] ? apk_floor_step_e(x, ceiling) : k->hi[e];
    if (top <= t || apk_room_bound_e(k, in, x) < (t > 0 ? x->step : k->lo[e])) {
        return t;
    }
    int64_t reach = (int64_t)t + apk_room(k, in, out, e);
    int32_t nt = apk_floor_step_e(x, (int32_t)(reach < top ? reach : top));
    if (nt > t && nt >= k->lo[e]) {
        apk_set(k, in, out, e, nt);
        return nt;
    }
    apk_walked_in_vain(k, in, 3);
    return t;
}

/*
 * Water-fills the n EVSEs listed in set (each already admitted, target > 0) towards k->want[e]:
 * every round each unsaturated EVSE gets the same increment, the largest that every circuit
 * above it can give all its unsaturated EVSEs. Leftovers smaller than a step per EVSE go, in set
 * order, to the first that can take them. O(rounds x (n + circuits)).
 */
static inline void apk_fill_equal(struct apk *k,
                                  const struct ampshare_policy_input *in,
                                  struct ampshare_policy_output *out,
                                  const uint32_t *set,
                                  size_t n)
{
    size_t nc = in->n_circuit;
    for (int round = 0; round < APK_FILL_ROUNDS; round++) {
        memset(k->cnt, 0, nc * sizeof(*k->cnt));
        size_t active = 0;
        for (size_t i = 0; i < n; i++) {
            size_t e = set[i];
            const struct apk_ev *x = &k->ev[e];
            if (out->target_ma[e] <= 0 ||
                out->target_ma[e] + x->step > apk_min32(k->want[e], k->hi[e])) {
                continue;
            }
            active++;
            for (uint32_t pm = x->phases; pm; pm &= pm - 1) {
                k->cnt[x->circuit][apk_low_phase(pm)]++;
            }
        }
        if (active == 0) {
            break;
        }
        for (size_t c = nc - 1; c > 0; c--) {
            for (int p = 0; p < 3; p++) {
                k->cnt[k->par[c]][p] += k->cnt[c][p];
            }
        }
        for (size_t c = 0; c < nc; c++) {
            for (int p = 0; p < 3; p++) {
                int32_t r = apk_min32(k->r1[c][p], k->r2[c][p]);
                int32_t s = k->cnt[c][p] ? (r <= 0 ? 0 : r / (int32_t)k->cnt[c][p]) : APK_ROOM_INF;
                k->share[c][p] = c > 0 ? apk_min32(s, k->share[k->par[c]][p]) : s;
            }
        }
        bool progress = false;
        memset(k->d1, 0, nc * sizeof(*k->d1));
        memset(k->d2, 0, nc * sizeof(*k->d2));
        for (size_t i = 0; i < n; i++) {
            size_t e = set[i];
            const struct apk_ev *x = &k->ev[e];
            int32_t t = out->target_ma[e];
            int32_t top = apk_min32(k->want[e], k->hi[e]);
            if (t <= 0 || t + x->step > top) {
                continue;
            }
            int32_t inc = APK_ROOM_INF;
            for (uint32_t pm = x->phases; pm; pm &= pm - 1) {
                inc = apk_min32(inc, k->share[x->circuit][apk_low_phase(pm)]);
            }
            int32_t nt = apk_floor_step_e(x, apk_min32(top, t + apk_floor_step_e(x, inc)));
            if (nt > t) {
                /* the circuits above learn of it once, after the round */
                for (uint32_t pm = x->phases; pm; pm &= pm - 1) {
                    int p = apk_low_phase(pm);
                    k->d1[x->circuit][p] += apk_counted_e(x, nt, p) - apk_counted_e(x, t, p);
                    k->d2[x->circuit][p] += nt - t;
                }
                out->target_ma[e] = nt;
                progress = true;
            }
        }
        if (!progress) {
            break;
        }
        k->bound_loose = true;
        for (size_t c = nc; c-- > 0;) {
            for (int p = 0; p < 3; p++) {
                if (c > 0) {
                    k->d1[k->par[c]][p] += k->d1[c][p];
                    k->d2[k->par[c]][p] += k->d2[c][p];
                }
                k->r1[c][p] -= k->d1[c][p];
                k->r2[c][p] -= k->d2[c][p];
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (out->target_ma[set[i]] > 0) {
            apk_raise(k, in, out, set[i], k->want[set[i]]);
        }
    }
}

/* The demand rule's arithmetic: the ceiling of a car drawing d under offer o (see apk_demand). */
static inline int32_t apk_demand_cap(int32_t d,
                                     int32_t o,
                                     bool takes_all,
                                     int32_t take_margin_ma,
                                     int32_t headroom_ma,
                                     int32_t lo,
                                     int32_t hi,
                                     int32_t step)
{
    if (takes_all || o <= 0 || d + take_margin_ma >= o) {
        return hi;
    }
    int32_t w = d + headroom_ma;
    int32_t r = apr_mod(w, step);
    w = r ? w - r + step : w;
    return apk_max32(lo, apk_min32(w, hi));
}

/*
 * A ceiling from measured demand. A car that draws within take_margin_ma of its offer takes all
 * it is given, so its ceiling is its max; one that draws less (its own limit, a full battery
 * tapering) is given its draw plus headroom_ma. headroom > take_margin keeps this stable: at
 * offer = draw + headroom the car is still "taking less". This form judges the car at once;
 * apk_demand_at() and apk_demand_e() wait for it to settle first (apr_settled), which is what a
 * policy wants: judged on the next tick, a raise the car has not had time to follow looks like
 * a car that takes less, and the offer creeps up by the headroom every few seconds.
 */
static inline int32_t
apk_demand(const struct ampshare_policy_evse *ev, int32_t take_margin_ma, int32_t headroom_ma)
{
    return apk_demand_cap(apk_draw_max(ev), ev->offered_ma,
                          (ev->flags & AMPSHARE_EVSE_F_STALE) != 0, take_margin_ma, headroom_ma,
                          apk_min_target(ev), apk_max_target(ev), apk_step(ev));
}

/* apk_demand() with the settle rule: a car counts as taking all it gets until it has drawn
 * below its offer for settle_ms without a break (apr_settled). */
static inline int32_t apk_demand_at(const struct ampshare_policy_input *in,
                                    const struct ampshare_policy_evse *ev,
                                    int32_t take_margin_ma,
                                    int32_t headroom_ma,
                                    uint64_t settle_ms)
{
    bool all = (ev->flags & AMPSHARE_EVSE_F_STALE) || !apr_settled(in, ev, settle_ms);
    return apk_demand_cap(apk_draw_max(ev), ev->offered_ma, all, take_margin_ma, headroom_ma,
                          apk_min_target(ev), apk_max_target(ev), apk_step(ev));
}

/* apk_demand_at() for EVSE e, after apk_begin(), with the kit's settle time k->settle_ms. */
static inline int32_t apk_demand_e(const struct apk *k,
                                   const struct ampshare_policy_input *in,
                                   size_t e,
                                   int32_t take_margin_ma,
                                   int32_t headroom_ma)
{
    const struct ampshare_policy_evse *ev = ampshare_policy_evse_at(in, e);
    const struct apk_ev *x = &k->ev[e];
    int32_t d = 0;
    for (uint32_t pm = x->phases; pm; pm &= pm - 1) {
        d = apk_max32(d, ev->draw_ma[apk_low_phase(pm)]);
    }
    bool all = (ev->flags & AMPSHARE_EVSE_F_STALE) || !apr_settled(in, ev, k->settle_ms);
    return apk_demand_cap(d, ev->offered_ma, all, take_margin_ma, headroom_ma, k->lo[e], k->hi[e],
                          x->step);
}

static inline bool apk_key_less(const struct apk_key *a, const struct apk_key *b)
{
    return a->key < b->key || (a->key == b->key && a->idx < b->idx);
}

static inline void apk_sift(struct apk_key *a, size_t root, size_t end)
{
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= end) {
            return;
        }
        if (child + 1 < end && apk_key_less(&a[child], &a[child + 1])) {
            child++;
        }
        if (!apk_key_less(&a[root], &a[child])) {
            return;
        }
        struct apk_key tmp = a[root];
        a[root] = a[child];
        a[child] = tmp;
        root = child;
    }
}

/* Sorts a[0..n) by (key, idx), ascending. Heap sort: O(n log n), in place, deterministic. */
static inline void apk_sort(struct apk_key *a, size_t n)
{
    for (size_t s = n / 2; s-- > 0;) {
        apk_sift(a, s, n);
    }
    for (size_t end = n; end > 1; end--) {
        struct apk_key tmp = a[0];
        a[0] = a[end - 1];
        a[end - 1] = tmp;
        apk_sift(a, 0, end - 1);
    }
}

/* Sorts a[0..n) like apk_sort, fast when it is almost sorted already: an insertion sort while
 * it has moved fewer than 8 n entries, then heap sort. O(n) for a sorted array (and for a few
 * entries out of place), O(n log n) at worst. The result is the same as apk_sort's: (key, idx)
 * pairs are all different, so there is only one sorted order. */
static inline void apk_sort_nearly(struct apk_key *a, size_t n)
{
    size_t budget = 8 * n + 16;
    for (size_t i = 1; i < n; i++) {
        if (!apk_key_less(&a[i], &a[i - 1])) {
            continue;
        }
        struct apk_key x = a[i];
        size_t j = i;
        while (j > 0 && apk_key_less(&x, &a[j - 1])) {
            a[j] = a[j - 1];
            j--;
            if (--budget == 0) {
                a[j] = x;
                apk_sort(a, n);
                return;
            }
        }
        a[j] = x;
    }
}

/*
 * Every EVSE 0..n-1 (n = in->n_evse) in the order of k->order_key[e], which the policy fills
 * for each EVSE before the call, then of e: returns k->ord, n entries of (key, EVSE index).
 * Between ticks the keys rarely change (plug-in times, tiers), so the last tick's order is kept
 * and checked in one pass; only a change costs a sort. The answer never depends on what was
 * kept: it is the one order of the (key, index) pairs.
 */
static inline const struct apk_key *apk_order(struct apk *k, size_t n)
{
    if (k->ord_n != n) {
        for (size_t i = 0; i < n; i++) {
            k->ord[i].idx = (uint32_t)i;
        }
        k->ord_n = n;
    }
    for (size_t i = 0; i < n; i++) {
        k->ord[i].key = k->order_key[k->ord[i].idx];
    }
    apk_sort_nearly(k->ord, n);
    return k->ord;
}

/* ---- options ---- */

enum apk_opt_kind {
    APK_OPT_INT = 1,  /* a decimal integer */
    APK_OPT_AMPS = 2, /* amps with up to 3 decimals, stored as mA */
};

struct apk_optdef {
    const char *key;
    enum apk_opt_kind kind;
    int64_t min, max; /* in the stored unit */
    int64_t *dst;     /* written when the option is present and valid */
};

static inline bool apk_parse_int(const char *s, int64_t *out)
{
    int64_t v = 0;
    bool neg = false;
    if (*s == '-') {
        neg = true;
        s++;
    }
    if (!*s) {
        return false;
    }
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > 1000000000000LL) {
            return false;
        }
        v = v * 10 + (*s - '0');
    }
    *out = neg ? -v : v;
    return true;
}

static inline bool apk_parse_amps(const char *s, int64_t *out_ma)
{
    int64_t whole = 0, frac = 0;
    int digits = 0, decimals = 0;
    for (; *s >= '0' && *s <= '9'; s++, digits++) {
        if (whole > 1000000) {
            return false;
        }
        whole = whole * 10 + (*s - '0');
    }
    if (*s == '.') {
        for (s++; *s >= '0' && *s <= '9'; s++, decimals++) {
            if (decimals == 3) {
                return false;
            }
            frac = frac * 10 + (*s - '0');
        }
    }
    if (*s || (digits == 0 && decimals == 0)) {
        return false;
    }
    for (; decimals < 3; decimals++) {
        frac *= 10;
    }
    *out_ma = whole * 1000 + frac;
    return true;
}

/* Parses opt[] against defs[]; logs and refuses unknown keys and bad values. 0 or -EINVAL. */
static inline int apk_options(const struct ampshare_policy_host *host,
                              const char *policy,
                              const struct ampshare_policy_option *opt,
                              size_t n_opt,
                              const struct apk_optdef *defs,
                              size_t n_defs)
{
    int rc = 0;
    for (size_t i = 0; i < n_opt; i++) {
        const struct apk_optdef *d = NULL;
        for (size_t j = 0; j < n_defs; j++) {
            if (opt[i].key && strcmp(opt[i].key, defs[j].key) == 0) {
                d = &defs[j];
            }
        }
        if (!d) {
            if (host && host->log) {
                host->log(host->ctx, AMPSHARE_LOG_ERR, "%s: unknown option '%s'", policy,
                          opt[i].key ? opt[i].key : "(null)");
            }
            rc = -EINVAL;
            continue;
        }
        int64_t v = 0;
        const char *val = opt[i].value ? opt[i].value : "";
        bool ok = d->kind == APK_OPT_AMPS ? apk_parse_amps(val, &v) : apk_parse_int(val, &v);
        if (!ok || v < d->min || v > d->max) {
            if (host && host->log) {
                host->log(host->ctx, AMPSHARE_LOG_ERR,
                          "%s: option %s: '%s' is not %s in %lld..%lld", policy, d->key, val,
                          d->kind == APK_OPT_AMPS ? "an amp value" : "a number",
                          (long long)(d->kind == APK_OPT_AMPS ? d->min / 1000 : d->min),
                          (long long)(d->kind == APK_OPT_AMPS ? d->max / 1000 : d->max));
            }
            rc = -EINVAL;
            continue;
        }
        *d->dst = v;
    }
    return rc;
}

/* ---- built-in versus plugin build (ampshare's own policies) ----
 * Each built-in policy file ends with APK_POLICY(ident, descriptor). Compiled into the ampshare
 * core it defines ampshare_builtin_<ident>(), which the built-in table calls; compiled with
 * -DAMPSHARE_POLICY_MODULE it defines the exported ampshare_policy_entry() instead. */
#ifdef AMPSHARE_POLICY_MODULE
#define APK_POLICY(ident, desc)                                                 \
    AMPSHARE_POLICY_EXPORT const struct ampshare_policy *ampshare_policy_entry( \
        uint16_t host_abi_major, uint16_t host_abi_minor)                       \
    {                                                                           \
        (void)host_abi_minor;                                                   \
        return host_abi_major == AMPSHARE_POLICY_ABI_MAJOR ? &(desc) : NULL;    \
    }
#else
#define APK_POLICY(ident, desc)                                   \
    const struct ampshare_policy *ampshare_builtin_##ident(void); \
    const struct ampshare_policy *ampshare_builtin_##ident(void)  \
    {                                                             \
        return &(desc);                                           \
    }
#endif

#endif
