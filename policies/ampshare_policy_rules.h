/* SPDX-License-Identifier: MIT */
/*
 * ampshare_policy_rules.h: the host's accounting rules as code, the one copy of them. The
 * engine's safety clamp and hold (controller/engine/alloc_clamp.c, alloc_hold.c) and the policy
 * kit (ampshare_policy_kit.h) all include it, so a well-behaved policy and the clamp can never
 * disagree on what a valid target is or on what an EVSE counts. Built on ampshare_policy.h
 * alone; a plugin may include it too (everything is static inline).
 *
 *   apr_step()           an EVSE's step (at least 1 mA)
 *   apr_mod()            t modulo a step, fast for whole amps
 *   apr_floor_step()     t rounded down to the step
 *   apr_min_target()     the smallest valid non-zero target
 *   apr_max_target()     the largest valid target
 *   apr_sanitize()       any t made valid (0, or a step multiple in [min, max]): only lowers it
 *   apr_counts_by_draw() whether an EVSE counts its draw (rule (1) of ampshare_policy.h)
 *   apr_counted()        what an EVSE at target t counts on phase p under rule (1)
 *   apr_settled()        the settle rule: may a car that draws below its offer give up the rest?
 */
#ifndef AMPSHARE_POLICY_RULES_H
#define AMPSHARE_POLICY_RULES_H

#include "ampshare_policy.h"

/* The native master waits this long before it hands out what a car does not take
 * (docs/simulator.md), and a car needs 5-10 s to follow a raise (twc-gen2.md §7.2). */
#define APR_SETTLE_MS_DEFAULT 10000

static inline int32_t apr_step(const struct ampshare_policy_evse *ev)
{
    return ev->step_ma > 0 ? ev->step_ma : 1;
}

/* t modulo step (step >= 1). Whole amps (1000 mA) are by far the most common step, and a
 * hardware division costs tens of cycles, which adds up at 1000 EVSEs a tick: for 1000 and
 * t >= 0 the quotient is a multiply and a shift (exact for every 32-bit value; the compiler
 * would otherwise fold the two cases back into one division). */
static inline int32_t apr_mod(int32_t t, int32_t step)
{
    if (step == 1000 && t >= 0) {
        uint32_t q = (uint32_t)(((uint64_t)(uint32_t)t * 274877907u) >> 38);
        return t - (int32_t)(q * 1000u);
    }
    return t % step;
}

/* t rounded down to the EVSE's step; 0 for t <= 0. */
static inline int32_t apr_floor_step(const struct ampshare_policy_evse *ev, int32_t t)
{
    return t <= 0 ? 0 : t - apr_mod(t, apr_step(ev));
}

/* The smallest valid non-zero target: the minimum rounded up to the step; > max_ma if none. */
static inline int32_t apr_min_target(const struct ampshare_policy_evse *ev)
{
    int32_t s = apr_step(ev);
    int32_t m = ev->min_ma > 0 ? ev->min_ma : s;
    int32_t r = apr_mod(m, s);
    return r ? m - r + s : m;
}

/* The largest valid target: max_ma rounded down to the step. */
static inline int32_t apr_max_target(const struct ampshare_policy_evse *ev)
{
    return apr_floor_step(ev, ev->max_ma);
}

/* 0, or a multiple of the step within [min, max]; never above t. What the clamp makes of a
 * target it has to lower, and what every rule that lowers a target must produce. */
static inline int32_t apr_sanitize(const struct ampshare_policy_evse *ev, int32_t t)
{
    if (t > ev->max_ma) {
        t = ev->max_ma;
    }
    t = apr_floor_step(ev, t);
    return t > 0 && t >= ev->min_ma ? t : 0;
}

/* Rule (1): an idle car with a fresh measurement counts its draw (capped by its target); every
 * other EVSE, a stale one included, counts its target in full. */
static inline bool apr_counts_by_draw(const struct ampshare_policy_evse *ev)
{
    return ev->state == AMPSHARE_EVSE_IDLE && !(ev->flags & AMPSHARE_EVSE_F_STALE);
}

/* What an EVSE at target t counts on phase p under rule (1). */
static inline int32_t apr_counted(const struct ampshare_policy_evse *ev, int32_t t, int p)
{
    if (apr_counts_by_draw(ev)) {
        int32_t d = ev->draw_ma[p] > 0 ? ev->draw_ma[p] : 0;
        return t < d ? t : d;
    }
    return t;
}

/*
 * The settle rule. A car that draws below its offer may be following a raise it has not had
 * time to take (5-10 s, twc-gen2.md §7.2), or may be starting: it counts as taking everything it
 * is offered until it has drawn below its offer for settle_ms without a break, counted from
 * the latest of below_since_ms (which a raise restarts) and the start of its present state.
 * Only then may its unused share go elsewhere. With a host older than ABI minor 1 (no such
 * facts) it is settled at once, as policies were before.
 */
static inline bool apr_settled(const struct ampshare_policy_input *in,
                               const struct ampshare_policy_evse *ev,
                               uint64_t settle_ms)
{
    if (!AMPSHARE_POLICY_HAS_FIELD(in->evse_size, struct ampshare_policy_evse, below_since_ms)) {
        return true;
    }
    uint64_t from = ev->below_since_ms;
    if (from == 0) {
        return false; /* it draws its offer: nothing to hand out */
    }
    from = ev->state_since_ms > from ? ev->state_since_ms : from;
    return in->now_ms >= from && in->now_ms - from >= settle_ms;
}

#endif
