/* SPDX-License-Identifier: MIT */
/*
 * deadline.h: the one body of ampshare's deadline-aware policies, `edf` and `llf` (each a file
 * that names its order). A car whose driver gave a departure and an energy (the ABI's
 * departure_ms and energy_wanted_wh) is "known"; any other car is "unknown".
 *
 * Each tick:
 *   1. minimums, in order: known cars by deadline (edf) or by laxity (llf), then unknown cars in
 *      plug-in order; whoever does not fit is shed (why SHED), lowest urgency first;
 *   2. each known car, in the same order, is raised to the current that delivers its energy by
 *      its departure (why DEMAND) as far as the circuits allow;
 *   3. what is left is shared equally (the kit's water-fill) among every charging car that still
 *      wants current: an unknown car gets a fair share, never a leftover;
 * idle cars keep their minimum, after the charging ones. A known car with nothing left to charge
 * is not raised. Option: voltage (V, line to neutral, default 230), to turn energy into current.
 */
#ifndef AMPSHARE_POLICY_DEADLINE_H
#define AMPSHARE_POLICY_DEADLINE_H

#include <math.h>

#include "policies/ampshare_policy_kit.h"

enum dl_order {
    DL_EDF,
    DL_LLF
};

struct dl {
    struct apk k;
    int64_t voltage;
};

static inline int dl_init(const struct ampshare_policy_host *host,
                          const struct ampshare_policy_option *opt,
                          size_t n_opt,
                          void **state,
                          const char *name)
{
    int64_t voltage = 230;
    const struct apk_optdef defs[] = {{"voltage", APK_OPT_INT, 90, 480, &voltage}};
    int rc = apk_options(host, name, opt, n_opt, defs, 1);
    if (rc != 0) {
        return rc;
    }
    struct dl *s = calloc(1, sizeof(*s));
    if (!s) {
        return -ENOMEM;
    }
    rc = apk_init(&s->k, host);
    if (rc != 0) {
        free(s);
        return rc;
    }
    s->voltage = voltage;
    *state = s;
    return 0;
}

static inline void dl_destroy(void *state)
{
    struct dl *s = state;
    if (s) {
        apk_fini(&s->k);
        free(s);
    }
}

static inline bool dl_known(const struct ampshare_policy_evse *ev, uint64_t now)
{
    return ev->departure_ms > now && ev->energy_wanted_wh >= 0;
}

/* The current per phase (mA) that delivers the car's energy by its departure. */
static inline int64_t
dl_need_ma(const struct dl *s, const struct ampshare_policy_evse *ev, uint64_t now)
{
    uint64_t left_ms = ev->departure_ms - now;
    double watts = (double)ev->energy_wanted_wh * 3.6e6 / (double)left_ms;
    double ma = watts * 1000 / ((double)s->voltage * (ev->n_phases ? ev->n_phases : 1));
    return ma > 1e9 ? 1000000000 : (int64_t)ceil(ma);
}

/* Sort key: known cars first by deadline or laxity (both in ms, laxity offset to stay positive),
 * unknown ones after them by plug-in time. */
static inline uint64_t
dl_key(const struct dl *s, const struct ampshare_policy_evse *ev, uint64_t now, enum dl_order order)
{
    const uint64_t unknown = 1ull << 62;
    if (!dl_known(ev, now)) {
        return unknown + (ev->connected_since_ms & (unknown - 1));
    }
    if (order == DL_EDF) {
        return ev->departure_ms < unknown ? ev->departure_ms : unknown - 1;
    }
    /* laxity = time left - time to charge at the EVSE's most */
    double max_w =
        (double)ev->max_ma / 1000 * (double)s->voltage * (ev->n_phases ? ev->n_phases : 1);
    double charge_ms = max_w > 0 ? (double)ev->energy_wanted_wh * 3.6e6 / max_w : 1e15;
    double lax = (double)(ev->departure_ms - now) - charge_ms;
    double key = lax + 1e15; /* laxity may be negative: the car is already late */
    if (key < 0) {
        key = 0;
    }
    return key >= (double)(unknown - 1) ? unknown - 1 : (uint64_t)key;
}

static inline int dl_allocate(void *state,
                              const struct ampshare_policy_input *in,
                              struct ampshare_policy_output *out,
                              enum dl_order order)
{
    struct dl *s = state;
    struct apk *k = &s->k;
    int rc = apk_begin(k, in, out);
    if (rc != 0) {
        return rc;
    }
    uint64_t now = in->now_ms;
    for (size_t e = 0; e < in->n_evse; e++) {
        k->order_key[e] = dl_key(s, ampshare_policy_evse_at(in, e), now, order);
    }
    const struct apk_key *ord = apk_order(k, in->n_evse);
    size_t n = 0;
    for (size_t i = 0; i < in->n_evse; i++) {
        size_t e = ord[i].idx;
        if (k->ev[e].state != AMPSHARE_EVSE_CHARGING || !apk_can(k, e)) {
            continue;
        }
        if (apk_admit(k, in, out, e)) {
            k->set[n++] = (uint32_t)e;
        } else {
            out->why[e] = AMPSHARE_WHY_SHED;
        }
    }
    for (size_t i = 0; i < in->n_evse; i++) {
        size_t e = ord[i].idx;
        if (k->ev[e].state == AMPSHARE_EVSE_IDLE && apk_can(k, e)) {
            apk_admit(k, in, out, e);
            out->why[e] = AMPSHARE_WHY_IDLE;
        }
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        size_t e = k->set[i];
        const struct ampshare_policy_evse *ev = ampshare_policy_evse_at(in, e);
        if (dl_known(ev, now)) {
            if (ev->energy_wanted_wh == 0) {
                continue; /* done: keeps its minimum */
            }
            int64_t need = dl_need_ma(s, ev, now);
            apk_raise(k, in, out, e, (int32_t)(need < k->hi[e] ? need : k->hi[e]));
            out->why[e] = AMPSHARE_WHY_DEMAND;
        }
        k->want[e] = k->hi[e];
        k->set[m++] = (uint32_t)e;
    }
    apk_fill_equal(k, in, out, k->set, m);
    return 0;
}

#define DL_POLICY(ident, order)                                                                   \
    static int ident##_init(const struct ampshare_policy_host *host,                              \
                            const struct ampshare_policy_option *opt, size_t n_opt, void **state) \
    {                                                                                             \
        return dl_init(host, opt, n_opt, state, #ident);                                          \
    }                                                                                             \
    static int ident##_allocate(void *state, const struct ampshare_policy_input *in,              \
                                struct ampshare_policy_output *out)                               \
    {                                                                                             \
        return dl_allocate(state, in, out, order);                                                \
    }                                                                                             \
    static const struct ampshare_policy ident##_policy = {                                        \
        .abi_major = AMPSHARE_POLICY_ABI_MAJOR,                                                   \
        .abi_minor = AMPSHARE_POLICY_ABI_MINOR,                                                   \
        .struct_size = sizeof(struct ampshare_policy),                                            \
        .name = #ident,                                                                           \
        .version = "1.0",                                                                         \
        .init = ident##_init,                                                                     \
        .allocate = ident##_allocate,                                                             \
        .destroy = dl_destroy,                                                                    \
    };                                                                                            \
    APK_POLICY(ident, ident##_policy)

#endif
