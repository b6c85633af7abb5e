/* SPDX-License-Identifier: MIT */
/*
 * Raises wait for the cuts they depend on. The clamp makes the new targets safe as a set, but
 * targets reach the chargers one at a time (a Gen 2 master addresses one slave per heartbeat,
 * twc-gen2.md §6.3) and a car follows a cut only after a few seconds (§7.2). So a raise is
 * sent only when it would be safe even with every other EVSE still at its old offer: counting
 * each EVSE at max(new target, offer in force), a circuit and phase over a limit holds every
 * raise below it at the offer in force for this tick. Cuts are never delayed.
 */
#include <string.h>

#include "controller/engine/alloc_internal.h"

void alloc_sums(const struct ampshare_policy_input *in,
                const int32_t *t,
                int64_t (*pil)[3],
                int64_t (*cnt)[3])
{
    for (size_t c = 0; c < in->n_circuit; c++) {
        for (int p = 0; p < 3; p++) {
            pil[c][p] = cnt[c][p] = 0;
        }
    }
    for (size_t i = 0; i < in->n_evse; i++) {
        const struct ampshare_policy_evse *ev = ampshare_policy_evse_at(in, i);
        int32_t c = ev->circuit;
        for (uint32_t pm = ev->phases & 7u; pm; pm &= pm - 1) {
            int p = alloc_low_phase(pm);
            pil[c][p] += t[i];
            cnt[c][p] += apr_counted(ev, t[i], p);
        }
    }
    /* children hold larger indices than their parents: add each into its parent once */
    for (size_t c = in->n_circuit; c-- > 1;) {
        int32_t parent = ampshare_policy_circuit_at(in, c)->parent;
        for (int p = 0; p < 3; p++) {
            pil[parent][p] += pil[c][p];
            cnt[parent][p] += cnt[c][p];
        }
    }
}

int alloc_hold(struct alloc *a, int32_t *t, uint8_t *held, uint64_t dt_ms)
{
    const struct ampshare_policy_input *in = &a->in;
    int32_t ramp = a->site->ramp_up_ma_per_s;
    const size_t n = in->n_evse;
    const struct ampshare_policy_evse *ve = a->ve; /* the engine's own view: plain indexing */
    int n_held = 0;
    bool raising = false;
    if (ramp <= 0) {
        /* no ramp: only whether anything rises at all, in one pass */
        for (size_t i = 0; i < n; i++) {
            held[i] = 0;
            raising |= t[i] > ve[i].offered_ma;
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            const struct ampshare_policy_evse *ev = &ve[i];
            held[i] = 0;
            if (t[i] <= ev->offered_ma) {
                continue;
            }
            int64_t lim = (int64_t)ev->offered_ma + (int64_t)ramp * (int64_t)dt_ms / 1000;
            int64_t start = apr_min_target(ev);
            if (lim < start) {
                lim = start; /* a car at 0 may always start at its minimum */
            }
            if (t[i] > lim) {
                t[i] = apr_sanitize(ev, (int32_t)(lim < INT32_MAX ? lim : INT32_MAX));
                held[i] = ALLOC_WHY_RAMP;
                n_held++;
            }
        }
        for (size_t i = 0; i < n; i++) {
            raising |= t[i] > ve[i].offered_ma;
        }
    }
    if (!raising) {
        return n_held;
    }
    /* Everyone at max(target, offer in force): the worst the chargers may see this tick. */
    int32_t *hi = a->clamped; /* the clamp's output is no longer needed as such */
    for (size_t i = 0; i < n; i++) {
        int32_t off = ve[i].offered_ma;
        hi[i] = t[i] > off ? t[i] : (off > 0 ? off : 0);
    }
    alloc_sums(in, hi, a->pil, a->cnt);
    for (size_t i = 0; i < in->n_evse; i++) {
        const struct ampshare_policy_evse *ev = ampshare_policy_evse_at(in, i);
        if (t[i] <= ev->offered_ma) {
            continue;
        }
        bool blocked = false;
        for (int32_t c = ev->circuit; c >= 0 && !blocked;
             c = ampshare_policy_circuit_at(in, (size_t)c)->parent) {
            const struct ampshare_policy_circuit *ci = ampshare_policy_circuit_at(in, (size_t)c);
            for (int p = 0; p < 3 && !blocked; p++) {
                blocked = ((ev->phases >> p) & 1u) && alloc_over(ci, a->pil[c][p], a->cnt[c][p], p);
            }
        }
        if (blocked) {
            t[i] = apr_sanitize(ev, ev->offered_ma);
            n_held += held[i] == 0;
            held[i] = ALLOC_WHY_HOLD;
        }
    }
    return n_held;
}
