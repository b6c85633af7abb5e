/* SPDX-License-Identifier: MIT */
/*
 * round_robin: when the minimums of all charging cars do not fit, take turns. Minimums are
 * handed out in EVSE order starting from a rotating position; the cars admitted share equally.
 * After hold_ms of shortage (default 15 min, an anti-flap hold like the SmartEVSE fork's) the
 * start moves on to the first car that had to wait, so every car gets its turn. With no
 * shortage it behaves like equal_share. A car just plugged in takes part in the rotation until
 * it draws; a car that has stopped drawing keeps its minimum only if it fits after the others.
 * Option: hold_ms.
 *
 * State: the rotation start and when it last moved. It changes only at a rotation, which
 * depends on now_ms alone, so the same input twice gives the same answer.
 */
#include "policies/ampshare_policy_kit.h"

struct round_robin {
    struct apk k;
    int64_t hold_ms;
    uint32_t start;    /* EVSE index the rotation starts at */
    uint64_t since_ms; /* when the current turn began */
    bool started;
};

static void rr_destroy(void *state)
{
    struct round_robin *s = state;
    if (s) {
        apk_fini(&s->k);
        free(s);
    }
}

static int rr_init(const struct ampshare_policy_host *host,
                   const struct ampshare_policy_option *opt,
                   size_t n_opt,
                   void **state)
{
    struct round_robin *s = calloc(1, sizeof(*s));
    if (!s) {
        return -ENOMEM;
    }
    s->hold_ms = 900000;
    const struct apk_optdef defs[] = {
        {"hold_ms", APK_OPT_INT, 1000, 86400000, &s->hold_ms},
    };
    int rc = apk_options(host, "round_robin", opt, n_opt, defs, 1);
    if (rc == 0) {
        rc = apk_init(&s->k, host);
    }
    if (rc != 0) {
        rr_destroy(s);
        return rc;
    }
    *state = s;
    return 0;
}

/* A car takes part in the rotation while it charges, or while it has not drawn since it was
 * plugged in (it must get a turn to start at all). */
static bool rr_candidate(const struct apk *k, const struct ampshare_policy_input *in, size_t e)
{
    if (!apk_can(k, e)) {
        return false;
    }
    if (k->ev[e].state == AMPSHARE_EVSE_CHARGING) {
        return true;
    }
    const struct ampshare_policy_evse *ev = ampshare_policy_evse_at(in, e);
    return ev->state == AMPSHARE_EVSE_IDLE && ev->state_since_ms <= ev->connected_since_ms;
}

/* Admits the candidates from start on, cyclically. Returns the EVSE index of the first car that
 * did not fit (or in->n_evse when all did); n_set gets the admitted count. */
static size_t rr_admit(struct round_robin *s,
                       const struct ampshare_policy_input *in,
                       struct ampshare_policy_output *out,
                       size_t *n_set)
{
    struct apk *k = &s->k;
    size_t first_out = in->n_evse, n = 0;
    size_t e = s->start; /* below n_evse */
    for (size_t j = 0; j < in->n_evse; j++, e = e + 1 < in->n_evse ? e + 1 : 0) {
        if (!rr_candidate(k, in, e)) {
            continue;
        }
        if (apk_admit(k, in, out, e)) {
            k->want[e] = k->ev[e].state == AMPSHARE_EVSE_CHARGING ? k->hi[e] : k->lo[e];
            out->why[e] = AMPSHARE_WHY_POLICY;
            k->set[n++] = (uint32_t)e;
        } else {
            out->why[e] = AMPSHARE_WHY_WAIT;
            if (first_out == in->n_evse) {
                first_out = e;
            }
        }
    }
    *n_set = n;
    return first_out;
}

static int
rr_allocate(void *state, const struct ampshare_policy_input *in, struct ampshare_policy_output *out)
{
    struct round_robin *s = state;
    struct apk *k = &s->k;
    int rc = apk_begin(k, in, out);
    if (rc != 0) {
        return rc;
    }
    if (in->n_evse == 0) {
        return 0;
    }
    if (!s->started) {
        s->started = true;
        s->since_ms = in->now_ms;
    }
    s->start %= (uint32_t)in->n_evse;
    size_t n;
    size_t waiting = rr_admit(s, in, out, &n);
    if (waiting == in->n_evse) {
        s->since_ms = in->now_ms; /* no shortage: the next turn's clock starts when one begins */
    } else if (in->now_ms >= s->since_ms + (uint64_t)s->hold_ms) {
        /* the turn is over: start from the first car that waited */
        s->start = (uint32_t)waiting;
        s->since_ms = in->now_ms;
        rc = apk_begin(k, in, out);
        if (rc != 0) {
            return rc;
        }
        rr_admit(s, in, out, &n);
    }
    apk_fill_equal(k, in, out, k->set, n);
    for (size_t e = 0; e < in->n_evse; e++) {
        if (k->ev[e].state == AMPSHARE_EVSE_IDLE && !rr_candidate(k, in, e)) {
            apk_admit(k, in, out, e);
            out->why[e] = AMPSHARE_WHY_IDLE;
        }
    }
    return 0;
}

static const struct ampshare_policy round_robin_policy = {
    .abi_major = AMPSHARE_POLICY_ABI_MAJOR,
    .abi_minor = AMPSHARE_POLICY_ABI_MINOR,
    .struct_size = sizeof(struct ampshare_policy),
    .name = "round_robin",
    .version = "1.0",
    .init = rr_init,
    .allocate = rr_allocate,
    .destroy = rr_destroy,
};

APK_POLICY(round_robin, round_robin_policy)
