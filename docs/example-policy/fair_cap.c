/* SPDX-License-Identifier: MIT */
/*
 * fair_cap: an example ampshare policy plugin, written against ampshare_policy.h alone (see
 * docs/policy-abi.md). Every charging car gets the same share, and the site's cars together
 * never take more than the option cap_a (say, a contracted import limit).
 *
 * The share is computed so that no limit can be broken: for every circuit and phase, the
 * circuit's budget divided by the number of charging cars at or below it on that phase; a car
 * gets the smallest such share on its way to the supply, and at most cap_a / (number of charging
 * cars). Simple and safe, though it leaves current unused when some cars cannot take their
 * share (the built-in equal_share redistributes it).
 *
 * Build: cc -shared -fPIC -fvisibility=hidden -I<dir of ampshare_policy.h> fair_cap.c -o
 * fair_cap.so Use:   [policy] name = /usr/local/lib/ampshare/fair_cap.so cap_a = 40
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ampshare_policy.h"

/* Everything an instance needs lives here: no globals, so instances never interfere. */
struct fair_cap {
    int32_t cap_ma; /* the option cap_a */
    uint32_t max_circuit;
    uint32_t (*count)[3]; /* per circuit and phase: charging cars at or below it */
    int32_t (*share)[3];  /* per circuit and phase: the share it allows */
};

static void fc_destroy(void *state)
{
    struct fair_cap *s = state;
    if (s) {
        free(s->count);
        free(s->share);
        free(s);
    }
}

/* "40" or "40.5" amps (at most 3 decimals) to milliamps; -1 if it is not that. */
static int32_t parse_amps(const char *v)
{
    int64_t whole = 0, frac = 0, div = 1;
    bool dot = false;
    if (!v || !*v) {
        return -1;
    }
    for (; *v; v++) {
        if (*v == '.' && !dot) {
            dot = true;
            continue;
        }
        if (*v < '0' || *v > '9' || whole > 100000 || (dot && div == 1000)) {
            return -1;
        }
        if (dot) {
            frac = frac * 10 + (*v - '0');
            div *= 10;
        } else {
            whole = whole * 10 + (*v - '0');
        }
    }
    return (int32_t)(whole * 1000 + frac * 1000 / div);
}

static int fc_init(const struct ampshare_policy_host *host,
                   const struct ampshare_policy_option *opt,
                   size_t n_opt,
                   void **state)
{
    struct fair_cap *s = calloc(1, sizeof(*s));
    if (!s) {
        return -ENOMEM;
    }
    s->cap_ma = 1000000; /* no cap unless asked */
    for (size_t i = 0; i < n_opt; i++) {
        int32_t v = strcmp(opt[i].key, "cap_a") == 0 ? parse_amps(opt[i].value) : -2;
        if (v < 0) {
            if (host->log) {
                host->log(host->ctx, AMPSHARE_LOG_ERR, "fair_cap: %s option '%s = %s'",
                          v == -2 ? "unknown" : "bad", opt[i].key, opt[i].value);
            }
            fc_destroy(s);
            return -EINVAL;
        }
        s->cap_ma = v;
    }
    /* Scratch is sized once, here: allocate() must not allocate. */
    s->max_circuit = host->max_circuit ? host->max_circuit : 1;
    s->count = calloc(s->max_circuit, sizeof(*s->count));
    s->share = calloc(s->max_circuit, sizeof(*s->share));
    if (!s->count || !s->share) {
        fc_destroy(s);
        return -ENOMEM;
    }
    *state = s;
    return 0;
}

static int
fc_allocate(void *state, const struct ampshare_policy_input *in, struct ampshare_policy_output *out)
{
    struct fair_cap *s = state;
    if (in->n_circuit > s->max_circuit || in->n_circuit == 0) {
        return -EMSGSIZE; /* the host then uses its fallback for this tick */
    }
    memset(s->count, 0, in->n_circuit * sizeof(*s->count));
    uint32_t charging = 0;
    for (size_t i = 0; i < in->n_evse; i++) {
        const struct ampshare_policy_evse *ev = ampshare_policy_evse_at(in, i);
        if (ev->state != AMPSHARE_EVSE_CHARGING) {
            continue;
        }
        charging++;
        for (int p = 0; p < 3; p++) {
            s->count[ev->circuit][p] += (ev->phases >> p) & 1u;
        }
    }
    /* Parents have smaller indices than children: a backward loop adds each child into its
     * parent after the child has received its own children. */
    for (size_t c = in->n_circuit; c-- > 1;) {
        int32_t parent = ampshare_policy_circuit_at(in, c)->parent;
        for (int p = 0; p < 3; p++) {
            s->count[parent][p] += s->count[c][p];
        }
    }
    for (size_t c = 0; c < in->n_circuit; c++) {
        const struct ampshare_policy_circuit *ci = ampshare_policy_circuit_at(in, c);
        for (int p = 0; p < 3; p++) {
            int32_t sh = s->count[c][p] ? ci->limit_ma[p] / (int32_t)s->count[c][p] : INT32_MAX;
            if (c > 0 && s->share[ci->parent][p] < sh) {
                sh = s->share[ci->parent][p]; /* a child never gets more than its parent allows */
            }
            s->share[c][p] = sh;
        }
    }
    int32_t cap_share = charging ? s->cap_ma / (int32_t)charging : 0;
    for (size_t i = 0; i < in->n_evse; i++) {
        const struct ampshare_policy_evse *ev = ampshare_policy_evse_at(in, i);
        int32_t t = 0;
        if (ev->state == AMPSHARE_EVSE_CHARGING) {
            t = ev->max_ma < cap_share ? ev->max_ma : cap_share;
            for (int p = 0; p < 3; p++) {
                if (((ev->phases >> p) & 1u) && s->share[ev->circuit][p] < t) {
                    t = s->share[ev->circuit][p];
                }
            }
            int32_t step = ev->step_ma > 0 ? ev->step_ma : 1;
            t -= t % step; /* round down to what the charger can take */
            if (t < ev->min_ma) {
                t = 0; /* below the minimum a car must get nothing */
            }
        }
        out->target_ma[i] = t;
        out->why[i] = ev->state == AMPSHARE_EVSE_IDLE ? AMPSHARE_WHY_IDLE : AMPSHARE_WHY_POLICY;
    }
    return 0;
}

static const struct ampshare_policy fair_cap_policy = {
    .abi_major = AMPSHARE_POLICY_ABI_MAJOR,
    .abi_minor = AMPSHARE_POLICY_ABI_MINOR,
    .struct_size = sizeof(struct ampshare_policy),
    .name = "fair_cap",
    .version = "1.0",
    .init = fc_init,
    .allocate = fc_allocate,
    .destroy = fc_destroy,
};

/* The one exported symbol. Refuse a host of another major. */
AMPSHARE_POLICY_EXPORT const struct ampshare_policy *ampshare_policy_entry(uint16_t host_abi_major,
                                                                           uint16_t host_abi_minor)
{
    (void)host_abi_minor;
    return host_abi_major == AMPSHARE_POLICY_ABI_MAJOR ? &fair_cap_policy : NULL;
}
