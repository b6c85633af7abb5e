/* SPDX-License-Identifier: MIT */
/* Why each EVSE got its target: the reason shown by status output and logs. */
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "controller/engine/alloc_internal.h"

static const char *const why_names[ALLOC_WHY_COUNT] = {
    [ALLOC_WHY_POLICY] = "policy",       [ALLOC_WHY_DEMAND] = "demand",
    [ALLOC_WHY_IDLE] = "idle",           [ALLOC_WHY_PROBE] = "probe",
    [ALLOC_WHY_SHED] = "shed",           [ALLOC_WHY_WAIT] = "wait",
    [ALLOC_WHY_UNPLUGGED] = "unplugged", [ALLOC_WHY_MAX] = "max",
    [ALLOC_WHY_CIRCUIT] = "circuit",     [ALLOC_WHY_STALE] = "stale",
    [ALLOC_WHY_HOLD] = "hold",           [ALLOC_WHY_RAMP] = "ramp",
    [ALLOC_WHY_FALLBACK] = "fallback",   [ALLOC_WHY_UNCONTROLLED] = "uncontrolled",
    [ALLOC_WHY_SPIKE] = "spike",
    [ALLOC_WHY_IMPLAUSIBLE] = "implausible",
};

static const char *const fix_names[ALLOC_FIX_COUNT] = {
    [ALLOC_FIX_NONE] = "none",         [ALLOC_FIX_UNPLUGGED] = "unplugged",
    [ALLOC_FIX_NEGATIVE] = "negative", [ALLOC_FIX_MAX] = "max",
    [ALLOC_FIX_STEP] = "step",         [ALLOC_FIX_MIN] = "min",
    [ALLOC_FIX_CIRCUIT] = "circuit",
};

const char *alloc_why_name(enum alloc_why why)
{
    return (unsigned)why < ALLOC_WHY_COUNT ? why_names[why] : "?";
}

const char *alloc_fix_name(enum alloc_fix fix)
{
    return (unsigned)fix < ALLOC_FIX_COUNT ? fix_names[fix] : "?";
}

static bool no_room(const struct alloc *a, int32_t c, int p, int64_t step)
{
    int64_t cap1 = a->vc[c].limit_ma[p];
    int64_t cap2 = cap1 + a->vc[c].overcommit_ma;
    return cap1 - a->cnt[c][p] < step || cap2 - a->pil[c][p] < step;
}

/* deep[c][p]: the deepest circuit from c up with less than a whole amp of room on p, or -1.
 * Parents come first, so each circuit extends its parent's answer. */
static void find_full(struct alloc *a)
{
    const struct ampshare_policy_circuit *vc = a->vc;
    const int64_t(*pil)[3] = (const int64_t(*)[3])a->pil;
    const int64_t(*cnt)[3] = (const int64_t(*)[3])a->cnt;
    int32_t(*deep)[3] = a->deep;
    for (size_t c = 0; c < a->in.n_circuit; c++) {
        for (int p = 0; p < 3; p++) {
            int64_t cap1 = vc[c].limit_ma[p];
            int64_t cap2 = cap1 + vc[c].overcommit_ma;
            bool full = cap1 - cnt[c][p] < 1000 || cap2 - pil[c][p] < 1000; /* no_room(.., 1000) */
            deep[c][p] = full ? (int32_t)c : c > 0 ? deep[vc[c].parent][p] : -1;
        }
    }
}

/* The deepest circuit above view EVSE v with no room left for one more step on one of its
 * phases, or -1. Circuits are numbered parents first, so the deepest on one path has the
 * largest index. */
static int32_t full_circuit(const struct alloc *a, size_t v)
{
    const struct alloc_vk *k = &a->vk[v];
    if (k->whole_amps) {
        /* find_full() answered for a whole amp at every circuit and phase */
        const int32_t *deep = a->deep[k->circuit];
        if (k->phase < 3) {
            return deep[k->phase];
        }
        int32_t found = -1;
        for (uint32_t pm = k->phases; pm; pm &= pm - 1) {
            int32_t d = deep[alloc_low_phase(pm)];
            found = d > found ? d : found;
        }
        return found;
    }
    int32_t step = a->ve[v].step_ma;
    int32_t found = -1;
    for (int32_t c = k->circuit; c >= 0 && found < 0; c = a->vc[c].parent) {
        for (int p = 0; p < 3; p++) {
            if (((k->phases >> p) & 1u) && no_room(a, c, p, step > 0 ? step : 1)) {
                found = c;
            }
        }
    }
    return found;
}

void alloc_explain(struct alloc *a, struct alloc_result *out, bool sums_valid)
{
    const struct site *site = a->site;
    if (!sums_valid) {
        alloc_sums(&a->in, a->final, a->pil, a->cnt);
    }
    find_full(a);
    for (size_t c = 0; c < site->n_circuit; c++) {
        for (int p = 0; p < 3; p++) {
            out->circuit[c].offered_ma[p] = (int32_t)a->pil[c][p];
            out->circuit[c].counted_ma[p] = (int32_t)a->cnt[c][p];
        }
    }
    /* the arrays in locals: the byte stores below may alias anything */
    const struct alloc_vk *vk = a->vk;
    const int32_t *final = a->final, *raw = a->raw, *fix_circuit = a->fix_circuit;
    const uint8_t *fix = a->fix, *held = a->held, *hint = a->hint;
    struct alloc_hist *hist = a->hist;
    struct alloc_evse_result *res = out->evse;
    const int policy_rc = out->policy_rc;
    const size_t n = a->in.n_evse;
    for (size_t v = 0; v < n; v++) {
        int32_t i = vk[v].site, t = final[v], why_circuit = -1;
        /* the view put this EVSE's state and staleness into its result, on the cache line
         * written below anyway: cheaper to read there than in the 80-byte view record */
        struct alloc_evse_result *r = &res[i];
        uint8_t why;
        /* the first reason that applies, in this order */
        if (r->state == AMPSHARE_EVSE_UNPLUGGED) {
            why = ALLOC_WHY_UNPLUGGED;
        } else if (held[v]) {
            why = held[v];
        } else if (r->stale) {
            why = r->implausible ? ALLOC_WHY_IMPLAUSIBLE : ALLOC_WHY_STALE;
        } else if (fix[v] == ALLOC_FIX_CIRCUIT) {
            why = ALLOC_WHY_CIRCUIT;
            why_circuit = fix_circuit[v];
        } else if (policy_rc != 0) {
            why = ALLOC_WHY_FALLBACK;
        } else if (t > 0 && t >= vk[v].top_ma) {
            why = ALLOC_WHY_MAX;
        } else {
            why = hint[v] < AMPSHARE_WHY_COUNT ? hint[v] : AMPSHARE_WHY_POLICY;
            /* idle, probe, shed and wait are the policy's own; the rest may be the circuit's */
            if (why != AMPSHARE_WHY_IDLE && why != AMPSHARE_WHY_PROBE && why != AMPSHARE_WHY_SHED &&
                why != AMPSHARE_WHY_WAIT) {
                int32_t c = full_circuit(a, v);
                if (c >= 0) {
                    why = ALLOC_WHY_CIRCUIT;
                    why_circuit = c;
                }
            }
        }
        hist[i].target_ma = t;
        r->target_ma = t;
        r->policy_ma = raw[v];
        r->fix = fix[v];
        r->why = why;
        r->why_circuit = why_circuit;
    }
}

static void
fmt_since(char *buf, size_t cap, uint64_t since_ms, uint64_t now_ms, int64_t wall_offset_ms)
{
    if (wall_offset_ms != 0) {
        time_t t = (time_t)(((int64_t)since_ms + wall_offset_ms) / 1000);
        struct tm tm;
        if (localtime_r(&t, &tm)) {
            snprintf(buf, cap, "since %02d:%02d", tm.tm_hour, tm.tm_min);
            return;
        }
    }
    uint64_t s = now_ms > since_ms ? (now_ms - since_ms) / 1000 : 0;
    if (s < 120) {
        snprintf(buf, cap, "for %llu s", (unsigned long long)s);
    } else if (s < 7200) {
        snprintf(buf, cap, "for %llu min", (unsigned long long)(s / 60));
    } else {
        snprintf(buf, cap, "for %llu h", (unsigned long long)(s / 3600));
    }
}

int alloc_why_format(const struct site *site,
                     const struct alloc_evse_result *r,
                     uint64_t now_ms,
                     int64_t wall_offset_ms,
                     char *buf,
                     size_t cap)
{
    char since[40];
    int n;
    fmt_since(since, sizeof(since), r->since_ms, now_ms, wall_offset_ms);
    switch (r->why) {
    case ALLOC_WHY_DEMAND:
        n = snprintf(buf, cap, "following its measured draw");
        break;
    case ALLOC_WHY_IDLE:
        n = snprintf(buf, cap, "idle %s", since);
        break;
    case ALLOC_WHY_PROBE:
        n = snprintf(buf, cap, "probing: idle %s", since);
        break;
    case ALLOC_WHY_SHED:
        n = snprintf(buf, cap, "shed: not enough current");
        break;
    case ALLOC_WHY_WAIT:
        n = snprintf(buf, cap, "waiting for its turn");
        break;
    case ALLOC_WHY_UNPLUGGED:
        n = snprintf(buf, cap, "no car");
        break;
    case ALLOC_WHY_MAX:
        n = snprintf(buf, cap, "at its maximum");
        break;
    case ALLOC_WHY_CIRCUIT:
        n = snprintf(buf, cap, "limited by circuit %s",
                     r->why_circuit >= 0 && (size_t)r->why_circuit < site->n_circuit
                         ? site->circuit[r->why_circuit].name
                         : "?");
        break;
    case ALLOC_WHY_STALE:
        n = snprintf(buf, cap, "meter stale");
        break;
    case ALLOC_WHY_HOLD:
        n = snprintf(buf, cap, "raise held until cuts elsewhere are in force");
        break;
    case ALLOC_WHY_RAMP:
        n = snprintf(buf, cap, "raise rate-limited");
        break;
    case ALLOC_WHY_FALLBACK:
        n = snprintf(buf, cap, "policy failed: equal share");
        break;
    case ALLOC_WHY_SPIKE:
        n = snprintf(buf, cap, "spike: cancels the car's 6 A lock");
        break;
    case ALLOC_WHY_IMPLAUSIBLE:
        n = snprintf(buf, cap, "implausible reading %d.%02d A (%s): counted as stale",
                     r->implausible_ma / 1000, (r->implausible_ma % 1000) / 10,
                     alloc_implausible_name((enum alloc_implausible)r->implausible));
        break;
    case ALLOC_WHY_UNCONTROLLED:
        n = snprintf(buf, cap, "metered only, not controlled");
        break;
    default:
        n = snprintf(buf, cap, "policy");
        break;
    }
    return n < 0 || (size_t)n >= cap ? -EMSGSIZE : n;
}
