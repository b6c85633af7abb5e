/* SPDX-License-Identifier: MIT */
/*
 * fifo: first plugged in is served first. Cars are taken in the order they were connected:
 * each gets its minimum while minimums fit (the rest wait), then, in the same order, each is
 * raised as far as its maximum and the circuits allow before the next gets anything more. An
 * idle car keeps only its minimum, so it does not hold back the queue. Options: none.
 */
#include "policies/ampshare_policy_kit.h"

struct fifo {
    struct apk k;
};

static int fifo_init(const struct ampshare_policy_host *host,
                     const struct ampshare_policy_option *opt,
                     size_t n_opt,
                     void **state)
{
    int rc = apk_options(host, "fifo", opt, n_opt, NULL, 0);
    if (rc != 0) {
        return rc;
    }
    struct fifo *s = calloc(1, sizeof(*s));
    if (!s) {
        return -ENOMEM;
    }
    rc = apk_init(&s->k, host);
    if (rc != 0) {
        free(s);
        return rc;
    }
    *state = s;
    return 0;
}

static int fifo_allocate(void *state,
                         const struct ampshare_policy_input *in,
                         struct ampshare_policy_output *out)
{
    struct fifo *s = state;
    struct apk *k = &s->k;
    int rc = apk_begin(k, in, out);
    if (rc != 0) {
        return rc;
    }
    for (size_t e = 0; e < in->n_evse; e++) {
        k->order_key[e] = ampshare_policy_evse_at(in, e)->connected_since_ms;
    }
    /* plug-in order (then index), of the cars that can charge */
    const struct apk_key *ord = apk_order(k, in->n_evse);
    size_t n = 0;
    for (size_t i = 0; i < in->n_evse; i++) {
        if (apk_can(k, ord[i].idx)) {
            k->key[n++] = ord[i];
        }
    }
    for (size_t i = 0; i < n; i++) {
        size_t e = k->key[i].idx;
        bool idle = k->ev[e].state != AMPSHARE_EVSE_CHARGING;
        if (!apk_admit(k, in, out, e)) {
            out->why[e] = idle ? AMPSHARE_WHY_IDLE : AMPSHARE_WHY_WAIT;
        } else if (idle) {
            out->why[e] = AMPSHARE_WHY_IDLE;
        }
    }
    for (size_t i = 0; i < n; i++) {
        size_t e = k->key[i].idx;
        if (out->target_ma[e] > 0 && k->ev[e].state == AMPSHARE_EVSE_CHARGING) {
            apk_raise(k, in, out, e, k->hi[e]);
        }
    }
    return 0;
}

static void fifo_destroy(void *state)
{
    struct fifo *s = state;
    if (s) {
        apk_fini(&s->k);
        free(s);
    }
}

static const struct ampshare_policy fifo_policy = {
    .abi_major = AMPSHARE_POLICY_ABI_MAJOR,
    .abi_minor = AMPSHARE_POLICY_ABI_MINOR,
    .struct_size = sizeof(struct ampshare_policy),
    .name = "fifo",
    .version = "1.0",
    .init = fifo_init,
    .allocate = fifo_allocate,
    .destroy = fifo_destroy,
};

APK_POLICY(fifo, fifo_policy)
