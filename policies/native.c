/* SPDX-License-Identifier: MIT */
/*
 * native: what a native Tesla Wall Connector Gen 2 master does (twc-gen2.md §7.3). Every
 * connected car, idle or not, keeps the v2 minimum reserved in full (never overcommitted); the
 * rest goes to the cars that draw, by measured current: a car that takes less than it is offered
 * is given its draw plus some headroom, and the spare goes to the others. On a 40 A circuit with
 * a Tesla charging and an idle BMW i3 plugged in, the Tesla gets 40 - 6 = 34 A, as the seed
 * reports. Like the native master, it hands out what a car does not take only once the car has
 * drawn below its offer for settle_ms (10 s) without a break. Options: settle_ms.
 */
#include "policies/ampshare_policy_kit.h"

#define NATIVE_TAKE_MARGIN_MA 1500 /* drawing within 1.5 A of the offer: takes all it gets */
#define NATIVE_HEADROOM_MA    3000 /* a car that takes less gets its draw + 3 A */

struct native {
    struct apk k;
};

static int native_init(const struct ampshare_policy_host *host,
                       const struct ampshare_policy_option *opt,
                       size_t n_opt,
                       void **state)
{
    int64_t settle_ms = APR_SETTLE_MS_DEFAULT;
    const struct apk_optdef defs[] = {
        {"settle_ms", APK_OPT_INT, 0, 600000, &settle_ms},
    };
    int rc = apk_options(host, "native", opt, n_opt, defs, sizeof(defs) / sizeof(defs[0]));
    if (rc != 0) {
        return rc;
    }
    struct native *s = calloc(1, sizeof(*s));
    if (!s) {
        return -ENOMEM;
    }
    rc = apk_init(&s->k, host);
    if (rc != 0) {
        free(s);
        return rc;
    }
    s->k.idle_full = true; /* the reserve is real current, whatever the circuit would allow */
    s->k.settle_ms = (uint64_t)settle_ms;
    *state = s;
    return 0;
}

static int native_allocate(void *state,
                           const struct ampshare_policy_input *in,
                           struct ampshare_policy_output *out)
{
    struct native *s = state;
    struct apk *k = &s->k;
    int rc = apk_begin(k, in, out);
    if (rc != 0) {
        return rc;
    }
    size_t n = 0;
    /* charging cars first, then idle ones: each connected car gets its minimum if it fits */
    for (int pass = 0; pass < 2; pass++) {
        uint8_t want_state = pass == 0 ? AMPSHARE_EVSE_CHARGING : AMPSHARE_EVSE_IDLE;
        for (size_t e = 0; e < in->n_evse; e++) {
            if (k->ev[e].state != want_state || !apk_can(k, e)) {
                continue;
            }
            bool in_ = apk_admit(k, in, out, e);
            if (pass == 1) {
                out->why[e] = AMPSHARE_WHY_IDLE;
            } else if (!in_) {
                out->why[e] = AMPSHARE_WHY_SHED;
            } else {
                k->want[e] = apk_demand_e(k, in, e, NATIVE_TAKE_MARGIN_MA, NATIVE_HEADROOM_MA);
                out->why[e] = k->want[e] < k->hi[e] ? AMPSHARE_WHY_DEMAND : AMPSHARE_WHY_POLICY;
                k->set[n++] = (uint32_t)e;
            }
        }
    }
    apk_fill_equal(k, in, out, k->set, n);
    return 0;
}

static void native_destroy(void *state)
{
    struct native *s = state;
    if (s) {
        apk_fini(&s->k);
        free(s);
    }
}

static const struct ampshare_policy native_policy = {
    .abi_major = AMPSHARE_POLICY_ABI_MAJOR,
    .abi_minor = AMPSHARE_POLICY_ABI_MINOR,
    .struct_size = sizeof(struct ampshare_policy),
    .name = "native",
    .version = "1.0",
    .init = native_init,
    .allocate = native_allocate,
    .destroy = native_destroy,
};

APK_POLICY(native, native_policy)
