/* SPDX-License-Identifier: MIT */
/* The one JSON document every fleet run prints (docs/scenarios.md names every key). */
#ifndef AMPSHARE_SIM_FLEET_JSON_H
#define AMPSHARE_SIM_FLEET_JSON_H

#include <jansson.h>

#include "sim/fleet/fleet.h"

/* One entry of "results". NAN in limit_kw, reclaim_s or a charger's mean_a_others_idle is null. */
struct fleet_json_row {
    const char *policy;
    double limit_kw;
    double requested_kwh, delivered_kwh, delivered_pct;
    size_t sessions, served, unfinished;
    double peak_kw, over_limit_s, over_limit_as, idle_waste_ah, jain, reclaim_s, run_s;
    const struct fleet_charger_result *charger;
    size_t n_charger;
};

json_t *fleet_json_row(const struct fleet_json_row *r);
/* {"scenario", "seed", "mode", "results"}: takes a reference to results. */
json_t *fleet_json_doc(const char *scenario, uint64_t seed, const char *mode, json_t *results);
/* Prints doc on stdout, indented, keys in order. 0 or -EIO. */
int fleet_json_print(const json_t *doc);

#endif
