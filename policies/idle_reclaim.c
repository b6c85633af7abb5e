/* SPDX-License-Identifier: MIT */
/*
 * idle_reclaim: shares by measured demand, so no capacity sits idle while a car wants it.
 *
 *   - A charging car's ceiling follows its draw: one that draws within take_margin_a of its
 *     offer takes all it gets (ceiling = its max); one that has drawn less for settle_ms
 *     without a break (10 s: time to follow a raise, twc-gen2.md §7.2) is given draw +
 *     headroom_a and the rest goes to others.
 *   - An idle car (connected, drawing nothing) keeps its minimum for a grace time: probe_ms
 *     after plug-in (a car needs ~10 s to start, twc-gen2.md §7.1), idle_after_ms after it
 *     stopped drawing. After that its reserve goes to the cars that draw, and it is
 *       kept at its minimum when its circuit allows that much overcommit (overcommit_a >= its
 *       minimum) and the offers still fit every circuit above it once the others are served,
 *       or paused (0 A) otherwise,
 *     and, either way, offered its minimum again for probe_ms at the end of every
 *     probe_every_ms, to see whether it wakes.
 *
 * Everything follows from the input (state_since_ms, connected_since_ms): the policy keeps no
 * memory between ticks beyond its scratch space.
 */
#include "policies/ampshare_policy_kit.h"

/* Where an idle car stands (charging cars need no class). */
enum ir_class {
    IR_PROBE = 1, /* offered its minimum before the others are filled */
    IR_KEEP,      /* kept at its minimum if the offers still fit after the fill */
    IR_PAUSE,     /* paused */
};

struct idle_reclaim {
    struct apk k;
    int64_t idle_after_ms, probe_ms, probe_every_ms, headroom_ma, take_margin_ma, settle_ms;
    uint32_t *probe; /* this tick's idle cars to probe, by EVSE index */
    uint32_t *keep;  /* ... and to keep at their minimum */
};

static void ir_destroy(void *state)
{
    struct idle_reclaim *s = state;
    if (s) {
        apk_fini(&s->k);
        free(s->probe);
        free(s->keep);
        free(s);
    }
}

static int ir_init(const struct ampshare_policy_host *host,
                   const struct ampshare_policy_option *opt,
                   size_t n_opt,
                   void **state)
{
    struct idle_reclaim *s = calloc(1, sizeof(*s));
    if (!s) {
        return -ENOMEM;
    }
    s->idle_after_ms = 2000;
    s->probe_ms = 30000;
    s->probe_every_ms = 300000;
    s->headroom_ma = 3000;
    s->take_margin_ma = 1500;
    s->settle_ms = APR_SETTLE_MS_DEFAULT;
    const struct apk_optdef defs[] = {
        {"idle_after_ms", APK_OPT_INT, 0, 86400000, &s->idle_after_ms},
        {"probe_ms", APK_OPT_INT, 1000, 3600000, &s->probe_ms},
        {"probe_every_ms", APK_OPT_INT, 10000, 86400000, &s->probe_every_ms},
        {"headroom_a", APK_OPT_AMPS, 500, 32000, &s->headroom_ma},
        {"take_margin_a", APK_OPT_AMPS, 100, 32000, &s->take_margin_ma},
        {"settle_ms", APK_OPT_INT, 0, 600000, &s->settle_ms},
    };
    int rc = apk_options(host, "idle_reclaim", opt, n_opt, defs, sizeof(defs) / sizeof(defs[0]));
    if (rc == 0 && s->probe_every_ms <= s->probe_ms) {
        if (host && host->log) {
            host->log(host->ctx, AMPSHARE_LOG_ERR,
                      "idle_reclaim: probe_every_ms must exceed probe_ms");
        }
        rc = -EINVAL;
    }
    if (rc == 0 && s->take_margin_ma >= s->headroom_ma) {
        if (host && host->log) {
            host->log(
                host->ctx, AMPSHARE_LOG_ERR,
                "idle_reclaim: take_margin_a must be below headroom_a (or demand oscillates)");
        }
        rc = -EINVAL;
    }
    if (rc == 0) {
        rc = apk_init(&s->k, host);
        s->k.settle_ms = (uint64_t)s->settle_ms;
    }
    if (rc == 0) {
        s->probe = calloc(s->k.max_evse, sizeof(*s->probe));
        s->keep = calloc(s->k.max_evse, sizeof(*s->keep));
        rc = s->probe && s->keep ? 0 : -ENOMEM;
    }
    if (rc != 0) {
        ir_destroy(s);
        return rc;
    }
    *state = s;
    return 0;
}

/* Where an idle car stands in its schedule. */
static enum ir_class idle_class(const struct idle_reclaim *s,
                                const struct ampshare_policy_evse *ev,
                                uint64_t now,
                                bool keep)
{
    uint64_t idle = now > ev->state_since_ms ? now - ev->state_since_ms : 0;
    bool fresh = ev->state_since_ms <= ev->connected_since_ms; /* has not drawn since plug-in */
    uint64_t grace = (uint64_t)(fresh ? s->probe_ms : s->idle_after_ms);
    if (idle < grace) {
        return IR_PROBE;
    }
    uint64_t phase = (idle - grace) % (uint64_t)s->probe_every_ms;
    if (phase >= (uint64_t)(s->probe_every_ms - s->probe_ms)) {
        return IR_PROBE;
    }
    return keep ? IR_KEEP : IR_PAUSE;
}

static int
ir_allocate(void *state, const struct ampshare_policy_input *in, struct ampshare_policy_output *out)
{
    struct idle_reclaim *s = state;
    struct apk *k = &s->k;
    int rc = apk_begin(k, in, out);
    if (rc != 0) {
        return rc;
    }
    /* Charging cars get their minimum first, in EVSE order, as they are met; idle ones are
     * listed: probes get theirs next, then the fill, then the kept ones. */
    size_t n = 0, np = 0, nk = 0;
    for (size_t e = 0; e < in->n_evse; e++) {
        if (!apk_can(k, e)) {
            continue;
        }
        if (k->ev[e].state == AMPSHARE_EVSE_CHARGING) {
            if (apk_admit(k, in, out, e)) {
                k->want[e] =
                    apk_demand_e(k, in, e, (int32_t)s->take_margin_ma, (int32_t)s->headroom_ma);
                out->why[e] = k->want[e] < k->hi[e] ? AMPSHARE_WHY_DEMAND : AMPSHARE_WHY_POLICY;
                k->set[n++] = (uint32_t)e;
            } else {
                out->why[e] = AMPSHARE_WHY_SHED;
            }
            continue;
        }
        const struct ampshare_policy_evse *ev = ampshare_policy_evse_at(in, e);
        bool keep = ampshare_policy_circuit_at(in, (size_t)ev->circuit)->overcommit_ma >= k->lo[e];
        enum ir_class cls = idle_class(s, ev, in->now_ms, keep);
        if (cls == IR_PROBE) {
            s->probe[np++] = (uint32_t)e;
            out->why[e] = AMPSHARE_WHY_PROBE;
        } else {
            if (cls == IR_KEEP) {
                s->keep[nk++] = (uint32_t)e;
            }
            out->why[e] = AMPSHARE_WHY_IDLE;
        }
    }
    for (size_t i = 0; i < np; i++) {
        apk_admit(k, in, out, s->probe[i]);
    }
    /* Kept cars come after the fill, so that only the overcommit (not the charging cars'
     * share) pays for their offers; what they count (their draw) is set aside first. */
    for (size_t i = 0; i < nk; i++) {
        apk_reserve_draw(k, in, s->keep[i], +1);
    }
    apk_fill_equal(k, in, out, k->set, n);
    for (size_t i = 0; i < nk; i++) {
        apk_reserve_draw(k, in, s->keep[i], -1);
    }
    for (size_t i = 0; i < nk; i++) {
        apk_admit(k, in, out, s->keep[i]);
    }
    return 0;
}

static const struct ampshare_policy idle_reclaim_policy = {
    .abi_major = AMPSHARE_POLICY_ABI_MAJOR,
    .abi_minor = AMPSHARE_POLICY_ABI_MINOR,
    .struct_size = sizeof(struct ampshare_policy),
    .name = "idle_reclaim",
    .version = "1.0",
    .init = ir_init,
    .allocate = ir_allocate,
    .destroy = ir_destroy,
};

APK_POLICY(idle_reclaim, idle_reclaim_policy)
