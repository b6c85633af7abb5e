/* SPDX-License-Identifier: MIT */
/* An ampshare policy in the replay, through the ABI and the clamp (replay_abi.h). */
#include "sim/fleet/replay_abi.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/engine/alloc.h"
#include "controller/engine/policy_loader.h"

struct replay_abi {
    struct policy_handle h;
    void *state;
    size_t n;
    struct ampshare_policy_circuit circuit;
    struct ampshare_policy_evse *evse;
    char (*name)[24];
    int32_t *raw, *out;
    uint8_t *why;
    struct alloc_clamp_scratch sc;
    bool sc_ok;
};

void replay_abi_free(struct replay_abi *ra)
{
    if (!ra) {
        return;
    }
    if (ra->state) {
        ra->h.policy->destroy(ra->state);
    }
    policy_close(&ra->h);
    if (ra->sc_ok) {
        alloc_clamp_scratch_fini(&ra->sc);
    }
    free(ra->evse);
    free(ra->name);
    free(ra->raw);
    free(ra->out);
    free(ra->why);
    free(ra);
}

int replay_abi_new(const char *policy,
                   size_t n_station,
                   double limit_a,
                   double voltage,
                   struct replay_abi **out,
                   char *err,
                   size_t errlen)
{
    struct replay_abi *ra = calloc(1, sizeof(*ra));
    if (!ra) {
        return -ENOMEM;
    }
    int rc = policy_open(policy, &ra->h, err, errlen);
    if (rc != 0) {
        free(ra);
        return rc;
    }
    ra->n = n_station;
    ra->evse = calloc(n_station + 1, sizeof(*ra->evse));
    ra->name = calloc(n_station + 1, sizeof(*ra->name));
    ra->raw = calloc(n_station + 1, sizeof(int32_t));
    ra->out = calloc(n_station + 1, sizeof(int32_t));
    ra->why = calloc(n_station + 1, sizeof(uint8_t));
    if (!ra->evse || !ra->name || !ra->raw || !ra->out || !ra->why) {
        replay_abi_free(ra);
        return -ENOMEM;
    }
    ra->sc_ok = alloc_clamp_scratch_init(&ra->sc, 1, n_station) == 0;
    struct ampshare_policy_host host = {
        .struct_size = sizeof(host), .max_evse = (uint32_t)n_station, .max_circuit = 1};
    char v[16];
    snprintf(v, sizeof(v), "%.0f", voltage);
    struct ampshare_policy_option opt = {"voltage", v};
    /* the deadline policies turn energy into current at this voltage; others take no such option */
    rc = ra->h.policy->init(&host, &opt, 1, &ra->state);
    if (rc == -EINVAL) {
        rc = ra->h.policy->init(&host, NULL, 0, &ra->state);
    }
    if (rc != 0 || !ra->sc_ok) {
        ra->state = NULL;
        snprintf(err, errlen, "policy %s: init failed (%d)", policy, rc);
        replay_abi_free(ra);
        return rc ? rc : -ENOMEM;
    }
    int32_t lim = (int32_t)floor(limit_a * 1000);
    ra->circuit = (struct ampshare_policy_circuit){.name = "supply",
                                                   .parent = -1,
                                                   .phases = AMPSHARE_PHASE_L1,
                                                   .rating_ma = {lim, 0, 0},
                                                   .limit_ma = {lim, 0, 0}};
    for (size_t i = 0; i < n_station; i++) {
        snprintf(ra->name[i], sizeof(ra->name[i]), "s%zu", i);
        ra->evse[i] = (struct ampshare_policy_evse){.name = ra->name[i],
                                                    .circuit = 0,
                                                    .phases = AMPSHARE_PHASE_L1,
                                                    .n_phases = 1,
                                                    .min_ma = 6000,
                                                    .max_ma = 32000,
                                                    .step_ma = 100,
                                                    .energy_wanted_wh = -1};
    }
    *out = ra;
    return 0;
}

int replay_abi_schedule(struct replay_abi *ra,
                        uint64_t now_ms,
                        const struct replay_abi_station *st,
                        double *rate)
{
    for (size_t i = 0; i < ra->n; i++) {
        struct ampshare_policy_evse *e = &ra->evse[i];
        uint8_t state = !st[i].plugged               ? AMPSHARE_EVSE_UNPLUGGED
                        : st[i].remaining_kwh > 1e-3 ? AMPSHARE_EVSE_CHARGING
                                                     : AMPSHARE_EVSE_IDLE;
        if (state != e->state) {
            e->state_since_ms = now_ms;
        }
        e->state = state;
        e->draw_ma[0] = (int32_t)lround(st[i].last_a * 1000);
        bool below = e->offered_ma > 0 && e->draw_ma[0] < e->offered_ma - AMPSHARE_POLICY_BELOW_MA;
        e->below_since_ms = !below ? 0 : e->below_since_ms ? e->below_since_ms : now_ms;
        e->connected_since_ms = st[i].plugged ? st[i].arrival_ms : 0;
        e->departure_ms = st[i].plugged ? st[i].departure_ms : 0;
        double wh = st[i].remaining_kwh * 1000;
        e->energy_wanted_wh = !st[i].plugged ? -1 : wh > 0 ? (int32_t)lround(wh) : 0;
        if (!st[i].plugged) {
            e->offered_ma = 0;
        }
    }
    struct ampshare_policy_input in = {.struct_size = sizeof(in),
                                       .circuit_size = sizeof(ra->circuit),
                                       .evse_size = sizeof(*ra->evse),
                                       .now_ms = now_ms,
                                       .circuit = &ra->circuit,
                                       .n_circuit = 1,
                                       .evse = ra->evse,
                                       .n_evse = ra->n};
    memset(ra->raw, 0, ra->n * sizeof(int32_t));
    memset(ra->why, 0, ra->n);
    struct ampshare_policy_output o = {
        .struct_size = sizeof(o), .target_ma = ra->raw, .why = ra->why};
    if (ra->h.policy->allocate(ra->state, &in, &o) != 0) {
        memset(ra->raw, 0, ra->n * sizeof(int32_t)); /* a failed tick: nothing, never too much */
    }
    int rc = alloc_clamp(&in, ra->raw, ra->out, NULL, NULL, &ra->sc);
    if (rc < 0) {
        return rc;
    }
    for (size_t i = 0; i < ra->n; i++) {
        struct ampshare_policy_evse *e = &ra->evse[i];
        if (e->offered_ma != ra->out[i]) {
            e->offered_since_ms = now_ms;
            e->below_since_ms = 0; /* a new offer: the car is given time to follow it */
        }
        e->offered_ma = ra->out[i];
        rate[i] = ra->out[i] / 1000.0;
    }
    return 0;
}
