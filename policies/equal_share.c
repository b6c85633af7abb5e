/* SPDX-License-Identifier: MIT */
/*
 * equal_share: every car that draws gets an equal share. Cars that charge are given their
 * minimum first (in EVSE order), then idle connected cars keep their minimum if it still fits
 * (counted the way their circuit's overcommit setting allows), then the charging cars are
 * water-filled in equal steps up to their maximum under every circuit limit. Options: none.
 * It is also the host's fallback when another policy fails, so it is kept simple.
 */
#include "policies/ampshare_policy_kit.h"

struct equal_share {
    struct apk k;
};

static int eq_init(const struct ampshare_policy_host *host,
                   const struct ampshare_policy_option *opt,
                   size_t n_opt,
                   void **state)
{
    int rc = apk_options(host, "equal_share", opt, n_opt, NULL, 0);
    if (rc != 0) {
        return rc;
    }
    struct equal_share *s = calloc(1, sizeof(*s));
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

static int
eq_allocate(void *state, const struct ampshare_policy_input *in, struct ampshare_policy_output *out)
{
    struct equal_share *s = state;
    struct apk *k = &s->k;
    int rc = apk_begin(k, in, out);
    if (rc != 0) {
        return rc;
    }
    size_t n = 0;
    for (size_t e = 0; e < in->n_evse; e++) {
        if (k->ev[e].state == AMPSHARE_EVSE_CHARGING && apk_can(k, e)) {
            if (apk_admit(k, in, out, e)) {
                k->want[e] = k->hi[e];
                k->set[n++] = (uint32_t)e;
            } else {
                out->why[e] = AMPSHARE_WHY_SHED;
            }
        }
    }
    for (size_t e = 0; e < in->n_evse; e++) {
        if (k->ev[e].state == AMPSHARE_EVSE_IDLE) {
            apk_admit(k, in, out, e);
            out->why[e] = AMPSHARE_WHY_IDLE;
        }
    }
    apk_fill_equal(k, in, out, k->set, n);
    return 0;
}

static void eq_destroy(void *state)
{
    struct equal_share *s = state;
    if (s) {
        apk_fini(&s->k);
        free(s);
    }
}

static const struct ampshare_policy equal_share_policy = {
    .abi_major = AMPSHARE_POLICY_ABI_MAJOR,
    .abi_minor = AMPSHARE_POLICY_ABI_MINOR,
    .struct_size = sizeof(struct ampshare_policy),
    .name = "equal_share",
    .version = "1.0",
    .init = eq_init,
    .allocate = eq_allocate,
    .destroy = eq_destroy,
};

APK_POLICY(equal_share, equal_share_policy)
