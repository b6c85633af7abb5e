/* SPDX-License-Identifier: MIT */
/* Why each EVSE got its target: the reason shown by status output and logs. */
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "controller/alloc_internal.h"

static const char *const why_names[ALLOC_WHY_COUNT] = {
    [ALLOC_WHY_POLICY] = "policy",       [ALLOC_WHY_DEMAND] = "demand",
    [ALLOC_WHY_IDLE] = "idle",           [ALLOC_WHY_PROBE] = "probe",
    [ALLOC_WHY_SHED] = "shed",           [ALLOC_WHY_WAIT] = "wait",
    [ALLOC_WHY_UNPLUGGED] = "unplugged", [ALLOC_WHY_MAX] = "max",
    [ALLOC_WHY_CIRCUIT] = "circuit",     [ALLOC_WHY_STALE] = "stale",
    [ALLOC_WHY_HOLD] = "hold",           [ALLOC_WHY_RAMP] = "ramp",
    [ALLOC_WHY_FALLBACK] = "fallback",   [ALLOC_WHY_UNCONTROLLED] = "uncontrolled",
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
        int64_t cap1 = vc[c].limit_ma[0], cap2;
        for (int p = 0; p < 3; p++) {
            cap1 = vc[c].limit_ma[p];
            cap2 = cap1 + vc[c].overcommit_ma;
            bool full = cap1 - cnt[c][p] < 1000 || cap2 - pil[c][p] < 1000; /* no_room(.., 1000) */
            deep[c][p] = full ? (int32_t)c : c > 0 ? deep[vc[c].parent][p] : -1;
        }
    }
}

/* The deepest circuit above EVSE i with no room left for one more step on one of its phases.
 * Circuits are numbered parents first, so the deepest on one path has the largest index. */
static int32_t full_circuit(const struct alloc *a, const struct ampshare_policy_evse *ev)
{
    int32_t found = -1;
    if (ev->step_ma == 1000) {
        const int32_t *deep = a->deep[ev->circuit];
        for (uint32_t pm = ev->phases & 7u; pm; pm &= pm - 1) {
            int32_t d = deep[alloc_low_phase(pm)];
            found = d > found ? d : found;
        }
        return found;
    }
    int64_t step = ev->step_ma > 0 ? ev->step_ma : 1;
    for (int32_t c = ev->circuit; c >= 0 && found < 0; c = a->vc[c].parent) {
        for (int p = 0; p < 3; p++) {
            if (((ev->phases >> p) & 1u) && no_room(a, c, p, step)) {
                found = c;
            }
        }
    }
    return found;
}

/* The reason for view EVSE i (the first that applies, in this order). */
static uint8_t reason(const struct alloc *a,
                      const struct ampshare_policy_evse *ev,
                      size_t i,
                      int policy_rc,
                      int32_t *why_circuit)
{
    *why_circuit = -1;
    if (ev->state == AMPSHARE_EVSE_UNPLUGGED) {
        return ALLOC_WHY_UNPLUGGED;
    }
    if (a->held[i]) {
        return a->held[i];
    }
    if (ev->flags & AMPSHARE_EVSE_F_STALE) {
        return ALLOC_WHY_STALE;
    }
    if (a->fix[i] == ALLOC_FIX_CIRCUIT) {
        *why_circuit = a->fix_circuit[i];
        return ALLOC_WHY_CIRCUIT;
    }
    if (policy_rc != 0) {
        return ALLOC_WHY_FALLBACK;
    }
    int32_t step = ev->step_ma > 0 ? ev->step_ma : 1;
    int32_t top = ev->max_ma > 0 ? ev->max_ma - alloc_mod_step(ev->max_ma, step) : 0;
    if (a->final[i] > 0 && a->final[i] >= top) {
        return ALLOC_WHY_MAX;
    }
    uint8_t hint = a->hint[i] < AMPSHARE_WHY_COUNT ? a->hint[i] : AMPSHARE_WHY_POLICY;
    if (hint == AMPSHARE_WHY_IDLE || hint == AMPSHARE_WHY_PROBE || hint == AMPSHARE_WHY_SHED ||
        hint == AMPSHARE_WHY_WAIT) {
        return hint;
    }
    int32_t c = full_circuit(a, ev);
    if (c >= 0) {
        *why_circuit = c;
        return ALLOC_WHY_CIRCUIT;
    }
    return hint;
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
    const int32_t *ctl = site->controllable;
    const int32_t *final = a->final, *raw = a->raw;
    const uint8_t *fix = a->fix;
    const struct ampshare_policy_evse *ve = a->ve;
    struct alloc_hist *hist = a->hist;
    struct alloc_evse_result *res = out->evse;
    const int policy_rc = out->policy_rc;
    const size_t n = a->in.n_evse;
    for (size_t v = 0; v < n; v++) {
        struct alloc_evse_result *r = &res[ctl[v]];
        hist[ctl[v]].target_ma = final[v];
        r->target_ma = final[v];
        r->policy_ma = raw[v];
        r->fix = fix[v];
        r->why = reason(a, &ve[v], v, policy_rc, &r->why_circuit);
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
    case ALLOC_WHY_UNCONTROLLED:
        n = snprintf(buf, cap, "metered only, not controlled");
        break;
    default:
        n = snprintf(buf, cap, "policy");
        break;
    }
    return n < 0 || (size_t)n >= cap ? -EMSGSIZE : n;
}
