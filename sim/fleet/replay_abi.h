/* SPDX-License-Identifier: MIT */
/*
 * Any ampshare policy (a built-in name or a .so path) in the replay, through the policy ABI and
 * the engine's safety clamp (alloc_clamp), so that ampshare's own policies are judged on real
 * sessions beside the ACN reference algorithms. The `single` network only: one supply circuit of
 * KW*1000/V A on one phase; every station an EVSE of 6-32 A in 0.1 A steps (a real EVSE's
 * minimum, where acnportal's BASIC EVSE is continuous from 0 A). One allocate() per period; the
 * view carries what a gateway would know: state (unplugged, idle when full, charging), last
 * period's current, the offer, plug-in time, and the departure and energy still wanted (the ACN
 * data knows both).
 */
#ifndef AMPSHARE_SIM_REPLAY_ABI_H
#define AMPSHARE_SIM_REPLAY_ABI_H

#include "sim/fleet/replay.h"

struct replay_abi;

/* Opens policy for a network of n_station stations under limit_a amps. The policy gets the
 * option voltage=V when it takes one. 0, or a negative errno with err. */
int replay_abi_new(const char *policy,
                   size_t n_station,
                   double limit_a,
                   double voltage,
                   struct replay_abi **out,
                   char *err,
                   size_t errlen);
void replay_abi_free(struct replay_abi *ra);

/* What replay_run tells it each period, per station: plugged in (arrival, departure in ms),
 * energy still wanted (kWh, <= 1e-3 when full), last period's current. */
struct replay_abi_station {
    bool plugged;
    uint64_t arrival_ms, departure_ms;
    double remaining_kwh;
    double last_a;
};

/* One period: fills rate[] (A) for every station. 0, or a negative errno. */
int replay_abi_schedule(struct replay_abi *ra,
                        uint64_t now_ms,
                        const struct replay_abi_station *st,
                        double *rate);

#endif
