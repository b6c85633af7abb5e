/* SPDX-License-Identifier: MIT */
/* The fleet JSON document (fleet_json.h). */
#include "sim/fleet/fleet_json.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static json_t *num_or_null(double v)
{
    return isnan(v) ? json_null() : json_real(v);
}

json_t *fleet_json_row(const struct fleet_json_row *r)
{
    json_t *chargers = json_array();
    for (size_t i = 0; i < r->n_charger; i++) {
        const struct fleet_charger_result *c = &r->charger[i];
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(c->name));
        json_object_set_new(o, "energy_kwh", json_real(c->energy_kwh));
        json_object_set_new(o, "mean_a", json_real(c->mean_a));
        json_object_set_new(o, "max_a", json_real(c->max_a));
        json_object_set_new(o, "mean_a_others_idle", num_or_null(c->mean_a_others_idle));
        json_array_append_new(chargers, o);
    }
    json_t *o = json_object();
    json_object_set_new(o, "policy", json_string(r->policy));
    json_object_set_new(o, "limit_kw", num_or_null(r->limit_kw));
    json_object_set_new(o, "energy_requested_kwh", json_real(r->requested_kwh));
    json_object_set_new(o, "energy_delivered_kwh", json_real(r->delivered_kwh));
    json_object_set_new(o, "delivered_pct", json_real(r->delivered_pct));
    json_object_set_new(o, "sessions", json_integer((json_int_t)r->sessions));
    json_object_set_new(o, "sessions_served", json_integer((json_int_t)r->served));
    json_object_set_new(o, "unfinished", json_integer((json_int_t)r->unfinished));
    json_object_set_new(o, "peak_kw", json_real(r->peak_kw));
    json_object_set_new(o, "over_limit_s", json_real(r->over_limit_s));
    json_object_set_new(o, "over_limit_as", json_real(r->over_limit_as));
    json_object_set_new(o, "idle_waste_ah", json_real(r->idle_waste_ah));
    json_object_set_new(o, "jain", json_real(r->jain));
    json_object_set_new(o, "reclaim_s", num_or_null(r->reclaim_s));
    json_object_set_new(o, "run_s", json_real(r->run_s));
    json_object_set_new(o, "chargers", chargers);
    return o;
}

json_t *fleet_json_doc(const char *scenario, uint64_t seed, const char *mode, json_t *results)
{
    json_t *doc = json_object();
    json_object_set_new(doc, "scenario", json_string(scenario));
    json_object_set_new(doc, "seed", json_integer((json_int_t)seed));
    json_object_set_new(doc, "mode", json_string(mode));
    json_object_set(doc, "results", results);
    return doc;
}

int fleet_json_print(const json_t *doc)
{
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    if (!text) {
        return -ENOMEM;
    }
    int rc = printf("%s\n", text) < 0 ? -EIO : 0;
    free(text);
    return rc;
}
