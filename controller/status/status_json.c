/* SPDX-License-Identifier: MIT */
/* The status snapshot as the JSON document of docs/status.md. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "controller/status/status.h"
#include "drivers/base/amp_text.h"

json_t *status_json_text(const char *s)
{
    /* the longest field is a 255-byte path; each byte may become a 3-byte U+FFFD */
    char buf[3 * 256 + 1];
    return json_string(amp_text_utf8_n(s, strlen(s), buf, sizeof(buf)));
}

static json_t *amps(int32_t ma)
{
    return json_real((double)ma / 1000.0);
}

/* Per supply phase, only the phases in mask (a 1-phase circuit on L2 lists one number). */
static json_t *per_phase(const int32_t ma[3], uint8_t mask)
{
    json_t *a = json_array();
    for (int p = 0; a && p < 3; p++) {
        if (mask & (1u << p)) {
            json_array_append_new(a, amps(ma[p]));
        }
    }
    return a;
}

static json_t *phase_names(uint8_t mask)
{
    static const char *const names[3] = {"L1", "L2", "L3"};
    json_t *a = json_array();
    for (int p = 0; a && p < 3; p++) {
        if (mask & (1u << p)) {
            json_array_append_new(a, json_string(names[p]));
        }
    }
    return a;
}

static json_t *charger(const struct status_charger *c)
{
    return json_pack(
        "{s:o, s:o, s:o, s:o, s:b, s:b, s:b, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
        "s:b, s:b, s:o, s:o, s:o, s:o}",
        "name", status_json_text(c->name), "kind", status_json_text(c->kind), "circuit",
        status_json_text(c->circuit), "state", status_json_text(c->state), "controllable",
        c->controllable, "stale", c->stale, "implausible", c->implausible, "offer_a",
        amps(c->offer_ma), "target_a", amps(c->target_ma), "min_a", amps(c->min_ma), "max_a",
        amps(c->max_ma), "phases", phase_names(c->phases), "measured_a",
        per_phase(c->measured_ma, c->phases), "session_kwh",
        c->session_wh < 0 ? json_null() : json_real((double)c->session_wh / 1000.0), "energy_kwh",
        c->energy_wh < 0 ? json_null() : json_real((double)c->energy_wh / 1000.0), "paused",
        c->paused, "charge_now", c->charge_now, "command_max_a",
        c->command_max_ma < 0 ? json_null() : amps(c->command_max_ma), "vin",
        c->vin[0] ? status_json_text(c->vin) : json_null(), "why", status_json_text(c->why),
        "reason", status_json_text(c->reason));
}

static json_t *circuit(const struct status_circuit *c)
{
    return json_pack(
        "{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:b}", "name", status_json_text(c->name),
        "parent", c->parent[0] ? status_json_text(c->parent) : json_null(), "phases",
        phase_names(c->phases), "rating_a", per_phase(c->rating_ma, c->phases), "limit_a",
        per_phase(c->limit_ma, c->phases), "load_a", per_phase(c->load_ma, c->phases),
        "uncontrolled_a", per_phase(c->uncontrolled_ma, c->phases), "offered_a",
        per_phase(c->offered_ma, c->phases), "meter_stale", c->meter_stale);
}

static json_t *bus(const struct status_bus *b)
{
    return json_pack("{s:o, s:o, s:b, s:I, s:I, s:I, s:I, s:o}", "name", status_json_text(b->name),
                     "transport", status_json_text(b->transport), "up", b->up, "slaves",
                     (json_int_t)b->slaves, "reconnects", (json_int_t)b->reconnects, "bad_frames",
                     (json_int_t)b->bad_frames, "heartbeat_late_worst_ms",
                     (json_int_t)b->heartbeat_late_worst_ms, "last_error",
                     b->last_error[0] ? status_json_text(b->last_error) : json_null());
}

static json_t *meter(const struct status_meter *m)
{
    return json_pack("{s:o, s:o, s:b, s:o, s:I, s:o}", "name", status_json_text(m->name),
                     "measures", status_json_text(m->measures), "stale", m->stale, "age_ms",
                     m->age_ms < 0 ? json_null() : json_integer(m->age_ms), "errors",
                     (json_int_t)m->errors, "last_error",
                     m->last_error[0] ? status_json_text(m->last_error) : json_null());
}

typedef json_t *status_make_fn(const void *record);

static json_t *charger_v(const void *r)
{
    return charger(r);
}

static json_t *circuit_v(const void *r)
{
    return circuit(r);
}

static json_t *bus_v(const void *r)
{
    return bus(r);
}

static json_t *meter_v(const void *r)
{
    return meter(r);
}

/* doc[key] = [make(record) for each of the n records of size bytes]; -ENOMEM on failure. */
static int add_list(
    json_t *doc, const char *key, const void *records, size_t size, size_t n, status_make_fn *make)
{
    json_t *list = json_array();
    if (!list || json_object_set_new(doc, key, list) != 0) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *item = make((const char *)records + i * size);
        if (!item || json_array_append_new(list, item) != 0) {
            return -ENOMEM;
        }
    }
    return 0;
}

json_t *status_to_json(const struct status_snapshot *snap)
{
    char when[32] = "";
    time_t t = (time_t)(snap->wall_ms / 1000);
    struct tm tm;
    if (gmtime_r(&t, &tm)) {
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    }
    const struct status_loop *l = &snap->loop;
    json_t *doc = json_pack("{s:o, s:o, s:s, s:{s:I, s:I, s:I, s:I, s:I, s:I}}", "site",
                            status_json_text(snap->site), "policy", status_json_text(snap->policy),
                            "time", when, "loop", "uptime_s", (json_int_t)(l->uptime_ms / 1000),
                            "ticks", (json_int_t)l->ticks, "tick_us_last",
                            (json_int_t)l->tick_us_last, "tick_us_max", (json_int_t)l->tick_us_max,
                            "heartbeat_late_worst_ms", (json_int_t)l->heartbeat_late_worst_ms,
                            "late_worst_ms", (json_int_t)l->late_worst_ms);
    if (!doc) {
        return NULL;
    }
    json_t *loop = json_object_get(doc, "loop");
    json_t *over = json_object();
    for (size_t i = 0; over && i < STATUS_TURN_BUCKETS && l->turn_over_ms[i]; i++) {
        char key[16];
        snprintf(key, sizeof(key), "%" PRIu32, l->turn_over_ms[i]);
        json_object_set_new(over, key, json_integer((json_int_t)l->turns_over[i]));
    }
    json_object_set_new(loop, "turn_us_max", json_integer((json_int_t)l->turn_us_max));
    json_object_set_new(loop, "turn_cpu_us_max", json_integer((json_int_t)l->turn_cpu_us_max));
    json_object_set_new(loop, "turns_over_ms", over ? over : json_null());
    json_t *errors = json_object();
    for (size_t i = 0; errors && i < snap->n_error; i++) {
        json_object_set_new(errors, snap->error[i].kind,
                            json_integer((json_int_t)snap->error[i].n));
    }
    if (!errors || json_object_set_new(doc, "errors", errors) != 0) {
        json_decref(doc);
        return NULL;
    }
    if (add_list(doc, "chargers", snap->charger, sizeof(*snap->charger), snap->n_charger,
                 charger_v) != 0 ||
        add_list(doc, "circuits", snap->circuit, sizeof(*snap->circuit), snap->n_circuit,
                 circuit_v) != 0 ||
        add_list(doc, "buses", snap->bus, sizeof(*snap->bus), snap->n_bus, bus_v) != 0 ||
        add_list(doc, "meters", snap->meter, sizeof(*snap->meter), snap->n_meter, meter_v) != 0) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}
