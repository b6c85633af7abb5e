/* SPDX-License-Identifier: MIT */
/*
 * Limit pacing for one slave (twc-gen2.md §5.3, §7.1): whole amps, minimum or stop, the
 * slave's maximum, and the car quirks TWCManager learned on real cars.
 *
 * Safety decision (docs/master.md): the controller sets a target and a ceiling. The offer never
 * exceeds the ceiling; when it does (the controller lowered it), it is cut to the target at
 * once. The §7.1 comfort rules may only act between target and ceiling: they can keep a spike
 * or a previous, higher offer for a few seconds, but only where the controller said that is
 * safe. With ceiling == target (the default) every reduction is immediate and no spike is sent.
 */
#include "drivers/twc/twc_master_internal.h"

int32_t twc_master_min_a(const struct twc_master_slave *s)
{
    /* §4.1, §5.3, §9 #15: 5 A for v1, 6 A for v2; below it cars stuck in state 03. */
    return s->proto == 1 ? TWC_MASTER_MIN_A_V1 : TWC_MASTER_MIN_A_V2;
}

int32_t twc_master_max_a(const struct twc_master_slave *s)
{
    /* §5.3: whole amps only, so a 32.50 A maximum allows 32 A; round down. */
    return (int32_t)(s->max_ca / 100);
}

int32_t twc_master_amps_for(const struct twc_master_slave *s, int32_t ma)
{
    if (ma <= 0) {
        return 0;
    }
    /* §5.3: whole amps only (12.6 then 12.0 A dropped a car to 5 A); round down, since it is a
     * limit. Then §5.2 "the slave clamps nothing": we clamp to its advertised maximum. */
    int32_t a = ma / 1000;
    int32_t max = twc_master_max_a(s);
    if (a > max) {
        a = max;
    }
    if (a < twc_master_min_a(s)) {
        a = 0; /* §5.3: anything under the minimum becomes 0 (stop), never a fraction */
    }
    return a;
}

void twc_master_reclamp(struct twc_master_slave *s, int32_t target_ma, int32_t ceiling_ma)
{
    s->target_a = twc_master_amps_for(s, target_ma);
    /* The ceiling follows the same rules: no offer may lie between 0 and the minimum. */
    int32_t c = twc_master_amps_for(s, ceiling_ma);
    s->ceiling_a = c > s->target_a ? c : s->target_a;
}

static void set_offer(struct twc_master *m,
                      struct twc_master_slave *s,
                      int32_t amps,
                      uint64_t now,
                      enum twc_offer_reason reason)
{
    int32_t old = s->offered_a;
    if (amps == old) {
        return;
    }
    if (old == 0) {
        s->started_ms = now;
    }
    if (amps == 0) {
        s->stopped_ms = now;
        s->has_stopped = true;
    }
    s->offered_a = amps;
    s->changed_ms = now;
    if (amps < old) {
        /* A cut goes out on the very next frame, ahead of the heartbeat round robin. */
        s->urgent = true;
    }
    struct twc_master_event ev = {
        .type = TWC_MEV_OFFER_CHANGED,
        .at_ms = now,
        .slave_id = s->id,
    };
    ev.u.offer.old_ma = old * 1000;
    ev.u.offer.new_ma = amps * 1000;
    ev.u.offer.reason = reason;
    twc_master_emit(m, &ev);
}

int32_t twc_master_spike_a(const struct twc_master *m, const struct twc_master_slave *s)
{
    /* §4.3, §7.1, §9 #16: 21 A for 80 A slaves, 16 A for the others. */
    return s->max_ca >= TWC_MASTER_SPIKE_MAX_CA ? m->cfg.spike_a_80 : m->cfg.spike_a;
}

static void
pace_down(struct twc_master *m, struct twc_master_slave *s, int32_t t, uint64_t now, uint64_t *wake)
{
    const struct twc_master_config *c = &m->cfg;
    if (t == 0 && now < s->started_ms + c->start_stop_hold_ms) {
        /* §7.1: keep a started charge on for >= 60 s (yanking power during the start-up
         * negotiation can leave a car refusing to charge). Within the hold a stop becomes the
         * minimum, which the ceiling allows since the offer is at or above it. */
        twc_master_wake_at(wake, s->started_ms + c->start_stop_hold_ms);
        t = twc_master_min_a(s);
        if (t >= s->offered_a) {
            return;
        }
    }
    if (now < s->changed_ms + c->cut_interval_ms) {
        /* §7.1: at most one reduction per 5 s; this also holds a spike for 5 s. */
        twc_master_wake_at(wake, s->changed_ms + c->cut_interval_ms);
        return;
    }
    set_offer(m, s, t, now, TWC_OFFER_PACED);
}

void twc_master_pace(struct twc_master *m, struct twc_master_slave *s, uint64_t now, uint64_t *wake)
{
    const struct twc_master_config *c = &m->cfg;
    int32_t t = s->target_a;
    if (s->offered_a > s->ceiling_a) {
        /* Safety: the controller no longer allows the current offer. No rule delays this. */
        set_offer(m, s, t, now, TWC_OFFER_SAFETY);
        return;
    }
    if (t < s->offered_a) {
        pace_down(m, s, t, now, wake);
        return;
    }
    if (t == s->offered_a) {
        return;
    }
    if (s->offered_a == 0 && s->has_stopped && now < s->stopped_ms + c->start_stop_hold_ms) {
        /* §7.1: keep a stopped charge off for >= 60 s. Holding at 0 is always safe. */
        twc_master_wake_at(wake, s->stopped_ms + c->start_stop_hold_ms);
        return;
    }
    int32_t spike = twc_master_spike_a(m, s);
    if (t < spike && s->ceiling_a >= spike) {
        /* §7.1 proactive spike: since car firmware 2017.44 any raise can drop the car to its
         * 6 A step; offering >= the spike for >= 5 s cancels it ("even 0.01 A below does not
         * work", so a lower spike is pointless and none is sent when the ceiling forbids it). */
        set_offer(m, s, spike, now, TWC_OFFER_SPIKE);
        twc_master_wake_at(wake, now + c->cut_interval_ms);
        return;
    }
    set_offer(m, s, t, now, TWC_OFFER_TARGET);
}
