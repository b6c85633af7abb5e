/* SPDX-License-Identifier: MIT */
/*
 * priority: ordered tiers. Each EVSE's tier is its configured priority (higher first). In a
 * shortage, minimums are handed out tier by tier, so the lowest tiers are shed first and never
 * everyone: any car whose minimum fits still charges. Then the highest tier is water-filled in
 * equal steps up to its cars' maximums, then the next tier gets what is left, and so on. Within
 * a tier, cars that charge come before idle ones (which keep only their minimum), then the
 * earliest plugged in. Options: none.
 */
#include "policies/ampshare_policy_kit.h"

struct priority {
    struct apk k;
    int32_t *tier; /* per EVSE, this tick: its priority (read once, then from here) */
};

static int prio_init(const struct ampshare_policy_host *host,
                     const struct ampshare_policy_option *opt,
                     size_t n_opt,
                     void **state)
{
    int rc = apk_options(host, "priority", opt, n_opt, NULL, 0);
    if (rc != 0) {
        return rc;
    }
    struct priority *s = calloc(1, sizeof(*s));
    if (!s) {
        return -ENOMEM;
    }
    rc = apk_init(&s->k, host);
    s->tier = rc == 0 ? calloc(s->k.max_evse, sizeof(*s->tier)) : NULL;
    if (rc == 0 && !s->tier) {
        apk_fini(&s->k);
        rc = -ENOMEM;
    }
    if (rc != 0) {
        free(s);
        return rc;
    }
    *state = s;
    return 0;
}

/* Sort key: tier (higher first), charging before idle, earliest connection, then index. */
static uint64_t prio_key(const struct ampshare_policy_evse *ev)
{
    uint64_t tier = (uint64_t)(0x7fff - (ev->priority < -0x7fff  ? -0x7fff
                                         : ev->priority > 0x7fff ? 0x7fff
                                                                 : ev->priority));
    uint64_t idle = ev->state == AMPSHARE_EVSE_CHARGING ? 0 : 1;
    uint64_t since = ev->connected_since_ms & ((1ull << 46) - 1);
    return tier << 47 | idle << 46 | since;
}

static int prio_allocate(void *state,
                         const struct ampshare_policy_input *in,
                         struct ampshare_policy_output *out)
{
    struct priority *s = state;
    struct apk *k = &s->k;
    int rc = apk_begin(k, in, out);
    if (rc != 0) {
        return rc;
    }
    for (size_t e = 0; e < in->n_evse; e++) {
        const struct ampshare_policy_evse *ev = ampshare_policy_evse_at(in, e);
        k->order_key[e] = prio_key(ev);
        s->tier[e] = ev->priority;
    }
    /* the cars that can charge, in key order (then index) */
    const struct apk_key *ord = apk_order(k, in->n_evse);
    size_t n = 0;
    for (size_t i = 0; i < in->n_evse; i++) {
        if (apk_can(k, ord[i].idx)) {
            k->key[n++] = ord[i];
        }
    }
    for (size_t i = 0; i < n; i++) {
        size_t e = k->key[i].idx;
        bool charging = k->ev[e].state == AMPSHARE_EVSE_CHARGING;
        if (!apk_admit(k, in, out, e)) {
            out->why[e] = charging ? AMPSHARE_WHY_SHED : AMPSHARE_WHY_IDLE;
            continue;
        }
        k->want[e] = charging ? k->hi[e] : k->lo[e];
        out->why[e] = charging ? AMPSHARE_WHY_POLICY : AMPSHARE_WHY_IDLE;
    }
    /* fill tier by tier: a run of sorted entries with the same priority */
    for (size_t i = 0; i < n;) {
        int32_t tier = s->tier[k->key[i].idx];
        size_t m = 0;
        for (; i < n && s->tier[k->key[i].idx] == tier; i++) {
            if (out->target_ma[k->key[i].idx] > 0) {
                k->set[m++] = k->key[i].idx;
            }
        }
        apk_fill_equal(k, in, out, k->set, m);
    }
    return 0;
}

static void prio_destroy(void *state)
{
    struct priority *s = state;
    if (s) {
        apk_fini(&s->k);
        free(s->tier);
        free(s);
    }
}

static const struct ampshare_policy priority_policy = {
    .abi_major = AMPSHARE_POLICY_ABI_MAJOR,
    .abi_minor = AMPSHARE_POLICY_ABI_MINOR,
    .struct_size = sizeof(struct ampshare_policy),
    .name = "priority",
    .version = "1.0",
    .init = prio_init,
    .allocate = prio_allocate,
    .destroy = prio_destroy,
};

APK_POLICY(priority, priority_policy)
