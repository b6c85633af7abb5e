/* SPDX-License-Identifier: MIT */
/*
 * Random fleets for allocation tests, and an independent checker of the host's limits.
 * The checker is written apart from the clamp on purpose (a naive walk over every circuit and
 * every EVSE), so that a test never uses the code under test as its own oracle.
 */
#ifndef AMP_FLEET_H
#define AMP_FLEET_H

#include <stddef.h>
#include <stdint.h>

#include "policies/ampshare_policy.h"

#define AMP_FLEET_CIRCUITS_MAX 16
#define AMP_FLEET_EVSE_MAX     64

struct amp_fleet {
    struct ampshare_policy_circuit circuit[AMP_FLEET_CIRCUITS_MAX];
    struct ampshare_policy_evse evse[AMP_FLEET_EVSE_MAX];
    char cname[AMP_FLEET_CIRCUITS_MAX][16];
    char ename[AMP_FLEET_EVSE_MAX][16];
    struct ampshare_policy_input in;
};

/*
 * Fills f with a random fleet as the host would build it: a tree of 1..max_circuit circuits
 * (parents before children, 1- and 3-phase, overcommit sometimes), 0..max_evse EVSEs (Wall
 * Connectors and others, 1- and 3-phase with random phase maps, unplugged, idle or charging,
 * some stale, draws and offers), all from rng.
 */
void amp_fleet_random(
    struct amp_fleet *f, uint64_t *rng, size_t max_evse, size_t max_circuit, uint64_t now_ms);

/*
 * Counts every broken rule for targets t[in->n_evse]: a target that is not 0 or a step multiple
 * in [min, max], a target for an unplugged EVSE, and for every circuit and phase: counted current
 * above max(0, limit), or the sum of targets above max(0, limit + overcommit). Writes the first
 * problem into msg (may be NULL). Returns the count.
 */
int amp_check_limits(const struct ampshare_policy_input *in,
                     const int32_t *t,
                     char *msg,
                     size_t cap);

struct site;

/* Builds a site from INI text; fails the running Check test, printing every message, if the text
 * does not load. The caller frees it with site_free(). */
struct site *amp_test_site(const char *ini);

#endif
